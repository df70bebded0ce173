"""Pages for the records area: import episode history, the data-quality list and the DfE / Ofsted exports.

Import is upload → preview (counts and every bad row) → confirm. A small file is imported in the
request; a large one in a background thread with its own database connection, and the page shows a
progress bar (polled from a JSON endpoint by ``static/js/records-import.js``; without JavaScript
the page refreshes itself). Uploaded files live in this process's private temporary folder
(``web/uploads.py``) and are deleted once imported, refused or replaced, and with the folder on closing.
"""
from __future__ import annotations

import secrets
import threading
import time
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSelect, GovSubmitInput, GovTextInput
from wtforms import SelectField, StringField, SubmitField

from rhi_desk import audit
from rhi_desk.clock import now
from rhi_desk.db import connect, get_db
from rhi_desk.register import data_quality as quality
from rhi_desk.register import episode_import, import_mapping
from rhi_desk.register.import_sources import EXCEL_SUFFIXES, TableError, is_excel, open_table
from rhi_desk.reports import ssda903, warm_up
from rhi_desk.security.files import private_dir
from rhi_desk.web import activity, uploads
from rhi_desk.web.auth import refuse_off_hub, roles_required

bp = Blueprint("records", __name__)

IMPORT_ROLES = ("admin", "missing_team")
QUALITY_ROLES = ("admin", "missing_team", "manager")
EXPORT_ROLES = ("admin", "missing_team")
BACKGROUND_BYTES = 2 * 1024 * 1024  # bigger uploads are imported in the background with a progress bar
SHOWN_ERRORS = episode_import.MAX_PROBLEMS  # the same cap as the command line: every kept problem
# Uploads are limited by the app's MAX_CONTENT_LENGTH (512 MB: a 1,000,000-row register is about 110 MB).
_jobs: dict[str, dict] = {}
_jobs_lock = threading.Lock()


class UploadForm(FlaskForm):
    register_file = FileField("Episode file", widget=GovFileInput(),
                              description="A CSV file or an Excel workbook (.xlsx).")
    submit = SubmitField("Check the file", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    submit = SubmitField("Import the episodes", widget=GovSubmitInput())


class YearForm(FlaskForm):
    year = SelectField("Collection year", widget=GovSelect(), choices=[])
    recorded_on = StringField("As recorded on (optional)", widget=GovTextInput(),
                              description="To make a return again exactly as it was sent, give the day it was "
                                          "made, for example 2018-05-31. Leave blank for today's records.")
    submit = SubmitField("Download the Missing table", widget=GovSubmitInput())


class DownloadForm(FlaskForm):
    submit = SubmitField("Download list 8 items (CSV)", widget=GovSubmitInput())


bp.before_request(refuse_off_hub)  # the hub's own pages


def upload_folder() -> Path:
    """A private folder for uploads waiting to be imported (deleted after import)."""
    folder = Path(current_app.config.get("RECORDS_UPLOAD_FOLDER") or uploads.process_folder())
    private_dir(folder)
    return folder


UPLOAD_SUFFIXES = (".csv",) + EXCEL_SUFFIXES


def _pending() -> Path | None:
    token = session.get("records_upload")
    if not token or not token.isalnum():
        return None
    for suffix in UPLOAD_SUFFIXES:
        path = upload_folder() / f"{token}{suffix}"
        if path.exists():
            return path
    return None


def pending_mapping_path(path: Path) -> Path:
    """Where the mapping confirmed for a pending upload is kept, beside it."""
    return path.with_name(path.stem + ".mapping.json")


def pending_mapping(path: Path) -> import_mapping.Mapping | None:
    """The mapping confirmed for a pending upload, if any."""
    saved = pending_mapping_path(path)
    return import_mapping.Mapping.from_json(saved.read_text()) if saved.exists() else None


def _discard_pending() -> None:
    path = _pending()
    session.pop("records_upload", None)
    session.pop("records_upload_name", None)
    if path is not None:
        path.unlink(missing_ok=True)
        pending_mapping_path(path).unlink(missing_ok=True)


def _is_register_csv(path: Path) -> bool:
    """True for a CSV whose header is the register's own columns (checked without a mapping)."""
    if path.suffix.lower() != ".csv" or is_excel(path):
        return False
    try:
        table = open_table(path)
    except TableError:
        return True  # the register check names the problem
    table.close()
    return set(table.header) == set(episode_import.COLUMNS) or not any(table.header)


def preview_response(path: Path, name: str, mapping: import_mapping.Mapping | None, token: str | None):
    """Check the file (through ``mapping``) and show what importing it would do, keeping it if it can be imported."""
    db = get_db()
    preview = episode_import.validate_file(db, path, mapping=mapping)
    preview.file_name = name
    audit.record(db, "episodes.import_checked", username=g.user["username"], object_type="import",
                 object_id=name, detail={"rows": preview.rows, "bad_rows": preview.bad_rows,
                                         "mapped": mapping is not None})
    if not (preview.ok and not preview.nothing_to_change) and mapping is None:
        path.unlink(missing_ok=True)
        session.pop("records_upload", None)
    elif token:
        session["records_upload"] = token
        session["records_upload_name"] = name
    return render_template("records/preview.html", preview=preview, form=ConfirmForm(),
                           errors=preview.errors[:SHOWN_ERRORS], more=episode_import.more_sentence(preview.errors),
                           mapped=mapping is not None)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*IMPORT_ROLES)
def import_episodes():
    """Upload an episode register CSV and see what importing it would do."""
    form = UploadForm()
    error = None
    if form.validate_on_submit():
        upload = form.register_file.data
        suffix = Path(getattr(upload, "filename", "") or "").suffix.lower()
        if not upload or not getattr(upload, "filename", ""):
            error = "Choose the episode file"
        elif suffix not in UPLOAD_SUFFIXES:
            error = ("The file must be a CSV file or an Excel workbook (.xlsx): save it from your spreadsheet "
                     "as CSV UTF-8 or Excel Workbook and choose it again")
        else:
            _discard_pending()
            token = secrets.token_hex(16)
            path = upload_folder() / f"{token}{suffix}"
            upload.save(path)
            name = Path(upload.filename).name
            if _is_register_csv(path):
                return preview_response(path, name, None, token)
            # The council's own export: its columns are mapped on the next page.
            session["records_upload"] = token
            session["records_upload_name"] = name
            return redirect(url_for("imports.mapping"))
    elif request.method == "POST" and not form.errors:
        error = "Choose the episode file"
    return render_template("records/import.html", form=form, error=error, columns=episode_import.COLUMNS)


@bp.route("/import/confirm", methods=["POST"])
@roles_required(*IMPORT_ROLES)
def confirm_import():
    """Import the checked file: in this request if small, else in the background with a progress bar."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    path = _pending()
    name = session.get("records_upload_name") or "the file"
    if path is None:
        flash("There is no checked file waiting to be imported. Upload it again.")
        return redirect(url_for("records.import_episodes"))
    session.pop("records_upload", None)
    session.pop("records_upload_name", None)
    mapping = pending_mapping(path)
    pending_mapping_path(path).unlink(missing_ok=True)
    username = g.user["username"]
    if path.stat().st_size > BACKGROUND_BYTES:
        job_id = secrets.token_hex(8)
        with _jobs_lock:
            _jobs[job_id] = {"state": "running", "phase": "Starting", "percent": 0, "user": username,
                             "file": name, "message": None, "errors": [], "started": time.time()}
        thread = threading.Thread(target=_run_job, name=f"import-{job_id}",
                                  args=(current_app.config["DATABASE"], path, name, username, job_id,
                                        current_app.logger, mapping), daemon=True)
        thread.start()
        return redirect(url_for("records.import_job", job_id=job_id))
    try:
        with activity.busy("an episode import"):
            result = episode_import.import_episodes(get_db(), path, by=username, mapping=mapping)
    except episode_import.ImportRefused as exc:
        return render_template("records/preview.html", preview=_refused_preview(name, exc), form=None,
                               errors=exc.errors[:SHOWN_ERRORS], more=episode_import.more_sentence(exc.errors))
    finally:
        path.unlink(missing_ok=True)
    result.file_name = name
    return render_template("records/done.html", result=result)


def _refused_preview(name: str, exc: episode_import.ImportRefused) -> episode_import.Preview:
    preview = episode_import.Preview(file_name=name)
    preview.errors = exc.errors
    return preview


def _run_job(database: str, path: Path, name: str, username: str, job_id: str, logger,
             mapping: import_mapping.Mapping | None = None) -> None:
    """Import in a background thread, on its own connection, reporting progress into the job."""

    def progress(phase: str, fraction: float) -> None:
        with _jobs_lock:
            _jobs[job_id].update(phase=phase, percent=min(99, int(fraction * 100)))

    db = connect(database, migrate=False)
    try:
        with activity.busy("an episode import"):
            result = episode_import.import_episodes(db, path, by=username, progress=progress, mapping=mapping)
        result.file_name = name
        update = {"state": "done", "percent": 100, "phase": "Finished", "message": result.summary()}
    except episode_import.ImportRefused as exc:
        update = {"state": "refused", "message": str(exc), "errors": [str(e) for e in exc.errors[:SHOWN_ERRORS]],
                  "more": episode_import.more_sentence(exc.errors)}
    except Exception:  # the details go to the log; the page says what to do
        logger.exception("Import of %s failed", name)
        update = {"state": "failed", "message": "The import could not finish and nothing was changed. Try again; "
                                                "if it happens again, tell your administrator."}
    finally:
        db.conn.close()
        path.unlink(missing_ok=True)
    with _jobs_lock:
        _jobs[job_id].update(update)
    if update["state"] == "done":
        warm_up.start(database, after=0)  # the months the import filled, counted before the dashboard is opened


def _job_or_404(job_id: str) -> dict:
    with _jobs_lock:
        job = dict(_jobs.get(job_id) or {})
    if not job or job["user"] != g.user["username"]:
        abort(404)
    return job


@bp.route("/import/jobs/<job_id>")
@roles_required(*IMPORT_ROLES)
def import_job(job_id):
    """How a background import is going (refreshes itself; JavaScript updates the bar in place)."""
    job = _job_or_404(job_id)
    return render_template("records/job.html", job=job, job_id=job_id)


@bp.route("/import/jobs/<job_id>.json")
@roles_required(*IMPORT_ROLES)
def import_job_status(job_id):
    """A background import's progress, for the progress bar."""
    job = _job_or_404(job_id)
    return jsonify({"state": job["state"], "phase": job["phase"], "percent": job["percent"],
                    "message": job["message"]})


@bp.route("/data-quality")
@roles_required(*QUALITY_ROLES)
def data_quality():
    """Records valid one by one but doubtful together, each linking to the record to fix."""
    db = get_db()
    issues = quality.find_issues(db)
    audit.record(db, "data_quality.view", username=g.user["username"], detail={"issues": len(issues)})
    return render_template("records/data_quality.html", issues=issues, counts=quality.counts(issues),
                           checks=quality.CHECKS)


def _year_choices() -> list[tuple[str, str]]:
    today = now().date()
    last_started = today.year if today.month >= 4 else today.year - 1
    years = []
    for first in range(last_started, last_started - 10, -1):
        label = f"{first}-{(first + 1) % 100:02d}"
        years.append((label, f"{label} (1 April {first} to 31 March {first + 1})"))
    return years


@bp.route("/exports/903", methods=["GET", "POST"])
@roles_required(*EXPORT_ROLES)
def export_903():
    """Choose a collection year and download the DfE SSDA903 Missing table."""
    form = YearForm()
    form.year.choices = _year_choices()
    if form.validate_on_submit():
        from rhi_desk.reports import kpi

        db = get_db()
        day = (form.recorded_on.data or "").strip() or None
        try:
            as_of = kpi.as_recorded_on(day)
        except kpi.KPIError as exc:
            form.recorded_on.errors = [str(exc)]
        else:
            text = ssda903.missing_table_csv(db, form.year.data, as_of)
            audit.record(db, "export.ssda903_missing", username=g.user["username"], object_type="export",
                         object_id=form.year.data, detail={"rows": text.count("\r\n") - 1, "as_recorded_on": day})
            suffix = f"-as-recorded-{day}" if day else ""
            return _download(text, f"ssda903-missing-{form.year.data}{suffix}.csv")
    return render_template("records/export_903.html", form=form,
                           issues=len(quality.find_issues(get_db())))


@bp.route("/exports/annex-a", methods=["GET", "POST"])
@roles_required(*EXPORT_ROLES)
def annex_a():
    """Download Ofsted Annex A list 8 items: RHI offered / accepted after each child's last missing episode."""
    form = DownloadForm()
    if form.validate_on_submit():
        db = get_db()
        text = ssda903.annex_a_csv(db)
        audit.record(db, "export.annex_a_list8", username=g.user["username"], object_type="export",
                     object_id=now().strftime("%Y-%m-%d"), detail={"rows": text.count("\r\n") - 1})
        return _download(text, f"annex-a-list8-{now():%Y-%m-%d}.csv")
    return render_template("records/annex_a.html", form=form)


def _download(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
