"""The survey before a load (etl/survey.py): columns with samples, what they match, every unknown category value
counted across chunks, and whether the file would load as it is; and an import profile's columns used only
where a file has them."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

from common.settings import DEFAULTS
from etl import survey
from etl.matching import match_columns
from etl.pipeline import LoadOptions
from etl.survey import survey_file


def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*header, "Kinh độ", "Vĩ độ"])
        for i, row in enumerate(rows):
            writer.writerow([*row, f"{106.66 + (i % 100) * 1e-3:.5f}", f"{10.77 + (i // 100) * 1e-3:.5f}"])
    return path


def _options(**kw) -> LoadOptions:
    return LoadOptions(area=DEFAULTS["AREA_BBOX"], **kw)


def test_columns_samples_and_unknown_values_counted_over_every_chunk(catalog, tmp_path):
    kinds = ["Bệnh viện", "Cơ sở thẩm mỹ", "  Spa ", "Tiêm chủng", ""] * 600  # 3000 rows, 6 chunks of 500
    path = _csv(tmp_path / "yte.csv", ["Tên cơ sở", "Loại hình", "STT"],
                [[f"Cơ sở {i % 7}", kind, str(i)] for i, kind in enumerate(kinds)])
    found = survey_file(catalog["health"], path, _options(chunk_rows=500))
    assert found.rows == 3000
    columns = {c.name: c for c in found.columns}
    assert columns["Tên cơ sở"].samples == [f"Cơ sở {i}" for i in range(5)], "five distinct values"
    assert (columns["Tên cơ sở"].field, columns["Tên cơ sở"].how) == ("name", "alias")
    assert columns["Loại hình"].field == "kind" and columns["STT"].field is None
    assert columns["Kinh độ"].coordinate and not columns["STT"].coordinate
    (kind,) = [v for v in found.values if v.matched]
    assert (kind.field, kind.column, kind.rows, kind.distinct) == ("kind", "Loại hình", 1200, 2)
    assert kind.unknown == [{"value": "Cơ sở thẩm mỹ", "count": 600}, {"value": "Spa", "count": 600}]
    assert found.unmatched_columns == ["STT"] and found.missing_required == []
    assert not found.complete
    fields = {f.name: f for f in found.fields}
    assert fields["kind"].required and fields["kind"].column == "Loại hình"
    assert {"code": "vaccination", "vi": "Điểm tiêm chủng", "en": "Vaccination point"} in fields["kind"].allowed


def test_a_mapped_file_is_complete(catalog, tmp_path):
    path = _csv(tmp_path / "yte.csv", ["Tên đơn vị", "Phân nhóm", "STT"], [["A", "Spa", "1"], ["B", "BV", "2"]])
    layer = catalog["health"]
    before = survey_file(layer, path, _options())
    assert before.missing_required == ["kind"] and not before.complete
    (candidate,) = [v for v in before.values if v.column == "Phân nhóm"]  # each column left over, for `kind`
    assert (candidate.column, candidate.matched, candidate.unknown) == ("Phân nhóm", False,
                                                                       [{"value": "Spa", "count": 1}])
    mapped = _options(fields={"kind": "Phân nhóm"}, values={"kind": {"spa": "clinic"}})
    assert not survey_file(layer, path, mapped).complete, "STT is left over while fields have no column"
    assert survey_file(layer, path, mapped, ignored_columns=["stt"]).complete
    settled = _options(fields={"kind": "Phân nhóm", **dict.fromkeys(layer.field_names[2:])},
                       values={"kind": {"spa": "clinic"}})
    assert survey_file(layer, path, settled).complete, "every other field said to have no column"


def test_the_survey_reads_through_the_loads_door(catalog, tmp_path):
    """A zipped CSV, unpacked as the load would unpack it."""
    inner = _csv(tmp_path / "yte.csv", ["Tên", "Loại"], [["Bệnh viện Chợ Rẫy", "Bệnh viện"]])
    archive = tmp_path / "yte.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(inner, "yte.csv")
    found = survey_file(catalog["health"], archive, _options())
    assert found.complete and found.columns[0].samples == ["Bệnh viện Chợ Rẫy"]


def test_the_listed_values_are_capped_and_all_are_counted(catalog, tmp_path, monkeypatch):
    monkeypatch.setattr(survey, "MAX_LISTED_VALUES", 3)
    monkeypatch.setattr(survey, "MAX_TRACKED_VALUES", 5)
    path = _csv(tmp_path / "yte.csv", ["Tên", "Loại"], [[f"C{i}", f"loại {i % 8}"] for i in range(80)])
    (kind,) = survey_file(catalog["health"], path, _options(chunk_rows=16)).values
    assert len(kind.unknown) == 3 and kind.rows == 80
    assert kind.distinct == 6, "five told apart, and at least one more"


def test_a_profile_column_is_used_only_where_the_file_has_it(catalog):
    layer = catalog["health"]
    profile = {"kind": "Phân nhóm", "name": "Tên đơn vị", "nonexistent": "X"}
    with_it = match_columns(layer, ["Tên", "Phân nhóm", "Loại"], profile=profile)
    assert with_it.columns["kind"] == "Phân nhóm" and with_it.how["kind"] == "profile"
    assert with_it.columns["name"] == "Tên" and with_it.unmatched_columns == ["Loại"]
    without = match_columns(layer, ["Tên", "Loại hình"], profile=profile)
    assert without.columns["kind"] == "Loại hình" and without.how["kind"] == "alias"
    explicit = match_columns(layer, ["Tên", "Phân nhóm", "Loại"], {"kind": "Loại"}, profile=profile)
    assert explicit.columns["kind"] == "Loại" and explicit.how["kind"] == "mapping"
