"""Today and the dashboard's overdue count after a council's history is imported (issue 18: Today under 100 ms
at 1,000,000 episodes, the dashboard under a second).

A case system's history holds years of RHIs with no outcome recorded (offered, never closed in the system) and
RHIs completed with no offer date. None of them is on Today or overdue now, and they must not slow either down.
The work SQLite does is counted in its virtual machine's steps (a progress handler), not timed: it must stay
the same with ten times the old RHIs. Before, Today read every RHI with no outcome (through the index of every
outcome, which SQLite takes without statistics) and the headline every episode ended before the moment, and
every completed RHI: after the import benchmark's million episodes Today took 550 ms and the headline 8 s.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from records_helpers import row, write_register

from rhi_desk import installs
from rhi_desk.db import connect
from rhi_desk.register import today
from rhi_desk.register.episode_import import import_episodes
from rhi_desk.reports import headline

NOW = datetime(2026, 3, 12, 9, 0)


def imported_register(tmp_path, old: int):
    """A hub holding ``old`` episodes from 2015 on, an hour apart (each with an RHI offered and never closed, or completed with no
    offer date; some offered ten days after the return) and the same few recent ones: a return two weeks ago with no RHI (overdue), one four days ago
    offered with no outcome yet (awaiting an outcome)."""
    rows = []
    for n in range(old):
        start = datetime(2015, 1, 1, 10) + timedelta(hours=n)
        day = (start + timedelta(days=10 if n % 5 == 1 else 1)).strftime("%Y-%m-%d")  # some offered late
        closed = n % 3 == 0
        rows.append(row(f"H{n:06d}", f"HC{n % 500:04d}", start=start.strftime("%Y-%m-%d %H:%M"),
                        rhi_offered_on="" if closed else day, rhi_outcome="completed" if closed else "",
                        rhi_completed_on=day if closed else "", rhi_by="missing_team"))
    rows.append(row("R1", "RC1", start="2026-02-26 10:00"))
    rows.append(row("R2", "RC2", start="2026-03-07 10:00", rhi_offered_on="2026-03-08", rhi_by="missing_team"))
    db = connect(tmp_path / f"hub-{old}.db")
    installs.initialise(db, "hub", "Croydon", "Missing team")
    with time_machine.travel(NOW, tick=False):
        import_episodes(db, write_register(tmp_path / f"history-{old}.csv", rows))
    return db


def steps(db, work) -> tuple[int, object]:
    """SQLite's virtual-machine steps (in hundreds) for ``work()``, and what it gave."""
    counted = [0]

    def tick():
        counted[0] += 1
        return 0

    db.conn.set_progress_handler(tick, 100)
    try:
        result = work()
    finally:
        db.conn.set_progress_handler(None, 100)
    return counted[0], result


@pytest.fixture(scope="module")
def registers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("imported")
    return imported_register(folder, 2_000), imported_register(folder, 20_000)


def test_today_does_the_same_work_however_much_history_was_imported(registers):
    small, large = registers
    lists = []
    work = []
    for db in registers:
        count, listed = steps(db, lambda db=db: today.today(db, at=NOW))
        work.append(count)
        lists.append(([r["episode_id"] for r in listed.overdue], listed.overdue_total,
                      [r["episode_id"] for r in listed.awaiting], [r["episode_id"] for r in listed.returned]))
    assert lists[0] == lists[1] == (["R1"], 1, ["R2"], [])
    assert work[1] < work[0] * 1.5 + 50, work


def test_the_dashboards_overdue_count_does_the_same_work_however_much_history_was_imported(registers):
    moments = [NOW, datetime(2026, 2, 28, 23, 59), datetime(2015, 2, 15, 23, 59)]
    small, large = registers
    now_work, now_counts, at_counts = [], [], []
    for db in registers:
        count, overdue = steps(db, lambda db=db: headline.overdue_now(db, NOW))
        now_work.append(count)
        now_counts.append(overdue)
        at_counts.append(headline.overdue_at(db, moments))
    assert now_counts == [1, 1]
    assert at_counts[0][:2] == at_counts[1][:2] == [1, 0]  # R1 overdue now; at February's end within 72 hours
    assert at_counts[1][2] == at_counts[0][2] > 0  # in February 2015: the history's returns offered late
    assert now_work[1] < now_work[0] * 1.5 + 50, now_work
    # At a recent moment the count reads the recent RHIs alone, however many old ones there are.
    recent = [steps(db, lambda db=db: headline.overdue_at(db, moments[:2]))[0] for db in registers]
    assert recent[1] < recent[0] * 1.5 + 50, recent
