"""Turn what an agency hands over (a file, a folder, a zip, a KMZ, a GTFS feed, a spreadsheet) into one file GDAL
can read; every table arrives as a UTF-8 CSV (a spreadsheet's sheet and a CSV in a legacy encoding are rewritten).

Checks that need no parsing come first (size, emptiness, the parts of a shapefile), so a bad upload is
refused before any work is done, with a message naming the file.
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from etl import archive, sheets
from etl.errors import LoadRefused

VECTOR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".kml", ".csv", ".fgb", *sheets.SHEET_SUFFIXES)


@dataclass(frozen=True)
class Prepared:
    """The file to read; `gtfs` is the feed's folder when the upload was a GTFS zip."""

    path: Path
    gtfs: Path | None = None


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def check_size(path: Path, max_bytes: int | None) -> None:
    """Refuse an empty upload, and one larger than the configured limit, before reading a byte of it."""
    size = _size(path)
    if size == 0:
        raise LoadRefused("the file is empty", "tệp rỗng", source=path.name)
    if max_bytes and size > max_bytes:
        raise LoadRefused(f"the file is {size} bytes, larger than the limit of {max_bytes} bytes",
                          f"tệp có {size} byte, vượt giới hạn {max_bytes} byte", source=path.name)


def _sibling(shp: Path, suffix: str) -> Path | None:
    return next((p for p in shp.parent.iterdir() if p.stem == shp.stem and p.suffix.lower() == suffix), None)


def _check_shapefile(shp: Path, source: str) -> Path:
    if _sibling(shp, ".dbf") is None:
        raise LoadRefused(f"the shapefile {shp.name} has no .dbf (attribute table); send .shp, .shx, .dbf and .prj",
                          f"shapefile {shp.name} thiếu tệp .dbf (bảng thuộc tính); hãy gửi .shp, .shx, .dbf và .prj",
                          source=source)
    return shp


def _pick_in_folder(folder: Path, source: str, wanted: str | None) -> Path:
    """The one vector file in an unpacked archive or a folder (a shapefile set counts as one file)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in VECTOR_SUFFIXES
                   and not p.name.startswith("."))
    shapefiles = [p for p in files if p.suffix.lower() == ".shp"]
    if not shapefiles and any(p.suffix.lower() == ".dbf" for p in folder.rglob("*")):
        raise LoadRefused("the shapefile has a .dbf but no .shp (the geometries); send .shp, .shx, .dbf and .prj",
                          "shapefile có .dbf nhưng thiếu .shp (dữ liệu hình học); hãy gửi .shp, .shx, .dbf và .prj",
                          source=source)
    candidates = shapefiles or files
    if wanted is not None:
        chosen = [p for p in candidates if p.stem == wanted or p.name == wanted]
        if chosen:
            candidates = chosen
    if not candidates:
        raise LoadRefused("found no map data inside (expected .shp, .gpkg, .geojson, .kml, .csv, .xlsx or .ods)",
                          "không tìm thấy dữ liệu bản đồ bên trong (cần .shp, .gpkg, .geojson, .kml, .csv, .xlsx "
                          "hoặc .ods)",
                          source=source)
    if len(candidates) > 1:
        names = ", ".join(p.name for p in candidates)
        raise LoadRefused(f"several map files inside, choose one with --source-layer: {names}",
                          f"có nhiều tệp bản đồ bên trong, hãy chọn một bằng --source-layer: {names}", source=source)
    chosen_file = candidates[0]
    return _check_shapefile(chosen_file, source) if chosen_file.suffix.lower() == ".shp" else chosen_file


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(source: Path, target: Path, codec: str) -> Path:
    """A UTF-8 copy of a text file in another encoding (GDAL's CSV reader only speaks UTF-8)."""
    with open(source, encoding=codec, errors="replace", newline="") as src, \
            open(target, "w", encoding="utf-8", newline="") as out:
        while block := src.read(1 << 20):
            out.write(block)
    return target


def _is_gtfs(folder: Path) -> bool:
    names = {p.name.lower() for p in folder.rglob("*.txt")}
    return "stops.txt" in names and "routes.txt" in names


@contextmanager
def prepare(path: Path, *, limits: archive.ArchiveLimits, max_bytes: int | None = None,
            wanted: str | None = None, text_codec: str | None = None) -> Iterator[Prepared]:
    """Yield what to read from `path`; anything unpacked or rewritten lives in a temporary folder removed afterwards."""
    path = Path(path)
    check_size(path, max_bytes)
    with _unpacked(path, limits, wanted) as prepared:
        if prepared.gtfs is not None:
            yield prepared
            return
        with _as_table(prepared.path, wanted, text_codec) as readable:
            yield Prepared(readable)


@contextmanager
def _unpacked(path: Path, limits: archive.ArchiveLimits, wanted: str | None) -> Iterator[Prepared]:
    suffix = path.suffix.lower()
    if path.is_dir():
        yield Prepared(_pick_in_folder(path, path.name, wanted))
    elif suffix in (".zip", ".kmz"):
        with tempfile.TemporaryDirectory(prefix="mapserver-etl-") as tmp:
            folder = Path(tmp)
            archive.extract(path, folder, limits)
            if suffix == ".zip" and _is_gtfs(folder):
                yield Prepared(path, gtfs=next(folder.rglob("stops.txt")).parent)
            else:
                yield Prepared(_pick_in_folder(folder, path.name, wanted))
    elif suffix == ".shp":
        yield Prepared(_check_shapefile(path, path.name))
    elif suffix == ".dbf":
        raise LoadRefused("a .dbf alone has no geometries; send the .shp with it (zipped or as a folder)",
                          "tệp .dbf không có dữ liệu hình học; hãy gửi kèm .shp (nén zip hoặc cả thư mục)",
                          source=path.name)
    else:
        yield Prepared(path)


@contextmanager
def _as_table(path: Path, wanted: str | None, text_codec: str | None) -> Iterator[Path]:
    """A spreadsheet as CSV, a CSV in legacy bytes as UTF-8 (GDAL's CSV reader only speaks UTF-8); else `path`."""
    suffix = path.suffix.lower()
    if suffix not in sheets.SHEET_SUFFIXES and (suffix != ".csv" or _is_utf8(path)):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="mapserver-etl-") as tmp:
        if suffix in sheets.SHEET_SUFFIXES:
            yield sheets.to_csv(path, Path(tmp), wanted)
        else:  # TCVN3, VNI, cp1258...: read as `text_codec` (Latin-1 keeps every byte for etl.encoding)
            yield _transcode(path, Path(tmp) / path.name, text_codec or "latin-1")
