"""`mapserver live ...`: the stream service, and a sweep for deployments that run none."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from common.database import connection
from etl.live.sweep import sweep
from mapserver.live.stream.cli import serve_command


@click.group("live")
def live_group() -> None:
    """Live layers: their change streams and expiry."""


@live_group.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Add the expire events of features whose valid_to has passed (the stream service does this every
    LIVE_SWEEP_S; run this from cron where none runs)."""
    with connection(current_app.config, application_name="mapserver-live-sweep") as conn:
        added = sweep(conn, current_app.extensions["mapserver.catalog"])
    click.echo(f"expired: {added} feature(s)")


live_group.add_command(serve_command)
