"""Duplicates: warned when a child is added twice; two child records or two episodes merged with a reason,
audited, counted once, and undone exactly by an administrator."""
from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from rhi_desk.register import children, episodes, merges
from rhi_desk.register.rules import RegisterError
from rhi_desk.reports import kpi


def _returned(db, child_id, start, end):
    e = episodes.record_missing(db, child_id, start=start)
    episodes.record_found(db, e["episode_id"], end=end)
    return e["episode_id"]


def _april(db, day=None):
    row = kpi.monthly_table(db, "2017-04", "2017-04", as_of=kpi.as_recorded_on(day) if day else None)[0]
    return row["children_missing"], row["episodes"]


def test_names_match_whatever_the_case_hyphens_and_spacing():
    assert merges.name_key("Amy-Jo Smith") == merges.name_key("amy jo  SMITH")


def test_a_second_record_of_one_child_is_found_as_a_possible_duplicate(hub_db):
    children.create_child(hub_db, "C1", name="Amy-Jo Smith", date_of_birth="2004-01-01")
    children.create_child(hub_db, "C2", name="Amy Smith", date_of_birth="2004-01-01")
    found = merges.possible_duplicates(hub_db, "amy jo smith", "2004-01-01")
    assert [d["child_id"] for d in found] == ["C1"]
    assert merges.possible_duplicates(hub_db, "Amy-Jo Smith", "2004-01-02") == []
    assert merges.possible_duplicates(hub_db, "Amy-Jo Smith", None) == []


def test_merging_two_child_records_moves_everything_counts_once_and_undoes_exactly(hub_db):
    with time_machine.travel(datetime(2017, 5, 1, 9, 0), tick=False):
        children.create_child(hub_db, "C1", name="Amy Smith", date_of_birth="2004-01-01")
        children.create_child(hub_db, "IMP-C-9", name="Amy Smith", date_of_birth="2004-01-01")
        kept_episode = _returned(hub_db, "C1", "2017-04-03 10:00", "2017-04-03 20:00")
        moved_episode = _returned(hub_db, "IMP-C-9", "2017-04-10 10:00", "2017-04-10 20:00")
    with time_machine.travel(datetime(2017, 5, 2, 9, 0), tick=False):
        assert _april(hub_db) == (2, 2)  # one child counted twice
        with pytest.raises(RegisterError, match="Enter why"):
            merges.merge_children(hub_db, "C1", "IMP-C-9", reason=" ")
        with pytest.raises(RegisterError, match="itself"):
            merges.merge_children(hub_db, "C1", "C1", reason="x")
        merge = merges.merge_children(hub_db, "C1", "IMP-C-9", reason="Imported twice", by="missing")
        assert _april(hub_db) == (1, 2)
        assert {e.episode["episode_id"] for e in episodes.timeline(hub_db, "C1")} == {kept_episode, moved_episode}
        assert merges.merged_into(hub_db, "IMP-C-9") == "C1"
        assert "IMP-C-9" not in [c["child_id"] for c in children.recent_children(hub_db)]
        with pytest.raises(RegisterError, match="already been merged"):
            merges.merge_children(hub_db, "C1", "IMP-C-9", reason="again")
        assert _april(hub_db, "2017-05-01") == (2, 2)  # the day before the merge stands as it stood
    with time_machine.travel(datetime(2017, 5, 3, 9, 0), tick=False):
        undone = merges.undo_merge(hub_db, merge["id"], by="admin")
        assert undone["undone_by"] == "admin"
        assert [e.episode["episode_id"] for e in episodes.timeline(hub_db, "IMP-C-9")] == [moved_episode]
        assert [e.episode["episode_id"] for e in episodes.timeline(hub_db, "C1")] == [kept_episode]
        assert merges.merged_into(hub_db, "IMP-C-9") is None and _april(hub_db) == (2, 2)
        with pytest.raises(RegisterError, match="already been undone"):
            merges.undo_merge(hub_db, merge["id"])
    actions = [r[0] for r in hub_db.execute("select action from audit_log where action like '%merge%' order by id")]
    assert actions == ["child.merge", "child.merge_undone"]


def test_merging_two_episodes_of_one_absence_spans_both_and_undoes_exactly(hub_db):
    with time_machine.travel(datetime(2017, 5, 1, 9, 0), tick=False):
        children.create_child(hub_db, "C1", name="Amy Smith", date_of_birth="2004-01-01")
        children.create_child(hub_db, "C2", name="Ben Jones", date_of_birth="2005-01-01")
        first = _returned(hub_db, "C1", "2017-04-03 10:00", "2017-04-03 20:00")
        second = _returned(hub_db, "C1", "2017-04-03 21:00", "2017-04-04 08:00")
        other = _returned(hub_db, "C2", "2017-04-03 10:00", "2017-04-03 20:00")
        assert _april(hub_db) == (2, 3)
        with pytest.raises(RegisterError, match="same child"):
            merges.merge_episodes(hub_db, first, other, reason="x")
        merge = merges.merge_episodes(hub_db, first, second, reason="Police reported it twice", by="missing")
        kept = episodes.get_episode(hub_db, first)
        assert (kept["start"][:16], kept["end"][:16]) == ("2017-04-03 10:00", "2017-04-04 08:00")
        assert episodes.get_episode(hub_db, second)["voided_at"] and _april(hub_db) == (2, 2)
        covering = hub_db.execute("select count(*) from rhi_episodes re join episodes e on e.id = re.episode "
                                  "where e.episode_id = ?", [first]).fetchone()[0]
        assert covering == 2  # the second report's interview now covers the kept episode too
        merges.undo_merge(hub_db, merge["id"], by="admin")
        kept = episodes.get_episode(hub_db, first)
        assert kept["end"][:16] == "2017-04-03 20:00" and not episodes.get_episode(hub_db, second)["voided_at"]
        assert _april(hub_db) == (2, 3)
