"""The `mapserver` command: Flask's CLI plus the database, ETL, layer and demo commands.

A subcommand's module is imported when that subcommand runs: `mapserver etl load` does not import the web
app's rooms, the worker or the live stream (0.1 s and 13 MB of each load's start-up).
"""

from __future__ import annotations

from importlib import import_module

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from common import logs
from common.database import connection
from common.migrations import MigrationError
from common.settings import SettingsError
from etl import unfinished
from etl.schema import bring_up
from mapserver import create_app

# Subcommand -> "module:attribute" of its click command, then of commands added to it from other rooms.
LAZY = {
    "etl": ("etl.cli:etl_group",),
    "layers": ("etl.cli:layers_group",),
    "demo": ("etl.cli:demo_group", "mapserver.agency.cli:demo_accounts"),
    "agencies": ("mapserver.agency.cli:agencies_group",),
    "users": ("mapserver.agency.cli:users_group",),
    "tokens": ("mapserver.agency.cli:tokens_group",),
    "audit": ("mapserver.agency.cli:audit_command",),
    "worker": ("mapserver.jobs.cli:worker_command",),
    "wards": ("etl.cli:wards_group",),
    "transit": ("etl.timetable.cli:transit_group",),
    "live": ("mapserver.live.cli:live_group",),
}


def _imported(spec: str) -> click.Command:
    module, attribute = spec.split(":")
    return getattr(import_module(module), attribute)


class LazyFlaskGroup(FlaskGroup):
    """Flask's group whose own subcommands (LAZY) are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Listed without building the app, which needs DATABASE_URL (Flask's own listing builds it to add the
        app's commands and prints a traceback when it cannot): our app adds none."""
        return sorted(set(click.Group.list_commands(self, ctx)) | set(LAZY))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in LAZY:
            return super().get_command(ctx, name)
        command, *added = (_imported(spec) for spec in LAZY[name])
        for sub in added:
            command.add_command(sub)
        return command

    def invoke(self, ctx: click.Context) -> object:
        """A setting the operator must fix (DATABASE_URL unset) is an error message, not a traceback."""
        try:
            return super().invoke(ctx)
        except SettingsError as err:
            raise click.ClickException(str(err)) from err


@click.group(cls=LazyFlaskGroup, create_app=create_app, add_version_option=False)
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
            applied = bring_up(conn, current_app.extensions["mapserver.catalog"])
            abandoned = unfinished.drop_abandoned(conn)
    except MigrationError as err:
        raise click.ClickException(str(err)) from err
    click.echo("migrations applied: " + (", ".join(applied) if applied else "none (up to date)"))
    for slug, versions in abandoned.items():
        click.echo(f"dropped the unfinished load(s) of {slug}: version(s) {', '.join(map(str, versions))}")
