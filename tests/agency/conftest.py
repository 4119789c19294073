"""Fixtures for the agencies' side: a private database with accounts and tokens, the app over HTTP, a worker."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
import requests

from mapserver import accounts, create_app
from mapserver.accounts import tokens
from mapserver.jobs.worker import Worker, WorkerSettings
from tests import pg
from tests.serving import serving

PASSWORD = "correct horse battery"


@dataclass
class Accounts:
    """Clear tokens by who holds them; users share PASSWORD."""

    health_editor: str
    health_viewer: str
    education_editor: str
    admin: str
    expired: str
    revoked: str


def make_accounts(db_url: str) -> Accounts:
    conn = psycopg2.connect(db_url)
    with conn, conn.cursor() as cur:
        accounts.add_user(cur, "editor-health", PASSWORD, "editor", "so-y-te")
        accounts.add_user(cur, "viewer-health", PASSWORD, "viewer", "so-y-te")
        accounts.add_user(cur, "editor-education", PASSWORD, "editor", "so-giao-duc")
        accounts.add_user(cur, "admin", PASSWORD, "admin", None)

        def token(name, role, agency):
            return tokens.create(cur, name=name, role=role, agency=agency, days=30, created_by="test")[0]

        made = Accounts(token("health-sync", "editor", "so-y-te"), token("health-read", "viewer", "so-y-te"),
                        token("education-sync", "editor", "so-giao-duc"), token("city-admin", "admin", None),
                        token("old", "editor", "so-y-te"), token("leaked", "editor", "so-y-te"))
        cur.execute("UPDATE mapserver.api_tokens SET expires_at = now() - interval '1 minute' WHERE name = 'old'")
        tokens.revoke(cur, made.revoked.split("_")[1])
    conn.close()
    return made


def app_config(db_url: str, upload_dir: Path, **overrides) -> dict:
    return {"DATABASE_URL": db_url, "TESTING": True, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False,
            "UPLOAD_DIR": str(upload_dir), "RATELIMIT_WRITE_TOKEN": "1000 per minute",
            "RATELIMIT_WRITE_ADDRESS": "1000 per minute", "RATELIMIT_LOGIN": "1000 per minute",
            "JOB_POLL_S": 0.1, "JOB_HEARTBEAT_S": 0.2, **overrides}


@pytest.fixture(scope="session")
def accounts_template(template_db):
    """The template database plus the users and tokens: (name, Accounts). Made once because hashing the four
    passwords with argon2 took about a second of every agency test's set-up; each test still logs in through
    argon2, against these real hashes."""
    url = pg.server_url()
    name = pg.create_database(url, "mapserver_tmpl_accounts", template=template_db[0])
    yield name, make_accounts(pg.dsn_for(url, name))
    pg.drop_database(url, name)


@pytest.fixture
def agency_db(accounts_template):
    """A private clone with users and tokens: (url, Accounts)."""
    with pg.clone(accounts_template[0]) as url:
        yield url, accounts_template[1]


@pytest.fixture
def agency_app(agency_db, tmp_path):
    return create_app(app_config(agency_db[0], tmp_path / "uploads"))


@pytest.fixture
def agency_server(agency_app):
    with serving(agency_app) as base:
        yield base


@pytest.fixture
def worker(agency_app):
    """A real worker (two threads) in this process, stopped after the test."""
    stop = threading.Event()
    runner = Worker(WorkerSettings.from_config(agency_app.config), agency_app.extensions["mapserver.catalog"])
    thread = threading.Thread(target=runner.run, args=(stop, 2), daemon=True)
    thread.start()
    yield runner
    stop.set()
    thread.join(60)


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def page():
    """A page of headless Chromium, in Vietnamese (the browser tests' `browser` mark)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser.new_page(locale="vi-VN")
        browser.close()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def health_geojson(path: Path, count: int, prefix: str) -> Path:
    """A health file of `count` points whose ids all start with `prefix` (so two loads can't mix unseen)."""
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.6 + (i % 300) * 1e-4,
                                                                                   10.75 + (i // 300) * 1e-4]},
                 "properties": {"id": f"{prefix}-{i}", "name": f"Trạm y tế {prefix} {i}", "kind": "clinic"}}
                for i in range(count)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def wait_for_job(base: str, token: str, job_id: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = requests.get(f"{base}/api/jobs/{job_id}", headers=bearer(token), timeout=10).json()
        if job["state"] in ("done", "failed", "needs_mapping"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s")


def audit_rows(db_url: str, action: str | None = None) -> list[tuple]:
    conn = psycopg2.connect(db_url)
    with conn.cursor() as cur:
        cur.execute("SELECT action, actor, target, result, details FROM mapserver.audit_log "
                    "WHERE %(a)s::text IS NULL OR action = %(a)s ORDER BY id", {"a": action})
        rows = cur.fetchall()
    conn.close()
    return rows
