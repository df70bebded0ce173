"""The episode register import: every bad row named, all-or-nothing, idempotent, changes audited."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
import time_machine
from records_helpers import row, table_counts, write_register

from rhi_desk import audit
from rhi_desk.register import episode_import
from rhi_desk.register.episode_import import (
    COLUMNS,
    ImportRefused,
    import_episodes,
    validate_file,
)

NOW = datetime(2018, 2, 1, 9, 0)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def good_rows():
    return [
        row("E1", "C1", start="2017-05-01 10:00", end="2017-05-02 11:00", rhi_offered_on="2017-05-03",
            rhi_outcome="completed", rhi_completed_on="2017-05-04", rhi_by="missing_team"),
        row("E2", "C1", episode_type="away", start="2017-06-01T10:00", end="2017-06-01T12:00:30",
            placement="out_of_borough"),
        row("E3", "C2", date_of_birth="2003-01-09", start="2017-07-01 10:00", end="", looked_after="N",
            placement=""),
        row("E4", "C3", other_la="Y", placement="neighbouring", rhi_outcome="declined", rhi_offered_on="2017-05-03"),
    ]


def test_valid_file_imports_episodes_children_and_rhis(hub_db, tmp_path):
    path = write_register(tmp_path / "register.csv", good_rows())
    preview = validate_file(hub_db, path)
    assert preview.ok and (preview.rows, preview.new_episodes, preview.new_children) == (4, 4, 3)
    assert table_counts(hub_db)["episodes"] == 0, "checking a file changes nothing"

    result = import_episodes(hub_db, path, by="mo")
    assert (result.new_episodes, result.changed_episodes, result.new_children) == (4, 0, 3)
    e2 = hub_db.execute('select start, "end", episode_type, placement from episodes where episode_id = ?',
                        ["E2"]).fetchone()
    assert e2 == ("2017-06-01 10:00", "2017-06-01 12:00", "away", "out_of_borough")
    e3 = hub_db.execute('select "end", looked_after, placement from episodes where episode_id = ?', ["E3"]).fetchone()
    assert e3 == (None, 0, None)
    rhi = dict(hub_db.execute("select * from return_home_interviews where rhi_id = 'import-E1'").fetchone() and
               next(iter(hub_db.query("select * from return_home_interviews where rhi_id = 'import-E1'"))))
    assert (rhi["offered_at"], rhi["outcome"], rhi["completed_at"], rhi["interviewer_type"]) == (
        "2017-05-03 00:00", "completed", "2017-05-04 00:00", "missing_team")
    linked = hub_db.execute("select e.episode_id from rhi_episodes re join episodes e on e.id = re.episode "
                            "join return_home_interviews r on r.id = re.rhi where r.rhi_id = 'import-E1'").fetchall()
    assert linked == [("E1",)]
    assert hub_db.execute("select count(*) from return_home_interviews").fetchone()[0] == 2  # E1 and E4 only
    # What a row leaves blank is stored as nothing (NULL), never as an empty text the counts would take as given.
    assert hub_db.execute("select offered_at, outcome, completed_at, interviewer_type from return_home_interviews "
                          "where rhi_id = 'import-E4'").fetchone() == ("2017-05-03 00:00", "declined", None, None)
    # The child's current status comes from the latest episode.
    c1 = hub_db.execute("select date_of_birth, looked_after, placement from children where child_id = 'C1'").fetchone()
    assert c1 == ("2005-03-04", 1, "out_of_borough")
    assert hub_db.execute("select other_la from children where child_id = 'C3'").fetchone() == (1,)
    # A child not placed has no placement (NULL, never ''); a child the import added is written once, in its
    # latest status, so it has no replaced version (history) and is recorded from the import's time.
    assert hub_db.execute("select looked_after, placement from children where child_id = 'C2'").fetchone() == (0, None)
    assert hub_db.execute("select count(*) from child_history").fetchone() == (0,)
    assert hub_db.execute("select count(*) from children where recorded_from is null").fetchone() == (0,)
    assert [e["action"] for e in audit.entries(hub_db, object_type="import")] == ["episodes.import"]


def test_same_file_twice_changes_nothing(hub_db, tmp_path):
    path = write_register(tmp_path / "register.csv", good_rows())
    import_episodes(hub_db, path)
    before = table_counts(hub_db)
    snapshot = hub_db.execute("select * from episodes order by id").fetchall()
    again = import_episodes(hub_db, path)
    assert again.nothing_changed
    assert "nothing changed" in again.summary()
    assert (again.unchanged_episodes, again.new_episodes, again.changed_episodes) == (4, 0, 0)
    after = table_counts(hub_db)
    assert after["audit_log"] == before["audit_log"] + 1  # only the import's own summary entry
    assert {k: v for k, v in after.items() if k != "audit_log"} == {k: v for k, v in before.items() if k != "audit_log"}
    assert hub_db.execute("select * from episodes order by id").fetchall() == snapshot


def test_changed_row_updates_the_episode_and_is_audited(hub_db, tmp_path):
    import_episodes(hub_db, write_register(tmp_path / "v1.csv", good_rows()))
    rows = good_rows()
    rows[0]["end"] = "2017-05-02 15:30"
    rows[0]["episode_type"] = "away"
    rows[2]["rhi_offered_on"] = "2017-07-05"
    preview = validate_file(hub_db, write_register(tmp_path / "v2.csv", rows))
    assert (preview.changed_episodes, preview.unchanged_episodes, preview.new_episodes) == (2, 2, 0)
    result = import_episodes(hub_db, tmp_path / "v2.csv", by="mo")
    assert result.changed_episodes == 2
    assert hub_db.execute('select "end", episode_type from episodes where episode_id = ?', ["E1"]).fetchone() == (
        "2017-05-02 15:30", "away")
    entry = audit.entries(hub_db, object_type="episode", object_id="E1")[0]
    assert entry["action"] == "episode.import_update" and entry["username"] == "mo"
    # The names of the fields changed, never their values (the audit log keeps no personal data).
    detail = json.loads(entry["detail"])
    assert {"end", "episode_type"} <= set(detail["fields"])
    assert "2017-05-02 15:30" not in entry["detail"] and "away" not in entry["detail"]
    assert hub_db.execute("select from_type, to_type from episode_type_changes").fetchall() == [("missing", "away")]
    # E3 gained an RHI offer: a new RHI record, audited too.
    assert hub_db.execute("select offered_at from return_home_interviews where rhi_id = 'import-E3'").fetchone() == (
        "2017-07-05 00:00",)
    assert audit.entries(hub_db, object_type="episode", object_id="E3")


def test_offer_recorded_in_the_app_at_a_time_on_the_same_day_is_not_a_change(hub_db, tmp_path):
    path = write_register(tmp_path / "register.csv", good_rows())
    import_episodes(hub_db, path)
    hub_db.execute("update return_home_interviews set offered_at = '2017-05-03 14:20' where rhi_id = 'import-E1'")
    assert validate_file(hub_db, path).nothing_to_change


def test_rhi_columns_emptied_clear_the_imported_rhi_once(hub_db, tmp_path):
    import_episodes(hub_db, write_register(tmp_path / "v1.csv", good_rows()))
    rows = good_rows()
    for c in ("rhi_offered_on", "rhi_outcome", "rhi_completed_on", "rhi_by"):
        rows[0][c] = ""
    path = write_register(tmp_path / "v2.csv", rows)
    assert import_episodes(hub_db, path).changed_episodes == 1
    assert hub_db.execute("select offered_at, outcome from return_home_interviews where rhi_id = 'import-E1'"
                          ).fetchone() == (None, None)
    assert import_episodes(hub_db, path).nothing_changed


def test_date_of_birth_corrected_for_a_known_child_is_audited(hub_db, tmp_path):
    import_episodes(hub_db, write_register(tmp_path / "v1.csv", good_rows()))
    rows = [r | {"date_of_birth": "2005-03-05"} if r["child_id"] == "C1" else r for r in good_rows()]
    result = import_episodes(hub_db, write_register(tmp_path / "v2.csv", rows), by="mo")
    assert result.changed_children == 1
    assert hub_db.execute("select date_of_birth from children where child_id = 'C1'").fetchone() == ("2005-03-05",)
    entry = audit.entries(hub_db, object_type="child", object_id="C1")[0]
    assert "date_of_birth" in json.loads(entry["detail"])["fields"]
    assert "2005-03-0" not in entry["detail"]


BAD_VALUES = [
    ("episode_id", "", "blank"),
    ("episode_id", "E/3", "cannot be used as an episode id"),  # ids appear in the app's addresses
    ("episode_id", "E 3", "cannot be used as an episode id"),
    ("child_id", "", "blank"),
    ("child_id", "C/9", "cannot be used as a child id"),
    ("child_id", "C?9", "cannot be used as a child id"),
    ("date_of_birth", "", "blank"),
    ("date_of_birth", "04/03/2005", "not a date"),
    ("date_of_birth", "2005-02-29", "not a date"),
    ("date_of_birth", "2019-01-01", "future"),
    ("episode_type", "lost", "not an episode type"),
    ("episode_type", "M", "not an episode type"),
    ("start", "", "blank"),
    ("start", "2017-05-01", "not a date and time"),
    ("start", "01/05/2017 10:00", "not a date and time"),
    ("start", "2017-05-01 10:00:00", "not a date and time"),
    ("start", "2017-05-01 24:00", "not a date and time"),
    ("start", "2017-04-31 10:00", "not a date and time"),
    ("start", "2018-03-01 10:00", "future"),
    ("end", "2017-05-01 09:00", "before the start"),
    ("end", "2017-05-02T11:60", "not a date and time"),
    ("end", "2018-02-01 09:01", "future"),
    ("looked_after", "yes", "not Y or N"),
    ("other_la", "", "not Y or N"),
    ("placement", "abroad", "not a placement"),
    ("rhi_offered_on", "2017-05-03 10:00", "not a date"),
    ("rhi_offered_on", "2018-02-02", "future"),
    ("rhi_outcome", "done", "not an RHI outcome"),
    ("rhi_completed_on", "2017-13-01", "not a date"),
    ("rhi_by", "police", "not an interviewer type"),
]


@pytest.mark.parametrize("column,value,words", BAD_VALUES, ids=[f"{c}={v!r}" for c, v, _ in BAD_VALUES])
def test_each_bad_value_is_reported_with_row_column_and_what_to_do(hub_db, tmp_path, column, value, words):
    rows = good_rows()
    rows[2][column] = value
    path = write_register(tmp_path / "bad.csv", rows)
    before = table_counts(hub_db)
    errors = validate_file(hub_db, path).errors
    assert [(e.row, e.column) for e in errors] == [(4, column)], errors
    assert words in errors[0].problem
    assert errors[0].fix and errors[0].fix[0].isupper()
    with pytest.raises(ImportRefused) as refused:
        import_episodes(hub_db, path)
    assert [(e.row, e.column) for e in refused.value.errors] == [(4, column)]
    assert "Nothing was changed" in str(refused.value)
    assert table_counts(hub_db) == before


@pytest.mark.parametrize("changes,column", [
    ({"other_la": "Y", "looked_after": "N", "placement": ""}, "other_la"),
    ({"looked_after": "N", "placement": "in_borough"}, "placement"),
    ({"rhi_outcome": "declined", "rhi_completed_on": "2017-05-04"}, "rhi_completed_on"),
    ({"date_of_birth": "2005-03-05"}, "date_of_birth"),  # C1 disagrees with row 2
    ({"episode_id": "E1"}, "episode_id"),  # repeated
])
def test_rows_that_contradict_themselves_or_each_other_are_bad_rows(hub_db, tmp_path, changes, column):
    rows = good_rows()
    rows[1].update(changes)
    errors = validate_file(hub_db, write_register(tmp_path / "bad.csv", rows)).errors
    assert [(e.row, e.column) for e in errors] == [(3, column)], errors


def test_one_bad_row_among_many_imports_nothing_and_every_bad_row_is_named(hub_db, tmp_path):
    import_episodes(hub_db, write_register(tmp_path / "first.csv", good_rows()[:1]))
    before = table_counts(hub_db)
    rows = [row(f"N{i}", f"K{i % 7}", start=f"2017-08-{1 + i % 28:02d} 10:00", end="") for i in range(60)]
    rows[17]["start"] = "yesterday"
    rows[42]["looked_after"] = "maybe"
    rows[42]["rhi_by"] = "nobody"
    with pytest.raises(ImportRefused) as refused:
        import_episodes(hub_db, write_register(tmp_path / "big.csv", rows))
    assert [(e.row, e.column) for e in refused.value.errors] == [(19, "start"), (44, "looked_after"), (44, "rhi_by")]
    assert "2 rows cannot be understood" in str(refused.value)
    assert table_counts(hub_db) == before


def test_repeated_episode_id_into_an_empty_register_is_refused_whole(hub_db, tmp_path):
    rows = good_rows() + [row("E2", "C9", start="2017-09-01 10:00", end="")]
    before = table_counts(hub_db)
    with pytest.raises(ImportRefused) as refused:
        import_episodes(hub_db, write_register(tmp_path / "dup.csv", rows))
    assert [(e.row, e.column) for e in refused.value.errors] == [(6, "episode_id")]
    assert "row 3" in refused.value.errors[0].problem
    assert table_counts(hub_db) == before
    assert hub_db.execute("PRAGMA foreign_keys").fetchone() == (1,)


def test_a_workbook_with_a_repeated_episode_id_and_no_mapping_given_is_refused_whole(hub_db, tmp_path):
    """A workbook with the register's own headers, imported as the command line does without --mapping: the
    mapping is proposed from the sheet it reads once, and a repeated id still names both rows of the sheet."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(episode_import.COLUMNS))
    for r in good_rows() + [row("E2", "C9", start="2017-09-01 10:00", end="")]:
        sheet.append([r.get(c, "") or None for c in episode_import.COLUMNS])
    path = tmp_path / "dup.xlsx"
    book.save(path)
    before = table_counts(hub_db)
    assert validate_file(hub_db, path).errors[0].row == 6
    with pytest.raises(ImportRefused) as refused:
        import_episodes(hub_db, path)
    assert [(e.row, e.column) for e in refused.value.errors] == [(6, "episode_id")]
    assert "row 3" in refused.value.errors[0].problem
    assert table_counts(hub_db) == before
    sheet.delete_rows(6)
    book.save(path)
    assert import_episodes(hub_db, path).new_episodes == 4


def test_header_order_is_free_but_columns_are_exact(hub_db, tmp_path):
    columns = list(reversed(episode_import.COLUMNS))
    assert import_episodes(hub_db, write_register(tmp_path / "rev.csv", good_rows(), columns)).new_episodes == 4

    extra = write_register(tmp_path / "extra.csv", good_rows(), list(episode_import.COLUMNS) + ["notes"])
    errors = validate_file(hub_db, extra).errors
    assert [(e.row, e.column) for e in errors] == [(1, "notes")]
    assert "not a column" in errors[0].problem and "Remove" in errors[0].fix

    missing = write_register(tmp_path / "missing.csv", good_rows(), [c for c in episode_import.COLUMNS if c != "rhi_by"])
    errors = validate_file(hub_db, missing).errors
    assert [(e.row, e.column) for e in errors] == [(1, "rhi_by")] and "missing" in errors[0].problem


def test_unreadable_files_are_refused_plainly(hub_db, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty" in validate_file(hub_db, empty).errors[0].problem
    latin = tmp_path / "latin.csv"
    latin.write_bytes(",".join(episode_import.COLUMNS).encode() + b"\nE1,C\xe9,2005-01-01\n")
    assert "UTF-8" in validate_file(hub_db, latin).errors[0].problem
    short = tmp_path / "short.csv"
    short.write_text(",".join(episode_import.COLUMNS) + "\nE1,C1,2005-01-01\n\n")
    errors = validate_file(hub_db, short).errors
    assert [(e.row, e.column) for e in errors] == [(2, None)] and "3 values" in errors[0].problem


def test_a_large_import_keeps_every_index_throughout_and_reports_progress(hub_db, tmp_path):
    """A bulk import keeps every index up as it loads (none dropped and built again after: SQLite would sort it
    in memory, growing with the file), and the progress only goes forward."""
    rows = [row(f"B{i:06d}", f"K{i % 2000}", date_of_birth="2004-01-01", start=f"2016-{1 + i % 12:02d}-{1 + i % 28:02d} "
                f"{i % 24:02d}:00", end="", rhi_offered_on="2017-01-01" if i % 3 else "") for i in range(25_000)]
    path = write_register(tmp_path / "bulk.csv", rows)
    assert len(rows) >= episode_import.BULK_ROWS  # the bulk path, its triggers set aside

    def indexes():
        return {r[0] for r in hub_db.execute("select name from sqlite_master where type = 'index'")}

    before = indexes()
    seen, during = [], []

    def progress(phase, fraction):
        seen.append(fraction)
        if 0 < fraction < 0.9:  # while loading, inside the import's transaction
            during.append(indexes())

    result = import_episodes(hub_db, path, progress=progress)
    assert result.new_episodes == 25_000 and result.new_children == 2000
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) > 3
    assert {"episodes_child_start", "episodes_start", "rhi_child", "rhi_episodes_episode"} <= before
    assert during and all(names == before for names in during)
    assert indexes() == before
    assert hub_db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert hub_db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_known_episode_gaining_an_rhi_alongside_new_episodes_with_rhis(hub_db, tmp_path):
    import_episodes(hub_db, write_register(tmp_path / "v1.csv", [row("E1"), row("E2", "C2")]))
    rows = [row("E1", rhi_offered_on="2017-05-02"), row("E2", "C2"),
            row("E3", "C3", rhi_offered_on="2017-05-03"), row("E4", "C4", rhi_outcome="declined")]
    result = import_episodes(hub_db, write_register(tmp_path / "v2.csv", rows))
    assert (result.new_episodes, result.changed_episodes, result.unchanged_episodes) == (2, 1, 1)
    linked = hub_db.execute("select r.rhi_id, e.episode_id from return_home_interviews r join rhi_episodes re "
                            "on re.rhi = r.id join episodes e on e.id = re.episode order by 1").fetchall()
    assert linked == [("import-E1", "E1"), ("import-E3", "E3"), ("import-E4", "E4")]
    assert import_episodes(hub_db, tmp_path / "v2.csv").nothing_changed


def test_spaces_around_values_are_ignored(hub_db, tmp_path):
    """A spreadsheet often leaves spaces around values: they import exactly as the clean file would."""
    clean = good_rows()
    padded = [{k: f" {v} " if v else v for k, v in r.items()} for r in good_rows()]
    padded[1]["child_id"] = "C1  "  # a known child, padded
    padded[1]["rhi_by"] = " "
    result = import_episodes(hub_db, write_register(tmp_path / "padded.csv", padded), by="mo")
    assert (result.new_episodes, result.new_children) == (4, 3)
    again = import_episodes(hub_db, write_register(tmp_path / "clean.csv", clean), by="mo")
    assert again.nothing_changed, again.summary()


def _versions(db, columns: str, table: str, history: str, order: str) -> list:
    """Every version of ``table``'s records: the current ones (recorded_to blank) and those replaced."""
    return db.execute(f"select {columns}, recorded_from, null from {table} union all "
                      f"select {columns}, recorded_from, recorded_to from {history} order by {order}").fetchall()


def _history(db) -> dict:
    """Every version of each record the KPIs read, as (values..., recorded_from, recorded_to)."""
    return {
        "episodes": _versions(db, 'id, child, episode_type, start, "end", looked_after, other_la, placement',
                              "episodes", "episode_history", "1, 9"),
        # An RHI's history holds every version, the current one open (register migration 0073).
        "rhis": db.execute("select id, child, interviewer_type, offered_at, outcome, completed_at, recorded_from, "
                           "recorded_to from rhi_history order by 1, 7").fetchall(),
        "links": _versions(db, "rhi, episode", "rhi_episodes", "rhi_episode_history", "1, 2, 3"),
        "children": _versions(db, "id, date_of_birth", "children", "child_history", "1, 3"),
    }


def _schema(db) -> list:
    return db.execute("select type, name, sql from sqlite_master where type in ('index', 'trigger') "
                      "order by name").fetchall()


def test_a_bulk_import_keeps_the_same_history_as_one_row_at_a_time(tmp_path, monkeypatch):
    SET_BASED = episode_import.SET_BASED
    """A first import (bulk: other areas' triggers set aside, history written set-based) records exactly what the
    register's triggers record row by row, and leaves every index and trigger in place."""
    from rhi_desk import installs
    from rhi_desk.db import connect

    rows = [row(f"B{i:04d}", f"K{i % 40}", date_of_birth="2004-01-01", start=f"2016-{1 + i % 12:02d}-"
                f"{1 + i % 28:02d} {i % 24:02d}:00", end="", rhi_offered_on="2017-01-01" if i % 3 else "")
            for i in range(300)]
    path = write_register(tmp_path / "first.csv", rows)
    later = write_register(tmp_path / "later.csv", [dict(r, end="2017-01-02 10:00") for r in rows[:5]])
    found = {}
    with time_machine.travel(datetime(2018, 2, 1, 9, 0), tick=False):
        for name, threshold in (("bulk", 1), ("bulk, other triggers unknown", 1), ("row by row", 10**9)):
            monkeypatch.setattr(episode_import, "BULK_ROWS", threshold)
            # A trigger whose SQL is not the one SET_BASED was written for stays and fires row by row.
            monkeypatch.setattr(episode_import, "SET_BASED", {} if "unknown" in name else SET_BASED)
            db = connect(tmp_path / f"{name}.db")
            installs.initialise(db, "hub", "Croydon", "Missing team")
            schema = _schema(db)
            import_episodes(db, path)
            assert _schema(db) == schema, name
            monkeypatch.setattr(episode_import, "BULK_ROWS", 10**9)
            import_episodes(db, later)  # the triggers are back: a later change closes the old version
            found[name] = _history(db)
            # What other areas' triggers keep for each record added: the months to count again, the interviews
            # to read, the children whose data quality is to be checked again, each RHI's version, coded reason
            # and assignee.
            found[name]["derived"] = [db.execute("select month from report_months_changed order by 1").fetchall(),
                                      db.execute("select rhi from intel_pending order by 1").fetchall(),
                                      db.execute("select child from data_quality_pending order by 1").fetchall(),
                                      db.execute("select id, version, not_done_code, assigned_user, assigned_org "
                                                 "from return_home_interviews order by id").fetchall()]
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            db.conn.close()
    assert found["bulk"] == found["row by row"] == found["bulk, other triggers unknown"]
    assert len(found["bulk"]["derived"][0]) == 12 and len(found["bulk"]["derived"][3]) == 200
    assert len(found["bulk"]["derived"][2]) == 40  # every child of the file
    assert len(found["bulk"]["episodes"]) == 305 and len(found["bulk"]["links"]) == 200
    # Only the five replaced versions are history: the records themselves are the current versions.
    closed = [v for v in found["bulk"]["episodes"] if v[-1] is not None]
    assert len(closed) == 5 and all(v[-2:] == ("2018-02-01 09:00:00", "2018-02-01 09:00:00") for v in closed)
    assert all(v[-1] is None for table in ("rhis", "links", "children") for v in found["bulk"][table])


def test_a_bulk_import_that_also_changes_held_episodes_stamps_every_record_it_adds(tmp_path, monkeypatch):
    """A file bigger than the register is loaded in bulk (the stamping triggers set aside) even when some of
    its rows change episodes already held: an RHI added to a held episode is recorded from the import too."""
    monkeypatch.setattr(episode_import, "BULK_ROWS", 1)
    from rhi_desk.db import connect

    db = connect(tmp_path / "hub.db")
    from rhi_desk import installs

    installs.initialise(db, "hub", "Croydon", "Missing team")
    rows = [row(f"H{i:04d}", f"K{i % 40}", date_of_birth="2004-01-01", start=f"2016-{1 + i % 12:02d}-"
                f"{1 + i % 28:02d} {i % 24:02d}:00", end="2016-12-31 10:00") for i in range(300)]
    with time_machine.travel(datetime(2018, 1, 5, 9, 0), tick=False):
        import_episodes(db, write_register(tmp_path / "held.csv", rows[:2]))
    with time_machine.travel(datetime(2018, 2, 1, 9, 0), tick=False):
        result = import_episodes(db, write_register(
            tmp_path / "more.csv", [dict(r, rhi_offered_on="2017-01-01", rhi_outcome="completed",
                                         rhi_completed_on="2017-01-02") for r in rows]))
    assert (result.new_episodes, result.changed_episodes) == (298, 2)
    for table in ("episodes", "return_home_interviews", "rhi_episodes", "children"):
        assert db.execute(f"select count(*) from {table} where recorded_from is null").fetchone() == (0,), table
    assert db.execute("select recorded_from from return_home_interviews where rhi_id = 'import-H0000'"
                      ).fetchone() == ("2018-02-01 09:00:00",)
    with time_machine.travel(datetime(2018, 2, 2, 9, 0), tick=False):
        from rhi_desk.reports import kpi

        as_of = kpi.monthly_table(db, "2016-01", "2016-01", as_of=kpi.as_recorded_on("2018-02-01"))
        assert as_of == kpi.monthly_table(db, "2016-01", "2016-01")
        before = kpi.monthly_table(db, "2016-01", "2016-01", as_of=kpi.as_recorded_on("2018-01-31"))[0]
    assert (before["episodes"], before["episodes_rhi_done"]) == (1, 0)
    db.conn.close()


@pytest.mark.parametrize("damage", ["not UTF-8", "a repeated id"])
def test_a_file_that_fails_after_batches_were_written_changes_nothing_and_leaves_no_thread(hub_db, tmp_path, damage):
    """Rows are checked on a second thread while the last batch is written: a failure on either side (the
    reading thread meets bytes that are not UTF-8; the writing side meets an id used twice) stops both,
    the import is refused plainly and nothing is written."""
    import sys
    import threading

    rows = [row(f"T{i:06d}", f"K{i % 300}", date_of_birth="2004-01-01",
                start=f"2016-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:00") for i in range(3 * episode_import.BATCH)]
    if damage == "a repeated id":
        rows.append(dict(rows[10]))
    path = write_register(tmp_path / "big.csv", rows)
    if damage == "not UTF-8":
        path.write_bytes(path.read_bytes() + b"T9,K\xe9,2004-01-01,missing,2016-01-01 10:00,,N,N,,,,,\n")
    before, switch = table_counts(hub_db), sys.getswitchinterval()
    with pytest.raises(ImportRefused) as refused:
        import_episodes(hub_db, path, by="mo")
    problem = refused.value.errors[0]
    assert ("UTF-8" in problem.problem) if damage == "not UTF-8" else (problem.row == len(rows) + 1)
    assert table_counts(hub_db) == before
    assert not [t for t in threading.enumerate() if t.name == "rhi-import-check"]
    assert sys.getswitchinterval() == switch


def test_a_repeated_id_is_found_in_a_register_csv_with_a_child_name_column(hub_db, tmp_path):
    # The rows of a file wider than the register's thirteen columns were once skipped when the repeated rows
    # were named: the check passed the file and the import then refused it with SQLite's own words.
    rows = [dict(good_rows()[0], child_name="Ann Bell"), row("E1", "C9", start="2017-09-01 10:00", end="",
                                                              child_name="Bo Carr")]
    path = write_register(tmp_path / "named.csv", rows, columns=[*COLUMNS, "child_name"])
    checked = validate_file(hub_db, path)
    assert [(e.row, e.column, e.problem) for e in checked.errors] == [
        (3, "episode_id", "The episode id E1 is also used on row 2")]
    before = table_counts(hub_db)
    with pytest.raises(ImportRefused) as refused:
        import_episodes(hub_db, path)
    assert [(e.row, e.column) for e in refused.value.errors] == [(3, "episode_id")]
    assert table_counts(hub_db) == before


def _readings(monkeypatch) -> list:
    """Count the readings of a register CSV (the check's, and any to name repeated rows)."""
    from rhi_desk.register import import_format

    opened = []
    real = import_format._open

    def counted(path):
        opened.append(path)
        return real(path)

    monkeypatch.setattr(import_format, "_open", counted)
    monkeypatch.setattr(episode_import, "_open", counted)
    return opened


def test_checking_a_file_with_bad_rows_reads_it_once_and_names_every_bad_row(hub_db, tmp_path, monkeypatch):
    rows = [row(f"N{i}", f"K{i % 7}", start=f"2017-08-{1 + i % 28:02d} 10:00", end="") for i in range(60)]
    rows[3]["start"] = "yesterday"
    rows[50]["looked_after"] = "maybe"
    path = write_register(tmp_path / "bad.csv", rows)
    opened = _readings(monkeypatch)
    checked = validate_file(hub_db, path)
    assert [(e.row, e.column) for e in checked.errors] == [(5, "start"), (52, "looked_after")]
    assert len(opened) == 1  # once: no id is repeated, so nothing is read again


def test_checking_names_a_repeated_id_after_a_bad_row_and_on_a_bad_row(hub_db, tmp_path, monkeypatch):
    rows = [row(f"N{i}", f"K{i % 7}", start=f"2017-08-{1 + i % 28:02d} 10:00", end="") for i in range(60)]
    rows[3]["start"] = "yesterday"  # row 5, bad
    rows[40]["episode_id"] = "N10"  # row 42 repeats row 12's id, after the bad row
    rows[55]["episode_id"] = "N3"  # row 57 repeats the bad row's id
    path = write_register(tmp_path / "repeats.csv", rows)
    opened = _readings(monkeypatch)
    checked = validate_file(hub_db, path)
    assert [(e.row, e.column) for e in checked.errors] == [(5, "start"), (42, "episode_id"), (57, "episode_id")]
    assert "row 12" in checked.errors[1].problem and "row 5" in checked.errors[2].problem
    assert len(opened) == 2  # the check, and the reading that names the repeated rows


def _bulk_hub(tmp_path, monkeypatch):
    monkeypatch.setattr(episode_import, "BULK_ROWS", 1)
    from rhi_desk import installs
    from rhi_desk.db import connect

    db = connect(tmp_path / "hub.db")
    installs.initialise(db, "hub", "Croydon", "Missing team")
    return db


def _with_rhis(rows):
    return [dict(r, rhi_offered_on="2017-01-01", rhi_outcome="completed", rhi_completed_on="2017-01-02")
            for r in rows]


def test_an_rhi_a_held_episode_gains_among_new_rows_has_one_open_version(tmp_path, monkeypatch):
    # The held episodes come in the middle of the file, so the RHIs they gain are numbered among the new
    # ones of the same batch: their open version was once written twice.
    db = _bulk_hub(tmp_path, monkeypatch)
    rows = [row(f"H{i:04d}", f"K{i % 40}", date_of_birth="2004-01-01", start=f"2016-{1 + i % 12:02d}-"
                f"{1 + i % 28:02d} {i % 24:02d}:00", end="2016-12-31 10:00") for i in range(300)]
    with time_machine.travel(datetime(2018, 1, 5, 9, 0), tick=False):
        import_episodes(db, write_register(tmp_path / "held.csv", rows[150:152]))
    with time_machine.travel(datetime(2018, 2, 1, 9, 0), tick=False):
        result = import_episodes(db, write_register(tmp_path / "more.csv", _with_rhis(rows)))
    assert (result.new_episodes, result.changed_episodes) == (298, 2)
    versions = db.execute("select id, version, recorded_to from rhi_history order by id").fetchall()
    rhis = [pk for pk, in db.execute("select id from return_home_interviews order by id")]
    assert len(rhis) == 300 and versions == [(pk, 1, None) for pk in rhis]  # one open version each
    with time_machine.travel(datetime(2018, 2, 2, 9, 0), tick=False):
        from rhi_desk.reports import kpi

        assert kpi.monthly_table(db, "2016-01", "2016-12", as_of=kpi.as_recorded_on("2018-02-01")) == \
            kpi.monthly_table(db, "2016-01", "2016-12")
    db.conn.close()


def test_an_rhi_id_used_again_after_a_delete_numbers_its_versions_on(tmp_path, monkeypatch):
    db = _bulk_hub(tmp_path, monkeypatch)
    rows = [row(f"R{i:03d}", f"K{i % 9}", date_of_birth="2004-01-01", start=f"2016-03-{1 + i % 28:02d} 10:00")
            for i in range(40)]
    with time_machine.travel(datetime(2018, 1, 5, 9, 0), tick=False):
        import_episodes(db, write_register(tmp_path / "first.csv", _with_rhis(rows[:3])))
        last = db.execute("select max(id) from return_home_interviews").fetchone()[0]
        db.execute("delete from rhi_episodes where rhi = ?", [last])
        db.execute("delete from return_home_interviews where id = ?", [last])
        db.execute("delete from episodes where episode_id = 'R002'")
    with time_machine.travel(datetime(2018, 2, 1, 9, 0), tick=False):
        import_episodes(db, write_register(tmp_path / "more.csv", _with_rhis(rows)))
    # The deleted RHI's version stays, closed; the new RHI given its id starts at the next version.
    assert db.execute("select version, recorded_from, recorded_to from rhi_history where id = ? order by version",
                      [last]).fetchall() == [(1, "2018-01-05 09:00:00", "2018-01-05 09:00:00"),
                                             (2, "2018-02-01 09:00:00", None)]
    assert db.execute("select count(*) from rhi_history where recorded_to is null").fetchone()[0] == \
        db.execute("select count(*) from return_home_interviews").fetchone()[0] == 40
    db.conn.close()
