"""OGC API - Features items and item: GeoJSON, paging to the end, bbox, filters, properties, sortby."""

from __future__ import annotations

import requests
import shapely
from shapely.geometry import box, shape

from tests.routes.test_tiles import published_table


def items(server, slug, **params):
    return requests.get(f"{server}/api/collections/{slug}/items", params=params, timeout=60)


def test_items_are_rfc7946_geojson(server, demo_reports):
    r = items(server, "health", limit=5)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/geo+json"
    body = r.json()
    assert body["type"] == "FeatureCollection" and "crs" not in body
    assert body["numberReturned"] == 5 and body["numberMatched"] == demo_reports["health"].rows_loaded
    lon, lat = body["features"][0]["geometry"]["coordinates"]
    assert 106 < lon < 108 and 10 < lat < 12  # lon/lat order
    assert isinstance(body["features"][0]["id"], str)


def test_following_next_links_reaches_every_feature_once(server, demo_reports):
    url, seen = f"{server}/api/collections/transport/items?limit=40", []
    while url:
        body = requests.get(url, timeout=60).json()
        seen += [f["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == demo_reports["transport"].rows_loaded


def test_prev_link_goes_back_one_page(server):
    first = items(server, "health", limit=7).json()
    second = items(server, "health", limit=7, offset=7).json()
    prev = next(link["href"] for link in second["links"] if link["rel"] == "prev")
    assert [f["id"] for f in requests.get(prev, timeout=30).json()["features"]] == [f["id"] for f in first["features"]]


def test_bbox_returns_only_features_that_meet_it(server, demo_reports):
    bbox = (106.68, 10.76, 106.72, 10.80)
    body = items(server, "health", bbox=",".join(map(str, bbox)), limit=1000).json()
    assert 0 < body["numberReturned"] == body["numberMatched"] < demo_reports["health"].rows_loaded
    area = box(*bbox)
    assert all(shape(f["geometry"]).intersects(area) for f in body["features"])


def test_bbox_errors(server):
    for bad in ("1,2,3", "106.8,10.8,106.7,10.7x", "106,11,107,10", "NaN,10,107,11", "0,0,200,1", "1,2,3,4,5"):
        r = items(server, "health", bbox=bad)
        assert r.status_code == 400, bad
        assert r.json()["code"] == "InvalidParameterValue"


def test_bbox_crossing_the_antimeridian_is_accepted(server):
    r = items(server, "health", bbox="170,10,-170,11")
    assert r.status_code == 200 and r.json()["numberMatched"] == 0


def test_equality_filter_on_a_filterable_property(server):
    body = items(server, "health", kind="vaccination", limit=1000).json()
    assert body["numberMatched"] == body["numberReturned"] > 0
    assert {f["properties"]["kind"] for f in body["features"]} == {"vaccination"}


def test_list_filter_is_membership(server):
    body = items(server, "bus_stops", routes="19", limit=1000).json()
    assert body["numberReturned"] > 0
    assert all("19" in f["properties"]["routes"] for f in body["features"])


def test_filter_errors(server):
    assert items(server, "health", phone="1").status_code == 400  # a field, but not filterable
    assert items(server, "health", kind="castle").status_code == 400  # not one of the declared values
    assert items(server, "health", nonsense="1").status_code == 400


def test_properties_chooses_fields(server):
    body = items(server, "health", properties="name,kind", limit=3).json()
    assert all(set(f["properties"]) == {"name", "kind"} for f in body["features"])
    assert items(server, "health", properties="name,secret").status_code == 400


def test_sortby_orders_and_is_checked(server):
    names = [f["properties"]["name"] for f in items(server, "health", sortby="-name", limit=50).json()["features"]]
    assert names == sorted(names, reverse=True) or len(set(names)) < len(names)
    assert items(server, "health", sortby="-name", limit=50).status_code == 200
    assert items(server, "health", sortby="geom").status_code == 400


def test_limit_bounds(server):
    assert items(server, "health", limit=0).status_code == 400
    assert items(server, "health", limit=10001).status_code == 400
    assert items(server, "health", limit=10000).status_code == 200


def test_item_by_stable_id(server):
    first = items(server, "education", limit=1).json()["features"][0]
    r = requests.get(f"{server}/api/collections/education/items/{first['id']}", timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/geo+json"
    feature = r.json()
    assert feature["type"] == "Feature" and feature["id"] == first["id"]
    assert shapely.equals(shape(feature["geometry"]), shape(first["geometry"]))
    assert any(link["rel"] == "collection" for link in feature["links"])


def test_unknown_feature_is_404(server):
    r = requests.get(f"{server}/api/collections/education/items/NO-SUCH", timeout=30)
    assert r.status_code == 404 and r.json()["code"] == "NotFound"


def test_links_follow_each_requests_host_and_root(app):
    """Link URLs are remembered between requests (mapserver.api.respond._url): never across hosts or roots."""
    client = app.test_client()
    hosts = ("maps.hcm.gov.vn", "bando.example.vn:8443", "maps.hcm.gov.vn")
    for host, root in [(h, "") for h in hosts] + [("maps.hcm.gov.vn", "/hcm")]:
        r = client.get("/api/collections/health/items", query_string={"limit": 2},
                       headers={"Host": host}, environ_overrides={"SCRIPT_NAME": root})
        assert r.status_code == 200
        hrefs = [link["href"] for link in r.get_json()["links"]]
        assert hrefs and all(h.startswith(f"http://{host}{root}/api/collections/health") for h in hrefs), hrefs


def test_pages_without_filters_are_the_rows_in_gid_order(server, conn):
    """Such pages are read by their keys first (mapserver.features.query.features._page_rows): same rows, same order."""
    with conn.cursor() as cur:
        _, table = published_table(cur, "health")
        cur.execute(f"SELECT id FROM layer_data.{table} ORDER BY gid LIMIT 9 OFFSET 30")
        expected = [r[0] for r in cur.fetchall()]
    body = items(server, "health", limit=9, offset=30).json()
    assert [f["id"] for f in body["features"]] == expected and body["numberReturned"] == 9


def test_a_small_box_counts_its_matches_in_the_page_s_own_scan(server, conn):
    box = "106.69,10.76,106.71,10.78"
    first = items(server, "health", bbox=box, limit=2).json()
    with conn.cursor() as cur:
        _, table = published_table(cur, "health")
        cur.execute(f"SELECT count(*) FROM layer_data.{table} "
                    "WHERE geom && ST_MakeEnvelope(106.69, 10.76, 106.71, 10.78, 4326)")
        inside = cur.fetchone()[0]
    assert inside > 2 and first["numberMatched"] == inside and first["numberReturned"] == 2
    assert "next" in {link["rel"] for link in first["links"]}
    last = items(server, "health", bbox=box, limit=2, offset=inside - 1).json()
    assert last["numberReturned"] == 1 and "next" not in {link["rel"] for link in last["links"]}
    past = items(server, "health", bbox=box, limit=2, offset=inside + 5).json()
    assert past["numberMatched"] == inside and past["numberReturned"] == 0 and past["features"] == []
