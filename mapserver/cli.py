"""The `mapserver` command: Flask's CLI plus the database, ETL, layer and demo commands."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from common import logs
from common.database import connection
from common.migrations import MigrationError, apply_migrations, sync_catalog
from etl import unfinished
from etl.cli import demo_group, etl_group, layers_group, wards_group
from etl.live.store import ensure_live_layers
from etl.timetable.cli import transit_group
from mapserver import create_app
from mapserver.agency.cli import agencies_group, audit_command, demo_accounts, tokens_group, users_group
from mapserver.jobs.cli import worker_command
from mapserver.live.cli import live_group


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def cli() -> None:
    """Sector-data map server: load, publish and serve a city's sector layers."""
    logs.configure()


@cli.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("migrate")
@with_appcontext
def db_migrate() -> None:
    """Apply pending migrations in sql/, sync the layer catalog, drop the tables of crashed loads."""
    try:
        with connection(current_app.config, application_name="mapserver-migrate") as conn:
            applied = apply_migrations(conn)
            sync_catalog(conn, current_app.extensions["mapserver.catalog"])
            ensure_live_layers(conn, current_app.extensions["mapserver.catalog"])
            abandoned = unfinished.drop_abandoned(conn)
    except MigrationError as err:
        raise click.ClickException(str(err)) from err
    click.echo("migrations applied: " + (", ".join(applied) if applied else "none (up to date)"))
    for slug, versions in abandoned.items():
        click.echo(f"dropped the unfinished load(s) of {slug}: version(s) {', '.join(map(str, versions))}")


cli.add_command(etl_group)
cli.add_command(layers_group)
cli.add_command(demo_group)
cli.add_command(agencies_group)
cli.add_command(users_group)
cli.add_command(tokens_group)
cli.add_command(audit_command)
cli.add_command(worker_command)
demo_group.add_command(demo_accounts)
cli.add_command(wards_group)
cli.add_command(transit_group)
cli.add_command(live_group)
