"""This install: hub (the missing team) or field (a social worker's laptop or a provider)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import derived_key, install, write_transaction

INSTALL_ROLES = {"hub": "Hub (the missing team)", "field": "Field (a social worker or an RHI provider)"}


class InstallError(Exception):
    """A user-facing problem initialising an install."""


def initialise(db: sqlite_utils.Database, role: str, la_name: str, name: str, *, demo: bool = False) -> dict:
    """Record this install's role, council and name; refuses to run twice."""
    if role not in INSTALL_ROLES:
        raise InstallError("Choose hub or field")
    if not (la_name or "").strip():
        raise InstallError("Enter the council's name")
    if not (name or "").strip():
        raise InstallError("Enter a name for this install, for example 'Missing team'")
    with write_transaction(db):
        if install(db) is not None:
            raise InstallError("This database is already initialised; it was not changed. "
                               "Use a different --db file for a new install.")
        db.execute(
            "insert into install (id, install_id, role, la_name, name, created_at, demo) values (1, ?, ?, ?, ?, ?, ?)",
            [str(uuid.uuid4()), role, la_name.strip(), name.strip(), now_iso(), int(demo)],
        )
        audit.record(db, "install.init", detail={"role": role, "la": la_name, "name": name})
    return install(db)


def secret_key(db: sqlite_utils.Database) -> str:
    """The install's session-signing key, derived from this user's database key and the install's salt.

    The database holds only a random salt (``app_secret``): on its own it signs nothing, so a copy of the
    file cannot forge a session (docs/security.md).
    """
    with write_transaction(db):
        rows = list(db.query("select secret_key from app_secret where id = 1"))
        if rows:
            salt = rows[0]["secret_key"]
        else:
            salt = secrets.token_hex(32)
            db.execute("insert into app_secret (id, secret_key) values (1, ?)", [salt])
    return hmac.new(derived_key(db, "session signing"), salt.encode(), hashlib.sha256).hexdigest()


def holds_real_records(db: sqlite_utils.Database) -> bool:
    """True when the database has records that did not come from ``rhi-desk demo``."""
    inst = install(db)
    if inst is None:
        return False
    if inst["demo"]:
        return False
    return bool(list(db.query("select 1 from children limit 1")))
