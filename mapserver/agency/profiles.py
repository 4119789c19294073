"""An agency's import profile for a layer: how its files name the layer's fields and categories.

Saved from the web area's mapping step (or edited on the profile page), it is applied under each upload's
own mapping, so a clerk maps her spreadsheet once, not every month. Its columns are used where a file
has them (etl.matching's `profile`): a file that names a column otherwise is matched as usual, never
refused for the profile's sake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from layers import Layer
from mapserver.web.errors import InvalidParameter


@dataclass(frozen=True)
class Profile:
    fields: dict[str, str] = field(default_factory=dict)  # layer field -> the column the agency's files use
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {value as written: code}
    ignored_columns: tuple[str, ...] = ()  # columns its files carry that are not loaded
    updated_by: str | None = None
    updated_at: datetime | None = None

    @property
    def empty(self) -> bool:
        return not (self.fields or any(self.values.values()) or self.ignored_columns)

    def to_dict(self) -> dict[str, Any]:
        """As the audit log and the job's options record it."""
        return {"fields": self.fields, "values": self.values, "ignored_columns": list(self.ignored_columns)}


def get(cur, layer: Layer) -> Profile | None:
    cur.execute("SELECT p.field_columns, p.value_codes, p.ignored_columns, p.updated_by, p.updated_at "
                "FROM mapserver.import_profiles p JOIN mapserver.agencies a ON a.id = p.agency_id "
                "WHERE a.slug = %s AND p.layer_slug = %s", (layer.agency, layer.slug))
    row = cur.fetchone()
    return Profile(row[0], row[1], tuple(row[2]), row[3], row[4]) if row else None


def put(cur, layer: Layer, profile: Profile, actor: str) -> None:
    cur.execute(
        "INSERT INTO mapserver.import_profiles (agency_id, layer_slug, field_columns, value_codes, ignored_columns, "
        "updated_by) SELECT id, %s, %s, %s, %s, %s FROM mapserver.agencies WHERE slug = %s "
        "ON CONFLICT (agency_id, layer_slug) DO UPDATE SET field_columns = EXCLUDED.field_columns, "
        "value_codes = EXCLUDED.value_codes, ignored_columns = EXCLUDED.ignored_columns, "
        "updated_by = EXCLUDED.updated_by, updated_at = now()",
        (layer.slug, _json(profile.fields), _json(profile.values), _json(list(profile.ignored_columns)), actor,
         layer.agency))


def delete(cur, layer: Layer) -> None:
    cur.execute("DELETE FROM mapserver.import_profiles p USING mapserver.agencies a "
                "WHERE a.id = p.agency_id AND a.slug = %s AND p.layer_slug = %s", (layer.agency, layer.slug))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def check(layer: Layer, profile: Profile) -> None:
    """Refuse a profile naming a field the layer lacks or a code its category lacks (400, both languages)."""
    known = layer.input_names
    unknown = [n for n in (*profile.fields, *profile.values) if n not in known]
    if unknown:
        raise InvalidParameter(f"the layer has no field {unknown[0]!r}; its fields are: {', '.join(known)}",
                               f"lớp không có trường {unknown[0]!r}; các trường của lớp là: {', '.join(known)}")
    for name, codes in profile.values.items():
        allowed = layer.field(name).values if layer.field(name) else ()
        if not allowed:
            raise InvalidParameter(f"{name} has no list of values", f"trường {name} không có danh sách giá trị")
        wrong = [code for code in codes.values() if code not in allowed]
        if wrong:
            raise InvalidParameter(f"{wrong[0]!r} is not a value of {name}; allowed: {', '.join(allowed)}",
                                   f"{wrong[0]!r} không phải giá trị của {name}; được phép: {', '.join(allowed)}")


def still_valid(layer: Layer, profile: Profile) -> Profile:
    """The entries the layer's definition still knows (it may have changed since the profile was saved)."""
    known = layer.input_names
    values = {name: {raw: code for raw, code in codes.items() if code in layer.field(name).values}
              for name, codes in profile.values.items() if layer.field(name)}
    return Profile({n: c for n, c in profile.fields.items() if n in known and c}, values, profile.ignored_columns,
                   profile.updated_by, profile.updated_at)


def merged(under: Profile | None, over: Profile) -> Profile:
    """`over` saved on top of `under`: its choices win, the older values and ignored columns stay."""
    if under is None:
        return over
    names = dict.fromkeys((*under.values, *over.values))
    values = {n: {**under.values.get(n, {}), **over.values.get(n, {})} for n in names}
    ignored = tuple(dict.fromkeys(c for c in (*under.ignored_columns, *over.ignored_columns)
                                  if c not in over.fields.values()))
    return Profile({**under.fields, **over.fields}, values, ignored)


def apply(profile: Profile | None, layer: Layer, options: dict[str, Any]) -> dict[str, Any]:
    """The upload's options with the profile under them: the request's `fields` and `values` win; the profile's
    columns go as `profile_fields` (used where the file has them), its ignored columns as `ignored_columns`."""
    if profile is None:
        return options
    profile = still_valid(layer, profile)
    fields = options.get("fields") or {}
    given = options.get("values") or {}
    values = {n: {**profile.values.get(n, {}), **given.get(n, {})} for n in dict.fromkeys((*profile.values, *given))}
    return {**options, "profile_fields": {n: c for n, c in profile.fields.items() if n not in fields},
               "values": {n: v for n, v in values.items() if v}, "ignored_columns": list(profile.ignored_columns),
               "profile": {"updated_by": profile.updated_by,
                           "updated_at": profile.updated_at.isoformat() if profile.updated_at else None}}
