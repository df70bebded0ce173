"""One meaning per word: every list and table agrees on offered, done, a child and repeat missing, on random registers."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kpi_records import add_child, add_episode, add_rhi, clear

from rhi_desk.register import counting, data_quality, episodes, today
from rhi_desk.register.rules import RegisterError
from rhi_desk.reports import figures, high_risk, kpi, ssda903

BASE = datetime(2017, 4, 1)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

OUTCOMES = [None, "completed", "declined", "unavailable", "missing_again"]


@SETTINGS
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(OUTCOMES), st.booleans()), min_size=1, max_size=12))
def test_kpi_table_and_annex_a_agree_on_offered_and_done_for_every_offer_and_outcome(hub_db, cases):
    # One looked-after child per case, one missing episode in April, with or without an RHI record,
    # with or without an offer date, with each outcome.
    clear(hub_db)
    expected_offered, expected_done = set(), set()
    for n, (has_offer, outcome, has_rhi) in enumerate(cases):
        child = add_child(hub_db, f"C{n:02d}", "2004-05-01")
        start = (BASE + timedelta(days=n, hours=9)).strftime("%Y-%m-%d %H:%M")
        end = (BASE + timedelta(days=n, hours=15)).strftime("%Y-%m-%d %H:%M")
        pk = add_episode(hub_db, f"E{n}", child, start, end, looked_after=True, placement="in_borough")
        if has_rhi:
            offered_at = end if has_offer else None
            add_rhi(hub_db, f"R{n}", child, [pk], offered_at=offered_at, outcome=outcome,
                    completed_at=end if outcome == "completed" else None)
            if counting.is_offered({"offered_at": offered_at, "outcome": outcome}):
                expected_offered.add(f"C{n:02d}")
            if outcome == "completed":
                expected_done.add(f"C{n:02d}")
    at = datetime(2017, 5, 20, 12, 0)
    annex = ssda903.annex_a_list8(hub_db, at)
    annex_offered = {r["Child ID"] for r in annex if r["RHI offered after last missing episode"] == "Yes"}
    annex_done = {r["Child ID"] for r in annex if r["RHI accepted after last missing episode"] == "Yes"}
    kpi_offered = {r["child_id"] for r in figures.drill(hub_db, "children_offered", "2017-04", "2017-04").rows}
    kpi_done = {r["child_id"] for r in figures.drill(hub_db, "children_rhi_done", "2017-04", "2017-04").rows}
    table = kpi.monthly_table(hub_db, "2017-04", "2017-04")[0]
    assert kpi_offered == annex_offered == expected_offered
    assert kpi_done == annex_done == expected_done
    assert (table["children_offered"], table["children_rhi_done"]) == (len(expected_offered), len(expected_done))
    # Every RHI whose outcome implies an offer but has no offer date is named by check.
    named = {i.rhi_id for i in data_quality.find_issues(hub_db)
             if i.check in ("rhi_completed_without_offer", "rhi_declined_without_offer")}
    assert named == {f"R{n}" for n, (has_offer, outcome, has_rhi) in enumerate(cases)
                     if has_rhi and not has_offer and outcome in ("completed", "declined")}


episode_strategy = st.tuples(
    st.sampled_from(range(5)),  # child
    st.sampled_from(range(0, 70 * 24, 5)),  # start, hours after BASE
    st.sampled_from(["missing", "missing", "missing", "away"]),
    st.sampled_from([False, False, True]),  # OLA
    st.booleans(),  # voided
)
DOBS = ["2004-05-01", "1999-05-10", "2003-01-01", "2006-03-03", None]  # C1 turns 18 on 10 May 2017


def _load(db, raw):
    clear(db)
    ids = {n: add_child(db, f"C{n}", dob) for n, dob in enumerate(DOBS)}
    rows, seen = [], set()
    for i, (child, hours, kind, ola, voided) in enumerate(raw):
        start = (BASE + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")
        if (child, start) in seen:
            continue
        seen.add((child, start))
        end = (BASE + timedelta(hours=hours + 2)).strftime("%Y-%m-%d %H:%M")
        pk = add_episode(db, f"E{i:03d}", ids[child], start, end, episode_type=kind, other_la=ola)
        if voided:
            db.execute("update episodes set voided_at = '2017-06-30 10:00:00', void_reason = 'duplicate' "
                       "where id = ?", [pk])
        rows.append({"child": f"C{child}", "dob": DOBS[child], "start": start, "type": kind, "ola": ola,
                     "voided": voided})
    return rows


def _ref_repeat(rows, at: datetime, include_ola=True) -> set[str]:
    """Children with 3+ of their missing episodes (not voided, under 18) in the 30 days up to ``at``."""
    found = set()
    for child in {r["child"] for r in rows}:
        starts = [r["start"] for r in rows if r["child"] == child and r["type"] == "missing" and not r["voided"]
                  and not counting.is_adult_episode(r["dob"], r["start"]) and (include_ola or not r["ola"])]
        if counting.repeat_in_window(starts, at.strftime("%Y-%m-%d %H:%M")):
            found.add(child)
    return found


@SETTINGS
@given(st.lists(episode_strategy, max_size=40), st.sampled_from(range(10, 70, 3)))
def test_today_high_risk_and_dashboard_list_the_same_repeat_missing_children(hub_db, raw, day):
    rows = _load(hub_db, raw)
    at = BASE + timedelta(days=day, hours=23)
    expected = _ref_repeat(rows, at)
    on_today = {r["child_id"] for r in today.today(hub_db, at=at).repeat}
    on_high_risk = {r["child_id"] for r in high_risk.high_risk(hub_db, at=at)["repeat"]}
    assert on_today == on_high_risk == expected
    # The dashboard: a child counts in a month when the rule held at the start of one of their
    # counted episodes that month (OLA children left out, as from every KPI).
    for month in ("2017-04", "2017-05"):
        ref = set()
        for r in rows:
            counted = (r["start"][:7] == month and r["type"] == "missing" and not r["voided"] and not r["ola"]
                       and not counting.is_adult_episode(r["dob"], r["start"]))
            if counted and r["child"] in _ref_repeat([x for x in rows if not x["ola"]],
                                                     datetime.fromisoformat(r["start"])):
                ref.add(r["child"])
        drilled = {r["child_id"] for r in figures.drill(hub_db, "repeat_children", month, month).rows}
        assert drilled == ref
        assert figures.beyond_the_seed(hub_db, month, month)["repeat"]["children"][month] == len(ref)


@SETTINGS
@given(st.lists(episode_strategy, max_size=40))
def test_an_episode_after_the_18th_birthday_is_named_by_check_and_counted_nowhere(hub_db, raw):
    rows = _load(hub_db, raw)
    adult = {e["episode_id"] for e in hub_db.query("select episode_id, start from episodes e join children c "
                                                   "on c.id = e.child where c.child_id = 'C1' and e.start >= "
                                                   "'2017-05-10' and e.voided_at is null")}
    named = {i.episode_id for i in data_quality.find_issues(hub_db) if i.check == "adult_episode"}
    assert named == adult
    counted = [r for r in rows if r["type"] == "missing" and not r["ola"] and not r["voided"]
               and not counting.is_adult_episode(r["dob"], r["start"])]
    for month in ("2017-04", "2017-05", "2017-06"):
        table = kpi.monthly_table(hub_db, month, month)[0]
        assert table["episodes"] == sum(1 for r in counted if r["start"][:7] == month)
        drilled = {r["episode_id"] for r in figures.drill(hub_db, "episodes", month, month).rows}
        assert not drilled & adult
        away = figures.drill(hub_db, "away_episodes", month, month).rows
        assert not {r["episode_id"] for r in away} & adult


def test_a_19_year_old_is_refused_at_entry_with_a_sentence(hub_db):
    from rhi_desk.register import children
    children.create_child(hub_db, "C19", name="Sam Adult", date_of_birth="1998-01-05")
    with pytest.raises(RegisterError, match="18 or over on 10 January 2017.*children's missing episodes only"):
        episodes.record_missing(hub_db, "C19", start="2017-01-10 10:00")


def test_seventeen_and_a_half_is_its_own_band(hub_db):
    assert counting.age_band("2000-01-15", "2017-07-14 10:00") == "17"
    assert counting.age_band("2000-01-15", "2017-07-15 10:00") == "17_half"
    assert counting.age_band("2000-08-20", "2018-02-19 10:00") == "17"
    assert counting.age_band("2000-08-20", "2018-08-20 10:00") == "adult"
    child = add_child(hub_db, "C1", "2000-01-15")
    add_episode(hub_db, "E1", child, "2017-07-14 10:00", "2017-07-14 12:00")
    add_episode(hub_db, "E2", child, "2017-07-20 10:00", "2017-07-20 12:00")
    ages = figures.beyond_the_seed(hub_db, "2017-07", "2017-07")["age_bands"]["episodes"]
    assert (ages["17"]["2017-07"], ages["17_half"]["2017-07"]) == (1, 1)


def test_the_who_interviewed_filter_keeps_every_child_who_went_missing_in_the_base(hub_db):
    a, b = add_child(hub_db, "C1"), add_child(hub_db, "C2")
    e1 = add_episode(hub_db, "E1", a, "2017-04-03 10:00", "2017-04-03 12:00")
    add_episode(hub_db, "E2", b, "2017-04-04 10:00", "2017-04-04 12:00")
    add_rhi(hub_db, "R1", a, [e1], offered_at="2017-04-03 13:00", outcome="completed",
            completed_at="2017-04-04 10:00", interviewer_type="provider")
    everyone = kpi.monthly_table(hub_db, "2017-04", "2017-04")[0]
    by_provider = kpi.monthly_table(hub_db, "2017-04", "2017-04", kpi.Filters(interviewer_type="provider"))[0]
    by_worker = kpi.monthly_table(hub_db, "2017-04", "2017-04", kpi.Filters(interviewer_type="social_worker"))[0]
    assert everyone["children_missing"] == by_provider["children_missing"] == by_worker["children_missing"] == 2
    assert (by_provider["children_rhi_done"], by_worker["children_rhi_done"]) == (1, 0)
    assert str(by_provider["offer_rate_children"]) == "50.00"
    assert "children who went missing and episodes are all of them" in \
        kpi.Filters(interviewer_type="provider").base_note()


def test_check_names_an_interview_covering_an_episode_that_ended_long_before(hub_db):
    child = add_child(hub_db, "C1")
    old = add_episode(hub_db, "E1", child, "2017-04-01 10:00", "2017-04-01 12:00")
    recent = add_episode(hub_db, "E2", child, "2017-05-20 10:00", "2017-05-20 12:00")
    add_rhi(hub_db, "R1", child, [old, recent], offered_at="2017-05-21 10:00", outcome="completed",
            completed_at="2017-05-22 10:00")
    named = [(i.episode_id, i.rhi_id) for i in data_quality.find_issues(hub_db) if i.check == "rhi_covers_old_episode"]
    assert named == [("E1", "R1")]


def test_interviews_held_are_counted_beside_the_episodes_they_cover(hub_db):
    child = add_child(hub_db, "C1")
    eps = [add_episode(hub_db, f"E{n}", child, f"2017-04-0{n + 1} 10:00", f"2017-04-0{n + 1} 12:00")
           for n in range(3)]
    add_rhi(hub_db, "R1", child, eps, offered_at="2017-04-04 10:00", outcome="completed",
            completed_at="2017-04-05 10:00")
    held = kpi.interviews_held(hub_db, "2017-04", "2017-05")
    assert (held[0]["interviews"], held[0]["episodes"], str(held[0]["per_interview"])) == (1, 3, "3.00")
    assert held[0]["episodes"] == kpi.monthly_table(hub_db, "2017-04", "2017-04")[0]["episodes_rhi_done"]
    assert (held[1]["interviews"], held[1]["per_interview"]) == (0, None)
