"""Legacy Vietnamese text (TCVN3/ABC, VNI) detected or declared, and written as Unicode NFC."""

from __future__ import annotations

import unicodedata

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from common.settings import DEFAULTS
from etl import encoding
from etl.pipeline import LoadOptions, load_file
from tests.etl.conftest import rows_of

AREA = DEFAULTS["AREA_BBOX"]
# Known words as TCVN3 and VNI bytes read as Latin-1 (what GDAL hands over for an old .dbf without .cpg).
KNOWN = {
    "tcvn3": [("Thµnh phè Hå ChÝ Minh", "Thành phố Hồ Chí Minh"), ("BÖnh viÖn Chî RÉy", "Bệnh viện Chợ Rẫy"),
              ("Tr\xadêng TiÓu häc §inh Tiªn Hoµng", "Trường Tiểu học Đinh Tiên Hoàng")],
    "vni": [("Thaønh phoá Hoà Chí Minh", "Thành phố Hồ Chí Minh"), ("Beänh vieän Chôï Raãy", "Bệnh viện Chợ Rẫy"),
            ("Tröôøng Tieåu hoïc", "Trường Tiểu học"), ("Ñaø Naüng", "Đà Nẵng")],
}


@pytest.mark.parametrize("name", ["tcvn3", "vni"])
def test_viparse_tables_and_detection_are_right_on_known_words(name):
    frame = pd.DataFrame({"name": [legacy for legacy, _ in KNOWN[name]]})
    fix = encoding.detect(frame)
    assert fix.name == name
    assert fix.apply(frame)["name"].tolist() == [unicode for _, unicode in KNOWN[name]]


@pytest.mark.parametrize("text", [["Bệnh viện Chợ Rẫy", "Trường Tiểu học"], ["São Paulo", "Reykjavík", "København"],
                                  ["Plain ASCII only"]])
def test_unicode_and_other_latin_text_is_left_alone(text):
    assert encoding.detect(pd.DataFrame({"name": text})).name is None


def test_utf8_misread_as_latin1_is_repaired():
    frame = pd.DataFrame({"name": ["Bệnh viện Chợ Rẫy".encode().decode("latin-1")]})
    fix = encoding.detect(frame)
    assert fix.name == encoding.MOJIBAKE and fix.apply(frame)["name"].iloc[0] == "Bệnh viện Chợ Rẫy"


def _legacy_shapefile(folder, names: list[str]):
    """An old-style shapefile: legacy bytes in the .dbf, no .cpg (as MapInfo/old ArcView wrote them)."""
    folder.mkdir()
    n = len(names)
    frame = gpd.GeoDataFrame({"id": [f"h{i}" for i in range(n)], "name": names, "kind": ["hospital"] * n},
                             geometry=shapely.points([106.66 + i * 0.01 for i in range(n)], [10.75] * n),
                             crs="EPSG:4326")
    frame.to_file(folder / "health.shp", encoding="ISO-8859-1")
    (folder / "health.cpg").unlink(missing_ok=True)
    return folder


@pytest.mark.parametrize("name", ["tcvn3", "vni"])
def test_a_legacy_shapefile_is_detected_converted_and_stored_as_nfc(db, catalog, tmp_path, name):
    folder = _legacy_shapefile(tmp_path / "health_shp", [legacy for legacy, _ in KNOWN[name]])
    report = load_file(db, catalog["health"], folder, LoadOptions(area=AREA))
    assert report.encoding == name and report.rows_loaded == len(KNOWN[name])
    names = [row[1] for row in rows_of(db, "health")]
    assert names == [unicode for _, unicode in KNOWN[name]]
    assert all(unicodedata.is_normalized("NFC", n) for n in names)


def test_the_encoding_can_be_declared(db, catalog, tmp_path):
    folder = _legacy_shapefile(tmp_path / "health_shp", ["Hµ Néi"])  # too short to detect on its own
    report = load_file(db, catalog["health"], folder, LoadOptions(area=AREA, encoding="tcvn3"))
    assert report.rows_loaded == 1 and rows_of(db, "health")[0][1] == "Hà Nội"


def test_decomposed_unicode_is_stored_composed(db, catalog, tmp_path):
    path = tmp_path / "health.csv"
    decomposed = unicodedata.normalize("NFD", "Trạm Y tế Phường Bến Nghé")
    path.write_text(f"id,name,kind,kinh độ,vĩ độ\nh1,{decomposed},clinic,106.70,10.78\n", encoding="utf-8")
    load_file(db, catalog["health"], path, LoadOptions(area=AREA))
    assert rows_of(db, "health")[0][1] == unicodedata.normalize("NFC", decomposed)


def test_a_tcvn3_csv_is_detected_and_converted(db, catalog, tmp_path):
    path = tmp_path / "health.csv"
    rows = "".join(f"h{i},{legacy},hospital,106.6{i},10.75\n" for i, (legacy, _) in enumerate(KNOWN["tcvn3"]))
    path.write_bytes(("id,name,kind,lon,lat\n" + rows).encode("latin-1"))
    report = load_file(db, catalog["health"], path, LoadOptions(area=AREA))
    assert report.encoding == "tcvn3"
    assert [row[1] for row in rows_of(db, "health")] == [unicode for _, unicode in KNOWN["tcvn3"]]


def test_a_cp1258_csv_is_read_with_the_declared_codec(db, catalog, tmp_path):
    path = tmp_path / "health.csv"
    name = "B\u00ea\u0301n Tre - Ca\u0300 Mau"  # Windows-1258 writes tone marks as combining characters
    path.write_bytes(f"id,name,kind,lon,lat\nh1,{name},hospital,106.66,10.75\n".encode("cp1258"))
    load_file(db, catalog["health"], path, LoadOptions(area=AREA, encoding="cp1258"))
    assert rows_of(db, "health")[0][1] == "Bến Tre - Cà Mau"
