"""Actions due, computed from the records, with frozen time: every kind, every trigger, every deadline."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import time_machine

from rhi_desk import audit
from rhi_desk.actions import due, triggers
from rhi_desk.actions.due import ActionError
from tests.actions_records import NOW, add_child, complete_interview, episode, offer, the_issues_register


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def kinds(db, at=None, **kw):
    return sorted((a.kind, a.child_id, a.episode_id) for a in due.due(db, at, **kw))


def test_the_issues_register_lists_each_notice_and_the_strategy_meeting(hub_db, frozen, cli):
    the_issues_register(hub_db)
    actions = {(a.kind, a.child_id): a for a in due.due(hub_db)}
    responsible = actions[("notify_responsible", "OLA1")]
    assert responsible.to_whom == "Sutton"
    assert responsible.deadline == datetime(2017, 4, 10, 20, 0) and not responsible.overdue
    assert actions[("ola_outcome", "OLA1")].deadline == datetime(2017, 4, 17, 8, 0)
    assert actions[("notify_host", "OOB1")].deadline == datetime(2017, 4, 10, 22, 0)
    assert ("notify_iro", "OOB1") in actions
    assert actions[("rhi_offer", "OOB1")].deadline == datetime(2017, 4, 13, 7, 30)
    strategy = actions[("strategy", "REP1")]
    assert strategy.episode_id == "E-REP1-2" and "3 or more missing episodes in 30 days" in strategy.reason
    assert strategy.deadline == datetime(2017, 4, 12, 19, 0)
    # A looked-after child's first episode fires a strategy meeting too.
    assert "first episode" in actions[("strategy", "OOB1")].reason
    assert not [a for a in actions.values() if a.child_id == "CALM1"]
    # No interview offer for the OLA child: it is the responsible council's duty.
    assert ("rhi_offer", "OLA1") not in actions

    result = cli("due")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("Tell the responsible council: Olu Ade (OLA1), episode E-OLA1, by 2017-04-10 20:00")
               for line in lines), lines
    assert any(line.startswith("Tell the host council (placed out of borough): Pat Reed (OOB1), episode E-OOB1, "
                               "by 2017-04-10 22:00") for line in lines), lines
    assert any(line.startswith("Hold a strategy meeting or discussion (3 or more missing episodes in 30 days): "
                               "Remi Cole (REP1), episode E-REP1-2, by 2017-04-12 19:00") for line in lines), lines
    assert "CALM1" not in result.output and "Cal Moss" not in result.output
    assert lines[-1] == f"{len(lines) - 1} actions due, 0 overdue."


def test_overdue_once_the_deadline_passes_and_done_when_recorded(hub_db, frozen):
    the_issues_register(hub_db)
    later = NOW + timedelta(hours=14)
    late = {a.key for a in due.due(hub_db, later) if a.overdue}
    assert "notify_responsible:E-OLA1" in late and "notify_host:E-OOB1" in late
    with pytest.raises(ActionError, match="how they were told"):
        due.record_done(hub_db, "notify_responsible:E-OLA1", done_at="2017-04-10 08:45", done_by="Mo Khan",
                        to_whom="Sutton duty team", by="mo")
    with pytest.raises(ActionError, match="who was told"):
        due.record_done(hub_db, "notify_responsible:E-OLA1", done_at="2017-04-10 08:45", done_by="Mo Khan",
                        how="phone", by="mo")
    with pytest.raises(ActionError, match="future"):
        due.record_done(hub_db, "notify_responsible:E-OLA1", done_at="2017-04-10 10:45", done_by="Mo Khan",
                        how="phone", to_whom="Sutton", by="mo")
    with pytest.raises(ActionError, match="who did it"):
        due.record_done(hub_db, "notify_responsible:E-OLA1", done_at="2017-04-10 08:45", done_by=" ",
                        how="phone", to_whom="Sutton", by="mo")
    due.record_done(hub_db, "notify_responsible:E-OLA1", done_at="2017-04-10 08:45", done_by="Mo Khan",
                    how="phone", to_whom="Sutton duty team", by="mo")
    assert "notify_responsible:E-OLA1" not in {a.key for a in due.due(hub_db)}
    with pytest.raises(ActionError, match="not due"):
        due.record_done(hub_db, "notify_responsible:E-OLA1", done_at="2017-04-10 08:45", done_by="Mo Khan",
                        how="phone", to_whom="Sutton", by="mo")
    entry = [e for e in audit.entries(hub_db, object_type="child", object_id="OLA1") if e["action"] == "action.done"]
    detail = json.loads(entry[0]["detail"])
    # The audit log keeps who acted and which fields, never a person's name as a value (GDPR).
    assert entry[0]["username"] == "mo" and "Mo Khan" not in entry[0]["detail"]
    assert detail["late"] is False
    with pytest.raises(ActionError, match="outcome"):
        due.record_done(hub_db, "ola_outcome:E-OLA1", done_at="2017-04-10 08:50", done_by="Mo", by="mo")
    due.record_done(hub_db, "ola_outcome:E-OLA1", done_at="2017-04-10 08:50", done_by="Mo", outcome="declined",
                    by="mo")
    assert [d["kind"] for d in due.done_for_child(hub_db, hub_db.execute("select id from children where child_id = 'OLA1'").fetchone()[0])] == [
        "ola_outcome", "notify_responsible"]
    with pytest.raises(ActionError, match="offer on the episode"):
        due.record_done(hub_db, "rhi_offer:E-OOB1", done_at="2017-04-10 08:50", done_by="Mo", by="mo")
    offer(hub_db, "E-OOB1", "2017-04-10 08:55")
    assert "rhi_offer:E-OOB1" not in {a.key for a in due.due(hub_db)}


def test_a_strategy_meeting_covers_the_triggers_before_it(hub_db, frozen):
    the_issues_register(hub_db)
    due.record_done(hub_db, "strategy:E-REP1-2", done_at="2017-04-10 08:00", done_by="Mo", how="meeting",
                    notes="Safety plan agreed", by="mo")
    assert ("strategy", "REP1") not in {(a.kind, a.child_id) for a in due.due(hub_db)}
    # A fourth episode a week later: the pattern was considered at the meeting, so no new one is due...
    with time_machine.travel(datetime(2017, 4, 17, 9, 0), tick=False):
        episode(hub_db, "REP1", "2017-04-16 18:00", "2017-04-16 23:00", episode_id="E-REP1-3")
        assert ("strategy", "REP1") not in {(a.kind, a.child_id) for a in due.due(hub_db)}
    # ...but the police grading it high does call for one.
    with time_machine.travel(datetime(2017, 4, 20, 9, 0), tick=False):
        episode(hub_db, "REP1", "2017-04-19 18:00", police_risk="high", episode_id="E-REP1-4")
        action = [a for a in due.due(hub_db) if a.kind == "strategy" and a.child_id == "REP1"]
        assert [a.episode_id for a in action] == ["E-REP1-4"]
        assert "Police risk graded high" in action[0].reason and "3 or more" in action[0].reason
        assert action[0].deadline == datetime(2017, 4, 20, 18, 0)


def test_each_trigger_fires_at_its_moment(hub_db):
    with time_machine.travel(datetime(2017, 4, 1, 9, 0), tick=False):
        add_child(hub_db, "LONG", "Lee Long")
        episode(hub_db, "LONG", "2017-04-01 08:00")
    at = datetime(2017, 4, 2, 7, 59)
    assert kinds(hub_db, at) == []  # missing 23 hours 59 minutes: nothing yet
    at = datetime(2017, 4, 2, 8, 1)
    strategy = [a for a in due.due(hub_db, at) if a.kind == "strategy"]
    assert strategy[0].reason == "Missing longer than 24 hours"
    assert strategy[0].deadline == datetime(2017, 4, 3, 8, 0)
    with time_machine.travel(datetime(2017, 4, 2, 9, 0), tick=False):
        add_child(hub_db, "LAC", "Lia Care", looked_after=True, placement="in_borough")
        episode(hub_db, "LAC", "2017-04-02 06:00", "2017-04-02 08:00", episode_id="E-LAC-1")
        first = [a for a in due.due(hub_db) if a.child_id == "LAC"]
        assert sorted(a.kind for a in first) == ["rhi_offer", "strategy"]  # in borough: no host council
        due.record_done(hub_db, "strategy:E-LAC-1", done_at="2017-04-02 08:30", done_by="Mo", how="discussion",
                        by="mo")
    with time_machine.travel(datetime(2017, 4, 5, 9, 0), tick=False):
        episode(hub_db, "LAC", "2017-04-04 06:00", "2017-04-04 08:00", episode_id="E-LAC-2")
        # Not the first episode: no strategy meeting; both interview offers are still due.
        assert [(a.kind, a.episode_id) for a in due.due(hub_db) if a.child_id == "LAC"] == [
            ("rhi_offer", "E-LAC-1"), ("rhi_offer", "E-LAC-2")]


def test_exploitation_in_a_signed_off_interview_fires_and_referrals_decided_are_due(hub_db):
    with time_machine.travel(datetime(2017, 4, 3, 9, 0), tick=False):
        add_child(hub_db, "EX", "Eve Ex")
        episode(hub_db, "EX", "2017-04-02 18:00", "2017-04-02 22:00", episode_id="E-EX")
    with time_machine.travel(datetime(2017, 4, 4, 9, 0), tick=False):
        rhi = complete_interview(hub_db, "E-EX", harm_indicators=["county_lines"],
                                 referrals=["police_intelligence", "cse_cce_panel"])
        actions = {a.key: a for a in due.due(hub_db) if a.child_id == "EX"}
    assert actions["strategy:E-EX"].reason == "Exploitation indicated in a return home interview"
    referral = actions[f"referral:{rhi}:cse_cce_panel"]
    assert referral.reason == "CSE or CCE panel" and referral.deadline == datetime(2017, 4, 6, 9, 0)
    with time_machine.travel(datetime(2017, 4, 5, 9, 0), tick=False):
        due.record_done(hub_db, f"referral:{rhi}:cse_cce_panel", done_at="2017-04-05 08:00", done_by="Mo",
                        notes="Panel on Thursday", by="mo")
        left = {a.key for a in due.due(hub_db) if a.kind == "referral"}
        assert left == {f"referral:{rhi}:police_intelligence"}
        made = list(hub_db.query("select kind, made_by, rhi_code from referrals"))
        assert made == [{"kind": "exploitation_panel", "made_by": "Mo", "rhi_code": "cse_cce_panel"}]


def test_the_council_changes_its_trigger_table(hub_db, frozen, cli):
    the_issues_register(hub_db)
    triggers.set_trigger(hub_db, "repeat", threshold=4, by="admin")
    assert ("strategy", "REP1") not in {(a.kind, a.child_id) for a in due.due(hub_db)}
    triggers.set_trigger(hub_db, "repeat", threshold=3, by="admin")
    triggers.set_trigger(hub_db, "lac_first", enabled=False, by="admin")
    assert ("strategy", "OOB1") not in {(a.kind, a.child_id) for a in due.due(hub_db)}
    assert ("strategy", "REP1") in {(a.kind, a.child_id) for a in due.due(hub_db)}
    with pytest.raises(triggers.TriggerError, match="no threshold"):
        triggers.set_trigger(hub_db, "police_high", threshold=2)
    result = cli("triggers", "set", "nonsense", "--off")
    assert result.exit_code == 1 and "There is no strategy-meeting trigger called nonsense" in result.output
    result = cli("triggers", "set", "repeat", "--within-hours", "48")
    assert result.exit_code == 0 and "strategy meeting due within 48 hours" in result.output
    listing = cli("triggers", "list").output
    assert "lac_first      off" in listing and "repeat         on   3 or more missing episodes" in listing
    assert [e["action"] for e in audit.entries(hub_db, object_type="strategy_trigger")][-1] == \
        "strategy_trigger.change"


def test_another_area_adds_a_trigger(hub_db, frozen):
    the_issues_register(hub_db)

    def calm(db, episodes, at, threshold):
        return {e["id"]: at - timedelta(hours=1) for e in episodes if e["child_id"] == "CALM1"}

    extra = triggers.Trigger("screening_test", "Exploitation screening indicates risk", timedelta(hours=12), calm)
    triggers.add_trigger(extra)
    try:
        with pytest.raises(triggers.TriggerError):
            triggers.add_trigger(extra)
        action = [a for a in due.due(hub_db) if a.child_id == "CALM1"]
        assert [(a.kind, a.reason, a.deadline) for a in action] == [
            ("strategy", "Exploitation screening indicates risk", NOW + timedelta(hours=11))]
    finally:
        triggers._TRIGGERS.remove(extra)


def test_old_history_raises_no_action(hub_db):
    with time_machine.travel(datetime(2016, 1, 1, 9, 0), tick=False):
        add_child(hub_db, "OLD", "Old Record", looked_after=True, placement="out_of_borough")
        episode(hub_db, "OLD", "2015-12-30 18:00", "2015-12-31 22:00")
    assert due.due(hub_db, datetime(2017, 4, 10, 9, 0)) == []
    assert len(due.due(hub_db, datetime(2016, 1, 1, 9, 0))) == 4
