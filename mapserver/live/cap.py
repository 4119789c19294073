"""CAP alerts (OASIS Common Alerting Protocol 1.2, and 1.1) read into the alerts layer's features.

A CAP message arrives from another system over HTTP, so it is parsed with defusedxml under a size cap: a
DTD or an entity is refused before anything expands (billion laughs, external files). CAP writes points
"lat,lon", the reverse of GeoJSON, and circles as "lat,lon radius_km"; both become lon/lat polygons here.
Pure: no database and no Flask, so the route, the CLI or a test drive the same reading.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import numpy as np
import shapely
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.polygon import orient

NAMESPACES = ("urn:oasis:names:tc:emergency:cap:1.2", "urn:oasis:names:tc:emergency:cap:1.1")
MAX_CAP_BYTES = 1_000_000
CIRCLE_POINTS = 64
MAX_RADIUS_KM = 2000.0
SEVERITIES = ("extreme", "severe", "moderate", "minor")
MSG_TYPES = ("Alert", "Update", "Cancel")
_GEOD = Geod(ellps="WGS84")
_COMMA_SPACING = re.compile(r"\s*,\s*")
# Letters only Vietnamese writes: an <info> without <language> (CAP's default is en-US) holding them is Vietnamese.
_VIETNAMESE_LETTERS = re.compile(r"[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")
# The earliest word of an event (then of a headline) names the kind: "Bão số 3 gây ngập" is a storm. Vietnamese
# words end at a word boundary ("lũ" is not "thung lũng"), English ones may go on ("floods", "heatwave"); landslide
# comes first, as "lũ bùn đá" (a debris flow) begins with the word for flood.
_KIND_WORDS = re.compile(
    r"\b(?:(?P<landslide>(?:sạt lở|lở đất|trượt đất|lũ bùn đá)\b|landslide\w*|mudslide\w*|debris flow\w*|rockfall\w*)"
    r"|(?P<flood>(?:lũ|lụt|ngập|triều cường)\b|flood\w*|inundat\w*)"
    r"|(?P<storm>(?:bão|áp thấp|dông|lốc)\b|typhoon\w*|tropical depression\w*|cyclone\w*|storm\w*|thunderstorm\w*)"
    r"|(?P<heat>(?:nắng nóng)\b|heat\w*))"
)


class CapError(ValueError):
    """A CAP message refused: what is wrong and where (`alert/info[1]/area[2]/polygon[1]`), in both languages."""

    def __init__(self, en: str, vi: str):
        super().__init__(en)
        self.en = en
        self.vi = vi


class CapTooLarge(CapError):
    """Longer than the size cap: a route answers 413 rather than 400."""


@dataclass(frozen=True)
class CapArea:
    description: str | None
    geometry: Polygon | MultiPolygon


@dataclass(frozen=True)
class CapInfo:
    language: str
    event: str
    categories: tuple[str, ...]
    severity: str
    headline: str | None
    description: str | None
    instruction: str | None
    effective: datetime
    onset: datetime | None
    expires: datetime | None
    sender_name: str | None
    areas: tuple[CapArea, ...]


@dataclass(frozen=True)
class CapMessage:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    references: tuple[str, ...]
    infos: tuple[CapInfo, ...]

    @property
    def key(self) -> str:
        return message_key(self.sender, self.identifier, self.sent)

    @property
    def vietnamese(self) -> CapInfo | None:
        return next((i for i in self.infos if _is_language(i.language, "vi")), None)

    @property
    def english(self) -> CapInfo | None:
        return next((i for i in self.infos if _is_language(i.language, "en")), None)


def message_key(sender: str, identifier: str, sent: datetime) -> str:
    """CAP's "sender,identifier,sent", with `sent` in UTC so that +07:00 and Z spellings of one instant match."""
    return f"{sender},{identifier},{sent.astimezone(UTC).isoformat().replace('+00:00', 'Z')}"


def message_keys(msg: CapMessage) -> tuple[str, tuple[str, ...]]:
    """(this message's key, the keys it references): an Update replaces, a Cancel ends, the features holding those."""
    return msg.key, msg.references


def parse_cap(data: bytes, max_bytes: int = MAX_CAP_BYTES) -> CapMessage:
    """The CAP message in `data`, checked; CapError says what is wrong and where (CapTooLarge past `max_bytes`)."""
    root, ns = _root(data, max_bytes)
    alert = _Children(root, ns, "alert")
    identifier = _token(alert.required("identifier"), "alert/identifier")
    sender = _token(alert.required("sender"), "alert/sender")
    sent = _instant(alert.required("sent"), "alert/sent")
    _check_publishable(alert)
    msg_type = alert.required("msgType")
    references = _references(alert.text("references"))
    if msg_type != "Alert" and not references:
        raise CapError(f"alert/references: an alert of msgType {msg_type} must name the messages it changes "
                       "(sender,identifier,sent).",
                       f"alert/references: bản tin {msg_type} phải nêu các bản tin nó thay đổi "
                       "(sender,identifier,sent).")
    infos = tuple(_info(_Children(el, ns, f"alert/info[{i}]"), sent) for i, el in enumerate(alert.all("info"), 1))
    if msg_type != "Cancel" and not any(info.areas for info in infos):
        raise _no_area()
    return CapMessage(identifier, sender, sent, alert.required("status"), msg_type, references, infos)


def alert_properties(msg: CapMessage) -> tuple[dict[str, Any], Polygon | MultiPolygon]:
    """The alerts layer's properties (JSON values: instants as ISO text) and the lon/lat geometry of `msg`.

    Vietnamese texts come from the vi info block (else the first one), English ones from the en block. The
    feature is valid from `effective` (CAP's default: `sent`), not from `onset`: a warning is shown before the
    flood it warns of begins."""
    main = msg.vietnamese or (msg.infos[0] if msg.infos else None)
    if main is None:
        raise CapError("alert/info: the message has no <info>, so there is no alert to show.",
                       "alert/info: bản tin không có <info>, nên không có cảnh báo nào để hiển thị.")
    english = msg.english
    properties = {
        "kind": alert_kind(msg),
        "severity": main.severity,
        "headline": main.headline or main.event,
        "headline_en": (english.headline or english.event) if english else None,
        "description": main.description,
        "description_en": english.description if english else None,
        "instruction": main.instruction,
        "instruction_en": english.instruction if english else None,
        "valid_from": main.effective.isoformat(),
        "valid_to": main.expires.isoformat() if main.expires else None,
        "source": main.sender_name or msg.sender,
        "cap_messages": [msg.key],
    }
    return properties, _geometry(msg)


def alert_kind(msg: CapMessage) -> str:
    """flood, storm, landslide, heat or other, from the words of the events, then of the headlines."""
    for texts in ([i.event for i in msg.infos], [i.headline or "" for i in msg.infos]):
        found = _KIND_WORDS.search(unicodedata.normalize("NFC", " | ".join(texts)).casefold())
        if found:
            return found.lastgroup or "other"
    return "other"


class _Children:
    """The children of one CAP element by local name, each knowing where it is for the errors."""

    def __init__(self, element: Element, ns: str, where: str):
        self.element, self.ns, self.where = element, ns, where

    def all(self, name: str) -> list[Element]:
        return self.element.findall(f"{{{self.ns}}}{name}")

    def texts(self, name: str) -> list[str]:
        return [t for t in ((el.text or "").strip() for el in self.all(name)) if t]

    def text(self, name: str) -> str | None:
        return next(iter(self.texts(name)), None)

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise CapError(f"{self.where}: the required element <{name}> is missing or empty.",
                           f"{self.where}: thiếu phần tử bắt buộc <{name}> (hoặc phần tử rỗng).")
        return value

    def instant(self, name: str) -> datetime | None:
        value = self.text(name)
        return None if value is None else _instant(value, f"{self.where}/{name}")


def _root(data: bytes, max_bytes: int) -> tuple[Element, str]:
    if len(data) > max_bytes:
        raise CapTooLarge(f"The CAP message is {len(data)} bytes long; at most {max_bytes} are accepted.",
                          f"Bản tin CAP dài {len(data)} byte; chỉ nhận tối đa {max_bytes} byte.")
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise CapError("The message declares a DTD or entities, which are refused (XML bombs, external files).",
                       "Bản tin khai báo DTD hoặc thực thể (entity), điều bị từ chối (bom XML, tệp bên ngoài)."
                       ) from None
    except ParseError as err:
        line, column = err.position
        raise CapError(f"The body is not well-formed XML (line {line}, column {column}).",
                       f"Nội dung không phải XML hợp lệ (dòng {line}, cột {column}).") from None
    ns, _, name = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if name != "alert" or ns not in NAMESPACES:
        raise CapError(f"The root element is <{name[:40]}> in namespace '{ns[:80]}', not a CAP 1.2 <alert> "
                       f"({NAMESPACES[0]}).",
                       f"Phần tử gốc là <{name[:40]}> thuộc không gian tên '{ns[:80]}', không phải <alert> CAP 1.2 "
                       f"({NAMESPACES[0]}).")
    return root, ns


def _check_publishable(alert: _Children) -> None:
    """Only real, public alerts and updates reach the public map: no exercises, acks or restricted messages."""
    status, msg_type, scope = alert.required("status"), alert.required("msgType"), alert.text("scope")
    if status != "Actual":
        raise CapError(f"alert/status is '{status[:40]}': only Actual messages are published (not Exercise, System, "
                       "Test or Draft).",
                       f"alert/status là '{status[:40]}': chỉ đăng bản tin thật (Actual), không đăng bản tập dượt, "
                       "hệ thống, thử nghiệm hay bản nháp.")
    if msg_type not in MSG_TYPES:
        raise CapError(f"alert/msgType is '{msg_type[:40]}': only Alert, Update and Cancel change the map (an Ack or "
                       "Error answers a system, not the public).",
                       f"alert/msgType là '{msg_type[:40]}': chỉ Alert, Update và Cancel thay đổi bản đồ (Ack hay "
                       "Error là trả lời giữa các hệ thống, không dành cho người dân).")
    if scope not in (None, "Public"):
        raise CapError(f"alert/scope is '{scope[:40]}': only Public alerts are shown on the public map.",
                       f"alert/scope là '{scope[:40]}': chỉ cảnh báo công khai (Public) được hiển thị trên bản đồ.")


def _info(info: _Children, sent: datetime) -> CapInfo:
    severity = info.required("severity")
    if severity.lower() not in SEVERITIES:
        raise CapError(f"{info.where}/severity is '{severity[:40]}': it must be Extreme, Severe, Moderate or Minor.",
                       f"{info.where}/severity là '{severity[:40]}': phải là Extreme, Severe, Moderate hoặc Minor.")
    effective = info.instant("effective") or sent
    expires = info.instant("expires")
    if expires is not None and expires <= effective:
        raise CapError(f"{info.where}/expires ({expires.isoformat()}) is not after the alert takes effect "
                       f"({effective.isoformat()}).",
                       f"{info.where}/expires ({expires.isoformat()}) không muộn hơn lúc cảnh báo có hiệu lực "
                       f"({effective.isoformat()}).")
    areas = (_area(_Children(el, info.ns, f"{info.where}/area[{i}]")) for i, el in enumerate(info.all("area"), 1))
    return CapInfo(
        language=_language(info), event=info.required("event"), categories=tuple(info.texts("category")),
        severity=severity.lower(), headline=info.text("headline"), description=info.text("description"),
        instruction=info.text("instruction"), effective=effective, onset=info.instant("onset"), expires=expires,
        sender_name=info.text("senderName"), areas=tuple(a for a in areas if a is not None))


def _language(info: _Children) -> str:
    declared = info.text("language")
    if declared:
        return declared
    words = " ".join(info.texts("event") + info.texts("headline") + info.texts("description")).casefold()
    return "vi-VN" if _VIETNAMESE_LETTERS.search(words) else "en-US"


def _is_language(tag: str, language: str) -> bool:
    return tag.lower() == language or tag.lower().startswith(f"{language}-")


def _area(area: _Children) -> CapArea | None:
    """The area's polygons and circles as one geometry; None for an area given only by geocodes."""
    shapes = [_polygon(text, f"{area.where}/polygon[{i}]") for i, text in enumerate(area.texts("polygon"), 1)]
    shapes += [_circle(text, f"{area.where}/circle[{i}]") for i, text in enumerate(area.texts("circle"), 1)]
    return CapArea(area.text("areaDesc"), _polygonal(shapes, area.where)) if shapes else None


def _geometry(msg: CapMessage) -> Polygon | MultiPolygon:
    """Every distinct area of the message (a translation repeats the same ones) as one geometry."""
    distinct = {shapely.normalize(a.geometry).wkb: a.geometry for info in msg.infos for a in info.areas}
    if not distinct:
        raise _no_area()
    return _polygonal(list(distinct.values()), "alert/info/area")


def _no_area() -> CapError:
    return CapError("alert/info/area: no area has a <polygon> or a <circle>, so the alert cannot be mapped.",
                    "alert/info/area: không vùng nào có <polygon> hay <circle>, nên không thể vẽ cảnh báo.")


def _polygonal(shapes: list[Polygon | MultiPolygon], where: str) -> Polygon | MultiPolygon:
    """One shape stays a Polygon, several make a MultiPolygon; overlaps are merged (GeoJSON parts may not overlap)."""
    merged = shapely.union_all([shapely.make_valid(s) for s in shapes])
    parts = [orient(p) for p in shapely.get_parts(shapely.get_parts(merged))
             if p.geom_type == "Polygon" and not p.is_empty]
    if not parts:
        raise CapError(f"{where}: the shapes enclose no area.", f"{where}: các hình không bao quanh vùng nào.")
    return parts[0] if len(parts) == 1 and len(shapes) == 1 else MultiPolygon(parts)


def _polygon(text: str, where: str) -> Polygon:
    points = _points(text, where)
    if points[0] != points[-1]:
        points.append(points[0])  # CAP asks for a closed ring; an open one means the same area
    if len(points) < 4:
        raise CapError(f"{where}: a polygon needs at least 4 points (3 corners and the first again), "
                       f"not {len(points)}.",
                       f"{where}: đa giác cần ít nhất 4 điểm (3 đỉnh và lặp lại điểm đầu), không phải {len(points)}.")
    return Polygon(points)


def _circle(text: str, where: str) -> Polygon:
    """The circle as a ring of CIRCLE_POINTS points at its radius along the WGS 84 ellipsoid."""
    parts = _COMMA_SPACING.sub(",", text.strip()).split()
    try:
        radius_km = float(parts[1]) if len(parts) == 2 else None
    except ValueError:
        radius_km = None
    if radius_km is None or not 0 < radius_km <= MAX_RADIUS_KM:
        raise CapError(f"{where}: '{text[:60]}' is not 'lat,lon radius' with a radius above 0 and at most "
                       f"{MAX_RADIUS_KM:g} km.",
                       f"{where}: '{text[:60]}' không có dạng 'vĩ độ,kinh độ bán kính' với bán kính lớn hơn 0 và "
                       f"không quá {MAX_RADIUS_KM:g} km.")
    [(lon, lat)] = _points(parts[0], where)
    azimuths = np.linspace(0.0, 360.0, CIRCLE_POINTS, endpoint=False)
    same = np.ones(CIRCLE_POINTS)
    lons, lats, _ = _GEOD.fwd(same * lon, same * lat, azimuths, same * radius_km * 1000.0)
    return orient(Polygon(zip(lons, lats, strict=True)))


def _points(text: str, where: str) -> list[tuple[float, float]]:
    """CAP's whitespace-separated "lat,lon" pairs as (lon, lat) points."""
    points = []
    for pair in _COMMA_SPACING.sub(",", text.strip()).split():
        try:
            lat, lon = (float(v) for v in pair.split(","))
        except ValueError:
            raise CapError(f"{where}: '{pair[:40]}' is not a 'lat,lon' pair of numbers.",
                           f"{where}: '{pair[:40]}' không phải là cặp số 'vĩ độ,kinh độ'.") from None
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise CapError(f"{where}: '{pair[:40]}' is out of range (CAP writes latitude first, -90..90, then "
                           "longitude, -180..180).",
                           f"{where}: '{pair[:40]}' nằm ngoài phạm vi (CAP ghi vĩ độ trước, -90..90, rồi kinh độ, "
                           "-180..180).")
        points.append((lon, lat))
    return points


def _instant(text: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise CapError(f"{where}: '{text[:40]}' is not a date and time with its UTC offset "
                       "(e.g. 2024-09-08T10:00:00+07:00).",
                       f"{where}: '{text[:40]}' không phải là ngày giờ kèm độ lệch UTC "
                       "(ví dụ 2024-09-08T10:00:00+07:00).")
    return moment


def _token(text: str, where: str) -> str:
    """An identifier or sender: CAP forbids spaces and commas in them, which would break the reference triples."""
    if re.search(r"[\s,]", text):
        raise CapError(f"{where}: '{text[:60]}' contains a space or a comma, which CAP does not allow.",
                       f"{where}: '{text[:60]}' chứa dấu cách hoặc dấu phẩy, điều CAP không cho phép.")
    return text


def _references(text: str | None) -> tuple[str, ...]:
    keys = []
    for triple in (text or "").split():
        parts = triple.split(",")
        if len(parts) != 3 or not all(parts):
            raise CapError(f"alert/references: '{triple[:80]}' is not a 'sender,identifier,sent' triple.",
                           f"alert/references: '{triple[:80]}' không có dạng 'sender,identifier,sent'.")
        keys.append(message_key(parts[0], parts[1], _instant(parts[2], "alert/references")))
    return tuple(keys)
