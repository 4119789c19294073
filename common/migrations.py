"""Apply the numbered SQL files in `sql/` once each, and sync the catalog into the database.

Each file runs in its own transaction and is recorded with its checksum, so a file edited
after it was applied is refused instead of silently diverging.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg2
import psycopg2.errors
from psycopg2 import sql

from layers import Layer, load_agencies

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
_LOCK_KEY = 7_311_001  # pg_advisory_xact_lock key: one migrator at a time


class MigrationError(RuntimeError):
    """A migration cannot be applied as recorded."""


def _files(directory: Path) -> list[Path]:
    files = sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    numbers = [f.name[:4] for f in files]
    if len(numbers) != len(set(numbers)):
        raise MigrationError(f"two migrations share a number in {directory}")
    return files


def apply_migrations(conn, directory: Path = SQL_DIR) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date)."""
    applied: list[str] = []
    with conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
    try:
        with conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS public.schema_migrations ("
                        " name text PRIMARY KEY, sha256 text NOT NULL,"
                        " applied_at timestamptz NOT NULL DEFAULT now())")
            cur.execute("SELECT name, sha256 FROM public.schema_migrations")
            done = dict(cur.fetchall())
        for path in _files(directory):
            text = path.read_text(encoding="utf-8")
            digest = hashlib.sha256(text.encode()).hexdigest()
            if path.name in done:
                if done[path.name] != digest:
                    raise MigrationError(f"{path.name} changed after it was applied; add a new migration instead")
                continue
            try:
                _apply(conn, path.name, text, digest)
            except psycopg2.errors.InsufficientPrivilege as exc:
                raise MigrationError(
                    f"{path.name}: {exc.diag.message_primary}. The database user may not create extensions: "
                    "ask an administrator to run CREATE EXTENSION postgis; CREATE EXTENSION unaccent; "
                    "CREATE EXTENSION pg_trgm; in this database, then migrate again") from exc
            except psycopg2.Error as exc:
                raise MigrationError(f"{path.name}: {exc.diag.message_primary or exc}") from exc
            applied.append(path.name)
    finally:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied


# What a migration meets when another database of the same cluster created a cluster-wide object (a role) in
# the same instant: the advisory lock serialises migrators of one database only.
_CLUSTER_RACE = (psycopg2.errors.UniqueViolation, psycopg2.errors.DuplicateObject)


def _apply(conn, name: str, text: str, digest: str) -> None:
    """The file and its record, committed together; once more when it lost such a race, which the other
    migrator has committed by the time ours fails (ours waited on it), so the file's own checks now see it."""
    for attempt in (1, 2):
        try:
            with conn, conn.cursor() as cur:
                cur.execute(text)
                cur.execute("INSERT INTO public.schema_migrations (name, sha256) VALUES (%s, %s)", (name, digest))
            return
        except _CLUSTER_RACE:
            if attempt == 2:
                raise


def _add_new_fields(cur, layer: Layer) -> None:
    """A definition that gained fields: kept version tables get them as empty columns.

    The versions' data stays as loaded; readers can select every field of the definition, and
    the next load fills them.
    """
    cur.execute("SELECT v.table_name FROM mapserver.layer_versions v JOIN pg_class c ON c.relname = v.table_name "
                "AND c.relnamespace = 'layer_data'::regnamespace AND c.relkind = 'r' "
                "WHERE v.layer_slug = %s AND v.status <> 'dropped'", (layer.slug,))
    for (table_name,) in cur.fetchall():
        cur.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'layer_data' "
                    "AND table_name = %s", (table_name,))
        present = {row[0] for row in cur.fetchall()}
        for fld in layer.fields:
            if present and fld.name not in present:
                cur.execute(sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
                    sql.Identifier("layer_data", table_name), sql.Identifier(fld.name), sql.SQL(fld.sql_type)))


def sync_catalog(conn, catalog: dict[str, Layer]) -> None:
    """Upsert the agencies and layers the definitions declare; kept versions gain new fields as empty columns."""
    with conn, conn.cursor() as cur:
        for agency in load_agencies():
            cur.execute(
                "INSERT INTO mapserver.agencies (slug, name_vi, name_en) VALUES (%s, %s, %s) "
                "ON CONFLICT (slug) DO UPDATE SET name_vi = EXCLUDED.name_vi, name_en = EXCLUDED.name_en",
                (agency["slug"], agency["name"]["vi"], agency["name"]["en"]),
            )
        for layer in catalog.values():
            cur.execute(
                sql.SQL(
                    "INSERT INTO mapserver.layers (slug, agency_id, visibility, title_vi, title_en) "
                    "VALUES (%s, (SELECT id FROM mapserver.agencies WHERE slug = %s), %s, %s, %s) "
                    "ON CONFLICT (slug) DO UPDATE SET agency_id = EXCLUDED.agency_id, "
                    "visibility = EXCLUDED.visibility, title_vi = EXCLUDED.title_vi, title_en = EXCLUDED.title_en"
                ),
                (layer.slug, layer.agency, layer.visibility, layer.title["vi"], layer.title["en"]),
            )
            _add_new_fields(cur, layer)
