"""/api/search: diacritics folded, đ -> d, one typo, exact > prefix > similarity, nearer first with `near`."""

from __future__ import annotations

import unicodedata

import psycopg2
import requests
from psycopg2 import sql
from pyproj import Geod

from layers import load_catalog
from mapserver import create_app
from mapserver.features.query.search import (
    WORDS_MAX,
    SearchTarget,
    query_words,
    search_statement,
    word_params,
)
from mapserver.web.catalog import published
from tests.serving import serving

# Vietnamese letters with every tone mark, both cases: Vietnamese Unicode (TCVN 6909) in its composed form.
BASES = "aăâeêioôơuưy"
TONES = "\u0300\u0301\u0309\u0303\u0323"
LETTERS = [unicodedata.normalize("NFC", b + t) for b in BASES for t in ["", *TONES]] + ["đ"]


def search(server, **params):
    r = requests.get(f"{server}/api/search", params=params, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/geo+json"
    return r.json()["features"]


def test_without_diacritics_finds_the_vietnamese_name(server):
    features = search(server, q="benh vien nhi", layer="health", limit=5)
    assert features and all("Bệnh viện Nhi" in f["properties"]["name"] for f in features)


def test_d_and_đ_are_the_same_letter(server):
    with_d = search(server, q="dong", layer="health", limit=20)
    with_đ = search(server, q="Đồng", layer="health", limit=20)
    assert with_d and [f["id"] for f in with_d] == [f["id"] for f in with_đ]


def test_fold_takes_every_vietnamese_letter_to_its_base_letter(db_url):
    letters = LETTERS + [letter.upper() for letter in LETTERS]
    expected = ["d" if c in "đĐ" else unicodedata.normalize("NFD", c)[0].lower() for c in letters]
    conn = psycopg2.connect(db_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT mapserver.fold(c) FROM unnest(%s::text[]) WITH ORDINALITY u(c, n) ORDER BY n",
                        (letters,))
            assert [row[0] for row in cur.fetchall()] == expected
            cur.execute("SELECT mapserver.fold('Bệnh viện Đa khoa Đồng Nai'), mapserver.fold(NULL)")
            assert cur.fetchone() == ("benh vien da khoa dong nai", None)
    finally:
        conn.close()


def test_one_typo_is_tolerated(server):
    right = {f["id"] for f in search(server, q="benh vien nhi", layer="health", limit=5)}
    typo = [f["id"] for f in search(server, q="bemh vien nhi", layer="health", limit=5)]
    assert typo and set(typo) <= right | set(typo) and typo[0] in right


def test_every_word_must_be_found_one_matching_word_is_not_a_match(server):
    assert search(server, q="benh vien nhi", layer="health", limit=5)
    assert search(server, q="benh vien qxqxqx", layer="health", limit=5) == []
    assert search(server, q="bemh vien nhi", layer="health", limit=5)


def test_the_query_words_are_its_words_once_each_up_to_the_most_tested():
    assert query_words("Bệnh viện  Nhi, bệnh-viện (Q.1)") == ["bệnh", "viện", "nhi", "q", "1"]
    assert query_words("!!! ...") == []
    assert len(query_words(" ".join(f"w{i}" for i in range(20)))) == WORDS_MAX


def _plan(db_url, q: str, limit: int) -> str:
    conn = psycopg2.connect(db_url)
    try:
        with conn.cursor() as cur:
            target = SearchTarget(load_catalog()["health"], published(cur, "health"), 0)
            words = query_words(q)
            cur.execute(sql.SQL("EXPLAIN (ANALYZE, COSTS OFF) ") + search_statement([target], False, len(words)),
                        {"q": q, "limit": limit, "slug0": "health", **word_params(words)})
            return "\n".join(row[0] for row in cur.fetchall())
    finally:
        conn.close()


def test_similar_spellings_are_searched_only_when_the_query_as_typed_finds_less_than_a_page(db_url):
    """The similar phase's scan is behind a one-time test: on a large layer it is most of a search's cost."""
    similar_scan = "One-Time Filter"
    found_as_typed = _plan(db_url, "benh vien", 3)
    assert similar_scan in found_as_typed
    assert "never executed" in found_as_typed.split(similar_scan)[1].splitlines()[1]
    with_a_typo = _plan(db_url, "bemh vien", 3)
    assert "never executed" not in with_a_typo.split(similar_scan)[1].splitlines()[1]


def test_exact_then_prefix_then_similar(server):
    exact_name = search(server, q="benh vien nhi", layer="health", limit=1)[0]["properties"]["name"]
    features = search(server, q=exact_name, layer="health", limit=10)
    assert features[0]["properties"]["name"] == exact_name
    prefix = search(server, q="benh vien", layer="health", limit=10)
    assert all(f["properties"]["name"].startswith("Bệnh viện") for f in prefix)


def test_near_orders_equal_matches_by_distance_and_adds_distance(server):
    place = (106.75, 10.85)
    features = search(server, q="benh vien", layer="health", near=f"{place[0]},{place[1]}", limit=10)
    distances = [f["properties"]["distance_m"] for f in features]
    assert distances == sorted(distances)
    _, _, metres = Geod(ellps="WGS84").inv(*place, *features[0]["geometry"]["coordinates"])
    assert abs(metres - distances[0]) < 0.1


def test_searches_every_layer_and_says_which(server):
    for slug in ("health", "education", "transport", "bus_stops"):
        feature = requests.get(f"{server}/api/collections/{slug}/items", params={"limit": 1}, timeout=30).json()
        name = feature["features"][0]["properties"]["name"]
        hits = search(server, q=name, limit=50)
        assert any(f["properties"]["layer"] == slug and f["properties"]["name"] == name for f in hits), slug


def test_search_errors(server):
    for params in ({}, {"q": ""}, {"q": "x" * 201}, {"q": "a", "near": "1"}, {"q": "a", "near": "nan,1"},
                   {"q": "a", "limit": "101"}, {"q": "a", "layer": "nope"}):
        r = requests.get(f"{server}/api/search", params=params, timeout=30)
        assert r.status_code in (400, 404), params
        assert "code" in r.json()


def test_a_search_past_the_statement_timeout_says_to_ask_for_less_not_that_the_database_is_down(fresh_db_url):
    conn = psycopg2.connect(fresh_db_url)
    with conn, conn.cursor() as cur:  # every fold now takes longer than the whole statement may
        cur.execute("CREATE OR REPLACE FUNCTION mapserver.fold(text) RETURNS text LANGUAGE plpgsql IMMUTABLE "
                    "STRICT AS $$ BEGIN PERFORM pg_sleep(1); RETURN lower($1); END $$")
    conn.close()
    with serving(create_app({"DATABASE_URL": fresh_db_url, "STATEMENT_TIMEOUT_MS": 300})) as base:
        r = requests.get(f"{base}/api/search", params={"q": "benh vien", "lang": "en"}, timeout=30)
        health = requests.get(f"{base}/healthz", timeout=30)
    assert r.status_code == 503 and r.json()["code"] == "Timeout"
    assert "ask for less" in r.json()["description"] and "thu hẹp" in r.json()["messages"]["vi"]
    assert health.status_code == 200 and health.json()["database"] == "up"
