"""Counting the dashboard's months before anyone asks: after an upgrade, a restore or a first import no month's
figures are kept yet, and counting a decade of a region's register (1,000,000 episodes) takes half a minute.

When the hub starts (``rhi-desk serve``, the desktop window) and when an import finishes, a background thread
counts every month of the register, newest year first (the dashboard's own 12 months come first), with no
filters, and keeps them (:mod:`rhi_desk.reports.month_cache`); the first visit then reads kept months like any
later visit. Months already kept are not counted again, so a start with nothing changed costs a few reads. A
view with filters never asked for before is still counted when it is first asked for. The same thread then
checks the data-quality list of the children changed since it was kept (all of them after a first import:
15 s at 1,000,000 episodes; :mod:`rhi_desk.register.data_quality`), so that page too opens at once.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime

import sqlite_utils

from rhi_desk.clock import now
from rhi_desk.db import connect
from rhi_desk.register import data_quality
from rhi_desk.reports import figures, headline
from rhi_desk.reports.kpi import NO_FILTERS, default_range, months_between

log = logging.getLogger(__name__)

YEAR = 12


def warm_months(db: sqlite_utils.Database, at: datetime | None = None) -> list[str]:
    """Count and keep the dashboard's figures of every month from the register's first episode to this one,
    a year at a time, newest first; returns the months asked for (those already kept are read, not counted)."""
    earliest = db.execute("select min(start) from episodes").fetchone()[0]
    if not earliest:
        return []
    first, last = default_range(YEAR, at)
    oldest = earliest[:7]
    asked: list[str] = []
    also = (headline.months_back(last, 1), headline.months_back(last, 12))  # the headline's, as the page asks
    while last >= oldest:
        first = max(first, oldest)
        figures.beyond_the_seed(db, first, last, NO_FILTERS, also=also)
        asked = months_between(first, last) + asked
        last, first, also = headline.months_back(first, 1), headline.months_back(first, YEAR), ()
    return asked


START_AFTER_S = 5.0  # after the first page has painted: the window's launch is not slowed


def start(database: str, after: float = START_AFTER_S) -> threading.Thread:
    """Warm the dashboard in a background thread, on a connection of its own to ``database``, ``after`` seconds."""

    def run() -> None:
        started = now()
        try:
            db = connect(database, migrate=False)
            try:
                if db.execute("select role from install where id = 1").fetchone() != ("hub",):
                    return  # a field install holds no register
                months = warm_months(db)
                data_quality.find_issues(db)
            finally:
                db.conn.close()
            log.info("dashboard figures ready for %d months (%.1f s)", len(months),
                     (now() - started).total_seconds())
        except Exception:  # a page counts for itself if this fails; nothing a user did is lost
            log.exception("counting the dashboard's months ahead failed")

    thread = threading.Timer(after, run)
    thread.name, thread.daemon = "rhi-desk-dashboard-warm-up", True
    thread.start()
    return thread
