"""Throwaway PostgreSQL databases (and whole clusters) for the test session."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from psycopg2.extensions import make_dsn, parse_dsn

ROOT = Path(__file__).resolve().parent.parent


def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("DATABASE_URL is not set: run the tests with `make test`")
    return url


def dsn_for(url: str, dbname: str) -> str:
    return make_dsn(url, dbname=dbname)


def admin_execute(url: str, statement: str) -> None:
    """Run a statement outside a transaction (CREATE/DROP DATABASE need that)."""
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def fetch(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    """The rows of one query on a connection of its own: what another process committed, seen from outside."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall()
    finally:
        conn.close()


def wait_for(check, what: str, timeout_s: float = 60) -> None:
    """Until `check()` is true (a session waiting on a lock, a row written by another process), or fail."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def create_database(url: str, prefix: str = "mapserver_test", template: str | None = None) -> str:
    """A new database on the server behind `url`; returns its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    clause = f" TEMPLATE {template}" if template else ""
    admin_execute(url, f"CREATE DATABASE {name}{clause}")
    return name


def drop_database(url: str, name: str) -> None:
    admin_execute(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# Drops of clones run here, beside the next test: a DROP DATABASE ... WITH (FORCE) waits, in steps of 100 ms, for
# the backends it ended (the pools of the test's app) to exit, and that wait was a good part of a test's teardown.
_dropping = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-database")
_drops: list[Future] = []


@contextmanager
def clone(template: str) -> Iterator[str]:
    """A copy of the database `template` on the test server for as long as the block runs; yields its URL. The copy
    is dropped in the background once the block ends (`finish_drops` waits for every drop)."""
    url = server_url()
    name = create_database(url, "mapserver_test", template=template)
    try:
        yield dsn_for(url, name)
    finally:
        _drops.append(_dropping.submit(drop_database, url, name))


def finish_drops() -> None:
    """Wait for the background drops; raise the first one that failed (a database left behind)."""
    _dropping.shutdown(wait=True)
    for drop in _drops:
        drop.result()


def current_dbname(url: str) -> str:
    return parse_dsn(url).get("dbname", "postgres")


@contextmanager
def throwaway_cluster():
    """A cluster of its own (initdb, start), for tests that stop and restart the server."""
    base = ROOT / "var" / "test-clusters" / uuid.uuid4().hex[:8]
    base.mkdir(parents=True)
    env = {**os.environ, "MAPSERVER_PGDIR": str(base)}
    script = str(ROOT / "scripts" / "localdb.sh")

    def run(*args: str) -> str:
        return subprocess.run([script, *args], env=env, check=True, capture_output=True, text=True).stdout.strip()

    run("start")
    try:
        yield run
    finally:
        subprocess.run([script, "stop"], env=env, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
