"""Coordinate systems: VN-2000 in its usual forms with the datum shift, --crs, and files that declare none."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely

from common.settings import DEFAULTS
from etl import crs
from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, load_file
from etl.vn2000 import with_official_shift
from tests.etl.conftest import rows_of

AREA = DEFAULTS["AREA_BBOX"]
# Ben Thanh market, Ho Chi Minh City, in WGS84 lon/lat.
BEN_THANH = (106.69808, 10.77254)


def _from_wgs84(target: pyproj.CRS, lon: float, lat: float) -> tuple[float, float]:
    """Through the official shift, as the load reads VN-2000 back."""
    return pyproj.Transformer.from_crs(crs.WGS84, with_official_shift(target), always_xy=True).transform(lon, lat)


@pytest.mark.parametrize("declared", ["EPSG:4756", "EPSG:3405", "VN2000:105.75", "VN2000:105-45", "VN2000:105°45'"])
def test_vn2000_forms_come_back_to_the_same_wgs84_point(declared):
    source = crs.resolve(declared, "f")
    x, y = _from_wgs84(source, *BEN_THANH)
    back = crs.to_wgs84(np.array([shapely.Point(x, y)]), source)[0]
    assert back.distance(shapely.Point(*BEN_THANH)) < 1e-7


def test_the_provincial_zone_shorthand_is_the_epsg_zone_with_k_09999():
    zone = crs.resolve("VN2000:105.75", "f")
    assert zone.to_epsg() == 9210 and "105-45" in zone.name
    params = {p.name: p.value for p in zone.coordinate_operation.params}
    assert params["Scale factor at natural origin"] == 0.9999 and params["Longitude of natural origin"] == 105.75


def test_a_zone_without_an_epsg_code_gets_the_seven_parameter_shift():
    zone = crs.resolve("VN2000:103.5", "f")  # no EPSG zone has this meridian: built with towgs84
    assert "TOWGS84[-191.90441429" in zone.to_wkt("WKT1_GDAL")


def test_the_datum_shift_moves_points_by_the_expected_hundreds_of_metres():
    """VN-2000 is not WGS84: the same numbers read without the shift land ~200 m off (check of the shift)."""
    with_shift = crs.to_wgs84(np.array([shapely.Point(686000, 1190000)]), crs.resolve("EPSG:3405", "f"))[0]
    no_shift = crs.to_wgs84(np.array([shapely.Point(686000, 1190000)]), crs.resolve("EPSG:32648", "f"))[0]
    metres = with_shift.distance(no_shift) * 111_000
    assert 100 < metres < 400


def test_a_prj_that_names_the_zone_without_its_datum_is_identified_as_vn2000():
    bare = pyproj.CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=105.75 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
                                 "+units=m +no_defs")
    identified, note = crs.identify(bare)
    assert identified.to_epsg() == 9210 and "EPSG:9210" in note


def test_unreferenced_lon_lat_inside_vietnam_is_accepted_and_swapped_lat_lon_detected():
    lonlat = np.array([shapely.Point(106.7, 10.8), shapely.Point(105.8, 21.0)])
    latlon = np.array([shapely.Point(10.8, 106.7), shapely.Point(21.0, 105.8)])
    assert crs.Unreferenced(AREA, "f").observe(lonlat) is False
    assert crs.Unreferenced(AREA, "f").observe(latlon) is True


def test_unreferenced_projected_numbers_are_refused_naming_what_to_pass():
    with pytest.raises(LoadRefused) as info:
        crs.Unreferenced(AREA, "f.csv").observe(np.array([shapely.Point(686000, 1190000)]))
    assert "--crs" in info.value.en and "VN2000:105.75" in info.value.en and "--crs" in info.value.vi


def test_a_vn2000_csv_loads_with_crs_and_lands_where_it_should(db, catalog, tmp_path):
    x, y = _from_wgs84(crs.resolve("VN2000:105.75", "f"), *BEN_THANH)
    path = tmp_path / "health.csv"
    path.write_text(f"id,name,kind,x,y\nh1,Trạm y tế Bến Thành,clinic,{x:.3f},{y:.3f}\n", encoding="utf-8")
    report = load_file(db, catalog["health"], path, LoadOptions(area=AREA, crs="VN2000:105.75"))
    assert report.crs_in == "EPSG:9210" and report.rows_loaded == 1
    (lon, lat), = rows_of(db, "health", "ST_X(geom), ST_Y(geom)")
    assert abs(lon - BEN_THANH[0]) < 1e-5 and abs(lat - BEN_THANH[1]) < 1e-5


def test_a_csv_with_swapped_columns_is_loaded_the_right_way_round_and_reported(db, catalog, tmp_path):
    path = tmp_path / "health.csv"
    path.write_text("id,name,kind,lon,lat\nh1,Trạm y tế,clinic,10.78,106.70\nh2,Phòng khám,clinic,10.80,106.65\n",
                    encoding="utf-8")
    report = load_file(db, catalog["health"], path, LoadOptions(area=AREA))
    assert report.axes_swapped and any("swapped" in w for w in report.warnings)
    assert rows_of(db, "health", "round(ST_X(geom)::numeric, 2)::float8, round(ST_Y(geom)::numeric, 2)::float8") == [
        (106.70, 10.78), (106.65, 10.80)]
