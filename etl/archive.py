"""Unpack an uploaded archive (zip, KMZ, GTFS) without letting it write outside its folder or fill the disk.

The sizes a zip declares can lie, so the limits are checked twice: on the central directory before
anything is written, and on the bytes actually inflated while writing.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from etl.errors import LoadRefused

_BLOCK = 1 << 20


@dataclass(frozen=True)
class ArchiveLimits:
    max_uncompressed_bytes: int = 2 * 1024 * 1024 * 1024
    max_ratio: float = 200.0
    max_members: int = 10_000


def _refuse(source: str, en: str, vi: str) -> LoadRefused:
    return LoadRefused(en, vi, source=source)


def _member_path(name: str, source: str) -> PurePosixPath:
    """The member's relative path, refusing `..`, absolute paths and drive letters (zip-slip)."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise _refuse(source, f"the archive contains an unsafe path {name!r} (absolute or with '..')",
                      f"tệp nén chứa đường dẫn không an toàn {name!r} (tuyệt đối hoặc có '..')")
    return path


def _check_directory(infos: list[zipfile.ZipInfo], limits: ArchiveLimits, source: str) -> None:
    if len(infos) > limits.max_members:
        raise _refuse(source, f"the archive has {len(infos)} members, more than the limit of {limits.max_members}",
                      f"tệp nén có {len(infos)} tệp con, vượt giới hạn {limits.max_members}")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    _check_sizes(total, packed, limits, source)


def _check_sizes(total: int, packed: int, limits: ArchiveLimits, source: str) -> None:
    if total > limits.max_uncompressed_bytes:
        raise _refuse(source, f"the archive unpacks to more than {limits.max_uncompressed_bytes} bytes (zip bomb?)",
                      f"tệp nén giải nén ra quá {limits.max_uncompressed_bytes} byte (nghi zip bomb)")
    if total > limits.max_ratio * max(packed, 1) and total > _BLOCK:
        raise _refuse(source, f"the archive expands {total / max(packed, 1):.0f} times, more than the limit of "
                              f"{limits.max_ratio:.0f} (zip bomb?)",
                      f"tệp nén nở ra {total / max(packed, 1):.0f} lần, vượt giới hạn {limits.max_ratio:.0f} "
                      "(nghi zip bomb)")


def open_zip(path: Path) -> zipfile.ZipFile:
    """The archive, or a refusal naming the file when it is not a readable zip."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _refuse(path.name, f"not a valid zip archive ({exc})", f"không phải tệp nén zip hợp lệ ({exc})") from exc


def extract(path: Path, dest: Path, limits: ArchiveLimits) -> list[Path]:
    """Unpack every file member of `path` under `dest`; returns the written files."""
    path, dest = Path(path), Path(dest)
    written: list[Path] = []
    with open_zip(path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        members = [(i, _member_path(i.filename, path.name)) for i in infos]
        _check_directory(infos, limits, path.name)
        inflated = 0
        packed = sum(i.compress_size for i in infos)
        for info, relative in members:
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as src, open(target, "wb") as out:
                    while block := src.read(_BLOCK):
                        inflated += len(block)
                        _check_sizes(inflated, packed, limits, path.name)
                        out.write(block)
            except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as exc:
                raise _refuse(path.name, f"the archive is corrupt at {info.filename!r} ({exc})",
                              f"tệp nén bị hỏng ở {info.filename!r} ({exc})") from exc
            written.append(target)
    return written
