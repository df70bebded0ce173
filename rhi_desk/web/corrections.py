"""Corrections pages (the missing team): void a duplicate episode, reopen one closed in error, correct an
episode's status, and record why an RHI was not done from the coded list. Thin views over register.corrections."""
from __future__ import annotations

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
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import BooleanField, RadioField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional

from rhi_desk.db import get_db
from rhi_desk.register import corrections, rhi_tracking, rules
from rhi_desk.register import episodes as register_episodes
from rhi_desk.register.rules import RegisterError
from rhi_desk.web import forms
from rhi_desk.web.auth import roles_required

bp = Blueprint("corrections", __name__)

CHANGE_ROLES = ("missing_team",)  # administrators always pass roles_required


class ReasonForm(FlaskForm):
    """A correction that needs only a reason."""

    reason = TextAreaField("Why are you making this correction?", widget=GovTextArea(),
                           description="This is kept in the audit log with your name.")
    submit = SubmitField("Make the correction", widget=GovSubmitInput())


class StatusForm(ReasonForm):
    """The child's status during the episode."""

    looked_after = BooleanField("Looked after during this episode", widget=GovCheckboxInput())
    other_la = BooleanField("Looked after by another council (OLA)", widget=GovCheckboxInput())
    placement = RadioField("Placement during the episode", widget=GovRadioInput(), validators=[Optional()],
                           choices=list(rules.PLACEMENTS.items()))


class NotDoneForm(FlaskForm):
    """Why the RHI was not done."""

    code = RadioField("Why was the interview not done?", widget=GovRadioInput(),
                      choices=[(k, v[0]) for k, v in corrections.NOT_DONE_CODES.items()],
                      validators=[InputRequired(message="Choose why the interview was not done")])
    text = TextAreaField("More detail", widget=GovTextArea(), description="Needed for Other.")
    submit = SubmitField("Save", widget=GovSubmitInput())


def _episode_or_404(episode_id: str) -> dict:
    episode = register_episodes.get_episode(get_db(), episode_id)
    if episode is None:
        abort(404)
    return episode


def _place(form, exc: RegisterError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    (field if field is not None else form.submit).errors = [str(exc)]


def _reason_page(episode_id: str, action, title: str, words: str):
    episode = _episode_or_404(episode_id)
    form = ReasonForm()
    saved = forms.save(form, lambda: action(get_db(), episode_id, reason=form.reason.data, by=g.user["username"]),
                       errors=RegisterError, fields={}, default="reason",
                       done=f"{title}: done. The reason is kept in the audit log.",
                       then=lambda: url_for("register.episode", episode_id=episode_id))
    if saved is not None:
        return saved
    return render_template("corrections/reason.html", form=form, episode=episode, title=title, words=words)


@bp.route("/episodes/<episode_id>/void", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def void(episode_id):
    """Void an episode recorded twice or in error."""
    return _reason_page(episode_id, corrections.void_episode, "Void this episode",
                        "The episode stays on the child's record, struck through, and is counted nowhere.")


@bp.route("/episodes/<episode_id>/restore", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def restore(episode_id):
    """Undo a void made in error."""
    return _reason_page(episode_id, corrections.restore_episode, "Undo the void",
                        "The episode counts again in every figure, list and export from now on. Figures as "
                        "recorded on a day while it was voided still leave it out.")


@bp.route("/episodes/<episode_id>/reopen", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def reopen(episode_id):
    """Reopen an episode whose return was recorded in error."""
    return _reason_page(episode_id, corrections.reopen_episode, "Reopen this episode",
                        "The return is taken off: the child is shown as missing again from this episode.")


@bp.route("/episodes/<episode_id>/status", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def status(episode_id):
    """Correct the child's looked-after, OLA and placement status during the episode."""
    episode = _episode_or_404(episode_id)
    form = StatusForm(data={"looked_after": bool(episode["looked_after"]), "other_la": bool(episode["other_la"]),
                            "placement": episode["placement"]} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            corrections.correct_status(get_db(), episode_id, looked_after=form.looked_after.data,
                                       other_la=form.other_la.data, placement=form.placement.data,
                                       reason=form.reason.data, by=g.user["username"])
        except RegisterError as exc:
            _place(form, exc)
        else:
            flash("The status during the episode is corrected. The reason is kept in the audit log.")
            return redirect(url_for("register.episode", episode_id=episode_id))
    return render_template("corrections/status.html", form=form, episode=episode)


@bp.route("/episodes/<episode_id>/rhis/<rhi_id>/not-done", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def not_done(episode_id, rhi_id):
    """Record why an RHI was not done, from the coded list."""
    episode = _episode_or_404(episode_id)
    if rhi_tracking.get_rhi(get_db(), rhi_id) is None:
        abort(404)
    form = NotDoneForm()
    if form.validate_on_submit():
        try:
            corrections.record_not_done(get_db(), rhi_id, form.code.data, text=form.text.data, by=g.user["username"])
        except RegisterError as exc:
            _place(form, exc)
        else:
            flash("Why the interview was not done is recorded.")
            return redirect(url_for("register.episode", episode_id=episode_id))
    return render_template("corrections/not_done.html", form=form, episode=episode)
