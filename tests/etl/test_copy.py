"""What the COPY sends: hex EWKB that PostGIS reads, written directly for points."""

from __future__ import annotations

import numpy as np
import shapely

from etl.load import ewkb_hex


def _by_geos(geoms) -> list[str]:
    return [h.lower() for h in shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True)]


def test_points_are_written_byte_for_byte_as_geos_writes_them():
    rng = np.random.default_rng(3)
    points = shapely.points(np.r_[rng.uniform(-180, 180, 500), -0.0, 180.0], np.r_[rng.uniform(-90, 90, 500), 0.0, -90])
    assert ewkb_hex(points).to_pylist() == _by_geos(points)


def test_other_geometries_go_through_geos():
    geoms = np.array([shapely.Point(106.7, 10.8), shapely.LineString([(106.7, 10.8), (106.8, 10.9)])])
    assert [h.lower() for h in ewkb_hex(geoms).to_pylist()] == _by_geos(geoms)
