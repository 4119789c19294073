"""Part 4 writes on live layers over real HTTP: create, replace, update, delete; ETags; idempotency; audit."""

from __future__ import annotations

import json
import threading

import psycopg2
import pytest
import requests

from tests.agency.conftest import audit_rows, bearer
from tests.live.writers import alert

ITEMS = "/api/collections/alerts/items"


def post(base: str, token: str, body: dict, **headers) -> requests.Response:
    return requests.post(base + ITEMS, data=json.dumps(body), timeout=10,
                         headers={"Content-Type": "application/geo+json", **bearer(token), **headers})


def tag(response: requests.Response) -> str:
    """The ETag without the suffix the compressor adds to a gzipped answer's (`"12:gzip"`)."""
    return response.headers["ETag"].replace(":gzip", "")


def events_of(db_url: str, feature_id: str) -> list[tuple]:
    conn = psycopg2.connect(db_url)
    with conn.cursor() as cur:
        cur.execute("SELECT kind, revision FROM mapserver.live_events WHERE feature_id = %s ORDER BY id", (feature_id,))
        rows = cur.fetchall()
    conn.close()
    return rows


def test_create_read_patch_delete(live_server, live_db, writers):
    created = post(live_server, writers.alerts, alert("flood-1"))
    assert created.status_code == 201, created.text
    assert created.headers["Location"].endswith(f"{ITEMS}/flood-1")
    etag = created.headers["ETag"]
    assert created.json()["properties"]["severity"] == "severe"

    read = requests.get(created.headers["Location"], timeout=10)
    assert read.status_code == 200 and tag(read) == etag
    assert read.json()["properties"]["headline"] == "Ngập sâu đường Nguyễn Hữu Cảnh"

    patched = requests.patch(created.headers["Location"], data=json.dumps({"properties": {"severity": "extreme",
                             "instruction": None}}), timeout=10,
                             headers={"Content-Type": "application/merge-patch+json", "If-Match": etag,
                                      **bearer(writers.alerts)})
    assert patched.status_code == 200, patched.text
    assert patched.json()["properties"]["severity"] == "extreme"
    assert patched.json()["properties"]["instruction"] is None
    assert patched.json()["properties"]["headline"] == "Ngập sâu đường Nguyễn Hữu Cảnh"
    assert patched.headers["ETag"] != etag

    stale = requests.delete(created.headers["Location"], headers={"If-Match": etag, **bearer(writers.alerts)},
                            timeout=10)
    assert stale.status_code == 412 and stale.json()["messages"]["vi"]
    gone = requests.delete(created.headers["Location"], timeout=10,
                           headers={"If-Match": patched.headers["ETag"], **bearer(writers.alerts)})
    assert gone.status_code == 204
    assert requests.get(created.headers["Location"], timeout=10).status_code == 404
    assert [k for k, _ in events_of(live_db[0], "flood-1")] == ["create", "update", "delete"]
    actions = [(a, r) for a, _, t, r, _ in audit_rows(live_db[0]) if t == "alerts/flood-1"]
    assert actions == [("feature.create", "ok"), ("feature.update", "ok"), ("feature.delete", "refused"),
                       ("feature.delete", "ok")]


def test_put_replaces_whole_feature_and_needs_if_match(live_server, writers):
    url = post(live_server, writers.alerts, alert("flood-put")).headers["Location"]
    headers = {"Content-Type": "application/geo+json", **bearer(writers.alerts)}
    replacement = alert(severity="minor", headline="Nước đã rút một phần")
    missing = requests.put(url, data=json.dumps(replacement), headers=headers, timeout=10)
    assert missing.status_code == 428
    etag = tag(requests.get(url, timeout=10))
    replaced = requests.put(url, data=json.dumps(replacement), headers={**headers, "If-Match": etag}, timeout=10)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["properties"]["headline"] == "Nước đã rút một phần"
    assert replaced.json()["id"] == "flood-put"


def test_concurrent_patches_with_one_etag_one_wins(live_server, writers):
    url = post(live_server, writers.alerts, alert("flood-race")).headers["Location"]
    etag = tag(requests.get(url, timeout=10))
    statuses: list[int] = []
    barrier = threading.Barrier(4)

    def patch(severity: str) -> None:
        barrier.wait()
        statuses.append(requests.patch(url, data=json.dumps({"properties": {"severity": severity}}), timeout=10,
                                       headers={"Content-Type": "application/merge-patch+json", "If-Match": etag,
                                                **bearer(writers.alerts)}).status_code)

    threads = [threading.Thread(target=patch, args=(s,)) for s in ("minor", "moderate", "severe", "extreme")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 412, 412, 412]


def test_idempotency_key_makes_a_retried_post_safe(live_server, live_db, writers):
    body = alert(headline="Triều cường chiều nay")
    first = post(live_server, writers.alerts, body, **{"Idempotency-Key": "retry-1"})
    again = post(live_server, writers.alerts, body, **{"Idempotency-Key": "retry-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and again.headers["Idempotency-Replayed"] == "true"
    assert len(events_of(live_db[0], first.json()["id"])) == 1
    other = post(live_server, writers.alerts, alert(headline="Khác"), **{"Idempotency-Key": "retry-1"})
    assert other.status_code == 422


def test_a_collection_is_one_transaction(live_server, live_db, writers):
    bad = post(live_server, writers.alerts, {"type": "FeatureCollection", "features": [
        alert("batch-1"), alert("batch-2", kind="volcano"), alert("batch-3", lon=120.0)]})
    assert bad.status_code == 400
    where = {p["where"] for p in bad.json()["problems"]}
    assert where == {"features[1].properties.kind", "features[2].geometry"}
    assert events_of(live_db[0], "batch-1") == []
    good = post(live_server, writers.alerts, {"type": "FeatureCollection",
                                             "features": [alert("batch-1"), alert("batch-2", kind="Lũ quét")]})
    assert good.status_code == 201
    assert [f["properties"]["kind"] for f in good.json()["features"]] == ["flood", "flood"]


@pytest.mark.parametrize("body, status", [
    (b"{not json", 400), (b'{"type": "Feature", "geometry": null, "properties": {}}', 400),
    (b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.7, 10.8]}, '
     b'"properties": {"kind": "flood", "severity": "severe", "headline": "x", "colour": "red"}}', 400),
    (b'{"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.7, 10.8]}, '
     b'"properties": {"kind": "flood", "severity": "severe", "headline": "x", "valid_to": "tomorrow"}}', 400),
])
def test_bad_bodies_get_a_bilingual_4xx(live_server, writers, body, status):
    answer = requests.post(live_server + ITEMS, data=body, timeout=10,
                           headers={"Content-Type": "application/geo+json", **bearer(writers.alerts)})
    assert answer.status_code == status
    assert answer.json()["messages"]["vi"] and answer.json()["messages"]["en"]


def test_who_may_write(live_server, writers):
    assert post(live_server, "", alert()).status_code == 401
    assert post(live_server, writers.health, alert()).status_code == 403
    assert post(live_server, writers.viewer, alert()).status_code == 403
    assert post(live_server, writers.outages, alert()).status_code == 403
    assert post(live_server, writers.admin, alert()).status_code == 201
    not_live = requests.post(live_server + "/api/collections/health/items", data="{}", timeout=10,
                             headers={"Content-Type": "application/geo+json", **bearer(writers.admin)})
    assert not_live.status_code == 405
    text = requests.post(live_server + ITEMS, data="x", timeout=10,
                         headers={"Content-Type": "text/plain", **bearer(writers.alerts)})
    assert text.status_code == 415
