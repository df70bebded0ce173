"""The table as it stood: ``kpi --as-recorded-on DAY`` gives the figures the records gave at the end of that day."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
import time_machine
from seed_data import build_register_rows, parse_seed_table, write_register_csv
from test_kpi_seed import SEED_TABLE

from rhi_desk.register import children, corrections, episodes, rhi_tracking
from rhi_desk.register.rules import RegisterError
from rhi_desk.reports import figures, kpi

SEED = parse_seed_table(SEED_TABLE)


def _csv(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_december_figures_stay_reproducible_after_january_fills_in_late_interviews(tmp_path, hub_db, cli):
    """The issue's scenario: import on 20 Dec 2017, re-import on 22 Jan 2018 with a third of Oct-Nov RHIs filled in."""
    full = build_register_rows(SEED)
    late = [r for r in full if r["start"][:7] in ("2017-10", "2017-11") and r["rhi_outcome"] == "completed"
            and not r["child_id"].startswith("OLA") and r["episode_type"] == "missing"][::3]
    assert len(late) > 40
    late_ids = {r["episode_id"] for r in late}
    december = [dict(r, rhi_offered_on="", rhi_outcome="", rhi_completed_on="") if r["episode_id"] in late_ids
                else r for r in full]
    with time_machine.travel(datetime(2017, 12, 20, 15, 30), tick=False):
        assert cli("import-episodes", write_register_csv(tmp_path / "dec.csv", december)).exit_code == 0
        on_the_day = _csv(cli("kpi", "--from", "2017-04", "--to", "2017-11", "--format", "csv"))
    with time_machine.travel(datetime(2018, 1, 22, 10, 0), tick=False):
        result = cli("import-episodes", write_register_csv(tmp_path / "jan.csv", full))
        assert result.exit_code == 0, result.output
        as_stood = _csv(cli("kpi", "--from", "2017-04", "--to", "2017-11", "--format", "csv",
                            "--as-recorded-on", "2017-12-31"))
        today = _csv(cli("kpi", "--from", "2017-04", "--to", "2017-11", "--format", "csv"))
        before_any = _csv(cli("kpi", "--from", "2017-04", "--to", "2017-11", "--format", "csv",
                              "--as-recorded-on", "2017-12-19"))
    assert as_stood == on_the_day  # cell for cell, as given to the committee in December
    for row in today:  # January's figures are the seed's, every cell
        for key, value in SEED[row["month"]].items():
            assert row[key] == value.rstrip("%"), (row["month"], key)
    nov_dec = next(r for r in on_the_day if r["month"] == "2017-11")
    nov_jan = next(r for r in today if r["month"] == "2017-11")
    assert int(nov_dec["episodes_rhi_done"]) < int(nov_jan["episodes_rhi_done"])
    assert all(row["episodes"] == "0" for row in before_any)  # nothing was recorded yet


def test_as_recorded_on_refuses_a_bad_or_future_day(cli, hub_db):
    result = cli("kpi", "--from", "2017-04", "--to", "2017-04", "--as-recorded-on", "31/12/2017")
    assert result.exit_code != 0 and "for example 2017-12-31" in result.output
    with time_machine.travel(datetime(2018, 1, 22, 10, 0), tick=False):
        result = cli("kpi", "--from", "2017-04", "--to", "2017-04", "--as-recorded-on", "2018-01-23")
    assert result.exit_code != 0 and "today or in the past" in result.output


@pytest.fixture
def register(hub_db):
    """A child and three returned April episodes recorded on 5 May 2017 through the register's own functions."""
    with time_machine.travel(datetime(2017, 5, 5, 9, 0), tick=False):
        children.create_child(hub_db, "C1", name="Amy", date_of_birth="2003-06-15")
        ids = []
        for day in (3, 10, 17):
            e = episodes.record_missing(hub_db, "C1", start=f"2017-04-{day:02d} 10:00")
            episodes.record_found(hub_db, e["episode_id"], end=f"2017-04-{day:02d} 20:00")
            ids.append(e["episode_id"])
    return ids


def _rhi_of(db, episode_id):
    return db.execute("select r.rhi_id from return_home_interviews r join rhi_episodes re on re.rhi = r.id "
                      "join episodes e on e.id = re.episode where e.episode_id = ? order by r.id", [episode_id]
                      ).fetchone()[0]


def _april(db, day=None):
    row = kpi.monthly_table(db, "2017-04", "2017-04", as_of=kpi.as_recorded_on(day) if day else None)[0]
    return {k: row[k] for k in ("children_missing", "children_offered", "children_rhi_done", "episodes",
                                "episodes_rhi_done", "lac_episodes")}


def test_late_offers_outcomes_relinks_voids_reopens_and_status_corrections_leave_each_day_as_it_stood(hub_db, register):
    e1, e2, e3 = register
    r1, r2 = _rhi_of(hub_db, e1), _rhi_of(hub_db, e2)
    with time_machine.travel(datetime(2017, 5, 10, 9, 0), tick=False):  # a late offer and outcome
        rhi_tracking.record_offer(hub_db, r1, "2017-04-04 09:00", "phone", "Sam")
        rhi_tracking.record_outcome(hub_db, r1, "completed", completed_at="2017-04-06 10:00")
    with time_machine.travel(datetime(2017, 5, 12, 9, 0), tick=False):  # one RHI re-linked to cover two returns
        episodes.cover_episodes(hub_db, r1, [hub_db.execute("select id from episodes where episode_id = ?",
                                                             [e2]).fetchone()[0]])
    with time_machine.travel(datetime(2017, 5, 15, 9, 0), tick=False):  # a duplicate voided
        corrections.void_episode(hub_db, e3, reason="Entered twice", by="missing")
    with time_machine.travel(datetime(2017, 5, 16, 9, 0), tick=False):  # a status corrected
        corrections.correct_status(hub_db, e1, looked_after=True, other_la=False, placement="in_borough",
                                   reason="Was in care from March", by="missing")
    with time_machine.travel(datetime(2017, 5, 18, 9, 0), tick=False):  # a return recorded in error, reopened
        corrections.reopen_episode(hub_db, e2, reason="Police closed the wrong report", by="missing")
    with time_machine.travel(datetime(2017, 5, 20, 9, 0), tick=False):
        assert _april(hub_db, "2017-05-05") == {"children_missing": 1, "children_offered": 0, "children_rhi_done": 0,
                                                "episodes": 3, "episodes_rhi_done": 0, "lac_episodes": 0}
        assert _april(hub_db, "2017-05-10") == {"children_missing": 1, "children_offered": 1, "children_rhi_done": 1,
                                                "episodes": 3, "episodes_rhi_done": 1, "lac_episodes": 0}
        assert _april(hub_db, "2017-05-12")["episodes_rhi_done"] == 2  # one interview, two episodes covered
        assert _april(hub_db, "2017-05-15")["episodes"] == 2  # the duplicate counted nowhere from then on
        assert _april(hub_db, "2017-05-16")["lac_episodes"] == 1
        assert _april(hub_db, "2017-05-19") == _april(hub_db)  # the plain table is today's
        # The wider figures read the same history: the 72-hour table on 5 May had nothing offered.
        as_of = kpi.as_recorded_on("2017-05-05")
        wider = figures.beyond_the_seed(hub_db, "2017-04", "2017-04", as_of=as_of)
        assert wider["table"] == kpi.monthly_table(hub_db, "2017-04", "2017-04", as_of=as_of)
        assert figures.drill(hub_db, "episodes_rhi_done", "2017-04", "2017-04", as_of=as_of).count == 0
        assert figures.drill(hub_db, "episodes_rhi_done", "2017-04", "2017-04").count == 2
    assert r2  # the auto-opened RHI of the second return is still there, folded or not


def test_corrections_need_a_reason_and_are_audited(hub_db, register):
    e1 = register[0]
    with pytest.raises(RegisterError, match="Enter why"):
        corrections.void_episode(hub_db, e1, reason="  ")
    corrections.void_episode(hub_db, e1, reason="Duplicate of the police report", by="missing")
    with pytest.raises(RegisterError, match="already voided"):
        corrections.void_episode(hub_db, e1, reason="again")
    audit = hub_db.execute("select action, username, detail from audit_log where action = 'episode.void'").fetchall()
    assert audit and audit[0][1] == "missing" and "Duplicate of the police report" in audit[0][2]
    with pytest.raises(RegisterError, match="cannot be open again"):
        corrections.reopen_episode(hub_db, register[1], reason="wrong")


def test_why_an_rhi_was_not_done_is_coded(hub_db, register):
    rhi = _rhi_of(hub_db, register[0])
    with pytest.raises(RegisterError, match="only an offered interview can be declined"):
        corrections.record_not_done(hub_db, rhi, "parent_carer_refused")
    rhi_tracking.record_offer(hub_db, rhi, "2017-04-04 09:00", "phone", "Sam")
    with pytest.raises(RegisterError, match="Say why"):
        corrections.record_not_done(hub_db, rhi, "other")
    saved = corrections.record_not_done(hub_db, rhi, "parent_carer_refused", text="Mother said not now")
    assert (saved["outcome"], saved["not_done_code"], saved["outcome_reason"]) == \
        ("declined", "parent_carer_refused", "Mother said not now")


def test_a_void_made_in_error_is_undone_and_the_days_while_voided_stay_as_they_stood(hub_db, register):
    e3 = register[2]
    with time_machine.travel(datetime(2017, 5, 15, 9, 0), tick=False):
        corrections.void_episode(hub_db, e3, reason="Entered twice", by="missing")
    with time_machine.travel(datetime(2017, 5, 16, 9, 0), tick=False):
        corrections.restore_episode(hub_db, e3, reason="Not a duplicate after all", by="missing")
    with time_machine.travel(datetime(2017, 5, 20, 9, 0), tick=False):
        assert _april(hub_db)["episodes"] == 3
        assert _april(hub_db, "2017-05-15")["episodes"] == 2
        assert _april(hub_db, "2017-05-16")["episodes"] == 3
        with pytest.raises(RegisterError, match="not voided"):
            corrections.restore_episode(hub_db, e3, reason="again")
        with pytest.raises(RegisterError, match="Enter why"):
            corrections.void_episode(hub_db, e3, reason="")
    audit = hub_db.execute("select username, detail from audit_log where action = 'episode.restore'").fetchall()
    assert audit == [("missing", audit[0][1])] and "Not a duplicate after all" in audit[0][1]


def test_a_903_return_is_made_again_exactly_as_it_was_sent(hub_db, cli, tmp_path):
    with time_machine.travel(datetime(2018, 5, 31, 9, 0), tick=False):
        children.create_child(hub_db, "L1", name="Lee", date_of_birth="2004-02-01", looked_after=True, other_la=False,
                              placement="in_borough")
        first = episodes.record_missing(hub_db, "L1", start="2017-06-01 10:00")
        episodes.record_found(hub_db, first["episode_id"], end="2017-06-02 10:00")
        second = episodes.record_missing(hub_db, "L1", start="2017-09-01 10:00")
        episodes.record_found(hub_db, second["episode_id"], end="2017-09-01 22:00")
        sent = cli("export-903", "--year", "2017-18", "--out", tmp_path / "sent.csv")
        assert sent.exit_code == 0, sent.output
    with time_machine.travel(datetime(2018, 7, 2, 9, 0), tick=False):
        late = episodes.record_missing(hub_db, "L1", start="2018-01-05 10:00")  # recorded after the return
        episodes.record_found(hub_db, late["episode_id"], end="2018-01-06 10:00")
        corrections.void_episode(hub_db, second["episode_id"], reason="Entered twice", by="missing")
        again = cli("export-903", "--year", "2017-18", "--out", tmp_path / "again.csv",
                    "--as-recorded-on", "2018-05-31")
        assert again.exit_code == 0 and "as recorded on 2018-05-31" in again.output
        assert cli("export-903", "--year", "2017-18", "--out", tmp_path / "today.csv").exit_code == 0
        refused = cli("export-903", "--year", "2017-18", "--out", tmp_path / "bad.csv", "--as-recorded-on", "31/05/2018")
        assert refused.exit_code != 0 and "for example 2017-12-31" in refused.output
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "sent.csv").read_bytes()
    today = (tmp_path / "today.csv").read_text()
    assert "05/01/2018" in today and "01/09/2017" not in today
    assert "01/09/2017" in (tmp_path / "sent.csv").read_text()
    assert not (tmp_path / "bad.csv").exists()


def test_the_903_page_gives_the_return_as_recorded_on_a_day(hub_db, signed_in):
    with time_machine.travel(datetime(2018, 5, 31, 9, 0), tick=False):
        children.create_child(hub_db, "L1", name="Lee", date_of_birth="2004-02-01", looked_after=True, other_la=False,
                              placement="in_borough")
        first = episodes.record_missing(hub_db, "L1", start="2017-06-01 10:00")
        episodes.record_found(hub_db, first["episode_id"], end="2017-06-02 10:00")
    with time_machine.travel(datetime(2018, 7, 2, 9, 0), tick=False):
        late = episodes.record_missing(hub_db, "L1", start="2018-01-05 10:00")
        episodes.record_found(hub_db, late["episode_id"], end="2018-01-06 10:00")
        client = signed_in("missing_team")
        assert "As recorded on" in client.get("/exports/903").get_data(as_text=True)
        stood = client.post("/exports/903", data={"year": "2017-18", "recorded_on": "2018-05-31"})
        assert stood.status_code == 200 and "as-recorded-2018-05-31" in stood.headers["Content-Disposition"]
        body = stood.get_data(as_text=True)
        assert "01/06/2017" in body and "05/01/2018" not in body
        bad = client.post("/exports/903", data={"year": "2017-18", "recorded_on": "yesterday"})
        assert "for example 2017-12-31" in bad.get_data(as_text=True)
        assert "05/01/2018" in client.post("/exports/903", data={"year": "2017-18"}).get_data(as_text=True)
