"""One declaration per route and parameter, used both to parse requests and to write /api/openapi.json.

A route is declared once with `route(...)`: the same `Param` objects parse the query string
(400 on anything malformed, repeated or unknown) and describe the parameter in OpenAPI.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, request

from mapserver.web.errors import InvalidParameter
from mapserver.web.state import StaleVersion

MAX_VALUE_CHARS = 1000
STALE_RETRIES = 2
_PATH_PARAM = re.compile(r"{(\w+)}")


class Setting(str):
    """A bound or default read from the app's settings at request time (limits are settings)."""


def _bound(value: Any) -> Any:
    return current_app.config[value] if isinstance(value, Setting) else value


def bad(name: str, en: str, vi: str) -> InvalidParameter:
    return InvalidParameter(f"Parameter '{name}': {en}", f"Tham số '{name}': {vi}")


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    schema: dict[str, Any]
    parse: Callable[[str], Any]
    required: bool = False
    default: Any = None

    def resolved_schema(self) -> dict[str, Any]:
        return {k: _bound(v) for k, v in self.schema.items()}

    def default_value(self) -> Any:
        return _bound(self.default)


def _finite(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise bad(name, f"{raw[:40]!r} is not a number", f"{raw[:40]!r} không phải là số") from None
    if not math.isfinite(value):
        raise bad(name, "must be a finite number", "phải là số hữu hạn")
    return value


def number(name: str, description: str, minimum: float | str, maximum: float | str, *,
           required: bool = False, default: float | str | None = None) -> Param:
    def parse(raw: str) -> float:
        value = _finite(name, raw)
        low, high = _bound(minimum), _bound(maximum)
        if not low <= value <= high:
            raise bad(name, f"must be between {low} and {high}", f"phải nằm trong khoảng {low} đến {high}")
        return value

    schema = {"type": "number", "minimum": minimum, "maximum": maximum}
    if default is not None:
        schema["default"] = default
    return Param(name, description, schema, parse, required, default)


def integer(name: str, description: str, minimum: int, maximum: int | str, *,
            default: int | str | None = None) -> Param:
    def parse(raw: str) -> int:
        if not re.fullmatch(r"[+-]?\d{1,12}", raw.strip()):
            raise bad(name, f"{raw[:40]!r} is not a whole number", f"{raw[:40]!r} không phải là số nguyên")
        value, high = int(raw), _bound(maximum)
        if not minimum <= value <= high:
            raise bad(name, f"must be between {minimum} and {high}", f"phải nằm trong khoảng {minimum} đến {high}")
        return value

    schema = {"type": "integer", "minimum": minimum, "maximum": maximum}
    if default is not None:
        schema["default"] = default
    return Param(name, description, schema, parse, False, default)


def choice(name: str, description: str, values: tuple[str, ...], default: str | None = None) -> Param:
    def parse(raw: str) -> str:
        if raw not in values:
            raise bad(name, f"must be one of {', '.join(values)}", f"phải là một trong {', '.join(values)}")
        return raw

    schema = {"type": "string", "enum": list(values)}
    if default is not None:
        schema["default"] = default
    return Param(name, description, schema, parse, False, default)


def text(name: str, description: str, *, max_length: int = 200, required: bool = False) -> Param:
    def parse(raw: str) -> str:
        value = raw.strip()
        if not value or len(value) > max_length:
            raise bad(name, f"needs 1 to {max_length} characters", f"cần từ 1 đến {max_length} ký tự")
        return value

    return Param(name, description, {"type": "string", "minLength": 1, "maxLength": max_length}, parse, required)


def numbers(name: str, description: str, count: int, parse_values: Callable[[list[float]], Any], *,
            required: bool = False) -> Param:
    """A comma-separated list of exactly `count` finite numbers, checked as a whole by `parse_values`."""
    def parse(raw: str) -> Any:
        parts = raw.split(",")
        if len(parts) != count:
            raise bad(name, f"needs {count} comma-separated numbers", f"cần {count} số cách nhau bởi dấu phẩy")
        return parse_values([_finite(name, p) for p in parts])

    schema = {"type": "array", "minItems": count, "maxItems": count, "items": {"type": "number"}}
    return Param(name, description, schema, parse, required)


def names(name: str, description: str) -> Param:
    """A comma-separated list of names; the view checks them against the layer's fields."""
    def parse(raw: str) -> tuple[str, ...]:
        items = tuple(p.strip() for p in raw.split(",") if p.strip())
        if len(items) > 100:
            raise bad(name, "lists too many names", "liệt kê quá nhiều tên")
        return items

    return Param(name, description, {"type": "array", "items": {"type": "string"}}, parse)


class Args(dict):
    """Parsed query parameters: declared ones by attribute, the rest (equality filters) in `extra`."""

    def __init__(self, values: dict[str, Any], extra: dict[str, str]):
        super().__init__(values)
        self.extra = extra

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def normalized(self) -> str:
        """The query in canonical form, so equal queries share an ETag whatever their spelling."""
        return repr(sorted(self.items())) + repr(sorted(self.extra.items()))


@dataclass
class Route:
    path: str
    summary: str
    description: str
    tag: str
    params: tuple[Param, ...]
    path_params: dict[str, str]
    media_type: str
    filters: str = ""  # how equality filters on filterable properties are described; "" when not accepted
    per_layer_params: Callable[[Any], list[dict[str, Any]]] | None = None
    operation_id: str = field(default="")

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def parse(self, query) -> Args:
        values: dict[str, Any] = {}
        extra: dict[str, str] = {}
        for name in query:
            raws = query.getlist(name)
            if len(raws) > 1:
                raise bad(name, "is given more than once", "bị lặp lại")
            raw = raws[0]
            if "\x00" in raw or "\x00" in name or len(raw) > MAX_VALUE_CHARS:
                raise bad(name[:40], "contains a forbidden character or is too long", "chứa ký tự cấm hoặc quá dài")
            param = self.param(name)
            if param is not None:
                values[name] = param.parse(raw)
            elif self.filters:
                extra[name] = raw
            else:
                raise bad(name[:40], "is not a parameter of this route", "không phải là tham số của đường dẫn này")
        for param in self.params:
            if param.name not in values:
                if param.required:
                    raise bad(param.name, "is required", "là bắt buộc")
                values[param.name] = param.default_value()
        return Args(values, extra)


ROUTES: list[Route] = []


def route(bp: Blueprint, path: str, *, summary: str, description: str = "", tag: str = "features",
          params: tuple[Param, ...] = (), path_params: dict[str, str] | None = None,
          media_type: str = "application/json", filters: str = "",
          per_layer_params: Callable[[Any], list[dict[str, Any]]] | None = None):
    """Register `view(args, **path_values)` on `bp` at `path` (OpenAPI syntax) and record it for the document."""
    def decorate(view):
        spec = Route(path, summary, description, tag, params, path_params or {}, media_type, filters,
                     per_layer_params, view.__name__)
        ROUTES.append(spec)

        def endpoint(**path_values):
            args = spec.parse(request.args)
            for _ in range(STALE_RETRIES):
                try:
                    return view(args, **path_values)
                except StaleVersion:
                    continue  # a publish overtook the version this process remembered; now looked up afresh
            return view(args, **path_values)

        endpoint.__name__ = view.__name__
        endpoint.__doc__ = view.__doc__
        bp.add_url_rule(_PATH_PARAM.sub(r"<\1>", path) or "/", view.__name__, endpoint, methods=["GET"])
        return view

    return decorate
