"""The read API's parameters, declared once (see `declare`): shared by several routes."""

from __future__ import annotations

from datetime import UTC, datetime

from mapserver.api.declare import Param, Setting, bad, choice, integer, names, number, numbers, text

F = choice("f", "Response format: `json` (default) or `html` for people.", ("json", "html"), "json")
LANG = choice("lang", "Language of titles, descriptions and errors: `vi` (default) or `en`.", ("vi", "en"))
COMMON = (F, LANG)


def _bbox(values: list[float]) -> tuple[float, float, float, float]:
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise bad("bbox", "longitudes must be between -180 and 180", "kinh độ phải nằm trong khoảng -180 đến 180")
    if not (-90 <= min_lat <= max_lat <= 90):
        raise bad("bbox", "latitudes must satisfy -90 <= south <= north <= 90",
                  "vĩ độ phải thỏa -90 <= nam <= bắc <= 90")
    return min_lon, min_lat, max_lon, max_lat


def _lonlat(values: list[float]) -> tuple[float, float]:
    lon, lat = values
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise bad("near", "needs lon between -180 and 180 and lat between -90 and 90",
                  "cần kinh độ trong khoảng -180 đến 180 và vĩ độ trong khoảng -90 đến 90")
    return lon, lat


def _instant(raw: str) -> datetime | None:
    """An RFC 3339 date-time (an offset or `Z` required: an instant, not a wall clock), or `..` (open)."""
    if raw in ("..", ""):
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise bad("datetime", f"{raw[:40]!r} is not an RFC 3339 date-time with an offset (2026-12-03T08:00:00Z)",
                  f"{raw[:40]!r} không phải thời điểm RFC 3339 có múi giờ (2026-12-03T08:00:00Z)")
    return moment.astimezone(UTC)


def _interval(raw: str) -> tuple[datetime | None, datetime | None]:
    """OGC `datetime`: an instant (start = end), or `start/end` with `..` for an open end."""
    parts = raw.split("/")
    if len(parts) > 2 or parts == ["..", ".."] or (len(parts) == 1 and parts[0] in ("..", "")):
        raise bad("datetime", "must be an instant or an interval start/end (one end may be '..')",
                  "phải là một thời điểm hoặc khoảng bắt đầu/kết thúc (một đầu có thể là '..')")
    start, end = _instant(parts[0]), _instant(parts[-1])
    if start and end and start > end:
        raise bad("datetime", "the interval ends before it starts", "khoảng thời gian kết thúc trước khi bắt đầu")
    return start, end


DATETIME = Param("datetime", "Features valid at this instant or during this interval (RFC 3339, `start/end`, `..` "
                 "for an open end), for live layers (default: now); other layers' features are timeless.",
                 {"type": "string"}, _interval)
BBOX = numbers("bbox", "Only features whose geometry meets this box: `west,south,east,north` in WGS84 degrees; "
               "west > east crosses the antimeridian.", 4, _bbox)
LIMIT = integer("limit", "Features per page.", 1, Setting("PAGE_LIMIT_MAX"), default=Setting("PAGE_LIMIT_DEFAULT"))
OFFSET = integer("offset", "Features to skip (the `next`/`prev` links set it).", 0, 1_000_000_000, default=0)
PROPERTIES = names("properties", "Only these properties, comma-separated (default: all).")
SORTBY = names("sortby", "Sort by these properties, comma-separated; `-name` sorts descending (default: `id`).")

LON = number("lon", "Longitude of the place (WGS84 degrees).", -180, 180, required=True)
LAT = number("lat", "Latitude of the place (WGS84 degrees).", -90, 90, required=True)
LAYER = text("layer", "Collection (layer) id, see /api/collections.", max_length=40, required=True)
NEAREST_LIMIT = integer("limit", "How many features.", 1, Setting("NEAREST_LIMIT_MAX"), default=5)
MAX_DISTANCE = number("max_distance", "Only features within this many metres.", 0, Setting("RADIUS_MAX_M"))
RADIUS = number("radius", "Radius in metres.", 0, Setting("RADIUS_MAX_M"), required=True)
PER_LAYER = integer("per_layer", "Features per layer.", 1, Setting("NEARBY_PER_LAYER_MAX"), default=3)
WITHIN_LIMIT = integer("limit", "Most features returned.", 1, Setting("PAGE_LIMIT_MAX"),
                       default=Setting("PAGE_LIMIT_DEFAULT"))

Q = text("q", "What to look for, with or without Vietnamese diacritics (`benh vien nhi`).", required=True)
SEARCH_LAYER = text("layer", "Only this collection (layer) id.", max_length=40)
NEAR = numbers("near", "`lon,lat`: among equally good matches, the nearer first; adds `distance_m`.", 2, _lonlat)
SEARCH_LIMIT = integer("limit", "Most results.", 1, Setting("SEARCH_LIMIT_MAX"), default=10)
