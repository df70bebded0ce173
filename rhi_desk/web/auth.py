"""Sign-in, first-run set-up, session locking and role checks."""
from __future__ import annotations

import json
import secrets
import time
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovPasswordInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import EqualTo, InputRequired, Length

from rhi_desk import accounts, audit, installs
from rhi_desk.clock import now_iso
from rhi_desk.db import get_db, install, write_transaction

bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = {"auth.sign_in", "auth.setup", "static", "govuk_assets"}


class SignInForm(FlaskForm):
    username = StringField("Username", widget=GovTextInput(),
                           validators=[InputRequired(message="Enter your username")])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             validators=[InputRequired(message="Enter your password")])
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class SetUpForm(FlaskForm):
    role = RadioField("What is this install for?", widget=GovRadioInput(),
                      choices=list(installs.INSTALL_ROLES.items()),
                      validators=[InputRequired(message="Choose hub or field")])
    la_name = StringField("Council", widget=GovTextInput(),
                          validators=[InputRequired(message="Enter the council's name")])
    install_name = StringField("Name of this install", widget=GovTextInput(),
                               description="For example 'Missing team' or 'Safe Steps RHI service'",
                               validators=[InputRequired(message="Enter a name for this install")])
    username = StringField("Administrator's username", widget=GovTextInput(),
                           validators=[InputRequired(message="Enter a username for the administrator")])
    display_name = StringField("Administrator's full name", widget=GovTextInput(),
                               validators=[InputRequired(message="Enter the administrator's full name")])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             description=f"At least {accounts.MIN_PASSWORD_LENGTH} characters",
                             validators=[InputRequired(message="Enter a password"),
                                         Length(min=accounts.MIN_PASSWORD_LENGTH,
                                                message=f"Enter a password of at least "
                                                        f"{accounts.MIN_PASSWORD_LENGTH} characters")])
    confirm = PasswordField("Confirm password", widget=GovPasswordInput(),
                            validators=[InputRequired(message="Enter the password again"),
                                        EqualTo("password", message="Enter the same password twice")])
    submit = SubmitField("Create administrator", widget=GovSubmitInput())


def roles_required(*roles):
    """Allow a view only to users whose role is one of ``roles`` (admins always pass)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = g.get("user")
            if user is None:
                return redirect(url_for("auth.sign_in", next=request.full_path))
            if user["role"] != "admin" and user["role"] not in roles:
                audit.record(get_db(), "access.refused", username=user["username"], detail=request.path)
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


def require_sign_in():
    """Before every request: only sign-in, set-up and static files are open to anyone."""
    g.user = None
    endpoint = request.endpoint
    if endpoint in ("static", "govuk_assets"):
        return None
    db = get_db()
    g.install = install(db)
    if not accounts.has_users(db):
        if endpoint == "auth.setup":
            return None
        return redirect(url_for("auth.setup"))
    user_id = session.get("user_id")
    user = accounts.get_user_by_id(db, user_id) if user_id else None
    if user is not None and user["active"]:
        idle = time.time() - session.get("last_seen", 0)
        expired = session.get("boot") != current_app.config["BOOT_ID"]
        locked = idle > current_app.config["IDLE_LOCK_MINUTES"] * 60
        if not expired and not locked and not session.get("locked"):
            session["last_seen"] = time.time()
            g.user = user
            return None
        if not session.get("locked"):
            session["locked"] = True
            audit.record(db, "session.locked", username=user["username"],
                         detail="app restarted" if expired else "idle")
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    if request.method == "POST":
        _rescue_form(db)
        flash("You were signed out before that page was saved. Sign in and your answers will be offered back.")
    next_url = request.full_path if request.method == "GET" else request.path
    return redirect(url_for("auth.sign_in", next=next_url))


def _rescue_form(db) -> None:
    """Hold the posted answers until the same browser signs in again."""
    key = session.setdefault("rescue_key", secrets.token_urlsafe(16))
    fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    if not fields:
        return
    with write_transaction(db):
        db.execute("insert into form_rescue (rescue_key, path, form_json, created_at) values (?, ?, ?, ?)",
                   [key, request.path, json.dumps(fields), now_iso()])


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Sign in with a username and password."""
    db = get_db()
    form = SignInForm()
    message = None
    locked_user = None
    if session.get("locked") and session.get("user_id"):
        locked_user = accounts.get_user_by_id(db, session["user_id"])
        if locked_user and request.method == "GET":
            form.username.data = locked_user["username"]
    if form.validate_on_submit():
        result = accounts.sign_in(db, form.username.data, form.password.data)
        if result.user:
            rescue_key = session.get("rescue_key")
            session.clear()
            session["user_id"] = result.user["id"]
            session["boot"] = current_app.config["BOOT_ID"]
            session["last_seen"] = time.time()
            if rescue_key:
                session["rescue_key"] = rescue_key
            rescued = _take_rescued(db, rescue_key) if rescue_key else None
            if rescued:
                return render_template("errors/csrf.html", fields=json.loads(rescued["form_json"]),
                                       action=rescued["path"], rescued=True)
            return redirect(_safe_next(request.args.get("next")))
        message = result.message
    return render_template("auth/sign_in.html", form=form, message=message, locked_user=locked_user)


def _take_rescued(db, key: str):
    rows = list(db.query("select * from form_rescue where rescue_key = ? order by id desc limit 1", [key]))
    if not rows:
        return None
    with write_transaction(db):
        db.execute("delete from form_rescue where rescue_key = ?", [key])
    return rows[0]


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    """End the session."""
    if g.user:
        audit.record(get_db(), "sign_out", username=g.user["username"])
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


@bp.route("/lock", methods=["POST"])
def lock():
    """Lock the screen now (for stepping away from the laptop); unlocking returns to the same page."""
    session["locked"] = True
    target = request.form.get("next")
    return redirect(url_for("auth.sign_in", next=_safe_next(target)) if target else url_for("auth.sign_in"))


@bp.route("/set-up", methods=["GET", "POST"])
def setup():
    """First run: create the first administrator (and choose hub or field if not yet set)."""
    db = get_db()
    if accounts.has_users(db):
        return redirect(url_for("auth.sign_in"))
    current = install(db)
    form = SetUpForm()
    if current:
        # Already initialised from the command line: only the administrator is needed.
        for name in ("role", "la_name", "install_name"):
            delattr(form, name)
    error = None
    if form.validate_on_submit():
        try:
            if not current:
                installs.initialise(db, form.role.data, form.la_name.data, form.install_name.data)
            accounts.create_user(db, form.username.data, form.password.data, "admin",
                                 display_name=form.display_name.data, by="set-up")
        except (accounts.AccountError, installs.InstallError) as exc:
            error = str(exc)
        else:
            flash("Administrator created. Sign in to continue.")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/setup.html", form=form, current=current, error=error)
