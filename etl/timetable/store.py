"""Write a checked timetable as a new version of the network, in one transaction.

Each trip is one row holding its stops and times as arrays: the router reads a whole version at once, and
twenty thousand rows come back far faster than a million stop_times rows would.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import shapely
from psycopg2 import sql

from etl.report import LoadReport
from etl.timetable.feed import Timetable

LOCK_CLASS = 7_311_003  # pg_advisory_xact_lock(class, hashtext(network)): one timetable load at a time


def _copy(cur, table: str, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier("mapserver", table), sql.SQL(", ").join(map(sql.Identifier, frame.columns)))
    cur.copy_expert(statement, buffer)


def _text_array(values) -> str:
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def _int_array(values: np.ndarray) -> str:
    return "{" + ",".join(map(str, values.tolist())) + "}"


def _trip_rows(timetable: Timetable) -> pd.DataFrame:
    """One row per trip, its stops and times as array literals, in the feed's stop order."""
    times = timetable.stop_times
    ids, starts = np.unique(times["trip_id"].to_numpy(), return_index=True)
    order = np.argsort(starts)
    ids, starts = ids[order], starts[order]
    bounds = np.append(starts, len(times))
    stop_ids, arrivals, departures = (times[c].to_numpy() for c in ("stop_id", "arrival", "departure"))
    arrays = pd.DataFrame({
        "trip_id": ids,
        "stop_ids": [_text_array(stop_ids[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)],
        "arrivals": [_int_array(arrivals[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)],
        "departures": [_int_array(departures[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)],
    })
    trips = timetable.trips[["trip_id", "route_id", "service_id", "headsign", "shape_id"]]
    trips = trips.assign(shape_id=trips["shape_id"].where(trips["shape_id"].isin(timetable.shapes.index)))
    return trips.merge(arrays, on="trip_id")


def _next_version(cur, network: str) -> int:
    cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LOCK_CLASS, network))
    cur.execute("SELECT coalesce(max(version), 0) + 1 FROM mapserver.network_versions WHERE network_slug = %s",
                (network,))
    return cur.fetchone()[0]


def write_version(conn, network: str, timetable: Timetable, report: LoadReport, *, source_sha256: str,
                  actor: str) -> int:
    """Insert the timetable as the next version (not yet published); returns its number."""
    first, last = timetable.dates
    counts = {"stops": len(timetable.stops), "routes": len(timetable.routes), "trips": len(timetable.trips),
              "stop_times": len(timetable.stop_times), "services": len(timetable.services),
              "shapes": len(timetable.shapes)}
    with conn, conn.cursor() as cur:
        version = _next_version(cur, network)
        report.version = version
        cur.execute(
            "INSERT INTO mapserver.network_versions (network_slug, version, timezone, first_date, last_date, counts,"
            " source_name, source_sha256, report, created_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (network, version, timetable.timezone, first, last, json.dumps(counts), report.source, source_sha256,
             json.dumps(report.to_dict(), ensure_ascii=False, default=str), actor))
        key = {"network_slug": network, "version": version}
        stops = timetable.stops
        _copy(cur, "timetable_stops", pd.DataFrame({
            **key, "stop_id": stops["stop_id"], "name": stops["name"],
            "geom": [f"SRID=4326;POINT({x!r} {y!r})" for x, y in zip(stops["lon"], stops["lat"], strict=True)],
            "parent_station": stops["parent_station"].where(stops["parent_station"] != "")}))
        _copy(cur, "timetable_routes", timetable.routes.assign(**key))
        _copy(cur, "timetable_services", pd.DataFrame({
            **key, "service_id": timetable.services.index,
            "dates": ["{" + ",".join(d.isoformat() for d in ds) + "}" for ds in timetable.services]}))
        shapes = timetable.shapes
        _copy(cur, "timetable_shapes", pd.DataFrame({
            **key, "shape_id": shapes.index,
            "geom": shapely.to_wkb(shapely.set_srid(shapes.to_numpy(), 4326), hex=True, include_srid=True)}))
        _copy(cur, "timetable_trips", _trip_rows(timetable).assign(**key))
    return version


def record_report(conn, network: str, report: LoadReport) -> None:
    """The final report (published, seconds) on its version, for the agency area and `transit versions`."""
    with conn, conn.cursor() as cur:
        cur.execute("UPDATE mapserver.network_versions SET report = %s WHERE network_slug = %s AND version = %s",
                    (json.dumps(report.to_dict(), ensure_ascii=False, default=str), network, report.version))
