"""One log format for the web app and the commands."""

from __future__ import annotations

import logging


def configure() -> None:
    """INFO and up to stderr with a timestamp; pyogrio's per-file notices only from WARNING."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
