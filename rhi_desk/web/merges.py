"""Merging duplicates (the missing team) and undoing a merge (an administrator). Thin views over register.merges."""
from __future__ import annotations

import json

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextArea, GovTextInput
from wtforms import RadioField, StringField, SubmitField, TextAreaField

from rhi_desk.db import get_db
from rhi_desk.register import children as register_children
from rhi_desk.register import episodes as register_episodes
from rhi_desk.register import merges
from rhi_desk.register.rules import RegisterError
from rhi_desk.web import forms
from rhi_desk.web.auth import refuse_off_hub, roles_required

bp = Blueprint("merges", __name__)
bp.before_request(refuse_off_hub)  # the register is the hub's

MERGE_ROLES = ("missing_team",)  # administrators always pass roles_required


class ChildMergeForm(FlaskForm):
    other = StringField("The duplicate record's child id", widget=GovTextInput(),
                        description="Its episodes, interviews and everything else move to this record.")
    reason = TextAreaField("Why are these one child?", widget=GovTextArea(),
                           description="Kept in the audit log with your name.")
    submit = SubmitField("Merge the records", widget=GovSubmitInput())


class EpisodeMergeForm(FlaskForm):
    other = RadioField("Which episode is the same absence?", widget=GovRadioInput(), choices=[])
    reason = TextAreaField("Why are these one episode?", widget=GovTextArea(),
                           description="Kept in the audit log with your name.")
    submit = SubmitField("Merge the episodes", widget=GovSubmitInput())


class UndoForm(FlaskForm):
    submit = SubmitField("Undo this merge", widget=GovSubmitInput())


MERGE_FIELDS = {"reason": "reason", "other": "other"}  # a refusal is shown by the question it is about


@bp.route("/children/<child_id>/merge", methods=["GET", "POST"])
@roles_required(*MERGE_ROLES)
def merge_child(child_id):
    """Merge a duplicate child record into this one."""
    db = get_db()
    child = register_children.get_child(db, child_id)
    if child is None or child["merged_into"]:
        abort(404)
    form = ChildMergeForm()
    other = None
    if form.validate_on_submit():
        other = register_children.get_child(db, (form.other.data or "").strip())
        if other is None:
            form.other.errors = [f"There is no child with the id {form.other.data}. Check the id on their record."]
        elif request.form.get("confirmed") != "yes" and other["child_id"] != child["child_id"]:
            # First press: show both records side by side before anything moves.
            moves = db.execute("select count(*) from episodes where child = ?", [other["id"]]).fetchone()[0]
            return render_template("merges/child.html", form=form, child=child, other=other, moves=moves)
        else:
            try:
                merges.merge_children(db, child_id, other["child_id"], reason=form.reason.data, by=g.user["username"])
            except RegisterError as exc:
                forms.show_error(form, exc, MERGE_FIELDS, "other")
            else:
                flash(f"{other['child_id']} is merged into {child_id}. An administrator can undo it.")
                return redirect(url_for("register.child", child_id=child_id))
    return render_template("merges/child.html", form=form, child=child, other=None, moves=None)


@bp.route("/episodes/<episode_id>/merge", methods=["GET", "POST"])
@roles_required(*MERGE_ROLES)
def merge_episode(episode_id):
    """Merge another episode of the same child into this one."""
    db = get_db()
    episode = register_episodes.get_episode(db, episode_id)
    if episode is None or episode["voided_at"]:
        abort(404)
    form = EpisodeMergeForm()
    others = [e for e in register_episodes.timeline(db, episode["child_id"])
              if e.episode["episode_id"] != episode_id and not e.episode["voided_at"]]
    form.other.choices = [(e.episode["episode_id"], f"{e.episode['episode_id']}: last seen {e.episode['start']}"
                           f"{', returned ' + e.episode['end'] if e.episode['end'] else ', missing now'}")
                          for e in others]
    saved = forms.save(form, lambda: merges.merge_episodes(
        db, episode_id, form.other.data, reason=form.reason.data, by=g.user["username"]),
        errors=RegisterError, fields=MERGE_FIELDS, default="other",
        done=f"Episode {form.other.data} is merged into {episode_id}. An administrator can undo it.",
        then=lambda: url_for("register.episode", episode_id=episode_id))
    if saved is not None:
        return saved
    if request.method == "POST" and not form.other.data:
        form.other.errors = ["Choose the episode that is the same absence"]
    return render_template("merges/episode.html", form=form, episode=episode, others=others)


@bp.route("/merges")
@roles_required("missing_team", "manager")
def index():
    """Every merge, newest first; an administrator can undo one."""
    rows = merges.merges(get_db())
    for row in rows:
        moved = json.loads(row["moved"])
        row["moved_count"] = (sum(len(v["rows"]) for v in moved.values()) if row["kind"] == "child"
                              else len(moved.get("rhis_linked", [])))
    return render_template("merges/index.html", rows=rows, form=UndoForm(), can_undo=g.user["role"] == "admin")


@bp.route("/merges/<int:merge_id>/undo", methods=["POST"])
@roles_required()  # administrators only
def undo(merge_id):
    form = UndoForm()
    if form.validate_on_submit():
        try:
            merge = merges.undo_merge(get_db(), merge_id, by=g.user["username"])
        except RegisterError as exc:
            flash(str(exc))
        else:
            flash(f"The merge of {merge['merged']} into {merge['kept']} is undone: what it moved is back.")
    return redirect(url_for("merges.index"))
