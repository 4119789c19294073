"""Match a file's columns and category values to a layer's fields as people write them.

A clerk's spreadsheet says `Tên cơ sở`, `Loại hình` and `Điểm tiêm chủng`; the layer says `name`, `kind`
and `vaccination`. Names, titles, aliases and labels are compared folded (case, accents, đ = d, spaces,
underscores and dots), and an explicit mapping (CLI `--field`/`--value`, the API's JSON, an agency's
saved import profile) settles what folding cannot. A category value that matches nothing rejects its
row: a code no filter knows would hide the row from every citizen who filters.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from etl import reasons
from etl.errors import LoadRefused
from etl.read import fold_name as fold
from layers import Field, Layer

# How a field found its column, strongest first: an explicit mapping wins over the agency's saved import
# profile, which wins over the field's name, then its titles, then its aliases.
HOW = ("mapping", "profile", "name", "title", "alias")


@dataclass
class ColumnMatch:
    columns: dict[str, str]  # layer field (or the id field) -> the file's column
    how: dict[str, str]  # layer field -> one of HOW
    unmatched_columns: list[str]
    missing: list[str]  # layer fields with no column

    def missing_required(self, layer: Layer) -> list[str]:
        return [f.name for f in layer.required if f.name not in self.columns]


def _keys(layer: Layer, name: str) -> dict[str, set[str]]:
    """The folded names a field answers to, per kind of match."""
    fld = layer.field(name)
    if fld is None:  # the id field
        return {"name": {fold(name)}, "title": set(), "alias": {fold(a) for a in layer.id_aliases}}
    return {"name": {fold(name)}, "title": {fold(t) for t in fld.title.values()},
            "alias": {fold(a) for a in fld.aliases}}


def _find_column(wanted: str, columns: list[str]) -> str | None:
    if wanted in columns:
        return wanted
    folded = [c for c in columns if fold(c) == fold(wanted)]
    return folded[0] if len(folded) == 1 else None


def _explicit_column(wanted: str, columns: list[str], source: str) -> str:
    found = _find_column(wanted, columns)
    if found is not None:
        return found
    listed = ", ".join(columns)
    raise LoadRefused(f"the mapping names the column {wanted!r}, which the file does not have; its columns are: "
                      f"{listed}",
                      f"ánh xạ chỉ định cột {wanted!r} nhưng tệp không có cột này; các cột của tệp là: {listed}",
                      source=source, field=wanted)


def _check_fields(layer: Layer, names: Iterable[str], source: str) -> None:
    known = layer.input_names
    unknown = [n for n in names if n not in known]
    if unknown:
        raise LoadRefused(f"the mapping names unknown field(s) {', '.join(unknown)}; the layer's fields are: "
                          f"{', '.join(known)}",
                          f"ánh xạ chỉ định trường không có: {', '.join(unknown)}; các trường của lớp là: "
                          f"{', '.join(known)}", source=source, field=unknown[0])


def _from_profile(layer: Layer, columns: list[str], profile: Mapping[str, str | None] | None,
                  taken: Mapping[str, str]) -> dict[str, str]:
    """The profile's columns this file has: a profile is kept for the agency's next files, and a file that
    names a column otherwise (or lacks it) is matched as usual rather than refused for it."""
    known = layer.input_names
    found = {}
    for name, wanted in (profile or {}).items():
        column = _find_column(wanted, columns) if wanted and name in known and name not in taken else None
        if column is not None and column not in (*taken.values(), *found.values()):
            found[name] = column
    return found


def match_columns(layer: Layer, columns: list[str], explicit: Mapping[str, str | None] | None = None,
                  source: str = "", ignore: Iterable[str] = (),
                  profile: Mapping[str, str | None] | None = None) -> ColumnMatch:
    """Each field's column; `explicit` maps a field to a column (None or "": the file has none for it).

    `ignore`: columns that are not fields (the coordinates), left out of the unmatched ones.
    `profile`: the agency's saved field -> column, used where this file has that column.
    """
    explicit = dict(explicit or {})
    _check_fields(layer, explicit, source)
    mapped = {f: _explicit_column(c, columns, source) for f, c in explicit.items() if c}
    how = dict.fromkeys(mapped, "mapping")
    saved = _from_profile(layer, columns, profile, {**dict.fromkeys(explicit, ""), **mapped})
    mapped.update(saved)
    how.update(dict.fromkeys(saved, "profile"))
    wanted = [n for n in layer.input_names if n not in explicit and n not in saved]
    keys = {n: _keys(layer, n) for n in wanted}
    free = [c for c in columns if c not in mapped.values()]
    for kind in HOW[2:]:
        for name in wanted:
            if name in mapped:
                continue
            column = next((c for c in free if fold(c) in keys[name][kind]), None)
            if column is not None:
                mapped[name], how[name] = column, kind
                free.remove(column)
    skip = {fold(c) for c in ignore}
    return ColumnMatch(columns=mapped, how=how, unmatched_columns=[c for c in free if fold(c) not in skip],
                       missing=[n for n in layer.field_names if n not in mapped])


def require_columns(match: ColumnMatch, layer: Layer, columns: list[str], source: str) -> None:
    """Refuse a file without a column for a required field, naming the columns it has and the way out."""
    missing = match.missing_required(layer)
    if not missing:
        return
    en = ", ".join(f"{n} ({layer.field(n).title['en']})" for n in missing)
    vi = ", ".join(f"{n} ({layer.field(n).title['vi']})" for n in missing)
    listed = ", ".join(columns) or "(none)"
    example = f'--field {missing[0]}="..."'
    raise LoadRefused(f"required column(s) missing: {en}; the file's columns are: {listed}; name the column "
                      f"with {example} (or \"fields\" in the API)",
                      f"thiếu cột bắt buộc: {vi}; các cột của tệp là: {listed}; hãy chỉ định cột bằng {example} "
                      f"(hoặc \"fields\" trong API)", source=source, field=missing[0])


@dataclass
class ValueMatcher:
    """One category field's folded codes, labels and aliases -> code, plus the explicit ones."""

    layer: Layer
    fld: Field
    lookup: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, layer: Layer, fld: Field, explicit: Mapping[str, str] | None = None,
              source: str = "") -> ValueMatcher:
        matcher = cls(layer, fld)
        for code in fld.values:
            names = (code, *fld.labels.get(code, {}).values(), *fld.value_aliases.get(code, ()))
            matcher.lookup.update((fold(n), code) for n in names)
        for raw, target in (explicit or {}).items():
            code = matcher.code(target)
            if code is None:
                raise LoadRefused(f"the value mapping sends {raw!r} to {target!r}, which is not a {fld.name}; "
                                  f"allowed: {', '.join(fld.values)}",
                                  f"ánh xạ giá trị chuyển {raw!r} thành {target!r}, không phải giá trị của "
                                  f"{fld.name}; được phép: {', '.join(fld.values)}", source=source, field=fld.name)
            matcher.lookup[fold(raw)] = code
        return matcher

    def code(self, value: str) -> str | None:
        return self.lookup.get(fold(value))

    def apply(self, text: pd.Series) -> tuple[pd.Series, pd.Series]:
        """(codes, mask of non-empty values that match none), folding each distinct value once."""
        positions, uniques = pd.factorize(text, use_na_sentinel=True)
        codes = pd.Series([self.code(u) for u in uniques] + [None], dtype=object)
        mapped = pd.Series(codes.to_numpy()[positions], index=text.index, dtype=object)
        return mapped, text.notna() & mapped.isna()

    def reason(self, value: str) -> reasons.Reason:
        allowed = {code: {lang: self.fld.label(code, lang) for lang in ("vi", "en")} for code in self.fld.values}
        return reasons.not_a_category(value, self.fld.title, self.layer.title, allowed)


def value_matchers(layer: Layer, explicit: Mapping[str, Mapping[str, str]] | None = None,
                   source: str = "") -> dict[str, ValueMatcher]:
    """A matcher for every field with a list of values; refuses explicit values for fields without one."""
    explicit = dict(explicit or {})
    _check_fields(layer, explicit, source)
    plain = [name for name in explicit if not (layer.field(name) and layer.field(name).values)]
    if plain:
        raise LoadRefused(f"the value mapping names {', '.join(plain)}, which has no list of values",
                          f"ánh xạ giá trị chỉ định {', '.join(plain)}, trường này không có danh sách giá trị",
                          source=source, field=plain[0])
    return {f.name: ValueMatcher.build(layer, f, explicit.get(f.name), source) for f in layer.fields if f.values}


@dataclass
class Plan:
    """How a file's rows become a layer's rows: which column feeds each field, how its values are read."""

    columns: dict[str, str]
    values: dict[str, ValueMatcher]


def plan(layer: Layer, columns: list[str], fields: Mapping[str, str | None] | None = None,
         values: Mapping[str, Mapping[str, str]] | None = None, source: str = "",
         ignore: Iterable[str] = (), profile: Mapping[str, str | None] | None = None) -> tuple[Plan, ColumnMatch]:
    """The plan for a load, refusing a file that lacks a required field; the match says how it was found."""
    match = match_columns(layer, columns, fields, source, ignore, profile)
    require_columns(match, layer, columns, source)
    return Plan(match.columns, value_matchers(layer, values, source)), match
