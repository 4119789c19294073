"""`mapserver transit ...`: load a GTFS feed's timetable, list its versions, publish and roll back."""

from __future__ import annotations

from pathlib import Path

import click

from common.audit import cli_actor
from etl import publish as publish_mod
from etl.cli import audit_cli, catalog_layer, cli_connection, cli_options, fail, print_report, run_load
from etl.errors import LoadRefused
from etl.pipeline import LoadOptions
from etl.timetable import NETWORK, OWNER, load_feed

FEED_LAYERS = ("bus_stops", "transport")  # the layers a GTFS feed can fill as well (etl.gtfs)


def run_timetable_load(conn, path: Path, options: LoadOptions, report_file: Path | None = None):
    """Load one feed's timetable, audit the outcome, print the report; exit 1 when refused."""
    owner = catalog_layer(OWNER)
    try:
        report = load_feed(conn, path, options)
    except LoadRefused as err:
        audit_cli(conn, "transit.load", f"{NETWORK}:{path.name}", "refused", err.to_dict(), owner)
        fail(err)
    audit_cli(conn, "transit.load", f"{NETWORK}:{path.name}", "ok",
              {"version": report.version, "rows_loaded": report.rows_loaded, "rows_rejected": report.rows_rejected,
               "dry_run": options.dry_run}, owner)
    print_report(report, report_file)
    return report


@click.group("transit")
def transit_group() -> None:
    """The transit network's timetable (GTFS): load, versions, publish, roll back."""


@transit_group.command("load")
@click.argument("feed", type=click.Path(exists=True, path_type=Path))
@click.option("--layers", "with_layers", is_flag=True,
              help="Also load the bus_stops and transport layers from the same feed.")
@click.option("--dry-run", is_flag=True, help="Check and report without loading.")
@click.option("--no-publish", is_flag=True, help="Load a new version but keep the published one.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON report here.")
def transit_load(feed: Path, with_layers: bool, dry_run: bool, no_publish: bool, report_file: Path | None) -> None:
    """Load FEED (a GTFS zip or folder) as a new version of the timetable the journey planner uses."""
    options = cli_options(dry_run=dry_run, publish=not no_publish)
    with cli_connection() as conn:
        run_timetable_load(conn, feed, options, report_file)
        if with_layers:
            for slug in FEED_LAYERS:
                run_load(conn, catalog_layer(slug), feed, options)


@transit_group.command("versions")
def transit_versions() -> None:
    """The timetable's versions, newest first: what each holds, its dates, who published it and when."""
    with cli_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT version, status, counts, first_date, last_date, source_name, created_by, created_at, "
                    "published_by, published_at, rolled_back_by, rolled_back_at FROM mapserver.network_versions "
                    "WHERE network_slug = %s ORDER BY version DESC", (NETWORK,))
        for (version, status, counts, first, last, source, who, at, pub_by, pub_at, back_by,
             back_at) in cur.fetchall():
            line = (f"v{version:<4} {status:<9} {counts.get('trips', 0):>7} trips {first}..{last}  "
                    f"loaded {at:%Y-%m-%d %H:%M} by {who or '-'}")
            if pub_at:
                line += f"; published {pub_at:%Y-%m-%d %H:%M} by {pub_by or '-'}"
            if back_at:
                line += f"; rolled back {back_at:%Y-%m-%d %H:%M} by {back_by}"
            click.echo(f"{line}  {source or ''}")


def _switch(action: str, fn) -> None:
    owner = catalog_layer(OWNER)
    with cli_connection() as conn:
        try:
            version = fn(conn)
        except LoadRefused as err:
            audit_cli(conn, action, NETWORK, "refused", err.to_dict(), owner)
            fail(err)
        audit_cli(conn, action, NETWORK, "ok", {"version": version}, owner)
    click.echo(f"{NETWORK}: version {version} is now published")


@transit_group.command("publish")
@click.argument("version", type=click.IntRange(min=1))
def transit_publish(version: int) -> None:
    """Publish a loaded VERSION of the timetable."""

    def publish_it(conn) -> int:
        publish_mod.publish(conn, NETWORK, version, actor=cli_actor(), history=publish_mod.NETWORKS)
        return version

    _switch("transit.publish", publish_it)


@transit_group.command("rollback")
def transit_rollback() -> None:
    """Publish the timetable version published before the current one (skipping rolled-back ones)."""
    _switch("transit.rollback",
            lambda conn: publish_mod.rollback(conn, NETWORK, actor=cli_actor(), history=publish_mod.NETWORKS))
