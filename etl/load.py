"""COPY validated rows into a new, immutable version table.

The table is created and filled in one transaction, then indexed (etl.indexes); readers only reach it
once `etl.publish` points the catalog at it, and a failed load drops it (etl.unfinished).
"""

from __future__ import annotations

import io
import queue
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import pandas as pd
import psycopg2
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from psycopg2 import sql
from psycopg2.extensions import make_dsn

from layers import Field, Layer

SCHEMA = "layer_data"
LOCK_CLASS = 7_311_002  # pg_advisory_lock(class, hashtext(slug)): one load per layer at a time


@contextmanager
def sibling(conn) -> Iterator:
    """A second session on the same database as `conn`, as the same user."""
    other = psycopg2.connect(make_dsn(conn.dsn, password=conn.info.password or None))
    try:
        yield other
    finally:
        other.close()


def table_ident(table_name: str) -> sql.Composed:
    return sql.Identifier(SCHEMA, table_name)


def _search_expression(layer: Layer) -> sql.Composable:
    parts = [
        sql.SQL("coalesce(mapserver.join_text({}), '')").format(sql.Identifier(f.name)) if f.type == "text[]"
        else sql.SQL("coalesce({}, '')").format(sql.Identifier(f.name))
        for f in layer.searchable if f.type in ("text", "text[]")
    ]
    if not parts:
        return sql.SQL("NULL::text")
    return sql.SQL("mapserver.fold({})").format(sql.SQL(" || ' ' || ").join(parts))


def create_version_table(cur, layer: Layer, table_name: str) -> None:
    """The version table: typed fields, WGS84 geometry, generated EPSG:3857 and search columns.

    `gid` is the row's number in the file; its primary key is added after the COPY (etl.indexes), which
    is cheaper than maintaining it row by row.
    """
    gtype = layer.postgis_type
    columns = [sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(f.sql_type)) for f in layer.fields]
    checks = sql.SQL("")
    if len(layer.geometry_types) > 1:
        checks = sql.SQL(", CHECK (GeometryType(geom) IN ({}))").format(
            sql.SQL(", ").join(sql.Literal(t.upper()) for t in layer.geometry_types))
    cur.execute(sql.SQL(
        "CREATE TABLE {table} ("
        " gid bigint NOT NULL,"
        " id text NOT NULL, {columns},"
        " geom geometry({gtype}, 4326) NOT NULL,"
        " geom_3857 geometry({gtype}, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,"
        " search_text text GENERATED ALWAYS AS ({search}) STORED"
        " {checks})"
    ).format(table=table_ident(table_name), columns=sql.SQL(", ").join(columns), gtype=sql.SQL(gtype),
             search=_search_expression(layer), checks=checks))


def _array_literal(values) -> str | None:
    if values is None:
        return None
    quoted = ('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(quoted) + "}"


def _arrow_column(values: pd.Series, fld: Field) -> pa.Array:
    if fld.type == "text[]":
        return pa.array(values.map(_array_literal).to_numpy(), type=pa.string(), from_pandas=True)
    if fld.type in ("boolean", "date", "timestamp"):
        values = values.to_numpy(dtype=object)
    return pa.array(values, type=_ARROW_TYPES[fld.type], from_pandas=True)


_ARROW_TYPES = {"text": pa.string(), "integer": pa.int64(), "float": pa.float64(), "boolean": pa.bool_(),
                "date": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC"), "text[]": pa.string()}
# Arrow's CSV writer (C++) quotes strings where needed and leaves nulls empty, which COPY reads as NULL;
# it writes a timestamp as "2025-05-01 03:04:05.000000Z", which timestamptz reads as UTC.
_CSV = pacsv.WriteOptions(include_header=False, quoting_style="needed")


_POINT_4326 = np.frombuffer(bytes.fromhex("0101000020e6100000"), dtype=np.uint8)  # EWKB header, little-endian
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[np.stack([np.arange(256) >> 4, np.arange(256) & 15], 1)]


def ewkb_hex(geoms: np.ndarray) -> pa.Array:
    """Hex EWKB with SRID 4326, the text COPY gives PostGIS; points are written here, 4x faster than via GEOS."""
    if not (shapely.get_type_id(geoms) == 0).all():
        return pa.array(shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True), type=pa.string())
    raw = np.empty((len(geoms), 25), dtype=np.uint8)
    raw[:, :9] = _POINT_4326
    raw[:, 9:] = shapely.get_coordinates(geoms).astype("<f8").view(np.uint8).reshape(-1, 16)
    offsets = np.arange(0, 50 * len(geoms) + 1, 50, dtype=np.int32)
    return pa.StringArray.from_buffers(len(geoms), pa.py_buffer(offsets), pa.py_buffer(_HEX[raw].tobytes()))


def arrow_rows(layer: Layer, frame: pd.DataFrame, first_row: int) -> pa.Table:
    """One validated frame (id, fields, geom) of a chunk starting at `first_row`, as the columns COPY reads."""
    columns = {"gid": pa.array(frame.index.to_numpy() + first_row, type=pa.int64()),
               "id": pa.array(frame["id"], type=pa.string(), from_pandas=True)}
    for fld in layer.fields:
        columns[fld.name] = _arrow_column(frame[fld.name], fld)
    columns["geom"] = ewkb_hex(frame["geom"].to_numpy())
    return pa.table(columns)


def copy_rows(cur, table_name: str, rows: pa.Table) -> int:
    """COPY rows (`arrow_rows`) in CSV; returns how many."""
    if rows.num_rows == 0:
        return 0
    buf = io.BytesIO()
    pacsv.write_csv(rows, buf, _CSV)
    buf.seek(0)
    names = sql.SQL(", ").join(sql.Identifier(c) for c in rows.column_names)
    cur.copy_expert(sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        table_ident(table_name), names).as_string(cur), buf, size=1 << 20)
    return rows.num_rows


class ParallelCopy:
    """COPY chunks through several sessions at once, one chunk in flight per session.

    PostgreSQL parses the rows and computes the generated columns (the folded search text costs as much
    as the rest) on one core per session, so two sessions keep up with the Python side; the table must
    be committed for the second session to see it. Use as a context manager; `finish` commits.
    """

    def __init__(self, sessions: list, table_name: str):
        self._table_name = table_name
        self._free: queue.SimpleQueue = queue.SimpleQueue()
        for conn in sessions:
            self._free.put(conn)
        self._sessions = sessions
        self._pool = ThreadPoolExecutor(max_workers=len(sessions), thread_name_prefix="copy")
        self._pending: deque[Future] = deque()
        self._rows = 0

    def __enter__(self) -> ParallelCopy:
        return self

    def __exit__(self, *exc) -> None:
        for future in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True)

    def put(self, rows: pa.Table) -> None:
        """Queue a chunk (`arrow_rows`); waits while every session is busy, so memory holds a chunk per session."""
        if len(self._pending) == len(self._sessions):
            self._rows += self._pending.popleft().result()
        self._pending.append(self._pool.submit(self._copy, rows))

    def finish(self) -> int:
        """Wait for every chunk, commit every session; returns the rows copied."""
        while self._pending:
            self._rows += self._pending.popleft().result()
        for conn in self._sessions:
            conn.commit()
        return self._rows

    def _copy(self, rows: pa.Table) -> int:
        conn = self._free.get()
        try:
            with conn.cursor() as cur:
                return copy_rows(cur, self._table_name, rows)
        finally:
            self._free.put(conn)


def next_version(cur, layer: Layer) -> int:
    """The next version number; call with the layer's load lock held."""
    cur.execute("SELECT coalesce(max(version), 0) + 1 FROM mapserver.layer_versions WHERE layer_slug = %s",
                (layer.slug,))
    return int(cur.fetchone()[0])
