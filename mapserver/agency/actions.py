"""The writes staff and systems make (upload, mapping, import profile, publish, roll back), each checked and
audited once.

The web area and the API both call these, so a refusal is recorded the same way whichever
door it came through. The transit timetable is written like a layer, with the rights of the layer whose
agency owns it (`transport`): uploaded, published and rolled back here, audited as transit.*.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from common import audit
from etl import publish as publish_mod
from etl.errors import LoadRefused
from etl.timetable import NETWORK, OWNER
from layers import Layer
from mapserver import jobs
from mapserver.accounts.auth import Principal
from mapserver.agency import client_addr, profiles, queries
from mapserver.web.catalog import get_layer
from mapserver.web.db import get_db
from mapserver.web.errors import ApiError, Conflict, Forbidden, NotAuthenticated, UnsupportedFileType, VersionNotFound

TIMETABLE_EXTENSIONS = (".zip",)  # a GTFS feed


def record(principal: Principal, action: str, target: str, result: str, details: dict | None = None,
           agency: str | None = None) -> None:
    """One audit row, committed now (a refusal has no other transaction to ride on)."""
    conn = get_db()
    with conn, conn.cursor() as cur:
        audit.record(cur, actor=principal.name, action=action, target=target, result=result,
                     agency=agency or principal.agency, client_addr=client_addr(), details=details)


def refuse(principal: Principal, action: str, layer: Layer, err: ApiError, target: str | None = None) -> ApiError:
    """Audit a refusal of `action` on `target` (the layer itself unless told otherwise); returns `err` to raise."""
    record(principal, action, target or layer.slug, "refused", {"code": err.code, "reason": err.en}, layer.agency)
    return err


def authorize_write(principal: Principal, action: str, layer: Layer, target: str | None = None) -> None:
    """401 without a principal, 403 for another agency's layer or a role that may not write; both audited."""
    if not principal.authenticated:
        raise refuse(principal, action, layer, NotAuthenticated(), target)
    if not principal.can_write(layer):
        raise refuse(principal, action, layer, Forbidden(), target)


def allowed_extensions() -> tuple[str, ...]:
    return tuple(e.lower() for e in current_app.config["ALLOWED_UPLOAD_EXTENSIONS"])


def timetable_owner() -> Layer:
    """The layer whose agency owns the transit timetable: its editors (and admins) may write the timetable."""
    return get_layer(OWNER)


def _keep(principal: Principal, action: str, layer: Layer, file: FileStorage | None, extensions: tuple[str, ...],
          target: str | None = None) -> Path:
    """The uploaded file, saved under a fresh folder with a sanitised name; 415 (audited) for a missing file or
    a type outside `extensions`."""
    name = secure_filename((file.filename or "") if file else "")
    if not name or Path(name).suffix.lower() not in extensions:
        kinds = ", ".join(extensions)
        raise refuse(principal, action, layer, UnsupportedFileType(
            f"Send one file (form field 'file') of an accepted type: {kinds}.",
            f"Hãy gửi một tệp (trường 'file') thuộc loại được chấp nhận: {kinds}."), target)
    folder = Path(current_app.config["UPLOAD_DIR"]).resolve() / uuid.uuid4().hex
    folder.mkdir(parents=True)
    path = folder / name
    file.save(path)
    return path


def _enqueue(cur, principal: Principal, layer: Layer, path: Path, options: dict, timetable: bool = False) -> int:
    """Queue the kept file's load (the layer's, or the timetable's) and audit the upload in the same transaction;
    returns the job id."""
    job_id = jobs.enqueue(cur, layer=layer.slug, file_path=str(path), source_name=path.name, options=options,
                          created_by=principal.name, agency=layer.agency, client_addr=client_addr(),
                          max_attempts=int(current_app.config["JOB_MAX_ATTEMPTS"]),
                          target="timetable" if timetable else "layer")
    audit.record(cur, actor=principal.name, action="transit.upload" if timetable else "layer.upload",
                 target=NETWORK if timetable else layer.slug, result="ok", agency=layer.agency,
                 client_addr=client_addr(),
                 details={"job": job_id, "source": path.name, "bytes": path.stat().st_size, "options": options})
    return job_id


def upload(principal: Principal, layer: Layer, file: FileStorage | None, options: dict) -> int:
    """Keep the file and queue its load; returns the job id.

    The agency's import profile goes under `options`; the job and the audit row keep what was applied."""
    authorize_write(principal, "layer.upload", layer)
    path = _keep(principal, "layer.upload", layer, file, allowed_extensions())
    conn = get_db()
    with conn, conn.cursor() as cur:
        options = profiles.apply(profiles.get(cur, layer), layer, options)
        return _enqueue(cur, principal, layer, path, options)


def upload_timetable(principal: Principal, file: FileStorage | None, options: dict) -> int:
    """Keep a GTFS zip and queue its load as a new version of the transit timetable; returns the job id."""
    owner = timetable_owner()
    authorize_write(principal, "transit.upload", owner, NETWORK)
    path = _keep(principal, "transit.upload", owner, file, TIMETABLE_EXTENSIONS, NETWORK)
    conn = get_db()
    with conn, conn.cursor() as cur:
        return _enqueue(cur, principal, owner, path, options, timetable=True)


def remap(principal: Principal, layer: Layer, job: jobs.Job, options: dict, profile: profiles.Profile | None) -> None:
    """Queue the load of a job that waits for its mapping, with the clerk's `options`; save `profile` (merged over
    the agency's) with it. 409 when the job no longer waits (mapped in another tab, or expired)."""
    authorize_write(principal, "layer.mapping", layer)
    conn = get_db()
    with conn, conn.cursor() as cur:
        if not jobs.remap(cur, job.id, options):
            raise refuse(principal, "layer.mapping", layer, Conflict(
                "this upload no longer waits for a mapping (given already, or expired)",
                "tệp tải lên này không còn chờ ánh xạ (đã được ánh xạ, hoặc đã hết hạn)"))
        audit.record(cur, actor=principal.name, action="layer.mapping", target=layer.slug, result="ok",
                     agency=layer.agency, client_addr=client_addr(),
                     details={"job": job.id, "source": job.source_name, "options": options,
                              "profile_saved": profile is not None})
        if profile is not None:
            _save_profile(cur, principal, layer, profiles.merged(profiles.get(cur, layer), profile))


def save_profile(principal: Principal, layer: Layer, profile: profiles.Profile) -> None:
    """Replace the agency's import profile for the layer (an empty one deletes it)."""
    authorize_write(principal, "import_profile.save", layer)
    profiles.check(layer, profile)
    conn = get_db()
    with conn, conn.cursor() as cur:
        _save_profile(cur, principal, layer, profile)


def delete_profile(principal: Principal, layer: Layer) -> None:
    authorize_write(principal, "import_profile.delete", layer)
    conn = get_db()
    with conn, conn.cursor() as cur:
        _save_profile(cur, principal, layer, profiles.Profile())


def _save_profile(cur, principal: Principal, layer: Layer, profile: profiles.Profile) -> None:
    before = profiles.get(cur, layer)
    if profile.empty:
        profiles.delete(cur, layer)
    else:
        profiles.put(cur, layer, profile, principal.name)
    audit.record(cur, actor=principal.name, action="import_profile.delete" if profile.empty else "import_profile.save",
                 target=layer.slug, result="ok", agency=layer.agency, client_addr=client_addr(),
                 details={"before": before.to_dict() if before else None,
                          "after": None if profile.empty else profile.to_dict()})


def publish(principal: Principal, layer: Layer, version: int) -> dict:
    """Publish a loaded version: {version, previous}."""
    authorize_write(principal, "layer.publish", layer)
    return _switch(principal, layer, "layer.publish",
                   lambda conn: {"version": version,
                                 "previous": publish_mod.publish(conn, layer.slug, version, actor=principal.name)})


def rollback(principal: Principal, layer: Layer) -> dict:
    """Publish the version published before the current one, skipping rolled-back ones: {version}."""
    authorize_write(principal, "layer.rollback", layer)
    return _switch(principal, layer, "layer.rollback",
                   lambda conn: {"version": publish_mod.rollback(conn, layer.slug, actor=principal.name)})


def no_timetable_version(version: int) -> VersionNotFound:
    return VersionNotFound(f"The timetable has no kept version {version}.",
                           f"Thời gian biểu không còn phiên bản {version}.")


def publish_timetable(principal: Principal, version: int) -> dict:
    """Publish a kept version of the transit timetable (404 when there is none such): {version, previous}."""
    owner = timetable_owner()
    authorize_write(principal, "transit.publish", owner, NETWORK)
    with get_db().cursor() as cur:
        found = queries.network_version(cur, NETWORK, version)
    if found is None or found["status"] == "dropped":
        raise refuse(principal, "transit.publish", owner, no_timetable_version(version), NETWORK)
    return _switch(principal, owner, "transit.publish",
                   lambda conn: {"version": version, "previous": publish_mod.publish(
                       conn, NETWORK, version, actor=principal.name, history=publish_mod.NETWORKS)}, NETWORK)


def rollback_timetable(principal: Principal) -> dict:
    """Publish the timetable version published before the current one, skipping rolled-back ones: {version}."""
    owner = timetable_owner()
    authorize_write(principal, "transit.rollback", owner, NETWORK)
    return _switch(principal, owner, "transit.rollback",
                   lambda conn: {"version": publish_mod.rollback(conn, NETWORK, actor=principal.name,
                                                                 history=publish_mod.NETWORKS)}, NETWORK)


def _switch(principal: Principal, layer: Layer, action: str, fn, target: str | None = None) -> dict:
    conn = get_db()
    try:
        outcome = fn(conn)
    except LoadRefused as err:
        conn.rollback()
        raise refuse(principal, action, layer, Conflict(err.en, err.vi), target) from err
    record(principal, action, target or layer.slug, "ok", outcome, layer.agency)
    return outcome
