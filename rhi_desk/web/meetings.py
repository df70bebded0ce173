"""The meetings pages: the daily meeting, the weekly high-risk meeting and the monthly missing panel.

Each shows its list as it stands now, saves it (kept unchanged from then on), records the actions agreed
(owner, due date) and shows whether the last meeting's were done; a saved meeting prints cleanly and
downloads as a file for senior managers. Thin views over :mod:`rhi_desk.actions.meetings` and
:mod:`rhi_desk.actions.panel`.
"""
from __future__ import annotations

from pathlib import Path

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from rhi_desk import audit
from rhi_desk.actions import meetings as domain
from rhi_desk.actions import panel
from rhi_desk.clock import now
from rhi_desk.db import get_db
from rhi_desk.register.rules import RegisterError
from rhi_desk.reports import high_risk, kpi
from rhi_desk.web.auth import refuse_off_hub, roles_required
from rhi_desk.web import forms
from rhi_desk.web.forms import GovDateField

bp = Blueprint("meetings", __name__)

CHANGE_ROLES = ("missing_team",)
READ_ROLES = ("missing_team", "manager")


bp.before_request(refuse_off_hub)  # the hub's own pages


def _can_change() -> bool:
    return g.user["role"] in ("admin",) + CHANGE_ROLES


@bp.route("/meetings")
@roles_required(*READ_ROLES)
def index():
    """The three meetings, with the saved ones of each."""
    db = get_db()
    return render_template("meetings/index.html", saved={k: domain.meetings(db, k, limit=12) for k in domain.KINDS},
                           kinds=domain.KINDS)


def _live(kind: str, db, month: str | None = None) -> dict:
    if kind == "weekly":
        return domain.weekly_list(db)
    if kind == "daily":
        return domain.daily_list(db)
    return panel.pack(db, month or kpi.default_range(1)[0])


@bp.route("/meetings/<kind>", methods=["GET"])
@roles_required(*READ_ROLES)
def live(kind):
    """The meeting's list as it stands now, ready to save."""
    if kind not in domain.KINDS:
        abort(404)
    db = get_db()
    month = request.args.get("month")
    try:
        listing = _live(kind, db, month)
    except kpi.KPIError as exc:
        flash(str(exc))
        return redirect(url_for("meetings.live", kind=kind))
    audit.record(db, "meeting.view_live", username=g.user["username"], object_type="meeting", object_id=kind)
    previous = domain.last_meeting(db, kind)
    previous = domain.get_meeting(db, previous["id"]) if previous else None
    saved = [m for m in domain.meetings(db, kind) if m["period"] == listing["period"]]
    return render_template("meetings/live.html", kind=kind, title=domain.KINDS[kind], listing=listing,
                           previous=previous, already=saved[0] if saved else None, can_change=_can_change(),
                           **_helpers(listing))


def _helpers(listing: dict) -> dict:
    return {"age_on": high_risk.age_on, "today": listing["at"].strftime("%Y-%m-%d"), "result": listing}


@bp.route("/meetings/weekly", endpoint="weekly")
@roles_required(*READ_ROLES)
def weekly():
    """This week's high-risk meeting."""
    return live("weekly")


@bp.route("/meetings/<kind>/save", methods=["POST"])
@roles_required(*CHANGE_ROLES)
def save(kind):
    """Save the meeting's list as it stands now."""
    if kind not in domain.KINDS:
        abort(404)
    db = get_db()
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        listing = _live(kind, db, request.form.get("month"))
        meeting = domain.save(db, kind, listing, by=g.user["username"])
    except (RegisterError, kpi.KPIError) as exc:
        flash(str(exc))
        return redirect(url_for("meetings.live", kind=kind))
    flash(f"Saved: {meeting['title']}. Record the actions agreed below.")
    return redirect(url_for("meetings.meeting", pk=meeting["id"]))


class AgreeForm(FlaskForm):
    child_id = SelectField("Child", widget=GovSelect(), choices=[], validate_choice=False)
    action = TextAreaField("Action agreed", widget=GovTextArea(),
                           validators=[InputRequired(message="Enter the action agreed")])
    owner = StringField("Who owns it?", widget=GovTextInput(),
                        validators=[InputRequired(message="Enter who owns the action")])
    due_on = GovDateField("Due by", required="Enter the date the action is due",
                          invalid="The due date must be a real date, for example 17 4 2017",
                          description="For example, 17 4 2017")
    submit = SubmitField("Add the action", widget=GovSubmitInput())


class DoneForm(FlaskForm):
    done_by = StringField("Who did it?", widget=GovTextInput(), validators=[InputRequired(message="Enter who did it")])
    done_on = GovDateField("Date done", required="Enter the date it was done",
                           invalid="The date must be a real date, for example 17 4 2017",
                           description="For example, 17 4 2017")
    submit = SubmitField("Record as done", widget=GovSubmitInput())


def _meeting_or_404(db, pk):
    meeting = domain.get_meeting(db, pk)
    if meeting is None:
        abort(404)
    return meeting


@bp.route("/meetings/saved/<int:pk>", methods=["GET", "POST"])
@roles_required(*READ_ROLES)
def meeting(pk):
    """A saved meeting: its list as saved, the actions agreed, and whether the last meeting's were done."""
    db = get_db()
    record = _meeting_or_404(db, pk)
    form = AgreeForm(prefix="agree")
    form.child_id.choices = [("", "Not about one child")] + [
        (c["child_id"], c["name"] or c["child_id"]) for c in record["listing"].get("children") or []]
    if request.method == "POST":
        if not _can_change():
            abort(403)
        saved = forms.save(form, lambda: domain.agree_action(
            db, pk, child_id=form.child_id.data or None, action=form.action.data, owner=form.owner.data,
            due_on=form.due_on.data.isoformat(), by=g.user["username"]),
            errors=RegisterError, fields={"due_on": "due_on", "owner": "owner", "child_id": "child_id"},
            default="action", done="Action agreed.", then=lambda: url_for("meetings.meeting", pk=pk) + "#agreed")
        if saved is not None:
            return saved
    audit.record(db, "meeting.view", username=g.user["username"], object_type="meeting", object_id=pk)
    return render_template("meetings/meeting.html", meeting=record, listing=record["listing"], form=form,
                           kind=record["kind"], can_change=_can_change(), **_helpers(record["listing"]))


@bp.route("/meetings/actions/<int:pk>/done", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def action_done(pk):
    """Record an action agreed at a meeting as done."""
    db = get_db()
    row = list(db.query("select a.*, c.name, c.child_id from meeting_actions a left join children c "
                        "on c.id = a.child where a.id = ?", [pk]))
    if not row:
        abort(404)
    item = row[0]
    back = request.args.get("back", type=int) or item["meeting"]
    form = DoneForm(data={"done_by": item["owner"]} if request.method == "GET" else None)
    saved = forms.save(form, lambda: domain.mark_done(
        db, pk, done_on=form.done_on.data.isoformat(), done_by=form.done_by.data, by=g.user["username"]),
        errors=RegisterError, fields={"done_on": "done_on", "done_by": "done_by"}, default="done_on",
        done="Action recorded as done.", then=lambda: url_for("meetings.meeting", pk=back) + "#last-time")
    if saved is not None:
        return saved
    return render_template("meetings/action_done.html", form=form, item=item, back=back)


@bp.route("/meetings/saved/<int:pk>/download")
@roles_required(*READ_ROLES)
def download(pk):
    """The saved meeting as one self-contained HTML file (it opens and prints, or saves as PDF, anywhere)."""
    db = get_db()
    record = _meeting_or_404(db, pk)
    audit.record(db, "meeting.download", username=g.user["username"], object_type="meeting", object_id=pk)
    css = (Path(current_app.static_folder) / "css" / "meeting-file.css").read_text(encoding="utf-8")
    html = render_template("meetings/download.html", meeting=record, listing=record["listing"],
                           kind=record["kind"], generated=now(), meeting_file_css=css, **_helpers(record["listing"]))
    name = f"{record['kind']}-meeting-{record['period'].replace(' ', '-').replace(':', '')}.html"
    return Response(html, mimetype="text/html",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
