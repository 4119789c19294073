"""What an upload holds, read before it is loaded: its columns with sample values, the field each one
matches, and the category values that match no code.

The web area stops an upload whose columns or values do not all match at a mapping step built from
this (a clerk cannot answer a refusal she never saw coming). The file is read through the same door as
the load (etl.pipeline.open_upload, the text fixed the same way) and streamed chunk by chunk; nothing
is written anywhere.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from etl import encoding as encoding_mod
from etl import matching
from etl.pipeline import LoadOptions, fixed_text, open_upload
from etl.read import COORDINATE_NAMES
from etl.read import fold_name as fold
from layers import Layer

MAX_SAMPLES = 5  # distinct values shown beside each column
SAMPLE_CHARS = 80
MAX_LISTED_VALUES = 100  # unknown values listed per field, the most frequent first; all are counted
MAX_TRACKED_VALUES = 10_000  # distinct unknown values told apart; beyond, their rows are still counted


@dataclass
class ColumnSurvey:
    name: str
    samples: list[str]
    field: str | None = None  # the field it feeds, as the matcher (or the mapping) has it
    how: str | None = None  # matching.HOW
    coordinate: bool = False  # named as a longitude or latitude: read as coordinates, never as a field


@dataclass
class FieldSurvey:
    name: str
    title: dict[str, str]
    required: bool
    column: str | None
    how: str | None
    settled: bool  # the mapping says the file has no column for it
    allowed: list[dict[str, str]] = field(default_factory=list)  # a category's {code, vi, en}


@dataclass
class ValueSurvey:
    """A column's values that match no code of a category field: they would reject their rows.

    `matched`: the column is the field's. Otherwise the field has no column yet and this one is not
    matched either: if the clerk says it is the field's, its values are known without reading again.
    """

    field: str
    column: str
    matched: bool
    unknown: list[dict[str, object]]  # {value, count}, the most frequent first (then by value), MAX_LISTED_VALUES
    distinct: int  # distinct unknown values; past MAX_TRACKED_VALUES, at least this many
    rows: int  # rows whose value matches no code


@dataclass
class Survey:
    source: str
    rows: int
    columns: list[ColumnSurvey]
    fields: list[FieldSurvey]
    values: list[ValueSurvey]  # every (category field, column) read, with or without unknown values
    missing_required: list[str]
    unmatched_columns: list[str]  # neither matched, nor coordinates, nor known not to be loaded
    complete: bool

    def to_dict(self) -> dict:
        return asdict(self)


class _Unknown:
    """Counts one field's values that match no code, without keeping more than MAX_TRACKED_VALUES."""

    def __init__(self, matcher: matching.ValueMatcher) -> None:
        self.matcher = matcher
        self.counts: Counter[str] = Counter()
        self.rows = 0
        self.untracked = 0  # rows whose value was not told apart

    def add(self, values: pd.Series) -> None:
        for value, count in _clean(values).value_counts(sort=False).items():
            if self.matcher.code(value) is not None:
                continue
            self.rows += int(count)
            if value in self.counts or len(self.counts) < MAX_TRACKED_VALUES:
                self.counts[value] += int(count)
            else:
                self.untracked += int(count)

    def survey(self, name: str, column: str, matched: bool) -> ValueSurvey:
        ranked = sorted(self.counts.items(), key=lambda vc: (-vc[1], vc[0]))[:MAX_LISTED_VALUES]
        listed = [{"value": v, "count": c} for v, c in ranked]
        return ValueSurvey(name, column, matched, listed, len(self.counts) + bool(self.untracked), self.rows)


def _clean(values: pd.Series) -> pd.Series:
    """Values as the load compares them: trimmed NFC text, empty ones left out (they are not categories)."""
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    return text.map(lambda s: s if s.isascii() else unicodedata.normalize("NFC", s))


class _Samples:
    def __init__(self, columns: list[str]) -> None:
        self.values: dict[str, list[str]] = {c: [] for c in columns}

    @property
    def full(self) -> bool:
        return all(len(v) >= MAX_SAMPLES for v in self.values.values())

    def add(self, frame: pd.DataFrame) -> None:
        for column, kept in self.values.items():
            if len(kept) >= MAX_SAMPLES or column not in frame:
                continue
            for value in _clean(frame[column]).drop_duplicates():
                short = value if len(value) <= SAMPLE_CHARS else value[:SAMPLE_CHARS - 1] + "…"
                if short not in kept:
                    kept.append(short)
                if len(kept) >= MAX_SAMPLES:
                    break


def survey_file(layer: Layer, path: Path, options: LoadOptions, ignored_columns: Iterable[str] = ()) -> Survey:
    """Read the whole file (every value is counted) and say whether it would load as it is matched.

    `ignored_columns`: columns the agency said are not loaded; they leave the survey complete.
    `complete`: no required field without a column, no unknown category value, and no column left
    unmatched while a field is also without one (it may be that field under a name nobody listed). A file
    without rows is complete: no mapping would help, and the load refuses it saying so.
    """
    path = Path(path)
    ignored = {fold(c) for c in ignored_columns}
    settled = {name for name, column in options.fields.items() if not column}
    with open_upload(path, layer, options) as (info, batches):
        columns = [str(c) for c in info.fields]
        match = matching.match_columns(layer, columns, options.fields, path.name, ignore=COORDINATE_NAMES,
                                       profile=options.profile_fields)
        unmatched = [c for c in match.unmatched_columns if fold(c) not in ignored]
        counters = _counters(match, matching.value_matchers(layer, options.values, path.name), settled, unmatched)
        samples, rows = _Samples(columns), 0
        for batch in fixed_text(batches, encoding_mod.declared_fix(options.encoding)):
            rows += len(batch.attributes)
            if not samples.full:
                samples.add(batch.attributes)
            for (_name, column), counter in counters.items():
                counter.add(batch.attributes[column])
    values = [c.survey(name, column, match.columns.get(name) == column) for (name, column), c in counters.items()]
    return _survey(layer, path.name, rows, columns, match, samples, values, settled, unmatched)


def _counters(match: matching.ColumnMatch, matchers: dict[str, matching.ValueMatcher], settled: set[str],
              spare: list[str]) -> dict[tuple[str, str], _Unknown]:
    """What to count: each category field's column; for one without a column (and not settled as having none),
    every column left unmatched (`spare`)."""
    pairs = [(name, match.columns[name]) for name in matchers if name in match.columns]
    pairs += [(name, c) for name in matchers if name not in match.columns and name not in settled for c in spare]
    return {(name, column): _Unknown(matchers[name]) for name, column in pairs}


def _survey(layer: Layer, source: str, rows: int, columns: list[str], match: matching.ColumnMatch,
            samples: _Samples, values: list[ValueSurvey], settled: set[str], unmatched: list[str]) -> Survey:
    """`settled`: fields the mapping says the file has no column for; `unmatched`: columns no field took and
    the agency did not say to leave out."""
    fed = {column: name for name, column in match.columns.items()}
    fields = [FieldSurvey(name, _title(layer, name), _required(layer, name), match.columns.get(name),
                          match.how.get(name), name in settled, _allowed(layer, name))
              for name in layer.input_names]
    unsettled = [name for name in match.missing if name not in settled]
    missing_required = match.missing_required(layer)
    return Survey(
        source=source, rows=rows,
        columns=[ColumnSurvey(c, samples.values[c], fed.get(c), match.how.get(fed.get(c, "")),
                              fold(c) in COORDINATE_NAMES) for c in columns],
        fields=fields, values=values, missing_required=missing_required, unmatched_columns=unmatched,
        complete=rows == 0 or (not missing_required and not any(v.matched and v.rows for v in values)
                               and not (unmatched and unsettled)))


def _title(layer: Layer, name: str) -> dict[str, str]:
    fld = layer.field(name)
    return dict(fld.title) if fld else {"vi": "Mã", "en": "Identifier"}


def _required(layer: Layer, name: str) -> bool:
    fld = layer.field(name)
    return bool(fld and fld.required)


def _allowed(layer: Layer, name: str) -> list[dict[str, str]]:
    fld = layer.field(name)
    return [{"code": code, "vi": fld.label(code, "vi"), "en": fld.label(code, "en")}
            for code in (fld.values if fld else ())]
