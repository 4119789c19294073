"""A version table's indexes, built after the COPY by two sessions at once.

PostgreSQL 15 builds each index on one core, and a trigram index on the search text of 1M points takes twice as
long as all the others together (6.7 s), so it is built as partial indexes over halves of the rows
(layers.SEARCH_PARTS, by gid), one in each session (3.2 s each, side by side), the other indexes shared out
between the two. A session sees only committed tables: the load commits the table first (see etl.unfinished).

The primary key and UNIQUE (id) are built as unique indexes and attached as constraints at the end:
ALTER TABLE ... ADD PRIMARY KEY would lock the table against the other session for the whole build.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait

from psycopg2 import sql

from common.settings import DEFAULTS
from etl.load import table_ident
from layers import SEARCH_PARTS, Layer, search_part

SESSIONS = 2
# Each session's sort and GIN build memory (the server's default is 64MB; ETL_INDEX_MEMORY, 512MB): at 1M points
# the trigram index built in 7.6 s at 256MB, 6.8 s at 512MB and 6.9 s at 1GB; two sessions hold twice this, for
# the seconds of the build.
MAINTENANCE_WORK_MEM = DEFAULTS["ETL_INDEX_MEMORY"]
# Relative build times at 1M points (btree 0.5 s, GiST 1.6 s, trigram GIN over all rows 6.7 s, the parts sharing it).
_TRIGRAM, _GIST, _LIST_GIN, _BTREE = 13 // SEARCH_PARTS, 3, 3, 1


def _keys(table_name: str) -> tuple[sql.Identifier, sql.Identifier]:
    return sql.Identifier(f"{table_name}_pkey"), sql.Identifier(f"{table_name}_id_key")


def statements(layer: Layer, table_name: str) -> list[tuple[int, sql.Composable]]:
    """(weight, CREATE INDEX) for the keys, the geometry, search and every filterable field. Boxes, tiles
    (geom_3857 needs none: see mapserver.tiles.query), nearest and radius searches (a radius's lon/lat box:
    sql/0013_radius_box.sql) all use gist (geom): an index on (geom::geography) would add 5 s at 1M points.

    Every index is named here: two sessions building at once would each pick PostgreSQL's default name
    (`<table>_geom_idx` for both geometry indexes) without seeing the other's, and one would fail."""
    table = table_ident(table_name)
    pkey, id_key = _keys(table_name)

    def name(suffix: str) -> sql.Identifier:
        return sql.Identifier(f"{table_name}_{suffix}")

    built = [
        (_BTREE, sql.SQL("CREATE UNIQUE INDEX {} ON {} (gid)").format(pkey, table)),
        (_BTREE, sql.SQL("CREATE UNIQUE INDEX {} ON {} (id)").format(id_key, table)),
        (_GIST, sql.SQL("CREATE INDEX {} ON {} USING gist (geom)").format(name("geom"), table)),
    ]
    if layer.searchable:
        built += [(_TRIGRAM, sql.SQL("CREATE INDEX {} ON {} USING gin (search_text gin_trgm_ops) WHERE {}").format(
            name(f"search_{k}"), table, sql.SQL(search_part(k)))) for k in range(SEARCH_PARTS)]
    for fld in layer.filterable:
        method, weight = (sql.SQL("gin"), _LIST_GIN) if fld.type == "text[]" else (sql.SQL("btree"), _BTREE)
        built.append((weight, sql.SQL("CREATE INDEX {} ON {} USING {} ({})").format(
            name(f"by_{fld.name}"), table, method, sql.Identifier(fld.name))))
    return built


def share_out(weighted: list[tuple[int, sql.Composable]], sessions: int = SESSIONS) -> list[list[sql.Composable]]:
    """Heaviest first, each to the least loaded session: the builds end close together."""
    loads, shares = [0] * sessions, [[] for _ in range(sessions)]
    for weight, stmt in sorted(weighted, key=lambda w: -w[0]):
        lightest = loads.index(min(loads))
        loads[lightest] += weight
        shares[lightest].append(stmt)
    return shares


def _run(conn, stmts: list[sql.Composable], memory: str) -> None:
    with conn.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = %s", (memory,))
        for stmt in stmts:
            cur.execute(stmt)
    conn.commit()


def build(conn, other, layer: Layer, table_name: str, memory: str = MAINTENANCE_WORK_MEM) -> None:
    """Build the indexes in two sessions (`other`: `load.sibling`), each with `memory` for its sorts, attach the
    keys, ANALYZE (left to commit)."""
    ours, theirs = share_out(statements(layer, table_name))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="index") as pool:
        other_done = pool.submit(_run, other, theirs, memory)
        try:
            _run(conn, ours, memory)
        except BaseException:
            other.cancel()
            wait([other_done])
            raise
        other_done.result()
    pkey, id_key = _keys(table_name)
    with conn.cursor() as cur:
        cur.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY USING INDEX {},"
                            " ADD CONSTRAINT {} UNIQUE USING INDEX {}").format(
            table_ident(table_name), pkey, pkey, id_key, id_key))
        cur.execute(sql.SQL("ANALYZE {}").format(table_ident(table_name)))
