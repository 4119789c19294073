"""Stream a vector file as Arrow batches through GDAL (pyogrio), never whole in memory.

A table (a CSV, or a spreadsheet etl.sources turned into one) is read as text, and its points are built
from its coordinate columns by etl.coordinates, which reads them as people write them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely

from etl import coordinates, wkb
from etl.errors import LoadRefused

# Coordinate column names, folded (lower case, no accents, đ -> d, runs of other characters -> "_").
CSV_X_NAMES = ("lon", "lng", "long", "longitude", "x", "kinh_do", "kinhdo", "kd", "stop_lon", "x_coord", "easting")
CSV_Y_NAMES = ("lat", "latitude", "y", "vi_do", "vido", "vd", "stop_lat", "y_coord", "northing")
COORDINATE_NAMES = (*CSV_X_NAMES, *CSV_Y_NAMES)  # read as coordinates, never as a field
MULTI_LAYER_DRIVERS = ("KML", "LIBKML")  # one layer per <Folder>: the file is read as a whole
_TABLE = {"AUTODETECT_TYPE": "NO"}  # every column as text, coordinates included (etl.coordinates reads them)
# GeoPackage's Arrow reader reads ahead on worker threads: ~25 MB more at peak for no speed on a load, whose
# other cores are busy validating and copying.
_GDAL_CONFIG = {"OGR_GPKG_NUM_THREADS": "1"}


@dataclass
class Batch:
    """A chunk of rows: attributes, shapely geometries, and the 1-based number of its first row.

    `points`: for a table, why each row without a point has none (its coordinate columns stay in `attributes`,
    as the file wrote them, for the rejected rows' file).
    """

    first_row: int
    attributes: pd.DataFrame
    geometries: shapely.GeometryType
    points: coordinates.Points | None = None


@dataclass
class SourceInfo:
    path: Path
    layers: list[str | None]
    crs: str | None
    fields: list[str]
    feature_count: int | None
    coordinate_columns: tuple[str, str] | None = None  # a table's (x, y) columns


def fold_name(name: str) -> str:
    """A column name as people mean it: "Kinh độ", "KINH_DO" and "kinh do" all fold to "kinh_do"."""
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def coordinate_columns(fields: list[str], source: str) -> tuple[str, str]:
    """The names of a table's x and y columns, or a refusal listing the columns there are."""
    folded = {fold_name(f): f for f in fields}
    x = next((folded[n] for n in CSV_X_NAMES if n in folded), None)
    y = next((folded[n] for n in CSV_Y_NAMES if n in folded), None)
    if x is None or y is None:
        columns = ", ".join(fields) or "(none)"
        raise LoadRefused(f"no recognisable coordinate columns (lon/lat, x/y, kinh_do/vi_do, \"kinh độ\"/\"vĩ độ\"); "
                          f"the columns are: {columns}",
                          f"không nhận ra cột tọa độ (lon/lat, x/y, kinh_do/vi_do, \"kinh độ\"/\"vĩ độ\"); "
                          f"các cột là: {columns}", source=source)
    return x, y


def _is_table(path: Path) -> bool:
    return path.suffix.lower() == ".csv"


def _pick_layers(path: Path, layer: str | None) -> list[str | None]:
    try:
        layers = pyogrio.list_layers(path)
    except Exception as exc:  # GDAL raises several types for unreadable files
        raise LoadRefused(f"cannot open the file: {exc}", f"không mở được tệp: {exc}", source=path.name) from exc
    names = [str(n) for n, _ in layers]
    if layer is not None:
        if layer not in names:
            raise LoadRefused(f"no layer {layer!r}; the file has: {', '.join(names)}",
                              f"không có lớp {layer!r}; tệp có: {', '.join(names)}", source=path.name)
        return [layer]
    if len(names) > 1 and pyogrio.read_info(path, layer=names[0])["driver"] in MULTI_LAYER_DRIVERS:
        return names
    if len(names) > 1:
        raise LoadRefused(f"the file has several layers, choose one with --source-layer: {', '.join(names)}",
                          f"tệp có nhiều lớp, hãy chọn một bằng --source-layer: {', '.join(names)}", source=path.name)
    return names[:1] or [None]


def _shapefile_fallback_encoding(shp: Path) -> str | None:
    """Latin-1 for a .dbf with neither .cpg nor language byte: GDAL would otherwise pass its bytes through raw,
    and legacy TCVN3/VNI or misread UTF-8 could not be recognised afterwards (etl.encoding)."""
    if any(p.stem == shp.stem and p.suffix.lower() == ".cpg" for p in shp.parent.iterdir()):
        return None
    dbf = next((p for p in shp.parent.iterdir() if p.stem == shp.stem and p.suffix.lower() == ".dbf"), None)
    if dbf is None:
        return None
    with open(dbf, "rb") as fh:
        header = fh.read(32)
    return "ISO-8859-1" if len(header) == 32 and header[29] == 0 else None


@contextmanager
def open_source(path: Path, *, layer: str | None = None, batch_rows: int = 25_000, encoding: str | None = None):
    """Yield (SourceInfo, iterator of Batch) for one layer of a file GDAL can read (every folder of a KML)."""
    path = Path(path)
    layers = _pick_layers(path, layer)
    options = dict(_TABLE) if _is_table(path) else {}
    if path.suffix.lower() == ".shp":
        encoding = encoding or _shapefile_fallback_encoding(path)
        if encoding:
            options["encoding"] = encoding
    infos = [pyogrio.read_info(path, layer=name, **options) for name in layers]
    fields = list(dict.fromkeys(str(f) for i in infos for f in i["fields"]))
    xy = coordinate_columns(fields, path.name) if _is_table(path) else None
    if xy is None and all(i.get("geometry_type") is None for i in infos):
        raise LoadRefused("the file has no geometry", "tệp không có dữ liệu hình học", source=path.name)
    counts = [int(i.get("features") if i.get("features") is not None else -1) for i in infos]
    count = sum(counts) if min(counts) >= 0 else None  # None: the driver cannot tell without reading
    info = SourceInfo(path, layers, infos[0].get("crs"), fields, count, xy)
    yield info, _all_batches(path, layers, fields, batch_rows, options, xy)


def _all_batches(path: Path, layers: list[str | None], fields: list[str], batch_rows: int, options: dict,
                 xy: tuple[str, str] | None):
    pyogrio.set_gdal_config_options(_GDAL_CONFIG)
    first = 1
    for name in layers:
        arrow = pyogrio.raw.open_arrow(path, layer=name, batch_size=batch_rows, use_pyarrow=True, **options)
        with arrow as (meta, reader):
            for batch in _batches(reader, meta["geometry_name"] or "wkb_geometry", first, xy):
                if len(layers) > 1:
                    batch.attributes = batch.attributes.reindex(columns=fields)
                first += len(batch.attributes)
                yield batch


def _batches(reader, geometry_column: str, first: int, xy: tuple[str, str] | None) -> Iterator[Batch]:
    for record_batch in reader:
        if geometry_column in record_batch.schema.names:
            geoms = wkb.geometries(record_batch.column(geometry_column))
            record_batch = record_batch.drop_columns([geometry_column])
        else:
            geoms = np.full(record_batch.num_rows, None, dtype=object)
        table = record_batch.to_pandas()
        if xy is None:
            yield Batch(first, table, geoms)
        else:
            points = coordinates.points(table, xy)
            yield Batch(first, table, points.geometries, points)
        first += len(table)
