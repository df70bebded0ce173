"""Send and receive: sync files, enrolled installs, the hub's inbox folder, and what was kept aside."""
from __future__ import annotations

import io
import json
import logging
import re
import secrets
import shutil
import threading
import time
from functools import wraps
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired

from rhi_desk import audit
from rhi_desk.db import connect, get_db
from rhi_desk.sync import fileformat, keys, status
from rhi_desk.sync import inbox as sync_inbox
from rhi_desk.sync import receive as sync_receive
from rhi_desk.sync import send as sync_send
from rhi_desk.web import activity, uploads
from rhi_desk.web.auth import roles_required

bp = Blueprint("sync", __name__, url_prefix="/sync")
log = logging.getLogger(__name__)

HUB_ROLES = ("admin", "missing_team")
FIELD_ROLES = ("admin", "practitioner", "provider")
INBOX_INTERVAL_SECONDS = 60


def sync_roles(hub_only: bool = False):
    """On the hub: admins and the missing team. On a field install: admins, social workers and providers."""

    def decorator(view):
        @roles_required("missing_team", "practitioner", "provider")
        @wraps(view)
        def wrapped(*args, **kwargs):
            hub = g.install and g.install["role"] == "hub"
            allowed = HUB_ROLES if hub else FIELD_ROLES
            if g.user["role"] not in allowed or (hub_only and not hub):
                audit.record(get_db(), "access.refused", username=g.user["username"], detail=request.path)
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


class ReceiveForm(FlaskForm):
    sync_file = FileField("Upload a file", widget=GovFileInput(),
                          description="A file ending in .rhisync, from a memory stick, a shared drive or secure e-mail",
                          validators=[InputRequired(message="Choose the .rhisync file to import")])
    submit = SubmitField("Import the file", widget=GovSubmitInput())


class SendForm(FlaskForm):
    to = SelectField("Who is the file for?", widget=GovSelect(), choices=[],
                     validators=[InputRequired(message="Choose the install to send to")])
    submit = SubmitField("Make the file", widget=GovSubmitInput())


class AssignForm(FlaskForm):
    episode_id = StringField("Episode id", widget=GovTextInput(),
                             description="The council's id for the episode, for example E-1001",
                             validators=[InputRequired(message="Enter the episode id")])
    to = SelectField("Field install", widget=GovSelect(), choices=[],
                     validators=[InputRequired(message="Choose the field install to assign it to")])
    submit = SubmitField("Assign", widget=GovSubmitInput())


class EnrolForm(FlaskForm):
    identity_file = FileField("Upload an identity file", widget=GovFileInput(),
                              description="The file made by 'Download this install's identity file' on the other "
                                          "install. Check its fingerprint with them by phone before you enrol it.",
                              validators=[InputRequired(message="Choose the identity file to enrol")])
    submit = SubmitField("Continue", widget=GovSubmitInput())


class InboxForm(FlaskForm):
    folder = StringField("Inbox folder", widget=GovTextInput(),
                         description="The full path of a folder where field installs' files arrive, for example "
                                     "a shared drive. Leave empty to stop watching.")
    submit = SubmitField("Save the inbox folder", widget=GovSubmitInput())


class ResolveForm(FlaskForm):
    keep = RadioField("Which version is right?", widget=GovRadioInput(),
                      choices=[("local", "Keep the hub's version"), ("incoming", "Take the version that arrived")],
                      validators=[InputRequired(message="Choose which version to keep")])
    submit = SubmitField("Resolve", widget=GovSubmitInput())


def _is_hub() -> bool:
    return bool(g.install and g.install["role"] == "hub")


def _targets(db, role: str | None = None) -> list[tuple[str, str]]:
    return [(r["name"], r["name"]) for r in keys.list_enrolled(db)
            if r["status"] == "active" and (role is None or r["role"] == role)]


@bp.route("/")
@sync_roles()
def index():
    """Send and receive: make a file, import a file, and what needs attention."""
    db = get_db()
    send_form, receive_form, assign_form = SendForm(), ReceiveForm(), AssignForm()
    send_form.to.choices = _targets(db)
    assign_form.to.choices = _targets(db, "field")
    sync_receive.purge_due(db, by=g.user["username"])
    return render_template(
        "sync/index.html", send_form=send_form, receive_form=receive_form, assign_form=assign_form,
        hub=_is_hub(), identity=keys.identity(db), enrolled=keys.list_enrolled(db), gaps=status.sequence_gaps(db),
        conflicts=status.conflicts(db) if _is_hub() else [], held=status.held(db) if _is_hub() else [],
        imports=status.imports(db, 10), sent=status.sent(db, 10), refusals=status.refusals(db, 5),
        result=_with_names(db, session.pop("sync_result", None)))


def _with_names(db, result: dict | None) -> dict | None:
    """A result kept in the session, with the children it changed named (where this install holds names)."""
    if result and result.get("children"):
        result = dict(result, named=[sync_receive.child_label(c)
                                     for c in sync_receive.children_named(db, result["children"])])
    return result


@bp.route("/send", methods=["POST"])
@sync_roles()
def send():
    """Make the next file for an enrolled install, then say what went into it (and offer it to download)."""
    db = get_db()
    form = SendForm()
    form.to.choices = _targets(db)
    if not form.validate_on_submit():
        session["sync_result"] = {"ok": False, "message": "Choose the install to send to."}
        return redirect(url_for("sync.index"))
    folder = _made_folder()
    try:
        made = sync_send.send(db, form.to.data, folder / secrets.token_hex(8), by=g.user["username"])
    except fileformat.SyncError as exc:
        session["sync_result"] = {"ok": False, "message": str(exc)}
        return redirect(url_for("sync.index"))
    # The file waits in this process's private folder for the download; the session holds only its name.
    token = secrets.token_hex(16)
    made.path.rename(folder / f"{token}.rhisync")
    made.path.parent.rmdir()
    (folder / f"{token}.json").write_text(json.dumps({
        "file_name": made.path.name, "recipient": made.recipient, "sequence": made.sequence, "kind": made.kind,
        "contents": made.contents, "children": made.named}), encoding="utf-8")
    session["sync_made"] = token
    return redirect(url_for("sync.made"))


def _made_folder() -> Path:
    folder = uploads.process_folder() / "made"
    folder.mkdir(mode=0o700, exist_ok=True)
    for old in folder.glob("*"):  # a file not downloaded within a day is made again, never kept
        if old.stat().st_mtime >= time.time() - 86400:
            continue
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
    return folder


def _made_token() -> str | None:
    token = session.get("sync_made")
    if not isinstance(token, str) or not re.fullmatch(r"[0-9a-f]{32}", token):
        return None
    return token if (_made_folder() / f"{token}.rhisync").is_file() else None


@bp.route("/made")
@sync_roles()
def made():
    """What went into the file just made, and the button that downloads it."""
    token = _made_token()
    if token is None:
        flash("The file you made is no longer waiting here. Make the file again.")
        return redirect(url_for("sync.index"))
    about = json.loads((_made_folder() / f"{token}.json").read_text(encoding="utf-8"))
    return render_template("sync/made.html", made=about, hub=_is_hub())


@bp.route("/made/file")
@sync_roles()
def made_file():
    """Download the file just made (as often as needed: a download that failed can be tried again)."""
    token = _made_token()
    if token is None:
        flash("The file you made is no longer waiting here. Make the file again.")
        return redirect(url_for("sync.index"))
    folder = _made_folder()
    about = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
    data = (folder / f"{token}.rhisync").read_bytes()
    return send_file(io.BytesIO(data), mimetype="application/octet-stream", as_attachment=True,
                     download_name=about["file_name"])


@bp.route("/receive", methods=["POST"])
@sync_roles()
def receive():
    """Import an uploaded file and show what happened, in plain words."""
    db = get_db()
    form = ReceiveForm()
    if not form.validate_on_submit() or not form.sync_file.data:
        session["sync_result"] = {"ok": False, "message": "Choose the .rhisync file to import."}
        return _after_post()
    upload = form.sync_file.data
    try:
        result = sync_receive.receive(db, upload.read(), file_name=Path(upload.filename or "upload").name,
                              by=g.user["username"])
        # Child ids only in the session (a cookie); their names are looked up when the page is shown.
        session["sync_result"] = {"ok": True, "message": result.counts_message, "already": result.already,
                                  "children": [c["child_id"] for c in result.children]}
    except fileformat.SyncRefused as refusal:
        session["sync_result"] = {"ok": False, "message": f"The file was not imported. {refusal}"}
    return _after_post()


def _after_post():
    # The upload script (sync-upload.js) asks for the next address instead of following a redirect,
    # so the result waiting in the session is shown on the page it opens, not used up by the upload.
    if request.headers.get("X-Sync-Upload"):
        return jsonify({"next": url_for("sync.index")})
    return redirect(url_for("sync.index"))


@bp.route("/assign", methods=["POST"])
@sync_roles(hub_only=True)
def assign():
    """Assign an episode's interview to an enrolled field install."""
    db = get_db()
    form = AssignForm()
    form.to.choices = _targets(db, "field")
    if form.validate_on_submit():
        try:
            rhi = sync_send.assign_episode(db, form.episode_id.data.strip(), form.to.data, by=g.user["username"])
        except fileformat.SyncError as exc:
            session["sync_result"] = {"ok": False, "message": str(exc)}
        else:
            session["sync_result"] = {"ok": True, "message": f"The interview for episode {form.episode_id.data} is "
                                                             f"assigned to {rhi['assigned_to']}. It goes in the "
                                                             "next file you make for them."}
    else:
        session["sync_result"] = {"ok": False, "message": "Enter the episode id and choose a field install."}
    return redirect(url_for("sync.index"))


@bp.route("/identity")
@sync_roles()
def identity():
    """Download this install's identity file (public keys only)."""
    db = get_db()
    ident = keys.identity(db)
    audit.record(db, "sync.identity_export", username=g.user["username"])
    name = f"{sync_send.slug(ident['name'])}.identity.json"
    return send_file(io.BytesIO(keys.identity_json(db).encode("utf-8")), mimetype="application/json",
                     as_attachment=True, download_name=name)


@bp.route("/installs", methods=["GET", "POST"])
@sync_roles()
def installs():
    """Enrolled installs: upload an identity file to enrol (confirmed on the next page); revoke one."""
    db = get_db()
    form = EnrolForm()
    error = None
    if request.method == "POST":
        _require_enrolment_rights()
    if form.validate_on_submit():
        data = form.identity_file.data.read(MAX_IDENTITY_BYTES + 1)
        try:
            if len(data) > MAX_IDENTITY_BYTES:
                raise keys.EnrolmentError("This is not an RHI Desk identity file: it is far too big. Ask for the "
                                          "file made by 'Download this install's identity file'.")
            seen = keys.check_enrolment(db, data)
        except keys.EnrolmentError as exc:
            error = str(exc)
        else:
            if seen["already"]:
                flash(f"{seen['name']} was already enrolled; nothing changed.")
                return redirect(url_for("sync.installs"))
            # The uploaded file waits in this process's private folder; only a random name for it is kept in
            # the session, so what is enrolled is exactly what was checked and shown, never a form field.
            token = secrets.token_hex(16)
            folder = _enrol_folder()
            for old in folder.glob("*.identity"):
                if old.stat().st_mtime < time.time() - 3600:
                    old.unlink(missing_ok=True)
            (folder / f"{token}.identity").write_bytes(data)
            _forget_pending()
            session["enrol_pending"] = token
            return redirect(url_for("sync.confirm_enrol"))
    return render_template("sync/installs.html", form=form, error=error, enrolled=keys.list_enrolled(db),
                           hub=_is_hub(), identity=keys.identity(db),
                           may_enrol=_is_hub() or g.user["role"] == "admin")


MAX_IDENTITY_BYTES = 64 * 1024


def _enrol_folder() -> Path:
    folder = uploads.process_folder() / "identities"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _pending_path() -> Path | None:
    token = session.get("enrol_pending")
    if not isinstance(token, str) or not re.fullmatch(r"[0-9a-f]{32}", token):
        return None
    path = _enrol_folder() / f"{token}.identity"
    return path if path.is_file() else None


def _forget_pending() -> None:
    path = _pending_path()
    if path is not None:
        path.unlink(missing_ok=True)
    session.pop("enrol_pending", None)


@bp.route("/installs/confirm", methods=["GET", "POST"])
@sync_roles()
def confirm_enrol():
    """Show the uploaded identity's name, role and fingerprint; enrol it only when the person confirms."""
    db = get_db()
    _require_enrolment_rights()
    path = _pending_path()
    if path is None:
        flash("There is no identity file waiting to be enrolled (it may have expired). Upload it again.")
        return redirect(url_for("sync.installs"))
    data = path.read_bytes()
    if request.method == "POST":
        if request.form.get("decision") != "enrol":
            _forget_pending()
            flash("Nothing was enrolled.")
            return redirect(url_for("sync.installs"))
        try:
            row = keys.enrol(db, data, by=g.user["username"])
        except keys.EnrolmentError as exc:
            _forget_pending()
            flash(f"Nothing was enrolled. {exc}")
            return redirect(url_for("sync.installs"))
        _forget_pending()
        flash(f"{row['name']} was already enrolled; nothing changed." if row["already"] else
              f"Enrolled {row['name']}. Fingerprint {row['fingerprint']}.")
        return redirect(url_for("sync.installs"))
    try:
        seen = keys.check_enrolment(db, data)
    except keys.EnrolmentError as exc:
        _forget_pending()
        flash(f"Nothing was enrolled. {exc}")
        return redirect(url_for("sync.installs"))
    return render_template("sync/confirm_enrol.html", seen=seen, hub=_is_hub())


def _require_enrolment_rights() -> None:
    # Deciding whose files a laptop trusts is for its administrator; on the hub, the missing team too.
    if not _is_hub() and g.user["role"] != "admin":
        audit.record(get_db(), "access.refused", username=g.user["username"], detail=request.path)
        abort(403)


@bp.route("/installs/<int:install_pk>/revoke", methods=["GET", "POST"])
@sync_roles()
def revoke(install_pk):
    """Confirm, then revoke an enrolled install."""
    db = get_db()
    rows = list(db.query("select * from sync_installs where id = ?", [install_pk]))
    if not rows:
        abort(404)
    target = rows[0]
    _require_enrolment_rights()
    if request.method == "POST":
        keys.revoke(db, target["name"], by=g.user["username"])
        flash(f"Revoked {target['name']}: files from it will be refused.")
        return redirect(url_for("sync.installs"))
    return render_template("sync/revoke.html", target=target)


@bp.route("/inbox", methods=["GET", "POST"])
@sync_roles(hub_only=True)
def inbox():
    """The hub's inbox folder: set it, and check it now."""
    db = get_db()
    form = InboxForm()
    error = None
    if request.method == "GET":
        form.folder.data = sync_inbox.inbox_folder(db) or ""
    elif form.validate_on_submit():
        try:
            sync_inbox.set_inbox_folder(db, form.folder.data, by=g.user["username"])
        except fileformat.SyncError as exc:
            error = str(exc)
        else:
            flash("The inbox folder was saved." if form.folder.data.strip() else "The inbox is no longer watched.")
            return redirect(url_for("sync.inbox"))
    return render_template("sync/inbox.html", form=form, error=error, folder=sync_inbox.inbox_folder(db),
                           results=[_with_names(db, r) for r in session.pop("inbox_results", None) or []])


@bp.route("/inbox/check", methods=["POST"])
@sync_roles(hub_only=True)
def check_inbox():
    """Import every file waiting in the inbox now."""
    db = get_db()
    try:
        with activity.busy("a check of the inbox folder"):
            results = sync_inbox.scan_inbox(db, by=g.user["username"], settle_seconds=0)
    except fileformat.SyncError as exc:
        session["inbox_results"] = [{"file_name": "", "ok": False, "message": str(exc)}]
    else:
        session["inbox_results"] = [r.__dict__ for r in results] or [
            {"file_name": "", "ok": True, "message": "No files were waiting."}]
    return redirect(url_for("sync.inbox"))


@bp.route("/kept-aside")
@sync_roles(hub_only=True)
def kept_aside():
    """Conflicts and held returns for the missing team to resolve."""
    db = get_db()
    items = status.conflicts(db)
    for c in items:
        c["differences"] = _differences(c["local"], c["incoming"])
        audit.record(db, "rhi.view", username=g.user["username"], object_type="rhi", object_id=c["rhi_id"],
                     detail="sync conflict")
    return render_template("sync/kept_aside.html", conflicts=items, held=status.held(db), gaps=status.sequence_gaps(db),
                           forms={c["id"]: ResolveForm(prefix=f"c{c['id']}") for c in items})


def _differences(local: dict, incoming: dict) -> list[tuple[str, str, str]]:
    """What differs between the hub's version and the one that arrived, field by field."""
    def text(value):
        return "none" if value in (None, "", [], {}) else str(value)

    rows = [(k, text(local.get(k)), text(incoming.get(k))) for k in fileformat.RECORD_FIELDS
            if local.get(k) != incoming.get(k)]
    mine, theirs = local.get("answers") or {}, incoming.get("answers") or {}
    for key in dict.fromkeys([*mine, *theirs]):
        if mine.get(key) != theirs.get(key):
            rows.append((key, text(mine.get(key)), text(theirs.get(key))))
    return rows


@bp.route("/conflicts/<int:conflict_id>", methods=["POST"])
@sync_roles(hub_only=True)
def resolve(conflict_id):
    """Resolve one conflict by keeping one version."""
    db = get_db()
    form = ResolveForm(prefix=f"c{conflict_id}")
    if not form.validate_on_submit():
        flash("Choose which version to keep, then press Resolve.")
        return redirect(url_for("sync.kept_aside"))
    try:
        status.resolve_conflict(db, conflict_id, form.keep.data, by=g.user["username"])
    except fileformat.SyncError as exc:
        flash(str(exc))
    else:
        flash("The conflict is resolved.")
    return redirect(url_for("sync.kept_aside"))


@bp.route("/held/retry", methods=["POST"])
@sync_roles(hub_only=True)
def retry_held():
    """Try held returns again, after the missing episodes have been recorded."""
    released = status.retry_held(get_db(), by=g.user["username"])
    flash(f"{released} held return{'s' if released != 1 else ''} went in." if released else
          "None of the held returns can go in yet: record their episodes first.")
    return redirect(url_for("sync.kept_aside"))


# ---------------------------------------------------------------------------------------------
# The inbox watcher: a background thread with its own connection (never one shared across threads).


@bp.record_once
def _start_watcher(state):
    app = state.app
    if app.testing or not app.config.get("SYNC_INBOX_WATCH", True):
        return
    start_inbox_watcher(app.config["DATABASE"], INBOX_INTERVAL_SECONDS)


def start_inbox_watcher(database: str, interval: float, settle_seconds: float = 3) -> threading.Event:
    """Scan the hub's inbox folder every ``interval`` seconds in a daemon thread; set the event to stop."""
    stop = threading.Event()

    def watch():
        while not stop.wait(interval):
            try:
                db = connect(database, migrate=False)
                try:
                    me = db.execute("select role from install where id = 1").fetchone()
                    if me and me[0] == "hub" and sync_inbox.inbox_folder(db):
                        with activity.busy("a check of the inbox folder"):
                            sync_inbox.scan_inbox(db, by="inbox watcher", settle_seconds=settle_seconds)
                finally:
                    db.conn.close()
            except Exception:  # keep watching; the details go to the log
                log.exception("The inbox watcher could not check the folder")

    threading.Thread(target=watch, name="rhi-desk-inbox", daemon=True).start()
    return stop
