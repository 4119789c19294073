"""The demo city's live layers: a flood warning and a planned power cut, valid from now for a day.

Written through the live write path (etl.live.writes), so a newcomer's map shows a banner and its events at
once; loading the demo again moves both windows to the new day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from etl.live import writes
from layers import Layer

ACTOR = writes.Actor("demo")


def _square(lon: float, lat: float, half: float) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half],
            [lon - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


def demo_features(now: datetime) -> dict[str, tuple[str, dict]]:
    """layer -> (feature id, feature)."""
    window = {"valid_from": (now - timedelta(minutes=5)).isoformat(), "valid_to": (now + timedelta(days=1)).isoformat()}
    flood = {"type": "Feature", "geometry": _square(106.7165, 10.7935, 0.006), "properties": {
        "kind": "flood", "severity": "severe", "headline": "Ngập sâu 30-50 cm trên đường Nguyễn Hữu Cảnh",
        "headline_en": "30-50 cm of flooding on Nguyen Huu Canh street",
        "description": "Triều cường kết hợp mưa lớn gây ngập sâu.", "description_en": "High tide and heavy rain.",
        "instruction": "Không đi qua khu vực ngập; chọn đường Điện Biên Phủ.",
        "instruction_en": "Keep out of the flooded area; take Dien Bien Phu street.",
        "source": "Ban Chỉ huy PCTT TP.HCM (dữ liệu mẫu)", **window}}
    outage = {"type": "Feature", "geometry": _square(106.6600, 10.7600, 0.004), "properties": {
        "kind": "planned", "area": "Một phần Phường Chợ Lớn (dữ liệu mẫu)", "reason": "Bảo trì lưới điện", **window}}
    return {"alerts": ("demo-flood-1", flood), "outages": ("demo-outage-1", outage)}


def load_demo_live(conn, catalog: dict[str, Layer], area: tuple[float, float, float, float]) -> list[str]:
    """Write (or move to today) the demo's live features; returns what was written, for the command to say."""
    written = []
    for slug, (fid, feature) in demo_features(datetime.now(UTC)).items():
        layer = catalog[slug]
        with conn.cursor() as cur:
            revision = writes.revision_of(cur, layer, fid)
        conn.rollback()
        if revision is None:
            writes.create(conn, layer, [{**feature, "id": fid}], ACTOR, area)
        else:
            writes.replace(conn, layer, fid, feature, revision, ACTOR, area)
        written.append(f"{slug}/{fid}")
    return written
