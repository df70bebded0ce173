"""The data-quality list: each check, on records valid one by one but doubtful together."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
import time_machine
from records_helpers import row, write_register

from rhi_desk.register import data_quality
from rhi_desk.register.episode_import import import_episodes


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2018, 2, 1, 9, 0), tick=False):
        yield


def load(db, tmp_path, rows):
    import_episodes(db, write_register(tmp_path / "r.csv", rows))


def found(db):
    return {(i.check, i.rule, i.child_id, i.episode_id) for i in data_quality.find_issues(db)}


def test_clean_history_has_no_issues(hub_db, tmp_path):
    load(hub_db, tmp_path, [
        row("E1", start="2017-05-01 10:00", end="2017-05-02 11:00", rhi_offered_on="2017-05-02", rhi_outcome="completed",
            rhi_completed_on="2017-05-02"),
        row("E2", start="2017-05-02 11:00", end="2017-05-03 11:00"),  # starts the minute E1 ended: no overlap
        row("E3", "C2", start="2017-06-01 10:00", end=""),
    ])
    assert data_quality.find_issues(hub_db) == []


def test_overlapping_episodes(hub_db, tmp_path):
    load(hub_db, tmp_path, [row("E1", start="2017-05-01 10:00", end="2017-05-05 11:00"),
                            row("E2", start="2017-05-03 10:00", end="2017-05-04 11:00"),
                            row("E3", start="2017-05-06 10:00", end="2017-05-07 11:00")])
    assert found(hub_db) == {("overlap", "574", "C1", "E2")}
    issue = data_quality.find_issues(hub_db)[0]
    assert "E1" in issue.description and issue.description[0].isupper()


def test_new_episode_while_one_is_open(hub_db, tmp_path):
    load(hub_db, tmp_path, [row("E1", start="2017-05-01 10:00", end=""),
                            row("E2", start="2017-05-03 10:00", end="2017-05-04 11:00")])
    assert found(hub_db) == {("started_while_open", "574", "C1", "E2")}


def test_episode_on_or_before_the_date_of_birth(hub_db, tmp_path):
    load(hub_db, tmp_path, [row("E1", date_of_birth="2017-05-01", start="2017-05-01 10:00"),
                            row("E2", "C2", date_of_birth="2017-04-30", start="2017-05-01 10:00")])
    assert found(hub_db) == {("before_birth", "586", "C1", "E1")}


def test_rhi_completed_before_the_return_or_while_missing(hub_db, tmp_path):
    load(hub_db, tmp_path, [
        row("E1", start="2017-05-01 10:00", end="2017-05-05 11:00", rhi_offered_on="2017-05-02",
            rhi_outcome="completed", rhi_completed_on="2017-05-04"),
        row("E2", "C2", start="2017-05-01 10:00", end="", rhi_offered_on="2017-05-02", rhi_outcome="completed",
            rhi_completed_on="2017-05-03"),
        row("E3", "C3", start="2017-05-01 10:00", end="2017-05-05 11:00", rhi_offered_on="2017-05-05",
            rhi_outcome="completed", rhi_completed_on="2017-05-05"),  # same day as the return: fine
    ])
    assert found(hub_db) == {("rhi_completed_before_return", None, "C1", "E1"),
                             ("rhi_completed_before_return", None, "C2", "E2")}


def test_rhi_completed_without_an_offer_and_offered_before_the_start(hub_db, tmp_path):
    load(hub_db, tmp_path, [
        row("E1", rhi_outcome="completed", rhi_completed_on="2017-05-03"),
        row("E2", "C2", start="2017-05-01 10:00", rhi_offered_on="2017-04-30"),
    ])
    assert found(hub_db) == {("rhi_completed_without_offer", None, "C1", "E1"),
                             ("rhi_offered_before_start", None, "C2", "E2")}


def test_looked_after_child_without_date_of_birth(hub_db, tmp_path):
    load(hub_db, tmp_path, [row("E1"), row("E2", "C2", looked_after="N", placement="")])
    hub_db.execute("update children set date_of_birth = NULL")
    assert found(hub_db) == {("no_date_of_birth", None, "C1", None)}


def test_records_from_elsewhere_breaking_dfe_single_row_rules(hub_db, tmp_path):
    """Rules 1004-1006, 564-567: the schema and the import prevent them, but older records may break them."""
    load(hub_db, tmp_path, [row(f"E{i}", f"C{i}", start=f"2017-05-0{i} 10:00", end=f"2017-05-0{i} 12:00")
                            for i in range(1, 8)])
    hub_db.execute("PRAGMA ignore_check_constraints = ON")
    hub_db.execute("update episodes set start = '2017-02-30 10:00' where episode_id = 'E1'")
    hub_db.execute("update episodes set \"end\" = 'next week' where episode_id = 'E2'")
    hub_db.execute("update episodes set episode_type = 'lost' where episode_id = 'E3'")
    hub_db.execute("update episodes set start = '' where episode_id = 'E4'")
    hub_db.execute("update episodes set episode_type = '', \"end\" = NULL where episode_id = 'E5'")
    hub_db.execute("update episodes set episode_type = '' where episode_id = 'E6'")
    hub_db.execute("update episodes set \"end\" = '2017-05-07 09:00' where episode_id = 'E7'")
    hub_db.execute("PRAGMA ignore_check_constraints = OFF")
    assert found(hub_db) == {
        ("invalid_start", "1004", "C1", "E1"), ("invalid_end", "1005", "C2", "E2"),
        ("invalid_type", "1006", "C3", "E3"), ("type_without_start", "564", "C4", "E4"),
        ("start_without_type", "565", "C5", "E5"), ("start_without_type", "565", "C6", "E6"),
        ("end_without_type", "566", "C6", "E6"), ("end_before_start", "567", "C7", "E7"),
    }


def test_check_command_prints_the_same_list(hub_db, tmp_path, cli):
    load(hub_db, tmp_path, [row("E1", start="2017-05-01 10:00", end=""),
                            row("E2", start="2017-05-03 10:00", end="2017-05-04 11:00")])
    result = cli("check")
    assert result.exit_code == 0
    issue = data_quality.find_issues(hub_db)[0]
    assert issue.description in result.output
    assert "1 data-quality issue to look at" in result.output


def test_check_command_on_clean_records(hub_db, cli):
    result = cli("check")
    assert result.exit_code == 0 and "No data-quality issues" in result.output


# DfE rule 574 as a window function over each child's episodes in start order: how the overlap checks were
# first written, kept here as the oracle for the one-pass reading that replaced it.
WINDOWED_OVERLAPS = """
    WITH ordered AS (
        SELECT e.child, e.episode_id, e.start, e."end",
               max(coalesce(e."end", '9999-12-31 23:59'))
                   OVER (by_start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS latest_end,
               lag(e.episode_id) OVER by_start AS previous_id, lag(e."end") OVER by_start AS previous_end
        FROM episodes e WHERE e.voided_at IS NULL
        WINDOW by_start AS (PARTITION BY e.child ORDER BY e.start, e.id))
    SELECT c.child_id, o.episode_id, o.start, o.latest_end = '9999-12-31 23:59', o.previous_id, o.previous_end
    FROM ordered o JOIN children c ON c.id = o.child WHERE o.start < o.latest_end
"""


@pytest.mark.parametrize("seed", range(6))
def test_overlaps_are_those_a_window_over_each_childs_episodes_finds(hub_db, tmp_path, seed):
    """Random histories with ties, open and voided episodes, nested and chained overlaps: the same episodes,
    the same kind (open or ended) and the same earlier episode named, as the window function finds."""
    rng = random.Random(seed)
    rows = []
    for n in range(300):
        start = datetime(2017, 5, 1) + timedelta(hours=rng.choice([0, 1, 1, 2, 3]) * rng.randrange(0, 40))
        end = "" if rng.random() < 0.08 else start + timedelta(hours=rng.choice([1, 2, 5, 30, 80]))
        rows.append(row(f"E{n:03d}", f"C{rng.randrange(12)}", start=start.strftime("%Y-%m-%d %H:%M"),
                        end=end.strftime("%Y-%m-%d %H:%M") if end else ""))
    load(hub_db, tmp_path, rows)
    hub_db.execute("UPDATE episodes SET voided_at = '2018-01-01 00:00' WHERE id % 17 = 0")

    def named(is_open, start, previous, previous_end):
        """The earlier episode the description names in brackets, as the window function's row gives it."""
        if is_open:
            return previous if previous_end is None else None
        return f"{previous}, ended {previous_end}" if previous_end and start < previous_end else None

    expected = {(child, episode, "started_while_open" if is_open else "overlap",
                 named(is_open, start, previous, previous_end))
                for child, episode, start, is_open, previous, previous_end in hub_db.execute(WINDOWED_OVERLAPS)}
    issues = [i for i in data_quality.find_issues(hub_db) if i.rule == "574"]
    # "Episode E1 starts (2017-05-01 10:00) before an earlier episode (E0, ended ...) ended: ..."
    got = {(i.child_id, i.episode_id, i.check,
            i.description.split("(")[2].split(")")[0] if i.description.count("(") > 1 else None) for i in issues}
    assert len(expected) > 20 and {kind for _, _, kind, _ in expected} == {"overlap", "started_while_open"}
    assert any(name for *_, name in expected)
    assert got == expected
    assert len(issues) == len(expected)
