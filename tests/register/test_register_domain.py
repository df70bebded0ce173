"""The register's rules, without Flask: periods, found notifications, type changes, Today."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from rhi_desk import audit
from rhi_desk.register import children, episodes, rhi_tracking
from rhi_desk.register import today as register_today
from rhi_desk.register.rules import RegisterError

NOW = datetime(2017, 4, 10, 9, 0)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def add_child(db, child_id="C1", name="Amy Smith", **values):
    values.setdefault("date_of_birth", "2003-05-01")
    values.setdefault("sex", "female")
    return children.create_child(db, child_id, name=name, by="mo", **values)


def test_child_created_found_by_id_and_name_and_audited(hub_db, frozen):
    add_child(hub_db)
    add_child(hub_db, "C2", "Ben Jones", sex="male")
    assert [c["child_id"] for c in children.search_children(hub_db, "C2")] == ["C2"]
    assert [c["name"] for c in children.search_children(hub_db, "amy")] == ["Amy Smith"]
    assert [c["name"] for c in children.search_children(hub_db, "jones")] == ["Ben Jones"]
    assert children.search_children(hub_db, "zed") == []
    assert [e["action"] for e in audit.entries(hub_db, object_type="child", object_id="C1")] == ["child.create"]


def test_child_rules(hub_db, frozen):
    add_child(hub_db)
    with pytest.raises(RegisterError, match="already a child with id C1"):
        add_child(hub_db)
    with pytest.raises(RegisterError, match="Enter the child's name"):
        children.create_child(hub_db, "C9", name=" ")
    with pytest.raises(RegisterError, match="placed") as exc:
        add_child(hub_db, "C3", looked_after=True)
    assert exc.value.field == "placement"
    with pytest.raises(RegisterError, match="council responsible"):
        add_child(hub_db, "C4", other_la=True)
    with pytest.raises(RegisterError, match="in the past"):
        add_child(hub_db, "C5", date_of_birth="2018-01-01")
    with pytest.raises(RegisterError, match="letters, numbers, dots, dashes and underscores"):
        add_child(hub_db, "C/6")


def test_update_child_audits_changes(hub_db, frozen):
    add_child(hub_db)
    child = children.update_child(hub_db, "C1", name="Amy Smith", date_of_birth="2003-05-01", sex="female",
                                  looked_after=True, placement="out_of_borough", by="mo")
    assert child["looked_after"] == 1 and child["placement"] == "out_of_borough"
    assert audit.entries(hub_db, object_type="child", object_id="C1")[0]["action"] == "child.update"


def test_missing_copies_status_and_gets_readable_id(hub_db, frozen):
    add_child(hub_db, looked_after=True, placement="neighbouring")
    episode = episodes.record_missing(hub_db, "C1", start="2017-04-03 14:05", police_risk="high", by="mo")
    assert episode["episode_id"] == "E-20170403-1"
    assert episode["end"] is None
    assert (episode["looked_after"], episode["placement"], episode["other_la"]) == (1, "neighbouring", 0)
    # A later change to the child does not rewrite the episode's status.
    children.update_child(hub_db, "C1", name="Amy Smith", looked_after=False)
    assert episodes.get_episode(hub_db, "E-20170403-1")["placement"] == "neighbouring"


def test_second_open_episode_refused_with_a_clear_sentence(hub_db, frozen):
    add_child(hub_db)
    episodes.record_missing(hub_db, "C1", start="2017-04-03 14:05")
    with pytest.raises(RegisterError) as exc:
        episodes.record_missing(hub_db, "C1", start="2017-04-05 10:00")
    assert str(exc.value) == ("Amy Smith already has an open episode from 3 April 2017, 2:05pm. "
                              "Record her return before a new episode.")


def test_overlapping_period_refused(hub_db, frozen):
    add_child(hub_db)
    first = episodes.record_missing(hub_db, "C1", start="2017-04-03 14:05")
    episodes.record_found(hub_db, first["episode_id"], end="2017-04-04 20:00")
    with pytest.raises(RegisterError, match="overlaps"):
        episodes.record_missing(hub_db, "C1", start="2017-04-04 19:00")
    with pytest.raises(RegisterError, match="overlaps"):
        episodes.record_missing(hub_db, "C1", start="2017-04-01 19:00")
    # Going missing again the minute after returning is a new episode, not an overlap.
    again = episodes.record_missing(hub_db, "C1", start="2017-04-04 20:00")
    assert again["episode_id"] == "E-20170404-1"


def test_impossible_times_refused(hub_db, frozen):
    add_child(hub_db)
    with pytest.raises(RegisterError, match="in the past"):
        episodes.record_missing(hub_db, "C1", start="2017-04-10 09:01")
    with pytest.raises(RegisterError, match="before Amy Smith's date of birth"):
        episodes.record_missing(hub_db, "C1", start="2003-04-30 10:00")
    episode = episodes.record_missing(hub_db, "C1", start="2017-04-03 14:05")
    with pytest.raises(RegisterError, match="after the time last seen") as exc:
        episodes.record_found(hub_db, episode["episode_id"], end="2017-04-03 14:00")
    assert exc.value.field == "end"
    with pytest.raises(RegisterError, match="in the past"):
        episodes.record_found(hub_db, episode["episode_id"], end="2017-04-11 10:00")
    assert episodes.get_episode(hub_db, episode["episode_id"])["end"] is None


def test_found_closes_and_opens_rhi_with_default_interviewer(hub_db, frozen):
    add_child(hub_db, looked_after=True, placement="out_of_borough")
    add_child(hub_db, "C2", "Ben Jones", sex="male", social_worker="Sam Worker")
    far = episodes.record_missing(hub_db, "C1", start="2017-04-03 14:05")
    near = episodes.record_missing(hub_db, "C2", start="2017-04-03 14:05")
    episodes.record_found(hub_db, far["episode_id"], end="2017-04-04 08:00", found_where="Brighton", by="mo")
    episodes.record_found(hub_db, near["episode_id"], end="2017-04-04 08:00", by="mo")
    (entry,) = episodes.timeline(hub_db, "C1")
    assert entry.episode["end"] == "2017-04-04 08:00" and entry.episode["found_where"] == "Brighton"
    assert [r["interviewer_type"] for r in entry.rhis] == ["provider"]
    (entry2,) = episodes.timeline(hub_db, "C2")
    assert [(r["interviewer_type"], r["assigned_to"]) for r in entry2.rhis] == [("social_worker", "Sam Worker")]
    # Recording the return again corrects it; no second RHI.
    episodes.record_found(hub_db, near["episode_id"], end="2017-04-04 09:00")
    assert len(episodes.timeline(hub_db, "C2")[0].rhis) == 1


def test_ola_return_gets_no_rhi_duty(hub_db, frozen):
    add_child(hub_db, other_la=True, responsible_la="Sutton")
    episode = episodes.record_missing(hub_db, "C1", start="2017-04-03 14:05")
    episodes.record_found(hub_db, episode["episode_id"], end="2017-04-04 08:00")
    (entry,) = episodes.timeline(hub_db, "C1")
    assert entry.rhis == [] and entry.clock is None
    assert entry.clock_label == "Another council's duty (OLA)"


def test_type_change_keeps_history(hub_db, frozen):
    add_child(hub_db)
    episode = episodes.record_missing(hub_db, "C1", start="2017-04-03 14:05")
    episodes.change_type(hub_db, episode["episode_id"], "away", by="mo")
    episodes.change_type(hub_db, episode["episode_id"], "missing", by="al")
    history = episodes.type_changes(hub_db, episode["episode_id"])
    assert [(h["from_type"], h["to_type"], h["changed_by"]) for h in history] == [
        ("missing", "away", "mo"), ("away", "missing", "al")]
    assert episodes.get_episode(hub_db, episode["episode_id"])["episode_type"] == "missing"
    with pytest.raises(RegisterError, match="already recorded as missing"):
        episodes.change_type(hub_db, episode["episode_id"], "missing")


def test_timeline_newest_first_with_clocks(hub_db, frozen):
    add_child(hub_db)
    first = episodes.record_missing(hub_db, "C1", start="2017-04-01 10:00")
    episodes.record_found(hub_db, first["episode_id"], end="2017-04-01 20:00")
    second = episodes.record_missing(hub_db, "C1", start="2017-04-08 10:00")
    episodes.record_found(hub_db, second["episode_id"], end="2017-04-09 09:00")
    episodes.record_missing(hub_db, "C1", start="2017-04-09 22:00")
    labels = [(e.episode["start"], e.clock_label) for e in episodes.timeline(hub_db, "C1")]
    assert labels == [("2017-04-09 22:00", "Clock starts when the child returns"),
                      ("2017-04-08 10:00", "48 hours left"),
                      ("2017-04-01 10:00", "Overdue by 5 days 13 hours")]


def _returned(db, child_id, name, end, **child):
    add_child(db, child_id, name, **child)
    start = end[:11] + "00:00" if end[11:] > "00:00" else end
    episode = episodes.record_missing(db, child_id, start=start)
    return episodes.record_found(db, episode["episode_id"], end=end)


def test_today_sections(hub_db):
    with time_machine.travel(NOW, tick=False):
        add_child(hub_db, "M1", "Missing Now")
        episodes.record_missing(hub_db, "M1", start="2017-04-09 07:30")
        add_child(hub_db, "O1", "Ola Child", other_la=True, responsible_la="Sutton")
        episodes.record_missing(hub_db, "O1", start="2017-04-10 08:00")
        recent = _returned(hub_db, "R1", "Recent Return", "2017-04-09 12:00")
        old = _returned(hub_db, "D1", "Due Long Ago", "2017-04-05 12:00")
        offered = _returned(hub_db, "F1", "Offered Already", "2017-04-05 12:00")
        _returned(hub_db, "X1", "Ola Returned Long Ago", "2017-04-05 12:00", other_la=True,
                  responsible_la="Sutton")
        _returned(hub_db, "Y1", "Ola Returned Recently", "2017-04-09 12:00", other_la=True,
                  responsible_la="Sutton")
        rhi = episodes.timeline(hub_db, "F1")[0].rhis[0]
        rhi_tracking.record_offer(hub_db, rhi["rhi_id"], "2017-04-06 10:00", "phone", "Mo")
        add_child(hub_db, "P1", "Repeat Person")
        for day in ("01", "04", "07"):
            e = episodes.record_missing(hub_db, "P1", start=f"2017-04-{day} 10:00")
            episodes.record_found(hub_db, e["episode_id"], end=f"2017-04-{day} 11:00")
        rhis = episodes.timeline(hub_db, "P1")
        for entry in rhis:
            rhi_tracking.record_offer(hub_db, entry.rhis[0]["rhi_id"], entry.episode["end"], "phone", "Mo")

        today = register_today.today(hub_db)
    assert [(r["child_id"], r["duration"], r["clock_label"]) for r in today.missing_now] == [
        ("M1", "1 day 1 hour", None), ("O1", "1 hour", "Another council's duty (OLA)")]
    assert [(r["child_id"], r["clock_label"]) for r in today.returned] == [
        ("R1", "51 hours left"), ("Y1", "Another council's duty (OLA)")]
    assert [(r["child_id"], r["clock_label"]) for r in today.overdue] == [("D1", "Overdue by 45 hours")]
    assert today.overdue_total == 1
    assert [(r["child_id"], r["episodes"]) for r in today.repeat] == [("P1", 3)]
    assert recent["episode_id"] and old["episode_id"] and offered["episode_id"]


@pytest.mark.parametrize("elapsed, section, label", [
    ((71, 59), "returned", "1 minute left"),
    ((72, 0), "overdue", "Overdue by 0 minutes"),
    ((143, 59), "overdue", "Overdue by 71 hours 59 minutes"),
    ((144, 0), "overdue", "Overdue by 3 days"),
    ((169, 30), "overdue", "Overdue by 4 days 1 hour"),
])
def test_today_72_hour_boundary(hub_db, elapsed, section, label):
    with time_machine.travel(datetime(2017, 4, 5, 12, 0), tick=False):
        _returned(hub_db, "B1", "Boundary Child", "2017-04-05 12:00")
    hours, minutes = elapsed
    with time_machine.travel(datetime(2017, 4, 5, 12, 0) + timedelta(hours=hours, minutes=minutes),
                             tick=False):
        today = register_today.today(hub_db)
    rows = getattr(today, section)
    other = today.overdue if section == "returned" else today.returned
    assert [(r["child_id"], r["clock_label"]) for r in rows] == [("B1", label)]
    assert other == []


def test_overdue_keeps_old_unoffered_rhis_but_not_old_history(hub_db):
    with time_machine.travel(datetime(2016, 1, 10, 12, 0), tick=False):
        _returned(hub_db, "A1", "Awaiting Offer", "2016-01-05 12:00")
        # History with no RHI record at all, long before the look-back.
        child = add_child(hub_db, "H1", "History Only")
        hub_db.execute("insert into episodes (episode_id, child, episode_type, start, \"end\", created_at, "
                       "updated_at) values ('OLD1', ?, 'missing', '2015-01-01 10:00', '2015-01-02 10:00', 'x', 'x')",
                       [child["id"]])
    with time_machine.travel(NOW, tick=False):
        today = register_today.today(hub_db)
    assert [r["child_id"] for r in today.overdue] == ["A1"]


def test_overdue_shows_the_longest_overdue_first_and_counts_all(hub_db):
    with time_machine.travel(NOW, tick=False):
        _returned(hub_db, "A1", "Later Return", "2017-04-06 12:00")
        _returned(hub_db, "A2", "Earlier Return", "2017-04-05 12:00")
        today = register_today.today(hub_db, overdue_shown=1)
    assert [r["child_id"] for r in today.overdue] == ["A2"]
    assert today.overdue_total == 2
