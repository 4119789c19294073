"""A GTFS feed as the layers the map shows: stops with the routes serving them, and routes as lines.

The feed is turned into a small GeoPackage in the layer's columns, which then goes through the same
read -> validate -> load path as any agency file (so GTFS rows are checked and reported like the rest).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from etl.errors import LoadRefused
from layers import Layer

_REQUIRED_COLUMNS = {
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"), "routes.txt": ("route_id",), "trips.txt": ("trip_id", "route_id"),
    "stop_times.txt": ("trip_id", "stop_id", "stop_sequence"),
    "shapes.txt": ("shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"),
    "agency.txt": ("agency_timezone",), "calendar.txt": ("service_id", "start_date", "end_date"),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
}
METRO_ROUTE_TYPES = {"0", "1", "2", "5", "7", "12"}  # tram, subway, rail, cable tram, funicular, monorail


def read_table(feed: Path, name: str, columns: list[str] | None = None, required: bool = True) -> pd.DataFrame | None:
    """One feed file as text columns (only `columns`, absent optional ones as ""); refuses a missing file or a
    missing required column."""
    path = feed / name
    if not path.exists():
        if required:
            raise LoadRefused(f"the GTFS feed has no {name}", f"bộ dữ liệu GTFS thiếu {name}", source=name)
        return None
    # object, not pandas 3's Arrow-backed str: its isin is fifty times slower on a million stop_times
    frame = pd.read_csv(path, dtype=object, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True,
                        usecols=lambda c: columns is None or c.strip() in columns)
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in (columns or []) if c not in frame.columns and c in _REQUIRED_COLUMNS.get(name, ())]
    if missing:
        raise LoadRefused(f"{name} has no column {missing[0]}", f"{name} thiếu cột {missing[0]}",
                          source=name, field=missing[0])
    return frame if columns is None else frame.reindex(columns=columns, fill_value="")


def _route_labels(feed: Path) -> pd.DataFrame:
    routes = read_table(feed, "routes.txt", ["route_id", "route_short_name", "route_long_name", "route_type",
                                         "agency_id"])
    short = routes["route_short_name"].str.strip()
    routes["label"] = short.where(short != "", routes["route_long_name"].str.strip())
    routes["label"] = routes["label"].where(routes["label"] != "", routes["route_id"])
    return routes


def stops(feed: Path) -> gpd.GeoDataFrame:
    """Boarding points (stops and stations) with the route numbers that serve each, in `bus_stops` columns."""
    table = read_table(feed, "stops.txt", ["stop_id", "stop_name", "stop_desc", "stop_lat", "stop_lon",
                                       "location_type", "parent_station"])
    table = table[table["location_type"].isin(["", "0", "1"])]
    served = (read_table(feed, "stop_times.txt", ["trip_id", "stop_id"])
              .merge(read_table(feed, "trips.txt", ["trip_id", "route_id"]), on="trip_id")
              [["stop_id", "route_id"]].drop_duplicates()
              .merge(_route_labels(feed)[["route_id", "label"]], on="route_id"))
    station_of = table.set_index("stop_id")["parent_station"]
    at_station = served.assign(stop_id=served["stop_id"].map(station_of))
    served = pd.concat([served, at_station[at_station["stop_id"].fillna("") != ""]])
    labels = served.groupby("stop_id")["label"].agg(lambda s: "; ".join(sorted(set(s), key=_natural)))
    lon = pd.to_numeric(table["stop_lon"], errors="coerce")
    lat = pd.to_numeric(table["stop_lat"], errors="coerce")
    return gpd.GeoDataFrame({
        "id": table["stop_id"].to_numpy(),
        "name": table["stop_name"].to_numpy(),
        "kind": np.where(table["location_type"] == "1", "terminal", "stop"),
        "routes": table["stop_id"].map(labels).to_numpy(),
        "address": table["stop_desc"].to_numpy(),
    }, geometry=shapely.points(lon.to_numpy(), lat.to_numpy()), crs="EPSG:4326")


def _natural(label: str) -> tuple:
    return (0, int(label), "") if label.isdigit() else (1, 0, label)


def shape_lines(feed: Path) -> pd.Series | None:
    shapes = read_table(feed, "shapes.txt", ["shape_id", "shape_pt_lat", "shape_pt_lon", "shape_pt_sequence"],
                    required=False)
    if shapes is None or shapes.empty:
        return None
    shapes = shapes.assign(seq=pd.to_numeric(shapes["shape_pt_sequence"], errors="coerce"),
                           x=pd.to_numeric(shapes["shape_pt_lon"], errors="coerce"),
                           y=pd.to_numeric(shapes["shape_pt_lat"], errors="coerce")).dropna(subset=["seq", "x", "y"])
    return _lines(shapes.sort_values(["shape_id", "seq"]), "shape_id")


def _lines(points: pd.DataFrame, key: str) -> pd.Series:
    """One LineString per value of `key`, through its points in their order (groups of one point dropped)."""
    counts = points.groupby(key, sort=False).size()
    points = points[points[key].isin(counts[counts > 1].index)]
    codes, uniques = pd.factorize(points[key])
    lines = shapely.linestrings(points["x"].to_numpy(), points["y"].to_numpy(), indices=codes)
    return pd.Series(lines, index=uniques)


def _stop_sequence_lines(feed: Path, trips: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Without shapes: for each route and direction, the line through the stops of its longest trip."""
    times = read_table(feed, "stop_times.txt", ["trip_id", "stop_id", "stop_sequence"])
    times["seq"] = pd.to_numeric(times["stop_sequence"], errors="coerce")
    length = times.groupby("trip_id").size().rename("n")
    longest = (trips.join(length, on="trip_id").sort_values("n", ascending=False)
               .drop_duplicates(["route_id", "direction_id"]))
    stops_xy = read_table(feed, "stops.txt", ["stop_id", "stop_lat", "stop_lon"])
    stops_xy = stops_xy.assign(x=pd.to_numeric(stops_xy["stop_lon"], errors="coerce"),
                               y=pd.to_numeric(stops_xy["stop_lat"], errors="coerce"))
    points = (times[times["trip_id"].isin(longest["trip_id"])].merge(stops_xy[["stop_id", "x", "y"]], on="stop_id")
              .dropna(subset=["x", "y"]).sort_values(["trip_id", "seq"]))
    return _lines(points, "trip_id"), longest.assign(shape_id=longest["trip_id"])


def routes(feed: Path) -> gpd.GeoDataFrame:
    """One MultiLineString per route (its shapes, or its stop sequences), in `transport` columns."""
    trips = read_table(feed, "trips.txt", ["trip_id", "route_id", "shape_id", "direction_id"])
    lines = shape_lines(feed)
    used = trips[trips["shape_id"] != ""]
    if lines is None or used.empty:
        lines, used = _stop_sequence_lines(feed, trips)
    pairs = used[["route_id", "shape_id"]].drop_duplicates()
    pairs = pairs[pairs["shape_id"].isin(lines.index)]
    geometry = pairs.assign(line=pairs["shape_id"].map(lines)).groupby("route_id")["line"].agg(
        lambda parts: shapely.multilinestrings(list(parts)))
    table = _route_labels(feed).join(geometry, on="route_id")
    agencies = read_table(feed, "agency.txt", None, required=False)
    operator = _operators(agencies, table)
    long_name = table["route_long_name"].str.strip()
    return gpd.GeoDataFrame({
        "id": table["route_id"].to_numpy(),
        "name": long_name.where(long_name != "", table["label"]).to_numpy(),
        "kind": np.where(table["route_type"].isin(METRO_ROUTE_TYPES), "metro_line", "bus_route"),
        "route_number": table["route_short_name"].to_numpy(),
        "operator": operator,
    }, geometry=table["line"].to_numpy(), crs="EPSG:4326")


def _operators(agencies: pd.DataFrame | None, table: pd.DataFrame) -> np.ndarray:
    if agencies is None or "agency_name" not in agencies:
        return np.full(len(table), None, dtype=object)
    if "agency_id" in agencies and (table["agency_id"] != "").any():
        return table["agency_id"].map(agencies.set_index("agency_id")["agency_name"]).to_numpy()
    return np.full(len(table), agencies["agency_name"].iloc[0], dtype=object)


def to_layer_file(feed: Path, layer: Layer, outdir: Path) -> Path:
    """Write the part of the feed that fits `layer` as a GeoPackage in outdir; refuse a layer GTFS cannot fill."""
    if "Point" in layer.geometry_types and layer.field("routes") is not None:
        frame = stops(feed)
    elif "MultiLineString" in layer.geometry_types:
        frame = routes(feed)
    else:
        raise LoadRefused(f"a GTFS feed loads into a stops layer or a routes layer, not {layer.slug!r}",
                          f"dữ liệu GTFS chỉ nạp vào lớp trạm dừng hoặc lớp tuyến, không phải {layer.slug!r}",
                          source=feed.name)
    path = Path(outdir) / f"gtfs_{layer.slug}.gpkg"
    pyogrio.write_dataframe(frame, path, layer=layer.slug, driver="GPKG")
    return path
