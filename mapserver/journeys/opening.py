"""Is a place open when the citizen gets there? Its `opening_hours` in OpenStreetMap's syntax, read by
opening-hours-py; a place without hours, or with hours nobody can read, is kept (unknown is not closed)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import opening_hours


@lru_cache(maxsize=4096)
def _parsed(text: str) -> opening_hours.OpeningHours | None:
    try:
        return opening_hours.OpeningHours(text)
    except (opening_hours.ParserError, ValueError):
        return None


def open_at(hours: str | None, when: datetime) -> bool:
    """False only when the hours say closed (or closed until further notice) at the local time `when`."""
    if not hours or not hours.strip():
        return True
    parsed = _parsed(hours.strip())
    if parsed is None:
        return True
    return not parsed.is_closed(when.replace(tzinfo=None))
