"""A database of its own for the journey tests, with generated feeds (and the real Cairns one) loadable."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest

from etl.pipeline import LoadOptions
from etl.timetable import load_feed
from tests import pg
from tests.etl.conftest import REAL
from tests.journeys.feeds import write_feed

CAIRNS_FEED = REAL / "gtfs-cairns" / "cairns_gtfs.zip"
HCMC = (106.2, 10.3, 107.7, 11.6)
CAIRNS = (145.5, -17.3, 145.9, -16.6)


@pytest.fixture(scope="module")
def journeys_db(template_db):
    url = pg.server_url()
    name = pg.create_database(url, "mapserver_journeys", template=template_db[0])
    yield pg.dsn_for(url, name)
    pg.drop_database(url, name)


@pytest.fixture(scope="module")
def grid_feed(tmp_path_factory) -> Path:
    return write_feed(tmp_path_factory.mktemp("feeds") / "grid.zip", seed=7)


def load(url: str, feed: Path, area=HCMC, **options):
    conn = psycopg2.connect(url)
    try:
        return load_feed(conn, feed, LoadOptions(area=area, **options))
    finally:
        conn.close()


@pytest.fixture(scope="module")
def cairns_feed() -> Path:
    if not CAIRNS_FEED.exists():
        pytest.skip("the real GTFS feed (../shared/data/real/gtfs-cairns) is not on this machine")
    return CAIRNS_FEED
