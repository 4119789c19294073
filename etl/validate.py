"""Repair what can be repaired, reject the rest row by row (etl.matching says which column is which)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from etl import reasons
from etl.matching import Plan
from etl.read import Batch
from etl.report import LoadReport
from layers import Field, Layer

_MULTI = {"Point": "MultiPoint", "LineString": "MultiLineString", "Polygon": "MultiPolygon"}
_SINGLE = {v: k for k, v in _MULTI.items()}
_TO_MULTI = {"Point": shapely.multipoints, "LineString": shapely.multilinestrings, "Polygon": shapely.multipolygons}
VIETNAM = timezone(timedelta(hours=7), "ICT")
_EPSILON = 1e-9  # degrees, ~0.1 mm
_TYPE_ID = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5, "MultiPolygon": 6}


def _is_nfc(text: pa.Array) -> bool:
    """Whether every value is NFC already, from one quick check over the column's bytes.

    A cut through NFC text leaves NFC text, so NFC bytes mean NFC values; files are nearly always NFC,
    and normalising a column that is costs more than the rest of its validation.
    """
    data = text.buffers()[2]
    return data is None or unicodedata.is_normalized("NFC", data.to_pybytes().decode("utf-8", "replace"))


def _text(values: pd.Series) -> pd.Series:
    """Trimmed NFC text with empty as missing, vectorised on Arrow strings (the hot loop of a large load)."""
    text = pa.array(values.astype("str"), type=pa.string(), from_pandas=True)
    if not _is_nfc(text):
        text = pc.utf8_normalize(text, form="NFC")
    text = pc.utf8_trim_whitespace(text)
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return pd.Series(text, dtype="str", index=values.index)


def _parse_each(text: pd.Series, parse) -> pd.Series:
    return text.astype(object).map(lambda s: parse(s) if isinstance(s, str) else None)


def _coerce(values: pd.Series, fld: Field) -> tuple[pd.Series, pd.Series]:
    """Typed values and a mask of rows whose non-empty value could not be converted."""
    if fld.type == "text[]" and values.map(lambda v: isinstance(v, list)).any():
        return _lists(values)
    text = _text(values)
    if fld.type == "text":
        return text, pd.Series(False, index=values.index)
    if fld.type == "text[]":
        parsed = _parse_each(text, lambda s: [p.strip() for p in s.replace(",", ";").split(";") if p.strip()])
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
        parsed = _parse_each(text, lambda s: truth.get(s.lower(), "?"))
        bad = parsed == "?"
        return parsed.where(~bad, None), bad
    if fld.type == "timestamp":
        return _instants(text)
    dates = pd.to_datetime(text, errors="coerce").dt.date
    return dates.astype(object).where(text.notna(), None), text.notna() & dates.isna()


def _lists(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Lists given as lists (a JSON write): kept whole, their items as text; commas inside an item stay."""
    def clean(value):
        items = value if isinstance(value, list) else [value]
        kept = [unicodedata.normalize("NFC", str(v)).strip() for v in items if v is not None and str(v).strip()]
        return kept or None

    bad = values.map(lambda v: isinstance(v, list) and any(isinstance(i, dict | list) for i in v))
    return values.map(lambda v: None if v is None else clean(v)).where(~bad, None), bad


def _instants(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """ISO 8601 instants as UTC; one without an offset is Vietnam's time (UTC+7 all year), as a clerk means it."""
    parsed = _parse_each(text, _instant)
    bad = parsed == "?"
    return parsed.where(~bad, None), bad


def _instant(value: str):
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1) if len(value) > 10 else value)
    except ValueError:
        return "?"
    return (moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)).astimezone(UTC)


def _fix_geometries(geoms: np.ndarray, layer: Layer
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[reasons.Reason | None]]:
    """(geometries, repaired mask, ok mask, reason per rejected row)."""
    why: list[reasons.Reason | None] = [None] * len(geoms)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    geoms = np.where(missing, None, geoms)
    if (shapely.get_coordinate_dimension(geoms) > 2).any():  # Z or M: dropped (a cheap test; force_2d copies)
        geoms = shapely.force_2d(geoms)
    invalid = ~missing & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    for i in np.flatnonzero(missing):
        why[i] = reasons.MISSING_GEOMETRY
    allowed = set(layer.geometry_types)
    kinds = shapely.get_type_id(geoms)
    for kind, make_multi in _TO_MULTI.items():
        promote = (kinds == _TYPE_ID[kind]) & (kind not in allowed) & (_MULTI[kind] in allowed)
        if promote.any():
            geoms[promote] = make_multi(geoms[promote], indices=np.arange(promote.sum()))
    kinds = shapely.get_type_id(geoms)
    allowed_ids = [_TYPE_ID[k] for k in allowed]
    for i in np.flatnonzero(~missing & ~np.isin(kinds, allowed_ids)):
        geoms[i], why[i] = _unify_rare(geoms[i], allowed)
    ok = np.array([r is None for r in why], dtype=bool)
    return geoms, invalid & ok, ok, why


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
    return geom, reasons.geometry_type(kind, allowed)


def validate_batch(batch: Batch, layer: Layer, plan: Plan, area: tuple[float, float, float, float],
                   seen_ids: SeenIds, report: LoadReport) -> pd.DataFrame:
    """Clean rows of one batch as a frame of id, the layer's fields and `geom`; the rest go to the report."""
    rows = np.arange(batch.first_row, batch.first_row + len(batch.attributes))
    geoms, repaired, ok, why = _fix_geometries(np.asarray(batch.geometries, dtype=object), layer)
    for i in np.flatnonzero(~ok):
        report.reject(int(rows[i]), *_geometry_rejection(batch, plan, int(i), why[i]))
    bounds = shapely.bounds(geoms)
    lo, hi = np.subtract(area[:2], _EPSILON), np.add(area[2:], _EPSILON)  # float dirt: 180.00000000000006
    inside = (bounds[:, 0] >= lo[0]) & (bounds[:, 1] >= lo[1]) & (bounds[:, 2] <= hi[0]) & (bounds[:, 3] <= hi[1])
    for i in np.flatnonzero(ok & ~inside):
        report.reject(int(rows[i]), "geometry", _wkt(geoms[i]), reasons.OUTSIDE_AREA)
    ok &= inside
    frame = pd.DataFrame(index=batch.attributes.index)
    frame["id"] = _ids(batch, plan.columns, layer, rows)
    absent = pd.Series(None, index=frame.index, dtype="str")
    for fld in layer.fields:
        source = batch.attributes[plan.columns[fld.name]] if fld.name in plan.columns else absent
        frame[fld.name], bad = _coerce(source, fld)
        for i in np.flatnonzero(ok & bad.to_numpy()):
            report.reject(int(rows[i]), fld.name, source.iloc[i], reasons.bad_type(fld.type, source.iloc[i]))
        ok &= ~bad.to_numpy()
        if fld.name in plan.values:
            ok &= ~_categorise(frame, fld.name, plan, rows, ok, report)
        if fld.required:
            empty = frame[fld.name].isna().to_numpy()
            for i in np.flatnonzero(ok & empty):
                report.reject(int(rows[i]), fld.name, None, reasons.REQUIRED_EMPTY)
            ok &= ~empty
    ok &= _unique(frame["id"], rows, ok, seen_ids, report)
    report.rows_repaired += int((repaired & ok).sum())
    frame["geom"] = geoms
    return frame[ok]


def _geometry_rejection(batch: Batch, plan: Plan, i: int, why: reasons.Reason) -> tuple[str, object, reasons.Reason]:
    """(field, value, reason): a table's row without a point names the coordinate it lacks or could not read."""
    if batch.points is None or why != reasons.MISSING_GEOMETRY:
        return "geometry", None, why
    address = batch.attributes[plan.columns["address"]].iloc[i] if "address" in plan.columns else None
    return batch.points.rejection(i, address)


def _categorise(frame: pd.DataFrame, name: str, plan: Plan, rows: np.ndarray, ok: np.ndarray,
                report: LoadReport) -> np.ndarray:
    """Replace the field's values by their codes; the mask of rows whose value matches none (rejected)."""
    matcher = plan.values[name]
    codes, unknown = matcher.apply(frame[name])
    unknown = unknown.to_numpy()
    for i in np.flatnonzero(ok & unknown):
        value = frame[name].iloc[i]
        report.reject(int(rows[i]), name, value, matcher.reason(value))
    frame[name] = pd.Series(codes, index=frame.index, dtype="str")
    return unknown


def _wkt(geom) -> str:
    """A rejected geometry as the clerk can find it again: short WKT, 6 decimals (10 cm)."""
    text = shapely.to_wkt(geom, rounding_precision=6, trim=True)
    return text if len(text) <= 120 else text[:117] + "..."


def near_duplicates(frame: pd.DataFrame, first_row: int, metres: float, report: LoadReport) -> None:
    """Warn about rows with the same name closer than `metres` (in one chunk: the whole of a usual agency file).

    Names compare trimmed and lower-cased; only rows whose name occurs twice are looked at spatially.
    """
    if "name" not in frame or len(frame) < 2 or metres <= 0:
        return
    names = pc.utf8_trim_whitespace(pc.utf8_lower(pa.array(frame["name"], type=pa.string(), from_pandas=True)))
    codes = pc.fill_null(pc.dictionary_encode(pc.if_else(pc.equal(names, ""), None, names)).indices, -1).to_numpy()
    named = codes >= 0
    candidates = np.flatnonzero(named & (np.bincount(codes[named], minlength=1)[np.maximum(codes, 0)] > 1))
    if len(candidates) < 2:
        return
    geoms = frame["geom"].to_numpy()[candidates]
    points = geoms if (shapely.get_type_id(geoms) == 0).all() else shapely.point_on_surface(geoms)
    x, y = shapely.get_x(points), shapely.get_y(points)
    metres_per_degree = 111_320.0
    reach = metres / (metres_per_degree * max(np.cos(np.radians(np.abs(y).max())), 0.01))
    left, right = shapely.STRtree(points).query(points, predicate="dwithin", distance=reach)
    pairs = (left < right) & (codes[candidates[left]] == codes[candidates[right]])
    left, right = left[pairs], right[pairs]
    dx = (x[left] - x[right]) * metres_per_degree * np.cos(np.radians(y[left]))
    distance = np.hypot(dx, (y[left] - y[right]) * metres_per_degree)
    close = distance <= metres
    rows = frame.index.to_numpy()[candidates] + first_row
    for i, j, d in zip(left[close], right[close], distance[close], strict=True):
        report.near_duplicate(int(rows[i]), int(rows[j]), str(frame["name"].iloc[candidates[i]]), float(d))


def _ids(batch: Batch, mapping: dict[str, str], layer: Layer, rows: np.ndarray) -> pd.Series:
    """Each row's id from the file, or "row-N" (its row number) where it has none."""
    ids = _text(batch.attributes[mapping[layer.id_field]]) if layer.id_field in mapping else None
    if ids is not None and not ids.isna().any():
        return ids
    numbered = pc.binary_join_element_wise("row-", pc.cast(pa.array(rows), pa.string()), "")
    if ids is not None:
        numbered = pc.coalesce(pa.array(ids, type=pa.string(), from_pandas=True), numbered)
    return pd.Series(numbered, dtype="str", index=batch.attributes.index)


class SeenIds:
    """Ids of the chunks already validated, as sorted 64-bit hashes: 8 bytes a row, not a Python string each.

    A hash collision (odds ~1e-8 for a million ids) would reject one row as a duplicate, with its row named
    in the report; the version table's UNIQUE (id) stays the final word.
    """

    def __init__(self) -> None:
        self._hashes = np.empty(0, dtype=np.uint64)

    @staticmethod
    def hashes(ids: pd.Series) -> np.ndarray:
        return pd.util.hash_pandas_object(ids, index=False).to_numpy()

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        at = np.searchsorted(self._hashes, hashes).clip(max=max(len(self._hashes) - 1, 0))
        return self._hashes[at] == hashes if len(self._hashes) else np.zeros(len(hashes), dtype=bool)

    def add(self, hashes: np.ndarray) -> None:
        """Merge new (distinct, unseen) hashes in, keeping the array sorted: linear, unlike np.union1d."""
        new = np.sort(hashes)
        self._hashes = np.insert(self._hashes, np.searchsorted(self._hashes, new), new)


def _unique(ids: pd.Series, rows: np.ndarray, ok: np.ndarray, seen: SeenIds, report: LoadReport) -> np.ndarray:
    """Keep the first valid row of each id; later ones (in this chunk or an earlier one) are rejected."""
    valid = ids[ok]
    hashes = SeenIds.hashes(valid)
    repeated = valid.duplicated().to_numpy() | seen.contains(hashes)
    keep = np.ones(len(ids), dtype=bool)
    positions = np.flatnonzero(ok)[repeated]
    for i in positions:
        report.reject(int(rows[i]), "id", ids.iloc[i], reasons.duplicate_id(ids.iloc[i]))
    keep[positions] = False
    seen.add(hashes[~repeated])
    return keep
