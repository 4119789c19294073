"""Throwaway PostgreSQL servers for tests of several machines: a primary and its streaming hot standbys.

Each server is a cluster of scripts/localdb.sh's kind (its own socket directory and free port, run as
`postgres` when root) under one folder of var/test-clusters/; a standby is a `pg_basebackup` of its
primary that streams from it. Everything a `servers()` block started is stopped and removed when it ends.

    with servers() as s:
        primary = s.primary()                  # initdb, start, database `mapserver`
        ...                                    # migrate and load through primary.url()
        standby = s.standby(primary)           # pg_basebackup -R, start: streams from primary
        primary.wait_replayed_by(standby)      # the standby has replayed everything committed so far
        url = multi_host_url([primary, standby], target_session_attrs="read-write")
        primary.stop(); standby.promote()      # failover
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import psycopg2
from psycopg2.extensions import parse_dsn

from tests.pg import ROOT

BINDIR = Path(os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin"))
LOCALDB = ROOT / "scripts" / "localdb.sh"


def _as_owner(*args: str) -> list[str]:
    """initdb refuses root: as root, the servers and their tools run as `postgres` (as localdb.sh does)."""
    return ["runuser", "-u", "postgres", "--", *args] if os.getuid() == 0 else list(args)


class Server:
    """One PostgreSQL server: started, stopped, restarted, promoted; `url()` reaches it by its socket."""

    def __init__(self, pgdir: Path, name: str):
        self.pgdir, self.name = pgdir, name

    def _localdb(self, command: str, *args: str, check: bool = True) -> str:
        done = subprocess.run([str(LOCALDB), command, *args], env={**os.environ, "MAPSERVER_PGDIR": str(self.pgdir)},
                              check=check, capture_output=True, text=True)
        return done.stdout.strip()

    def url(self, dbname: str = "mapserver") -> str:
        """The libpq URL of a database on this server (the same across restarts)."""
        return self._localdb("url", dbname)

    @property
    def host(self) -> str:
        """The socket directory (libpq's `host`)."""
        return parse_dsn(self.url())["host"]

    @property
    def port(self) -> int:
        return int(parse_dsn(self.url())["port"])

    def start(self) -> None:
        """Start (after `stop`), and wait until it accepts connections."""
        self._localdb("start")

    def stop(self) -> None:
        """A fast shutdown: clients are disconnected, as when the machine's service manager stops it."""
        self._localdb("stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def promote(self, timeout_s: int = 30) -> None:
        """Turn a standby into a primary (`pg_ctl promote`), waiting until it takes writes."""
        subprocess.run(_as_owner(str(BINDIR / "pg_ctl"), "-D", str(self.pgdir / "data"), "promote", "-w",
                                 "-t", str(timeout_s)), check=True, capture_output=True)

    def in_recovery(self) -> bool:
        """True on a standby (read-only, replaying its primary's WAL)."""
        return bool(self.query("SELECT pg_is_in_recovery()")[0][0])

    def query(self, statement: str, params: tuple = (), dbname: str = "mapserver") -> list[tuple]:
        """The rows of one statement, on a connection of its own, outside a transaction (ALTER SYSTEM, CREATE
        DATABASE, pg_wal_replay_pause() may be sent too)."""
        conn = psycopg2.connect(self.url(dbname))
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def wait_replayed_by(self, standby: Server, timeout_s: float = 30) -> None:
        """Until `standby` has replayed all the WAL this server has written so far."""
        lsn = self.query("SELECT pg_current_wal_lsn()::text")[0][0]
        deadline = time.monotonic() + timeout_s
        while not standby.query("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,))[0][0]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{standby.name} has not replayed {lsn} of {self.name} in {timeout_s} s")
            time.sleep(0.05)


class Servers:
    """The servers of one test (or module), under one folder of var/test-clusters/."""

    def __init__(self, base: Path):
        self.base = base
        self.started: list[Server] = []

    def _new(self, name: str) -> Server:
        server = Server(self.base / name, name)
        self.started.append(server)
        return server

    def primary(self, name: str = "primary") -> Server:
        """A new cluster, started, with an empty database `mapserver`."""
        server = self._new(name)
        server.start()
        return server

    def standby(self, primary: Server, name: str = "standby") -> Server:
        """A hot standby streaming from `primary`: a `pg_basebackup` of it (`-R`: it follows the primary), started."""
        server = self._new(name)
        server.pgdir.mkdir(parents=True)
        if os.getuid() == 0:
            shutil.chown(server.pgdir, "postgres", "postgres")
        source = f"host={primary.host} port={primary.port} user=postgres"
        subprocess.run(_as_owner(str(BINDIR / "pg_basebackup"), "-d", source, "-D", str(server.pgdir / "data"),
                                 "-R", "-X", "stream", "-c", "fast"), check=True, capture_output=True)
        server.start()
        return server

    def stop_all(self) -> None:
        for server in reversed(self.started):
            server._localdb("stop", check=False)


@contextmanager
def servers() -> Iterator[Servers]:
    """A folder for a test's servers; every server started in it is stopped, and the folder removed, at the end."""
    base = ROOT / "var" / "test-clusters" / uuid.uuid4().hex[:8]
    base.mkdir(parents=True)
    found = Servers(base)
    try:
        yield found
    finally:
        found.stop_all()
        shutil.rmtree(base, ignore_errors=True)


def multi_host_url(members: Iterable[Server], dbname: str = "mapserver", **params: str) -> str:
    """One libpq URL listing several servers, tried in order (`target_session_attrs=read-write`: the primary)."""
    members = list(members)
    query = {"host": ",".join(m.host for m in members), "port": ",".join(str(m.port) for m in members), **params}
    return f"postgresql://postgres@/{dbname}?{urlencode(query, safe='/,')}"
