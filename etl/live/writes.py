"""Create, replace, update and delete one feature of a live layer: each write is one transaction.

A write takes the event lock (etl.live.events), checks the caller's revision, writes the row, appends
the revision (who, what, old and new), the change event and the audit row, and commits them together:
no write without its event, no event without its write. The lock also orders concurrent writes to one
feature, so of two PATCHes made against the same revision one wins and the other finds it stale.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import psycopg2.extras
import shapely
from psycopg2 import sql

from common import audit
from etl.live import events
from etl.live.features import MAX_ID_CHARS, InvalidFeatures, Problem, validated
from etl.live.store import feature_json, live_table
from etl.load import table_ident
from layers import Layer

Area = tuple[float, float, float, float]
IDEMPOTENCY_KEEP_HOURS = 24


@dataclass(frozen=True)
class Actor:
    """Who writes, as the audit log names them."""

    name: str
    agency: str | None = None
    client_addr: str | None = None


@dataclass(frozen=True)
class Written:
    feature_id: str
    revision: int
    event_id: int
    feature: dict[str, Any] | None  # the Feature after the write; None after a delete


class WriteRefused(Exception):
    """A write that cannot be done as asked; `kind` says why (the web side picks the status)."""

    def __init__(self, kind: str, en: str, vi: str):
        super().__init__(en)
        self.kind, self.en, self.vi = kind, en, vi


def _missing(fid: str) -> WriteRefused:
    return WriteRefused("missing", f"There is no feature {fid[:80]!r} in this layer.",
                        f"Lớp này không có đối tượng {fid[:80]!r}.")


def _stale(current: int) -> WriteRefused:
    return WriteRefused("stale", f"The feature has changed since (its revision is now {current}); read it again.",
                        f"Đối tượng đã thay đổi (phiên bản hiện tại là {current}); hãy đọc lại.")


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's key for one POST, and what that POST asked (a reused key with another body is refused)."""

    key: str
    request_sha256: str

    @classmethod
    def of(cls, key: str, body: bytes) -> IdempotencyKey:
        return cls(key, hashlib.sha256(body).hexdigest())


def _columns(layer: Layer) -> list[str]:
    return ["id", *layer.field_names]


def _row_values(layer: Layer, frame: pd.DataFrame, i: int) -> list[Any]:
    row = frame.iloc[i]
    values = [None if not isinstance(v, list) and pd.isna(v) else v for v in (row[c] for c in _columns(layer))]
    return [*values, shapely.to_wkb(row["geom"], hex=True, include_srid=False)]


def _insert(cur, layer: Layer, values: list[Any], revision: int) -> dict:
    names = [*_columns(layer), "geom", "revision"]
    cur.execute(sql.SQL("INSERT INTO {} AS t ({}) VALUES ({}, ST_GeomFromWKB(decode(%s, 'hex'), 4326), %s) "
                        "RETURNING {}").format(
        table_ident(live_table(layer)), sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.SQL(", ").join(sql.Placeholder() * len(_columns(layer))), feature_json(layer)), [*values, revision])
    return cur.fetchone()[0]


def _update(cur, layer: Layer, values: list[Any], revision: int) -> dict:
    sets = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(n)) for n in _columns(layer)[1:])
    cur.execute(sql.SQL("UPDATE {} AS t SET {}, geom = ST_GeomFromWKB(decode(%s, 'hex'), 4326), revision = %s, "
                        "expired = false WHERE t.id = %s RETURNING {}").format(
        table_ident(live_table(layer)), sets, feature_json(layer)), [*values[1:], revision, values[0]])
    return cur.fetchone()[0]


def current(cur, layer: Layer, fid: str) -> tuple[dict, int] | None:
    """The feature and its revision, locked for this transaction."""
    cur.execute(sql.SQL("SELECT {}, t.revision FROM {} t WHERE t.id = %s FOR UPDATE").format(
        feature_json(layer), table_ident(live_table(layer))), (fid,))
    row = cur.fetchone()
    return (row[0], int(row[1])) if row else None


def _revise(cur, layer: Layer, fid: str, action: str, actor: Actor, old: dict | None, new: dict | None,
            revision: int | None = None) -> int:
    revision = _next_revision(cur) if revision is None else revision
    cur.execute("INSERT INTO mapserver.live_revisions (revision, layer_slug, feature_id, action, actor, old, new) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (revision, layer.slug, fid, action, actor.name, _json(old), _json(new)))
    return revision


def _json(value: dict | None):
    return None if value is None else psycopg2.extras.Json(value)


def _record(cur, layer: Layer, actor: Actor, action: str, written: Written) -> None:
    audit.record(cur, actor=actor.name, action=f"feature.{action}", result="ok",
                 target=f"{layer.slug}/{written.feature_id}", agency=layer.agency, client_addr=actor.client_addr,
                 details={"revision": written.revision, "event": written.event_id})


def _next_revision(cur) -> int:
    cur.execute("SELECT nextval('mapserver.live_revisions_revision_seq')")
    return int(cur.fetchone()[0])


def _create_one(cur, layer: Layer, frame: pd.DataFrame, i: int, actor: Actor) -> Written:
    values = _row_values(layer, frame, i)
    fid = values[0]
    cur.execute(sql.SQL("SELECT 1 FROM {} WHERE id = %s").format(table_ident(live_table(layer))), (fid,))
    if cur.fetchone():
        raise WriteRefused("exists", f"A feature {fid[:80]!r} exists already: replace it with PUT.",
                           f"Đã có đối tượng {fid[:80]!r}: hãy thay thế bằng PUT.")
    revision = _next_revision(cur)
    new = _insert(cur, layer, values, revision)
    _revise(cur, layer, fid, "create", actor, None, new, revision)
    written = Written(fid, revision, events.add_event(cur, layer.slug, fid, "create", revision, new), new)
    _record(cur, layer, actor, "create", written)
    return written


def _ids_of(features: list[Any]) -> list[str]:
    """The ids clients gave (as text), a new UUID where they gave none."""
    ids = []
    for i, feature in enumerate(features):
        given = feature.get("id") if isinstance(feature, dict) else None
        if given is not None and (not isinstance(given, str | int) or isinstance(given, bool)
                                  or not str(given).strip() or len(str(given)) > MAX_ID_CHARS):
            raise InvalidFeatures([Problem(f"features[{i}].id", f"must be a string of 1 to {MAX_ID_CHARS} characters",
                                           f"phải là chuỗi từ 1 đến {MAX_ID_CHARS} ký tự")])
        ids.append(str(given).strip() if given is not None else str(uuid.uuid4()))
    return ids


def _replayed(cur, actor: Actor, layer: Layer, key: IdempotencyKey) -> list[Written] | None:
    cur.execute("SELECT layer_slug, request_sha256, body FROM mapserver.idempotency_keys WHERE actor = %s AND key = %s",
                (actor.name, key.key))
    row = cur.fetchone()
    if row is None:
        return None
    if row[0] != layer.slug or row[1] != key.request_sha256:
        raise WriteRefused("key_reused", "This Idempotency-Key was used for another request.",
                           "Idempotency-Key này đã được dùng cho một yêu cầu khác.")
    return [Written(**w) for w in json.loads(row[2])]


def _remember(cur, actor: Actor, layer: Layer, key: IdempotencyKey, written: list[Written]) -> None:
    cur.execute("DELETE FROM mapserver.idempotency_keys WHERE at < now() - make_interval(hours => %s)",
                (IDEMPOTENCY_KEEP_HOURS,))
    cur.execute("INSERT INTO mapserver.idempotency_keys (actor, key, layer_slug, request_sha256, status, body) "
                "VALUES (%s, %s, %s, %s, 201, %s)",
                (actor.name, key.key, layer.slug, key.request_sha256, json.dumps([asdict(w) for w in written])))


def create(conn, layer: Layer, features: list[dict], actor: Actor, area: Area, *, prefix: str = "",
           key: IdempotencyKey | None = None) -> tuple[list[Written], bool]:
    """New features, all or none; (written, replayed): a retried POST with its key gets the first answer."""
    ids = _ids_of(features)
    frame = validated(layer, features, ids, area, prefix)  # before the lock: checks cost more than the write
    with conn, conn.cursor() as cur:
        events.lock_events(cur)
        if key is not None and (earlier := _replayed(cur, actor, layer, key)) is not None:
            return earlier, True
        written = [_create_one(cur, layer, frame, i, actor) for i in range(len(frame))]
        if key is not None:
            _remember(cur, actor, layer, key, written)
    return written, False


def _checked(cur, layer: Layer, fid: str, expected: int | None) -> tuple[dict, int]:
    """The feature and its revision, if that is `expected` (None: any, as `If-Match: *` asks)."""
    found = current(cur, layer, fid)
    if found is None:
        raise _missing(fid)
    if expected is not None and found[1] != expected:
        raise _stale(found[1])
    return found


def _rewrite(conn, layer: Layer, fid: str, expected: int | None, actor: Actor, area: Area, action: str,
             make) -> Written:
    """Check the new feature against the revision the caller read, outside the lock (the checks cost more than
    the write); under the lock, write it only if that revision is still the current one."""
    with conn, conn.cursor() as cur:
        old, current = _checked(cur, layer, fid, expected)
    feature = make(old)
    if isinstance(feature, dict) and feature.get("id") not in (None, fid):
        raise InvalidFeatures([Problem("feature.id", "cannot change a feature's id", "không thể đổi mã của đối tượng")])
    frame = validated(layer, [feature], [fid], area)
    with conn, conn.cursor() as cur:
        events.lock_events(cur)
        old, _ = _checked(cur, layer, fid, current)  # what `make` saw, or someone wrote in between: 412
        revision = _next_revision(cur)
        new = _update(cur, layer, _row_values(layer, frame, 0), revision)
        _revise(cur, layer, fid, action, actor, old, new, revision)
        written = Written(fid, revision, events.add_event(cur, layer.slug, fid, "update", revision, new), new)
        _record(cur, layer, actor, action, written)
    return written


def replace(conn, layer: Layer, fid: str, feature: dict, expected: int | None, actor: Actor, area: Area) -> Written:
    """PUT: the whole feature anew, if the caller read the current revision."""
    return _rewrite(conn, layer, fid, expected, actor, area, "replace", lambda _old: feature)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge member by member, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged


def update(conn, layer: Layer, fid: str, patch: dict, expected: int | None, actor: Actor, area: Area) -> Written:
    """PATCH: the current feature with the merge patch applied, checked whole like a new one."""
    return _rewrite(conn, layer, fid, expected, actor, area, "update", lambda old: merge_patch(old, patch))


def delete(conn, layer: Layer, fid: str, expected: int | None, actor: Actor) -> Written:
    with conn, conn.cursor() as cur:
        events.lock_events(cur)
        old, _ = _checked(cur, layer, fid, expected)
        cur.execute(sql.SQL("DELETE FROM {} WHERE id = %s").format(table_ident(live_table(layer))), (fid,))
        revision = _revise(cur, layer, fid, "delete", actor, old, None)
        written = Written(fid, revision, events.add_event(cur, layer.slug, fid, "delete", revision, None), None)
        _record(cur, layer, actor, "delete", written)
    return written


def revision_of(cur, layer: Layer, fid: str) -> int | None:
    """The feature's current revision (its ETag), or None when there is no such feature."""
    cur.execute(sql.SQL("SELECT revision FROM {} WHERE id = %s").format(table_ident(live_table(layer))), (fid,))
    row = cur.fetchone()
    return int(row[0]) if row else None
