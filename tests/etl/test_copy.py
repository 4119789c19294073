"""What the COPY sends: hex EWKB that PostGIS reads, written directly for points; timestamps as instants."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import shapely

from common.migrations import sync_catalog
from common.settings import DEFAULTS
from etl.load import ewkb_hex
from etl.pipeline import LoadOptions, load_file
from layers.registry import parse_layer
from tests.etl.conftest import rows_of

AREA = DEFAULTS["AREA_BBOX"]


def _by_geos(geoms) -> list[str]:
    return [h.lower() for h in shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True)]


def test_points_are_written_byte_for_byte_as_geos_writes_them():
    rng = np.random.default_rng(3)
    points = shapely.points(np.r_[rng.uniform(-180, 180, 500), -0.0, 180.0], np.r_[rng.uniform(-90, 90, 500), 0.0, -90])
    assert ewkb_hex(points).to_pylist() == _by_geos(points)


def test_other_geometries_go_through_geos():
    geoms = np.array([shapely.Point(106.7, 10.8), shapely.LineString([(106.7, 10.8), (106.8, 10.9)])])
    assert [h.lower() for h in ewkb_hex(geoms).to_pylist()] == _by_geos(geoms)


def _timed_layer():
    return parse_layer({
        "slug": "timed", "agency": "so-giao-thong", "geometry": ["Point"],
        "title": {"vi": "Thử", "en": "Test"}, "description": {"vi": "Thử nghiệm", "en": "Test"},
        "fields": [{"name": "name", "type": "text", "required": True, "title": {"vi": "Tên", "en": "Name"}},
                   {"name": "seen_at", "type": "timestamp", "title": {"vi": "Lúc", "en": "Seen at"}}],
    }, "tests/etl/test_copy.py")


def test_timestamps_are_copied_as_the_instants_they_name(db, tmp_path):
    layer = _timed_layer()
    sync_catalog(db, {layer.slug: layer})
    path = tmp_path / "timed.csv"
    path.write_text("id,name,seen_at,lon,lat\n"
                    "a,A,2025-05-01 10:00,106.70,10.78\n"  # no offset: Vietnam's time
                    "b,B,2025-05-01T10:00:00.250+00:00,106.71,10.78\n"
                    "c,C,,106.72,10.78\n", encoding="utf-8")
    report = load_file(db, layer, path, LoadOptions(area=AREA))
    assert report.rows_loaded == 3
    assert rows_of(db, "timed", "id, seen_at") == [
        ("a", datetime(2025, 5, 1, 3, 0, tzinfo=UTC)),
        ("b", datetime(2025, 5, 1, 10, 0, 0, 250_000, tzinfo=UTC)),
        ("c", None)]
