"""DfE SSDA903 Missing table and Ofsted Annex A list 8: checked with DfE's own validator."""
from __future__ import annotations

import csv
import importlib
import io
import logging
from datetime import datetime

import pytest
import time_machine
from records_helpers import row, write_register

from rhi_desk.register import data_quality
from rhi_desk.register.episode_import import import_episodes
from rhi_desk.reports import ssda903

NOW = datetime(2018, 6, 1, 9, 0)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def dfe_errors(csv_text: str) -> dict[int, set[str]]:
    """Run DfE's validator (lac_validator, 2022-23 rules: the Missing-table rules are unchanged) on a Missing table."""
    from lac_validator.lac_validator import LacValidator

    logging.getLogger().setLevel(logging.WARNING)
    registry = importlib.import_module("lac_validator.rules.lac2022_23").registry
    files = [{"name": "missing.csv", "file_content": csv_text.encode(), "description": "This year"}]
    validator = LacValidator({"collectionYear": "2018", "localAuthority": "E09000008"}, files, registry)
    assert not validator.fails, validator.fails
    table = validator.ds_results["Missing"]
    columns = [c for c in table.columns if c.startswith("ERR_")]
    errors: dict[int, set[str]] = {}
    for index, values in table[columns].fillna(False).iterrows():
        codes = {c[4:] for c in columns if values[c]}
        if codes:
            errors[int(index)] = codes
    return errors


def clean_rows():
    return [
        # Our own looked-after children in 2017-18: in the return.
        row("A1", "C1", date_of_birth="2003-02-03", start="2017-04-01 00:00", end="2017-04-02 10:00"),
        row("A2", "C1", date_of_birth="2003-02-03", episode_type="away", start="2017-04-02 10:00",
            end="2017-04-02 18:00", placement="neighbouring"),
        row("A3", "C1", date_of_birth="2003-02-03", start="2018-03-31 23:30", end="2018-04-02 09:00"),
        row("A4", "C2", date_of_birth="2001-12-31", start="2017-11-11 22:15", end="", placement="out_of_borough"),
        row("A5", "C3", date_of_birth="2004-06-30", episode_type="away", start="2017-08-08 08:08",
            end="2017-08-09 09:09", placement=""),
        # Not in the return: another council's child, a child not looked after, outside the year.
        row("X1", "C4", start="2017-06-01 10:00", other_la="Y", placement="in_borough"),
        row("X2", "C5", start="2017-06-01 10:00", looked_after="N", placement=""),
        row("X3", "C1", date_of_birth="2003-02-03", start="2017-03-31 23:59", end="2017-03-31 23:59"),
        row("X4", "C1", date_of_birth="2003-02-03", start="2018-04-03 10:00", end="2018-04-04 10:00"),
        # The same child was looked after by us in one episode and not in another.
        row("X5", "C3", date_of_birth="2004-06-30", start="2017-09-01 10:00", end="2017-09-02 10:00",
            looked_after="N", placement=""),
    ]


def test_missing_table_of_clean_data_passes_dfe_validator_and_holds_exactly_our_lac_episodes(hub_db, tmp_path):
    import_episodes(hub_db, write_register(tmp_path / "r.csv", clean_rows()))
    assert data_quality.find_issues(hub_db) == []
    text = ssda903.missing_table_csv(hub_db, "2017-18")
    assert text.splitlines()[0] == "CHILD,DOB,MISSING,MIS_START,MIS_END"
    assert list(csv.reader(io.StringIO(text)))[1:] == [
        ["C1", "03/02/2003", "M", "01/04/2017", "02/04/2017"],
        ["C1", "03/02/2003", "A", "02/04/2017", "02/04/2017"],
        ["C1", "03/02/2003", "M", "31/03/2018", ""],  # ended after 31 March: open at the year end
        ["C2", "31/12/2001", "M", "11/11/2017", ""],
        ["C3", "30/06/2004", "A", "08/08/2017", "09/08/2017"],
    ]
    assert dfe_errors(text) == {}


def test_every_row_dfe_would_reject_is_on_the_data_quality_list_first(hub_db, tmp_path):
    rows = [
        row("D1", "C1", start="2017-05-01 10:00", end="2017-05-05 10:00"),
        row("D2", "C1", start="2017-05-03 10:00", end="2017-05-06 10:00"),  # overlaps D1 (574)
        row("D3", "C2", start="2017-06-01 10:00", end=""),
        row("D4", "C2", start="2017-06-03 10:00", end="2017-06-04 10:00"),  # while D3 open (574)
        row("D5", "C3", date_of_birth="2017-07-01", start="2017-07-01 10:00", end="2017-07-02 10:00"),  # 586
        row("D6", "C4", start="2017-08-01 10:00", end="2017-08-02 10:00"),
    ]
    import_episodes(hub_db, write_register(tmp_path / "r.csv", rows))
    hub_db.execute("PRAGMA ignore_check_constraints = ON")
    hub_db.execute("update episodes set \"end\" = '2017-07-31 10:00' where episode_id = 'D6'")  # 567
    hub_db.execute("PRAGMA ignore_check_constraints = OFF")
    text = ssda903.missing_table_csv(hub_db, "2017-18")
    order = [r[0] for r in hub_db.execute(
        "select e.episode_id from episodes e join children c on c.id = e.child "
        "where e.looked_after = 1 and e.other_la = 0 order by c.child_id, e.start, e.id")]
    rejected = dfe_errors(text)
    assert rejected, "the doubtful data should break DfE rules"
    issues = {(i.episode_id, i.rule) for i in data_quality.find_issues(hub_db)}
    for index, codes in rejected.items():
        for code in codes:
            assert (order[index], code) in issues, f"DfE rule {code} on {order[index]} was not caught first"


def test_collection_year_is_checked(hub_db):
    assert ssda903.collection_year("2017-18") == ("2017-04-01", "2018-03-31")
    assert ssda903.collection_year("2019/2020") == ("2019-04-01", "2020-03-31")
    for bad in ("2017", "2017-19", "last year", ""):
        with pytest.raises(ssda903.ExportError, match="Write it like 2017-18"):
            ssda903.collection_year(bad)


def annex(db):
    return {r["Child ID"]: (r["Missing episodes in the last 6 months"], r["Away episodes in the last 6 months"],
                            r["RHI offered after last missing episode"], r["RHI accepted after last missing episode"])
            for r in ssda903.annex_a_list8(db)}


def test_annex_a_list8_answers(hub_db, tmp_path):
    rows = [
        # completed after the last missing episode (an earlier one was not offered)
        row("K1", "Y1", start="2018-01-01 10:00", end="2018-01-02 10:00"),
        row("K2", "Y1", start="2018-03-01 10:00", end="2018-03-02 10:00", rhi_offered_on="2018-03-03",
            rhi_outcome="completed", rhi_completed_on="2018-03-04"),
        row("K3", "Y1", episode_type="away", start="2018-04-01 10:00", end="2018-04-01 12:00"),
        # declined
        row("K4", "Y2", start="2018-02-01 10:00", end="2018-02-02 10:00", rhi_offered_on="2018-02-03",
            rhi_outcome="declined"),
        # offered, no outcome yet
        row("K5", "Y3", start="2018-05-20 10:00", end="2018-05-21 10:00", rhi_offered_on="2018-05-22"),
        # RHI record, no offer, 72 hours long gone: No / No
        row("K6", "Y4", start="2018-02-01 10:00", end="2018-02-02 10:00", rhi_by="social_worker"),
        # went missing again before the interview: not offered
        row("K7", "Y5", start="2018-02-01 10:00", end="2018-02-02 10:00", rhi_outcome="missing_again"),
        # no RHI record at all (history without RHI columns): Unknown
        row("K8", "Y6", start="2018-02-01 10:00", end="2018-02-02 10:00"),
        # still missing: Unknown
        row("K9", "Y7", start="2018-05-30 10:00", end=""),
        # returned 24 hours ago, RHI open with no offer yet: Unknown (still in time)
        row("K10", "Y8", start="2018-05-30 10:00", end="2018-05-31 09:00", rhi_by="missing_team"),
        # away only: listed, blank answers
        row("K11", "Y9", episode_type="away", start="2018-02-01 10:00", end="2018-02-02 10:00"),
        # not listed: other council's child, not looked after, more than six months ago
        row("K12", "Y10", start="2018-02-01 10:00", end="2018-02-02 10:00", other_la="Y"),
        row("K13", "Y11", start="2018-02-01 10:00", end="2018-02-02 10:00", looked_after="N", placement=""),
        row("K14", "Y12", start="2017-11-30 10:00", end="2017-11-30 12:00"),
    ]
    import_episodes(hub_db, write_register(tmp_path / "r.csv", rows))
    hub_db.execute("update return_home_interviews set interviewer_type = interviewer_type")
    # K10 and K6 have an RHI record (rhi_by given) with no offer.
    assert annex(hub_db) == {
        "Y1": (2, 1, "Yes", "Yes"), "Y2": (1, 0, "Yes", "No"), "Y3": (1, 0, "Yes", "Unknown"),
        "Y4": (1, 0, "No", "No"), "Y5": (1, 0, "No", "No"), "Y6": (1, 0, "Unknown", "Unknown"),
        "Y7": (1, 0, "Unknown", "Unknown"), "Y8": (1, 0, "Unknown", "Unknown"), "Y9": (0, 1, "", ""),
    }
    text = ssda903.annex_a_csv(hub_db)
    assert text.splitlines()[0].startswith("Child ID,Date of birth,")


def test_export_commands(hub_db, tmp_path, cli):
    import_episodes(hub_db, write_register(tmp_path / "r.csv", clean_rows()))
    out = tmp_path / "missing.csv"
    result = cli("export-903", "--year", "2017-18", "--out", out)
    assert result.exit_code == 0, result.output
    assert "Wrote 5 episodes" in result.output
    assert out.read_bytes().decode() == ssda903.missing_table_csv(hub_db, "2017-18")
    result = cli("export-903", "--year", "2017-2019", "--out", out)
    assert result.exit_code == 1 and "Write it like 2017-18" in result.output
    list8 = tmp_path / "list8.csv"
    result = cli("export-annex-a", "--out", list8)
    assert result.exit_code == 0 and list8.read_bytes().decode() == ssda903.annex_a_csv(hub_db)
