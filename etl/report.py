"""The load report: what was read, loaded, repaired and rejected, row by row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import islice

from etl.reasons import Reason

MAX_LISTED_REJECTIONS = 1000  # beyond this only the count grows; the report stays readable
MAX_LISTED_WARNINGS = 200
MAX_GROUPS = 100  # distinct (field, reason) groups; beyond, only the counts per reason code grow
FIRST_ROWS = 5  # rows named in a group


@dataclass
class Rejection:
    """One rejected row: `reason` in English, `reason_vi` in Vietnamese, `value` as the file had it."""

    row: int
    field: str
    value: str | None
    code: str
    reason: str
    reason_vi: str


@dataclass
class RejectionGroup:
    """Rows rejected for the same reason on the same field (and value): one line a clerk can act on."""

    code: str
    field: str
    reason: str
    reason_vi: str
    count: int = 0
    first_rows: list[int] = field(default_factory=list)


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
    rejection_groups: list[RejectionGroup] = field(default_factory=list)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    near_duplicates: int = 0
    near_duplicate_pairs: list[NearDuplicate] = field(default_factory=list)
    addresses_normalised: int = 0
    addresses_converted: int = 0
    addresses_unparsed: int = 0
    address_issues: list[AddressIssue] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # layer field -> the file's column
    unmatched_columns: list[str] = field(default_factory=list)
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

    def __post_init__(self) -> None:
        self._groups: dict[tuple[str, str], RejectionGroup] = {}
        self._batch: list[Rejection] = []  # not part of the report: the current chunk's, for the rejected-rows file

    def reject(self, row: int, field_name: str, value: object, reason: Reason) -> None:
        self.rows_rejected += 1
        self.rejected_by_reason[reason.code] = self.rejected_by_reason.get(reason.code, 0) + 1
        rejection = Rejection(row, field_name, None if value is None else str(value), reason.code, reason.en,
                              reason.vi)
        self._batch.append(rejection)
        if len(self.rejections) < MAX_LISTED_REJECTIONS:
            self.rejections.append(rejection)
        self._group(rejection)

    def _group(self, rejection: Rejection) -> None:
        key = (rejection.field, rejection.reason)
        group = self._groups.get(key)
        if group is None:
            if len(self._groups) >= MAX_GROUPS:
                return
            group = self._groups[key] = RejectionGroup(rejection.code, rejection.field, rejection.reason,
                                                       rejection.reason_vi)
            self.rejection_groups.append(group)
        group.count += 1
        if len(group.first_rows) < FIRST_ROWS:
            group.first_rows.append(rejection.row)

    def take_batch(self) -> list[Rejection]:
        """The rejections since the last call (one chunk's), in row order."""
        batch, self._batch = sorted(self._batch, key=lambda r: r.row), []
        return batch

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
