"""API tokens for agencies' systems: shown once, kept as a SHA-256, found by a public prefix.

A token is 32 random bytes, so a fast hash is enough (unlike passwords, it cannot be guessed
from a dictionary); the prefix lets one indexed lookup find the row to compare against.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from mapserver.accounts import AccountError, agency_exists, check_role

SCHEME = "msk"  # tokens read msk_<prefix>_<secret>


@dataclass(frozen=True)
class Token:
    id: int
    name: str
    prefix: str
    role: str
    agency: str | None
    expires_at: datetime
    revoked_at: datetime | None
    created_by: str


_COLUMNS = ("t.id, t.name, t.prefix, t.role, a.slug, t.expires_at, t.revoked_at, t.created_by")
_FROM = "mapserver.api_tokens t LEFT JOIN mapserver.agencies a ON a.id = t.agency_id"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(cur, *, name: str, role: str, agency: str | None, days: int, created_by: str) -> tuple[str, Token]:
    """Store a new token; returns the clear text (show it once) and its record."""
    check_role(role, agency)
    if agency and not agency_exists(cur, agency):
        raise AccountError(f"no agency {agency!r}")
    if days < 1:
        raise AccountError("a token lives at least one day")
    prefix = secrets.token_hex(4)
    clear = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    cur.execute(
        "INSERT INTO mapserver.api_tokens (name, prefix, token_hash, agency_id, role, created_by, expires_at) "
        "VALUES (%s, %s, %s, (SELECT id FROM mapserver.agencies WHERE slug = %s), %s, %s, "
        "now() + make_interval(days => %s)) RETURNING id",
        (name, prefix, _digest(clear), agency, role, created_by, days))
    return clear, find(cur, cur.fetchone()[0])


def find(cur, token_id: int) -> Token | None:
    cur.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE t.id = %s", (token_id,))
    row = cur.fetchone()
    return Token(*row) if row else None


def list_tokens(cur, agency: str | None = None) -> list[Token]:
    cur.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE %(agency)s IS NULL OR a.slug = %(agency)s ORDER BY t.id",
                {"agency": agency})
    return [Token(*row) for row in cur.fetchall()]


def revoke(cur, prefix: str) -> Token:
    cur.execute("UPDATE mapserver.api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE prefix = %s "
                "RETURNING id", (prefix,))
    row = cur.fetchone()
    if row is None:
        raise AccountError(f"no token with prefix {prefix!r}")
    return find(cur, row[0])


def verify(cur, clear: str) -> Token | None:
    """The live token matching `clear`, or None when unknown, wrong, expired or revoked."""
    parts = clear.split("_", 2)
    if len(parts) != 3 or parts[0] != SCHEME:
        return None
    cur.execute(f"SELECT {_COLUMNS}, t.token_hash, t.expires_at > now() AND t.revoked_at IS NULL "
                f"FROM {_FROM} WHERE t.prefix = %s", (parts[1],))
    row = cur.fetchone()
    if row is None or not hmac.compare_digest(row[8], _digest(clear)) or not row[9]:
        return None
    return Token(*row[:8])
