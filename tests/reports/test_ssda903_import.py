"""Past DfE SSDA903 returns in: several years at once, idempotent, overlapping years merged, and the export of such
a year gives back the same file (checked with DfE's own validator)."""
from __future__ import annotations

import io
from datetime import datetime

import pytest
import time_machine
from records_helpers import row, table_counts, write_register

from rhi_desk import installs
from rhi_desk.db import connect
from rhi_desk.register.episode_import import ImportRefused, import_episodes
from rhi_desk.reports import ssda903, ssda903_import

NOW = datetime(2019, 6, 1, 9, 0)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def history():
    return [
        row("A1", "C1", date_of_birth="2003-02-03", start="2017-04-01 00:00", end="2017-04-02 10:00"),
        row("A2", "C1", date_of_birth="2003-02-03", episode_type="away", start="2017-04-02 10:00",
            end="2017-04-02 18:00", placement="neighbouring"),
        row("A2b", "C1", date_of_birth="2003-02-03", episode_type="away", start="2017-04-02 19:00",
            end="2017-04-02 20:00", placement="neighbouring"),  # a second episode starting the same day
        row("A3", "C1", date_of_birth="2003-02-03", start="2018-03-31 23:30", end="2018-04-02 09:00"),
        row("A4", "C2", date_of_birth="2001-12-31", start="2017-11-11 22:15", end="", placement="out_of_borough"),
        row("A5", "C3", date_of_birth="2004-06-30", episode_type="away", start="2016-08-08 08:08",
            end="2016-08-09 09:09", placement=""),
        row("A6", "C3", date_of_birth="2004-06-30", start="2018-05-08 08:08", end="2018-05-09 09:09"),
    ]


def new_hub(tmp_path, name):
    db = connect(tmp_path / name)
    installs.initialise(db, "hub", "Croydon", "Missing team")
    return db


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_export_import_export_gives_the_same_files_and_dfe_accepts_them(hub_db, tmp_path):
    from test_records_exports import dfe_errors

    import_episodes(hub_db, write_register(tmp_path / "r.csv", history()))
    years = ("2016-17", "2017-18", "2018-19")
    files = [write(tmp_path / f"missing-{y}.csv", ssda903.missing_table_csv(hub_db, y)) for y in years]
    fresh = new_hub(tmp_path, "fresh.db")
    result = ssda903_import.import_903(fresh, files, by="mo")
    assert (result.new_episodes, result.new_children) == (7, 3)
    for year, path in zip(years, files):
        again = ssda903.missing_table_csv(fresh, year)
        assert again == path.read_bytes().decode(), year
    assert dfe_errors(ssda903.missing_table_csv(fresh, "2017-18")) == {}  # the helper's collection year
    # As looked-after children's episodes of our own, with no RHI detail.
    assert fresh.execute("SELECT count(*) FROM episodes WHERE looked_after = 1 AND other_la = 0").fetchone() == (7,)
    assert fresh.execute("SELECT count(*) FROM return_home_interviews").fetchone() == (0,)
    before = table_counts(fresh)
    assert ssda903_import.import_903(fresh, files).nothing_changed  # a year imported twice changes nothing
    assert table_counts(fresh)["episodes"] == before["episodes"]


def test_the_command_line_imports_several_years(hub_db, cli, tmp_path):
    import_episodes(hub_db, write_register(tmp_path / "r.csv", history()))
    files = [write(tmp_path / f"m{y}.csv", ssda903.missing_table_csv(hub_db, y)) for y in ("2016-17", "2017-18")]
    other = tmp_path / "other.db"
    assert cli("init", "--role", "hub", "--la", "Croydon", "--name", "Hub", db=other).exit_code == 0
    dry = cli("import-903", *files, "--dry-run", db=other)
    assert dry.exit_code == 0 and "6 new" in dry.output and "Nothing was changed" in dry.output
    done = cli("import-903", *files, db=other)
    assert done.exit_code == 0 and "6 new episodes" in done.output, done.output
    assert "nothing changed" in cli("import-903", *files, db=other).output


def test_overlapping_years_merge_by_child_and_start(hub_db, tmp_path):
    first = write(tmp_path / "2017-18.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END\r\n"
                                            "C1,03/02/2003,M,31/03/2018,\r\n"
                                            "C2,31/12/2001,A,01/05/2017,02/05/2017\r\n")
    # The next year's file lists the episode open at the year end again, now with its end.
    second = write(tmp_path / "2018-19.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END\r\n"
                                             "C1,03/02/2003,M,31/03/2018,02/04/2018\r\n"
                                             "C1,03/02/2003,M,10/06/2018,11/06/2018\r\n")
    result = ssda903_import.import_903(hub_db, [first, second])
    assert result.new_episodes == 3
    assert hub_db.execute("SELECT episode_id, start, \"end\" FROM episodes ORDER BY start").fetchall() == [
        ("903-C2-20170501", "2017-05-01 00:00", "2017-05-02 00:00"),
        ("903-C1-20180331", "2018-03-31 00:00", "2018-04-02 00:00"),
        ("903-C1-20180610", "2018-06-10 00:00", "2018-06-11 00:00")]
    assert ssda903_import.import_903(hub_db, [second]).nothing_changed
    assert ssda903_import.import_903(hub_db, [first]).nothing_changed  # a blank end does not undo a known one


def test_an_episode_already_recorded_that_day_is_the_same_episode(hub_db, tmp_path):
    import_episodes(hub_db, write_register(tmp_path / "r.csv", [
        row("LCS-9", "C1", date_of_birth="2003-02-03", start="2017-05-01 14:05", end="2017-05-02 09:30")]))
    path = write(tmp_path / "m.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END\r\nC1,03/02/2003,M,01/05/2017,02/05/2017\r\n")
    result = ssda903_import.import_903(hub_db, [path])
    assert (result.new_episodes, result.unchanged_episodes) == (0, 1)
    assert hub_db.execute("SELECT count(*) FROM episodes").fetchone() == (1,)


def test_header_and_episodes_tables_give_birth_dates_and_placements(hub_db, tmp_path):
    missing = write(tmp_path / "missing.csv", "CHILD,MISSING,MIS_START,MIS_END\r\n"
                                              "C1,M,01/05/2017,02/05/2017\r\nC2,A,03/05/2017,\r\n")
    header = write(tmp_path / "header.csv", "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n"
                                            "C1,1,03/02/2003,WBRI,,,\r\nC2,2,04/04/2004,WBRI,,,\r\n")
    episodes = write(tmp_path / "episodes.csv", "CHILD,DECOM,RNE,LS,CIN,PLACE,DEC,PL_LOCATION\r\n"
                                                "C1,01/01/2017,S,C2,N1,U1,,OUT\r\n")
    ssda903_import.import_903(hub_db, [missing, header, episodes])
    assert hub_db.execute("SELECT c.child_id, c.date_of_birth, e.placement FROM episodes e JOIN children c "
                          "ON c.id = e.child ORDER BY c.child_id").fetchall() == [
        ("C1", "2003-02-03", "out_of_borough"), ("C2", "2004-04-04", None)]


def test_bad_rows_are_named_by_file_row_and_903_column_and_nothing_is_written(hub_db, tmp_path):
    good = write(tmp_path / "2017-18.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END\r\nC1,03/02/2003,M,01/05/2017,\r\n")
    bad = write(tmp_path / "2018-19.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END\r\n"
                                          "C2,31/12/2001,X,01/05/2018,\r\n"
                                          "C3,31/12/2001,M,31/02/2018,\r\n"
                                          "C4,31/12/2001,M,01/06/2018,01/05/2018\r\n"
                                          "C5,,M,01/06/2018,\r\n")
    before = table_counts(hub_db)
    with pytest.raises(ImportRefused) as refused:
        ssda903_import.import_903(hub_db, [good, bad])
    found = [(e.row, e.column) for e in refused.value.errors]
    assert found == [(2, "MISSING in 2018-19.csv"), (3, "MIS_START in 2018-19.csv"),
                     (4, "MIS_END in 2018-19.csv"), (5, "CHILD in 2018-19.csv")], refused.value.errors
    assert "before the start" in refused.value.errors[2].problem and "01/05/2018" in refused.value.errors[2].problem
    assert "No date of birth" in refused.value.errors[3].problem
    assert table_counts(hub_db) == before
    other = write(tmp_path / "notes.csv", "a,b\r\n1,2\r\n")
    assert "not a 903 Missing, Header or Episodes table" in ssda903_import.check_903(hub_db, [other]).errors[0].problem


def test_the_page_checks_then_imports_several_years(signed_in, hub_db, tmp_path, app):
    app.config["RECORDS_UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    client = signed_in("missing_team")
    assert "Import past 903 returns" in client.get("/import/903").get_data(as_text=True)
    files = [(io.BytesIO(b"CHILD,DOB,MISSING,MIS_START,MIS_END\r\nC1,03/02/2003,M,01/05/2017,02/05/2017\r\n"),
              "2017-18.csv"),
             (io.BytesIO(b"CHILD,DOB,MISSING,MIS_START,MIS_END\r\nC1,03/02/2003,A,01/05/2018,\r\n"), "2018-19.csv")]
    page = client.post("/import/903", data={"files": files}, content_type="multipart/form-data")
    text = page.get_data(as_text=True)
    assert "Check the import" in text and "2017-18.csv, 2018-19.csv" in text, text
    assert hub_db.execute("SELECT count(*) FROM episodes").fetchone() == (0,)
    done = client.post("/import/903/confirm").get_data(as_text=True)
    assert "2 new episodes" in done
    assert list((tmp_path / "uploads").iterdir()) == []
