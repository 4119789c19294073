"""`GET /api/coverage`: which wards are far from a service (e.g. a vaccination point), as GeoJSON or CSV."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Response

from layers import Layer
from mapserver.accounts.access import get_readable_layer
from mapserver.api import bp as api_bp
from mapserver.api.declare import Param, Setting, choice, number, route, text
from mapserver.api.params import LANG
from mapserver.coverage import query as coverage_sql
from mapserver.web.catalog import published
from mapserver.web.db import copy_csv, db_cursor, run_query
from mapserver.web.errors import InvalidParameter, NotPublished

WARDS = "wards"
_PROVINCE = re.compile(r"^\d{2}$")


@dataclass(frozen=True)
class CoverageParams:
    layer: Layer
    kind: str | None
    province: str | None
    radius: float
    fmt: str


def _layer(slug: str) -> Layer:
    layer = get_readable_layer(slug)
    if layer.slug == WARDS or layer.geometry_types != ("Point",):
        raise InvalidParameter(f"Layer '{slug}' is not a layer of point facilities.",
                               f"Lớp '{slug}' không phải lớp cơ sở dạng điểm.")
    return layer


def _kind(layer: Layer, value: str | None) -> str | None:
    if value is None:
        return None
    kinds = layer.field("kind").values if layer.field("kind") else ()
    if value not in kinds:
        raise InvalidParameter(f"Unknown kind '{value}' for layer {layer.slug}; one of: {', '.join(kinds)}.",
                               f"Loại '{value}' không có trong lớp {layer.slug}; chọn một trong: {', '.join(kinds)}.")
    return value


def _province(raw: str) -> str:
    if not _PROVINCE.match(raw):
        raise InvalidParameter("Parameter 'province' is a two-digit province code, e.g. 79.",
                               "Tham số 'province' là mã tỉnh hai chữ số, ví dụ 79.")
    return raw


PARAMS = (
    text("layer", "Layer of point facilities (e.g. `health`).", max_length=40, required=True),
    text("kind", "Only facilities of this kind (e.g. `vaccination`).", max_length=40),
    Param("province", "Two-digit province code (e.g. `79`, Ho Chi Minh City); default: every ward loaded.",
          {"type": "string", "pattern": _PROVINCE.pattern}, _province),
    number("radius", "Count the facilities within this many metres of each ward's centre.", 1,
           Setting("COVERAGE_RADIUS_MAX"), default=Setting("COVERAGE_RADIUS_DEFAULT")),
    choice("f", "`json` (GeoJSON, default) or `csv`.", ("json", "csv"), "json"),
    LANG,
)


def parse_params(args) -> CoverageParams:
    layer = _layer(args.layer)
    return CoverageParams(layer, _kind(layer, args.kind), args.province, float(args.radius), args.f)


def _tables(layer: Layer) -> tuple[str, str]:
    """The published tables of the wards and of `layer`, in a transaction with JIT off (see coverage_sql)."""
    with db_cursor() as cur:
        cur.execute(coverage_sql.NO_JIT)
        wards, facilities = published(cur, WARDS), published(cur, layer.slug)
    if wards is None or facilities is None:
        raise NotPublished()
    return wards.table_name, facilities.table_name


@route(api_bp, "/coverage", summary="Service coverage per ward", tag="coverage", params=PARAMS,
       media_type="application/geo+json",
       description="For every ward: the nearest matching facility (geodesic distance from the ward's centre, "
                   "metres), how many lie within `radius`, the ward's area; worst served first.")
def coverage(args):
    params = parse_params(args)
    rows = coverage_sql.rows_query(*_tables(params.layer), params.kind, params.province)
    values = {"layer": params.layer.slug, "kind": params.kind, "province": params.province, "radius": params.radius}
    if params.fmt == "csv":
        body = copy_csv(coverage_sql.csv_query(rows), values)
        name = f"coverage-{params.layer.slug}-{params.kind or 'all'}-{params.province or 'all'}.csv"
        response = Response(body, mimetype="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
    else:
        with run_query(coverage_sql.geojson_query(rows), values, raw_text=True) as cur:
            body = cur.fetchone()[0]
        response = Response(body, mimetype="application/geo+json")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
