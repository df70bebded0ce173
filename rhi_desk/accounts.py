"""Users, roles and sign-in rules (no Flask here: the CLI and the views both call these).

Passwords are hashed with Argon2. Repeated failures first slow an account down (a short lock)
and then lock it for longer, so a stolen laptop cannot be guessed into.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rhi_desk import audit
from rhi_desk.clock import now, now_iso
from rhi_desk.db import write_transaction
from rhi_desk.security import passwords

ROLES = {
    "admin": "Administrator",
    "missing_team": "Missing team",
    "manager": "Manager",
    "practitioner": "Social worker",
    "provider": "RHI provider",
}
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
# After this many failures in a row the account pauses briefly, then locks for longer.
SLOW_DOWN_AFTER = 3
SLOW_DOWN_FOR = timedelta(seconds=30)
LOCK_AFTER = 6
LOCK_FOR = timedelta(minutes=15)

_hasher = PasswordHasher()


class AccountError(Exception):
    """A user-facing problem with an account request; the message says what to do."""


@dataclass
class SignInResult:
    """What happened when someone tried to sign in."""

    user: dict | None
    message: str | None = None


def validate_password(password: str, username: str | None = None) -> None:
    """Refuse blank, short, common and username-equal passwords (the policy in ``security.passwords``)."""
    try:
        passwords.check(password, username)
    except passwords.PasswordRefused as exc:
        raise AccountError(str(exc)) from None


def end_sessions(db: sqlite_utils.Database, user_id: int, *, reason: str = "ended", by: str | None = None,
                 record: bool = True) -> None:
    """End every session of this user at once, in every browser and every copy of the cookie.

    A session carries its user's session generation (:func:`session_generation`); this bumps it, so
    every cookie issued before is refused from now on. A change of password, role or the active flag
    does the same by trigger (migration 0003), whichever code makes it.
    """
    with write_transaction(db):
        db.execute("update users set session_generation = session_generation + 1 where id = ?", [user_id])
        if record:
            audit.record(db, "session.ended", username=by, object_type="user", object_id=user_id,
                         detail={"reason": reason})


def session_generation(user: dict) -> int:
    """The generation a new session of ``user`` carries (compare with the cookie's on every request)."""
    return int(user.get("session_generation") or 0)


def create_user(
    db: sqlite_utils.Database,
    username: str,
    password: str,
    role: str,
    *,
    display_name: str | None = None,
    organisation: str | None = None,
    by: str | None = None,
    first_admin: bool = False,
) -> dict:
    """Add a user with an Argon2-hashed password; raises AccountError for a bad request.

    With ``first_admin`` (the first-run set-up page) the user is created only if there is no user yet,
    checked inside the same write transaction, so simultaneous set-ups make one administrator.
    """
    username = (username or "").strip()
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise AccountError("Enter a username using only letters, numbers, dots, dashes or underscores")
    if role not in ROLES:
        raise AccountError(f"Choose a role: {', '.join(ROLES)}")
    validate_password(password, username)
    password_hash = _hasher.hash(password)
    with write_transaction(db):
        if first_admin and has_users(db):
            raise AccountError("An administrator has already been set up. Sign in instead.")
        if list(db.query("select 1 from users where username = ?", [username])):
            raise AccountError(f"There is already a user called {username}")
        db.execute(
            "insert into users (username, display_name, role, organisation, password_hash, created_at) "
            "values (?, ?, ?, ?, ?, ?)",
            [username, display_name or username, role, organisation, password_hash, now_iso()],
        )
        audit.record(db, "user.create", username=by, object_type="user", object_id=username,
                     detail={"role": role})
    return get_user(db, username)


def get_user(db: sqlite_utils.Database, username: str) -> dict | None:
    """The user called ``username`` (case-insensitive), or None."""
    rows = list(db.query("select * from users where username = ?", [username]))
    return rows[0] if rows else None


def get_user_by_id(db: sqlite_utils.Database, user_id: int) -> dict | None:
    """The user with database id ``user_id``, or None."""
    rows = list(db.query("select * from users where id = ?", [user_id]))
    return rows[0] if rows else None


def list_users(db: sqlite_utils.Database) -> list[dict]:
    """Every user, by username, without password hashes."""
    return list(db.query(
        "select id, username, display_name, role, organisation, active, locked_until, "
        "last_sign_in_at, created_at, must_change_password from users order by username"
    ))


def has_users(db: sqlite_utils.Database) -> bool:
    """True once at least one user exists (the first-run set-up page is then closed)."""
    return bool(list(db.query("select 1 from users limit 1")))


def sign_in(db: sqlite_utils.Database, username: str, password: str) -> SignInResult:
    """Check a username and password, applying the slow-down and lock-out rules.

    The attempt is counted *before* the password is checked, in the same write transaction that
    checks the lock (BEGIN IMMEDIATE), and uncounted when the password is right. So parallel wrong
    passwords cannot slip past the count: once the pause starts, no more passwords are checked.
    """
    username = (username or "").strip()
    generic = "Enter a correct username and password"
    with write_transaction(db):
        user = get_user(db, username)
        disabled = user if user is not None and not user["active"] else None
        if user is None or not user["active"]:
            user = None
        elif user["locked_until"] and user["locked_until"] > now_iso():
            audit.record(db, "sign_in.refused_locked", username=user["username"])
            minutes = _minutes_until(user["locked_until"])
            return SignInResult(None, f"This account is locked after too many wrong passwords. "
                                      f"Try again in {minutes} minute{'s' if minutes != 1 else ''}, "
                                      f"or ask an administrator to unlock it.")
        else:
            failures = user["failed_sign_ins"] + 1
            db.execute("update users set failed_sign_ins = ?, locked_until = ? where id = ?",
                       [failures, _lock_for(failures), user["id"]])
    if disabled is not None and _password_matches(disabled, password):
        audit.record(db, "sign_in.refused_disabled", username=disabled["username"])
        return SignInResult(None, DISABLED)
    if user is None:
        # Hash anyway so the response time does not reveal which usernames exist.
        _hasher.hash(password or "")
        audit.record(db, "sign_in.failed", username=username, detail={"reason": "unknown or inactive user"})
        return SignInResult(None, generic)
    try:
        _hasher.verify(user["password_hash"], password or "")
    except (VerificationError, InvalidHashError):
        audit.record(db, "sign_in.failed", username=user["username"], detail={"failures": failures})
        if failures >= LOCK_AFTER:
            return SignInResult(None, "Too many wrong passwords: this account is locked for 15 minutes. "
                                      "Ask an administrator if you need it sooner.")
        if failures >= SLOW_DOWN_AFTER:
            return SignInResult(None, f"{generic}. Wait 30 seconds before trying again.")
        return SignInResult(None, generic)
    with write_transaction(db):
        db.execute("update users set failed_sign_ins = 0, locked_until = null, last_sign_in_at = ? "
                   "where id = ?", [now_iso(), user["id"]])
        if _hasher.check_needs_rehash(user["password_hash"]):
            db.execute("update users set password_hash = ? where id = ?", [_hasher.hash(password), user["id"]])
        audit.record(db, "sign_in", username=user["username"])
    return SignInResult(get_user(db, user["username"]))


def _lock_for(failures: int) -> str | None:
    """When an account with ``failures`` wrong passwords in a row may try again (None: now)."""
    if failures >= LOCK_AFTER:
        return (now() + LOCK_FOR).strftime("%Y-%m-%d %H:%M:%S")
    if failures >= SLOW_DOWN_AFTER:
        return (now() + SLOW_DOWN_FOR).strftime("%Y-%m-%d %H:%M:%S")
    return None


DISABLED = ("This account has been disabled, so it cannot sign in. If you still need RHI Desk, "
            "ask an administrator to enable it.")


def _password_matches(user: dict, password: str) -> bool:
    try:
        return _hasher.verify(user["password_hash"], password or "")
    except (VerificationError, InvalidHashError):
        return False


def _require_user(db, username: str) -> dict:
    user = get_user(db, (username or "").strip())
    if user is None:
        raise AccountError(f"There is no user called {username}. Check the username with 'users list'.")
    return user


def _other_active_admins(db, user: dict) -> int:
    return db.execute("select count(*) from users where role = 'admin' and active = 1 and id != ?",
                      [user["id"]]).fetchone()[0]


def set_active(db: sqlite_utils.Database, username: str, active: bool, *, by: str | None = None) -> dict:
    """Disable a user (their sessions end at their next request; sign-in is refused) or enable them again."""
    user = _require_user(db, username)
    if not active and user["role"] == "admin" and not _other_active_admins(db, user):
        raise AccountError(f"{user['username']} is the only active administrator: add or enable another "
                           "administrator first, or nobody could manage users.")
    if bool(user["active"]) == active:
        return user
    with write_transaction(db):
        db.execute("update users set active = ?, failed_sign_ins = 0, locked_until = null where id = ?",
                   [int(active), user["id"]])
        audit.record(db, "user.enable" if active else "user.disable", username=by, object_type="user",
                     object_id=user["username"])
    return get_user(db, user["username"])


def reset_password(db: sqlite_utils.Database, username: str, temporary: str | None = None, *,
                   by: str | None = None) -> str:
    """Give a user a temporary password (returned) that works once: they set their own at next sign-in.

    Every session the user has open ends at once (see ``must_change_password`` in the sign-in guard).
    """
    user = _require_user(db, username)
    temporary = temporary or secrets.token_urlsafe(9)
    validate_password(temporary)
    with write_transaction(db):
        db.execute("update users set password_hash = ?, must_change_password = 1, failed_sign_ins = 0, "
                   "locked_until = null where id = ?", [_hasher.hash(temporary), user["id"]])
        audit.record(db, "user.reset_password", username=by, object_type="user", object_id=user["username"])
    return temporary


def set_own_password(db: sqlite_utils.Database, user_id: int, password: str) -> None:
    """The user chooses their own password (after a reset); the temporary one stops working."""
    user = get_user_by_id(db, user_id)
    validate_password(password)
    if _password_matches(user, password):
        raise AccountError("Choose a new password, not the temporary one")
    with write_transaction(db):
        db.execute("update users set password_hash = ?, must_change_password = 0 where id = ?",
                   [_hasher.hash(password), user_id])
        audit.record(db, "user.set_password", username=user["username"], object_type="user",
                     object_id=user["username"])


def change_role(db: sqlite_utils.Database, username: str, role: str, *, by: str | None = None) -> dict:
    """Give a user another role; it applies from their next page."""
    user = _require_user(db, username)
    if role not in ROLES:
        raise AccountError(f"Choose a role: {', '.join(ROLES)}")
    if user["role"] == "admin" and role != "admin" and not _other_active_admins(db, user):
        raise AccountError(f"{user['username']} is the only active administrator: make someone else an "
                           "administrator first.")
    if role == user["role"]:
        return user
    with write_transaction(db):
        db.execute("update users set role = ? where id = ?", [role, user["id"]])
        audit.record(db, "user.change_role", username=by, object_type="user", object_id=user["username"],
                     detail={"from": user["role"], "to": role})
    return get_user(db, user["username"])


def unlock(db: sqlite_utils.Database, username: str, *, by: str | None = None) -> None:
    """Clear a lock-out (an administrator's action)."""
    with write_transaction(db):
        db.execute("update users set failed_sign_ins = 0, locked_until = null where username = ?", [username])
        audit.record(db, "user.unlock", username=by, object_type="user", object_id=username)


def _minutes_until(when: str) -> int:
    from datetime import datetime

    delta = datetime.fromisoformat(when) - now()
    return max(1, int(delta.total_seconds() // 60) + (1 if delta.total_seconds() % 60 else 0))
