"""`GET /api/coverage`: which wards are far from a service (e.g. a vaccination point), as GeoJSON or CSV."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, request

from layers import Layer
from mapserver import coverage_sql
from mapserver.access import get_readable_layer
from mapserver.catalog import published
from mapserver.db import copy_csv, db_cursor, run_query
from mapserver.errors import InvalidParameter, NotPublished

bp = Blueprint("coverage", __name__)
WARDS = "wards"
_PROVINCE = re.compile(r"^\d{2}$")


@dataclass(frozen=True)
class CoverageParams:
    layer: Layer
    kind: str | None
    province: str | None
    radius: float
    fmt: str


def _layer(slug: str | None) -> Layer:
    if not slug:
        raise InvalidParameter("Parameter 'layer' is required (e.g. layer=health).",
                               "Thiếu tham số 'layer' (ví dụ layer=health).")
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


def _radius(value: str | None) -> float:
    cfg = current_app.config
    maximum = float(cfg["COVERAGE_RADIUS_MAX"])
    try:
        radius = float(value) if value is not None else float(cfg["COVERAGE_RADIUS_DEFAULT"])
    except ValueError:
        radius = -1.0
    if not 0 < radius <= maximum:
        raise InvalidParameter(f"Parameter 'radius' must be metres between 0 and {maximum:g}.",
                               f"Tham số 'radius' phải là số mét trong khoảng 0 đến {maximum:g}.")
    return radius


def parse_params() -> CoverageParams:
    args = request.args
    layer = _layer(args.get("layer"))
    province = args.get("province")
    if province is not None and not _PROVINCE.match(province):
        raise InvalidParameter("Parameter 'province' is a two-digit province code, e.g. 79.",
                               "Tham số 'province' là mã tỉnh hai chữ số, ví dụ 79.")
    fmt = args.get("f", "json")
    if fmt not in ("json", "csv"):
        raise InvalidParameter("Parameter 'f' is json or csv.", "Tham số 'f' là json hoặc csv.")
    return CoverageParams(layer, _kind(layer, args.get("kind")), province, _radius(args.get("radius")), fmt)


def _tables(layer: Layer) -> tuple[str, str]:
    """The published tables of the wards and of `layer`, in a transaction with JIT off (see coverage_sql)."""
    with db_cursor() as cur:
        cur.execute(coverage_sql.NO_JIT)
        wards, facilities = published(cur, WARDS), published(cur, layer.slug)
    if wards is None or facilities is None:
        raise NotPublished()
    return wards.table_name, facilities.table_name


@bp.get("/api/coverage")
def coverage():
    params = parse_params()
    rows = coverage_sql.rows_query(*_tables(params.layer), params.kind, params.province)
    values = {"layer": params.layer.slug, "kind": params.kind, "province": params.province, "radius": params.radius}
    if params.fmt == "csv":
        body = copy_csv(coverage_sql.csv_query(rows), values)
        name = f"coverage-{params.layer.slug}-{params.kind or 'all'}-{params.province or 'all'}.csv"
        response = Response(body, mimetype="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
    else:
        with run_query(coverage_sql.geojson_query(rows), values) as cur:
            body = cur.fetchone()[0]
        response = Response(body, mimetype="application/geo+json")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
