"""The load report: what was read, loaded, repaired and rejected, row by row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import islice

MAX_LISTED_REJECTIONS = 1000  # beyond this only the count grows; the report stays readable
MAX_LISTED_WARNINGS = 200


@dataclass
class Rejection:
    row: int
    field: str
    reason: str


@dataclass
class NearDuplicate:
    row: int
    other_row: int
    name: str
    metres: float


@dataclass
class AddressIssue:
    """A row loaded as it was because its address could not be read (etl.address)."""

    row: int
    address: str
    reason: str


@dataclass
class LoadReport:
    layer: str
    source: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_repaired: int = 0
    rows_rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    near_duplicates: int = 0
    near_duplicate_pairs: list[NearDuplicate] = field(default_factory=list)
    addresses_normalised: int = 0
    addresses_converted: int = 0
    addresses_unparsed: int = 0
    address_issues: list[AddressIssue] = field(default_factory=list)
    crs_in: str | None = None
    crs_out: str = "EPSG:4326"
    axes_swapped: bool = False
    encoding: str | None = None
    source_layers: list[str] = field(default_factory=list)
    started_at: str | None = None
    bbox: list[float] | None = None
    version: int | None = None
    published: bool = False
    dry_run: bool = False
    seconds: float = 0.0
    seconds_indexing: float = 0.0  # of `seconds`: building the indexes and ANALYZE after the COPY

    def reject(self, row: int, field_name: str, reason: str) -> None:
        self.rows_rejected += 1
        if len(self.rejections) < MAX_LISTED_REJECTIONS:
            self.rejections.append(Rejection(row, field_name, reason))

    def near_duplicate(self, row: int, other_row: int, name: str, metres: float) -> None:
        self.near_duplicates += 1
        if len(self.near_duplicate_pairs) < MAX_LISTED_WARNINGS:
            self.near_duplicate_pairs.append(NearDuplicate(row, other_row, name, round(metres, 2)))

    def addresses_not_understood(self, rows: Sequence[int], addresses: Iterable[str], reasons: Iterable[str]) -> None:
        """Count every such row; list the first ones (only those are built: a file may have a million)."""
        self.addresses_unparsed += len(rows)
        room = max(MAX_LISTED_REJECTIONS - len(self.address_issues), 0)
        self.address_issues += [AddressIssue(int(row), address, reason) for row, address, reason
                                in islice(zip(rows, addresses, reasons, strict=True), room)]

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_LISTED_WARNINGS:
            self.warnings.append(message)

    def extend_bbox(self, bounds: tuple[float, float, float, float]) -> None:
        if self.bbox is None:
            self.bbox = list(bounds)
        else:
            self.bbox = [min(self.bbox[0], bounds[0]), min(self.bbox[1], bounds[1]),
                         max(self.bbox[2], bounds[2]), max(self.bbox[3], bounds[3])]

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        return (f"{self.layer} <- {self.source}: read {self.rows_read}, loaded {self.rows_loaded}, "
                f"repaired {self.rows_repaired}, rejected {self.rows_rejected}, "
                f"near-duplicates {self.near_duplicates}, CRS {self.crs_in} -> {self.crs_out}"
                + (f", version {self.version}" + (" published" if self.published else "") if self.version else "")
                + (f", addresses: {self.addresses_normalised} normalised ({self.addresses_converted} from the old"
                   f" form), {self.addresses_unparsed} not understood" if self.addresses_normalised
                   or self.addresses_unparsed else "")
                + f" ({self.seconds:.1f} s)")
