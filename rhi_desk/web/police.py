"""The police pages of an episode: the references (police/CAD, crime, COMPACT), where the child was missing
from and found, and the police risk with its regradings. Thin views over :mod:`rhi_desk.register.police`."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired

from rhi_desk.db import get_db
from rhi_desk.register import police
from rhi_desk.register.episodes import get_episode
from rhi_desk.register.rules import RegisterError
from rhi_desk.web.auth import refuse_off_hub, roles_required
from rhi_desk.web import forms
from rhi_desk.web.forms import GovDateField, TimeField, moment, show_error

bp = Blueprint("police", __name__)
CHANGE_ROLES = ("missing_team",)
_TYPES = [("", "Not recorded")] + list(police.PLACE_TYPES.items())


bp.before_request(refuse_off_hub)  # the hub's own pages


@bp.app_context_processor
def _police_globals():
    def police_view(episode: dict) -> dict:
        """The episode's police facts for its page."""
        return {"gradings": police.gradings(get_db(), episode["id"]), "grade": police.current_grade(episode)}

    return {"police_view": police_view, "police_levels": police.RISK_LEVELS, "place_types": police.PLACE_TYPES}


def _episode_or_404(episode_id):
    episode = get_episode(get_db(), episode_id)
    if episode is None:
        abort(404)
    return episode


class DetailsForm(FlaskForm):
    police_reference = StringField("Police reference or CAD number", widget=GovTextInput())
    crime_reference = StringField("Crime reference (if a crime was recorded)", widget=GovTextInput())
    compact_reference = StringField("COMPACT record reference", widget=GovTextInput())
    missing_from_place = StringField("Missing from: place or address", widget=GovTextInput())
    missing_from_postcode = StringField("Missing from: postcode or district", widget=GovTextInput(),
                                        description="For example, CR0 1AB or CR0")
    missing_from_type = SelectField("Missing from: type of place", widget=GovSelect(), choices=_TYPES)
    found_place = StringField("Found at: place or address", widget=GovTextInput())
    found_postcode = StringField("Found at: postcode or district", widget=GovTextInput(),
                                 description="For example, CR0 1AB or CR0")
    found_type = SelectField("Found at: type of place", widget=GovSelect(), choices=_TYPES)
    submit = SubmitField("Save police details", widget=GovSubmitInput())


@bp.route("/episodes/<episode_id>/police", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def details(episode_id):
    """The episode's police references and structured places."""
    db = get_db()
    episode = _episode_or_404(episode_id)
    form = DetailsForm(data=episode if request.method == "GET" else None)
    if form.validate_on_submit():
        values = {k: getattr(form, k).data for k in form.data if k not in ("submit", "csrf_token")}
        if episode["end"] is None:
            values = {k: v for k, v in values.items() if not k.startswith("found_")}
        try:
            police.record_police_details(db, episode_id, by=g.user["username"], **values)
        except RegisterError as exc:
            show_error(form, exc, {k: k for k in values}, "police_reference")
        else:
            flash("Police details saved.")
            return redirect(url_for("register.episode", episode_id=episode_id) + "#police")
    return render_template("police/details.html", form=form, episode=episode)


class GradeForm(FlaskForm):
    grade = RadioField("Risk level the police gave", widget=GovRadioInput(), choices=list(police.RISK_LEVELS.items()),
                       validators=[InputRequired(message="Choose the risk level the police gave")])
    graded_date = GovDateField("Date graded", required="Enter the date the police graded the risk",
                               invalid="The date must be a real date, for example 5 4 2017",
                               description="For example, 5 4 2017")
    graded_time = TimeField("Time graded", required="Enter the time the police graded the risk",
                            invalid="Enter the time like 10:30")
    graded_by = StringField("Officer (name, rank or collar number)", widget=GovTextInput())
    reason = TextAreaField("Why (optional)", widget=GovTextArea())
    submit = SubmitField("Save the grading", widget=GovSubmitInput())


@bp.route("/episodes/<episode_id>/police/risk", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def regrade(episode_id):
    """Record a police risk grading or regrading."""
    db = get_db()
    episode = _episode_or_404(episode_id)
    form = GradeForm()
    saved = forms.save(form, lambda: police.regrade(
        db, episode_id, form.grade.data, graded_at=moment(form.graded_date, form.graded_time),
        graded_by=form.graded_by.data, reason=form.reason.data, by=g.user["username"]),
        errors=RegisterError, fields={"graded_at": "graded_date", "grade": "grade", "graded_by": "graded_by"},
        default="graded_date", done="Police risk grading saved.",
        then=lambda: url_for("register.episode", episode_id=episode_id) + "#police")
    if saved is not None:
        return saved
    return render_template("police/regrade.html", form=form, episode=episode)
