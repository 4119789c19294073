"""The demo city: four agency files for Ho Chi Minh City, plausible, consistent with the catalog, reproducible."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from common.settings import DEFAULTS
from etl.address import DERIVED_FIELDS
from etl.admin_units import wards
from etl.demo import generate_demo_city

TARGETS = {"health": 600, "education": 1500, "transport": 165, "bus_stops": 4000}
CITY = "Thành phố Hồ Chí Minh"
OLD_PROVINCES = ("Tỉnh Bình Dương", "Tỉnh Bà Rịa - Vũng Tàu")
METRIC_CRS = "EPSG:3405"        # VN-2000 / UTM zone 48N


def _read(paths: dict[str, Path]) -> dict[str, gpd.GeoDataFrame]:
    stops = pd.read_csv(paths["bus_stops"], dtype=str, keep_default_na=False, encoding="utf-8")
    return {
        "health": pyogrio.read_dataframe(paths["health"]),
        "education": pyogrio.read_dataframe(paths["education"], layer="schools"),
        "transport": pyogrio.read_dataframe(paths["transport"]),
        "bus_stops": gpd.GeoDataFrame(stops, crs="EPSG:4326",
                                      geometry=gpd.points_from_xy(stops["lon"].astype(float),
                                                                  stops["lat"].astype(float))),
    }


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> dict[str, Path]:
    return generate_demo_city(tmp_path_factory.mktemp("demo_city"))


@pytest.fixture(scope="module")
def frames(paths) -> dict[str, gpd.GeoDataFrame]:
    return _read(paths)


def test_it_writes_the_four_files_in_their_formats(paths):
    assert set(paths) == set(TARGETS)
    assert [p.name for p in paths.values()] == ["health.geojson", "education.gpkg", "transport.geojson",
                                                "bus_stops.csv"]
    assert pyogrio.read_info(paths["health"])["driver"] == "GeoJSON"
    assert [str(name) for name, _ in pyogrio.list_layers(paths["education"])] == ["schools"]
    assert paths["bus_stops"].read_text(encoding="utf-8").splitlines()[0] == \
        "id,name,kind,routes,address,district,lon,lat"


@pytest.mark.parametrize("slug", sorted(TARGETS))
def test_each_layer_has_about_its_target_count_and_unique_ids(frames, slug):
    frame = frames[slug]
    assert abs(len(frame) - TARGETS[slug]) <= 0.1 * TARGETS[slug]
    assert frame["id"].is_unique and frame["id"].str.len().gt(0).all()


@pytest.mark.parametrize("slug", sorted(TARGETS))
def test_columns_and_kinds_are_the_catalogs(frames, catalog, slug):
    layer = catalog[slug]
    frame = frames[slug]
    # ward, ward_code and province are the ETL's to fill from the address, as for any agency's file
    expected = ["id", *(f for f in layer.field_names if f not in DERIVED_FIELDS)] + \
        (["lon", "lat"] if slug == "bus_stops" else [])
    assert [c for c in frame.columns if c != "geometry"] == expected
    for field in layer.fields:
        if field.values:
            assert set(frame[field.name]) <= set(field.values), field.name
        if field.required:
            assert frame[field.name].notna().all() and frame[field.name].astype(str).str.len().gt(0).all()


def test_geometry_types_and_crs(frames):
    for slug in ("health", "education", "bus_stops"):
        assert set(frames[slug].geom_type) == {"Point"}
        assert frames[slug].crs.to_epsg() == 4326
    transport = frames["transport"]
    assert transport.crs.to_epsg() == 4326
    assert set(transport.loc[transport["kind"] != "metro_station"].geom_type) == {"MultiLineString"}
    assert set(transport.loc[transport["kind"] == "metro_station"].geom_type) == {"Point"}


def test_the_mix_of_kinds_looks_like_a_city(frames):
    health = frames["health"]["kind"].value_counts()
    for kind, target in {"hospital": 60, "clinic": 120, "commune_health_station": 170, "vaccination": 100,
                         "pharmacy": 150}.items():
        assert abs(health[kind] - target) <= 0.15 * target, kind
    schools = frames["education"]["kind"].value_counts()
    assert schools["kindergarten"] > schools["primary"] > schools["lower_secondary"] > schools["upper_secondary"]
    assert 35 <= schools["university"] <= 45
    assert set(frames["education"]["ownership"]) == {"public", "private"}
    assert pd.api.types.is_integer_dtype(frames["education"]["students"])
    assert frames["education"]["students"].gt(0).all()
    kinds = frames["transport"]["kind"].value_counts()
    assert abs(kinds["bus_route"] - 150) <= 15 and kinds["metro_line"] == 1 and kinds["metro_station"] == 14


def test_bus_routes_are_numbered_named_and_timed(frames):
    buses = frames["transport"].loc[frames["transport"]["kind"] == "bus_route"]
    assert buses["route_number"].is_unique
    assert buses["route_number"].str.fullmatch(r"\d{2,3}").all()
    assert buses["name"].str.contains(" – ").all()
    assert buses["headway_min"].between(5, 30).all() and pd.api.types.is_integer_dtype(buses["headway_min"])
    assert buses["operator"].str.len().gt(0).all() and buses["opening_hours"].str.startswith("Mo-Su ").all()
    assert {"01", "19", "52", "150"} <= set(buses["route_number"])


def test_metro_line_1_runs_from_ben_thanh_to_suoi_tien(frames):
    transport = frames["transport"]
    stations = transport.loc[transport["kind"] == "metro_station"].sort_values("id")
    assert stations["name"].iloc[0] == "Ga Bến Thành" and stations["name"].iloc[-1] == "Ga Bến xe Suối Tiên"
    first, last = stations.geometry.iloc[0], stations.geometry.iloc[-1]
    assert abs(first.x - 106.698) < 0.003 and abs(first.y - 10.7725) < 0.003
    assert abs(last.x - 106.814) < 0.003 and abs(last.y - 10.8795) < 0.003
    line = transport.loc[transport["kind"] == "metro_line"].to_crs(METRIC_CRS).geometry.iloc[0]
    assert stations.to_crs(METRIC_CRS).distance(line).max() < 1.0


def test_every_stop_lists_only_routes_that_pass_within_60_m(frames):
    stops = frames["bus_stops"]
    assert stops["routes"].str.len().gt(0).all()
    transport = frames["transport"]
    routes = transport.loc[transport["kind"] == "bus_route"].set_index("route_number").to_crs(METRIC_CRS)
    served = stops.assign(route=stops["routes"].str.split(";")).explode("route")
    assert set(served["route"]) <= set(routes.index)
    points = served.to_crs(METRIC_CRS).geometry.to_numpy()
    lines = routes.geometry.loc[served["route"]].to_numpy()
    assert shapely.distance(points, lines).max() <= 60.0


def test_stops_closer_than_25_m_were_merged_and_terminals_exist(frames):
    stops = frames["bus_stops"].to_crs(METRIC_CRS)
    points = stops.geometry.to_numpy()
    left, right = shapely.STRtree(points).query(points, predicate="dwithin", distance=24.0)
    assert (left == right).all()
    assert (stops["kind"] == "terminal").sum() >= 10
    assert stops["routes"].str.contains(";").mean() > 0.3      # shared streets: many stops serve several routes


def test_names_are_nfc_vietnamese(frames):
    def has_diacritic(text: str) -> bool:
        return "đ" in text.lower() or any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", text))

    for slug, frame in frames.items():
        for column in ("name", "address", "district", "operator"):
            if column in frame:
                values = frame[column].dropna()
                assert (values == values.map(lambda s: unicodedata.normalize("NFC", s))).all(), (slug, column)
        assert frame["name"].map(has_diacritic).mean() >= 0.9, slug
    health = frames["health"]["name"]
    assert health.str.contains("Nhi").any() and health.str.startswith("Bệnh viện Nhi").any()
    assert health.str.startswith("Trạm Y tế Phường").any()
    assert frames["health"]["address"].str.endswith(tuple(f", {p}" for p in (CITY, *OLD_PROVINCES))).all()


def test_everything_lies_within_the_deployment_area(frames):
    area = DEFAULTS["AREA_BBOX"]
    for slug, frame in frames.items():
        west, south, east, north = frame.total_bounds
        assert west >= area[0] and south >= area[1] and east <= area[2] and north <= area[3], slug


def _new_ward(address: pd.Series) -> pd.Series:
    """The ward of a 2025-form address ("…, Phường Sài Gòn, Thành phố Hồ Chí Minh"), else NaN."""
    return address.str.extract(r", ((?:Phường|Xã|Đặc khu) [^,]+), Thành phố Hồ Chí Minh$")[0]


@pytest.mark.parametrize("slug", ["health", "education", "bus_stops"])
def test_addresses_are_in_the_2025_form_with_a_share_in_the_old_one(frames, slug):
    frame = frames[slug].replace({"district": {"": None}})       # the CSV writes an empty district
    ward = _new_ward(frame["address"])
    new_form = ward.notna() & frame["district"].isna()
    assert set(ward[new_form]) <= set(wards(["79"])["name"])
    assert new_form.mean() > 0.6
    old_form = frame.loc[~new_form]
    assert 0.1 < len(old_form) / len(frame) < 0.35
    assert old_form["district"].notna().all()
    assert (old_form["address"].str.split(", ").str[-2] == old_form["district"]).all()


def test_services_spread_over_the_real_wards_denser_where_wards_are_small(frames):
    city = wards(["79"]).set_index("name")
    points = pd.concat([_new_ward(frames[s]["address"]) for s in ("health", "education")]).dropna()
    per_ward = points.value_counts().reindex(city.index, fill_value=0)
    density = per_ward / city["area_km2"]
    small, large = city["area_km2"].quantile([0.25, 0.75])
    assert density[city["area_km2"] <= small].mean() > 5 * density[city["area_km2"] >= large].mean()
    assert (per_ward > 0).mean() > 0.9          # nearly every ward has a school or a health facility
    stations = frames["health"].query("kind == 'commune_health_station'")["name"].str.removeprefix("Trạm Y tế ")
    assert stations.is_unique and set(stations) <= set(city.index) and len(stations) >= 160
    # the former provinces have their share, in their own old form too
    assert {"Phường Thủ Dầu Một", "Phường Vũng Tàu"} & set(points)
    assert frames["health"]["address"].str.endswith(OLD_PROVINCES).any()


def _content(frames: dict[str, gpd.GeoDataFrame]) -> dict[str, pd.DataFrame]:
    return {slug: pd.DataFrame(frame.drop(columns="geometry")).assign(wkt=frame.geometry.to_wkt())
            for slug, frame in frames.items()}


def test_the_same_seed_gives_the_same_city_and_another_seed_another(paths, frames, tmp_path):
    again_paths = generate_demo_city(tmp_path / "again")
    again = _content(_read(again_paths))
    for slug, content in _content(frames).items():
        pd.testing.assert_frame_equal(content, again[slug], check_dtype=False, obj=slug)
        assert paths[slug].read_bytes() == again_paths[slug].read_bytes(), slug
    other = _read(generate_demo_city(tmp_path / "other", seed=7))
    for slug in ("health", "education", "bus_stops"):
        mine = shapely.get_coordinates(frames[slug].geometry.to_numpy())
        theirs = shapely.get_coordinates(other[slug].geometry.to_numpy())
        assert mine.shape != theirs.shape or not np.allclose(mine, theirs), slug
