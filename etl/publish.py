"""Point readers at a version, in one short transaction; roll back along the history; drop what falls out of retention.

A rollback publishes the version that was live before the current one, skipping versions that were
themselves rolled back: load A (bad), roll back, load B (bad), roll back, and the layer is back where it
was before A, not on A. Every switch is recorded with who made it.

Layers and the transit network keep the same history in their own tables (`History`), so both are
published, rolled back and pruned by this one module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from psycopg2 import sql

from etl.errors import LoadRefused
from etl.live.merge import merge
from etl.live.store import LIVE_VERSION
from etl.load import table_ident
from layers import Layer, load_catalog


def _drop_layer_table(cur, slug: str, version: int) -> None:
    cur.execute("SELECT table_name FROM mapserver.layer_versions WHERE layer_slug = %s AND version = %s",
                (slug, version))
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table_ident(cur.fetchone()[0])))


NETWORK_TABLES = ("timetable_trips", "timetable_stops", "timetable_routes", "timetable_services", "timetable_shapes")


def _delete_network_rows(cur, slug: str, version: int) -> None:
    for table in NETWORK_TABLES:
        cur.execute(sql.SQL("DELETE FROM {} WHERE network_slug = %s AND version = %s").format(
            sql.Identifier("mapserver", table)), (slug, version))


@dataclass(frozen=True)
class History:
    """Where one kind of dataset keeps its published version (`heads`), its versions and its publications."""

    heads: str
    versions: str
    publications: str
    key: str
    noun_en: str
    noun_vi: str
    drop: Callable[..., None]

    def table(self, name: str) -> sql.Identifier:
        return sql.Identifier("mapserver", getattr(self, name))

    def q(self, text: str) -> sql.Composed:
        """`text` with {heads}, {versions}, {publications} and {key} filled from the catalog's names."""
        return sql.SQL(text).format(heads=self.table("heads"), versions=self.table("versions"),
                                    publications=self.table("publications"), key=sql.Identifier(self.key))


LAYERS = History("layers", "layer_versions", "publications", "layer_slug", "layer", "lớp", _drop_layer_table)
NETWORKS = History("networks", "network_versions", "network_publications", "network_slug", "network",
                   "mạng lưới", _delete_network_rows)


def _lock(cur, history: History, slug: str) -> int | None:
    cur.execute(history.q("SELECT published_version FROM {heads} WHERE slug = %s FOR UPDATE"), (slug,))
    row = cur.fetchone()
    if row is None:
        raise LoadRefused(f"unknown {history.noun_en} {slug!r}", f"không có {history.noun_vi} {slug!r}")
    return row[0]


def _switch(cur, history: History, slug: str, version: int, previous: int | None, actor: str, action: str) -> None:
    """Make `version` the published one and record it; the caller holds the dataset's row lock."""
    cur.execute(history.q("SELECT status FROM {versions} WHERE {key} = %s AND version = %s"), (slug, version))
    row = cur.fetchone()
    if row is None or row[0] == "dropped":
        raise LoadRefused(f"{history.noun_en} {slug!r} has no version {version} to publish",
                          f"{history.noun_vi} {slug!r} không có phiên bản {version} để công bố")
    cur.execute(history.q("UPDATE {versions} SET status = 'retired' "
                          "WHERE {key} = %s AND status = 'published' AND version <> %s"), (slug, version))
    cur.execute(history.q("UPDATE {versions} SET status = 'published', published_at = now(), published_by = %s, "
                          "rolled_back_at = NULL, rolled_back_by = NULL WHERE {key} = %s AND version = %s"),
                (actor, slug, version))
    cur.execute(history.q("UPDATE {heads} SET published_version = %s, updated_at = now() WHERE slug = %s"),
                (version, slug))
    cur.execute(history.q("INSERT INTO {publications} ({key}, version, previous_version, action, actor) "
                          "VALUES (%s, %s, %s, %s, %s)"), (slug, version, previous, action, actor))


def _live(slug: str, history: History) -> Layer | None:
    layer = load_catalog().get(slug) if history is LAYERS else None
    return layer if layer is not None and layer.live else None


def publish(conn, slug: str, version: int, *, actor: str, history: History = LAYERS) -> int | None:
    """Make `version` the one readers see (publishing it again clears a rollback); returns the one it replaced.
    A live layer's version is merged into its features instead (etl.live.merge): it keeps its one view."""
    live = _live(slug, history)
    if live is not None:
        merge(conn, live, version, actor=actor)
        return LIVE_VERSION
    with conn, conn.cursor() as cur:
        previous = _lock(cur, history, slug)
        _switch(cur, history, slug, version, previous, actor, "publish")
    return previous


def rollback_target(cur, slug: str, current: int | None, history: History = LAYERS) -> int | None:
    """The newest version published before `current` that was not rolled back and still has its data."""
    cur.execute(history.q(
        "SELECT p.version FROM {publications} p JOIN {versions} v ON v.{key} = p.{key} AND v.version = p.version "
        "WHERE p.{key} = %s AND p.version IS DISTINCT FROM %s AND v.rolled_back_at IS NULL "
        "AND v.status <> 'dropped' ORDER BY p.id DESC LIMIT 1"), (slug, current))
    row = cur.fetchone()
    return row[0] if row else None


def rollback(conn, slug: str, *, actor: str, history: History = LAYERS) -> int:
    """Mark the published version rolled back and publish the one live before it; returns that one."""
    if _live(slug, history) is not None:
        raise LoadRefused(f"layer {slug!r} is live: it changes feature by feature and has no versions to go back to",
                          f"lớp {slug!r} cập nhật theo từng đối tượng, không có phiên bản để quay lại")
    with conn, conn.cursor() as cur:
        current = _lock(cur, history, slug)
        target = rollback_target(cur, slug, current, history)
        if target is None:
            raise LoadRefused(f"{history.noun_en} {slug!r} has no earlier published version to roll back to",
                              f"{history.noun_vi} {slug!r} không có phiên bản đã công bố trước đó để quay lại")
        cur.execute(history.q("UPDATE {versions} SET rolled_back_at = now(), rolled_back_by = %s "
                              "WHERE {key} = %s AND version = %s"), (actor, slug, current))
        _switch(cur, history, slug, target, current, actor, "rollback")
    return target


def prune(conn, slug: str, keep: int, history: History = LAYERS) -> list[int]:
    """Drop the data of versions beyond the newest `keep`; the published one and the one a rollback would
    publish are always kept."""
    with conn, conn.cursor() as cur:
        current = _lock(cur, history, slug)
        spared = rollback_target(cur, slug, current, history)
        cur.execute(history.q(
            "SELECT version FROM {versions} WHERE {key} = %s AND status <> 'dropped' AND status <> 'published' "
            "AND version IS DISTINCT FROM %s "
            "AND version NOT IN (SELECT version FROM {versions} WHERE {key} = %s "
            "                    AND status <> 'dropped' ORDER BY version DESC LIMIT %s)"),
            (slug, spared, slug, keep))
        doomed = [row[0] for row in cur.fetchall()]
        for version in doomed:
            history.drop(cur, slug, version)
            cur.execute(history.q("UPDATE {versions} SET status = 'dropped' WHERE {key} = %s AND version = %s"),
                        (slug, version))
    return doomed
