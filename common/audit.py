"""Append one row to the audit log: who did what, to what, from where, with what result."""

from __future__ import annotations

import getpass
import json
from datetime import datetime
from typing import Any


def cli_actor() -> str:
    """Who a command runs as, in the audit log."""
    return f"cli:{getpass.getuser()}"


def record(cur, *, actor: str, action: str, result: str, target: str | None = None,
           agency: str | None = None, client_addr: str | None = None, details: dict[str, Any] | None = None) -> None:
    """Insert in the caller's transaction, so the row commits (or not) with the action it describes."""
    cur.execute(
        "INSERT INTO mapserver.audit_log (actor, agency_id, action, target, client_addr, result, details) "
        "VALUES (%s, (SELECT id FROM mapserver.agencies WHERE slug = %s), %s, %s, %s, %s, %s)",
        (actor, agency, action, target, client_addr, result,
         json.dumps(details or {}, ensure_ascii=False, default=str)),
    )


def first_this_minute(cur, *, action: str, client_addr: str | None) -> bool:
    """Whether this is the first `action` of the client this minute; a flood of refusals from one address is
    then audited as one row a minute. Claims the minute in the caller's transaction, so the claim commits
    with the row it lets through; past minutes' claims go as new ones are made (mapserver.audit_minutes)."""
    cur.execute(
        "INSERT INTO mapserver.audit_minutes (minute, action, client_addr) "
        "VALUES (date_trunc('minute', now()), %s, %s) ON CONFLICT DO NOTHING",
        (action, client_addr or ""))
    if cur.rowcount == 0:
        return False
    cur.execute("DELETE FROM mapserver.audit_minutes WHERE minute < date_trunc('minute', now())")
    return True


def search(cur, *, since: datetime | None = None, agency: str | None = None, action: str | None = None,
           actor: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Newest first, filtered; the CLI and the admin page read the log through this."""
    cur.execute(
        "SELECT l.id, l.at, l.actor, a.slug AS agency, l.action, l.target, host(l.client_addr) AS client_addr, "
        "l.result, l.details FROM mapserver.audit_log l LEFT JOIN mapserver.agencies a ON a.id = l.agency_id "
        "WHERE (%(since)s::timestamptz IS NULL OR l.at >= %(since)s) "
        "AND (%(agency)s::text IS NULL OR a.slug = %(agency)s) AND (%(action)s::text IS NULL OR l.action = %(action)s) "
        "AND (%(actor)s::text IS NULL OR l.actor = %(actor)s) "
        "ORDER BY l.id DESC LIMIT %(limit)s",
        {"since": since, "agency": agency, "action": action, "actor": actor, "limit": limit})
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
