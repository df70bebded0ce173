"""Sign-in slow-down and lock-out per client address, beside the per-account rules in ``accounts``.

The per-account rules stop one password being guessed; these stop one PC guessing across many
usernames. Failures older than the window are forgotten, so a busy shared PC is not punished for
yesterday's typing.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now
from rhi_desk.db import write_transaction

SLOW_DOWN_AFTER = 10
SLOW_DOWN_FOR = timedelta(seconds=30)
LOCK_AFTER = 20
LOCK_FOR = timedelta(minutes=15)
FORGET_AFTER = timedelta(minutes=15)
_FORMAT = "%Y-%m-%d %H:%M:%S"


def refusal(db: sqlite_utils.Database, address: str | None) -> str | None:
    """A sentence if sign-in from ``address`` is paused or locked now, else None."""
    if not address:
        return None
    rows = list(db.query("select locked_until from sign_in_addresses where address = ?", [address]))
    if not rows or not rows[0]["locked_until"] or rows[0]["locked_until"] <= now().strftime(_FORMAT):
        return None
    seconds = (datetime.strptime(rows[0]["locked_until"], _FORMAT) - now()).total_seconds()
    audit.record(db, "sign_in.refused_address", detail={"address": address})
    if seconds <= SLOW_DOWN_FOR.total_seconds():
        return "Too many wrong sign-ins from this computer. Wait 30 seconds before trying again."
    minutes = max(1, int(seconds // 60) + (1 if seconds % 60 else 0))
    return (f"Too many wrong sign-ins from this computer: sign-in from it is locked for {minutes} more "
            f"minute{'s' if minutes != 1 else ''}. Ask an administrator if you need it sooner.")


def record_failure(db: sqlite_utils.Database, address: str | None) -> int:
    """Count one failed sign-in from ``address``; returns the failures in the current window."""
    if not address:
        return 0
    stamp = now().strftime(_FORMAT)
    forget_before = (now() - FORGET_AFTER).strftime(_FORMAT)
    with write_transaction(db):
        rows = list(db.query("select failures, last_failure_at from sign_in_addresses where address = ?",
                             [address]))
        failures = 1
        if rows and rows[0]["last_failure_at"] >= forget_before:
            failures = rows[0]["failures"] + 1
        locked_until = None
        if failures >= LOCK_AFTER:
            locked_until = (now() + LOCK_FOR).strftime(_FORMAT)
        elif failures >= SLOW_DOWN_AFTER:
            locked_until = (now() + SLOW_DOWN_FOR).strftime(_FORMAT)
        db.execute(
            "insert into sign_in_addresses (address, failures, last_failure_at, locked_until) values (?, ?, ?, ?) "
            "on conflict (address) do update set failures = excluded.failures, "
            "last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
            [address, failures, stamp, locked_until])
    return failures


def clear(db: sqlite_utils.Database, address: str, *, by: str | None = None) -> None:
    """Lift a lock on ``address`` (an administrator's action)."""
    with write_transaction(db):
        db.execute("delete from sign_in_addresses where address = ?", [address])
        audit.record(db, "sign_in.address_unlocked", username=by, detail={"address": address})
