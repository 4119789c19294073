"""Read and check the declarative layer definitions.

The catalog is the only door to a table: a URL segment or CLI argument is looked up
here, and every SQL identifier is taken from a `Layer`, never from a request.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
AGENCIES_FILE = Path(__file__).parent / "agencies.toml"

SQL_TYPES = {
    "text": "text",
    "integer": "integer",
    "float": "double precision",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamptz",
    "text[]": "text[]",
}
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
VISIBILITIES = {"public", "internal"}
RESERVED_COLUMNS = {"gid", "fid", "geom", "geom_3857", "search_text", "revision", "expired"}
# A live layer's features are valid for a window: these two fields say when (etl/live/store.py).
VALIDITY = ("valid_from", "valid_to")
# The trigram index on search_text is SEARCH_PARTS partial indexes, one per remainder of gid: PostgreSQL 15 builds
# a GIN index on one core, and the parts build side by side (etl/indexes.py); search names every part in its
# WHERE, so that the planner takes them all (mapserver/features/query/search.py).
SEARCH_PARTS = 2
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

_LAYER_KEYS = {
    "slug", "sector", "agency", "visibility", "geometry", "id_field", "min_zoom", "max_zoom",
    "title", "description", "fields", "style", "id_aliases", "live",
}
_FIELD_KEYS = {"name", "type", "required", "filterable", "searchable", "values", "title", "aliases", "labels",
               "value_aliases"}


class CatalogError(ValueError):
    """A layer definition is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    title: dict[str, str]
    required: bool = False
    filterable: bool = False
    searchable: bool = False
    values: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other column names agencies give this field (etl.matching folds them)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # value code -> {vi, en}
    value_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # value code -> how people write it

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]

    def label(self, code: str, lang: str) -> str:
        """A value's label in `lang`, the code itself when the definition gives none."""
        return self.labels.get(code, {}).get(lang, code)


@dataclass(frozen=True)
class Layer:
    slug: str
    sector: str
    agency: str
    visibility: str
    geometry_types: tuple[str, ...]
    id_field: str
    title: dict[str, str]
    description: dict[str, str]
    fields: tuple[Field, ...]
    style: dict[str, Any] = field(default_factory=dict)
    min_zoom: int = 0
    max_zoom: int = 22
    id_aliases: tuple[str, ...] = ()
    live: bool = False  # written feature by feature (OGC API - Features Part 4), not by whole versions

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def input_names(self) -> tuple[str, ...]:
        """The id and the fields: every name a file's column can feed (and a mapping can name)."""
        return (self.id_field, *self.field_names)

    @property
    def filterable(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.filterable)

    @property
    def searchable(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.searchable)

    @property
    def required(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.required)

    @property
    def postgis_type(self) -> str:
        """One type when the layer has one, else the generic type with a CHECK in the table."""
        return self.geometry_types[0] if len(self.geometry_types) == 1 else "Geometry"

    def version_table(self, version: int) -> str:
        return f"{self.slug}_v{version}"

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title["vi"]


def search_part(k: int) -> str:
    """Part k's rows of the search index, as SQL: the partial index's predicate, and search's test."""
    return f"mod(gid, {SEARCH_PARTS}) = {k}"


def _require(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise CatalogError(f"{where}: {message}")


def _check_keys(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    _require(not unknown, where, f"unknown key(s) {', '.join(unknown)}")


def _bilingual(value: Any, where: str) -> dict[str, str]:
    _require(isinstance(value, dict) and {"vi", "en"} <= set(value), where, "needs both 'vi' and 'en'")
    return {k: str(v) for k, v in value.items()}


def _strings(value: Any, where: str) -> tuple[str, ...]:
    _require(isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value), where,
             "must be a list of non-empty strings")
    return tuple(value)


def _per_value(data: dict, key: str, values: tuple[str, ...], where: str) -> dict:
    table = data.get(key, {})
    _require(isinstance(table, dict), where, f"{key} must be a table keyed by value")
    unknown = sorted(set(table) - set(values))
    _require(not unknown, where, f"{key} for value(s) not in values: {', '.join(unknown)}")
    return table


def _parse_field(data: dict, where: str) -> Field:
    _check_keys(data, _FIELD_KEYS, where)
    name = data.get("name", "")
    _require(bool(_NAME.match(name)), where, f"field name {name!r} must be lower_snake_case")
    _require(name not in RESERVED_COLUMNS, where, f"field name {name!r} is reserved")
    _require(data.get("type") in SQL_TYPES, where, f"field {name!r} type must be one of {sorted(SQL_TYPES)}")
    values = tuple(data.get("values", ()))
    here = f"{where} field {name!r}"
    return Field(
        name=name,
        type=data["type"],
        title=_bilingual(data.get("title"), f"{here} title"),
        required=bool(data.get("required", False)),
        filterable=bool(data.get("filterable", False)),
        searchable=bool(data.get("searchable", False)),
        values=values,
        aliases=_strings(data.get("aliases", []), f"{here} aliases"),
        labels={code: _bilingual(label, f"{here} labels.{code}")
                for code, label in _per_value(data, "labels", values, here).items()},
        value_aliases={code: _strings(names, f"{here} value_aliases.{code}")
                       for code, names in _per_value(data, "value_aliases", values, here).items()},
    )


def parse_layer(data: dict, where: str) -> Layer:
    """Build a `Layer` from one definition's TOML table, refusing anything unexpected."""
    _check_keys(data, _LAYER_KEYS, where)
    slug = data.get("slug", "")
    _require(bool(_NAME.match(slug)), where, f"slug {slug!r} must be lower_snake_case")
    geometry = tuple(data.get("geometry", ()))
    _require(bool(geometry) and set(geometry) <= GEOMETRY_TYPES, where,
             f"geometry must list types of {sorted(GEOMETRY_TYPES)}")
    visibility = data.get("visibility", "public")
    _require(visibility in VISIBILITIES, where, f"visibility must be one of {sorted(VISIBILITIES)}")
    fields = tuple(_parse_field(f, f"{where} fields[{i}]") for i, f in enumerate(data.get("fields", ())))
    names = [f.name for f in fields]
    _require(len(names) == len(set(names)), where, "duplicate field names")
    _require(data.get("id_field", "id") not in names, where, "id_field must not also be a field")
    live = bool(data.get("live", False))
    _require(not live or all(any(f.name == v and f.type == "timestamp" for f in fields) for v in VALIDITY), where,
             "a live layer needs the fields valid_from and valid_to of type timestamp")
    min_zoom, max_zoom = int(data.get("min_zoom", 0)), int(data.get("max_zoom", 22))
    _require(0 <= min_zoom <= max_zoom <= 22, where, "zoom range must satisfy 0 <= min_zoom <= max_zoom <= 22")
    return Layer(
        slug=slug,
        sector=str(data.get("sector", slug)),
        agency=str(data.get("agency", "")),
        visibility=visibility,
        geometry_types=geometry,
        id_field=str(data.get("id_field", "id")),
        title=_bilingual(data.get("title"), f"{where} title"),
        description=_bilingual(data.get("description"), f"{where} description"),
        fields=fields,
        style=dict(data.get("style", {})),
        min_zoom=min_zoom,
        max_zoom=max_zoom,
        id_aliases=_strings(data.get("id_aliases", []), f"{where} id_aliases"),
        live=live,
    )


def load_catalog(directory: Path = DEFINITIONS_DIR) -> dict[str, Layer]:
    """Read every `*.toml` in `directory` into a dict keyed by slug."""
    catalog: dict[str, Layer] = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as fh:
            layer = parse_layer(tomllib.load(fh), path.name)
        _require(layer.slug not in catalog, path.name, f"slug {layer.slug!r} defined twice")
        catalog[layer.slug] = layer
    return catalog


def load_agencies(path: Path = AGENCIES_FILE) -> list[dict[str, Any]]:
    """The agencies that own the built-in layers, as `{slug, name: {vi, en}}`."""
    with path.open("rb") as fh:
        agencies = tomllib.load(fh).get("agencies", [])
    for a in agencies:
        _bilingual(a.get("name"), f"{path.name} agency {a.get('slug')!r} name")
    return agencies
