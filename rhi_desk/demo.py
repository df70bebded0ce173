"""Made-up data for a newcomer to try RHI Desk. Never touches a database holding real records."""
from __future__ import annotations

import importlib

import sqlite_utils

from . import accounts, installs
from .db import install

DEMO_PASSWORD = "demo-password"
DEMO_USERS = [
    ("admin", "admin", "Ada Admin", None),
    ("missing", "missing_team", "Mo Missing-Team", None),
    ("manager", "manager", "Meera Manager", None),
    ("worker", "practitioner", "Sam Social-Worker", None),
    ("provider", "provider", "Pat Provider", "Safe Steps"),
]
DEMO_USERS_SUMMARY = [(u, accounts.ROLES[r]) for u, r, _, _ in DEMO_USERS]


# Modules that register demo fillers with @filler (each area adds its own records).
DEMO_MODULES = ["demo_register", "demo_interviews", "demo_sync", "demo_reports"]


class DemoError(Exception):
    """The demo cannot run on this database; the message says why."""


def fill(db: sqlite_utils.Database) -> str:
    """Initialise (if needed) and fill the database with demo users and records; returns a summary."""
    if installs.holds_real_records(db):
        raise DemoError("This database holds real records, so the demo will not touch it. "
                        "Use a new file, for example: rhi-desk --db demo.db demo")
    current = install(db)
    if current is None:
        installs.initialise(db, "hub", "Demo Council", "Missing team (demo)", demo=True)
    elif not current["demo"] and accounts.has_users(db):
        raise DemoError("This database is a real install, so the demo will not touch it. "
                        "Use a new file, for example: rhi-desk --db demo.db demo")
    db.execute("update install set demo = 1 where id = 1")
    for username, role, name, organisation in DEMO_USERS:
        if accounts.get_user(db, username) is None:
            accounts.create_user(db, username, DEMO_PASSWORD, role, display_name=name,
                                 organisation=organisation, by="demo")
    parts = [f"{len(DEMO_USERS)} users"]
    for name in DEMO_MODULES:
        try:
            importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{name}":
                raise
    for filler in _fillers:
        parts.append(filler(db))
    return ", ".join(p for p in parts if p)


_fillers = []


def filler(func):
    """Register a function that adds one area's demo records and returns a short summary."""
    _fillers.append(func)
    return func
