"""Session fixtures: one migrated, demo-loaded template database; clones for tests that write; a live server."""

from __future__ import annotations

from pathlib import Path

import psycopg2
import pytest

from common.migrations import apply_migrations
from common.settings import DEFAULTS
from etl.admin_units import wards_area, write_wards_file
from etl.demo.generate import FEED_FILE
from etl.pipeline import LoadOptions, load_file
from etl.schema import bring_up
from etl.timetable import load_feed
from layers import load_catalog
from mapserver import create_app
from tests import pg
from tests.serving import serving

# Fixtures of the live layers' writers, for tests/live/ and the map page's alert tests alike.
pytest_plugins = ["tests.live.writers"]

DEMO_SLUGS = ("health", "education", "transport", "bus_stops")


def pytest_sessionstart(session: pytest.Session) -> None:
    """With pytest-xdist (`make test` runs two workers), before the workers start: migrate a scratch database
    once. The migrations create a role, and roles are the cluster's: two workers migrating their templates at
    once on a fresh cluster (CI's) would both create it, and the second would fail on the role catalog's unique
    index (the migrations' lock is per database)."""
    if not session.config.pluginmanager.has_plugin("dsession"):
        return
    url = pg.server_url()
    name = pg.create_database(url, "mapserver_tmpl_roles")
    try:
        conn = psycopg2.connect(pg.dsn_for(url, name))
        try:
            apply_migrations(conn)
        finally:
            conn.close()
    finally:
        pg.drop_database(url, name)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The clones' drops run in the background (tests/pg.py): none may be left behind when the session ends."""
    pg.finish_drops()


@pytest.fixture(scope="session")
def catalog():
    return load_catalog()


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory) -> dict[str, Path]:
    from etl.demo import generate_demo_city

    return generate_demo_city(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def wards_file(tmp_path_factory) -> Path:
    """The 2025 wards of the default provinces (Ho Chi Minh City), as `mapserver demo load` writes them."""
    return write_wards_file(tmp_path_factory.mktemp("wards") / "wards.geojson", DEFAULTS["WARDS_PROVINCES"])


@pytest.fixture(scope="session")
def template_db(catalog, demo_files, wards_file):
    """Migrated, wards and the demo layers loaded; only ever cloned, so tests that write cannot disturb each
    other. The demo timetable goes into the session database only (`db_url`): a third of the template's size,
    it would be copied into every clone."""
    url = pg.server_url()
    name = pg.create_database(url, "mapserver_tmpl")
    conn = psycopg2.connect(pg.dsn_for(url, name))
    try:
        bring_up(conn, catalog)
        reports = {"wards": load_file(conn, catalog["wards"], wards_file, LoadOptions(area=wards_area(wards_file)))}
        reports |= {slug: load_file(conn, catalog[slug], demo_files[slug], LoadOptions(area=DEFAULTS["AREA_BBOX"]))
                    for slug in DEMO_SLUGS}
    finally:
        conn.close()
    yield name, reports
    pg.drop_database(url, name)


@pytest.fixture(scope="session")
def demo_reports(template_db):
    """The demo layers' load reports, by layer."""
    return template_db[1]


def _clone(template_db) -> tuple[str, str]:
    url = pg.server_url()
    name = pg.create_database(url, "mapserver_test", template=template_db[0])
    return name, pg.dsn_for(url, name)


@pytest.fixture(scope="session")
def db_url(template_db, demo_files):
    """The database the session's server reads from: a clone of the template, with the demo timetable."""
    name, dsn = _clone(template_db)
    conn = psycopg2.connect(dsn)
    try:
        load_feed(conn, demo_files["health"].parent / FEED_FILE, LoadOptions(area=DEFAULTS["AREA_BBOX"]))
    finally:
        conn.close()
    yield dsn
    pg.drop_database(pg.server_url(), name)


@pytest.fixture
def fresh_db_url(template_db):
    """A private clone for a test that loads, publishes or otherwise writes."""
    with pg.clone(template_db[0]) as dsn:
        yield dsn


@pytest.fixture
def conn(db_url):
    """A connection to the session database whose work is rolled back after the test."""
    connection = psycopg2.connect(db_url)
    yield connection
    connection.rollback()
    connection.close()


@pytest.fixture(scope="session")
def app(db_url):
    return create_app({"DATABASE_URL": db_url, "TESTING": True})


@pytest.fixture(scope="session")
def server(app):
    """The real app over real HTTP on a free loopback port; yields its base URL."""
    with serving(app) as base:
        yield base
