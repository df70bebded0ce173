"""Sign-in, first-run set-up, session locking and role checks."""
from __future__ import annotations

import json
import time
from datetime import timedelta
from functools import wraps
from urllib.parse import unquote, urlsplit

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
from wtforms.validators import InputRequired

from rhi_desk import accounts, audit, installs
from rhi_desk.clock import now, now_iso
from rhi_desk.db import get_db, install, write_transaction
from rhi_desk.service import address_limits
from rhi_desk.web import forms

bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = {"auth.sign_in", "auth.setup", "static", "govuk_assets"}
# A rescued form is offered back to the same user within a working day, never later.
RESCUE_FOR = timedelta(hours=8)


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
    password = forms.new_password(description=f"At least {accounts.MIN_PASSWORD_LENGTH} characters")
    confirm = forms.password_again()
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
    """Before every request: only sign-in, set-up and static files are open to anyone.

    A session is the user's only while its generation is the user's current one: sign-out, lock and
    a change of password, role or active flag bump it (``accounts.end_sessions``), so every copy of an
    earlier cookie is refused.
    """
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
    current = (user is not None and user["active"]
               and session.get("gen") == accounts.session_generation(user))
    if current and user["must_change_password"] and endpoint not in (
            "auth.change_password", "auth.sign_out", "auth.lock"):
        # After an administrator's reset: nothing else opens until the user has chosen their own password.
        return redirect(url_for("auth.change_password"))
    if current:
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
                         detail={"reason": "app restarted" if expired else "idle"})
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    if request.method == "POST":
        # Only a session this browser was really given (its generation still current, or locked here
        # by the Lock button) may leave answers to be offered back, and only to the same user.
        if user is not None and user["active"] and (current or session.get("locked")):
            _rescue_form(db, user["id"])
            flash("You were signed out before that page was saved. Sign in and your answers will be offered back.")
        else:
            flash("You were signed out before that page was saved. Sign in and enter it again.")
    next_url = request.full_path if request.method == "GET" else request.path
    return redirect(url_for("auth.sign_in", next=next_url))


def _is_secret_field(name: str) -> bool:
    """Password fields are never kept or echoed back."""
    name = name.lower()
    return "password" in name or name in ("confirm", "csrf_token")


def _rescue_form(db, user_id: int) -> None:
    """Hold the posted answers (never a password) until the same user signs in again, within the day."""
    fields = [(k, v) for k, v in request.form.items(multi=True) if not _is_secret_field(k)]
    if not fields:
        return
    with write_transaction(db):
        _forget_old_rescues(db)
        db.execute("insert into form_rescue (rescue_key, user_id, path, form_json, created_at) "
                   "values (?, ?, ?, ?, ?)", [str(user_id), user_id, request.path, json.dumps(fields), now_iso()])


def _forget_old_rescues(db) -> None:
    cutoff = (now() - RESCUE_FOR).strftime("%Y-%m-%d %H:%M:%S")
    db.execute("delete from form_rescue where created_at < ?", [cutoff])


def is_local_path(target: str | None) -> bool:
    """True for a plain path on this app (``/children?page=2``), never another site in disguise.

    Checked as given and once percent-decoded: no control characters, spaces or backslashes (a
    browser drops a tab, so ``/<tab>/evil.example`` would become ``//evil.example``), no scheme, no host.
    """
    if not target:
        return False
    for form in (target, unquote(target)):
        if not form.startswith("/") or form.startswith(("//", "/\\")):
            return False
        if any(ch.isspace() or ord(ch) < 32 or ord(ch) > 126 or ch == "\\" for ch in form):
            return False
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return False
    return True


def _safe_next(target: str | None) -> str:
    return target if is_local_path(target) else url_for("home.index")


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
        refused = address_limits.refusal(db, request.remote_addr)
        if refused:
            return render_template("auth/sign_in.html", form=form, message=refused, locked_user=locked_user)
        result = accounts.sign_in(db, form.username.data, form.password.data)
        if not result.user:
            address_limits.record_failure(db, request.remote_addr)
        if result.user:
            session.clear()
            session["user_id"] = result.user["id"]
            session["gen"] = accounts.session_generation(result.user)
            session["boot"] = current_app.config["BOOT_ID"]
            session["last_seen"] = time.time()
            if result.user["must_change_password"]:
                return redirect(url_for("auth.change_password", next=_safe_next(request.args.get("next"))))
            rescued = _take_rescued(db, result.user["id"])
            if rescued:
                return render_template("errors/csrf.html", fields=json.loads(rescued["form_json"]),
                                       action=rescued["path"], rescued=True)
            return redirect(_safe_next(request.args.get("next")))
        message = result.message
    return render_template("auth/sign_in.html", form=form, message=message, locked_user=locked_user)


def _take_rescued(db, user_id: int):
    """The newest answers this user left unsaved today (removing them), or None."""
    with write_transaction(db):
        _forget_old_rescues(db)
        rows = list(db.query("select * from form_rescue where user_id = ? order by id desc limit 1", [user_id]))
        db.execute("delete from form_rescue where user_id = ?", [user_id])
    if not rows or not is_local_path(rows[0]["path"]):
        return None
    return rows[0]


class ChangePasswordForm(FlaskForm):
    password = forms.new_password("New password", "Enter a new password",
                                  description=f"At least {accounts.MIN_PASSWORD_LENGTH} characters")
    confirm = forms.password_again("Confirm new password", "Enter the new password again")
    submit = SubmitField("Set my password", widget=GovSubmitInput())


@bp.route("/set-password", methods=["GET", "POST"])
def change_password():
    """After an administrator's reset: the user chooses their own password before anything else."""
    form = ChangePasswordForm()
    error = None
    if form.validate_on_submit():
        try:
            accounts.set_own_password(get_db(), g.user["id"], form.password.data)
        except accounts.AccountError as exc:
            error = str(exc)
        else:
            # The new password ended every other copy of this session; this one carries on.
            session["gen"] = accounts.session_generation(accounts.get_user_by_id(get_db(), g.user["id"]))
            flash("Your new password is set.")
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/set_password.html", form=form, error=error)


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    """End the session, and every copy of it."""
    if g.user:
        with write_transaction(get_db()):
            accounts.end_sessions(get_db(), g.user["id"], by=g.user["username"], record=False)
            audit.record(get_db(), "sign_out", username=g.user["username"])
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.sign_in"))


@bp.route("/lock", methods=["POST"])
def lock():
    """Lock the screen now (for stepping away from the laptop): every copy of the session ends;
    unlocking returns to the same page."""
    if g.user:
        accounts.end_sessions(get_db(), g.user["id"], reason="locked", by=g.user["username"])
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
            # One transaction: simultaneous set-ups make one install and one administrator.
            with write_transaction(db):
                if not current:
                    installs.initialise(db, form.role.data, form.la_name.data, form.install_name.data)
                accounts.create_user(db, form.username.data, form.password.data, "admin",
                                     display_name=form.display_name.data, by="set-up", first_admin=True)
        except (accounts.AccountError, installs.InstallError) as exc:
            error = str(exc)
        else:
            flash("Administrator created. Sign in to continue.")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/setup.html", form=form, current=current, error=error)


def refuse_off_hub():
    """A before_request for the hub's own pages (the register, its imports, actions, meetings, providers,
    police data): a field install holds no register, so there they are "Page not found"."""
    if g.get("install") is not None and g.install["role"] != "hub":
        abort(404)
