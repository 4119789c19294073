"""The access log under gunicorn as `make run` starts it (`--access-logfile -`): one JSON line per request,
gunicorn's own line gone, the request id echoed or made, the client behind a trusted proxy."""

from __future__ import annotations

import json
import re

import pytest
import requests

from tests.serving import gunicorn

UA = "mapserver-tests/1"
PLAIN = {"User-Agent": UA, "Accept-Encoding": "identity"}  # bytes on the wire = the body received


@pytest.fixture(scope="module")
def logged(db_url, tmp_path_factory):
    """The requests made, their answers, and the log's lines once the server has stopped."""
    log = tmp_path_factory.mktemp("gunicorn") / "log"
    sent: dict[str, list[requests.Response]] = {"with_id": [], "without_id": [], "bad_id": [], "forwarded": [],
                                                "missing": []}
    with gunicorn(db_url, log=log, WORKERS="2", GUNICORN_CMD_ARGS="--access-logfile -",
                  MAPSERVER_TRUSTED_PROXIES='["127.0.0.1/32"]') as server:
        def get(path: str, **headers: str) -> requests.Response:
            return requests.get(f"{server.base}{path}", headers={**PLAIN, **headers}, timeout=30)

        sent["with_id"] = [get("/api/collections", **{"X-Request-ID": f"client-{i}-a1b2"}) for i in range(5)]
        sent["without_id"] = [get("/api/conformance") for _ in range(5)]
        sent["bad_id"] = [get("/api/conformance?bad", **{"X-Request-ID": "two words"})]
        sent["forwarded"] = [get("/api/", **{"X-Forwarded-For": "198.51.100.9"})]
        sent["missing"] = [get("/api/collections/đường", **{"X-Request-ID": "missing-1"})]
    return sent, log.read_text(encoding="utf-8").splitlines()


def _json_lines(lines: list[str]) -> list[dict]:
    return [json.loads(line) for line in lines if line.startswith("{")]


def _line_of(lines: list[str], rid: str) -> dict:
    matches = [entry for entry in _json_lines(lines) if entry["request_id"] == rid]
    assert len(matches) == 1, matches
    return matches[0]


def test_one_json_line_per_request_and_no_plain_line(logged):
    sent, lines = logged
    entries = [e for e in _json_lines(lines) if e["path"] != "/healthz"]  # the start-up's own checks aside
    assert len(entries) == sum(len(answers) for answers in sent.values())
    assert not [line for line in lines if re.search(r'"(GET|HEAD) /\S* HTTP/1\.1"', line)]  # gunicorn's format


def test_a_client_s_request_id_is_kept_and_sent_back(logged):
    sent, lines = logged
    for i, r in enumerate(sent["with_id"]):
        assert r.headers["X-Request-ID"] == f"client-{i}-a1b2"
        entry = _line_of(lines, f"client-{i}-a1b2")
        assert entry["method"] == "GET" and entry["path"] == entry["route"] == "/api/collections"
        assert entry["status"] == 200 and entry["bytes"] == len(r.content) and entry["duration_ms"] > 0
        assert entry["client"] == "127.0.0.1" and entry["user_agent"] == UA


def test_without_a_sane_id_each_request_gets_one_of_its_own(logged):
    sent, lines = logged
    made = [r.headers["X-Request-ID"] for r in sent["without_id"] + sent["bad_id"]]
    assert len(set(made)) == len(made) and all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in made)
    assert all(_line_of(lines, rid)["route"] == "/api/conformance" for rid in made)


def test_the_client_behind_a_trusted_proxy_is_logged(logged):
    sent, lines = logged
    entry = _line_of(lines, sent["forwarded"][0].headers["X-Request-ID"])
    assert entry["client"] == "198.51.100.9"


def test_an_error_answer_carries_the_id_and_its_route(logged):
    sent, lines = logged
    r = sent["missing"][0]
    assert r.status_code == 404 and r.json()["code"] == "NotFound" and r.headers["X-Request-ID"] == "missing-1"
    entry = _line_of(lines, "missing-1")
    assert entry["route"] == "/api/collections/<collectionId>" and entry["path"] == "/api/collections/đường"
    assert entry["status"] == 404
