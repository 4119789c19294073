"""The staff login over real HTTP: CSRF on every form, lockout after repeated failures, sessions, audit."""

from __future__ import annotations

import re

import psycopg2
import requests

from mapserver import create_app
from tests.agency.conftest import PASSWORD, app_config, audit_rows
from tests.serving import serving


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _login(session, base, username, password, token=None):
    token = token or _csrf(session, f"{base}/agency/login")
    return session.post(f"{base}/agency/login", data={"username": username, "password": password,
                                                      "csrf_token": token}, timeout=30, allow_redirects=False)


def test_a_post_without_the_csrf_token_is_refused(agency_server, agency_db):
    response = requests.post(f"{agency_server}/agency/login", data={"username": "admin", "password": PASSWORD},
                             timeout=10)
    assert response.status_code == 400
    assert "CSRF" in response.json()["messages"]["en"]
    assert audit_rows(agency_db[0], "login") == [], "refused before any password was checked"


def test_every_staff_form_needs_the_csrf_token(agency_server, agency_db):
    session = requests.Session()
    assert _login(session, agency_server, "editor-health", PASSWORD).status_code == 302
    for path in ("/agency/logout", "/agency/layers/health/publish", "/agency/layers/health/rollback",
                 "/agency/layers/health/uploads"):
        assert session.post(agency_server + path, data={"version": "1"}, timeout=10).status_code == 400, path
    assert audit_rows(agency_db[0], "layer.publish") == []


def test_login_sets_a_http_only_session_and_audits(agency_server, agency_db):
    session = requests.Session()
    response = _login(session, agency_server, "editor-health", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/agency/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = session.get(f"{agency_server}/agency/?lang=en", timeout=10)
    assert page.status_code == 200 and "editor-health" in page.text and "Health facilities" in page.text
    assert "Department of Education" not in page.text and "/agency/layers/education" not in page.text
    assert [(r[1], r[3]) for r in audit_rows(agency_db[0], "login")] == [("user:editor-health", "ok")]


def test_the_cookie_is_secure_by_default(agency_db, tmp_path):
    config = app_config(agency_db[0], tmp_path)
    del config["SESSION_COOKIE_SECURE"]
    assert create_app(config).config["SESSION_COOKIE_SECURE"] is True


def test_repeated_failures_lock_the_account_even_for_the_right_password(agency_server, agency_db):
    session = requests.Session()
    token = _csrf(session, f"{agency_server}/agency/login")
    answers = [_login(session, agency_server, "editor-health", "wrong", token).status_code for _ in range(5)]
    assert answers == [401] * 5
    locked = _login(session, agency_server, "editor-health", PASSWORD, token)
    assert locked.status_code == 401 and "khóa" in locked.text
    assert [r[4]["reason"] for r in audit_rows(agency_db[0], "login")] == ["wrong_password"] * 5 + ["locked"]
    conn = psycopg2.connect(agency_db[0])
    with conn.cursor() as cur:
        cur.execute("SELECT locked_until > now() FROM mapserver.users WHERE username = 'editor-health'")
        assert cur.fetchone()[0] is True
    conn.close()


def test_an_unknown_user_and_a_disabled_user_cannot_log_in(agency_server, agency_db):
    conn = psycopg2.connect(agency_db[0])
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE mapserver.users SET disabled = true WHERE username = 'viewer-health'")
    conn.close()
    session = requests.Session()
    assert _login(session, agency_server, "nobody", PASSWORD).status_code == 401
    assert _login(session, agency_server, "viewer-health", PASSWORD).status_code == 401
    assert [r[4]["reason"] for r in audit_rows(agency_db[0], "login")] == ["unknown", "disabled"]


def test_a_disabled_users_open_session_ends(agency_server, agency_db):
    session = requests.Session()
    _login(session, agency_server, "editor-health", PASSWORD)
    conn = psycopg2.connect(agency_db[0])
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE mapserver.users SET disabled = true WHERE username = 'editor-health'")
    conn.close()
    response = session.get(f"{agency_server}/agency/", timeout=10, allow_redirects=False)
    assert response.status_code == 302 and "/agency/login" in response.headers["Location"]


def test_the_login_is_rate_limited_per_address(agency_db, tmp_path):
    with serving(create_app(app_config(agency_db[0], tmp_path, RATELIMIT_LOGIN="3 per minute"))) as base:
        session = requests.Session()
        token = _csrf(session, f"{base}/agency/login")
        answers = [_login(session, base, f"nobody{i}", "x", token).status_code for i in range(4)]
    assert answers == [401, 401, 401, 429]


def test_only_the_admin_sees_the_audit_log(agency_server, agency_db):
    editor, admin = requests.Session(), requests.Session()
    _login(editor, agency_server, "editor-health", PASSWORD)
    _login(admin, agency_server, "admin", PASSWORD)
    assert editor.get(f"{agency_server}/agency/audit", timeout=10).status_code == 403
    every_layer = admin.get(f"{agency_server}/agency/", timeout=10).text
    assert all(f"/agency/layers/{slug}" in every_layer for slug in ("health", "education", "transport", "bus_stops"))
    page = admin.get(f"{agency_server}/agency/audit?agency=so-y-te&action=login", timeout=10)
    assert page.status_code == 200 and "user:editor-health" in page.text and "user:admin" not in page.text
    everything = admin.get(f"{agency_server}/agency/audit?action=login", timeout=10)
    assert "user:admin" in everything.text
    assert admin.get(f"{agency_server}/agency/audit?since=yesterday", timeout=10).status_code == 400
