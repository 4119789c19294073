"""Stream a vector file as Arrow batches through GDAL (pyogrio), never whole in memory."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyogrio
import shapely

from etl.errors import LoadRefused

# Column names GDAL's CSV driver should take as coordinates, in order of preference.
CSV_X_NAMES = ("lon", "lng", "long", "longitude", "x", "kinh_do", "kinhdo")
CSV_Y_NAMES = ("lat", "latitude", "y", "vi_do", "vido")


@dataclass
class Batch:
    """A chunk of rows: attributes, shapely geometries, and the 1-based number of its first row."""

    first_row: int
    attributes: pd.DataFrame
    geometries: shapely.GeometryType


@dataclass
class SourceInfo:
    path: Path
    layer: str | None
    crs: str | None
    fields: list[str]
    feature_count: int


def _open_options(path: Path) -> dict:
    if path.suffix.lower() == ".csv":
        return {"X_POSSIBLE_NAMES": ",".join(CSV_X_NAMES), "Y_POSSIBLE_NAMES": ",".join(CSV_Y_NAMES),
                "KEEP_GEOM_COLUMNS": "NO", "AUTODETECT_TYPE": "NO"}
    return {}


def _pick_layer(path: Path, layer: str | None) -> str | None:
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # GDAL raises several types for unreadable files
        raise LoadRefused(f"cannot open the file: {exc}", f"không mở được tệp: {exc}", source=path.name) from exc
    names = [str(n) for n, _ in layers]
    if layer is not None:
        if layer not in names:
            raise LoadRefused(f"no layer {layer!r}; the file has: {', '.join(names)}",
                              f"không có lớp {layer!r}; tệp có: {', '.join(names)}", source=path.name)
        return layer
    if len(names) > 1:
        raise LoadRefused(f"the file has several layers, choose one: {', '.join(names)}",
                          f"tệp có nhiều lớp, hãy chọn một: {', '.join(names)}", source=path.name)
    return names[0] if names else None


@contextmanager
def open_source(path: Path, *, layer: str | None = None, batch_rows: int = 50_000):
    """Yield (SourceInfo, iterator of Batch) for one layer of a file GDAL can read."""
    path = Path(path)
    layer = _pick_layer(path, layer)
    options = _open_options(path)
    info_raw = pyogrio.read_info(path, layer=layer, **options)
    if info_raw.get("geometry_type") is None:
        raise LoadRefused("the file has no geometry (for a CSV: no recognisable coordinate columns such as lon/lat)",
                          "tệp không có dữ liệu hình học (với CSV: không nhận ra cột tọa độ như lon/lat)",
                          source=path.name)
    info = SourceInfo(path, layer, info_raw.get("crs"), [str(f) for f in info_raw["fields"]],
                      int(info_raw.get("features") or 0))
    arrow = pyogrio.raw.open_arrow(path, layer=layer, batch_size=batch_rows, use_pyarrow=True, **options)
    with arrow as (meta, reader):
        yield info, _batches(reader, meta["geometry_name"] or "wkb_geometry")


def _batches(reader, geometry_column: str) -> Iterator[Batch]:
    first = 1
    for record_batch in reader:
        table = record_batch.to_pandas()
        wkb = table.pop(geometry_column) if geometry_column in table else pd.Series([None] * len(table))
        yield Batch(first, table, shapely.from_wkb(wkb.to_numpy(), on_invalid="ignore"))
        first += len(table)
