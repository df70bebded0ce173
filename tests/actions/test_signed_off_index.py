"""The interviews signed off since a day are found through their own small index (actions migration 0056).

Today's referrals decided in interviews and the high-risk list's concerns each look for the interviews signed
off in their window; without an index that reads every interview a council ever recorded (a million after
importing its history), and the index that served them held every interview too.
"""
from __future__ import annotations

from datetime import datetime

import time_machine

from rhi_desk import accounts
from rhi_desk.actions import due
from rhi_desk.interviews import access
from rhi_desk.reports import high_risk
from tests.actions_records import add_child, complete_interview, episode


def _signed_off_lookups(db, *calls) -> list[str]:
    """The statements ``calls`` run that look for interviews signed off since a day."""
    seen = []
    db.conn.set_trace_callback(lambda sql: seen.append(sql) if "signed_off_at >=" in sql else None)
    try:
        for call in calls:
            call()
    finally:
        db.conn.set_trace_callback(None)
    return seen


def _plan(db, sql: str) -> list[str]:
    return [row[3] for row in db.execute("explain query plan " + sql)]


def _reads_every_interview(steps: list[str]) -> bool:
    """A step that reads the whole interviews table (a SCAN through a partial index reads that index only)."""
    return any(step in ("SCAN r", "SCAN return_home_interviews") for step in steps)


def test_interviews_signed_off_since_a_day_are_found_through_the_signed_off_index(hub_db):
    with time_machine.travel(datetime(2017, 4, 3, 9, 0), tick=False):
        add_child(hub_db, "EX", "Eve Ex")
        episode(hub_db, "EX", "2017-04-02 18:00", "2017-04-02 22:00", episode_id="E-EX")
        add_child(hub_db, "OPEN", "Owen Open")
        episode(hub_db, "OPEN", "2017-04-02 19:00", "2017-04-02 23:00", episode_id="E-OPEN")
    with time_machine.travel(datetime(2017, 4, 4, 9, 0), tick=False):
        rhi = complete_interview(hub_db, "E-EX", harm_indicators=["county_lines"], referrals=["cse_cce_panel"],
                                 risk_level="high")
        found = {}
        lookups = _signed_off_lookups(
            hub_db,
            lambda: found.update(referrals={a.key for a in due.due(hub_db) if a.kind == "referral"}),
            lambda: found.update(concerns=[c["rhi_id"] for c in high_risk.high_risk(hub_db)["concerns"]]))
    # What the user sees: the signed-off interview's referral is due, and it is on the high-risk list.
    assert found["referrals"] == {f"referral:{rhi}:cse_cce_panel"}
    assert found["concerns"] == [rhi]
    # How it was found: through the index of signed-off interviews, never by reading every interview.
    assert len(lookups) == 2, lookups
    for sql in lookups:
        steps = _plan(hub_db, sql)
        assert "SEARCH r USING INDEX rhi_signed_off (signed_off_at>?)" in steps and not _reads_every_interview(steps), \
            steps


def test_the_signed_off_index_holds_the_signed_off_interviews_alone(hub_db):
    with time_machine.travel(datetime(2017, 4, 3, 9, 0), tick=False):
        for n in range(3):
            add_child(hub_db, f"C{n}", f"Child {n}")
            episode(hub_db, f"C{n}", f"2017-04-02 1{n}:00", f"2017-04-02 22:0{n}", episode_id=f"E{n}")
        complete_interview(hub_db, "E1")
    indexes = {row[1]: row[4] for row in hub_db.execute("pragma index_list(return_home_interviews)")}
    assert indexes.get("rhi_signed_off") == 1 and "rhi_status_signed_off" not in indexes  # partial; the wide one gone
    held = hub_db.execute("select count(*) from return_home_interviews indexed by rhi_signed_off "
                          "where status = 'signed_off' and signed_off_at >= ''").fetchone()[0]
    assert held == 1
    assert hub_db.execute("select count(*) from return_home_interviews").fetchone()[0] == 3


def test_my_interviews_finds_drafts_and_my_own_through_small_indexes(hub_db):
    mo = accounts.create_user(hub_db, "mo", "correct-horse-battery-1", "missing_team")
    with time_machine.travel(datetime(2017, 4, 3, 9, 0), tick=False):
        for n in range(6):
            add_child(hub_db, f"C{n}", f"Child {n}")
            episode(hub_db, f"C{n}", f"2017-04-02 1{n}:00", f"2017-04-02 22:0{n}", episode_id=f"E{n}")
        # E0 in draft; E1 allocated to mo; E2 assigned to mo's user; E3 allocated to someone else;
        # E4 allocated to mo but signed off; E5 open and nobody's.
        for episode_id, sets in (("E0", "status = 'draft'"), ("E1", "allocated_to = 'mo'"),
                                 ("E2", f"assigned_user = {mo['id']}"), ("E3", "allocated_to = 'sam'"),
                                 ("E4", "allocated_to = 'mo', status = 'signed_off', signed_off_at = '2017-04-03'")):
            hub_db.execute(f"update return_home_interviews set {sets} where id = (select re.rhi from rhi_episodes re "
                           "join episodes e on e.id = re.episode where e.episode_id = ?)", [episode_id])
        seen = []
        hub_db.conn.set_trace_callback(lambda sql: seen.append(sql) if "order by r.id" in sql else None)
        try:
            mine = access.my_interviews(hub_db, mo, {"role": "hub"})
        finally:
            hub_db.conn.set_trace_callback(None)
    assert sorted(r["child"]["child_id"] for r in mine) == ["C0", "C1", "C2"]
    assert len(seen) == 1
    steps = _plan(hub_db, seen[0])
    assert not _reads_every_interview(steps), steps
    assert {"SCAN return_home_interviews USING COVERING INDEX rhi_in_draft",
            "SEARCH return_home_interviews USING COVERING INDEX rhi_assigned_user (assigned_user=?)",
            "SEARCH return_home_interviews USING COVERING INDEX rhi_allocated (allocated_to=?)"} <= set(steps), steps
