"""Who is asking: a bearer token (systems) or the login session (staff), and what they may do.

`current_principal()` is computed once per request. A request with an Authorization header
that is not a live token is refused outright (401) rather than treated as anonymous.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request, session

from layers import Layer
from mapserver import accounts
from mapserver.accounts import tokens
from mapserver.web.db import get_db
from mapserver.web.errors import NotAuthenticated


@dataclass(frozen=True)
class Principal:
    name: str  # as written in the audit log: user:<name>, token:<name>, anonymous
    kind: str  # user | token | anonymous
    role: str | None = None
    agency: str | None = None
    user_id: int | None = None

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def member_of(self, layer: Layer) -> bool:
        """Staff of the layer's agency (any role), or an admin: may see its versions and jobs."""
        return self.is_admin or (self.authenticated and self.agency == layer.agency)

    def can_read(self, layer: Layer) -> bool:
        return layer.visibility == "public" or self.member_of(layer)

    def can_write(self, layer: Layer) -> bool:
        """Upload, publish, roll back: an admin, or an editor of the layer's agency."""
        return self.is_admin or (self.role == "editor" and self.agency == layer.agency)


ANONYMOUS = Principal("anonymous", "anonymous")


def current_principal() -> Principal:
    if "principal" not in g:
        g.principal = _from_bearer() or _from_session() or ANONYMOUS
    return g.principal


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _from_bearer() -> Principal | None:
    if "Authorization" not in request.headers:
        return None
    clear = bearer_token()
    token = None
    if clear:
        with get_db().cursor() as cur:
            token = tokens.verify(cur, clear)
    if token is None:
        raise NotAuthenticated("The token is unknown, expired or revoked.",
                               "Mã truy cập không tồn tại, đã hết hạn hoặc đã bị thu hồi.")
    return Principal(f"token:{token.name}", "token", token.role, token.agency)


def _from_session() -> Principal | None:
    user_id = session.get("user_id")
    if user_id is None:
        return None
    with get_db().cursor() as cur:
        user = accounts.get_user(cur, user_id)
    if user is None or user.disabled:
        session.clear()
        return None
    return Principal(f"user:{user.username}", "user", user.role, user.agency, user.id)
