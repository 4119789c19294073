"""Repair what can be repaired, reject the rest row by row, map columns to the layer's fields."""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import shapely

from etl.errors import LoadRefused
from etl.read import Batch
from etl.report import LoadReport
from layers import Field, Layer

_MULTI = {"Point": "MultiPoint", "LineString": "MultiLineString", "Polygon": "MultiPolygon"}
_SINGLE = {v: k for k, v in _MULTI.items()}
_TO_MULTI = {"Point": shapely.multipoints, "LineString": shapely.multilinestrings, "Polygon": shapely.multipolygons}
_TYPE_ID = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5, "MultiPolygon": 6}


def column_map(layer: Layer, columns: list[str], source: str) -> dict[str, str]:
    """Layer field (and id) -> source column, matched case-insensitively; refuse missing required ones."""
    by_lower = {c.lower(): c for c in columns}
    mapping = {name: by_lower[name] for name in (layer.id_field, *layer.field_names) if name in by_lower}
    missing = [f.name for f in layer.required if f.name not in mapping]
    if missing:
        raise LoadRefused(f"required column(s) missing: {', '.join(missing)}",
                          f"thiếu cột bắt buộc: {', '.join(missing)}", source=source, field=missing[0])
    return mapping


def _text(values: pd.Series) -> pd.Series:
    def norm(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        s = unicodedata.normalize("NFC", str(v)).strip()
        return s or None
    return values.map(norm).astype(object)


def _coerce(values: pd.Series, fld: Field) -> tuple[pd.Series, pd.Series]:
    """Typed values and a mask of rows whose non-empty value could not be converted."""
    text = _text(values)
    if fld.type == "text":
        return text, pd.Series(False, index=values.index)
    if fld.type == "text[]":
        parsed = text.map(lambda s: None if s is None else [p.strip() for p in s.replace(",", ";").split(";")
                                                             if p.strip()])
        return parsed, pd.Series(False, index=values.index)
    if fld.type in ("integer", "float"):
        numbers = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & numbers.isna()
        if fld.type == "integer":
            bad |= numbers.notna() & (numbers != numbers.round())
            numbers = numbers.where(~bad).astype("Int64")
        return numbers, bad
    if fld.type == "boolean":
        truth = {"true": True, "1": True, "yes": True, "co": True, "có": True,
                 "false": False, "0": False, "no": False, "khong": False, "không": False}
        parsed = text.map(lambda s: None if s is None else truth.get(s.lower(), "?"))
        bad = parsed == "?"
        return parsed.where(~bad, None), bad
    dates = pd.to_datetime(text, errors="coerce").dt.date
    return dates.astype(object).where(text.notna(), None), text.notna() & dates.isna()


def _fix_geometries(geoms: np.ndarray, layer: Layer) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str | None]]:
    """(geometries, repaired mask, ok mask, reason per rejected row)."""
    reasons: list[str | None] = [None] * len(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    geoms = shapely.force_2d(np.where(missing, None, geoms))
    invalid = ~missing & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    for i in np.flatnonzero(missing):
        reasons[i] = "empty or missing geometry"
    allowed = set(layer.geometry_types)
    kinds = shapely.get_type_id(geoms)
    for kind, make_multi in _TO_MULTI.items():
        promote = (kinds == _TYPE_ID[kind]) & (kind not in allowed) & (_MULTI[kind] in allowed)
        if promote.any():
            geoms[promote] = make_multi(geoms[promote], indices=np.arange(promote.sum()))
    kinds = shapely.get_type_id(geoms)
    allowed_ids = [_TYPE_ID[k] for k in allowed]
    for i in np.flatnonzero(~missing & ~np.isin(kinds, allowed_ids)):
        geoms[i], reasons[i] = _unify_rare(geoms[i], allowed)
    ok = np.array([r is None for r in reasons], dtype=bool)
    return geoms, invalid & ok, ok, reasons


def _unify_rare(geom, allowed: set[str]):
    """One-part multis for single-type layers, and collections (often from make_valid) with one usable part."""
    kind = geom.geom_type
    if _SINGLE.get(kind) in allowed and len(geom.geoms) == 1:
        return geom.geoms[0], None
    if kind == "GeometryCollection":
        parts = [g for g in geom.geoms if g.geom_type in allowed or _MULTI.get(g.geom_type) in allowed]
        if len(parts) == 1:
            part = parts[0]
            return (part, None) if part.geom_type in allowed else (_TO_MULTI[part.geom_type]([part]), None)
    return geom, f"geometry type {kind} not accepted (expected {', '.join(sorted(allowed))})"


def validate_batch(batch: Batch, layer: Layer, mapping: dict[str, str], area: tuple[float, float, float, float],
                   seen_ids: set[str], report: LoadReport) -> pd.DataFrame:
    """Clean rows of one batch as a frame of id, the layer's fields and `geom`; the rest go to the report."""
    rows = np.arange(batch.first_row, batch.first_row + len(batch.attributes))
    geoms, repaired, ok, reasons = _fix_geometries(np.asarray(batch.geometries, dtype=object), layer)
    for i in np.flatnonzero(~ok):
        report.reject(int(rows[i]), "geometry", reasons[i])
    bounds = shapely.bounds(geoms)
    inside = ((bounds[:, 0] >= area[0]) & (bounds[:, 1] >= area[1])
              & (bounds[:, 2] <= area[2]) & (bounds[:, 3] <= area[3]))
    for i in np.flatnonzero(ok & ~inside):
        report.reject(int(rows[i]), "geometry", "outside the deployment area")
    ok &= inside
    frame = pd.DataFrame(index=batch.attributes.index)
    frame["id"] = _ids(batch, mapping, layer, rows)
    for fld in layer.fields:
        source = batch.attributes[mapping[fld.name]] if fld.name in mapping else pd.Series(None, index=frame.index)
        frame[fld.name], bad = _coerce(source, fld)
        for i in np.flatnonzero(ok & bad.to_numpy()):
            report.reject(int(rows[i]), fld.name, f"not a valid {fld.type}: {source.iloc[i]!r}")
        ok &= ~bad.to_numpy()
        if fld.required:
            empty = frame[fld.name].isna().to_numpy()
            for i in np.flatnonzero(ok & empty):
                report.reject(int(rows[i]), fld.name, "required value is empty")
            ok &= ~empty
    ok &= _unique(frame["id"], rows, ok, seen_ids, report)
    report.rows_repaired += int((repaired & ok).sum())
    frame["geom"] = geoms
    return frame[ok]


def _ids(batch: Batch, mapping: dict[str, str], layer: Layer, rows: np.ndarray) -> pd.Series:
    if layer.id_field in mapping:
        ids = _text(batch.attributes[mapping[layer.id_field]])
        return ids.where(ids.notna(), pd.Series([f"row-{r}" for r in rows], index=ids.index))
    return pd.Series([f"row-{r}" for r in rows], index=batch.attributes.index)


def _unique(ids: pd.Series, rows: np.ndarray, ok: np.ndarray, seen: set[str], report: LoadReport) -> np.ndarray:
    keep = np.ones(len(ids), dtype=bool)
    for i, value in enumerate(ids.to_numpy()):
        if not ok[i]:
            continue
        if value in seen:
            report.reject(int(rows[i]), "id", f"duplicate id {value!r}")
            keep[i] = False
        else:
            seen.add(value)
    return keep
