"""Append one row to the audit log: who did what, to what, from where, with what result."""

from __future__ import annotations

import json
from typing import Any


def record(cur, *, actor: str, action: str, result: str, target: str | None = None,
           agency: str | None = None, client_addr: str | None = None, details: dict[str, Any] | None = None) -> None:
    """Insert in the caller's transaction, so the row commits (or not) with the action it describes."""
    cur.execute(
        "INSERT INTO mapserver.audit_log (actor, agency_id, action, target, client_addr, result, details) "
        "VALUES (%s, (SELECT id FROM mapserver.agencies WHERE slug = %s), %s, %s, %s, %s, %s)",
        (actor, agency, action, target, client_addr, result,
         json.dumps(details or {}, ensure_ascii=False, default=str)),
    )
