"""The database made ready for this code: migrations, the catalog's agencies and layers, the live layers' tables.

One call, so that `mapserver db migrate`, the tests' databases and the benchmarks' are brought up alike.
"""

from __future__ import annotations

from common.migrations import apply_migrations, sync_catalog
from etl.live.store import ensure_live_layers
from layers import Layer


def bring_up(conn, catalog: dict[str, Layer]) -> list[str]:
    """Apply pending migrations, record the catalog, create the live layers; return the migrations applied."""
    applied = apply_migrations(conn)
    sync_catalog(conn, catalog)
    ensure_live_layers(conn, catalog)
    return applied
