"""The dashboard's figures for months whose records have not changed since they were counted, kept so that a
decade of history does not have to be counted again on every visit.

Nothing here is a figure typed by anyone: each month's figures are what :mod:`rhi_desk.reports.figures`
counted from the records, kept with the counting rules' version. Triggers (reports migrations 0028-0029)
note every month a change to an episode, an RHI, the episodes an RHI covers or a child's date of birth can
touch; the next read drops those months, which are then counted afresh, and marks the month after each
(and the one after that when the next is February), whose repeat-missing window reaches back into them:
only their repeat-missing children are counted again. A month with a 72-hour clock still running is never kept,
because its figures change with the time alone. Figures "as recorded on" a day are never kept.
"""
from __future__ import annotations

import json

import sqlite_utils

from rhi_desk.db import OperationalError, write_transaction

# Change this whenever a counting rule or the shape of a month's figures changes: every kept month is
# then counted again.
RULES_VERSION = "2026-12-03.1"


def cache_key(params: dict) -> str:
    """The key a month's figures are kept under: the rules' version and the filters."""
    return json.dumps({"rules": RULES_VERSION, **params}, sort_keys=True)


def forget_changed(db: sqlite_utils.Database) -> None:
    """Drop the kept figures of every month whose records changed since they were counted."""
    if not db.execute("select exists (select 1 from report_months_changed)").fetchone()[0]:
        return
    with write_transaction(db):
        # A changed month is counted again.
        db.execute("delete from report_month_figures where month in (select month from report_months_changed)")
        # A later month whose repeat-missing window (30 days) reaches back into a changed month — the next
        # month, and the one after it when the next is February — keeps its other figures (they read
        # only its own records) and has its repeat-missing children counted again.
        db.execute("""
            update report_month_figures set figures = json_set(figures, '$.repeat_stale', json('true'))
            where key not like '%overdue_at_month_end%' and month in (
                select strftime('%Y-%m', month || '-01', '+1 month') from report_months_changed
                union select strftime('%Y-%m', month || '-01', '+2 month') from report_months_changed
                where strftime('%m', month || '-01', '+1 month') = '02')""")
        # Counts at a month's end (the overdue tile's) see every earlier month's records too.
        db.execute("delete from report_month_figures where key like '%overdue_at_month_end%' "
                   "and month >= (select min(month) from report_months_changed)")
        db.execute("delete from report_months_changed")


def kept(db: sqlite_utils.Database, key: str, months: list[str]) -> dict[str, dict]:
    """The kept figures of those of ``months`` that have them."""
    rows = db.execute("select month, figures from report_month_figures where key = ? and month between ? and ?",
                      [key, months[0], months[-1]]).fetchall()
    return {month: json.loads(figures) for month, figures in rows}


def keep(db: sqlite_utils.Database, key: str, parts: dict[str, dict], counted_at: str) -> None:
    """Keep the figures of the months counted (only those marked stable)."""
    rows = [(key, month, json.dumps(part, separators=(",", ":")), counted_at)
            for month, part in parts.items() if part.get("stable")]
    if not rows:
        return
    # Keeping is only a saving for the next visit: when someone else's long work (a big import) holds the
    # write lock, the page does not wait for it; these months are simply counted again next time.
    conn = db.conn
    waited = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute(f"PRAGMA busy_timeout = {QUICK_WAIT_MS}")
    try:
        with write_transaction(db):
            # A change recorded while these months were being counted has marked them: keep none of those.
            changed = {r[0] for r in db.execute("select month from report_months_changed")}
            db.conn.executemany(
                "insert into report_month_figures (key, month, figures, counted_at) values (?, ?, ?, ?) "
                "on conflict (key, month) do update set figures = excluded.figures, counted_at = excluded.counted_at",
                [row for row in rows if row[1] not in changed])
    except OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
    finally:
        conn.execute(f"PRAGMA busy_timeout = {waited}")


QUICK_WAIT_MS = 200


def runs(months: list[str]) -> list[tuple[str, str]]:
    """The months as runs of consecutive months: [('2017-01', '2017-03'), ('2017-06', '2017-06')]."""
    out: list[list[str]] = []
    for month in months:
        year, mon = int(month[:4]), int(month[5:])
        previous = f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"
        if out and out[-1][1] == previous:
            out[-1][1] = month
        else:
            out.append([month, month])
    return [(a, b) for a, b in out]
