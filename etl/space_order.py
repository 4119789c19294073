"""A version's rows in Hilbert order, so that a small box's rows share a few heap pages.

Files come in any order (an agency's export is often sorted by id or district, or not at all); a row's heap
page is where the COPY put it, and an items page for a 2 km box otherwise reads one page per feature. Each
row gets the Hilbert key of its bounding box's centre on a 2^16 x 2^16 grid over the deployment area (every
loaded row lies inside it: etl.validate rejects the rest), and `SpaceOrder` sorts by that key with bounded
memory: a file of a few chunks is sorted in memory; a larger one is spilled to bucket files by the key's
top bits (as many buckets as the expected rows need to fit in memory one at a time: few and large writes),
each bucket read back, sorted and handed on in key order (a bucket still too large, where the rows crowd
into one part of the area, is split again by the next bits). The table is then written once, in order: no
second pass in PostgreSQL.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

KEY = "_hilbert"
ORDER = 16  # grid cells per side: 2^16, about 2.5 m across Ho Chi Minh City's area
KEY_BITS = 2 * ORDER
MAX_FANOUT_BITS = 8  # at most 256 bucket files open at a time


def hilbert_keys(geoms: np.ndarray, area: tuple[float, float, float, float]) -> np.ndarray:
    """Each geometry's Hilbert index (uint64) on the grid over `area`, from its bounding box's centre."""
    bounds = shapely.bounds(geoms)
    cells = (1 << ORDER) - 1
    x = _cell((bounds[:, 0] + bounds[:, 2]) / 2, area[0], area[2], cells)
    y = _cell((bounds[:, 1] + bounds[:, 3]) / 2, area[1], area[3], cells)
    return hilbert_index(x, y)


def _cell(values: np.ndarray, low: float, high: float, cells: int) -> np.ndarray:
    scaled = (np.nan_to_num(values, nan=low) - low) / max(high - low, 1e-12) * cells
    return np.clip(np.rint(scaled), 0, cells).astype(np.int64)


def hilbert_index(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The distance along the Hilbert curve of cells (x, y) in [0, 2^ORDER): the classic xy2d, one bit a round."""
    x, y = x.astype(np.int64), y.astype(np.int64)
    d = np.zeros(len(x), dtype=np.uint64)
    last = (1 << ORDER) - 1
    s = 1 << (ORDER - 1)
    while s > 0:
        rx, ry = (x & s) > 0, (y & s) > 0
        d += np.uint64(s * s) * ((3 * rx) ^ ry).astype(np.uint64)
        flip = ~ry & rx
        x, y = np.where(flip, last - x, x), np.where(flip, last - y, y)
        x, y = np.where(ry, x, y), np.where(ry, y, x)
        s >>= 1
    return d


class SpaceOrder:
    """Tables (with a KEY column) in, the same rows sorted by key out, holding at most about `limit` rows.

    Use as a context manager: spilled buckets live in a temporary folder removed on exit.
    """

    def __init__(self, limit: int, expected: int | None = None, shift: int = KEY_BITS, folder: Path | None = None):
        """`expected`: the rows there will be, if known (sizes the buckets); `shift`: the key's bits still unsplit."""
        self._limit = limit
        bits = min(MAX_FANOUT_BITS, shift, max(1, math.ceil(math.log2(max(expected or 16 * limit, 1) / limit)) + 1))
        self._shift, self._mask = shift - bits, np.uint64((1 << bits) - 1)
        self._own = tempfile.TemporaryDirectory(prefix="mapserver-order-") if folder is None else None
        self._folder = Path(self._own.name) if self._own else folder
        self._held: list[pa.Table] = []
        self._held_rows = 0
        self._writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
        self._counts = np.zeros(1 << bits, dtype=np.int64)
        self._spilled = False

    def __enter__(self) -> SpaceOrder:
        return self

    def __exit__(self, *exc) -> None:
        self._close_writers()
        if self._own is not None:
            self._own.cleanup()

    def add(self, table: pa.Table) -> None:
        """Take rows in; beyond `limit` held rows, everything goes to bucket files."""
        if table.num_rows == 0:
            return
        if self._spilled:
            self._partition(table)
            return
        self._held.append(table)
        self._held_rows += table.num_rows
        if self._held_rows > self._limit:
            self._spilled = True
            held, self._held, self._held_rows = self._held, [], 0
            for part in held:
                self._partition(part)

    def sorted(self, rows: int) -> Iterator[pa.Table]:
        """Every row taken, in key order, as tables of at most `rows` rows without the key column."""
        if not self._spilled:
            yield from _slices(_sort(pa.concat_tables(self._held)) if self._held else None, rows)
            self._held = []
            return
        self._close_writers()
        for bucket in np.flatnonzero(self._counts):
            yield from self._bucket(int(bucket), rows)

    def _bucket(self, bucket: int, rows: int) -> Iterator[pa.Table]:
        path = self._path(bucket)
        try:
            with pa.ipc.open_stream(pa.memory_map(str(path))) as reader:
                if self._counts[bucket] <= self._limit:
                    yield from _slices(_sort(reader.read_all()), rows)
                    return
                if self._shift == 0:  # one key throughout (the same place many times): any order is the order
                    for batch in reader:
                        yield from _slices(pa.Table.from_batches([batch]).drop_columns([KEY]), rows)
                    return
                with SpaceOrder(self._limit, int(self._counts[bucket]), self._shift, self._folder) as finer:
                    for batch in reader:
                        finer.add(pa.Table.from_batches([batch]))
                    yield from finer.sorted(rows)
        finally:
            path.unlink()

    def _partition(self, table: pa.Table) -> None:
        buckets = (table[KEY].to_numpy() >> np.uint64(self._shift)) & self._mask
        order = np.argsort(buckets, kind="stable")
        table, buckets = table.take(order), buckets[order]
        found, starts, counts = np.unique(buckets, return_index=True, return_counts=True)
        for bucket, start, count in zip(found.tolist(), starts.tolist(), counts.tolist(), strict=True):
            writer = self._writers.get(bucket)
            if writer is None:
                writer = self._writers[bucket] = pa.ipc.new_stream(str(self._path(bucket)), table.schema)
            writer.write_table(table.slice(start, count))
            self._counts[bucket] += count

    def _path(self, bucket: int) -> Path:
        return self._folder / f"{self._shift}-{id(self)}-{bucket}.arrow"

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _sort(table: pa.Table) -> pa.Table:
    return table.take(pc.sort_indices(table[KEY])).drop_columns([KEY])


def _slices(table: pa.Table | None, rows: int) -> Iterator[pa.Table]:
    if table is None:
        return
    for start in range(0, table.num_rows, rows):
        yield table.slice(start, rows)
