"""Pages for importing what councils hold: mapping a case system's export onto the register, past 903 returns.

The mapping page follows an upload whose columns are not the register CSV's own (records.py keeps the
file): each of the file's columns gets a choice of register field (proposed from the headers RHI
Desk recognises, or from a saved mapping whose headers the file has), the day/month order is asked
when the file cannot tell, words that are not the register's get a choice too, and the first rows
are shown as RHI Desk reads them. Confirming checks the whole file and shows the usual preview.
"""
from __future__ import annotations

import secrets
from pathlib import Path

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectField, StringField, SubmitField

from rhi_desk.db import get_db
from rhi_desk.register import import_mapping as m
from rhi_desk.register import import_sources
from rhi_desk.web.auth import refuse_off_hub, roles_required
from rhi_desk.web.records import (
    IMPORT_ROLES,
    _pending,
    pending_mapping,
    pending_mapping_path,
    preview_response,
    upload_folder,
)

bp = Blueprint("imports", __name__)

NOT_IMPORTED = ""
FIELD_CHOICES = [(NOT_IMPORTED, "Not imported")] + [(f, m.LABELS[f]) for f in m.FIELDS]
ORDER_CHOICES = [(k, "Day first: " + v if k == "dmy" else "Month first: " + v) for k, v in m.DATE_ORDERS.items()]


bp.before_request(refuse_off_hub)  # the hub's own pages


def _mapping_from_post(header: list[str], words: dict[str, list[str]], sheet: str | None) -> m.Mapping:
    columns = {}
    for i, _ in enumerate(header):
        target = request.form.get(f"col_{i}", NOT_IMPORTED)
        if target in m.FIELDS and target not in columns:
            columns[target] = header[i]
    values = {}
    for f, listed in words.items():
        for k, word in enumerate(listed):
            chosen = request.form.get(f"val_{f}_{k}")
            if chosen in m.WORD_FIELDS[f]:
                values.setdefault(f, {})[word] = chosen
    order = request.form.get("date_order")
    return m.Mapping(columns, order if order in m.DATE_ORDERS else None, values, sheet)


def _form_class(header, analysis, mapping, words):
    class MappingForm(FlaskForm):
        date_order = RadioField("How are day and month ordered in the file's dates?", choices=ORDER_CHOICES,
                                widget=GovRadioInput(), validate_choice=False)
        save_as = StringField("Save this mapping as (optional)", widget=GovTextInput(),
                              description="For example: LCS monthly export. Next month's file with the same "
                                          "columns is then matched the same way.")
        refresh = SubmitField("Update the preview", widget=GovSubmitInput())
        check = SubmitField("Check the whole file", widget=GovSubmitInput())

    chosen = {h: f for f, h in mapping.columns.items()}
    for i, h in enumerate(header):
        setattr(MappingForm, f"col_{i}", SelectField(h or f"Column {i + 1} (no header)", choices=FIELD_CHOICES,
                                                     default=chosen.get(h, NOT_IMPORTED), widget=GovSelect(),
                                                     validate_choice=False))
    for f, listed in words.items():
        choices = [("", "Leave it: the row is a bad row")] + [(v, v.replace("_", " ")) for v in m.WORD_FIELDS[f]]
        for k, word in enumerate(listed):
            setattr(MappingForm, f"val_{f}_{k}", SelectField(f"{word!r} in {mapping.columns[f]}", choices=choices,
                                                             default=mapping.values.get(f, {}).get(word, ""),
                                                             widget=GovSelect(), validate_choice=False))
    return MappingForm


def _problems(header, mapping: m.Mapping, analysis) -> list[dict]:
    """The mapping's problems as error-summary entries (text and the field to go to)."""
    problems = []
    taken: dict[str, int] = {}
    for i, _ in enumerate(header):
        target = request.form.get(f"col_{i}", NOT_IMPORTED) if request.method == "POST" else None
        if target and target in taken:
            problems.append({"text": f"Choose {m.LABELS[target].lower()} for one column only "
                                     f"({header[taken[target]]!r} and {header[i]!r} both have it)",
                             "href": f"#col_{i}"})
        elif target:
            taken[target] = i
    for f in mapping.missing():
        problems.append({"text": f"Choose the column that holds {m.LABELS[f].lower()}", "href": "#col_0"})
    if len(analysis.orders) > 1:
        problems.append({"text": "The file's dates are written both day first and month first. Correct the file "
                                 "so every date is written the same way", "href": "#date_order"})
    elif analysis.slashed and not analysis.order_known and mapping.date_order is None:
        problems.append({"text": "Choose how day and month are ordered: every date in the file could be read "
                                 "either way", "href": "#date_order"})
    return problems


@bp.route("/import/mapping", methods=["GET", "POST"])
@roles_required(*IMPORT_ROLES)
def mapping():
    """Match the file's columns to the register's, see the first rows as read, and check the whole file."""
    path = _pending()
    name = session.get("records_upload_name") or "the file"
    if path is None:
        flash("There is no file waiting to be matched. Upload it again.")
        return redirect(url_for("records.import_episodes"))
    db = get_db()
    try:
        sheets = import_sources.sheet_names(path)
        sheet = request.values.get("sheet") or None
        if sheet not in sheets:
            sheet = sheets[0] if sheets else None
        # Opened once: its header chooses the mapping, and the same table is read on by analyse.
        table = import_sources.open_table(path, sheet)
    except import_sources.TableError as exc:
        return render_template("imports/unreadable.html", name=name, message=str(exc)), 400
    try:
        return _mapping_page(db, path, name, sheets, sheet, table)
    finally:
        table.close()


def _mapping_page(db, path: Path, name: str, sheets: list[str], sheet: str | None, table):
    header = table.header
    if len(header) > import_sources.MAX_COLUMNS:
        return render_template("imports/unreadable.html", name=name, message=(
            f"The file's header row has {len(header):,} columns, far more than an episode file has. "
            f"Check this is the right file")), 400
    saved = None
    if request.method == "POST":
        # The words to ask about depend on which columns were chosen: read the file through those.
        analysis = import_sources.analyse(path, _mapping_from_post(header, {}, sheet), sheet, table=table)
        mapping_ = _mapping_from_post(header, analysis.words, sheet)
    else:
        kept = pending_mapping(path)
        found = m.saved_for(db, header)
        if kept is not None and kept.sheet == sheet:
            mapping_ = kept
        elif found is not None:
            saved, mapping_ = found
            mapping_.sheet = sheet
        else:
            mapping_ = m.propose(header)
            mapping_.sheet = sheet
        analysis = import_sources.analyse(path, mapping_, sheet, table=table)
    if mapping_.date_order is None and analysis.order_known:
        mapping_.date_order = analysis.order_known
    words = analysis.words
    form = _form_class(header, analysis, mapping_, words)(formdata=request.form if request.method == "POST" else None)
    if request.method == "GET":
        form.date_order.data = mapping_.date_order
    problems = _problems(header, mapping_, analysis)
    if request.method == "POST" and not form.validate_on_submit():
        abort(400)
    if request.method == "POST" and form.check.data and not problems:
        pending_mapping_path(path).write_text(mapping_.to_json())
        pending_mapping_path(path).chmod(0o600)
        save_as = (form.save_as.data or "").strip()
        if save_as:
            try:
                m.save_mapping(db, save_as, mapping_, by=g.user["username"])
            except ValueError as exc:
                problems.append({"text": str(exc), "href": "#save_as"})
        if not problems:
            return preview_response(path, name, mapping_, session.get("records_upload"))
    shown = [f for f in m.FIELDS if mapping_.columns.get(f)]
    generated_id = not mapping_.columns.get("episode_id")
    return render_template("imports/mapping.html", form=form, header=header, name=name, sheets=sheets,
                           sheet=sheet, analysis=analysis, problems=problems if request.method == "POST" else [],
                           shown=shown, labels=m.LABELS, words=words,
                           positions={f: i for i, f in enumerate(m.FIELDS)}, saved=saved,
                           generated_id=generated_id, mapping=mapping_, orders=m.DATE_ORDERS,
                           rows=import_sources.preview(analysis, mapping_))


# ---------------------------------------------------------------------------------------------
# Past SSDA903 returns

class Upload903Form(FlaskForm):
    files = MultipleFileField("903 tables (CSV)", widget=GovFileInput(multiple=True),
                              description="Choose every year's Missing table, and the Header and Episodes "
                                          "tables if the Missing tables have no DOB column.")
    submit = SubmitField("Check the files", widget=GovSubmitInput())


class Confirm903Form(FlaskForm):
    submit = SubmitField("Import the episodes", widget=GovSubmitInput())


def _pending_903() -> tuple[Path | None, list[str]]:
    token = session.get("records_903")
    if not token or not token.isalnum():
        return None, []
    folder = upload_folder() / f"{token}-903"
    if not folder.is_dir():
        return None, []
    return folder, list(session.get("records_903_names") or [])


def _discard_903() -> None:
    folder, _ = _pending_903()
    session.pop("records_903", None)
    session.pop("records_903_names", None)
    if folder is not None:
        for f in folder.iterdir():
            f.unlink(missing_ok=True)
        folder.rmdir()


def _files(folder: Path, count: int) -> list[Path]:
    return [folder / f"{i}.csv" for i in range(count)]


@bp.route("/import/903", methods=["GET", "POST"])
@roles_required(*IMPORT_ROLES)
def import_903():
    """Upload past SSDA903 tables (several years at once) and see what importing them would do."""
    from rhi_desk import audit
    from rhi_desk.reports import ssda903_import

    form = Upload903Form()
    error = None
    if form.validate_on_submit():
        uploads = [u for u in (form.files.data or []) if getattr(u, "filename", "")]
        if not uploads:
            error = "Choose the 903 Missing table of each year to import"
        elif any(Path(u.filename).suffix.lower() != ".csv" for u in uploads):
            error = "Each file must be a 903 table saved as CSV"
        else:
            _discard_903()
            token = secrets.token_hex(16)
            folder = upload_folder() / f"{token}-903"
            folder.mkdir(mode=0o700)
            names = [Path(u.filename).name for u in uploads]
            for upload, path in zip(uploads, _files(folder, len(uploads))):
                upload.save(path)
            db = get_db()
            preview = ssda903_import.check_903(db, _files(folder, len(names)), names)
            audit.record(db, "episodes.import_903_checked", username=g.user["username"], object_type="import",
                         object_id=preview.file_name[:200], detail={"rows": preview.rows,
                                                                    "bad_rows": preview.bad_rows})
            if preview.ok and not preview.nothing_to_change:
                session["records_903"] = token
                session["records_903_names"] = names
            else:
                for path in _files(folder, len(names)):
                    path.unlink(missing_ok=True)
                folder.rmdir()
            return render_template("records/preview.html", preview=preview, form=Confirm903Form(),
                                   errors=list(preview.errors), more=ssda903_import.more_sentence(preview.errors),
                                   confirm_url=url_for("imports.confirm_903"), back_url=url_for("imports.import_903"))
    elif request.method == "POST" and not form.errors:
        error = "Choose the 903 Missing table of each year to import"
    return render_template("imports/import_903.html", form=form, error=error)


@bp.route("/import/903/confirm", methods=["POST"])
@roles_required(*IMPORT_ROLES)
def confirm_903():
    """Import the checked 903 tables, all-or-nothing."""
    from rhi_desk.reports import ssda903_import

    if not Confirm903Form().validate_on_submit():
        abort(400)
    folder, names = _pending_903()
    if folder is None:
        flash("There are no checked 903 files waiting to be imported. Upload them again.")
        return redirect(url_for("imports.import_903"))
    try:
        result = ssda903_import.import_903(get_db(), _files(folder, len(names)), by=g.user["username"], names=names)
    except ssda903_import.ImportRefused as exc:
        preview = ssda903_import.Preview(file_name=", ".join(names))
        preview.errors = exc.errors
        return render_template("records/preview.html", preview=preview, form=None, errors=list(exc.errors),
                               more=ssda903_import.more_sentence(exc.errors), back_url=url_for("imports.import_903"))
    finally:
        _discard_903()
    return render_template("records/done.html", result=result)
