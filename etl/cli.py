"""`mapserver etl ...`, `mapserver layers ...` and `mapserver demo ...`: the write path from a terminal."""

from __future__ import annotations

import hashlib
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import click

from common import audit, settings
from common.audit import cli_actor
from common.database import connection
from etl import publish as publish_mod
from etl.admin_units import wards_area, write_wards_file
from etl.errors import LoadRefused
from etl.pipeline import LoadOptions, file_sha256, load_file, options_from_config
from etl.report import LoadReport
from layers import Layer, load_catalog


@cache
def _settings() -> dict[str, Any]:
    """The settings as the web app reads them, loaded once per command."""
    return settings.load()


@cache
def _catalog() -> dict[str, Layer]:
    return load_catalog()


def cli_connection():
    return connection(_settings())


def catalog_layer(slug: str):
    layer = _catalog().get(slug)
    if layer is None:
        known = ", ".join(sorted(_catalog()))
        raise click.BadParameter(f"unknown layer {slug!r}; known layers: {known}", param_hint="--layer")
    return layer


def audit_cli(conn, action: str, target: str, result: str, details: dict, layer=None) -> None:
    with conn, conn.cursor() as cur:
        audit.record(cur, actor=cli_actor(), action=action, target=target, result=result, details=details,
                     agency=layer.agency if layer else None)


def fail(err: LoadRefused) -> None:
    click.secho(f"Refused / Từ chối: {err}", fg="red", err=True)
    click.echo(f"  vi: {err.vi}", err=True)
    sys.exit(1)


def run_load(conn, layer, path: Path, options: LoadOptions, report_file: Path | None = None):
    """Load one file, audit the outcome, print the report; exit 1 when refused."""
    target = f"{layer.slug}:{path.name}"
    try:
        report = load_file(conn, layer, path, options)
    except LoadRefused as err:
        audit_cli(conn, "etl.load", target, "refused", err.to_dict(), layer)
        fail(err)
    audit_cli(conn, "etl.load", target, "ok", {"version": report.version, "rows_loaded": report.rows_loaded,
                                             "rows_rejected": report.rows_rejected, "dry_run": options.dry_run}, layer)
    print_report(report, report_file)
    return report


def print_report(report: LoadReport, report_file: Path | None = None) -> None:
    """The report's summary, warnings and reasons on the terminal; the whole of it as JSON in `report_file`."""
    click.echo(report.summary())
    for warning in report.warnings[:20]:
        click.echo(f"  warning: {warning}")
    for d in report.near_duplicate_pairs[:20]:
        click.echo(f"  near-duplicate: rows {d.row} and {d.other_row}, {d.name!r}, {d.metres} m apart")
    for g in report.rejection_groups[:20]:
        rows = ", ".join(map(str, g.first_rows)) + (", ..." if g.count > len(g.first_rows) else "")
        click.echo(f"  {g.count} row(s) ({rows}): {g.field}: {g.reason}")
        click.echo(f"      {g.count} dòng: {g.reason_vi}")
    if len(report.rejection_groups) > 20:
        click.echo(f"  ... {len(report.rejection_groups) - 20} more reasons (see the full report)")
    for issue in report.address_issues[:20]:
        click.echo(f"  row {issue.row}: address not understood, loaded as is: {issue.address!r}: {issue.reason}")
    if report.warnings:
        click.echo(f"  {len(report.warnings)} warning(s), first: {report.warnings[0]}")
    if report_file:
        report_file.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")


def _field_mapping(_ctx, _param, items: tuple[str, ...]) -> dict[str, str]:
    """`--field name="Tên đơn vị"` -> {"name": "Tên đơn vị"}; an empty column says the file has none."""
    mapping = {}
    for item in items:
        name, sep, column = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{item!r}: write FIELD=COLUMN, e.g. name=\"Tên đơn vị\"", param_hint="--field")
        mapping[name.strip()] = column.strip()
    return mapping


def _value_mapping(_ctx, _param, items: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """`--value kind:"Tiêm chủng dịch vụ"=vaccination` -> {"kind": {"Tiêm chủng dịch vụ": "vaccination"}}."""
    mapping: dict[str, dict[str, str]] = {}
    for item in items:
        name, colon, rest = item.partition(":")
        raw, equals, code = rest.rpartition("=")
        if not colon or not equals or not name.strip() or not raw.strip() or not code.strip():
            raise click.BadParameter(f"{item!r}: write FIELD:VALUE=CODE, e.g. kind:\"Tiêm chủng dịch vụ\"=vaccination",
                                     param_hint="--value")
        mapping.setdefault(name.strip(), {})[raw.strip()] = code.strip()
    return mapping


def cli_options(**overrides) -> LoadOptions:
    return options_from_config(_settings(), actor=cli_actor(), **overrides)


@click.group("etl")
def etl_group() -> None:
    """Load agencies' files into versioned layers."""


@etl_group.command("load")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--layer", "slug", required=True, help="Layer to load into (see `mapserver layers list`).")
@click.option("--crs", help="Coordinate system of the file when it declares none or a wrong one, e.g. EPSG:3405, "
                            "VN2000 (EPSG:4756) or VN2000:105.75 (the provincial TM-3 zone of that meridian).")
@click.option("--encoding", help="Text encoding of the attributes: tcvn3 (ABC), vni, or a codec such as cp1258; "
                                 "by default legacy Vietnamese text is detected.")
@click.option("--source-layer", help="Layer inside the file (GeoPackage with several layers), or file inside a zip.")
@click.option("--dry-run", is_flag=True, help="Validate and report without loading.")
@click.option("--no-publish", is_flag=True, help="Load a new version but keep the published one.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON report here.")
@click.option("--no-address-normalisation", is_flag=True,
              help="Keep ward, ward_code and province as the file has them instead of reading them off the address.")
@click.option("--rejected-csv", type=click.Path(dir_okay=False, path_type=Path),
              help="Write every rejected row here (its columns, then row, field, value and the reason in Vietnamese "
                   "and English), to fix in the spreadsheet and load again.")
@click.option("--field", "fields", multiple=True, callback=_field_mapping, metavar="FIELD=COLUMN",
              help="The file's column for a layer field when its name does not say so, e.g. "
                   "--field name=\"Tên đơn vị\" (repeatable; FIELD= alone: the file has no such column).")
@click.option("--value", "values", multiple=True, callback=_value_mapping, metavar="FIELD:VALUE=CODE",
              help="What a category value written in the file means, e.g. "
                   "--value kind:\"Tiêm chủng dịch vụ\"=vaccination (repeatable).")
def etl_load(file: Path, slug: str, crs, encoding, source_layer, dry_run: bool, no_publish: bool, report_file,
             no_address_normalisation: bool, rejected_csv: Path | None, fields: dict, values: dict) -> None:
    """Validate FILE (or a shapefile folder) and load it as a new version of a layer.

    Columns are matched to the layer's fields by name, Vietnamese and English title and the aliases of the
    definition (`mapserver layers fields LAYER` lists them); category values by code, label and alias.
    """
    layer = catalog_layer(slug)
    with cli_connection() as conn:
        run_load(conn, layer, file, cli_options(crs=crs, encoding=encoding, source_layer=source_layer, dry_run=dry_run,
                                             publish=not no_publish, fields=fields, values=values,
                                             rejected_rows=rejected_csv,
                                             normalise_addresses=not no_address_normalisation), report_file)


@click.group("layers")
def layers_group() -> None:
    """List layers and their versions; publish and roll back."""


@layers_group.command("list")
def layers_list() -> None:
    """Every layer of the catalog with its published version and feature count."""
    with cli_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT l.slug, l.visibility, l.published_version, v.feature_count, l.title_en "
                    "FROM mapserver.layers l LEFT JOIN mapserver.layer_versions v "
                    "ON v.layer_slug = l.slug AND v.version = l.published_version ORDER BY l.slug")
        click.echo(f"{'layer':<12} {'visibility':<10} {'published':>9} {'features':>9}  title")
        for slug, visibility, version, count, title in cur.fetchall():
            click.echo(f"{slug:<12} {visibility:<10} {version or '-':>9} {count or 0:>9}  {title}")


@layers_group.command("fields")
@click.argument("slug")
def layers_fields(slug: str) -> None:
    """The fields of a layer: the column names a file may use for each, and the values a category accepts."""
    layer = catalog_layer(slug)
    click.echo(f"{layer.id_field:<16} id      {' | '.join(layer.id_aliases)}")
    for fld in layer.fields:
        names = " | ".join((fld.title["vi"], fld.title["en"], *fld.aliases))
        click.echo(f"{fld.name:<16} {fld.type:<7} {'required ' if fld.required else ''}{names}")
        for code in fld.values:
            spelled = " | ".join((fld.label(code, "vi"), fld.label(code, "en"), *fld.value_aliases.get(code, ())))
            click.echo(f"{'':<18}{code}: {spelled}")


@layers_group.command("versions")
@click.argument("slug")
def layers_versions(slug: str) -> None:
    """The versions of one layer, newest first: loaded, published and rolled back when and by whom."""
    catalog_layer(slug)
    with cli_connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT version, status, feature_count, source_name, created_by, created_at, published_by, "
                    "published_at, rolled_back_by, rolled_back_at "
                    "FROM mapserver.layer_versions WHERE layer_slug = %s ORDER BY version DESC", (slug,))
        for version, status, count, source, who, at, pub_by, pub_at, back_by, back_at in cur.fetchall():
            line = f"v{version:<4} {status:<9} {count:>9}  loaded {at:%Y-%m-%d %H:%M} by {who or '-'}"
            if pub_at:
                line += f"; published {pub_at:%Y-%m-%d %H:%M} by {pub_by or '-'}"
            if back_at:
                line += f"; rolled back {back_at:%Y-%m-%d %H:%M} by {back_by}"
            click.echo(f"{line}  {source or ''}")


def _publish_command(conn, layer, action: str, fn):
    try:
        result = fn()
    except LoadRefused as err:
        audit_cli(conn, action, layer.slug, "refused", err.to_dict(), layer)
        fail(err)
    audit_cli(conn, action, layer.slug, "ok", {"version": result}, layer)
    click.echo(f"{layer.slug}: version {result} is now published")


@layers_group.command("publish")
@click.argument("slug")
@click.argument("version", type=click.IntRange(min=1))
def layers_publish(slug: str, version: int) -> None:
    """Publish a loaded VERSION of layer SLUG."""
    layer = catalog_layer(slug)
    with cli_connection() as conn:

        def publish_it() -> int:
            publish_mod.publish(conn, slug, version, actor=cli_actor())
            return version

        _publish_command(conn, layer, "layer.publish", publish_it)


@layers_group.command("rollback")
@click.argument("slug")
def layers_rollback(slug: str) -> None:
    """Publish the version that was published before the current one (skipping rolled-back ones)."""
    layer = catalog_layer(slug)
    with cli_connection() as conn:
        _publish_command(conn, layer, "layer.rollback", lambda: publish_mod.rollback(conn, slug, actor=cli_actor()))


@click.group("demo")
def demo_group() -> None:
    """The demo city (Ho Chi Minh City), generated and loaded like an agency's files."""


@demo_group.command("load")
@click.option("--dir", "outdir", default="var/demo", type=click.Path(file_okay=False, path_type=Path),
              show_default=True, help="Where the generated files are written.")
@click.option("--force", is_flag=True, help="Regenerate and reload even when already loaded.")
def demo_load(outdir: Path, force: bool) -> None:
    """Generate the demo files (once) and load each layer and the timetable unless that exact file is already
    published."""
    from etl.demo import generate_demo_city
    from etl.demo.generate import FEED_FILE
    from etl.demo.live import load_demo_live

    files = {slug: outdir / name for slug, name in DEMO_FILES.items()}
    stamp, fingerprint = outdir / ".generator", _generator_fingerprint()
    current = (stamp.exists() and stamp.read_text() == fingerprint and (outdir / FEED_FILE).exists()
               and all(p.exists() for p in files.values()))
    if force or not current:
        click.echo(f"generating the demo city into {outdir} ...")
        files = generate_demo_city(outdir)
        stamp.write_text(fingerprint)
    with cli_connection() as conn:
        load_wards(conn, _settings()["WARDS_PROVINCES"], outdir, force=force)
        for slug, path in files.items():
            if not force and _published_sha(conn, slug) == file_sha256(path):
                click.echo(f"{slug}: {path.name} already published, skipped")
                continue
            run_load(conn, catalog_layer(slug), path, cli_options())
        load_demo_timetable(conn, outdir / FEED_FILE, force)
        for written in load_demo_live(conn, _catalog(), tuple(_settings()["AREA_BBOX"])):
            click.echo(f"{written}: valid for the next 24 hours")


def load_demo_timetable(conn, feed: Path, force: bool) -> None:
    """The demo city's GTFS timetable, through the same load as `mapserver transit load`, unless unchanged."""
    from etl.timetable import NETWORK
    from etl.timetable.cli import run_timetable_load

    with conn.cursor() as cur:
        cur.execute("SELECT v.source_sha256 FROM mapserver.networks n JOIN mapserver.network_versions v "
                    "ON v.network_slug = n.slug AND v.version = n.published_version WHERE n.slug = %s", (NETWORK,))
        row = cur.fetchone()
    conn.rollback()
    if not force and row is not None and row[0] == file_sha256(feed):
        click.echo(f"{NETWORK}: {feed.name} already published, skipped")
        return
    run_timetable_load(conn, feed, cli_options())


def _generator_fingerprint() -> str:
    """A digest of the demo generator's code: files written by an older generator are regenerated."""
    import etl.demo

    digest = hashlib.sha256()
    for source in sorted(Path(etl.demo.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def load_wards(conn, provinces: str, outdir: Path, force: bool = False) -> None:
    """Write the 2025 wards of `provinces` from vietnamadminunits and load them like any file, unless unchanged."""
    try:
        path = write_wards_file(outdir / "wards.geojson", provinces)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--provinces") from err
    if not force and _published_sha(conn, "wards") == file_sha256(path):
        click.echo(f"wards: {path.name} already published, skipped")
        return
    # Reference data from the package: its own extent is the area, whatever the deployment's.
    run_load(conn, catalog_layer("wards"), path, cli_options(area=wards_area(path), normalise_addresses=False))


@click.group("wards")
def wards_group() -> None:
    """Vietnam's 2025 wards and communes (from the vietnamadminunits package) as the `wards` layer."""


@wards_group.command("load")
@click.option("--provinces", help="Province codes separated by commas (79 = Ho Chi Minh City), or 'all'. "
                                  "Default: the WARDS_PROVINCES setting.")
@click.option("--dir", "outdir", default="var/wards", type=click.Path(file_okay=False, path_type=Path),
              show_default=True, help="Where the generated wards file is written.")
def wards_load(provinces: str | None, outdir: Path) -> None:
    """Load the wards of the configured provinces (or the whole country) as a new version of `wards`."""
    with cli_connection() as conn:
        load_wards(conn, provinces or _settings()["WARDS_PROVINCES"], outdir)


DEMO_FILES = {"health": "health.geojson", "education": "education.gpkg",
              "transport": "transport.geojson", "bus_stops": "bus_stops.csv"}


def _published_sha(conn, slug: str) -> str | None:
    with conn.cursor() as cur:
        cur.execute("SELECT v.source_sha256 FROM mapserver.layers l JOIN mapserver.layer_versions v "
                    "ON v.layer_slug = l.slug AND v.version = l.published_version WHERE l.slug = %s", (slug,))
        row = cur.fetchone()
    conn.rollback()
    return row[0] if row else None
