"""Attribute text in legacy Vietnamese encodings (TCVN3/ABC, VNI) turned into Unicode NFC.

Old shapefiles carry TCVN3 or VNI bytes in their .dbf, with no .cpg or a wrong one; GDAL then reads
them as Latin-1 ("Bệnh viện" arrives as "BÖnh viÖn" or "Beänh vieän"). The tables and the detector
are viparse's (checked against known words in tests/etl/test_encoding.py); detection looks at a sample
of the first chunk's text once, and the verdict applies to the whole file.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import pandas as pd
from viparse.normalize.detector import detect_encoding_by_content
from viparse.normalize.encodings import get_charmap
from viparse.normalize.tables import convert

from etl.errors import LoadRefused

LEGACY = {"tcvn3": "tcvn3", "abc": "tcvn3", "tcvn": "tcvn3", "vni": "vni"}
MOJIBAKE = "utf-8 read as latin-1"
_SAMPLE_CHARS = 20_000


@dataclass(frozen=True)
class TextFix:
    """How to fix a file's text: `name` is what the report says; None means the text is fine as it is."""

    name: str | None = None

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.name is None:
            return frame
        for column in _text_columns(frame):
            frame[column] = frame[column].map(self._fix_one)
        return frame

    def _fix_one(self, value):
        if not isinstance(value, str) or value.isascii():
            return value
        if self.name == MOJIBAKE:
            return unicodedata.normalize("NFC", value.encode("latin-1").decode("utf-8"))
        return convert(value, get_charmap(self.name))


def gdal_encoding(declared: str | None, source: str) -> str | None:
    """What GDAL should decode the file's bytes as: Latin-1 (byte for byte) for the legacy tables, else as told."""
    if declared is None:
        return None
    if declared.lower() in LEGACY:
        return "ISO-8859-1"
    try:
        "".encode(declared)
    except LookupError as exc:
        raise LoadRefused(f"unknown encoding {declared!r}; use tcvn3, vni, utf-8, cp1258 or latin-1",
                          f"bảng mã không xác định {declared!r}; dùng tcvn3, vni, utf-8, cp1258 hoặc latin-1",
                          source=source) from exc
    return declared


def declared_fix(declared: str | None) -> TextFix | None:
    """The fix `--encoding` asks for, or None when the file's text should be detected."""
    if declared is None:
        return None
    return TextFix(LEGACY.get(declared.lower()))


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]


def _sample(frame: pd.DataFrame) -> list[str]:
    values: list[str] = []
    size = 0
    for column in _text_columns(frame):
        for value in frame[column].dropna():
            if isinstance(value, str) and not value.isascii():
                values.append(value)
                size += len(value)
                if size > _SAMPLE_CHARS:
                    return values
    return values


def _is_mojibake(values: list[str]) -> bool:
    try:
        return all(v.encode("latin-1").decode("utf-8") != v for v in values)
    except (UnicodeEncodeError, UnicodeDecodeError):
        return False


def detect(frame: pd.DataFrame) -> TextFix:
    """Look at the non-ASCII text of a chunk and say whether it is TCVN3, VNI or UTF-8 misread as Latin-1."""
    values = _sample(frame)
    if not values:
        return TextFix()
    if _is_mojibake(values):
        return TextFix(MOJIBAKE)
    candidates = {name: get_charmap(name) for name in ("tcvn3", "vni")}
    verdict = detect_encoding_by_content(" ".join(values), candidates)
    return TextFix(verdict.encoding)
