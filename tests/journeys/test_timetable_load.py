"""Loading a GTFS timetable: bad rows named and left out, bad feeds refused with the published one kept,
frequencies expanded, and the `mapserver transit` commands as an operator runs them."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from etl.errors import LoadRefused
from tests import pg
from tests.journeys.conftest import load
from tests.test_cli import _run


def _edit(source: Path, target: Path, **edits) -> Path:
    """A copy of the feed with some files changed by `edits[name](frame) -> frame` (None drops the file)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for name in old.namelist():
            key = name.removesuffix(".txt")
            frame = pd.read_csv(io.BytesIO(old.read(name)), dtype=str, keep_default_na=False)
            if key in edits:
                frame = edits[key](frame)
                if frame is None:
                    continue
            new.writestr(name, frame.to_csv(index=False, lineterminator="\n"))
    return target


def _member(feed: Path, name: str) -> pd.DataFrame:
    with zipfile.ZipFile(feed) as archive, archive.open(name) as fh:
        return pd.read_csv(fh, dtype=str)


def _published(url) -> int | None:
    return pg.fetch(url, "SELECT published_version FROM mapserver.networks WHERE slug = 'transit'")[0][0]


def _spoil_stop_times(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[3, "arrival_time"] = "7h05"                   # line 5: not a time
    frame.loc[10, "stop_id"] = "NO-SUCH-STOP"               # line 12
    first_trip = frame["trip_id"] == frame.loc[40, "trip_id"]
    rows = frame.index[first_trip]
    frame.loc[rows[2], ["arrival_time", "departure_time"]] = "04:00:00"  # the whole trip goes back in time
    frame.loc[100, "departure_time"] = "00:00:01"           # line 102: leaves before it arrives
    return frame


def test_bad_rows_are_named_and_left_out(fresh_db_url, grid_feed, tmp_path):
    feed = _edit(grid_feed, tmp_path / "bad.zip", stop_times=_spoil_stop_times,
                 stops=lambda f: f.assign(stop_lat=f["stop_lat"].mask(f.index == 5, "north")))
    times = _member(feed, "stop_times.txt")
    report = load(fresh_db_url, feed)
    assert report.published
    named = {(r.field, r.row, r.code) for r in report.rejections}
    assert ("stop_times.txt:arrival_time", 5, "bad_time") in named
    assert ("stop_times.txt:stop_id", 12, "unknown_stop") in named
    assert ("stop_times.txt:arrival_time", 102, "arrival_after_departure") in named
    assert ("stops.txt:stop_lat", 7, "bad_coordinates") in named
    back = next(r for r in report.rejections if r.code == "time_goes_back")
    assert back.field == "stop_times.txt:arrival_time" and back.value == "04:00:00"
    assert all(r.reason and r.reason_vi for r in report.rejections)
    # The trip that went back is not in the timetable; the trips with one bad row keep their other stops.
    gone = times.loc[back.row - 2, "trip_id"]
    version = report.version
    kept = dict(pg.fetch(fresh_db_url, "SELECT trip_id, cardinality(stop_ids) FROM mapserver.timetable_trips "
                                       "WHERE version = %s", (version,)))
    assert gone not in kept
    assert kept[times.loc[3, "trip_id"]] == (times["trip_id"] == times.loc[3, "trip_id"]).sum() - 1
    stored = json.loads(pg.fetch(fresh_db_url, "SELECT report::text FROM mapserver.network_versions "
                                               "WHERE version = %s", (version,))[0][0])
    assert stored["published"] and stored["rows_rejected"] == report.rows_rejected


@pytest.mark.parametrize("edits, words", [
    ({"stop_times": lambda f: None}, "stop_times.txt"),
    ({"agency": lambda f: f.assign(agency_timezone="Asia/Saigon_Nowhere")}, "agency_timezone"),
    ({"calendar": lambda f: None, "calendar_dates": lambda f: None}, "calendar.txt"),
    ({"stop_times": lambda f: f.assign(arrival_time="x", departure_time="x")}, "no trip"),
])
def test_a_refused_feed_keeps_the_published_timetable(fresh_db_url, grid_feed, tmp_path, edits, words):
    before = load(fresh_db_url, grid_feed).version
    with pytest.raises(LoadRefused) as refused:
        load(fresh_db_url, _edit(grid_feed, tmp_path / "refused.zip", **edits))
    assert words in str(refused.value) and refused.value.vi
    assert _published(fresh_db_url) == before


def test_frequencies_become_trips(fresh_db_url, grid_feed):
    version = load(fresh_db_url, grid_feed).version
    frequencies = _member(grid_feed, "frequencies.txt")
    rows = pg.fetch(fresh_db_url, "SELECT trip_id, departures[1] FROM mapserver.timetable_trips "
                                  "WHERE version = %s AND trip_id LIKE %s ORDER BY 2", (version, "%@%"))
    for window in frequencies.itertuples():
        start = sum(int(x) * m for x, m in zip(window.start_time.split(":"), (3600, 60, 1), strict=True))
        end = sum(int(x) * m for x, m in zip(window.end_time.split(":"), (3600, 60, 1), strict=True))
        mine = [d for t, d in rows if t.startswith(window.trip_id + "@")]
        assert mine == list(range(start, end, int(window.headway_secs)))
    assert not pg.fetch(fresh_db_url, "SELECT 1 FROM mapserver.timetable_trips WHERE version = %s "
                                      "AND trip_id = ANY(%s)", (version, list(frequencies["trip_id"])))


def test_transit_commands_load_list_and_roll_back(fresh_db_url, grid_feed):
    before = load(fresh_db_url, grid_feed).version
    out = _run(fresh_db_url, "transit", "load", str(grid_feed), "--layers").stdout
    assert f"version {before + 1} published" in out
    assert "bus_stops <- grid.zip" in out and "transport <- grid.zip" in out
    versions = _run(fresh_db_url, "transit", "versions").stdout.splitlines()
    assert versions[0].startswith(f"v{before + 1}") and "published" in versions[0] and "grid.zip" in versions[0]
    assert "2026-11-01..2027-02-28" in versions[0]
    out = _run(fresh_db_url, "transit", "rollback").stdout
    assert f"version {before} is now published" in out and _published(fresh_db_url) == before
    actions = pg.fetch(fresh_db_url, "SELECT action, result, target FROM mapserver.audit_log "
                                     "WHERE action LIKE 'transit.%%' ORDER BY id")
    assert actions == [("transit.load", "ok", "transit:grid.zip"), ("transit.rollback", "ok", "transit")]
    refused = _run(fresh_db_url, "transit", "publish", "99", check=False)
    assert refused.returncode == 1 and "99" in refused.stderr
