"""Demo actions and providers: a team that keeps up. Every action due before the last three days is recorded as done
(made up: who, how, to whom), so a newcomer's Today shows the few actions a real team has in hand."""
from __future__ import annotations

from datetime import timedelta

import sqlite_utils

from rhi_desk.actions import due, providers
from rhi_desk.clock import MINUTE_FORMAT, now

KEEP_RECENT = timedelta(days=3)
_HOW = {"strategy": "meeting", "notify_responsible": "email", "notify_host": "phone", "notify_iro": "email"}


def fill_actions(db: sqlite_utils.Database) -> str:
    """Record the older actions due as done; returns a summary."""
    at = now()
    done = 0
    for action in due.due(db, at):
        if action.kind == "rhi_offer" or action.deadline > at - KEEP_RECENT + timedelta(days=1):
            continue
        moment = min(action.deadline - timedelta(hours=2), at).strftime(MINUTE_FORMAT)
        if due.find(db, action.key, at) is None:
            continue  # covered by a strategy meeting recorded a moment ago
        due.record_done(db, action.key, done_at=moment, done_by="Mo Missing-Team (demo)", how=_HOW.get(action.kind),
                        to_whom=action.to_whom or "Duty team (made up)", outcome="completed"
                        if action.kind == "ola_outcome" else None, notes="Made up for the demo", by="demo")
        done += 1
    made = 0
    for name, contract, price in (("Safe Steps", "SS-DEMO-1 (made up)", "185"),
                                  ("Safe Steps (demo)", "SS-DEMO-2, the field install (made up)", "185")):
        if not list(db.query("select 1 from providers where name = ?", [name])):
            providers.save_provider(db, name, contract=contract, unit_price=price, by="demo")
            made += 1
    return f"{done} actions recorded as done, {made} providers"
