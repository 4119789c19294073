"""Rate limits and sessions across nodes: two apps on one database, each over real HTTP, count together;
a 429 answers in both languages with Retry-After and is audited once per client and minute; the counters
end with their window; with the store unreachable nothing fails; a login made on one node holds on the other."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import requests
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from mapserver import create_app
from mapserver.operations.limits import SCHEME
from tests import pg
from tests.agency.conftest import PASSWORD, app_config, bearer, health_geojson
from tests.agency.test_login import _csrf, _login
from tests.serving import free_port, serving

PROXY = {"TRUSTED_PROXIES": ["127.0.0.1/32"]}  # the test plays the proxy: X-Forwarded-For names the client


@contextmanager
def nodes(db_url: str, tmp_path, count: int = 2, **overrides) -> Iterator[list[str]]:
    """`count` separate apps on the same database, each on its own port: the base URLs."""
    with ExitStack() as stack:
        yield [stack.enter_context(serving(create_app(app_config(db_url, tmp_path / "uploads", **overrides))))
               for _ in range(count)]


def client(address: str) -> requests.Session:
    session = requests.Session()
    session.headers["X-Forwarded-For"] = address
    return session


def attempts(session: requests.Session, bases: list[str], token: str) -> list[requests.Response]:
    """One wrong login on each base in turn."""
    return [_login(session, base, f"nobody{i}", "wrong", token) for i, base in enumerate(bases)]


def rate_limited_rows(db_url: str, action: str) -> list[tuple]:
    return pg.fetch(db_url, "SELECT actor, target, host(client_addr), details->>'limit', "
                            "date_trunc('minute', at) FROM mapserver.audit_log "
                            "WHERE action = %s AND result = 'refused' AND details->>'reason' = 'rate_limited' "
                            "ORDER BY id", (action,))


def once_per_client_and_minute(rows: list[tuple]) -> dict[str, int]:
    """Rows by client address; fails if a client has two rows in one minute."""
    seen = [(row[2], row[4]) for row in rows]
    assert len(seen) == len(set(seen)), f"two audit rows in one minute: {rows}"
    return {address: sum(1 for a, _ in seen if a == address) for address, _ in seen}


def test_two_nodes_together_allow_the_configured_logins(agency_db, tmp_path):
    with nodes(agency_db[0], tmp_path, RATELIMIT_LOGIN="3 per minute", **PROXY) as (a, b):
        session = client("203.0.113.1")
        token = _csrf(session, f"{a}/agency/login")  # a form of node A, posted to both: the session is shared
        assert [r.status_code for r in attempts(session, [a, b, a], token)] == [401, 401, 401]
        refused = attempts(session, [b, a], token)
        english = session.post(f"{a}/agency/login", data={"username": "x", "password": "y", "csrf_token": token},
                               headers={"Accept-Language": "en"}, timeout=30)
        other = client("203.0.113.2")
        assert [r.status_code for r in attempts(other, [b], _csrf(other, f"{b}/agency/login"))] == [401]
    for answer in [*refused, english]:
        assert answer.status_code == 429 and answer.headers["Content-Type"] == "application/json"
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
        body = answer.json()
        assert body["code"] == "TooManyRequests"
        assert "3 lần mỗi phút" in body["messages"]["vi"] and "3 per minute" in body["messages"]["en"]
    assert refused[0].json()["description"] == refused[0].json()["messages"]["vi"]
    assert english.json()["description"] == english.json()["messages"]["en"]


def test_simultaneous_attempts_on_both_nodes_are_counted_exactly(agency_db, tmp_path):
    with nodes(agency_db[0], tmp_path, RATELIMIT_LOGIN="5 per minute") as (a, b):
        first = requests.Session()
        token = _csrf(first, f"{a}/agency/login")

        def attempt(i: int) -> int:
            session = requests.Session()
            session.cookies.update(first.cookies)
            return _login(session, (a, b)[i % 2], f"nobody{i}", "wrong", token).status_code

        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(attempt, range(20)))
    assert sorted(answers) == [401] * 5 + [429] * 15


def test_a_connection_the_database_broke_is_replaced_without_losing_count(agency_db, tmp_path, caplog):
    with nodes(agency_db[0], tmp_path, count=1, RATELIMIT_LOGIN="2 per minute") as (a,), \
            caplog.at_level(logging.WARNING):
        session = requests.Session()
        token = _csrf(session, f"{a}/agency/login")
        assert attempts(session, [a], token)[0].status_code == 401
        ended = pg.fetch(agency_db[0], "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE application_name = 'mapserver-limits' AND datname = current_database()")
        assert ended and all(done for (done,) in ended)
        assert [r.status_code for r in attempts(session, [a, a], token)] == [401, 429]
    assert not any("storage unreachable" in record.getMessage() for record in caplog.records)


def test_the_store_keeps_fixed_windows(fresh_db_url):
    store = storage_from_string(f"{SCHEME}://", dsn=fresh_db_url)
    limiter, item = FixedWindowRateLimiter(store), parse("2 per minute")
    assert [limiter.hit(item, "k") for _ in range(3)] == [True, True, False]
    assert store.get(item.key_for("k")) == 3 and store.check()
    reset_at, remaining = limiter.get_window_stats(item, "k")
    assert remaining == 0
    assert pg.fetch(fresh_db_url, "SELECT extract(epoch FROM expires_at)::float8, expires_at - now() <= '1 minute' "
                                  "FROM mapserver.rate_limits") == [(reset_at, True)]
    limiter.clear(item, "k")
    assert limiter.hit(item, "k") and limiter.hit(item, "other")
    assert store.reset() == 2 and store.get(item.key_for("k")) == 0


def test_in_memory_counters_would_let_each_node_allow_them_all(agency_db, tmp_path):
    """What the shared store is for: counted per process, two nodes allow twice the attempts."""
    with nodes(agency_db[0], tmp_path, RATELIMIT_LOGIN="2 per minute", RATELIMIT_STORAGE_URI="memory://") as (a, b):
        session = requests.Session()
        token = _csrf(session, f"{a}/agency/login")
        assert [r.status_code for r in attempts(session, [a, b, a, b, a], token)] == [401, 401, 401, 401, 429]


def test_a_flood_of_refused_logins_is_one_audit_row_per_client_and_minute(agency_db, tmp_path):
    with nodes(agency_db[0], tmp_path, RATELIMIT_LOGIN="1 per minute", **PROXY) as (a, b):
        floods = {address: client(address) for address in ("198.51.100.7", "198.51.100.8")}
        refusals = 0
        for session in floods.values():
            token = _csrf(session, f"{a}/agency/login")
            answers = [r.status_code for r in attempts(session, [a, b] * 6, token)]
            assert answers == [401] + [429] * 11
            refusals += answers.count(429)
    rows = rate_limited_rows(agency_db[0], "login")
    per_client = once_per_client_and_minute(rows)
    assert set(per_client) == set(floods) and len(rows) < refusals
    assert {row[:4] for row in rows} == {("anonymous", "/agency/login", address, "1 per 1 minute")
                                         for address in floods}


def test_uploads_are_counted_across_nodes_and_a_refusal_audited_once(agency_db, tmp_path):
    sample = health_geojson(tmp_path / "h.geojson", 3, "s")
    with nodes(agency_db[0], tmp_path, RATELIMIT_WRITE_TOKEN="2 per minute") as (a, b):
        def upload(base: str) -> requests.Response:
            return requests.post(f"{base}/api/layers/health/uploads", headers=bearer(agency_db[1].health_editor),
                                 files={"file": ("h.geojson", sample.read_bytes())}, timeout=30)

        answers = [upload(base) for base in (a, b, a, b, a)]
    assert [r.status_code for r in answers] == [202, 202, 429, 429, 429]
    assert answers[2].json()["messages"]["en"].startswith("Too many requests") and answers[2].headers["Retry-After"]
    rows = rate_limited_rows(agency_db[0], "layer.upload")
    assert once_per_client_and_minute(rows) == {"127.0.0.1": len(rows)} and len(rows) < 3
    assert rows[0][:4] == ("token:health-sync", "/api/layers/health/uploads", "127.0.0.1", "2 per 1 minute")
    accepted = pg.fetch(agency_db[0], "SELECT count(*) FROM mapserver.audit_log "
                                      "WHERE action = 'layer.upload' AND result = 'ok'")
    assert accepted == [(2,)]


def test_the_counters_end_with_their_window(agency_db, tmp_path):
    with nodes(agency_db[0], tmp_path, RATELIMIT_LOGIN="2 per 3 seconds") as (a, b):
        session = requests.Session()
        token = _csrf(session, f"{a}/agency/login")
        assert [r.status_code for r in attempts(session, [a, b], token)] == [401, 401]
        refused = attempts(session, [a, b], token)
        assert [r.status_code for r in refused] == [429, 429]
        time.sleep(int(refused[-1].headers["Retry-After"]))
        assert [r.status_code for r in attempts(session, [b, a, b], token)] == [401, 401, 429]


def test_an_unreachable_store_fails_open_and_each_node_counts_for_itself(agency_db, tmp_path, caplog):
    closed = f"{SCHEME}://127.0.0.1:{free_port()}/nothing"
    with nodes(agency_db[0], tmp_path, count=1, RATELIMIT_LOGIN="2 per minute",
               RATELIMIT_STORAGE_URI=closed) as (a,), caplog.at_level(logging.WARNING):
        clerk, stranger = requests.Session(), requests.Session()
        token = _csrf(stranger, f"{a}/agency/login")
        answers = [attempts(stranger, [a], token)[0].status_code,
                   _login(clerk, a, "editor-health", PASSWORD).status_code,
                   attempts(stranger, [a], token)[0].status_code]
    assert answers == [401, 302, 429]
    assert any("storage unreachable" in record.getMessage() for record in caplog.records)
    assert len(rate_limited_rows(agency_db[0], "login")) == 1, "the audit log is in DATABASE_URL, which is up"


def test_a_login_made_on_one_node_holds_on_the_other_with_the_same_secret_key(agency_db, tmp_path):
    with nodes(agency_db[0], tmp_path) as (a, b), nodes(agency_db[0], tmp_path, count=1,
                                                          SECRET_KEY="another machine's key") as (c,):
        session = requests.Session()
        token = _csrf(session, f"{a}/agency/login")
        assert _login(session, b, "editor-health", PASSWORD, token).status_code == 302
        assert session.get(f"{a}/agency/", timeout=10, allow_redirects=False).status_code == 200
        elsewhere = session.get(f"{c}/agency/", timeout=10, allow_redirects=False)
    assert elsewhere.status_code == 302 and "/agency/login" in elsewhere.headers["Location"]
