"""Agencies and user accounts: argon2 password hashes, disabling, and login with lockout."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("admin", "editor", "viewer")
_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the user does not exist, so a missing account takes as long as a wrong password. Made on
    first use: hashing costs argon2's 64 MiB, which every process importing this (the ETL's commands too) kept."""
    return _hasher.hash("not a password")


class AccountError(ValueError):
    """A request about an account that cannot be honoured; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    agency: str | None
    disabled: bool


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    reason: str  # ok | unknown | wrong_password | locked | disabled


_USER_COLUMNS = "u.id, u.username, u.role, a.slug, u.disabled"
_USER_FROM = "mapserver.users u LEFT JOIN mapserver.agencies a ON a.id = u.agency_id"


def add_agency(cur, slug: str, name_vi: str, name_en: str) -> None:
    cur.execute("INSERT INTO mapserver.agencies (slug, name_vi, name_en) VALUES (%s, %s, %s)",
                (slug, name_vi, name_en))


def agency_exists(cur, slug: str) -> bool:
    cur.execute("SELECT 1 FROM mapserver.agencies WHERE slug = %s", (slug,))
    return cur.fetchone() is not None


def agency_slugs(cur) -> list[str]:
    cur.execute("SELECT slug FROM mapserver.agencies ORDER BY slug")
    return [r[0] for r in cur.fetchall()]


def check_role(role: str, agency: str | None) -> None:
    """An editor or viewer belongs to an agency; an admin may stand above all of them."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if role != "admin" and not agency:
        raise AccountError(f"a {role} belongs to an agency: give --agency")


def add_user(cur, username: str, password: str, role: str, agency: str | None) -> User:
    check_role(role, agency)
    if agency and not agency_exists(cur, agency):
        raise AccountError(f"no agency {agency!r}")
    cur.execute(
        "INSERT INTO mapserver.users (username, agency_id, role, password_hash) "
        "VALUES (%s, (SELECT id FROM mapserver.agencies WHERE slug = %s), %s, %s) RETURNING id",
        (username, agency, role, _hasher.hash(password)))
    return User(cur.fetchone()[0], username, role, agency, False)


def set_disabled(cur, username: str, disabled: bool = True) -> User:
    cur.execute("UPDATE mapserver.users SET disabled = %s WHERE username = %s", (disabled, username))
    user = find_user(cur, username)
    if user is None:
        raise AccountError(f"no user {username!r}")
    return user


def find_user(cur, username: str) -> User | None:
    cur.execute(f"SELECT {_USER_COLUMNS} FROM {_USER_FROM} WHERE u.username = %s", (username,))
    row = cur.fetchone()
    return User(*row) if row else None


def get_user(cur, user_id: int) -> User | None:
    cur.execute(f"SELECT {_USER_COLUMNS} FROM {_USER_FROM} WHERE u.id = %s", (user_id,))
    row = cur.fetchone()
    return User(*row) if row else None


def authenticate(cur, username: str, password: str, *, max_failures: int, lock_minutes: int) -> LoginResult:
    """Check a password; after `max_failures` wrong ones in a row the account is locked for a while."""
    cur.execute(f"SELECT {_USER_COLUMNS}, u.password_hash, u.locked_until > now() FROM {_USER_FROM} "
                "WHERE u.username = %s FOR UPDATE OF u", (username,))
    row = cur.fetchone()
    if row is None:
        _verify(_dummy_hash(), password)
        return LoginResult(None, "unknown")
    user, password_hash, locked = User(*row[:5]), row[5], row[6]
    if locked:
        return LoginResult(user, "locked")
    if not _verify(password_hash, password):
        cur.execute(
            "UPDATE mapserver.users SET "
            "failed_logins = CASE WHEN failed_logins + 1 >= %(max)s THEN 0 ELSE failed_logins + 1 END, "
            "locked_until = CASE WHEN failed_logins + 1 >= %(max)s THEN now() + make_interval(mins => %(mins)s) END "
            "WHERE id = %(id)s", {"max": max_failures, "mins": lock_minutes, "id": user.id})
        return LoginResult(user, "wrong_password")
    if user.disabled:
        return LoginResult(user, "disabled")
    cur.execute("UPDATE mapserver.users SET failed_logins = 0, locked_until = NULL, last_login_at = now() "
                "WHERE id = %s", (user.id,))
    return LoginResult(user, "ok")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
