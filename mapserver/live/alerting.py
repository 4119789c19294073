"""A CAP message applied to the alerts layer: Alert adds a feature, Update replaces and Cancel ends the one
its references name (the feature keeps every message key it was made from in `cap_messages`).

The same Alert sent twice is one feature: the second answer is the first feature, not a conflict, since
a sender's system resends what it is not sure arrived.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from psycopg2 import sql
from shapely.geometry import mapping

from etl.live import writes
from etl.live.store import live_table
from etl.load import table_ident
from layers import Layer
from mapserver.live.cap import CapMessage, alert_properties

Area = tuple[float, float, float, float]


def feature_id(msg: CapMessage) -> str:
    """A stable id from the message key (sender, identifier, sent): the same message, the same feature."""
    return "cap-" + hashlib.sha256(msg.key.encode()).hexdigest()[:20]


def _holding(conn, layer: Layer, keys: tuple[str, ...]) -> tuple[str, int, list[str]] | None:
    """The newest feature made from one of these messages: (id, revision, its message keys)."""
    with conn, conn.cursor() as cur:
        cur.execute(sql.SQL("SELECT id, revision, cap_messages FROM {} WHERE cap_messages && %s::text[] "
                            "ORDER BY revision DESC LIMIT 1").format(table_ident(live_table(layer))), (list(keys),))
        row = cur.fetchone()
    return (row[0], int(row[1]), list(row[2] or [])) if row else None


def _no_earlier(msg: CapMessage) -> writes.WriteRefused:
    return writes.WriteRefused("missing", f"No alert here comes from the messages this {msg.msg_type} references.",
                               f"Không có cảnh báo nào từ các bản tin mà bản tin {msg.msg_type} này tham chiếu.")


def apply(conn, layer: Layer, msg: CapMessage, actor: writes.Actor, area: Area) -> tuple[writes.Written, int]:
    """(the feature written, the HTTP status: 201 for a new alert, 200 otherwise)."""
    if msg.msg_type == "Alert":
        return _alert(conn, layer, msg, actor, area)
    found = _holding(conn, layer, msg.references)
    if found is None:
        raise _no_earlier(msg)
    fid, revision, keys = found
    if msg.msg_type == "Cancel":
        ended = {"valid_to": datetime.now(UTC).isoformat(), "cap_messages": [*keys, msg.key]}
        return writes.update(conn, layer, fid, {"properties": ended}, revision, actor, area), 200
    properties, geometry = alert_properties(msg)
    properties["cap_messages"] = [*keys, msg.key]
    feature = {"type": "Feature", "geometry": mapping(geometry), "properties": properties}
    return writes.replace(conn, layer, fid, feature, revision, actor, area), 200


def _alert(conn, layer: Layer, msg: CapMessage, actor: writes.Actor, area: Area) -> tuple[writes.Written, int]:
    properties, geometry = alert_properties(msg)
    feature = {"type": "Feature", "id": feature_id(msg), "geometry": mapping(geometry), "properties": properties}
    try:
        written, _ = writes.create(conn, layer, [feature], actor, area)
    except writes.WriteRefused as err:
        if err.kind != "exists":
            raise
        return _resent(conn, layer, msg), 200
    return written[0], 201


def _resent(conn, layer: Layer, msg: CapMessage) -> writes.Written:
    """The feature an Alert already made, as its answer again (no new revision, no event)."""
    with conn, conn.cursor() as cur:
        feature, revision = writes.current(cur, layer, feature_id(msg))
    return writes.Written(feature_id(msg), revision, 0, feature)
