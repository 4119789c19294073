"""`mapserver agencies|users|tokens|audit` and `mapserver demo accounts`: accounts from a terminal."""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import UTC, datetime, timedelta

import click
import psycopg2
import psycopg2.errors
from flask import current_app
from flask.cli import with_appcontext

from common import audit
from common.audit import cli_actor
from common.database import connection
from layers import load_agencies
from mapserver import accounts
from mapserver.accounts import ROLES, AccountError, tokens


def _write(action: str, target: str, agency: str | None, details: dict, fn):
    """Run one account change and its audit row in one transaction; a refusal is audited too."""
    with connection(current_app.config) as conn:
        try:
            with conn, conn.cursor() as cur:
                outcome = fn(cur)
                audit.record(cur, actor=cli_actor(), action=action, target=target, result="ok", details=details,
                             agency=agency or getattr(outcome, "agency", None))
        except (AccountError, psycopg2.IntegrityError) as err:
            reason = _reason(err, target)
            with conn, conn.cursor() as cur:
                known_agency = agency if agency and accounts.agency_exists(cur, agency) else None
                audit.record(cur, actor=cli_actor(), action=action, target=target, agency=known_agency,
                             result="refused", details={**details, "reason": reason})
            raise click.ClickException(reason) from err
    return outcome


def _reason(err: Exception, target: str) -> str:
    """What an operator should read, rather than the database's constraint names."""
    if isinstance(err, psycopg2.errors.UniqueViolation):
        return f"{target!r} already exists"
    if isinstance(err, psycopg2.errors.CheckViolation):
        return f"{target!r} is not a valid name: lowercase letters, digits, '-', '.', '_' (a letter or digit first)"
    return str(err) if isinstance(err, AccountError) else err.diag.message_primary


@click.group("agencies")
def agencies_group() -> None:
    """Agencies that own layers."""


@agencies_group.command("add")
@click.argument("slug")
@click.option("--name-vi", required=True, help="Vietnamese name, e.g. 'Sở Tài nguyên và Môi trường'.")
@click.option("--name-en", required=True, help="English name.")
@with_appcontext
def agencies_add(slug: str, name_vi: str, name_en: str) -> None:
    """Add an agency SLUG (lowercase letters, digits, dashes)."""
    _write("agency.add", slug, None, {"name_vi": name_vi, "name_en": name_en},
           lambda cur: accounts.add_agency(cur, slug, name_vi, name_en))
    click.echo(f"agency {slug} added")


@click.group("users")
def users_group() -> None:
    """Staff accounts of the agencies."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--agency", help="The agency's slug (required unless --role admin).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              envvar="MAPSERVER_USER_PASSWORD", help="Asked for when not given (or MAPSERVER_USER_PASSWORD).")
@with_appcontext
def users_add(username: str, role: str, agency: str | None, password: str) -> None:
    """Add a user who logs in at /agency/."""
    if len(password) < 10:
        raise click.BadParameter("at least 10 characters", param_hint="--password")
    _write("user.add", username, agency, {"role": role},
           lambda cur: accounts.add_user(cur, username, password, role, agency))
    click.echo(f"user {username} added ({role}{', ' + agency if agency else ''})")


@users_group.command("disable")
@click.argument("username")
@with_appcontext
def users_disable(username: str) -> None:
    """Disable a user: they can no longer log in, and an open session ends at the next request."""
    user = _write("user.disable", username, None, {}, lambda cur: accounts.set_disabled(cur, username))
    click.echo(f"user {user.username} disabled")


@click.group("tokens")
def tokens_group() -> None:
    """API tokens for agencies' systems."""


@tokens_group.command("create")
@click.option("--name", required=True, help="What the token is for, e.g. 'health-nightly-sync'.")
@click.option("--role", type=click.Choice(ROLES), default="editor", show_default=True)
@click.option("--agency", help="The agency's slug (required unless --role admin).")
@click.option("--days", type=int, help="Days until it expires (default TOKEN_DAYS_DEFAULT).")
@with_appcontext
def tokens_create(name: str, role: str, agency: str | None, days: int | None) -> None:
    """Create a token and print it once: only its hash is kept."""
    days = days or int(current_app.config["TOKEN_DAYS_DEFAULT"])
    clear, token = _write("token.create", name, agency, {"role": role, "days": days},
                          lambda cur: tokens.create(cur, name=name, role=role, agency=agency, days=days,
                                                    created_by=cli_actor()))
    click.echo(clear)
    click.echo(f"token {token.name} (prefix {token.prefix}, {token.role}{', ' + token.agency if token.agency else ''})"
               f" expires {token.expires_at:%Y-%m-%d}. It is shown only now: store it safely.", err=True)


@tokens_group.command("revoke")
@click.argument("prefix")
@with_appcontext
def tokens_revoke(prefix: str) -> None:
    """Revoke the token whose prefix (second part of msk_PREFIX_...) is PREFIX."""
    token = _write("token.revoke", prefix, None, {}, lambda cur: tokens.revoke(cur, prefix))
    click.echo(f"token {token.name} ({token.prefix}) revoked")


@tokens_group.command("list")
@click.option("--agency")
@with_appcontext
def tokens_list(agency: str | None) -> None:
    """Tokens with their prefix, role, agency, expiry and state (never the secret)."""
    with connection(current_app.config) as conn, conn.cursor() as cur:
        rows = tokens.list_tokens(cur, agency)
    now = datetime.now(UTC)
    click.echo(f"{'prefix':<9} {'name':<24} {'role':<7} {'agency':<14} {'expires':<10} state")
    for t in rows:
        state = "revoked" if t.revoked_at else ("expired" if t.expires_at <= now else "active")
        click.echo(f"{t.prefix:<9} {t.name:<24} {t.role:<7} {t.agency or '-':<14} {t.expires_at:%Y-%m-%d} {state}")


def _since(value: str | None) -> datetime | None:
    """ISO date/time, or a span back from now: 30m, 12h, 7d."""
    if not value:
        return None
    span = re.fullmatch(r"(\d+)([mhd])", value)
    if span:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[span.group(2)]
        return datetime.now(UTC) - timedelta(**{unit: int(span.group(1))})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("a date (2026-01-31), a time (2026-01-31T08:00) or a span (7d, 12h)",
                                 param_hint="--since") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@click.command("audit")
@click.option("--since", help="From a date/time (2026-01-31, 2026-01-31T08:00) or a span back (7d, 12h, 30m).")
@click.option("--agency", help="Only this agency's rows.")
@click.option("--action", help="Only this action, e.g. layer.upload.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=500, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@with_appcontext
def audit_command(since: str | None, agency: str | None, action: str | None, limit: int, as_json: bool) -> None:
    """Read the audit log, newest first."""
    with connection(current_app.config) as conn, conn.cursor() as cur:
        rows = audit.search(cur, since=_since(since), agency=agency, action=action, limit=limit)
    for r in rows:
        if as_json:
            click.echo(json.dumps({**r, "at": r["at"].isoformat()}, ensure_ascii=False))
        else:
            click.echo(f"{r['at']:%Y-%m-%d %H:%M:%S} {r['result']:<7} {r['action']:<15} {r['actor']:<24} "
                       f"{r['agency'] or '-':<14} {r['target'] or '-':<16} {r['client_addr'] or '-'} "
                       f"{json.dumps(r['details'], ensure_ascii=False)}")


@click.command("accounts")
@with_appcontext
def demo_accounts() -> None:
    """An admin and one editor per demo agency; prints how to log in (passwords shown once)."""
    wanted = [("admin", "admin", None)] + [(f"editor-{a['slug']}", "editor", a["slug"]) for a in load_agencies()]
    with connection(current_app.config) as conn:
        for username, role, agency in wanted:
            with conn, conn.cursor() as cur:
                if accounts.find_user(cur, username):
                    click.echo(f"  {username:<22} already exists (password unchanged)")
                    continue
                password = os.environ.get("MAPSERVER_DEMO_PASSWORD") or secrets.token_urlsafe(12)
                accounts.add_user(cur, username, password, role, agency)
                audit.record(cur, actor=cli_actor(), action="user.add", target=username, agency=agency, result="ok",
                             details={"role": role, "demo": True})
            shown = "(MAPSERVER_DEMO_PASSWORD)" if os.environ.get("MAPSERVER_DEMO_PASSWORD") else password
            click.echo(f"  {username:<22} {role:<7} {agency or '':<14} password: {shown}")
    click.echo("log in at /agency/login; the generated passwords are shown only this once")
