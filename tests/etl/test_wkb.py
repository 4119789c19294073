"""Points read from their coordinates must be the geometries shapely would parse from the same WKB."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import shapely

from etl import wkb


def _column(geoms, **kwargs) -> pa.Array:
    return pa.array([None if g is None else shapely.to_wkb(g, **kwargs) for g in geoms], type=pa.binary())


def _same(column: pa.Array) -> np.ndarray:
    got = wkb.geometries(column)
    expected = shapely.from_wkb(column.to_numpy(zero_copy_only=False), on_invalid="ignore")
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert (a is None and b is None) or (shapely.equals_exact(a, b, 0) and a.is_empty == b.is_empty)
    return got


def test_points_are_built_from_their_coordinates():
    rng = np.random.default_rng(3)
    points = shapely.points(rng.uniform(106, 107, 500), rng.uniform(10, 11, 500))
    column = _column(points)
    assert wkb._points(column) is not None
    got = _same(column)
    assert shapely.get_coordinates(got).tolist() == shapely.get_coordinates(points).tolist()


def test_a_slice_of_a_column_keeps_its_own_rows():
    points = shapely.points(np.arange(10.0), np.arange(10.0) + 0.5)
    got = _same(_column(points).slice(3, 4))
    assert shapely.get_x(got).tolist() == [3.0, 4.0, 5.0, 6.0]


@pytest.mark.parametrize("geoms, kwargs", [
    ([shapely.Point(1, 2), shapely.LineString([(0, 0), (1, 1)])], {}),
    ([shapely.Point(1, 2), None], {}),
    ([shapely.Point(1, 2), shapely.Point()], {}),
    ([shapely.Point(1, 2, 3)], {"output_dimension": 3}),
    ([shapely.Point(1, 2)], {"byte_order": 0}),
    ([shapely.Polygon([(0, 0), (1, 0), (1, 1)])], {}),
], ids=["a line among points", "a missing geometry", "an empty point", "3D", "big-endian", "a polygon"])
def test_anything_but_2d_points_is_parsed_as_wkb(geoms, kwargs):
    column = _column(geoms, **kwargs)
    assert wkb._points(column) is None
    _same(column)


def test_unreadable_wkb_is_none():
    column = pa.array([b"\x01\x01\x00\x00\x00", shapely.to_wkb(shapely.Point(1, 2))], type=pa.binary())
    got = wkb.geometries(column)
    assert got[0] is None and got[1].equals(shapely.Point(1, 2))
