"""Write the demo city's layers as the agencies would hand them over: GeoJSON, GeoPackage and a plain CSV."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from etl.demo.facilities import health_facilities
from etl.demo.geo import to_lonlat
from etl.demo.gtfs import write_feed
from etl.demo.names import nfc
from etl.demo.network import build_network
from etl.demo.places import METRO_STATIONS
from etl.demo.schools import schools
from etl.demo.stops import bus_stops
from etl.demo.transit import BusRoute, bus_routes, metro_line
from etl.demo.wards import move_outward, readdress

FILES = {"health": "health.geojson", "education": "education.gpkg", "transport": "transport.geojson",
         "bus_stops": "bus_stops.csv"}
COLUMNS = {
    "health": ["id", "name", "kind", "address", "district", "phone", "opening_hours"],
    "education": ["id", "name", "kind", "ownership", "address", "district", "phone", "students"],
    "transport": ["id", "name", "kind", "route_number", "operator", "headway_min", "opening_hours"],
    "bus_stops": ["id", "name", "kind", "routes", "address", "district", "lon", "lat"],
}
FEED_FILE = "gtfs.zip"      # the timetable of the transport layer's routes and the bus stops, beside the layers
DECIMALS = 6        # ~0.1 m: what agencies export, and it keeps files small
# Each layer draws from its own stream, so changing how one layer is made leaves the others as they were.
STREAMS = {"health": 1, "education": 2, "transport": 3}
# GeoPackages record when they were written; a fixed date makes the same seed give the same bytes, so a loader
# that skips files it has already published by checksum skips a regenerated demo too.
GPKG_DATE = "2025-01-01T00:00:00Z"


def generate_demo_city(outdir: Path, seed: int = 2025) -> dict[str, Path]:
    """Write the demo city's layer files into outdir, and its GTFS feed as FEED_FILE; return {layer_slug: path}."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = {slug: outdir / name for slug, name in FILES.items()}
    for path in [*paths.values(), outdir / FEED_FILE]:
        path.unlink(missing_ok=True)
    rng = _rng(seed, "health")
    _write(_points(_on_wards(rng, health_facilities(rng)), COLUMNS["health"]), paths["health"])
    rng = _rng(seed, "education")
    _write(_points(_on_wards(rng, schools(rng)), COLUMNS["education"]), paths["education"], layer="schools")
    rng = _rng(seed, "transport")
    network = build_network(rng)
    routes = bus_routes(rng, network)
    _write(_transport(routes), paths["transport"])
    stops = _text_nfc(readdress(rng, bus_stops(rng, network, routes))[COLUMNS["bus_stops"]])
    stops.to_csv(paths["bus_stops"], index=False, encoding="utf-8", lineterminator="\n",
                 float_format=f"%.{DECIMALS}f")
    write_feed(outdir / FEED_FILE, routes, stops, version=f"demo-seed-{seed}")
    return paths


def _rng(seed: int, layer: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAMS[layer]])


def _on_wards(rng: np.random.Generator, records: list[dict]) -> pd.DataFrame:
    """Part of the movable records moved to the former provinces, then every address written from its ward."""
    frame = pd.DataFrame(records)
    flag = {k: frame[k].astype("boolean").fillna(False) if k in frame else pd.Series(False, index=frame.index)
            for k in ("landmark", "movable")}
    return readdress(rng, move_outward(rng, frame, flag["movable"]), keep=flag["landmark"])


def _points(frame: pd.DataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    geometry = shapely.points(np.round(frame["lon"], DECIMALS), np.round(frame["lat"], DECIMALS))
    return gpd.GeoDataFrame(_text_nfc(frame[columns]), geometry=geometry, crs="EPSG:4326")


def _transport(routes: list[BusRoute]) -> gpd.GeoDataFrame:
    """Bus routes and the metro line as one-part MultiLineStrings, then the metro stations as Points."""
    rows, geometries = [], []
    for r in routes:
        rows.append({"id": f"BR-{int(r.number):03d}", "name": r.name, "kind": "bus_route", "route_number": r.number,
                     "operator": r.operator, "headway_min": r.headway_min, "opening_hours": r.opening_hours})
        geometries.append(_multiline(np.column_stack(to_lonlat(r.line[:, 0], r.line[:, 1]))))
    line, stations = metro_line()
    rows.append(line)
    geometries.append(_multiline(np.array([(s.lon, s.lat) for s in METRO_STATIONS])))
    rows += stations
    geometries += [shapely.Point(round(s.lon, DECIMALS), round(s.lat, DECIMALS)) for s in METRO_STATIONS]
    frame = _text_nfc(pd.DataFrame(rows)[COLUMNS["transport"]])
    return gpd.GeoDataFrame(frame, geometry=geometries, crs="EPSG:4326")


def _multiline(coords: np.ndarray) -> shapely.MultiLineString:
    return shapely.MultiLineString([np.round(coords, DECIMALS)])


def _text_nfc(frame: pd.DataFrame) -> pd.DataFrame:
    """NFC for every text column: what readers and the search index expect."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(nfc, na_action="ignore")
    return frame


def _write(frame: gpd.GeoDataFrame, path: Path, layer: str | None = None) -> None:
    if path.suffix == ".gpkg":
        with _gdal_option("OGR_CURRENT_DATE", GPKG_DATE):
            frame.to_file(path, driver="GPKG", layer=layer, engine="pyogrio")
    else:
        frame.to_file(path, driver="GeoJSON", engine="pyogrio", layer_options={"COORDINATE_PRECISION": DECIMALS})


@contextmanager
def _gdal_option(name: str, value: str):
    """Set a GDAL config option for the duration of a write, then put back what was there."""
    before = pyogrio.get_gdal_config_option(name)
    pyogrio.set_gdal_config_options({name: value})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({name: before})
