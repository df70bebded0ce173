"""The dashboard's months are counted before anyone asks (after an upgrade, a restore or a first import), so the
first visit reads kept months, with exactly the figures a fresh count gives."""
from __future__ import annotations

import time
from datetime import datetime

import time_machine
from kpi_records import add_child, add_episode, add_rhi

from rhi_desk.db import connect
from rhi_desk.reports import figures, warm_up


def _kept(db):
    return sorted(row[0] for row in db.execute("select distinct month from report_month_figures"))


def _register(db):
    child = add_child(db, "C1", "2004-05-05")
    other = add_child(db, "C2", "2005-02-01")
    for n, start in enumerate(["2015-03-04 10:00", "2016-07-01 22:00", "2017-09-10 10:00", "2017-11-20 08:00"]):
        pk = add_episode(db, f"E{n}", child if n % 2 else other, start, start[:11] + "23:00")
        add_rhi(db, f"R{n}", child if n % 2 else other, [pk], offered_at=start[:11] + "23:30",
                outcome="completed", completed_at=start[:11] + "23:50")


def test_every_month_from_the_first_episode_is_counted_newest_year_first_and_kept(hub_db):
    _register(hub_db)
    with time_machine.travel(datetime(2017, 12, 20, 9, 0), tick=False):
        asked = warm_up.warm_months(hub_db)
        assert asked[0] == "2015-03" and asked[-1] == "2017-12" and len(asked) == 34
        # Every month is kept but the current one, whose figures still change with the clock.
        assert set(_kept(hub_db)) >= set(asked) - {"2017-12"}
        warmed = figures.beyond_the_seed(hub_db, "2015-03", "2017-12")
        hub_db.execute("delete from report_month_figures")
        fresh = figures.beyond_the_seed(hub_db, "2015-03", "2017-12")
    assert warmed == fresh
    assert sum(r["episodes"] for r in warmed["table"]) == 4


def test_the_second_warm_up_counts_nothing_again(hub_db):
    _register(hub_db)
    with time_machine.travel(datetime(2017, 12, 20, 9, 0), tick=False):
        warm_up.warm_months(hub_db)
        stamps = hub_db.execute("select month, counted_at from report_month_figures order by month, key").fetchall()
    with time_machine.travel(datetime(2017, 12, 20, 10, 0), tick=False):
        warm_up.warm_months(hub_db)
        again = hub_db.execute("select month, counted_at from report_month_figures order by month, key").fetchall()
    assert again == stamps  # read, not counted: no month has a later count time


def test_an_empty_register_or_a_field_install_is_left_alone(hub_db, field_db, tmp_path):
    assert warm_up.warm_months(hub_db) == []
    # The field install holds no register: the thread returns without counting or failing.
    thread = warm_up.start(str(tmp_path / "field.db"), after=0)
    thread.join(10)
    assert not thread.is_alive()
    assert field_db.execute("select count(*) from report_month_figures").fetchone()[0] == 0


def test_the_background_warm_up_fills_the_months_of_the_hub_file(hub_db, db_path):
    _register(hub_db)
    # An overlap for the data-quality list, which the same thread checks and keeps.
    add_episode(hub_db, "E9", hub_db.execute("select id from children where child_id = 'C1'").fetchone()[0],
                "2016-07-01 22:30", "2016-07-02 09:00")
    assert hub_db.execute("select count(*) from data_quality_pending").fetchone()[0] > 0
    thread = warm_up.start(str(db_path), after=0)
    deadline = time.monotonic() + 30
    while thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not thread.is_alive()
    db = connect(db_path, migrate=False)
    try:
        assert "2015-03" in _kept(db) and "2017-11" in _kept(db)
        assert db.execute("select count(*) from data_quality_pending").fetchone()[0] == 0
        assert db.execute("select check_name, episode_id from data_quality_issues").fetchall() == [("overlap", "E9")]
    finally:
        db.conn.close()
