"""GeoJSON Features from an agency's system, checked the way the ETL checks a file's rows.

The features become one batch of etl.validate (geometry repaired or refused, inside the deployment's area,
values typed, categories matched through the layer's value aliases), so a write and an upload of the same
feature meet the same rules and the same words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import shapely

from etl import matching
from etl.read import Batch
from etl.report import LoadReport, Rejection
from etl.validate import SeenIds, validate_batch
from layers import Layer

MAX_ID_CHARS = 200


@dataclass(frozen=True)
class Problem:
    """Why a feature was refused: where (`features[2].properties.kind`), and why in both languages."""

    where: str
    en: str
    vi: str


class InvalidFeatures(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.where}: {p.en}" for p in problems))
        self.problems = problems


def _text(value: Any) -> str | list | None:
    """A JSON value as the text a file's cell would hold."""
    if value is None or isinstance(value, str | list):
        return value  # a list stays one (etl.validate keeps its items whole)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return "\x00"  # an object: no field takes one, the typed check refuses it


def _shape(feature: Any, where: str, layer: Layer) -> tuple[Any, list[Problem]]:
    """The feature's members checked and its geometry read; problems instead of an exception."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, [Problem(where, "must be a GeoJSON Feature", "phải là một Feature GeoJSON")]
    problems = []
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        return None, [Problem(f"{where}.properties", "must be an object", "phải là một đối tượng")]
    for name in props:
        if layer.field(name) is None:
            problems.append(Problem(f"{where}.properties.{str(name)[:40]}", "is not a field of this layer",
                                    "không phải là trường của lớp này"))
    try:
        geometry = shapely.from_geojson(json.dumps(feature.get("geometry")))
    except (shapely.errors.GEOSException, ValueError, TypeError):
        geometry = None
    if geometry is None:
        problems.append(Problem(f"{where}.geometry", "is missing or not a GeoJSON geometry",
                                "thiếu hoặc không phải là hình học GeoJSON"))
    return geometry, problems


def _problem(rejection: Rejection, prefix: str) -> Problem:
    where = f"{prefix}[{rejection.row - 1}]" if prefix else "feature"
    member = "geometry" if rejection.field == "geometry" else f"properties.{rejection.field}"
    if rejection.field == "id":
        member = "id"
    return Problem(f"{where}.{member}", rejection.reason, rejection.reason_vi)


def validated(layer: Layer, features: list[dict], ids: list[str], area: tuple[float, float, float, float],
              prefix: str = "") -> pd.DataFrame:
    """A frame of id, the layer's fields and `geom`, one row per feature in order; InvalidFeatures otherwise.

    `prefix`: how the answer names the features (`features` in a FeatureCollection, none for one Feature)."""
    problems, geometries, rows = [], [], []
    for i, (feature, fid) in enumerate(zip(features, ids, strict=True)):
        geometry, found = _shape(feature, f"{prefix}[{i}]" if prefix else "feature", layer)
        problems += found
        geometries.append(geometry)
        rows.append({"id": fid, **{k: _text(v) for k, v in (feature.get("properties") or {}).items()}}
                    if isinstance(feature, dict) else {"id": fid})
    if problems:
        raise InvalidFeatures(problems)
    columns = [layer.id_field, *layer.field_names]
    # built cell by cell, a missing property None: a frame reindexed, cast and masked took 1.3 ms of a write
    attributes = pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=columns, dtype=object)
    plan, _ = matching.plan(layer, columns, fields={n: n for n in columns})
    report = LoadReport(layer=layer.slug, source="api")
    frame = validate_batch(Batch(1, attributes, shapely.from_wkb(shapely.to_wkb(geometries))), layer, plan, area,
                           SeenIds(), report)
    if report.rows_rejected:
        raise InvalidFeatures([_problem(r, prefix) for r in report.rejections])
    return frame
