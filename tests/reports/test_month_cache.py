"""Months counted once and kept: read on the next visit, counted again after any change their figures can see,
never kept while a 72-hour clock is still running."""
from __future__ import annotations

from datetime import datetime

import time_machine
from kpi_records import add_child, add_episode, add_rhi

from rhi_desk.reports import figures


def _kept(db):
    return sorted(row[0] for row in db.execute("select distinct month from report_month_figures"))


def test_months_are_kept_and_counted_again_after_a_change(hub_db):
    child = add_child(hub_db, "C1", "2004-05-05")
    other = add_child(hub_db, "C2", "2004-05-05")
    e1 = add_episode(hub_db, "E1", child, "2017-09-10 10:00", "2017-09-10 12:00")
    e2 = add_episode(hub_db, "E2", other, "2017-10-10 10:00", "2017-10-10 12:00")
    rhi = add_rhi(hub_db, "R1", child, [e1])
    with time_machine.travel(datetime(2017, 12, 20, 9, 0), tick=False):
        first = figures.beyond_the_seed(hub_db, "2017-09", "2017-11")
        assert _kept(hub_db) == ["2017-09", "2017-10", "2017-11"]
        assert [r["children_offered"] for r in first["table"]] == [0, 0, 0]
        # A late write-up: September's interview is offered and completed now.
        hub_db.execute("update return_home_interviews set offered_at = '2017-09-11 09:00', outcome = 'completed', "
                       "completed_at = '2017-09-11 15:00' where id = ?", [rhi])
        again = figures.beyond_the_seed(hub_db, "2017-09", "2017-11")
        assert [r["children_rhi_done"] for r in again["table"]] == [1, 0, 0]
        assert again["timeliness"]["offer"]["counts"]["within"]["2017-09"] == 1
        # A new episode, a link, a changed date of birth: each reaches the kept months.
        e3 = add_episode(hub_db, "E3", other, "2017-11-02 10:00", "2017-11-02 12:00")
        assert figures.beyond_the_seed(hub_db, "2017-09", "2017-11")["table"][2]["episodes"] == 1
        add_rhi(hub_db, "R3", other, [e3], offered_at="2017-11-02 13:00")
        assert figures.beyond_the_seed(hub_db, "2017-11", "2017-11")["table"][0]["children_offered"] == 1
        hub_db.execute("update children set date_of_birth = '1999-01-01' where id = ?", [other])
        adult = figures.beyond_the_seed(hub_db, "2017-09", "2017-11")["table"]
        assert [r["episodes"] for r in adult] == [1, 0, 0]  # C2 was 18 by then: counted nowhere
        hub_db.execute("update episodes set voided_at = '2017-12-20 09:00' where id = ?", [e1])
        assert figures.beyond_the_seed(hub_db, "2017-09", "2017-09")["table"][0]["episodes"] == 0
    assert e2


def test_a_month_with_a_clock_still_running_is_counted_every_time(hub_db):
    child = add_child(hub_db, "C1", "2004-05-05")
    add_episode(hub_db, "E1", child, "2017-12-18 10:00", "2017-12-19 12:00")
    with time_machine.travel(datetime(2017, 12, 20, 9, 0), tick=False):
        wider = figures.beyond_the_seed(hub_db, "2017-11", "2017-12")
        assert wider["timeliness"]["offer"]["counts"]["pending"]["2017-12"] == 1
        assert _kept(hub_db) == ["2017-11"]
    with time_machine.travel(datetime(2017, 12, 24, 9, 0), tick=False):
        later = figures.beyond_the_seed(hub_db, "2017-11", "2017-12")
        assert later["timeliness"]["offer"]["counts"]["not_yet"]["2017-12"] == 1


def test_figures_as_recorded_on_a_day_are_never_kept(hub_db):
    child = add_child(hub_db, "C1", "2004-05-05")
    add_episode(hub_db, "E1", child, "2017-09-10 10:00", "2017-09-10 12:00")
    with time_machine.travel(datetime(2017, 12, 20, 9, 0), tick=False):
        figures.beyond_the_seed(hub_db, "2017-09", "2017-09", as_of="2017-12-20 00:00:00")
    assert _kept(hub_db) == []


def test_the_overdue_tile_keeps_month_end_counts_until_an_earlier_record_changes(hub_db):
    from rhi_desk.reports import headline

    child = add_child(hub_db, "C1")
    e1 = add_episode(hub_db, "E1", child, "2017-09-30 10:00", "2017-10-01 10:00")
    rhi = add_rhi(hub_db, "R1", child, [e1])
    moment = datetime(2017, 12, 20, 9, 0)
    with time_machine.travel(moment, tick=False):
        assert headline.overdue_at_month_ends(hub_db, ["2017-10", "2017-12"], moment) == [1, None]
        assert headline.overdue_now(hub_db, moment) == 1
        # The offer, recorded late but dated 2 October: not overdue at the end of October after all.
        hub_db.execute("update return_home_interviews set offered_at = '2017-10-02 09:00' where id = ?", [rhi])
        assert headline.overdue_at_month_ends(hub_db, ["2017-10"], moment) == [0]
        assert headline.overdue_now(hub_db, moment) == 0
        # A September episode changing reaches October's month end too.
        hub_db.execute("update return_home_interviews set offered_at = null where id = ?", [rhi])
        assert headline.overdue_at_month_ends(hub_db, ["2017-10"], moment) == [1]


def test_a_late_episode_reaches_the_repeat_missing_children_of_the_months_after_it(hub_db):
    child = add_child(hub_db, "C1", "2004-05-05")
    add_episode(hub_db, "E1", child, "2018-02-10 10:00", "2018-02-10 12:00")
    add_episode(hub_db, "E2", child, "2018-03-01 00:00", "2018-03-01 02:00")
    with time_machine.travel(datetime(2018, 6, 20, 9, 0), tick=False):
        before = figures.beyond_the_seed(hub_db, "2018-01", "2018-03")
        assert before["repeat"]["children"] == {"2018-01": 0, "2018-02": 0, "2018-03": 0}
        # An episode of 30 January recorded late: with 10 February's and 1 March's, three in 30 days
        # (February is short, so March's window reaches back into January).
        add_episode(hub_db, "E3", child, "2018-01-30 12:00", "2018-01-30 14:00")
        after = figures.beyond_the_seed(hub_db, "2018-02", "2018-03")
        assert after["repeat"]["children"] == {"2018-02": 0, "2018-03": 1}
        assert after["table"][1]["episodes"] == 1  # March's other figures, kept, are unchanged
        fresh = figures.beyond_the_seed(hub_db, "2018-02", "2018-03", at=datetime(2018, 6, 20, 9, 0))
        assert {k: v for k, v in after.items() if k != "rows_also"} == fresh
        assert _kept(hub_db) == ["2018-02", "2018-03"]
        # Read again: nothing left to count, the same figures.
        assert figures.beyond_the_seed(hub_db, "2018-02", "2018-03")["repeat"] == after["repeat"]


def test_every_count_finds_an_episodes_rhis_by_the_index(hub_db):
    # A constant in the join once made SQLite read all of rhi_episodes for every episode: minutes at a
    # region's scale for the repeat-missing recount after a late write-up.
    child = add_child(hub_db, "C1", "2004-05-05")
    add_episode(hub_db, "E1", child, "2018-02-10 10:00", "2018-02-10 12:00")
    frames = []
    hub_db.conn.set_trace_callback(lambda sql: frames.append(sql) if "create temp table" in sql else None)
    try:
        figures._count_months(hub_db, "2018-02", "2018-02", figures.NO_FILTERS)
        figures._repeat_children(hub_db, "2018-02", "2018-02", figures.NO_FILTERS)
    finally:
        hub_db.conn.set_trace_callback(None)
    assert len(frames) == 2
    for sql in frames:
        plan = " / ".join(row[3] for row in hub_db.execute("explain query plan " + sql.split(" as\n", 1)[1]))
        assert "SCAN re" not in plan and "rhi_episodes_episode (episode=?)" in plan, plan
