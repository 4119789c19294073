"""A loaded version's rows lie in space order (Hilbert), and nothing else about the load changes."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import shapely
from psycopg2 import sql

from common.settings import DEFAULTS
from etl import space_order
from etl.pipeline import LoadOptions, load_file
from mapserver.web.catalog import published
from tests.etl.conftest import rows_of

AREA = DEFAULTS["AREA_BBOX"]
BOX = (106.60, 10.70, 106.75, 10.85)  # ~1 % of the area: at 4,000 rows, what a 2 km box is at a million


def test_the_first_cells_of_the_curve_fill_a_corner_block_one_step_at_a_time():
    x, y = np.meshgrid(np.arange(16), np.arange(16))
    keys = space_order.hilbert_index(x.ravel(), y.ravel())
    assert sorted(keys.tolist()) == list(range(256))
    order = np.argsort(keys)
    steps = np.abs(np.diff(x.ravel()[order])) + np.abs(np.diff(y.ravel()[order]))
    assert (steps == 1).all()


def test_keys_follow_the_grid_over_the_area():
    corners = shapely.points([AREA[0], AREA[2], AREA[0]], [AREA[1], AREA[1], AREA[3]])
    keys = space_order.hilbert_keys(corners, AREA).tolist()
    assert keys[0] == 0  # the curve starts in the south-west corner
    assert len(set(keys)) == 3 and max(keys) < 1 << space_order.KEY_BITS


@pytest.mark.parametrize("spread", [1 << 32, 1 << 12, 1])  # over the area; crowded in one cell; one place only
def test_rows_come_out_sorted_by_key_in_bounded_pieces(spread):
    rng = np.random.default_rng(5)
    keys = rng.integers(0, spread, 5_000).astype(np.uint64)
    with space_order.SpaceOrder(limit=300, expected=5_000) as order:
        for start in range(0, 5_000, 700):
            part = slice(start, start + 700)
            order.add(pa.table({"gid": np.arange(5_000)[part], space_order.KEY: keys[part]}))
        pieces = list(order.sorted(250))
    assert all(p.num_rows <= 250 and p.column_names == ["gid"] for p in pieces)
    gids = np.concatenate([p["gid"].to_numpy() for p in pieces])
    assert sorted(gids.tolist()) == list(range(5_000))
    assert (np.diff(keys[gids].astype(np.int64)) >= 0).all()


def test_a_small_file_is_sorted_without_spilling():
    with space_order.SpaceOrder(limit=100) as order:
        order.add(pa.table({"gid": [1, 2, 3], space_order.KEY: pa.array([30, 10, 20], pa.uint64())}))
        assert [p["gid"].to_pylist() for p in order.sorted(10)] == [[2, 3, 1]]


def _health_csv(tmp_path, n: int):
    """Health points uniform over the area in random file order, with a row lacking its name and a repeated id."""
    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(AREA[0], AREA[2], n), rng.uniform(AREA[1], AREA[3], n)
    lines = ["id,name,kind,lon,lat"]
    for i in range(n):
        name = "" if i == 7 else f"Trạm y tế {i}"
        ident = "h-3" if i == 9 else f"h-{i}"
        lines.append(f"{ident},{name},clinic,{lon[i]:.6f},{lat[i]:.6f}")
    path = tmp_path / "health.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, lon, lat


def _physical(db, slug: str) -> list[tuple]:
    """(heap page, gid, id, lon, lat) of every row of the published version."""
    with db.cursor() as cur:
        table = sql.Identifier("layer_data", published(cur, slug).table_name)
        cur.execute(sql.SQL("SELECT (ctid::text::point)[0]::int, gid, id, ST_X(geom), ST_Y(geom) FROM {} "
                            "ORDER BY ctid").format(table))
        rows = cur.fetchall()
    db.rollback()
    return rows


def test_a_loaded_version_lies_in_space_order_and_keeps_its_row_numbers(db, catalog, tmp_path):
    n = 4_000
    path, lon, lat = _health_csv(tmp_path, n)
    report = load_file(db, catalog["health"], path, LoadOptions(area=AREA, chunk_rows=500,
                                                                  normalise_addresses=False))
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (n, n - 2, 2)
    assert [(r.row, r.field) for r in report.rejections] == [(8, "name"), (10, "id")]
    # gid is still the row's number in the file, and each id keeps its own row
    assert rows_of(db, "health", "gid, id") == [(i + 1, f"h-{i}") for i in range(n) if i not in (7, 9)]
    rows = _physical(db, "health")
    pages, gids = np.array([r[0] for r in rows]), np.array([r[1] for r in rows])
    assert np.allclose([r[3] for r in rows], lon[gids - 1]) and np.allclose([r[4] for r in rows], lat[gids - 1])
    assert not (np.diff(gids) > 0).all()  # not in file order

    x, y = np.array([r[3] for r in rows]), np.array([r[4] for r in rows])
    per_page = np.bincount(pages).max()
    unsorted = np.argsort(np.argsort(gids)) // per_page  # the page each row would lie on in file order
    assert _median_span(pages, x, y) * 3 < _median_span(unsorted, x, y)  # a page holds near points

    inside = (x >= BOX[0]) & (x <= BOX[2]) & (y >= BOX[1]) & (y <= BOX[3])
    assert inside.sum() >= 10
    assert len(np.unique(pages[inside])) * 3 <= len(np.unique(unsorted[inside]))


def _median_span(pages: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """The median diagonal of the box around each page's points."""
    return float(np.median([np.hypot(np.ptp(x[pages == p]), np.ptp(y[pages == p])) for p in np.unique(pages)]))
