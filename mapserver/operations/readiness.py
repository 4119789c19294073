"""Is this node fit to be sent readers: its database answers and, on a replica, is not too far behind.

The lag is the age of the last transaction replayed while WAL received is still waiting to be replayed,
and 0 once everything received is replayed (or on a primary). A replica whose primary is quiet, or down
while a standby is promoted, stays ready: it serves all it has, which is what readers need during a
failover. A replica cut off from its primary therefore reports the lag of what it received.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mapserver.web.db import run_query
from mapserver.web.errors import DatabaseUnavailable

LAG = """
SELECT pg_is_in_recovery(),
       CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)
       END::float8
"""


@dataclass(frozen=True)
class Readiness:
    ready: bool
    body: dict[str, Any]


def check(max_lag_s: float) -> Readiness:
    """The database first (nothing else can be checked without it), then the replica's lag."""
    try:
        with run_query(LAG) as cur:
            replica, lag = cur.fetchone()
    except DatabaseUnavailable:
        return Readiness(False, {"status": "unavailable", "failed": "database", "database": "down"})
    ready = lag < max_lag_s
    return Readiness(ready, {
        "status": "ready" if ready else "unavailable", "failed": None if ready else "replica_lag",
        "database": "up", "replica": replica, "replica_lag_s": round(lag, 3), "max_replica_lag_s": max_lag_s})
