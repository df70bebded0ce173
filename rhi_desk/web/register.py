"""The missing team's register pages: Today, children, missing and found notifications, RHI tracking.

Views are thin: a form, a call to :mod:`rhi_desk.register` (children, episodes, today) or :mod:`rhi_desk.register.rhi_tracking`, then a
redirect, or the same page again with the problem shown next to the question it belongs to.
The missing team (and administrators) change records; managers read Today, Children, a child's and an
episode's page (read-only: no button that changes a record); social workers and providers never see the register.
"""
from __future__ import annotations

import re
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from rhi_desk import audit
from rhi_desk.clock import now
from rhi_desk.db import get_db
from rhi_desk.register import children as register_children
from rhi_desk.register import episodes as register_episodes
from rhi_desk.register import rhi_tracking, rules
from rhi_desk.register import merges
from rhi_desk.register import search as register_search
from rhi_desk.register import today as register_today
from rhi_desk.register.rhi_tracking import RHIError
from rhi_desk.register.rules import RegisterError
from rhi_desk.sync import assignees
from rhi_desk.sync.fileformat import SyncError
from rhi_desk.web import record_versions
from rhi_desk.web.auth import refuse_off_hub, roles_required
from rhi_desk.web.forms import GovDateField, TimeField, moment, show_error

bp = Blueprint("register", __name__)

CHANGE_ROLES = ("missing_team",)  # administrators always pass roles_required
READ_ROLES = ("missing_team", "manager")
YES_NO = [("yes", "Yes"), ("no", "No")]


bp.before_request(refuse_off_hub)  # the hub's own pages


def _can_change() -> bool:
    return g.user["role"] in ("admin",) + CHANGE_ROLES


def _child_or_404(db, child_id):
    child = register_children.get_child(db, child_id)
    if child is None:
        abort(404)
    return child


def _episode_or_404(db, episode_id):
    episode = register_episodes.get_episode(db, episode_id)
    if episode is None:
        abort(404)
    return episode


def _audit_view(db, child_id: str, page: str, **detail) -> None:
    audit.record(db, "child.view", username=g.user["username"], object_type="child", object_id=child_id,
                 detail={"page": page, **detail})


# ---------------------------------------------------------------------------------------------
# Today


@bp.route("/today")
@roles_required(*READ_ROLES)
def today():
    """The daily missing meeting's list: missing now, recent returns, overdue RHIs, repeat missing."""
    db = get_db()
    shown = rules.OVERDUE_COUNT_LIMIT if request.args.get("overdue") == "all" else rules.OVERDUE_SHOWN
    listing = register_today.today(db, overdue_shown=shown)
    audit.record(db, "register.today", username=g.user["username"],
                 detail={"missing_now": len(listing.missing_now), "returned": len(listing.returned),
                         "overdue": listing.overdue_total, "repeat": len(listing.repeat)})
    return render_template("register/today.html", today=listing, can_change=_can_change())


# ---------------------------------------------------------------------------------------------
# Children


class ChildForm(FlaskForm):
    child_id = StringField("Child's id", widget=GovTextInput(),
                           description="The council's id for the child, as in the case management system",
                           validators=[InputRequired(message="Enter the council's id for the child"),
                                       Length(max=40, message="The child's id must be 40 characters or fewer")])
    name = StringField("Full name", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter the child's name")])
    date_of_birth = GovDateField("Date of birth", invalid="Date of birth must be a real date, for example 27 3 2004",
                                 description="For example, 27 3 2004")
    sex = RadioField("Sex", widget=GovRadioInput(), choices=list(rules.SEXES.items()), validators=[Optional()])
    looked_after = RadioField("Is the child looked after (in care)?", widget=GovRadioInput(), choices=YES_NO,
                              validators=[InputRequired(message="Choose yes if the child is looked after")])
    placement = RadioField("Where is the child placed?", widget=GovRadioInput(),
                           description="Looked-after children only",
                           choices=list(rules.PLACEMENTS.items()), validators=[Optional()])
    other_la = RadioField("Is the child looked after by another council (OLA)?", widget=GovRadioInput(),
                          choices=YES_NO, description="The return home interview is then that council's duty",
                          validators=[InputRequired(message="Choose yes if another council looks after the child")])
    responsible_la = StringField("Responsible council (OLA children only)", widget=GovTextInput())
    social_worker = StringField("Allocated social worker", widget=GovTextInput())
    risk_notes = TextAreaField("Risks to know about", widget=GovTextArea())
    notes = TextAreaField("Notes", widget=GovTextArea())
    submit = SubmitField("Save child", widget=GovSubmitInput())

    def values(self) -> dict:
        """What the domain needs, from the answers."""
        return {
            "name": self.name.data,
            "date_of_birth": self.date_of_birth.data.isoformat() if self.date_of_birth.data else None,
            "sex": self.sex.data or None,
            "looked_after": self.looked_after.data == "yes",
            "placement": self.placement.data or None,
            "other_la": self.other_la.data == "yes",
            "responsible_la": self.responsible_la.data,
            "social_worker": self.social_worker.data,
            "risk_notes": self.risk_notes.data,
            "notes": self.notes.data,
        }


@bp.route("/children")
@roles_required(*READ_ROLES)
def children():
    """Find a child by name or id, with filters, a page at a time; with no search, the most recently changed."""
    db = get_db()
    query = (request.args.get("q") or "").strip()
    filters = register_search.Filters(
        status=request.args.get("status") or None, placement=request.args.get("placement") or None,
        missing_now=request.args.get("missing_now") == "yes", social_worker=request.args.get("worker") or None)
    page = request.args.get("page", "1")
    found = register_search.find_children(db, query, filters, page=int(page) if page.isdigit() else 1)
    if query or filters.any:
        audit.record(db, "child.search", username=g.user["username"], detail={"query": query,
                                                                               "found": found.total})
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("register/children.html", children=found.children, found=found, query=query,
                           args=args, statuses=register_search.STATUSES,
                           workers=register_search.social_workers(db), can_change=_can_change())


@bp.route("/children/new", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def add_child():
    """Add a child to the register (then, if asked, go straight on to the missing notification)."""
    db = get_db()
    form = ChildForm()
    then = request.args.get("then")
    if request.method == "GET" and request.args.get("q"):
        query = request.args["q"].strip()
        if re.fullmatch(r"[A-Za-z]*\d[\w./-]*", query):
            form.child_id.data = query
        else:
            form.name.data = query
    duplicates = []
    if form.validate_on_submit():
        values = form.values()
        duplicates = merges.possible_duplicates(db, values.get("name"), values.get("date_of_birth"))
        if duplicates and request.form.get("not_a_duplicate") != "yes":
            # Warned, nothing saved: the person checks the records listed and says this is a different child.
            return render_template("register/child_form.html", form=form, child=None, then=then,
                                   duplicates=duplicates)
        try:
            child = register_children.create_child(db, form.child_id.data, by=g.user["username"], **values)
        except RegisterError as exc:
            show_error(form, exc, {"child_id": "child_id", "name": "name", "date_of_birth": "date_of_birth",
                                    "sex": "sex", "placement": "placement", "responsible_la": "responsible_la"},
                        "name")
        else:
            flash(f"{child['name']} added to the register.")
            if then == "missing":
                return redirect(url_for("register.record_missing", child_id=child["child_id"]))
            return redirect(url_for("register.child", child_id=child["child_id"]))
    return render_template("register/child_form.html", form=form, child=None, then=then, duplicates=duplicates)


@bp.route("/children/<child_id>")
@roles_required(*READ_ROLES)
def child(child_id):
    """A child's page: details and the timeline of episodes, RHIs and 72-hour clocks."""
    db = get_db()
    record = _child_or_404(db, child_id)
    entries = register_episodes.timeline(db, child_id)
    _audit_view(db, child_id, "child")
    open_episode = next((e.episode for e in entries if e.episode["end"] is None), None)
    return render_template("register/child.html", child=record, entries=entries, open_episode=open_episode,
                           can_change=_can_change(), merged_into=merges.merged_into(db, child_id))


@bp.route("/children/<child_id>/edit", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def edit_child(child_id):
    """Change a child's details (the id stays: it is the council's)."""
    db = get_db()
    record = _child_or_404(db, child_id)
    form = ChildForm(data=None if request.method == "POST" else {
        **record,
        "date_of_birth": datetime.fromisoformat(record["date_of_birth"]).date() if record["date_of_birth"] else None,
        "looked_after": "yes" if record["looked_after"] else "no",
        "other_la": "yes" if record["other_la"] else "no",
    })
    del form.child_id
    if request.method == "GET":
        _audit_view(db, child_id, "edit")
    opened, changed = record_versions.opened_for(record, record_versions.CHILD), None
    if form.validate_on_submit():
        try:
            changed = record_versions.save_unless_changed(db, "children", child_id, record_versions.CHILD, lambda: (
                register_children.update_child(db, child_id, by=g.user["username"], **form.values())))
        except RegisterError as exc:
            show_error(form, exc, {"name": "name", "date_of_birth": "date_of_birth", "sex": "sex",
                                    "placement": "placement", "responsible_la": "responsible_la"}, "name")
        else:
            if not changed:
                flash("Child's details saved.")
                return redirect(url_for("register.child", child_id=child_id))
            opened = record_versions.merge(form, changed)
    return render_template("register/child_form.html", form=form, child=record, then=None, opened=opened,
                           changed=changed)


# ---------------------------------------------------------------------------------------------
# Missing notification


class MissingForm(FlaskForm):
    episode_type = RadioField("Is the child missing or away?", widget=GovRadioInput(),
                              choices=[("missing", "Missing – whereabouts unknown"),
                                       ("away", "Away from placement without authorisation – whereabouts known")],
                              validators=[InputRequired(message="Choose missing or away")])
    start_date = GovDateField("Date last seen", required="Enter the date the child was last seen",
                              invalid="The date last seen must be a real date, for example 3 4 2017",
                              description="For example, 3 4 2017")
    start_time = TimeField("Time last seen", required="Enter the time the child was last seen",
                           invalid="Enter the time last seen like 14:05")
    reported_by = StringField("Who reported the child missing?", widget=GovTextInput(),
                              description="For example, the carer, a parent or the police")
    police_reference = StringField("Police reference (optional)", widget=GovTextInput())
    police_risk = RadioField("Police risk grading", widget=GovRadioInput(),
                             choices=list(rules.POLICE_RISKS.items()), validators=[Optional()])
    circumstances = TextAreaField("Circumstances", widget=GovTextArea(),
                                  description="Where the child was last seen, with whom, and any concerns")
    submit = SubmitField("Save missing notification", widget=GovSubmitInput())

    FIELDS = {"start": "start_date", "episode_type": "episode_type", "police_risk": "police_risk"}


@bp.route("/missing/new")
@roles_required(*CHANGE_ROLES)
def new_missing():
    """Record a missing notification, step 1: find the child (or add a new one)."""
    db = get_db()
    query = (request.args.get("q") or "").strip()
    found = register_search.find_children(db, query).children if query else []
    if query:
        audit.record(db, "child.search", username=g.user["username"], detail={"query": query,
                                                                               "found": len(found)})
    return render_template("register/new_missing.html", query=query, children=found)


@bp.route("/children/<child_id>/missing", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def record_missing(child_id):
    """Record a missing notification, step 2: the episode."""
    db = get_db()
    record = _child_or_404(db, child_id)
    form = MissingForm()
    if request.method == "GET":
        form.episode_type.data = "missing"
        _audit_view(db, child_id, "missing")
    if form.validate_on_submit():
        try:
            episode = register_episodes.record_missing(
                db, child_id, start=moment(form.start_date, form.start_time),
                episode_type=form.episode_type.data, reported_by=form.reported_by.data,
                police_reference=form.police_reference.data, police_risk=form.police_risk.data or None,
                circumstances=form.circumstances.data, by=g.user["username"])
        except RegisterError as exc:
            show_error(form, exc, MissingForm.FIELDS, "start_date")
        else:
            flash(f"Missing notification recorded for {record['name']} (episode {episode['episode_id']}).")
            return redirect(url_for("register.episode", episode_id=episode["episode_id"]))
    return render_template("register/missing_form.html", form=form, child=record, episode=None)


@bp.route("/episodes/<episode_id>/missing", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def edit_missing(episode_id):
    """Correct a missing notification."""
    db = get_db()
    episode = _episode_or_404(db, episode_id)
    record = _child_or_404(db, episode["child_id"])
    if request.method == "GET":
        _audit_view(db, episode["child_id"], "missing", episode=episode_id)
    form = MissingForm(data=None if request.method == "POST" else {
        **episode, "start_date": datetime.fromisoformat(episode["start"]).date(), "start_time": episode["start"][11:16]})
    del form.episode_type
    opened, changed = record_versions.opened_for(episode, record_versions.MISSING), None
    if form.validate_on_submit():
        try:
            changed = record_versions.save_unless_changed(db, "episodes", episode_id, record_versions.MISSING, lambda: (
                register_episodes.update_missing(db, episode_id, start=moment(form.start_date, form.start_time),
                                    reported_by=form.reported_by.data, police_reference=form.police_reference.data,
                                    police_risk=form.police_risk.data or None,
                                    circumstances=form.circumstances.data, by=g.user["username"])))
        except RegisterError as exc:
            show_error(form, exc, {"start": "start_date", "police_risk": "police_risk"}, "start_date")
        else:
            if not changed:
                flash("Missing notification corrected.")
                return redirect(url_for("register.episode", episode_id=episode_id))
            opened = record_versions.merge(form, changed)
    return render_template("register/missing_form.html", form=form, child=record, episode=episode, opened=opened,
                           changed=changed)


# ---------------------------------------------------------------------------------------------
# Episode page, found notification, type change


class FoundForm(FlaskForm):
    end_date = GovDateField("Date found or returned", required="Enter the date the child was found or returned",
                            invalid="The date found must be a real date, for example 4 4 2017",
                            description="For example, 4 4 2017")
    end_time = TimeField("Time found or returned", required="Enter the time the child was found or returned",
                         invalid="Enter the time found like 09:30")
    found_where = StringField("Where was the child found, or where did they return to?", widget=GovTextInput())
    found_by = StringField("Who found the child or reported the return?", widget=GovTextInput())
    found_how = TextAreaField("How did the child come back?", widget=GovTextArea(),
                              description="For example, returned on their own, brought back by police")
    submit = SubmitField("Save found notification", widget=GovSubmitInput())


class TypeForm(FlaskForm):
    episode_type = RadioField("What is this episode now?", widget=GovRadioInput(),
                              choices=[("missing", "Missing – whereabouts unknown"),
                                       ("away", "Away from placement without authorisation – whereabouts known")],
                              validators=[InputRequired(message="Choose missing or away")])
    submit = SubmitField("Change type", widget=GovSubmitInput())


@bp.route("/episodes/<episode_id>")
@roles_required(*READ_ROLES)
def episode(episode_id):
    """An episode: the missing and found notifications, type history and the RHI with its clock."""
    db = get_db()
    record = _episode_or_404(db, episode_id)
    child_record = _child_or_404(db, record["child_id"])
    rhis = register_episodes.rhis_for_episodes(db, [record["id"]])[record["id"]]
    clock = register_episodes.episode_clock(record, rhis)
    covered = {r["id"]: rhi_tracking.episodes_of(db, r["id"]) for r in rhis}
    _audit_view(db, record["child_id"], "episode", episode=episode_id)
    return render_template("register/episode.html", episode=record, child=child_record, rhis=rhis, covered=covered,
                           choices=assignees.choices(db) if _can_change() else [],
                           sent_to={r["rhi_id"]: assignees.sent_to(db, r["rhi_id"]) for r in rhis},
                           clock=clock, clock_label=register_episodes.clock_label(record, clock),
                           type_changes=register_episodes.type_changes(db, episode_id), can_change=_can_change())


@bp.route("/episodes/<episode_id>/found", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def record_found(episode_id):
    """Record (or correct) the found notification: the child is back."""
    db = get_db()
    record = _episode_or_404(db, episode_id)
    if request.method == "GET":
        _audit_view(db, record["child_id"], "found", episode=episode_id)
    data = None
    if request.method == "GET" and record["end"]:
        data = {**record, "end_date": datetime.fromisoformat(record["end"]).date(), "end_time": record["end"][11:16]}
    form = FoundForm(data=data)
    opened, changed = record_versions.opened_for(record, record_versions.FOUND), None
    if form.validate_on_submit():
        try:
            changed = record_versions.save_unless_changed(db, "episodes", episode_id, record_versions.FOUND, lambda: (
                register_episodes.record_found(db, episode_id, end=moment(form.end_date, form.end_time),
                                  found_where=form.found_where.data, found_by=form.found_by.data,
                                  found_how=form.found_how.data, by=g.user["username"])))
        except (RegisterError, RHIError) as exc:
            show_error(form, exc, {"end": "end_date", "start": "end_date"}, "end_date")
        else:
            if not changed:
                flash(f"Found notification recorded for {record['child_name']}."
                      + ("" if record["other_la"] else " The 72-hour clock for the return home interview has started."))
                return redirect(url_for("register.episode", episode_id=episode_id))
            opened = record_versions.merge(form, changed)
    return render_template("register/found_form.html", form=form, episode=record, opened=opened, changed=changed)


@bp.route("/episodes/<episode_id>/type", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def change_type(episode_id):
    """Change an episode between missing and away (the change is kept in its history)."""
    db = get_db()
    record = _episode_or_404(db, episode_id)
    form = TypeForm()
    if request.method == "GET":
        _audit_view(db, record["child_id"], "type", episode=episode_id)
        form.episode_type.data = "away" if record["episode_type"] == "missing" else "missing"
    if form.validate_on_submit():
        try:
            register_episodes.change_type(db, episode_id, form.episode_type.data, by=g.user["username"])
        except RegisterError as exc:
            show_error(form, exc, {}, "episode_type")
        else:
            flash(f"Episode {episode_id} is now recorded as {form.episode_type.data}.")
            return redirect(url_for("register.episode", episode_id=episode_id))
    return render_template("register/type_form.html", form=form, episode=record,
                           type_changes=register_episodes.type_changes(db, episode_id))


# ---------------------------------------------------------------------------------------------
# RHI tracking for a return


def _rhi_for_episode(db, episode_id, rhi_id):
    record = _episode_or_404(db, episode_id)
    rhi = rhi_tracking.get_rhi(db, rhi_id)
    if rhi is None or record["id"] not in {e["id"] for e in rhi_tracking.episodes_of(db, rhi["id"])}:
        abort(404)
    if request.method == "GET":
        _audit_view(db, record["child_id"], "rhi", episode=episode_id, rhi=rhi_id)
    return record, rhi


class OfferForm(FlaskForm):
    offered_date = GovDateField("Date offered", required="Enter the date the interview was offered",
                                invalid="The date offered must be a real date, for example 5 4 2017",
                                description="For example, 5 4 2017")
    offered_time = TimeField("Time offered", required="Enter the time the interview was offered",
                             invalid="Enter the time offered like 10:30")
    offered_how = RadioField("How was it offered?", widget=GovRadioInput(),
                             choices=list(rhi_tracking.OFFER_METHODS.items()),
                             validators=[InputRequired(message="Choose how the interview was offered")])
    offered_by = StringField("Who offered it?", widget=GovTextInput(),
                             validators=[InputRequired(message="Enter who offered the interview")])
    submit = SubmitField("Save offer", widget=GovSubmitInput())


class OutcomeForm(FlaskForm):
    outcome = RadioField("What happened?", widget=GovRadioInput(), choices=list(rhi_tracking.OUTCOMES.items()),
                         validators=[InputRequired(message="Choose the outcome of the offer")])
    reason = TextAreaField("Reason", widget=GovTextArea(),
                           description="Needed if the interview did not happen: why not")
    attempts = TextAreaField("Attempts made (optional)", widget=GovTextArea())
    completed_date = GovDateField("Date the interview was held (if completed)",
                                  invalid="The date held must be a real date, for example 6 4 2017")
    completed_time = TimeField("Time the interview was held (if completed)", required=None,
                               invalid="Enter the time held like 15:00")
    submit = SubmitField("Save outcome", widget=GovSubmitInput())


class CoversForm(FlaskForm):
    episodes = SelectMultipleField("Which other episodes should this interview also cover?",
                                   widget=GovCheckboxesInput(),
                                   description="One interview can cover several episodes of the same child",
                                   validators=[InputRequired(message="Choose at least one episode")])
    submit = SubmitField("Save episodes covered", widget=GovSubmitInput())


@bp.route("/episodes/<episode_id>/rhi", methods=["POST"])
@roles_required(*CHANGE_ROLES)
def open_rhi(episode_id):
    """Open an RHI record for a return that has none (history imported without one)."""
    db = get_db()
    record = _episode_or_404(db, episode_id)
    if record["other_la"]:
        flash("This child is looked after by another council: the interview is that council's duty.")
    elif not record["end"]:
        flash("Record the child's return first: the interview follows the return.")
    else:
        try:
            rhi_tracking.create_rhi(db, [record["id"]], by=g.user["username"])
        except RHIError as exc:
            flash(str(exc))
        else:
            flash("Return home interview record opened.")
    return redirect(url_for("register.episode", episode_id=episode_id))


@bp.route("/episodes/<episode_id>/rhi/<rhi_id>/assign", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def rhi_assign(episode_id, rhi_id):
    """Decide who interviews: a user or a field install chosen from the list (never a name typed freely)."""
    db = get_db()
    record, rhi = _rhi_for_episode(db, episode_id, rhi_id)
    error = None
    chosen = assignees.current_key(db, rhi)
    if request.method == "POST":
        chosen = request.form.get("assignee")
        try:
            done = assignees.assign(db, rhi_id, chosen, by=g.user["username"])
        except SyncError as exc:
            error = str(exc)
        else:
            flash(done.sentence())
            return redirect(url_for("register.episode", episode_id=episode_id, _anchor="rhi"))
    return render_template("register/rhi_assign.html", episode=record, rhi=rhi, error=error, chosen=chosen,
                           choices=assignees.choices(db), sent_to=assignees.sent_to(db, rhi_id),
                           form={"errors": bool(error)})


@bp.route("/episodes/<episode_id>/rhi/<rhi_id>/offer", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def rhi_offer(episode_id, rhi_id):
    """Record the offer of an interview: when, how and by whom."""
    db = get_db()
    record, rhi = _rhi_for_episode(db, episode_id, rhi_id)
    data = None
    if request.method == "GET":
        data = {"offered_by": g.user["display_name"]}
        if rhi["offered_at"]:
            data = {**rhi, "offered_date": datetime.fromisoformat(rhi["offered_at"][:10]).date(),
                    "offered_time": rhi["offered_at"][11:16] or None}
    form = OfferForm(data=data)
    opened, changed = record_versions.opened_for(rhi, record_versions.OFFER), None
    if form.validate_on_submit():
        try:
            changed = record_versions.save_unless_changed(
                db, "return_home_interviews", rhi_id, record_versions.OFFER, lambda: rhi_tracking.record_offer(
                    db, rhi_id, moment(form.offered_date, form.offered_time), form.offered_how.data,
                    form.offered_by.data, by=g.user["username"]))
        except RHIError as exc:
            show_error(form, exc, {}, "offered_how" if "how" in str(exc) else "offered_date")
        else:
            if not changed:
                flash("Offer recorded.")
                return redirect(url_for("register.episode", episode_id=episode_id))
            opened = record_versions.merge(form, changed)
    clock = register_episodes.episode_clock(record, [])
    return render_template("register/rhi_offer.html", form=form, episode=record, rhi=rhi, opened=opened,
                           changed=changed, clock_label=register_episodes.clock_label(record, clock), clock=clock)


@bp.route("/episodes/<episode_id>/rhi/<rhi_id>/outcome", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def rhi_outcome(episode_id, rhi_id):
    """Record the outcome of the offer, with the reason if the interview did not happen."""
    db = get_db()
    record, rhi = _rhi_for_episode(db, episode_id, rhi_id)
    data = None
    if request.method == "GET" and rhi["outcome"]:
        data = {"outcome": rhi["outcome"], "reason": rhi["outcome_reason"], "attempts": rhi["attempts"]}
        if rhi["completed_at"]:
            data.update(completed_date=datetime.fromisoformat(rhi["completed_at"][:10]).date(),
                        completed_time=rhi["completed_at"][11:16] or None)
    form = OutcomeForm(data=data)
    opened, changed = record_versions.opened_for(rhi, record_versions.OUTCOME), None
    if form.validate_on_submit():
        completed_at = None
        if form.outcome.data == "completed":
            completed_at = moment(form.completed_date, form.completed_time)
            if completed_at is None and (form.completed_date.data or form.completed_time.data):
                form.completed_time.errors = list(form.completed_time.errors) + [
                    "Enter both the date and the time the interview was held"]
        if not form.errors:
            try:
                changed = record_versions.save_unless_changed(
                    db, "return_home_interviews", rhi_id, record_versions.OUTCOME, lambda: rhi_tracking.record_outcome(
                        db, rhi_id, form.outcome.data, reason=form.reason.data, attempts=form.attempts.data,
                        completed_at=completed_at, by=g.user["username"]))
            except RHIError as exc:
                message = str(exc)
                target = ("reason" if "why" in message else "completed_date" if "held" in message
                          or "dates" in message else "outcome")
                show_error(form, exc, {}, target)
            else:
                if not changed:
                    flash(f"Outcome recorded: {rhi_tracking.OUTCOMES[form.outcome.data]}.")
                    return redirect(url_for("register.episode", episode_id=episode_id))
                opened = record_versions.merge(form, changed)
    return render_template("register/rhi_outcome.html", form=form, episode=record, rhi=rhi, opened=opened,
                           changed=changed)


@bp.route("/episodes/<episode_id>/rhi/<rhi_id>/episodes", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def rhi_episodes(episode_id, rhi_id):
    """Choose more of the child's episodes for this one interview to cover."""
    db = get_db()
    record, rhi = _rhi_for_episode(db, episode_id, rhi_id)
    covered = rhi_tracking.episodes_of(db, rhi["id"])
    covered_ids = {e["id"] for e in covered}
    candidates = [e for e in register_episodes.child_episodes_for_rhi(db, rhi["child"])
                  if not e["other_la"] and e["id"] not in covered_ids]
    form = CoversForm()
    form.episodes.choices = [
        (e["episode_id"], f"{e['episode_id']}: {rules.describe_time(e['start'])} to "
                          f"{rules.describe_time(e['end'])}") for e in candidates]
    if form.validate_on_submit():
        chosen = [e["id"] for e in candidates if e["episode_id"] in form.episodes.data]
        try:
            register_episodes.cover_episodes(db, rhi_id, chosen, by=g.user["username"])
        except (RegisterError, RHIError) as exc:
            show_error(form, exc, {}, "episodes")
        else:
            total = len(covered) + len(chosen)
            flash(f"The interview now covers {total} episodes.")
            return redirect(url_for("register.episode", episode_id=episode_id))
    return render_template("register/rhi_episodes.html", form=form, episode=record, rhi=rhi, covered=covered,
                           candidates=candidates)


@bp.app_template_filter("clock_class")
def clock_class(clock) -> str:
    """CSS class for a 72-hour clock's state."""
    if clock is None:
        return ""
    return {"overdue": "rhi-clock--overdue", "due_soon": "rhi-clock--due-soon", "missed": "rhi-clock--overdue"}.get(
        clock.state, "")


@bp.app_context_processor
def _register_labels():
    return {"episode_types": rules.EPISODE_TYPES, "police_risks": rules.POLICE_RISKS,
            "placements": rules.PLACEMENTS, "sexes": rules.SEXES, "ola_duty": rules.OLA_DUTY,
            "interviewer_types": rhi_tracking.INTERVIEWER_TYPES, "outcomes": rhi_tracking.OUTCOMES,
            "offer_methods": rhi_tracking.OFFER_METHODS, "now": now}
