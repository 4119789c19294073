"""`mapserver etl load` with the options this issue adds: --encoding, --crs shorthand, a shapefile folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pyproj
import shapely

from etl.vn2000 import with_official_shift
from tests.etl.conftest import rows_of

MAPSERVER = str(Path(sys.executable).with_name("mapserver"))


def _run(db_url, *args):
    env = {**os.environ, "DATABASE_URL": db_url}
    return subprocess.run([MAPSERVER, *args], env=env, capture_output=True, text=True, timeout=300)


def test_load_a_legacy_vn2000_shapefile_folder_with_encoding_and_crs(db, fresh_db_url, tmp_path):
    folder = tmp_path / "tram_y_te"
    folder.mkdir()
    frame = gpd.GeoDataFrame({"id": ["h1"], "name": ["Hµ Néi"], "kind": ["clinic"]},
                             geometry=[shapely.Point(106.70, 10.78)], crs="EPSG:4326")
    frame = frame.to_crs(with_official_shift(pyproj.CRS.from_epsg(9210))).set_crs(9210, allow_override=True)
    frame.to_file(folder / "tram_y_te.shp", encoding="ISO-8859-1")
    (folder / "tram_y_te.prj").unlink()
    (folder / "tram_y_te.cpg").unlink(missing_ok=True)
    report_file = tmp_path / "report.json"
    result = _run(fresh_db_url, "etl", "load", str(folder), "--layer", "health", "--crs", "VN2000:105.75",
                  "--encoding", "tcvn3", "--report", str(report_file))
    assert result.returncode == 0, result.stderr
    assert "version 2 published" in result.stdout and "EPSG:9210 -> EPSG:4326" in result.stdout
    report = json.loads(report_file.read_text(encoding="utf-8"))
    assert report["rows_loaded"] == 1 and report["crs_in"] == "EPSG:9210"
    (name, lon, lat), = rows_of(db, "health", "name, ST_X(geom), ST_Y(geom)")
    assert name == "Hà Nội" and abs(lon - 106.70) < 1e-6 and abs(lat - 10.78) < 1e-6


def test_an_unknown_encoding_is_refused_by_name(fresh_db_url, tmp_path):
    path = tmp_path / "health.csv"
    path.write_text("id,name,kind,lon,lat\nh1,A,clinic,106.7,10.8\n", encoding="utf-8")
    result = _run(fresh_db_url, "etl", "load", str(path), "--layer", "health", "--encoding", "klingon")
    assert result.returncode == 1 and "unknown encoding 'klingon'" in result.stderr and "bảng mã" in result.stderr
