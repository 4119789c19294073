"""COPY validated rows into a new, immutable version table and index it.

The table is created, filled and indexed inside one transaction, so a failed load leaves
no trace; readers only reach it once `etl.publish` points the catalog at it.
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from psycopg2 import sql

from layers import Field, Layer

SCHEMA = "layer_data"
LOCK_CLASS = 7_311_002  # pg_advisory_lock(class, hashtext(slug)): one load per layer at a time


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
    """The version table: typed fields, WGS84 geometry, generated EPSG:3857 and search columns."""
    gtype = layer.postgis_type
    columns = [sql.SQL("{} {}").format(sql.Identifier(f.name), sql.SQL(f.sql_type)) for f in layer.fields]
    checks = sql.SQL("")
    if len(layer.geometry_types) > 1:
        checks = sql.SQL(", CHECK (GeometryType(geom) IN ({}))").format(
            sql.SQL(", ").join(sql.Literal(t.upper()) for t in layer.geometry_types))
    cur.execute(sql.SQL(
        "CREATE TABLE {table} ("
        " gid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
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
    if fld.type in ("boolean", "date"):
        values = values.to_numpy(dtype=object)
    return pa.array(values, type=_ARROW_TYPES[fld.type], from_pandas=True)


_ARROW_TYPES = {"text": pa.string(), "integer": pa.int64(), "float": pa.float64(), "boolean": pa.bool_(),
                "date": pa.date32(), "text[]": pa.string()}
# Arrow's CSV writer (C++) quotes every string and leaves nulls unquoted, which COPY reads as NULL.
_CSV = pacsv.WriteOptions(include_header=False, quoting_style="needed")


def copy_rows(cur, layer: Layer, table_name: str, frame: pd.DataFrame) -> int:
    """COPY one validated frame (id, fields, geom) in CSV; returns the rows written."""
    if frame.empty:
        return 0
    columns = {"id": pa.array(frame["id"], type=pa.string(), from_pandas=True)}
    for fld in layer.fields:
        columns[fld.name] = _arrow_column(frame[fld.name], fld)
    geoms = shapely.to_wkb(shapely.set_srid(frame["geom"].to_numpy(), 4326), hex=True, include_srid=True)
    columns["geom"] = pa.array(geoms, type=pa.string())
    buf = io.BytesIO()
    pacsv.write_csv(pa.table(columns), buf, _CSV)
    buf.seek(0)
    names = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    cur.copy_expert(sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        table_ident(table_name), names).as_string(cur), buf)
    return len(frame)


def index_statements(layer: Layer, table_name: str) -> list[sql.Composable]:
    """Indexes built after the COPY (faster than maintaining them row by row)."""
    table = table_ident(table_name)
    stmts = [
        sql.SQL("ALTER TABLE {} ADD UNIQUE (id)").format(table),
        sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(table),
        sql.SQL("CREATE INDEX ON {} USING gist (geom_3857)").format(table),
        sql.SQL("CREATE INDEX ON {} USING gist ((geom::geography))").format(table),
    ]
    if layer.searchable:
        stmts.append(sql.SQL("CREATE INDEX ON {} USING gin (search_text gin_trgm_ops)").format(table))
    for fld in layer.filterable:
        method = sql.SQL("gin") if fld.type == "text[]" else sql.SQL("btree")
        stmts.append(sql.SQL("CREATE INDEX ON {} USING {} ({})").format(table, method, sql.Identifier(fld.name)))
    stmts.append(sql.SQL("ANALYZE {}").format(table))
    return stmts


def next_version(cur, layer: Layer) -> int:
    """The next version number; call with the layer's load lock held."""
    cur.execute("SELECT coalesce(max(version), 0) + 1 FROM mapserver.layer_versions WHERE layer_slug = %s",
                (layer.slug,))
    return int(cur.fetchone()[0])
