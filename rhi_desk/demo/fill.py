"""Made-up data for a newcomer to try RHI Desk. Never touches a database holding real records."""
from __future__ import annotations

import sqlite_utils

from rhi_desk import accounts, installs
from rhi_desk.db import install
from rhi_desk.demo.actions import fill_actions
from rhi_desk.demo.interviews import fill_interviews
from rhi_desk.demo.register import fill_register
from rhi_desk.demo.reports import fill_history
from rhi_desk.demo.sync import fill_sync

DEMO_PASSWORD = "demo-password"
DEMO_USERS = [
    ("admin", "admin", "Ada Admin", None),
    ("missing", "missing_team", "Mo Missing-Team", None),
    ("manager", "manager", "Meera Manager", None),
    ("worker", "practitioner", "Sam Social-Worker", None),
    ("provider", "provider", "Pat Provider", "Safe Steps"),
]
DEMO_USERS_SUMMARY = [(u, accounts.ROLES[r]) for u, r, _, _ in DEMO_USERS]


def totals(db: sqlite_utils.Database) -> str:
    """What the database holds once the demo is made: children, episodes and interviews, in one sentence."""
    count = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    children = count("select count(*) from children")
    episodes = count("select count(*) from episodes")
    interviews = count("select count(*) from return_home_interviews")
    signed = count("select count(*) from return_home_interviews where status = 'signed_off'")
    return (f"In all: {children:,} children, {episodes:,} episodes and {interviews:,} interview records "
            f"({signed:,} signed off).")




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
    # Each area adds its own records, in this order (interviews need the register's RHIs).
    for filler in (fill_register, fill_interviews, fill_sync, fill_history, fill_actions):
        parts.append(filler(db))
    return ", ".join(p for p in parts if p)
