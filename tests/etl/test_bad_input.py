"""Each bad input of the issue: refused with a message naming the file (and row or field), nothing published."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from common.settings import DEFAULTS
from etl.archive import ArchiveLimits
from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, load_file
from tests.etl.conftest import leftovers, published

AREA = DEFAULTS["AREA_BBOX"]
MAPSERVER = str(Path(sys.executable).with_name("mapserver"))


def _health(tmp_path: Path, n: int = 3, geometry=None) -> gpd.GeoDataFrame:
    geoms = geometry if geometry is not None else shapely.points([106.70 + i * 0.01 for i in range(n)], [10.78] * n)
    return gpd.GeoDataFrame({"id": [f"h{i}" for i in range(n)], "name": [f"Trạm y tế {i}" for i in range(n)],
                             "kind": ["clinic"] * n}, geometry=list(geoms), crs="EPSG:4326")


def _refused(db, catalog, path: Path, **options) -> LoadRefused:
    """Load `path` into `health`, expect a refusal, and check the published layer did not move nor a table stay."""
    before = published(db, "health"), leftovers(db, "health")
    with pytest.raises(LoadRefused) as info:
        load_file(db, catalog["health"], path, LoadOptions(area=AREA, **options))
    assert (published(db, "health"), leftovers(db, "health")) == before
    assert info.value.source == path.name and info.value.vi and info.value.en
    return info.value


def _shapefile_zip(tmp_path: Path, skip: str | None = None) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir()
    _health(tmp_path).to_file(folder / "health.shp")
    archive = tmp_path / "health.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            if part.suffix != skip:
                zf.write(part, part.name)
    return archive


def test_empty_file(db, catalog, tmp_path):
    path = tmp_path / "health.geojson"
    path.write_bytes(b"")
    assert "empty" in _refused(db, catalog, path).en


def test_file_with_no_rows(db, catalog, tmp_path):
    path = tmp_path / "health.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    assert "no rows" in _refused(db, catalog, path).en


def test_corrupt_zip(db, catalog, tmp_path):
    good = _shapefile_zip(tmp_path).read_bytes()
    path = tmp_path / "broken.zip"
    path.write_bytes(good[: len(good) // 2])
    assert "zip" in _refused(db, catalog, path).en


def test_corrupt_member_in_a_zip(db, catalog, tmp_path):
    path = _shapefile_zip(tmp_path)
    data = bytearray(path.read_bytes())
    at = data.index(b"health.dbf") + 40  # inside the first bytes of the .dbf member's data
    data[at:at + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    assert "corrupt" in _refused(db, catalog, path).en


@pytest.mark.parametrize("member", ["../evil.shp", "/etc/evil.shp", "a/../../evil.dbf", "C:/evil.shp"])
def test_zip_entries_with_dotdot_or_absolute_paths(db, catalog, tmp_path, member):
    path = tmp_path / "slip.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("health.shp", b"x" * 100)
        zf.writestr(zipfile.ZipInfo(member), b"evil")
    err = _refused(db, catalog, path)
    assert "unsafe path" in err.en and member in err.en
    assert not (tmp_path.parent / "evil.shp").exists()


def test_zip_bomb_by_ratio(db, catalog, tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("health.geojson", b" " * (20 * 1024 * 1024))
    assert "zip bomb" in _refused(db, catalog, path, archive_limits=ArchiveLimits(max_ratio=100)).en


def test_zip_bomb_by_total_size(db, catalog, tmp_path):
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("health.geojson", os.urandom(3 * 1024 * 1024))
    limits = ArchiveLimits(max_uncompressed_bytes=2 * 1024 * 1024)
    assert "more than 2097152 bytes" in _refused(db, catalog, path, archive_limits=limits).en


def test_zip_bomb_that_lies_about_its_size_is_stopped_while_inflating(db, catalog, tmp_path):
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("health.geojson", b"0" * (8 * 1024 * 1024))
    data = bytearray(path.read_bytes())
    for header, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # declared uncompressed size -> 1 byte
        start = data.index(header)
        data[start + size_at:start + size_at + 4] = (1).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    err = _refused(db, catalog, path, archive_limits=ArchiveLimits(max_uncompressed_bytes=4 * 1024 * 1024))
    assert "zip bomb" in err.en or "corrupt" in err.en


def test_zipped_shapefile_without_shp(db, catalog, tmp_path):
    assert "no .shp" in _refused(db, catalog, _shapefile_zip(tmp_path, skip=".shp")).en


def test_zipped_shapefile_without_dbf(db, catalog, tmp_path):
    assert "no .dbf" in _refused(db, catalog, _shapefile_zip(tmp_path, skip=".dbf")).en


def test_shapefile_folder_without_dbf(db, catalog, tmp_path):
    folder = tmp_path / "health_shp"
    folder.mkdir()
    _health(tmp_path).to_file(folder / "health.shp")
    (folder / "health.dbf").unlink()
    assert "no .dbf" in _refused(db, catalog, folder).en


def test_unknown_crs(db, catalog, tmp_path):
    path = tmp_path / "health.geojson"
    _health(tmp_path).to_file(path)
    err = _refused(db, catalog, path, crs="EPSG:999999")
    assert "unknown coordinate system" in err.en and "--crs" in err.en and "--crs" in err.vi


def test_no_crs_and_coordinates_that_are_not_lon_lat_in_vietnam(db, catalog, tmp_path):
    path = tmp_path / "health.csv"
    path.write_text("id,name,kind,x,y\nh1,Trạm y tế,clinic,686000,1190000\n", encoding="utf-8")
    err = _refused(db, catalog, path)
    assert "declares no coordinate system" in err.en and "--crs" in err.en and "EPSG:3405" in err.en


def test_a_refusal_in_a_later_chunk_drops_the_rows_already_copied(db, catalog, tmp_path):
    path = tmp_path / "health.csv"
    rows = [f"h{i},Trạm y tế {i},clinic,{106.70 + i / 100},10.78" for i in range(4)]
    rows += [f"h{i},Trạm y tế {i},clinic,{686000 + i},1190000" for i in range(4, 10)]
    path.write_text("id,name,kind,x,y\n" + "\n".join(rows) + "\n", encoding="utf-8")
    # chunks 1 and 2 are COPYed; after chunk 4 most points read (4 of 8) are not lon/lat: the file is refused
    err = _refused(db, catalog, path, chunk_rows=2)
    assert "declares no coordinate system" in err.en and "4 of its 8 points" in err.en


def test_csv_without_recognisable_coordinate_columns(db, catalog, tmp_path):
    path = tmp_path / "health.csv"
    path.write_text("id,name,kind,toa_do\nh1,Trạm y tế,clinic,\"106.7 10.8\"\n", encoding="utf-8")
    err = _refused(db, catalog, path)
    assert "no recognisable coordinate columns" in err.en and "toa_do" in err.en and "kinh độ" in err.vi


def test_all_geometries_invalid(db, catalog, tmp_path):
    path = tmp_path / "health.geojson"
    features = [{"type": "Feature", "properties": {"id": f"h{i}", "name": "A", "kind": "clinic"},
                 "geometry": None} for i in range(3)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    err = _refused(db, catalog, path)
    assert "none of the 3 rows is valid" in err.en and "row 1" in err.en and "geometry" in err.en


def test_a_file_far_larger_than_the_limit(db, catalog, tmp_path):
    path = tmp_path / "health.geojson"
    _health(tmp_path, n=50).to_file(path)
    err = _refused(db, catalog, path, max_bytes=1000)
    assert "larger than the limit of 1000 bytes" in err.en


def test_missing_required_fields_are_named(db, catalog, tmp_path):
    path = tmp_path / "health.geojson"
    _health(tmp_path).drop(columns=["kind"]).to_file(path)
    err = _refused(db, catalog, path)
    assert err.field == "kind" and "kind" in err.en


def test_the_cli_exits_non_zero_naming_the_file_and_keeps_the_published_version(db, fresh_db_url, tmp_path):
    path = tmp_path / "slip.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../../evil.geojson", b"{}")
    before = published(db, "health")
    env = {**os.environ, "DATABASE_URL": fresh_db_url}
    result = subprocess.run([MAPSERVER, "etl", "load", str(path), "--layer", "health"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "slip.zip" in result.stderr and "unsafe path" in result.stderr and "không an toàn" in result.stderr
    assert published(db, "health") == before


def test_large_upload_limit_comes_from_the_settings(db, fresh_db_url, tmp_path):
    path = tmp_path / "health.geojson"
    _health(tmp_path, n=20).to_file(path)
    env = {**os.environ, "DATABASE_URL": fresh_db_url, "MAPSERVER_MAX_UPLOAD_BYTES": "500"}
    result = subprocess.run([MAPSERVER, "etl", "load", str(path), "--layer", "health"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "larger than the limit of 500 bytes" in result.stderr
