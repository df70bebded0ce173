"""The data-quality list kept between visits: after any change, the kept list is the list found afresh, and a
visit checks again only the children whose records changed (register migration 0075)."""
from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta

import pytest
import time_machine
from records_helpers import row, write_register

from rhi_desk.db import connect
from rhi_desk.register import data_quality, episode_import, merges
from rhi_desk.register.episode_import import import_episodes


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2018, 2, 1, 9, 0), tick=False):
        yield


def history(rng: random.Random, episodes: int, children: int, prefix: str = "E") -> list[dict]:
    """Random histories with every kind of doubt: overlaps, open episodes, RHIs before the return or with no
    offer, adults, episodes before birth (a child without a date of birth comes from a change made later)."""
    rows = []
    for n in range(episodes):
        child = rng.randrange(children)
        start = datetime(2017, 5, 1) + timedelta(hours=rng.randrange(0, 24 * 200))
        end = "" if rng.random() < 0.1 else (start + timedelta(hours=rng.choice([1, 5, 30, 200]))).strftime(
            "%Y-%m-%d %H:%M")
        dob = "1998-06-01" if child % 7 == 0 else "2017-08-01" if child % 11 == 0 else f"{2003 + child % 10}-03-04"
        offered = rng.choice(["", "", (start + timedelta(days=rng.choice([-2, 1, 3]))).strftime("%Y-%m-%d")])
        outcome = rng.choice(["", "completed", "declined"]) if offered or rng.random() < 0.2 else ""
        completed = ((start + timedelta(days=rng.choice([0, 2, 60]))).strftime("%Y-%m-%d")
                     if outcome == "completed" and rng.random() < 0.8 else "")
        rows.append(row(f"{prefix}{n:04d}", f"K{child:03d}", date_of_birth=dob,
                        start=start.strftime("%Y-%m-%d %H:%M"), end=end, rhi_offered_on=offered,
                        rhi_outcome=outcome, rhi_completed_on=completed, rhi_by="missing_team" if offered else ""))
    return rows


def kept_is_afresh(db) -> list:
    kept = data_quality.find_issues(db)
    assert kept == data_quality.find_issues_afresh(db)
    assert db.execute("select count(*) from data_quality_pending").fetchone()[0] == 0  # all kept now
    return kept


def pending(db) -> set[str]:
    return {child_id for (child_id,) in db.execute(
        "select c.child_id from data_quality_pending p join children c on c.id = p.child")}


# Changes made straight to the register's tables, as any part of the app (or a repair by hand) might: every
# one is caught by the triggers, whatever code made it.
CHANGES = [
    "UPDATE episodes SET start = coalesce(datetime(start, '-3 days'), start) WHERE id = {e}",
    "UPDATE episodes SET \"end\" = NULL WHERE id = {e}",
    "UPDATE episodes SET \"end\" = datetime(start, '-1 hour') WHERE id = {e}",
    "UPDATE episodes SET voided_at = '2018-01-01 00:00' WHERE id = {e}",
    "UPDATE episodes SET voided_at = NULL WHERE id = {e}",
    "UPDATE episodes SET child = {c} WHERE id = {e}",
    "UPDATE episodes SET looked_after = 1 - looked_after WHERE id = {e}",
    "UPDATE episodes SET start = 'not a date' WHERE id = {e}",
    "UPDATE return_home_interviews SET outcome = 'completed', completed_at = '2017-01-01 00:00' WHERE id = {r}",
    "UPDATE return_home_interviews SET offered_at = NULL WHERE id = {r}",
    "UPDATE return_home_interviews SET child = {c} WHERE id = {r}",
    "DELETE FROM rhi_episodes WHERE rhi = {r}",
    "INSERT OR IGNORE INTO rhi_episodes (rhi, episode) VALUES ({r}, {e})",
    "UPDATE children SET date_of_birth = NULL WHERE id = {c}",
    "UPDATE children SET date_of_birth = '1990-01-01' WHERE id = {c}",
    "UPDATE children SET date_of_birth = '2017-09-01' WHERE id = {c}",
    "UPDATE children SET child_id = child_id || 'X' WHERE id = {c}",
    "DELETE FROM rhi_episodes WHERE episode = {e}",
    "DELETE FROM episode_type_changes WHERE episode = {e}; DELETE FROM episodes WHERE id = {e}",
    "DELETE FROM rhi_episodes WHERE rhi = {r}; DELETE FROM return_home_interviews WHERE id = {r}",
]


@pytest.mark.parametrize("bulk", [True, False], ids=["first import in bulk", "row by row"])
def test_after_every_kind_of_change_the_kept_list_is_the_list_found_afresh(hub_db, tmp_path, monkeypatch, bulk):
    monkeypatch.setattr(episode_import, "BULK_ROWS", 1 if bulk else 10**9)
    rng = random.Random(75)
    import_episodes(hub_db, write_register(tmp_path / "first.csv", history(rng, 400, 40)))
    first = kept_is_afresh(hub_db)
    assert {i.check for i in first} >= {"overlap", "started_while_open", "adult_episode", "before_birth",
                                        "rhi_completed_before_return", "rhi_offered_before_start",
                                        "rhi_declined_without_offer", "rhi_covers_old_episode"}
    hub_db.conn.execute("PRAGMA foreign_keys = OFF")  # the raw deletes below leave what a repair by hand would
    seen = set()
    for step in range(120):
        change = CHANGES[step % len(CHANGES)] if step < len(CHANGES) else rng.choice(CHANGES)
        ids = {key: hub_db.execute(f"select id from {table} order by random() limit 1").fetchone()
               for key, table in (("e", "episodes"), ("r", "return_home_interviews"), ("c", "children"))}
        if None in ids.values():
            continue
        for statement in change.format(**{k: v[0] for k, v in ids.items()}).split("; "):
            hub_db.execute(statement)
        # Nothing is kept of a changed child's records, even before the next visit (a purge leaves nothing).
        assert hub_db.execute("select count(*) from data_quality_issues where child in "
                              "(select child from data_quality_pending)").fetchone()[0] == 0
        issues = kept_is_afresh(hub_db)
        seen.add(len(issues))
    assert len(seen) > 5  # the changes really changed the list


def test_a_second_import_and_a_merge_keep_the_list_true(hub_db, tmp_path):
    rng = random.Random(18)
    rows = history(rng, 300, 30)
    import_episodes(hub_db, write_register(tmp_path / "first.csv", rows))
    kept_is_afresh(hub_db)
    # The case system's next month: some episodes end, some RHIs are recorded, new episodes arrive.
    later = [dict(r, end="") if n % 9 == 0 else dict(r, rhi_offered_on="2017-04-01") if n % 13 == 0 else r
             for n, r in enumerate(rows)] + history(rng, 50, 30, prefix="F")
    import_episodes(hub_db, write_register(tmp_path / "later.csv", later))
    assert pending(hub_db)
    kept_is_afresh(hub_db)
    merges.merge_children(hub_db, "K001", "K002", reason="The same child, recorded twice", by="mt")
    assert pending(hub_db) >= {"K001", "K002"}
    kept_is_afresh(hub_db)


def test_a_visit_checks_again_only_the_children_whose_records_changed(hub_db, tmp_path):
    import_episodes(hub_db, write_register(tmp_path / "r.csv", [
        row("E1", "C1", start="2017-05-01 10:00", end="2017-05-05 11:00"),
        row("E2", "C1", start="2017-05-03 10:00", end="2017-05-04 11:00"),
        row("E3", "C2", start="2017-05-06 10:00", end="2017-05-07 11:00"),
        row("E4", "C3", start="2017-05-06 10:00", end="2017-05-07 11:00")]))
    assert [(i.check, i.episode_id) for i in data_quality.find_issues(hub_db)] == [("overlap", "E2")]
    assert pending(hub_db) == set()
    # The kept list is what the page reads: a kept issue stays until its child's records change.
    hub_db.execute("UPDATE data_quality_issues SET description = 'as kept'")
    assert data_quality.find_issues(hub_db)[0].description == "as kept"
    hub_db.execute("UPDATE episodes SET start = '2017-05-05 12:00', \"end\" = '2017-05-05 13:00' WHERE episode_id = 'E2'")
    assert pending(hub_db) == {"C1"}
    assert data_quality.find_issues(hub_db) == []
    hub_db.execute("UPDATE episodes SET start = '2017-05-06 12:00' WHERE episode_id = 'E4'")
    hub_db.execute("UPDATE episodes SET child = (select id from children where child_id = 'C3') "
                   "WHERE episode_id = 'E3'")
    assert pending(hub_db) == {"C2", "C3"}
    assert [(i.child_id, i.episode_id) for i in data_quality.find_issues(hub_db)] == [("C3", "E4")]


def test_while_the_register_is_being_written_the_list_is_still_right(hub_db, tmp_path, db_path):
    import_episodes(hub_db, write_register(tmp_path / "r.csv", [
        row("E1", start="2017-05-01 10:00", end="2017-05-05 11:00"),
        row("E2", start="2017-05-03 10:00", end="2017-05-04 11:00")]))
    data_quality.find_issues(hub_db)
    hub_db.execute("UPDATE episodes SET start = '2017-05-05 12:00', \"end\" = '2017-05-05 13:00' WHERE episode_id = 'E2'")
    writer = connect(db_path)
    writer.conn.execute("BEGIN IMMEDIATE")  # a big import elsewhere holds the write lock
    try:
        assert data_quality.find_issues(hub_db) == []
        assert pending(hub_db) == {"C1"}  # checked for this visit, kept on the next
    finally:
        writer.conn.execute("ROLLBACK")
        writer.conn.close()
    assert data_quality.find_issues(hub_db) == [] and pending(hub_db) == set()


def test_a_changed_check_finds_every_childs_issues_again(hub_db, tmp_path, monkeypatch):
    import_episodes(hub_db, write_register(tmp_path / "r.csv", [
        row("E1", start="2017-05-01 10:00", end="2017-05-05 11:00"),
        row("E2", start="2017-05-03 10:00", end="2017-05-04 11:00")]))
    data_quality.find_issues(hub_db)
    hub_db.execute("UPDATE data_quality_issues SET description = 'worded as before'")
    monkeypatch.setattr(data_quality, "RULES_VERSION", data_quality.RULES_VERSION + "-next")
    assert "worded as before" not in {i.description for i in data_quality.find_issues(hub_db)}
    assert hub_db.execute("select rules from data_quality_state").fetchone()[0].endswith("-next")


def test_a_register_from_before_the_kept_list_finds_every_issue_on_the_first_visit(tmp_path):
    """Migration 0075 on a register already holding records: nothing kept yet, so the first visit checks all."""
    from rhi_desk import installs

    from rhi_desk.db import MIGRATION_SETS, apply_migrations

    db = connect(tmp_path / "old.db", migrate=False)
    for migration_set in MIGRATION_SETS:
        migration_set.apply(db, stop_before="0075_data_quality_kept")
    assert not db["data_quality_issues"].exists()
    installs.initialise(db, "hub", "Croydon", "Missing team")
    db.execute("INSERT INTO children (id, child_id, created_at, updated_at) VALUES (1, 'C1', 'x', 'x')")
    for pk, start, end in ((1, "2017-05-01 10:00", "2017-05-05 11:00"), (2, "2017-05-03 10:00", None)):
        db.execute("INSERT INTO episodes (id, episode_id, child, episode_type, start, \"end\", created_at, "
                   "updated_at) VALUES (?, ?, 1, 'missing', ?, ?, 'x', 'x')", [pk, f"E{pk}", start, end])
    apply_migrations(db)
    assert [(i.check, i.episode_id) for i in data_quality.find_issues(db)] == [("overlap", "E2")]
    db.conn.close()


def test_the_list_table_is_not_readable_without_the_key(hub_db, db_path, tmp_path):
    """The kept issues name children and episodes: they are in the encrypted file like every record."""
    import_episodes(hub_db, write_register(tmp_path / "r.csv", [
        row("E1", "CHILD-SECRET", start="2017-05-01 10:00", end="2017-05-05 11:00"),
        row("E2", "CHILD-SECRET", start="2017-05-03 10:00", end="2017-05-04 11:00")]))
    assert data_quality.find_issues(hub_db)
    hub_db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = db_path.read_bytes()
    assert b"CHILD-SECRET" not in raw and b"data_quality_issues" not in raw
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(db_path).execute("select count(*) from data_quality_issues").fetchone()


def test_an_episode_changed_marks_the_child_of_each_rhi_covering_it(hub_db, tmp_path):
    """An RHI's issues are listed under the RHI's child, which a correction can make another than the episode's:
    a change to the episode still has them checked again."""
    import_episodes(hub_db, write_register(tmp_path / "r.csv", [
        row("E1", "C1", start="2017-05-01 10:00", end="2017-05-05 11:00", rhi_offered_on="2017-05-05",
            rhi_outcome="completed", rhi_completed_on="2017-05-03"),
        row("E2", "C2", start="2017-06-01 10:00", end="2017-06-01 11:00")]))
    hub_db.execute("UPDATE return_home_interviews SET child = (select id from children where child_id = 'C2')")
    assert [(i.check, i.child_id) for i in kept_is_afresh(hub_db)] == [("rhi_completed_before_return", "C2")]
    hub_db.execute("UPDATE episodes SET \"end\" = '2017-05-02 11:00' WHERE episode_id = 'E1'")
    assert pending(hub_db) == {"C1", "C2"}
    assert kept_is_afresh(hub_db) == []
