"""The actions pages: the actions due (also on Today and a child's page), recording one as done,
referrals and their outcomes, and short targeted interventions.

Thin views over :mod:`rhi_desk.actions.due` and :mod:`rhi_desk.actions.referrals`.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSelect, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Optional

from rhi_desk import audit
from rhi_desk.actions import due as actions_due
from rhi_desk.actions import referrals
from rhi_desk.clock import now
from rhi_desk.db import get_db
from rhi_desk.register.children import get_child
from rhi_desk.register.rules import RegisterError
from rhi_desk.web.auth import refuse_off_hub, roles_required
from rhi_desk.web import forms
from rhi_desk.web.forms import GovDateField, TimeField, moment

bp = Blueprint("actions", __name__)

CHANGE_ROLES = ("missing_team",)
READ_ROLES = ("missing_team", "manager")


bp.before_request(refuse_off_hub)  # the hub's own pages


@bp.app_context_processor
def _actions_globals():
    def actions_due_now():
        """Every action due now, for Today (computed once per page)."""
        if "actions_due" not in g:
            g.actions_due = actions_due.due(get_db())
        return g.actions_due

    def child_actions(child_pk: int) -> dict:
        """A child's actions due and done, referrals and interventions, for the child's page."""
        db = get_db()
        return {"due": actions_due.due(db, child_pk=child_pk), "done": actions_due.done_for_child(db, child_pk),
                "referrals": referrals.referrals_for_child(db, child_pk),
                "interventions": referrals.interventions_for_child(db, child_pk)}

    def intervention_outcomes() -> list[dict]:
        """Targeted interventions by status against later episodes, for the dashboard."""
        return referrals.intervention_outcomes(get_db())

    return {"actions_due_now": actions_due_now, "child_actions": child_actions,
            "intervention_outcomes": intervention_outcomes,
            "action_kinds": actions_due.KINDS, "referral_kinds": referrals.REFERRAL_KINDS,
            "intervention_statuses": referrals.INTERVENTION_STATUSES}


@bp.route("/actions")
@roles_required(*CHANGE_ROLES)
def index():
    """Every action due, soonest deadline first, overdue ones marked."""
    db = get_db()
    listing = actions_due.due(db)
    audit.record(db, "actions.list", username=g.user["username"],
                 detail={"due": len(listing), "overdue": sum(a.overdue for a in listing)})
    return render_template("actions/index.html", actions=listing, at=now())


class DoneForm(FlaskForm):
    done_date = GovDateField("Date done", required="Enter the date it was done",
                             invalid="The date must be a real date, for example 5 4 2017",
                             description="For example, 5 4 2017")
    done_time = TimeField("Time done", required="Enter the time it was done", invalid="Enter the time like 10:30")
    done_by = StringField("Who did it?", widget=GovTextInput(),
                          validators=[InputRequired(message="Enter who did it")])
    how = RadioField("How?", widget=GovRadioInput(), choices=[], validators=[Optional()])
    to_whom = StringField("Who was told?", widget=GovTextInput(),
                          description="Their name, and their council or service")
    outcome = RadioField("What did the responsible council report?", widget=GovRadioInput(),
                         choices=list(actions_due.OLA_OUTCOMES.items()), validators=[Optional()])
    notes = TextAreaField("Notes (optional)", widget=GovTextArea(),
                          description="What was decided or agreed, any reference number")
    submit = SubmitField("Save", widget=GovSubmitInput())


_FIELDS = {"done_at": "done_date", "done_by": "done_by", "how": "how", "to_whom": "to_whom",
           "outcome": "outcome", "kind": "notes"}


@bp.route("/actions/<key>/done", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def record_done(key):
    """Record that an action was done: when, who, how, to whom."""
    db = get_db()
    action = actions_due.find(db, key)
    if action is None:
        flash("That action is no longer due: it has been recorded already.")
        return redirect(url_for("actions.index"))
    if action.kind == "rhi_offer":
        return redirect(url_for("register.episode", episode_id=action.episode_id))
    form = DoneForm(data={"done_by": g.user["display_name"], "to_whom": action.to_whom} if request.method == "GET"
                    else None)
    if action.kind == "strategy":
        form.how.choices = list(actions_due.STRATEGY_FORMS.items())
        form.how.label.text = "Was it a meeting or a discussion?"
    else:
        form.how.choices = list(actions_due.NOTICE_METHODS.items())
        form.how.label.text = "How were they told?"
    back = request.args.get("next", "")
    saved = forms.save(form, lambda: actions_due.record_done(
        db, key, done_at=moment(form.done_date, form.done_time), done_by=form.done_by.data,
        how=form.how.data or None, to_whom=form.to_whom.data, outcome=form.outcome.data or None,
        notes=form.notes.data, by=g.user["username"]),
        errors=RegisterError, fields=_FIELDS, default="done_date",
        done=f"Recorded: {action.label.lower()} for {action.child_name or action.child_id}.",
        then=back if back.startswith("/") and not back.startswith("//") else url_for("actions.index"))
    if saved is not None:
        return saved
    return render_template("actions/done.html", form=form, action=action)


# ---------------------------------------------------------------------------------------------
# Referrals and interventions (from the child's page)


def _child_or_404(db, child_id):
    child = get_child(db, child_id)
    if child is None:
        abort(404)
    return child


class ReferralForm(FlaskForm):
    kind = RadioField("Who was the referral made to?", widget=GovRadioInput(),
                      choices=list(referrals.REFERRAL_KINDS.items()),
                      validators=[InputRequired(message="Choose who the referral was made to")])
    made_date = GovDateField("Date made", required="Enter the date the referral was made",
                             invalid="The date must be a real date, for example 5 4 2017",
                             description="For example, 5 4 2017")
    made_time = TimeField("Time made", required="Enter the time the referral was made",
                          invalid="Enter the time like 10:30")
    made_by = StringField("Who made it?", widget=GovTextInput(),
                          validators=[InputRequired(message="Enter who made the referral")])
    details = TextAreaField("Details (optional)", widget=GovTextArea())
    submit = SubmitField("Save referral", widget=GovSubmitInput())


@bp.route("/children/<child_id>/referrals/new", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def new_referral(child_id):
    """Record a referral made for the child."""
    db = get_db()
    child = _child_or_404(db, child_id)
    form = ReferralForm(data={"made_by": g.user["display_name"]} if request.method == "GET" else None)
    saved = forms.save(form, lambda: referrals.record_referral(
        db, child_id, form.kind.data, made_at=moment(form.made_date, form.made_time), made_by=form.made_by.data,
        details=form.details.data, by=g.user["username"]),
        errors=RegisterError, fields={"made_at": "made_date", "made_by": "made_by", "kind": "kind"},
        default="details", done="Referral recorded.",
        then=lambda: url_for("register.child", child_id=child_id) + "#referrals")
    if saved is not None:
        return saved
    return render_template("actions/referral_form.html", form=form, child=child)


class ReferralOutcomeForm(FlaskForm):
    outcome = TextAreaField("What came of the referral?", widget=GovTextArea(),
                            validators=[InputRequired(message="Enter what came of the referral")])
    outcome_date = GovDateField("Date known", required="Enter the date the outcome was known",
                                invalid="The date must be a real date, for example 5 4 2017",
                                description="For example, 5 4 2017")
    submit = SubmitField("Save outcome", widget=GovSubmitInput())


@bp.route("/referrals/<int:pk>/outcome", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def referral_outcome(pk):
    """Record what came of a referral."""
    db = get_db()
    referral = referrals.get_referral(db, pk)
    if referral is None:
        abort(404)
    form = ReferralOutcomeForm()
    saved = forms.save(form, lambda: referrals.record_referral_outcome(
        db, pk, form.outcome.data, outcome_at=form.outcome_date.data.isoformat(), by=g.user["username"]),
        errors=RegisterError, fields={"outcome_at": "outcome_date"}, default="outcome", done="Outcome recorded.",
        then=lambda: url_for("register.child", child_id=referral["child_id"]) + "#referrals")
    if saved is not None:
        return saved
    return render_template("actions/referral_outcome.html", form=form, referral=referral)


class InterventionForm(FlaskForm):
    name = StringField("Intervention offered", widget=GovTextInput(),
                       description="For example, 'Safer choices: 6 sessions with the youth worker'",
                       validators=[InputRequired(message="Enter the intervention offered")])
    offered_date = GovDateField("Date offered", required="Enter the date it was offered",
                                invalid="The date must be a real date, for example 5 4 2017",
                                description="For example, 5 4 2017")
    notes = TextAreaField("Notes (optional)", widget=GovTextArea())
    submit = SubmitField("Save intervention", widget=GovSubmitInput())


@bp.route("/children/<child_id>/interventions/new", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def new_intervention(child_id):
    """Record a short targeted intervention offered to the child."""
    db = get_db()
    child = _child_or_404(db, child_id)
    form = InterventionForm()
    saved = forms.save(form, lambda: referrals.offer_intervention(
        db, child_id, form.name.data, offered_on=form.offered_date.data.isoformat(), notes=form.notes.data,
        by=g.user["username"]),
        errors=RegisterError, fields={"offered_on": "offered_date", "name": "name"}, default="notes",
        done="Intervention recorded.", then=lambda: url_for("register.child", child_id=child_id) + "#interventions")
    if saved is not None:
        return saved
    return render_template("actions/intervention_form.html", form=form, child=child)


class InterventionMoveForm(FlaskForm):
    status = SelectField("What happened?", widget=GovSelect(), choices=[],
                         validators=[InputRequired(message="Choose what happened")])
    on_date = GovDateField("Date", required="Enter the date", invalid="The date must be a real date, for example 5 4 2017",
                           description="For example, 5 4 2017")
    submit = SubmitField("Save", widget=GovSubmitInput())


@bp.route("/interventions/<int:pk>", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def move_intervention(pk):
    """Move an intervention on: started, declined or completed."""
    db = get_db()
    item = referrals.get_intervention(db, pk)
    if item is None:
        abort(404)
    form = InterventionMoveForm()
    form.status.choices = [(s, referrals.INTERVENTION_STATUSES[s]) for s in referrals._NEXT[item["status"]]]
    if not form.status.choices:
        flash(f"This intervention is {item['status']}: it cannot change now.")
        return redirect(url_for("register.child", child_id=item["child_id"]) + "#interventions")
    saved = forms.save(form, lambda: referrals.move_intervention(
        db, pk, form.status.data, on=form.on_date.data.isoformat(), by=g.user["username"]),
        errors=RegisterError, fields={"on": "on_date"}, default="status", done="Intervention updated.",
        then=lambda: url_for("register.child", child_id=item["child_id"]) + "#interventions")
    if saved is not None:
        return saved
    return render_template("actions/intervention_move.html", form=form, item=item)
