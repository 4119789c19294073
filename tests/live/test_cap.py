"""CAP 1.2 alerts read into alert features: lon/lat order, geodesic circles, validity, kinds, refusals.

The documents are written here the way a civil-defence system sends them; the hostile ones are the classic
XML attacks (billion laughs, an external entity) and a body past the size cap."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import shapely
from pyproj import Geod

from common.settings import DEFAULTS
from etl.live.features import validated
from mapserver.live.cap import (
    CIRCLE_POINTS,
    CapError,
    CapTooLarge,
    alert_kind,
    alert_properties,
    message_keys,
    parse_cap,
)

CAP12 = "urn:oasis:names:tc:emergency:cap:1.2"
ICT = timezone(timedelta(hours=7))
SENT = "2024-09-08T10:00:00+07:00"
# Thu Duc, Ho Chi Minh City, as CAP writes it: latitude first.
THU_DUC = "10.80,106.70 10.80,106.78 10.74,106.78 10.74,106.70 10.80,106.70"
DISTRICT_7 = "10.70,106.68 10.70,106.74 10.66,106.74 10.66,106.68 10.70,106.68"


def info(language="vi-VN", event="Lũ, ngập lụt", severity="Severe", headline="Cảnh báo ngập sâu tại TP Thủ Đức",
         area=f"<polygon>{THU_DUC}</polygon>", extra="") -> str:
    language_el = f"<language>{language}</language>" if language else ""
    return f"""
  <info>
    {language_el}
    <category>Met</category>
    <event>{event}</event>
    <urgency>Immediate</urgency>
    <severity>{severity}</severity>
    <certainty>Likely</certainty>
    {extra}
    <senderName>Ban Chỉ huy Phòng thủ dân sự TP.HCM</senderName>
    <headline>{headline}</headline>
    <description>Triều cường kết hợp mưa lớn gây ngập 0,3-0,5 m trên nhiều tuyến đường.</description>
    <instruction>Hạn chế đi lại, di chuyển xe lên chỗ cao.</instruction>
    <area>
      <areaDesc>TP Thủ Đức</areaDesc>
      {area}
    </area>
  </info>"""


ENGLISH = info(language="en-US", event="Flood", headline="Deep flooding warning in Thu Duc City").replace(
    "Triều cường kết hợp mưa lớn gây ngập 0,3-0,5 m trên nhiều tuyến đường.",
    "High tide and heavy rain flood many streets 0.3-0.5 m deep.").replace(
    "Hạn chế đi lại, di chuyển xe lên chỗ cao.", "Avoid travel; move vehicles to higher ground.")
VALIDITY = "<effective>2024-09-08T11:00:00+07:00</effective><expires>2024-09-09T11:00:00+07:00</expires>"


def alert(infos=None, msg_type="Alert", status="Actual", references="", identifier="HCM-2024-0908-001",
          sent=SENT, namespace=CAP12, scope="Public", prologue="") -> bytes:
    refs = f"<references>{references}</references>" if references else ""
    infos = info(extra=VALIDITY) + ENGLISH.replace("<senderName>", VALIDITY + "<senderName>") if infos is None \
        else infos
    return f"""<?xml version="1.0" encoding="UTF-8"?>{prologue}
<alert xmlns="{namespace}">
  <identifier>{identifier}</identifier>
  <sender>pctt@hochiminhcity.gov.vn</sender>
  <sent>{sent}</sent>
  <status>{status}</status>
  <msgType>{msg_type}</msgType>
  <scope>{scope}</scope>
  {refs}
  {infos}
</alert>""".encode()


def test_a_vietnamese_flood_warning_becomes_an_alert_feature_in_lon_lat():
    msg = parse_cap(alert())
    assert (msg.identifier, msg.sender, msg.status, msg.msg_type) == (
        "HCM-2024-0908-001", "pctt@hochiminhcity.gov.vn", "Actual", "Alert")
    assert msg.sent == datetime(2024, 9, 8, 3, 0, tzinfo=UTC)
    assert [i.language for i in msg.infos] == ["vi-VN", "en-US"]

    props, geometry = alert_properties(msg)
    assert props == {
        "kind": "flood",
        "severity": "severe",
        "headline": "Cảnh báo ngập sâu tại TP Thủ Đức",
        "headline_en": "Deep flooding warning in Thu Duc City",
        "description": "Triều cường kết hợp mưa lớn gây ngập 0,3-0,5 m trên nhiều tuyến đường.",
        "description_en": "High tide and heavy rain flood many streets 0.3-0.5 m deep.",
        "instruction": "Hạn chế đi lại, di chuyển xe lên chỗ cao.",
        "instruction_en": "Avoid travel; move vehicles to higher ground.",
        "valid_from": "2024-09-08T11:00:00+07:00",
        "valid_to": "2024-09-09T11:00:00+07:00",
        "source": "Ban Chỉ huy Phòng thủ dân sự TP.HCM",
        "cap_messages": ["pctt@hochiminhcity.gov.vn,HCM-2024-0908-001,2024-09-08T03:00:00Z"],
    }
    assert geometry.geom_type == "Polygon"  # the English block repeats the same area: one polygon, not two
    assert geometry.bounds == pytest.approx((106.70, 10.74, 106.78, 10.80))
    assert geometry.exterior.is_ccw  # RFC 7946: exterior rings counterclockwise


def test_the_feature_passes_the_alerts_layers_own_validation(catalog):
    props, geometry = alert_properties(parse_cap(alert()))
    feature = {"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(geometry))}
    frame = validated(catalog["alerts"], [feature], ["a1"], DEFAULTS["AREA_BBOX"])
    row = frame.iloc[0]
    assert (row["kind"], row["severity"]) == ("flood", "severe")
    assert row["valid_from"] == datetime(2024, 9, 8, 4, 0, tzinfo=UTC)
    assert list(row["cap_messages"]) == props["cap_messages"]


def test_validity_defaults_to_sent_and_may_stay_open():
    props, _ = alert_properties(parse_cap(alert(infos=info())))
    assert datetime.fromisoformat(props["valid_from"]) == datetime(2024, 9, 8, 10, 0, tzinfo=ICT)
    assert props["valid_to"] is None
    assert props["headline_en"] is None and props["description_en"] is None


def test_onset_is_kept_but_the_warning_is_valid_from_effective():
    extra = "<onset>2024-09-08T18:00:00+07:00</onset><expires>2024-09-08T23:00:00+07:00</expires>"
    msg = parse_cap(alert(infos=info(extra=extra)))
    assert msg.infos[0].onset == datetime(2024, 9, 8, 18, 0, tzinfo=ICT)
    props, _ = alert_properties(msg)
    assert (props["valid_from"], props["valid_to"]) == ("2024-09-08T10:00:00+07:00", "2024-09-08T23:00:00+07:00")


def test_a_circle_becomes_a_geodesic_ring_of_its_radius_in_km():
    msg = parse_cap(alert(infos=info(area="<circle>10.7769,106.7009 5.5</circle>")))
    _, geometry = alert_properties(msg)
    assert geometry.geom_type == "Polygon"
    ring = list(geometry.exterior.coords)
    assert len(ring) == CIRCLE_POINTS + 1 and ring[0] == ring[-1]
    lons, lats = zip(*ring[:-1], strict=True)
    _, _, metres = Geod(ellps="WGS84").inv([106.7009] * CIRCLE_POINTS, [10.7769] * CIRCLE_POINTS, lons, lats)
    assert all(abs(m - 5500.0) <= 55.0 for m in metres)
    assert geometry.contains(shapely.Point(106.7009, 10.7769))
    assert geometry.exterior.is_ccw


def test_two_polygons_make_a_multipolygon_and_overlaps_merge():
    two = parse_cap(alert(infos=info(area=f"<polygon>{THU_DUC}</polygon><polygon>{DISTRICT_7}</polygon>")))
    _, geometry = alert_properties(two)
    assert geometry.geom_type == "MultiPolygon" and len(geometry.geoms) == 2 and geometry.is_valid
    assert sorted(round(g.centroid.x, 2) for g in geometry.geoms) == [106.71, 106.74]

    overlapping = "10.78,106.76 10.78,106.82 10.72,106.82 10.72,106.76 10.78,106.76"
    areas = f"<polygon>{THU_DUC}</polygon></area><area><areaDesc>Quận 2</areaDesc><circle>10.70,106.71 1</circle>" \
            f"<polygon>{overlapping}</polygon>"
    _, merged = alert_properties(parse_cap(alert(infos=info(area=areas))))
    assert merged.geom_type == "MultiPolygon" and merged.is_valid and len(merged.geoms) == 2
    assert merged.bounds == pytest.approx((106.70, 10.69, 106.82, 10.80), abs=0.002)


def test_an_open_ring_is_closed_and_a_bow_tie_repaired():
    _, closed = alert_properties(parse_cap(alert(infos=info(area="<polygon>10.8,106.7 10.8,106.8 10.7,106.8"
                                                                 "</polygon>"))))
    assert closed.geom_type == "Polygon" and closed.area == pytest.approx(0.005)
    bow_tie = "<polygon>10.8,106.7 10.7,106.8 10.8,106.8 10.7,106.7 10.8,106.7</polygon>"
    _, repaired = alert_properties(parse_cap(alert(infos=info(area=bow_tie))))
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon" and len(repaired.geoms) == 2


def test_an_update_names_the_messages_it_replaces():
    original = parse_cap(alert())
    update = parse_cap(alert(msg_type="Update", identifier="HCM-2024-0908-002", sent="2024-09-08T14:00:00+07:00",
                             references="pctt@hochiminhcity.gov.vn,HCM-2024-0908-001,2024-09-08T03:00:00Z",
                             infos=info(severity="Extreme", headline="Ngập sâu 0,8 m tại TP Thủ Đức")))
    key, referenced = message_keys(update)
    assert key == "pctt@hochiminhcity.gov.vn,HCM-2024-0908-002,2024-09-08T07:00:00Z"
    assert referenced == (original.key,)  # Z and +07:00 spellings of one instant match
    props, _ = alert_properties(update)
    assert (props["severity"], props["headline"], props["cap_messages"]) == (
        "extreme", "Ngập sâu 0,8 m tại TP Thủ Đức", [key])


def test_a_cancel_needs_no_info_but_gives_no_feature():
    refs = f"pctt@hochiminhcity.gov.vn,HCM-2024-0908-001,{SENT} pctt@hochiminhcity.gov.vn,HCM-2024-0908-002," \
           "2024-09-08T14:00:00+07:00"
    cancel = parse_cap(alert(msg_type="Cancel", identifier="HCM-2024-0908-003", references=refs, infos=""))
    assert cancel.msg_type == "Cancel" and cancel.infos == ()
    assert message_keys(cancel)[1] == ("pctt@hochiminhcity.gov.vn,HCM-2024-0908-001,2024-09-08T03:00:00Z",
                                       "pctt@hochiminhcity.gov.vn,HCM-2024-0908-002,2024-09-08T07:00:00Z")
    with pytest.raises(CapError, match="no <info>"):
        alert_properties(cancel)


def test_cap_1_1_and_an_english_only_alert_are_read():
    msg = parse_cap(alert(namespace="urn:oasis:names:tc:emergency:cap:1.1", infos=ENGLISH))
    props, _ = alert_properties(msg)
    assert props["headline"] == props["headline_en"] == "Deep flooding warning in Thu Duc City"


def test_an_info_without_language_is_vietnamese_when_written_in_vietnamese():
    msg = parse_cap(alert(infos=info(language="") + ENGLISH))
    assert msg.infos[0].language == "vi-VN" and msg.vietnamese is msg.infos[0] and msg.english is msg.infos[1]


@pytest.mark.parametrize(("event", "headline", "kind"), [
    ("Lũ quét", "", "flood"),
    ("Ngập úng do triều cường", "", "flood"),
    ("Bão số 3 (Yagi) gây ngập", "", "storm"),
    ("Áp thấp nhiệt đới", "", "storm"),
    ("Sạt lở đất", "", "landslide"),
    ("Lũ bùn đá", "", "landslide"),
    ("Nắng nóng gay gắt", "", "heat"),
    ("Typhoon", "", "storm"),
    ("Flash flooding", "", "flood"),
    ("Heatwave", "", "heat"),
    ("Landslides", "", "landslide"),
    ("Cảnh báo", "Mưa lớn, nguy cơ sạt lở tại Cần Giờ", "landslide"),
    ("Sương mù dày đặc", "Sương mù ở thung lũng", "other"),
    ("Cháy rừng", "", "other"),
])
def test_the_kind_comes_from_the_words_of_the_event_then_the_headline(event, headline, kind):
    assert alert_kind(parse_cap(alert(infos=info(event=event, headline=headline)))) == kind


BILLION_LAUGHS = """<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>"""


def test_hostile_xml_is_refused_before_anything_expands(tmp_path):
    bomb = alert(prologue=BILLION_LAUGHS, infos=info(headline="&lol9;"))
    with pytest.raises(CapError, match="DTD or entities") as refused:
        parse_cap(bomb)
    assert "DTD" in refused.value.vi

    secret = tmp_path / "secret.txt"
    secret.write_text("mật khẩu")
    external = alert(prologue=f'<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file://{secret}">]>',
                     infos=info(headline="&xxe;"))
    with pytest.raises(CapError, match="DTD or entities") as refused:
        parse_cap(external)
    assert "mật khẩu" not in refused.value.en + refused.value.vi


def test_a_body_past_the_size_cap_is_refused_unread():
    huge = alert(infos=info(extra=f"<note>{'x' * 2_000_000}</note>"))
    with pytest.raises(CapTooLarge, match=f"{len(huge)} bytes long; at most 1000000") as refused:
        parse_cap(huge)
    assert "byte" in refused.value.vi
    assert parse_cap(huge, max_bytes=len(huge)).identifier == "HCM-2024-0908-001"


def _replace(old: str, new: str) -> bytes:
    return alert(infos=info()).decode().replace(old, new, 1).encode()


@pytest.mark.parametrize(("body", "en", "vi"), [
    (b"flood in Thu Duc", "not well-formed XML (line 1, column 0)", "không phải XML hợp lệ"),
    (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "root element is <feed>", "Phần tử gốc là <feed>"),
    (alert(namespace="urn:example:cap"), "namespace 'urn:example:cap'", "không gian tên"),
    (_replace("<identifier>HCM-2024-0908-001</identifier>", ""), "alert: the required element <identifier>",
     "thiếu phần tử bắt buộc <identifier>"),
    (_replace("<event>Lũ, ngập lụt</event>", ""), "alert/info[1]: the required element <event>", "<event>"),
    (alert(status="Exercise"), "alert/status is 'Exercise'", "chỉ đăng bản tin thật"),
    (alert(msg_type="Ack", references=f"x,y,{SENT}"), "alert/msgType is 'Ack'", "Ack hay Error"),
    (alert(msg_type="Error", references=f"x,y,{SENT}"), "alert/msgType is 'Error'", "Ack hay Error"),
    (alert(scope="Restricted"), "alert/scope is 'Restricted'", "công khai"),
    (alert(infos=info(severity="Unknown")), "alert/info[1]/severity is 'Unknown'", "phải là Extreme"),
    (alert(infos=info(area="<geocode><valueName>ward</valueName><value>26734</value></geocode>")),
     "no area has a <polygon> or a <circle>", "không vùng nào"),
    (alert(infos=info(area="<polygon>106.70,10.80 106.78,10.80 106.78,10.74 106.70,10.80</polygon>")),
     "alert/info[1]/area[1]/polygon[1]: '106.70,10.80' is out of range", "ghi vĩ độ trước"),
    (alert(infos=info(area="<polygon>10.80,186.7 10.80,106.78 10.74,106.78 10.80,186.7</polygon>")),
     "'10.80,186.7' is out of range", "nằm ngoài phạm vi"),
    (alert(infos=info(area="<polygon>10.80,106.70 10.80,106.78 10.80,106.70</polygon>")),
     "polygon[1]: a polygon needs at least 4 points", "cần ít nhất 4 điểm"),
    (alert(infos=info(area="<polygon>10.80;106.70 10.80;106.78 10.74;106.78</polygon>")),
     "'10.80;106.70' is not a 'lat,lon' pair", "cặp số"),
    (alert(infos=info(area="<polygon>10.8,106.7 10.8,106.7 10.8,106.7 10.8,106.7</polygon>")),
     "area[1]: the shapes enclose no area", "không bao quanh"),
    (alert(infos=info(area="<circle>10.77,106.70</circle>")), "circle[1]: '10.77,106.70' is not 'lat,lon radius'",
     "bán kính"),
    (alert(infos=info(area="<circle>10.77,106.70 0</circle>")), "radius above 0", "lớn hơn 0"),
    (alert(msg_type="Update"), "alert/references: an alert of msgType Update must name", "phải nêu các bản tin"),
    (alert(msg_type="Cancel", infos=""), "alert/references: an alert of msgType Cancel must name",
     "phải nêu các bản tin"),
    (alert(msg_type="Update", references="pctt,HCM-1"), "'pctt,HCM-1' is not a 'sender,identifier,sent'",
     "không có dạng"),
    (alert(sent="2024-09-08 10:00"), "alert/sent: '2024-09-08 10:00' is not a date and time with its UTC offset",
     "độ lệch UTC"),
    (alert(identifier="HCM 2024"), "alert/identifier: 'HCM 2024' contains a space", "dấu cách"),
    (alert(infos=info(extra="<effective>2024-09-09T10:00:00+07:00</effective><expires>2024-09-09T09:00:00+07:00"
                            "</expires>")), "alert/info[1]/expires (2024-09-09T09:00:00+07:00) is not after",
     "không muộn hơn"),
])
def test_refusals_say_what_and_where_in_both_languages(body, en, vi):
    with pytest.raises(CapError) as refused:
        parse_cap(body)
    assert en in refused.value.en and vi in refused.value.vi
    assert not isinstance(refused.value, CapTooLarge)
