"""`/agency/`: staff log in, see their agency's layers, upload, map a file's columns and values, read the
report and download the rejected rows, preview, publish, roll back, keep an import profile; the agency owning
the `transport` layer uploads, publishes and rolls back the transit timetable (GTFS) at /agency/transit.

Every POST here carries the form's CSRF token (checked before the view runs); the login is
rate-limited per address and locks the account after repeated failures.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for

from common import audit
from etl.timetable import NETWORK
from layers import Layer
from mapserver import accounts, jobs
from mapserver.accounts.auth import Principal, current_principal
from mapserver.agency import actions, client_addr, csrf, limit_writes, limiter, mapping, profiles, queries
from mapserver.agency.api import find_job, rejected_csv_response, timetable_options, upload_options
from mapserver.agency.i18n import lang, reason_label, t
from mapserver.web.catalog import catalog, get_layer
from mapserver.web.db import get_db
from mapserver.web.errors import Forbidden, InvalidParameter, VersionNotFound

SHOWN_REJECTIONS = 100  # rows listed in a page; the CSV has them all

STATIC = Path(__file__).resolve().parents[2] / "static" / "agency"
bp = Blueprint("agency", __name__, url_prefix="/agency", template_folder="templates",
               static_folder=str(STATIC), static_url_path="/static")


@bp.before_request
def _check_csrf() -> None:
    if request.method == "POST":
        csrf.protect()


@bp.after_request
def _private(response):
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


@bp.context_processor
def _helpers() -> dict:
    return {"t": t, "lang": lang(), "principal": current_principal(), "catalog": catalog(),
            "reason_label": reason_label, "shown_rejections": SHOWN_REJECTIONS,
            "timetable_owner": actions.timetable_owner().slug}


def _staff() -> Principal:
    principal = current_principal()
    if principal.kind != "user":
        abort(redirect(url_for("agency.login", next=request.path)))
    return principal


def _layer_of_staff(slug: str) -> tuple[Principal, Layer]:
    principal = _staff()
    layer = get_layer(slug)
    if not principal.member_of(layer):
        raise Forbidden()
    return principal, layer


def _job_of_staff(job_id: int) -> tuple[Principal, Layer, jobs.Job]:
    principal = _staff()
    job, layer = find_job(job_id)
    if not principal.member_of(layer):
        raise Forbidden()
    return principal, layer, job


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    if request.method == "GET":
        return render_template("agency/login.html")
    username = request.form.get("username", "").strip().lower()[:63]
    cfg = current_app.config
    conn = get_db()
    with conn, conn.cursor() as cur:
        result = accounts.authenticate(cur, username, request.form.get("password", ""),
                                       max_failures=int(cfg["LOGIN_MAX_FAILURES"]),
                                       lock_minutes=int(cfg["LOGIN_LOCK_MINUTES"]))
        user = result.user
        audit.record(cur, actor=f"user:{username}", action="login", target=username,
                     result="ok" if result.reason == "ok" else "refused", agency=user.agency if user else None,
                     client_addr=client_addr(), details={"reason": result.reason})
    if result.reason != "ok":
        message = (t("login_locked", minutes=cfg["LOGIN_LOCK_MINUTES"]) if result.reason == "locked"
                   else t("login_failed"))
        return render_template("agency/login.html", error=message, username=username), 401
    session.clear()
    session.permanent = True
    session["user_id"] = user.id
    target = request.args.get("next", "")
    return redirect(target if target.startswith("/agency/") else url_for("agency.dashboard"))


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("agency.login"))


@bp.get("/")
def dashboard():
    principal = _staff()
    with get_db().cursor() as cur:
        layers = queries.layer_overview(cur, None if principal.is_admin else principal.agency)
    return render_template("agency/dashboard.html", layers=layers)


def _max_mb() -> int:
    return current_app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)


@bp.get("/layers/<slug>")
def layer_page(slug: str):
    _principal, layer = _layer_of_staff(slug)
    with get_db().cursor() as cur:
        history = queries.versions(cur, slug)
        recent = jobs.for_layer(cur, slug)
    return render_template("agency/layer.html", layer=layer, versions=history, jobs=recent,
                           extensions=actions.allowed_extensions(), max_mb=_max_mb())


def _accepted(job_id: int, home_url: str):
    """The upload's job for upload.js to follow; `home_url` + /versions/<n> is where a finished load opens."""
    return jsonify({"job": job_id, "status_url": url_for("agency_api.job", job_id=job_id),
                    "job_url": url_for("agency.job_page", job_id=job_id), "layer_url": home_url}), 202


@bp.post("/layers/<slug>/uploads")
@limit_writes
def upload(slug: str):
    principal, layer = _staff(), get_layer(slug)  # the action checks the rights, and audits a refusal
    options = {**upload_options(), "confirm_mapping": True}  # a clerk is here to answer the mapping step
    job_id = actions.upload(principal, layer, request.files.get("file"), options)
    return _accepted(job_id, url_for("agency.layer_page", slug=slug))


def _job_home(layer: Layer, job: jobs.Job) -> tuple[str, str, str | None]:
    """Where a job's page leads back to (its layer's page, or the timetable's), that page's title, and the page of
    the version its load made."""
    version = (job.report or {}).get("version")
    if job.target == "timetable":
        return (url_for("agency.transit_page"), t("timetable"),
                url_for("agency.transit_version_page", number=version) if version else None)
    return (url_for("agency.layer_page", slug=layer.slug), layer.title_in(lang()),
            url_for("agency.version_page", slug=layer.slug, number=version) if version else None)


@bp.get("/jobs/<int:job_id>")
def job_page(job_id: int):
    _principal, layer, job = _job_of_staff(job_id)
    home_url, home_title, version_url = _job_home(layer, job)
    return render_template("agency/job.html", layer=layer, job=job, report=job.report, home_url=home_url,
                           home_title=home_title, version_url=version_url,
                           csv_url=url_for("agency.rejected_rows", job_id=job_id) if job.has_rejected_csv else None)


@bp.get("/jobs/<int:job_id>/rejected.csv")
def rejected_rows(job_id: int):
    return rejected_csv_response(_job_of_staff(job_id)[2])


@bp.get("/jobs/<int:job_id>/mapping")
def mapping_page(job_id: int):
    _principal, layer, job = _job_of_staff(job_id)
    if job.state != "needs_mapping":
        return redirect(url_for("agency.job_page", job_id=job_id))
    return _mapping_form(layer, job, mapping.proposed(job.survey))


@bp.post("/jobs/<int:job_id>/mapping")
@limit_writes
def map_job(job_id: int):
    """Queue the file's load with the clerk's mapping (the action checks she may write, and audits)."""
    principal, layer, job = _job_of_staff(job_id)
    if job.state != "needs_mapping":
        return redirect(url_for("agency.job_page", job_id=job_id))
    choices = mapping.read(layer, job.survey, request.form)
    if choices.errors:
        return _mapping_form(layer, job, choices, request.form.get("save_profile") == "on"), 400
    profile = mapping.profile_of(layer, job.survey, choices) if request.form.get("save_profile") == "on" else None
    actions.remap(principal, layer, job, mapping.load_options(layer, job.options, job.survey, choices), profile)
    flash(t("mapping_queued"))
    return redirect(url_for("agency.job_page", job_id=job_id))


def _mapping_form(layer: Layer, job: jobs.Job, choices: mapping.Choices, save_profile: bool = False):
    return render_template("agency/mapping.html", layer=layer, job=job, survey=job.survey, choices=choices,
                           save_profile=save_profile, field_title=lambda name: mapping.title(layer, name),
                           column_index={c["name"]: i for i, c in enumerate(job.survey["columns"])},
                           missing=", ".join(mapping.title(layer, n) for n in job.survey["missing_required"]))


@bp.post("/layers/<slug>/profile")
@limit_writes
def save_profile(slug: str):
    principal, layer = _staff(), get_layer(slug)  # the action checks the rights, and audits a refusal
    actions.save_profile(principal, layer, _profile_from_form(layer))
    flash(t("profile_saved"))
    return redirect(url_for("agency.profile_page", slug=slug))


@bp.get("/layers/<slug>/profile")
def profile_page(slug: str):
    _principal, layer = _layer_of_staff(slug)
    with get_db().cursor() as cur:
        profile = profiles.get(cur, layer)
    titles = [(name, mapping.title(layer, name)) for name in layer.input_names]
    return render_template("agency/profile.html", layer=layer, profile=profile or profiles.Profile(),
                           exists=profile is not None, field_titles=titles)


@bp.post("/layers/<slug>/profile/delete")
@limit_writes
def delete_profile(slug: str):
    principal, layer = _staff(), get_layer(slug)  # the action checks the rights, and audits a refusal
    actions.delete_profile(principal, layer)
    flash(t("profile_deleted"))
    return redirect(url_for("agency.profile_page", slug=slug))


def _profile_from_form(layer: Layer) -> profiles.Profile:
    """The profile page's form: a column per field, rows of (value as written, code) per category, the ignored
    columns one a line; an empty column, value or code drops its entry."""
    form = request.form
    fields = {n: form.get(f"field-{n}", "").strip() for n in layer.input_names}
    values = {f.name: {raw.strip()[:200]: code for raw, code in zip(form.getlist(f"raw-{f.name}"),
                                                              form.getlist(f"code-{f.name}"), strict=False)
                       if raw.strip() and code}
              for f in layer.fields if f.values}
    ignored = [c.strip() for c in form.get("ignored_columns", "").splitlines() if c.strip()]
    return profiles.Profile({n: c[:200] for n, c in fields.items() if c}, {n: v for n, v in values.items() if v},
                            tuple(dict.fromkeys(ignored)))


@bp.get("/layers/<slug>/versions/<int:number>")
def version_page(slug: str, number: int):
    _principal, layer = _layer_of_staff(slug)
    with get_db().cursor() as cur:
        found = queries.version(cur, slug, number)
        job = jobs.for_version(cur, slug, number)
    if found is None:
        raise VersionNotFound()
    csv_url = url_for("agency.rejected_rows", job_id=job.id) if job and job.has_rejected_csv else None
    return render_template("agency/version.html", layer=layer, version=found, report=found["report"], job=job,
                           csv_url=csv_url, features_url=url_for("agency_api.version_features", slug=slug,
                                                                 number=number))


def _form_version() -> int:
    try:
        return int(request.form.get("version", ""))
    except ValueError as exc:
        raise InvalidParameter("version must be a number", "phiên bản phải là một số") from exc


@bp.post("/layers/<slug>/publish")
@limit_writes
def publish(slug: str):
    principal, layer = _staff(), get_layer(slug)  # the action checks the rights, and audits a refusal
    version = _form_version()
    actions.publish(principal, layer, version)
    flash(t("published_ok", version=version))
    return redirect(url_for("agency.layer_page", slug=slug))


@bp.post("/layers/<slug>/rollback")
@limit_writes
def rollback(slug: str):
    principal, layer = _staff(), get_layer(slug)  # the action checks the rights, and audits a refusal
    outcome = actions.rollback(principal, layer)
    flash(t("published_ok", version=outcome["version"]))
    return redirect(url_for("agency.layer_page", slug=slug))


@bp.get("/transit")
def transit_page():
    _principal, owner = _layer_of_staff(actions.timetable_owner().slug)
    with get_db().cursor() as cur:
        history = queries.network_versions(cur, NETWORK)
        recent = jobs.for_layer(cur, owner.slug, target="timetable")
    return render_template("agency/transit.html", owner=owner, network=NETWORK, versions=history, jobs=recent,
                           extensions=actions.TIMETABLE_EXTENSIONS, max_mb=_max_mb())


@bp.post("/transit/uploads")
@limit_writes
def transit_upload():
    job_id = actions.upload_timetable(_staff(), request.files.get("file"), timetable_options())
    return _accepted(job_id, url_for("agency.transit_page"))


@bp.get("/transit/versions/<int:number>")
def transit_version_page(number: int):
    _principal, owner = _layer_of_staff(actions.timetable_owner().slug)
    with get_db().cursor() as cur:
        found = queries.network_version(cur, NETWORK, number)
        job = jobs.for_version(cur, owner.slug, number, target="timetable")
    if found is None:
        raise actions.no_timetable_version(number)
    return render_template("agency/transit_version.html", owner=owner, version=found, report=found["report"],
                           job=job, csv_url=None)


@bp.post("/transit/publish")
@limit_writes
def transit_publish():
    principal = _staff()  # the action checks the rights, and audits a refusal
    version = _form_version()
    actions.publish_timetable(principal, version)
    flash(t("published_ok", version=version))
    return redirect(url_for("agency.transit_page"))


@bp.post("/transit/rollback")
@limit_writes
def transit_rollback():
    outcome = actions.rollback_timetable(_staff())  # the action checks the rights, and audits a refusal
    flash(t("published_ok", version=outcome["version"]))
    return redirect(url_for("agency.transit_page"))


@bp.get("/audit")
def audit_page():
    principal = _staff()
    if not principal.is_admin:
        raise Forbidden()
    filters = {k: request.args.get(k) or None for k in ("agency", "action", "actor")}
    since = request.args.get("since") or None
    try:
        since_at = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
    except ValueError as exc:
        raise InvalidParameter("since must be a date such as 2026-01-31", "since phải là ngày như 2026-01-31") from exc
    with get_db().cursor() as cur:
        rows = audit.search(cur, since=since_at, limit=500, **filters)
        agencies = accounts.agency_slugs(cur)
    return render_template("agency/audit.html", rows=rows, agencies=agencies, filters=filters, since=since or "")
