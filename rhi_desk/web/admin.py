"""Administration: users and the audit log."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from rhi_desk import accounts, audit
from rhi_desk.db import get_db
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
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired(message="Enter a password"),
                                         Length(min=accounts.MIN_PASSWORD_LENGTH,
                                                message=f"Enter a password of at least "
                                                        f"{accounts.MIN_PASSWORD_LENGTH} characters")])
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


@bp.route("/audit")
@roles_required("admin", "manager")
def audit_log():
    """The newest audit entries, optionally for one record."""
    entries = audit.entries(get_db(), object_type=request.args.get("type") or None,
                            object_id=request.args.get("id") or None, limit=500)
    return render_template("admin/audit.html", entries=entries)
