"""VN-2000 shapefiles as ArcGIS, QGIS (through GDAL), GDAL and MapInfo write their `.prj`: each lands within 2 m."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from etl import crs
from etl.pipeline import LoadOptions, load_file
from etl.vn2000 import VN2000_TOWGS84, tm3_zones, with_official_shift
from tests.etl.conftest import PLACES, WORLD, rows_of

AREA = WORLD  # Ha Noi and Da Nang lie outside the demo deployment
GEOD = pyproj.Geod(ellps="WGS84")
# True WGS84 positions and the VN-2000 zone each city's surveys use.
HO_CHI_MINH = ((106.69808, 10.77254), 9210)  # TM-3 105-45
HA_NOI = ((105.85200, 21.02880), 5897)  # TM-3 105-00 ("zone 482")
DA_NANG = ((108.22080, 16.06780), 5899)  # TM-3 107-45
UTM_48N = ((106.69808, 10.77254), 3405)
_SPHEROID = 'SPHEROID["WGS_1984",6378137.0,298.257223563]'


def _tm(name: str, datum: str, meridian: float, scale: float = 0.9999) -> str:
    """A `.prj` in the ESRI WKT shapefile tools write, with the datum as the tool names it."""
    return (f'PROJCS["{name}",GEOGCS["GCS_{name}",DATUM["{datum}",{_SPHEROID}],PRIMEM["Greenwich",0.0],'
            f'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],'
            f'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",{meridian}],'
            f'PARAMETER["Scale_Factor",{scale}],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')


def _truth_in(code: int, lon: float, lat: float) -> tuple[float, float]:
    """A true WGS84 position in a zone's numbers, through the official shift (EPSG:6960) for VN-2000 zones."""
    zone = with_official_shift(pyproj.CRS.from_epsg(code))
    return pyproj.Transformer.from_crs(crs.WGS84, zone, always_xy=True).transform(lon, lat)


def _shapefile(tmp_path, place, prj: str | None, write_crs: pyproj.CRS | None = None):
    """One point at the place's true position, written in its zone's numbers, with `prj` as the file's CRS text."""
    (lon, lat), code = place
    x, y = _truth_in(code, lon, lat)
    frame = gpd.GeoDataFrame({"name": ["Trạm y tế"]}, geometry=[shapely.Point(x, y)], crs=write_crs)
    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "tram.shp")
    if prj is not None:
        (folder / "tram.prj").write_text(prj)
    return folder / "tram.shp"


def _landed_metres(db, place) -> float:
    [(lon, lat)] = rows_of(db, "places", "ST_X(geom), ST_Y(geom)")
    (true_lon, true_lat), _ = place
    return GEOD.inv(lon, lat, true_lon, true_lat)[2]


@pytest.mark.parametrize(("tool", "place", "prj"), [
    ("ArcGIS", HO_CHI_MINH, pyproj.CRS.from_epsg(9210).to_wkt("WKT1_ESRI")),
    ("ArcGIS, datum only", DA_NANG, _tm("VN_2000_Custom", "D_Vietnam_2000", 107.75)),
    ("GDAL, unknown datum", DA_NANG, _tm("unknown", "D_unknown", 107.75)),
    ("MapInfo", UTM_48N, _tm("Vietnam 2000 / UTM 48N", "Vietnam_2000", 105.0, 0.9996)),
    ("MapInfo, own datum name", HO_CHI_MINH, _tm("Vietnam 2000 TM-3 105-45", "MapInfo_Vietnam_2000", 105.75)),
])
def test_each_tool_lands_within_two_metres(db, tmp_path, tool, place, prj):
    path = _shapefile(tmp_path, place, prj)
    report = load_file(db, PLACES, path, LoadOptions(area=AREA))
    assert report.rows_loaded == 1 and report.crs_in == f"EPSG:{place[1]}"
    assert _landed_metres(db, place) < 2.0, tool


def test_qgis_custom_crs_as_gdal_writes_it_keeps_the_shift_only_in_the_datum_name(db, tmp_path):
    custom = pyproj.CRS.from_proj4(f"+proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
                                   f"+towgs84={VN2000_TOWGS84} +units=m +no_defs")
    path = _shapefile(tmp_path, HA_NOI, None, write_crs=custom)
    written = path.with_suffix(".prj").read_text()
    assert "using_towgs84_-191_90441429" in written and "TOWGS84[" not in written  # what GDAL writes, for real
    report = load_file(db, PLACES, path, LoadOptions(area=AREA))
    assert _landed_metres(db, HA_NOI) < 2.0
    assert report.crs_in == "EPSG:5897"
    note = next(w for w in report.warnings if "was taken as" in w)
    assert "central meridian 105°00'" in note and "k=0.9999" in note and "được hiểu là" in note


@pytest.mark.parametrize(("proj", "place"), [
    # A QGIS custom CRS with the shift rounded to 5 decimals, and one with no datum at all: GDAL writes the first
    # as a "..._using_towgs84_..." name and the second as an Indonesian datum (DGN 1995, EPSG:23868).
    ("+proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
     "+towgs84=-191.90441,-39.30318,-111.45033,0.00929,-0.01975,0.00427,0.25291 +units=m", HA_NOI),
    ("+proj=utm +zone=48 +ellps=WGS84 +units=m", UTM_48N),
])
def test_other_qgis_custom_crs_land_within_two_metres(db, tmp_path, proj, place):
    path = _shapefile(tmp_path, place, None, write_crs=pyproj.CRS.from_proj4(proj))
    report = load_file(db, PLACES, path, LoadOptions(area=AREA))
    assert report.crs_in == f"EPSG:{place[1]}" and _landed_metres(db, place) < 2.0


def test_the_official_shift_is_used_everywhere_even_where_proj_knows_another():
    """Around Ho Chi Minh City PROJ would pick an oil-field shift 0.8 m from the official one, by default."""
    (lon, lat), code = HO_CHI_MINH
    x, y = _truth_in(code, lon, lat)
    back = crs.to_wgs84(np.array([shapely.Point(x, y)]), pyproj.CRS.from_epsg(code))[0]
    assert GEOD.inv(back.x, back.y, lon, lat)[2] < 0.001
    default = pyproj.Transformer.from_crs(pyproj.CRS.from_epsg(code), crs.WGS84, always_xy=True).transform(x, y)
    assert GEOD.inv(*default, lon, lat)[2] > 0.5


def test_without_the_rule_the_same_file_would_land_hundreds_of_metres_off(tmp_path):
    """The check of the test itself: read as plain WGS 84, the GDAL file's point is far from the truth."""
    (lon, lat), code = HA_NOI
    x, y = _truth_in(code, lon, lat)
    plain = pyproj.CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m")
    wrong_lon, wrong_lat = pyproj.Transformer.from_crs(plain, crs.WGS84, always_xy=True).transform(x, y)
    assert GEOD.inv(wrong_lon, wrong_lat, lon, lat)[2] > 200


def test_plain_wgs84_utm_stays_wgs84_and_says_nothing(db, tmp_path):
    place = ((106.69808, 10.77254), 32648)
    path = _shapefile(tmp_path, place, pyproj.CRS.from_epsg(32648).to_wkt("WKT1_ESRI"))
    report = load_file(db, PLACES, path, LoadOptions(area=AREA))
    assert _landed_metres(db, place) < 0.01 and report.crs_in == "EPSG:32648"
    assert not [w for w in report.warnings if "VN-2000" in w]


@pytest.mark.parametrize("prj", [
    _tm("unknown", "D_unknown", 105.6),  # k=0.9999 on a meridian no province uses: not guessed
    _tm("unknown", "D_Unknown_based_on_WGS_84_ellipsoid_using_towgs84_0_0_0_0_0_0_0", 105.75),  # WGS 84 itself
])
def test_what_is_not_a_vn2000_zone_is_not_guessed(prj):
    identified, note = crs.identify(pyproj.CRS.from_user_input(prj))
    assert note is None and identified.to_epsg() is None


def test_the_provincial_meridians_come_from_the_epsg_database():
    zones = tm3_zones()
    assert {103.0, 104.5, 105.0, 105.75, 106.25, 107.75, 108.5} <= set(zones) and zones[105.75] == 9210
