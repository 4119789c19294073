"""The mapping step's form: read the clerk's choices against the job's survey (etl.survey), check them,
and turn them into the options of the load and the import profile to save.

Form names carry positions in the survey (`column-3`, `value-0-7`), never a column's or a value's text,
which may hold any character a spreadsheet allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from layers import Layer
from mapserver.agency.i18n import lang, t
from mapserver.agency.profiles import Profile


@dataclass
class Choices:
    columns: dict[int, str]  # survey column position -> field chosen ("" : not loaded)
    codes: dict[tuple[int, int], str]  # (survey values position, value position) -> code ("" : reject the rows)
    errors: list[str] = field(default_factory=list)


def proposed(survey: Mapping[str, Any]) -> Choices:
    """What the form shows first: the matcher's fields, every unknown value's rows rejected."""
    return Choices({i: c["field"] or "" for i, c in enumerate(survey["columns"]) if not c["coordinate"]}, {})


def read(layer: Layer, survey: Mapping[str, Any], form: Mapping[str, str]) -> Choices:
    """The submitted choices, with what is wrong with them in the reader's language."""
    known = layer.input_names
    columns = {i: form.get(f"column-{i}", "") for i, c in enumerate(survey["columns"]) if not c["coordinate"]}
    columns = {i: name if name in known else "" for i, name in columns.items()}
    codes = {}
    for j, pair in enumerate(survey["values"]):
        allowed = layer.field(pair["field"]).values
        for k in range(len(pair["unknown"])):
            code = form.get(f"value-{j}-{k}", "")
            codes[(j, k)] = code if code in allowed else ""
    choices = Choices(columns, codes)
    choices.errors = _errors(layer, survey, choices)
    return choices


def _errors(layer: Layer, survey: Mapping[str, Any], choices: Choices) -> list[str]:
    errors = []
    by_field: dict[str, list[str]] = {}
    for i, name in choices.columns.items():
        if name:
            by_field.setdefault(name, []).append(survey["columns"][i]["name"])
    for name, names in by_field.items():
        if len(names) > 1:
            errors.append(t("mapping_twice", field=title(layer, name), columns=", ".join(names)))
    errors += [t("mapping_required", field=title(layer, f.name)) for f in layer.required if f.name not in by_field]
    return errors


def title(layer: Layer, name: str) -> str:
    fld = layer.field(name)
    return fld.title[lang()] if fld else t("id_field")


def fields_of(layer: Layer, survey: Mapping[str, Any], choices: Choices) -> dict[str, str | None]:
    """Every field's column as chosen, None for the fields given none: the load matches nothing on its own."""
    chosen = {name: survey["columns"][i]["name"] for i, name in choices.columns.items() if name}
    return {name: chosen.get(name) for name in layer.input_names}


def values_of(survey: Mapping[str, Any], choices: Choices, fields: Mapping[str, str | None]) -> dict:
    """The codes chosen for the values of each category field's chosen column."""
    values: dict[str, dict[str, str]] = {}
    for (j, k), code in choices.codes.items():
        pair = survey["values"][j]
        if code and fields.get(pair["field"]) == pair["column"]:
            values.setdefault(pair["field"], {})[pair["unknown"][k]["value"]] = code
    return values


def unsurveyed(layer: Layer, survey: Mapping[str, Any], fields: Mapping[str, str | None]) -> bool:
    """Whether a category field now reads a column whose values the survey did not count: the load should be
    surveyed again (and stop again if they do not match), rather than reject rows nobody was shown."""
    read_pairs = {(v["field"], v["column"]) for v in survey["values"]}
    return any(fields.get(f.name) and (f.name, fields[f.name]) not in read_pairs for f in layer.fields if f.values)


def load_options(layer: Layer, job_options: Mapping[str, Any], survey: Mapping[str, Any],
                 choices: Choices) -> dict[str, Any]:
    """The job's options for its load with the clerk's mapping, on top of what the upload had."""
    fields = fields_of(layer, survey, choices)
    given = job_options.get("values") or {}
    chosen = values_of(survey, choices, fields)
    values = {n: {**given.get(n, {}), **chosen.get(n, {})} for n in dict.fromkeys((*given, *chosen))}
    kept = {k: v for k, v in job_options.items() if k not in ("profile_fields", "fields", "values")}
    return {**kept, "fields": fields, "values": values, "confirm_mapping": unsurveyed(layer, survey, fields),
            "ignored_columns": ignored_columns(survey, choices)}


def ignored_columns(survey: Mapping[str, Any], choices: Choices) -> list[str]:
    return [survey["columns"][i]["name"] for i, name in choices.columns.items() if not name]


def profile_of(layer: Layer, survey: Mapping[str, Any], choices: Choices) -> Profile:
    """What the agency's next files will be read with: the columns chosen, the codes chosen (rejected values
    are not remembered: the next file that has them stops again), the columns not loaded."""
    fields = fields_of(layer, survey, choices)
    return Profile({n: c for n, c in fields.items() if c}, values_of(survey, choices, fields),
                   tuple(ignored_columns(survey, choices)))
