"""Composed statements kept per query shape, so a request only binds its values, and the server only
receives and parses each shape once per connection (a named prepared statement; it is still planned
for each call's values, see mapserver.web.db).

A shape (layer table, filter names, chosen properties, sort keys, ...) always yields the same
SQL text; values are never part of the key or the text. Derived data only: no process needs
to agree with another about it, and a new published version is a new table, hence a new key.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from psycopg2 import sql

from mapserver.web.db import PER_CALL, read_db

log = logging.getLogger(__name__)
MAX_SHAPES = 2048
_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s")


@dataclass(frozen=True)
class Compiled:
    """One statement in both forms: `text` with named placeholders, and as a prepared statement."""
    text: str
    name: str
    prepare: str  # PREPARE name AS ... with $1..$n
    execute: str  # EXECUTE name (%(a)s, ...): psycopg2 binds the values
    plan: str = PER_CALL

    @classmethod
    def from_text(cls, text: str, plan: str = PER_CALL) -> Compiled:
        names: list[str] = []

        def positional(match: re.Match) -> str:
            if match.group(1) is None:
                return "%"  # `%%` was psycopg2's escape; PREPARE is sent without values
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        body = _PLACEHOLDER.sub(positional, text)
        name = "q_" + hashlib.sha1(text.encode()).hexdigest()[:20]
        values = f" ({', '.join(f'%({n})s' for n in names)})" if names else ""
        return cls(text, name, f"PREPARE {name} AS {body}", f"EXECUTE {name}{values}", plan)


_compiled: dict[Hashable, Compiled] = {}


def statement(key: Hashable, build: Callable[[], sql.Composable], plan: str = PER_CALL) -> Compiled:
    found = _compiled.get((key, plan))
    if found is None:
        if len(_compiled) >= MAX_SHAPES:
            _compiled.clear()
        found = _compiled[(key, plan)] = Compiled.from_text(build().as_string(read_db()), plan)
        log.debug("statement for %r: %s", key, found.text)
    return found
