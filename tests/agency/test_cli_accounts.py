"""`mapserver agencies|users|tokens|audit` and `demo accounts`, run as an operator would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg2

from layers import load_agencies

MAPSERVER = str(Path(sys.executable).with_name("mapserver"))


def _run(db_url, *args, check=True, **env):
    result = subprocess.run([MAPSERVER, *args], env={**os.environ, "DATABASE_URL": db_url, **env},
                            capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _one(db_url, query, params=()):
    conn = psycopg2.connect(db_url)
    with conn.cursor() as cur:
        cur.execute(query, params)
        row = cur.fetchone()
    conn.close()
    return row


def test_agency_user_and_disable(fresh_db_url):
    _run(fresh_db_url, "agencies", "add", "so-tnmt", "--name-vi", "Sở Tài nguyên và Môi trường",
         "--name-en", "Department of Natural Resources and Environment")
    out = _run(fresh_db_url, "users", "add", "lan", "--role", "editor", "--agency", "so-tnmt",
               MAPSERVER_USER_PASSWORD="a long enough secret").stdout
    assert "user lan added (editor, so-tnmt)" in out
    stored = _one(fresh_db_url, "SELECT password_hash FROM mapserver.users WHERE username = 'lan'")[0]
    assert stored.startswith("$argon2id$") and "a long enough secret" not in stored
    refused = _run(fresh_db_url, "users", "add", "lan", "--role", "editor", "--agency", "so-tnmt",
                   check=False, MAPSERVER_USER_PASSWORD="a long enough secret")
    assert refused.returncode == 1 and "already exists" in refused.stderr
    no_agency = _run(fresh_db_url, "users", "add", "minh", "--role", "viewer", check=False,
                     MAPSERVER_USER_PASSWORD="a long enough secret")
    assert no_agency.returncode == 1 and "belongs to an agency" in no_agency.stderr
    _run(fresh_db_url, "users", "disable", "lan")
    assert _one(fresh_db_url, "SELECT disabled FROM mapserver.users WHERE username = 'lan'") == (True,)
    rows = _run(fresh_db_url, "audit", "--json").stdout.splitlines()
    actions = [(r["action"], r["target"], r["result"]) for r in map(json.loads, rows)]
    assert actions == [("user.disable", "lan", "ok"), ("user.add", "minh", "refused"), ("user.add", "lan", "refused"),
                       ("user.add", "lan", "ok"), ("agency.add", "so-tnmt", "ok")]


def test_tokens_are_shown_once_stored_hashed_listed_and_revoked(fresh_db_url):
    created = _run(fresh_db_url, "tokens", "create", "--name", "health-sync", "--agency", "so-y-te", "--days", "7")
    token = created.stdout.strip()
    assert token.startswith("msk_") and "shown only now" in created.stderr
    prefix = token.split("_")[1]
    stored = _one(fresh_db_url, "SELECT token_hash, expires_at - now() > interval '6 days' "
                                "FROM mapserver.api_tokens WHERE prefix = %s", (prefix,))
    assert token not in stored[0] and len(stored[0]) == 64 and stored[1]
    listing = _run(fresh_db_url, "tokens", "list").stdout
    assert prefix in listing and "health-sync" in listing and "active" in listing and token not in listing
    _run(fresh_db_url, "tokens", "revoke", prefix)
    assert "revoked" in _run(fresh_db_url, "tokens", "list", "--agency", "so-y-te").stdout
    assert _run(fresh_db_url, "tokens", "revoke", "nosuch", check=False).returncode == 1
    audit = [json.loads(line) for line in
             _run(fresh_db_url, "audit", "--json", "--agency", "so-y-te").stdout.splitlines()]
    assert [(r["action"], r["result"]) for r in audit] == [("token.revoke", "ok"), ("token.create", "ok")]


def test_audit_filters_and_plain_output(fresh_db_url):
    _run(fresh_db_url, "tokens", "create", "--name", "a", "--agency", "so-giao-duc")
    _run(fresh_db_url, "tokens", "create", "--name", "b", "--role", "admin")
    assert len(_run(fresh_db_url, "audit", "--since", "1h").stdout.splitlines()) == 2
    assert _run(fresh_db_url, "audit", "--since", "2999-01-01").stdout == ""
    only = _run(fresh_db_url, "audit", "--agency", "so-giao-duc").stdout.splitlines()
    assert len(only) == 1 and "token.create" in only[0] and "so-giao-duc" in only[0]
    assert _run(fresh_db_url, "audit", "--since", "last week", check=False).returncode == 2


def test_demo_accounts_creates_an_admin_and_an_editor_per_agency_once(fresh_db_url):
    out = _run(fresh_db_url, "demo", "accounts").stdout
    lines = [line.split() for line in out.splitlines() if "password:" in line]
    expected = ["admin"] + [f"editor-{agency['slug']}" for agency in load_agencies()]
    assert [line[0] for line in lines] == expected and "editor-so-y-te" in expected
    assert all(len(line[-1]) >= 16 for line in lines), "generated passwords are printed once"
    again = _run(fresh_db_url, "demo", "accounts").stdout
    assert "password:" not in again and again.count("already exists") == len(expected)
