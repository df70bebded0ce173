"""The meetings: the daily list since the last meeting, the weekly high-risk list saved week by week (and kept
as it was when the records change), actions agreed and followed up, and the monthly panel pack."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import time_machine

from rhi_desk import audit
from rhi_desk.actions import meetings, panel
from rhi_desk.actions.meetings import MeetingError
from rhi_desk.register import children, episodes
from tests.actions_records import NOW, add_child, complete_interview, episode, the_issues_register


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_the_saved_weekly_list_does_not_change_when_the_records_do(hub_db, clock):
    the_issues_register(hub_db)
    week = meetings.save(hub_db, "weekly", meetings.weekly_list(hub_db), by="mo")
    assert week["period"] == "2017-W15" and week["title"] == \
        "Weekly high-risk meeting: the week beginning 10 April 2017"
    repeat = [r["child_id"] for r in week["listing"]["repeat"]]
    assert repeat == ["REP1"]
    assert {c["child_id"] for c in week["listing"]["children"]} == {"REP1"}
    assert [a["label"] for a in week["listing"]["actions_due"]] == ["Hold a strategy meeting or discussion"]
    # Later the child's name is corrected, an episode is found to be away, and a new child goes missing.
    children.update_child(hub_db, "REP1", name="Remi Cole-Smith", date_of_birth="2003-05-01", sex="female",
                          looked_after=False, placement=None, other_la=False, by="mo")
    episodes.change_type(hub_db, "E-REP1-0", "away", by="mo")
    add_child(hub_db, "NEW1", "Nia New")
    episode(hub_db, "NEW1", "2017-04-10 08:00")
    again = meetings.get_meeting(hub_db, week["id"])
    assert again["listing"] == week["listing"]
    assert [r["name"] for r in again["listing"]["repeat"]] == ["Remi Cole"]
    assert again["listing"]["missing_now"] == []
    assert meetings.weekly_list(hub_db)["repeat"] == []  # today's list has moved on
    with pytest.raises(Exception, match="kept as it was"):
        hub_db.execute("update meetings set snapshot = '{}' where id = ?", [week["id"]])
    with pytest.raises(MeetingError, match="already saved"):
        meetings.save(hub_db, "weekly", meetings.weekly_list(hub_db), by="mo")


def test_actions_agreed_and_last_weeks_shown_next_week(hub_db, clock):
    the_issues_register(hub_db)
    week = meetings.save(hub_db, "weekly", meetings.weekly_list(hub_db), by="mo")
    with pytest.raises(MeetingError, match="Choose a child on this meeting's list"):
        meetings.agree_action(hub_db, week["id"], child_id="CALM1", action="Visit", owner="Mo", due_on="2017-04-14")
    with pytest.raises(MeetingError, match="before the meeting"):
        meetings.agree_action(hub_db, week["id"], child_id="REP1", action="Visit", owner="Mo", due_on="2017-04-01")
    with pytest.raises(MeetingError, match="who owns"):
        meetings.agree_action(hub_db, week["id"], child_id="REP1", action="Visit", owner=" ", due_on="2017-04-14")
    first = meetings.agree_action(hub_db, week["id"], child_id="REP1", action="Strategy meeting with police",
                                  owner="Sam (police)", due_on="2017-04-12", by="mo")
    meetings.agree_action(hub_db, week["id"], child_id=None, action="Review the CSE panel's list", owner="Mo",
                          due_on="2017-04-20", by="mo")
    clock.move_to(datetime(2017, 4, 17, 9, 0))
    meetings.mark_done(hub_db, first["id"], done_on="2017-04-12", done_by="Sam", by="mo")
    with pytest.raises(MeetingError, match="already recorded as done"):
        meetings.mark_done(hub_db, first["id"], done_on="2017-04-12", done_by="Sam", by="mo")
    with pytest.raises(MeetingError, match="future"):
        meetings.mark_done(hub_db, first["id"] + 1, done_on="2017-04-18", done_by="Mo", by="mo")
    next_week = meetings.save(hub_db, "weekly", meetings.weekly_list(hub_db), by="mo")
    assert next_week["period"] == "2017-W16"
    last = next_week["previous"]
    assert last["title"] == "the week beginning 10 April 2017"
    assert [(a["action"], a["done_on"], a["overdue"]) for a in last["actions"]] == [
        ("Strategy meeting with police", "2017-04-12", False), ("Review the CSE panel's list", None, False)]
    clock.move_to(datetime(2017, 4, 21, 9, 0))
    assert [a["overdue"] for a in meetings.get_meeting(hub_db, next_week["id"])["previous"]["actions"]] == [
        False, True]
    kinds = [e["action"] for e in audit.entries(hub_db, object_type="meeting")]
    assert kinds.count("meeting.action_agreed") == 2 and "meeting.action_done" in kinds


def test_the_daily_list_is_what_happened_since_the_last_meeting(hub_db, clock):
    the_issues_register(hub_db)
    first = meetings.daily_list(hub_db)
    assert first["since"] == NOW - timedelta(days=1)
    # E-CALM1 began on 5 April but was recorded now, since the last meeting: it is on the list too.
    assert {r["episode_id"] for r in first["reported"]} == {"E-OLA1", "E-OOB1", "E-REP1-2", "E-CALM1"}
    assert {r["episode_id"] for r in first["returned"]} == {"E-OLA1", "E-OOB1", "E-REP1-2"}
    meetings.save(hub_db, "daily", first, by="mo")
    clock.move_to(NOW + timedelta(hours=3))
    add_child(hub_db, "NEW1", "Nia New")
    episode(hub_db, "NEW1", "2017-04-10 10:00")
    episodes.record_found(hub_db, "E-REP1-0", end="2017-03-20 23:30", by="mo")  # a correction, long ago
    second = meetings.daily_list(hub_db)
    assert second["since"] == NOW
    assert [r["child_id"] for r in second["reported"]] == ["NEW1"] and second["returned"] == []


def test_the_panel_pack(hub_db, clock):
    with time_machine.travel(datetime(2016, 4, 20, 9, 0), tick=False):
        add_child(hub_db, "OLD", "Olive May Dale")
        episode(hub_db, "OLD", "2016-04-02 18:00", "2016-04-02 22:00")
    the_issues_register(hub_db)
    complete_interview(hub_db, "E-REP1-2", what_would_help="Someone to talk to after school",
                       stop_it_happening="Not being moved again")
    pack = panel.pack(hub_db, "2017-04")
    assert pack["columns"] == ["This month", "Previous month", "Same month last year"]
    assert pack["column_months"] == ["April 2017", "March 2017", "April 2016"]
    rows = {r["label"]: r["cells"] for r in pack["table"]}
    assert rows["No of children who went missing"] == ["3", "1", "1"]  # the OLA child left out
    assert rows["No of missing episodes"] == ["3", "2", "1"]
    assert rows["RHIs done % episodes"] == ["33.33%", "0.00%", "0.00%"]
    assert [t["heading"] for t in pack["trend"]][0] == "Apr-16" and len(pack["trend"]) == 13
    assert pack["voice"] == [{"initials": "R.C.", "would_help": "Someone to talk to after school",
                              "stop_it": "Not being moved again"}]
    assert "Remi" not in json.dumps(pack["voice"])
    assert pack["themes"]["interviews"] == 1
    saved = meetings.save(hub_db, "panel", pack, by="mo")
    assert saved["title"] == "Monthly missing panel: April 2017"


def test_initials():
    assert panel.initials("Amy Jane Smith", "C1") == "A.J.S."
    assert panel.initials("Jo Demo-Clarke", "C1") == "J.D.C."
    assert panel.initials("", "C1") == "Child"
