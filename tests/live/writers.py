"""Who writes live layers in the tests, the alerts they write, and a private database and server for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from mapserver import create_app
from mapserver.accounts import tokens
from tests import pg
from tests.agency.conftest import app_config
from tests.conftest import _clone
from tests.serving import serving


@dataclass(frozen=True)
class Writers:
    """Clear tokens: the civil defence command's system, the power company's, a health editor, an admin."""

    alerts: str
    outages: str
    health: str
    viewer: str
    admin: str


def make_writers(db_url: str) -> Writers:
    conn = psycopg2.connect(db_url)
    with conn, conn.cursor() as cur:
        def token(name: str, role: str, agency: str | None) -> str:
            return tokens.create(cur, name=name, role=role, agency=agency, days=30, created_by="test")[0]

        made = Writers(token("pctt-sync", "editor", "phong-chong-thien-tai"), token("evn-sync", "editor", "dien-luc"),
                       token("health-sync", "editor", "so-y-te"), token("pctt-read", "viewer", "phong-chong-thien-tai"),
                       token("city-admin", "admin", None))
    conn.close()
    return made


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def alert(fid: str | None = None, *, lon: float = 106.70, lat: float = 10.78, hours: float = 6,
          starts: float = -1, **props) -> dict:
    """A flood warning: a small square around (lon, lat), valid from `starts` to `hours` hours from now."""
    now = datetime.now(UTC)
    d = 0.005
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[
        [lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]},
        "properties": {"kind": "flood", "severity": "severe", "headline": "Ngập sâu đường Nguyễn Hữu Cảnh",
                       "headline_en": "Deep flooding on Nguyen Huu Canh street",
                       "instruction": "Không đi qua khu vực ngập.", "valid_from": iso(now + timedelta(hours=starts)),
                       "valid_to": iso(now + timedelta(hours=hours)), "source": "Ban Chỉ huy PCTT TP.HCM", **props}}
    if fid is not None:
        feature["id"] = fid
    return feature


@pytest.fixture(scope="module")
def live_db(template_db):

    name, dsn = _clone(template_db)
    yield dsn, make_writers(dsn)
    pg.drop_database(pg.server_url(), name)


@pytest.fixture(scope="module")
def live_server(live_db, tmp_path_factory):
    app = create_app(app_config(live_db[0], tmp_path_factory.mktemp("uploads")))
    with serving(app) as base:
        yield base


@pytest.fixture(scope="module")
def writers(live_db):
    return live_db[1]


def cap_message(identifier: str, *, msg_type: str = "Alert", references: str = "", headline: str = "Cảnh báo lũ",
                sent: datetime | None = None, hours: float = 6) -> bytes:
    """A CAP 1.2 flood warning of the civil defence command for a 2 km circle in District 1."""
    sent = sent or datetime.now(UTC).replace(microsecond=0)
    refs = f"<references>{references}</references>" if references else ""
    info = "" if msg_type == "Cancel" else f"""
  <info><language>vi-VN</language><category>Met</category><event>Lũ</event><urgency>Immediate</urgency>
    <severity>Severe</severity><certainty>Likely</certainty><expires>{iso(sent + timedelta(hours=hours))}</expires>
    <senderName>Ban Chỉ huy PCTT TP.HCM</senderName><headline>{headline}</headline>
    <instruction>Di chuyển lên chỗ cao.</instruction>
    <area><areaDesc>Quận 1</areaDesc><circle>10.776,106.700 2</circle></area></info>
  <info><language>en-US</language><category>Met</category><event>Flood</event><urgency>Immediate</urgency>
    <severity>Severe</severity><certainty>Likely</certainty><headline>Flood warning</headline>
    <area><areaDesc>District 1</areaDesc><circle>10.776,106.700 2</circle></area></info>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>{identifier}</identifier>
  <sender>pctt@tphcm.gov.vn</sender><sent>{iso(sent)}</sent><status>Actual</status><msgType>{msg_type}</msgType>
  <scope>Public</scope>{refs}{info}
</alert>""".encode()


def cap_reference(identifier: str, sent: datetime) -> str:
    return f"pctt@tphcm.gov.vn,{identifier},{iso(sent)}"
