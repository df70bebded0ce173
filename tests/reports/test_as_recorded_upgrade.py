"""The register's history keeps only replaced versions (register migration 0071): a record added writes no
history, a change writes exactly the version it replaced, and a database kept the earlier way (every version,
the current one open, migration 0012) upgrades to give every table as recorded on a day exactly as before.
An RHI's history keeps every version, the current one open (0073: what the tables as recorded read fastest)."""
from __future__ import annotations

from datetime import datetime

import time_machine
from seed_data import build_register_rows, parse_seed_table
from test_kpi_seed import SEED_TABLE

from rhi_desk import installs
from rhi_desk.db import MIGRATION_SETS, apply_migrations, connect
from rhi_desk.register import children, corrections, episodes, merges, rhi_tracking
from rhi_desk.reports import kpi, ssda903

UPGRADE = "0071_current_versions_in_main_tables"
EVERY_VERSION = {"return_home_interviews"}  # 0073
SEED = parse_seed_table(SEED_TABLE)
TABLES = {"episodes": ("episode_history", 'id, child, episode_type, start, "end", looked_after, other_la, '
                                          "placement, voided_at"),
          "return_home_interviews": ("rhi_history", "id, child, interviewer_type, offered_at, outcome, completed_at, "
                                                    "assigned_to"),
          "rhi_episodes": ("rhi_episode_history", "rhi, episode"),
          "children": ("child_history", "id, date_of_birth")}
# How the tables as recorded on a day were read before the upgrade (every version in history, the current open).
_VISIBLE = "recorded_from < :as_of and (recorded_to is null or recorded_to >= :as_of)"
BEFORE_UPGRADE = {
    "episodes": f'(select id, child, episode_type, start, "end", looked_after, other_la, placement, voided_at '
                f"from episode_history where {_VISIBLE})",
    "rhis": f"(select id, child, interviewer_type, offered_at, outcome, completed_at, assigned_to, "
            f"null as not_done_code from rhi_history where {_VISIBLE})",
    "links": f"(select rhi, episode from rhi_episode_history where {_VISIBLE})",
    "children": f"(select id, date_of_birth from child_history where {_VISIBLE})",
}
DAYS = ("2017-05-04", "2017-05-05", "2017-05-10", "2017-05-12", "2017-05-15", "2017-05-16", "2017-05-17",
        "2017-05-18", "2017-05-20", "2017-12-19", "2017-12-20", "2017-12-31", "2018-01-22", "2018-02-01")


def _history_rows(db, table: str) -> list[tuple]:
    history, columns = TABLES[table]
    return db.execute(f"select {columns}, recorded_from, recorded_to from {history} order by version").fetchall()


def test_adding_a_record_writes_no_history_and_a_change_writes_the_version_it_replaced(hub_db):
    with time_machine.travel(datetime(2017, 5, 5, 9, 0), tick=False):
        children.create_child(hub_db, "C1", name="Amy", date_of_birth="2003-06-15")
        added = episodes.record_missing(hub_db, "C1", start="2017-04-03 10:00")
    assert all(_history_rows(hub_db, t) == [] for t in TABLES if t not in EVERY_VERSION)
    pk, version = hub_db.execute("select id, version from episodes").fetchone()
    assert hub_db.execute("select recorded_from from episodes").fetchone() == ("2017-05-05 09:00:00",)
    assert hub_db.execute("select count(*) from rhi_episodes where recorded_from = '2017-05-05 09:00:00'"
                          ).fetchone() == (0,)  # no RHI yet: an open episode
    with time_machine.travel(datetime(2017, 5, 6, 11, 30), tick=False):
        episodes.record_found(hub_db, added["episode_id"], end="2017-04-03 20:00")
    assert _history_rows(hub_db, "episodes") == [
        (pk, 1, "missing", "2017-04-03 10:00", None, 0, 0, None, None, "2017-05-05 09:00:00", "2017-05-06 11:30:00")]
    assert hub_db.execute('select "end", recorded_from from episodes').fetchone() == \
        ("2017-04-03 20:00", "2017-05-06 11:30:00")
    # The RHI the return opened is added, not changed: no history for its link; the RHI's one version is open.
    assert _history_rows(hub_db, "rhi_episodes") == []
    assert hub_db.execute("select recorded_from from rhi_episodes").fetchall() == [("2017-05-06 11:30:00",)]
    rhi_pk = hub_db.execute("select id from return_home_interviews").fetchone()[0]
    assert [row[-2:] for row in _history_rows(hub_db, "return_home_interviews")] == [("2017-05-06 11:30:00", None)]
    with time_machine.travel(datetime(2017, 5, 6, 15, 0), tick=False):
        hub_db.execute("update return_home_interviews set offered_at = '2017-05-06 14:00' where id = ?", [rhi_pk])
    assert [(row[3], *row[-2:]) for row in _history_rows(hub_db, "return_home_interviews")] == [
        (None, "2017-05-06 11:30:00", "2017-05-06 15:00:00"), ("2017-05-06 14:00", "2017-05-06 15:00:00", None)]
    assert hub_db.execute("select recorded_from from return_home_interviews").fetchone() == ("2017-05-06 15:00:00",)
    # Stamping recorded_from raises no version: the optimistic locking of issue 11 counts people's changes.
    after_found = hub_db.execute("select version from episodes").fetchone()[0]
    assert after_found > version
    hub_db.execute("update episodes set circumstances = 'Seen at the station' where id = ?", [pk])
    assert hub_db.execute("select version from episodes").fetchone()[0] == after_found + 1
    assert len(_history_rows(hub_db, "episodes")) == 1  # a field the KPIs do not read keeps no history
    with time_machine.travel(datetime(2017, 5, 7, 9, 0), tick=False):
        rhi = hub_db.execute("select rhi from rhi_episodes").fetchone()[0]
        hub_db.execute("delete from rhi_episodes where rhi = ?", [rhi])
    assert _history_rows(hub_db, "rhi_episodes") == [(rhi, pk, "2017-05-06 11:30:00", "2017-05-07 09:00:00")]


def _old_hub(path):
    """A hub kept the earlier way: every migration but the upgrade applied."""
    db = connect(path, migrate=False)
    for migration_set in MIGRATION_SETS:
        migration_set.apply(db, stop_before=UPGRADE)
    assert db.execute("select count(*) from _sqlite_migrations where name = ?", [UPGRADE]).fetchone() == (0,)
    installs.initialise(db, "hub", "Croydon", "Missing team")
    return db


def _fill(db) -> None:
    """Imports, late write-ups, re-links, voids and their undoing, corrections, a merge and its undoing."""
    full = build_register_rows(SEED)
    late = {r["episode_id"] for r in full if r["start"][:7] in ("2017-10", "2017-11")
            and r["rhi_outcome"] == "completed"}
    december = [dict(r, rhi_offered_on="", rhi_outcome="", rhi_completed_on="") if r["episode_id"] in late
                else r for r in full]
    with time_machine.travel(datetime(2017, 5, 5, 9, 0), tick=False):
        children.create_child(db, "C1", name="Amy", date_of_birth="2003-06-15")
        children.create_child(db, "C2", name="Amy", date_of_birth="2003-06-15")
        ids = []
        for day in (3, 10, 17):
            e = episodes.record_missing(db, "C1", start=f"2017-04-{day:02d} 10:00")
            episodes.record_found(db, e["episode_id"], end=f"2017-04-{day:02d} 20:00")
            ids.append(e["episode_id"])
        other = episodes.record_missing(db, "C2", start="2017-04-24 10:00")
        episodes.record_found(db, other["episode_id"], end="2017-04-25 09:00")
    e1, e2, e3 = ids
    rhi = db.execute("select r.rhi_id from return_home_interviews r join rhi_episodes re on re.rhi = r.id "
                     "join episodes e on e.id = re.episode where e.episode_id = ?", [e1]).fetchone()[0]
    with time_machine.travel(datetime(2017, 5, 10, 9, 0), tick=False):
        rhi_tracking.record_offer(db, rhi, "2017-04-04 09:00", "phone", "Sam")
        rhi_tracking.record_outcome(db, rhi, "completed", completed_at="2017-04-06 10:00")
    with time_machine.travel(datetime(2017, 5, 12, 9, 0), tick=False):
        episodes.cover_episodes(db, rhi, [db.execute("select id from episodes where episode_id = ?", [e2]).fetchone()[0]])
    with time_machine.travel(datetime(2017, 5, 15, 9, 0), tick=False):
        corrections.void_episode(db, e3, reason="Entered twice", by="missing")
        merge = merges.merge_children(db, "C1", "C2", reason="One child", by="missing")
    with time_machine.travel(datetime(2017, 5, 16, 9, 0), tick=False):
        corrections.correct_status(db, e1, looked_after=True, other_la=False, placement="in_borough",
                                   reason="Was in care from March", by="missing")
        corrections.restore_episode(db, e3, reason="Not a duplicate after all", by="missing")
        children.update_child(db, "C1", name="Amy", date_of_birth="2003-06-16")
    with time_machine.travel(datetime(2017, 5, 17, 9, 0), tick=False):
        merges.undo_merge(db, merge["id"], by="admin")
    with time_machine.travel(datetime(2017, 5, 18, 9, 0), tick=False):
        corrections.reopen_episode(db, e3, reason="Police closed the wrong report", by="missing")
    with time_machine.travel(datetime(2017, 12, 20, 15, 30), tick=False):
        _load(db, december)
    with time_machine.travel(datetime(2018, 1, 22, 10, 0), tick=False):
        _load(db, [r for r in full if r["episode_id"] in late])


def _load(db, rows: list[dict]) -> None:
    """The seed's register rows written as the import stores them, in plain SQL (this code's import writes
    only the upgraded schema): new records added, an RHI filled in later updated."""
    stamp = "rhi_desk_now(), rhi_desk_now()"
    for r in rows:
        if db.execute("select 1 from children where child_id = ?", [r["child_id"]]).fetchone() is None:
            db.execute(f"insert into children (child_id, date_of_birth, created_at, updated_at) values (?, ?, {stamp})",
                       [r["child_id"], r["date_of_birth"]])
        child = db.execute("select id from children where child_id = ?", [r["child_id"]]).fetchone()[0]
        episode = db.execute("select id from episodes where episode_id = ?", [r["episode_id"]]).fetchone()
        if episode is None:
            episode = [db.execute(
                'insert into episodes (episode_id, child, episode_type, start, "end", looked_after, other_la, '
                f"placement, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, {stamp})",
                [r["episode_id"], child, r["episode_type"], r["start"], r["end"] or None, r["looked_after"] == "Y",
                 r["other_la"] == "Y", r["placement"] or None]).lastrowid]
        rhi = [r["rhi_by"] or None, r["rhi_offered_on"] and r["rhi_offered_on"] + " 00:00", r["rhi_outcome"] or None,
               r["rhi_completed_on"] and r["rhi_completed_on"] + " 00:00"]
        if not any(rhi):
            continue
        rhi_id = "import-" + r["episode_id"]
        if db.execute("update return_home_interviews set interviewer_type = ?, offered_at = ?, outcome = ?, "
                      "completed_at = ? where rhi_id = ?", [*rhi, rhi_id]).rowcount:
            continue
        pk = db.execute("insert into return_home_interviews (rhi_id, child, interviewer_type, offered_at, outcome, "
                        f"completed_at, origin, created_at, updated_at) values (?, ?, ?, ?, ?, ?, 'import', {stamp})",
                        [rhi_id, child, *rhi]).lastrowid
        db.execute("insert into rhi_episodes (rhi, episode) values (?, ?)", [pk, episode[0]])


def _as_recorded(db) -> dict:
    with time_machine.travel(datetime(2018, 2, 2, 9, 0), tick=False):
        found = {day: kpi.monthly_table(db, "2017-04", "2017-11", as_of=kpi.as_recorded_on(day)) for day in DAYS}
        found["today"] = kpi.monthly_table(db, "2017-04", "2017-11")
        found["903"] = ssda903.export_missing_table(db, "2017-18", as_of=kpi.as_recorded_on("2017-12-31"))
    return found


def _versions(db, table: str, upgraded: bool) -> list[tuple]:
    """Every version of ``table``'s records, current and replaced, as (values..., recorded_from, recorded_to)."""
    history, columns = TABLES[table]
    rows = db.execute(f"select {columns}, recorded_from, recorded_to from {history}").fetchall()
    if upgraded and table not in EVERY_VERSION:
        rows += db.execute(f"select {columns}, recorded_from, null from {table}").fetchall()
    return sorted(rows, key=repr)


def test_an_upgraded_hub_gives_every_table_as_recorded_on_a_day_exactly_as_before(tmp_path, monkeypatch):
    db = _old_hub(tmp_path / "hub.db")
    _fill(db)
    with monkeypatch.context() as earlier:
        earlier.setattr(kpi, "HISTORY_TABLES", BEFORE_UPGRADE)
        before = _as_recorded(db)
    versions = {t: _versions(db, t, upgraded=False) for t in TABLES}
    records = {t: db.execute(f"select * from {t} order by 1, 2").fetchall() for t in TABLES}
    marked = db.execute("select month from report_months_changed order by month").fetchall()
    assert sum(1 for t in TABLES for v in versions[t] if v[-1] is None) == sum(len(r) for r in records.values())
    assert before["2017-05-15"][0]["episodes"] < before["2017-05-16"][0]["episodes"]  # the void and its undoing
    assert before["2017-12-31"] != before["today"]  # the late write-ups of January

    with time_machine.travel(datetime(2018, 2, 2, 9, 0), tick=False):
        apply_migrations(db)
    assert _as_recorded(db) == before
    assert {t: _versions(db, t, upgraded=True) for t in TABLES} == versions
    # Only replaced versions stay in history; the records, their versions (issue 11) and the months the
    # dashboard must count again are as they were.
    assert all(row[-1] is not None for t in TABLES if t not in EVERY_VERSION for row in _history_rows(db, t))
    assert db.execute("select count(*) from rhi_history where recorded_to is null").fetchone() == \
        db.execute("select count(*) from return_home_interviews").fetchone()
    assert {t: [row[:-1] for row in db.execute(f"select * from {t} order by 1, 2")] for t in TABLES} == records
    assert db.execute("select month from report_months_changed order by month").fetchall() == marked
    assert db.execute("select count(*) from sqlite_master where name = 'episode_history_current'").fetchone() == (0,)
    assert db.execute("pragma integrity_check").fetchone() == ("ok",)

    # After the upgrade a change still keeps the day before as it stood.
    with time_machine.travel(datetime(2018, 2, 3, 9, 0), tick=False):
        e1 = db.execute("select episode_id from episodes order by id").fetchone()[0]
        corrections.void_episode(db, e1, reason="Entered twice", by="missing")
        assert _as_recorded(db) == dict(before, today=kpi.monthly_table(db, "2017-04", "2017-11"))
        assert kpi.monthly_table(db, "2017-04", "2017-04", as_of=kpi.as_recorded_on("2018-02-03"))[0]["episodes"] \
            == before["today"][0]["episodes"] - 1
    db.conn.close()
