"""Equality filters, `properties=` and `sortby=` checked against the layer's declared fields."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from layers import Field, Layer
from mapserver.api.declare import bad

_SCHEMA_TYPES = {"text": "string", "integer": "integer", "float": "number", "boolean": "boolean",
                 "date": "string", "text[]": "string"}


def _typed(fld: Field, raw: str) -> Any:
    """The filter value as the column's type, or a 400 naming the field."""
    try:
        if fld.type == "integer":
            if not re.fullmatch(r"[+-]?\d{1,10}", raw) or abs(int(raw)) > 2**31 - 1:
                raise ValueError
            return int(raw)
        if fld.type == "float":
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
            return value
        if fld.type == "boolean":
            return {"true": True, "false": False}[raw.lower()]
        if fld.type == "date":
            return dt.date.fromisoformat(raw)
    except (ValueError, KeyError):
        raise bad(fld.name, f"{raw[:40]!r} is not a valid {fld.type}",
                  f"{raw[:40]!r} không phải là giá trị {fld.type} hợp lệ") from None
    if fld.values and raw not in fld.values:
        raise bad(fld.name, f"must be one of {', '.join(fld.values)}", f"phải là một trong {', '.join(fld.values)}")
    return raw


def parse_filters(layer: Layer, extra: dict[str, str]) -> dict[str, Any]:
    """Every parameter the route does not declare must be a filterable property of the layer."""
    filters = {}
    for name, raw in extra.items():
        fld = layer.field(name)
        if fld is None or not fld.filterable:
            raise bad(name[:40], "is neither a parameter of this route nor a filterable property of the layer",
                      "không phải là tham số của đường dẫn này hay thuộc tính lọc được của lớp")
        filters[name] = _typed(fld, raw)
    return filters


def parse_properties(layer: Layer, names: tuple[str, ...] | None) -> tuple[str, ...]:
    if names is None:
        return layer.field_names
    unknown = [n for n in names if layer.field(n) is None]
    if unknown:
        raise bad("properties", f"unknown property {unknown[0][:40]!r}", f"không có thuộc tính {unknown[0][:40]!r}")
    return names


def sortable(layer: Layer) -> tuple[str, ...]:
    return ("id", *(f.name for f in layer.fields if f.type != "text[]"))


def parse_sortby(layer: Layer, names: tuple[str, ...] | None) -> tuple[tuple[str, bool], ...]:
    """`name`, `+name` ascending, `-name` descending; only the layer's sortable properties."""
    keys = []
    for item in names or ():
        name, descending = item.lstrip("+-"), item.startswith("-")
        if name not in sortable(layer):
            raise bad("sortby", f"cannot sort by {name[:40]!r}; sortable: {', '.join(sortable(layer))}",
                      f"không sắp xếp được theo {name[:40]!r}; có thể: {', '.join(sortable(layer))}")
        keys.append((name, descending))
    return tuple(keys)


def json_schema(fld: Field, lang: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": fld.title.get(lang, fld.title["vi"]), "type": _SCHEMA_TYPES[fld.type]}
    if fld.type == "date":
        schema["format"] = "date"
    if fld.values:
        schema["enum"] = list(fld.values)
    return schema


def openapi_params(layer: Layer) -> list[dict[str, Any]]:
    """The layer's filterable properties as OpenAPI query parameters."""
    return [{"name": f.name, "in": "query", "required": False, "style": "form", "explode": False,
             "description": f"Only features whose `{f.name}` " + ("contains" if f.type == "text[]" else "equals")
             + f" this value ({f.title['en']}).", "schema": json_schema(f, "en")}
            for f in layer.filterable]
