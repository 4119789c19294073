"""Composed statements kept as text per query shape, so a request only binds its values.

A shape (layer table, filter names, chosen properties, sort keys, ...) always yields the same
SQL text; values are never part of the key or the text. Derived data only: no process needs
to agree with another about it, and a new published version is a new table, hence a new key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable

from psycopg2 import sql

from mapserver.db import get_db

log = logging.getLogger(__name__)
MAX_SHAPES = 2048
_texts: dict[Hashable, str] = {}


def statement(key: Hashable, build: Callable[[], sql.Composable]) -> str:
    text = _texts.get(key)
    if text is None:
        if len(_texts) >= MAX_SHAPES:
            _texts.clear()
        text = _texts[key] = build().as_string(get_db())
        log.debug("statement for %r: %s", key, text)
    return text
