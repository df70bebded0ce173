"""Administration: users and the audit log."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import InputRequired

from rhi_desk import accounts
from rhi_desk.db import get_db
from rhi_desk.service import governance
from rhi_desk.web import forms
from rhi_desk.web.auth import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


class AddUserForm(FlaskForm):
    username = StringField("Username", widget=GovTextInput(),
                           validators=[InputRequired(message="Enter a username")])
    display_name = StringField("Full name", widget=GovTextInput(),
                               validators=[InputRequired(message="Enter the person's full name")])
    role = SelectField("Role", widget=GovSelect(), choices=list(accounts.ROLES.items()),
                       validators=[InputRequired(message="Choose a role")])
    organisation = StringField("Organisation (RHI providers only)", widget=GovTextInput())
    password = forms.new_password()
    submit = SubmitField("Add user", widget=GovSubmitInput())


@bp.route("/users", methods=["GET", "POST"])
@roles_required("admin")
def users():
    """List users and add one."""
    db = get_db()
    form = AddUserForm()
    error = None
    if form.validate_on_submit():
        try:
            accounts.create_user(db, form.username.data, form.password.data, form.role.data,
                                 display_name=form.display_name.data,
                                 organisation=form.organisation.data or None, by=g.user["username"])
        except accounts.AccountError as exc:
            error = str(exc)
        else:
            flash(f"User {form.username.data} added.")
            return redirect(url_for("admin.users"))
    return render_template("admin/users.html", form=form, users=accounts.list_users(db),
                           roles=accounts.ROLES, error=error)


@bp.route("/users/<username>/unlock", methods=["POST"])
@roles_required("admin")
def unlock(username):
    """Clear a user's lock-out."""
    accounts.unlock(get_db(), username, by=g.user["username"])
    flash(f"{username} can sign in again.")
    return redirect(url_for("admin.users"))


@bp.route("/users/<username>", methods=["GET", "POST"])
@roles_required("admin")
def user(username):
    """One user: change their role, disable or enable them, reset their password."""
    db = get_db()
    person = accounts.get_user(db, username)
    if person is None:
        abort(404)
    error = temporary = None
    if request.method == "POST":
        action = request.form.get("action")
        by = g.user["username"]
        try:
            if action == "role":
                accounts.change_role(db, username, request.form.get("role", ""), by=by)
                flash(f"{person['display_name']} is now {accounts.ROLES[request.form['role']]}.")
            elif action in ("disable", "enable"):
                if action == "disable" and person["id"] == g.user["id"]:
                    raise accounts.AccountError("You cannot disable your own account while signed in with it")
                accounts.set_active(db, username, action == "enable", by=by)
                flash(f"{person['display_name']} can no longer sign in: any session they had open has ended."
                      if action == "disable" else f"{person['display_name']} can sign in again.")
            elif action == "reset":
                temporary = accounts.reset_password(db, username, by=by)
            else:
                abort(400)
        except accounts.AccountError as exc:
            error = str(exc)
        else:
            if temporary is None:
                return redirect(url_for("admin.user", username=username))
        person = accounts.get_user(db, username)
    return render_template("admin/user.html", person=person, roles=accounts.ROLES, error=error,
                           temporary=temporary, me=person["id"] == g.user["id"])


@bp.route("/audit")
@roles_required("admin", "manager")
def audit_log():
    """The audit log, filtered by child, user, action and dates, paged through every entry."""
    db = get_db()
    args = request.args
    filters = {name: (args.get(name) or "").strip() or None
               for name in ("child_id", "username", "action", "date_from", "date_to")}
    if args.get("type") == "child" and args.get("id"):  # the links from a child's page
        filters["child_id"] = args["id"]
    errors = {name: "Enter the date as YYYY-MM-DD, for example 2026-11-02" for name in ("date_from", "date_to")
              if filters[name] and not _is_date(filters[name])}
    for name in errors:
        filters[name] = None
    before = args.get("before", type=int)
    page = governance.search_audit(db, before=before, **filters)
    return render_template("admin/audit.html", page=page, filters=filters, errors=errors, before=before,
                           actions=governance.actions(db),
                           users=[u["username"] for u in accounts.list_users(db)])


def _is_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


@bp.route("/subject-access", methods=["GET", "POST"])
@roles_required("admin", "manager")
def subject_access():
    """Export everything held about one child into one file, for a subject access request."""
    db = get_db()
    error = None
    child_id = (request.form.get("child_id") or "").strip()
    if request.method == "POST":
        if not child_id:
            error = "Enter the child's id"
        else:
            try:
                export = governance.subject_access(db, child_id, by=g.user["username"])
            except governance.GovernanceError as exc:
                error = str(exc)
            else:
                body = json.dumps(export, indent=2, ensure_ascii=False, default=str)
                name = f"subject-access-{export['child_id']}-{export['exported_at'][:10]}.json"
                return Response(body, mimetype="application/json",
                                headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return render_template("admin/subject_access.html", error=error, child_id=child_id)
