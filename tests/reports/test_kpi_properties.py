"""The KPI module against a plain-Python reference count, on random records and on the boundary cases."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kpi_records import add_child, add_episode, add_rhi, clear

from rhi_desk.reports import figures, kpi

MONTHS = ["2017-04", "2017-05", "2017-06"]
BASE = datetime(2017, 3, 20)


# ------------------------------------------------------------------------------------------------
# The reference: DOMAIN.md's definitions, written as plainly as possible.


def ref_rate(n, d):
    if d == 0:
        return None
    return (Decimal(n) * 100 / Decimal(d)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def ref_age_band(dob, start):
    if not dob:
        return "unknown"
    born, on = date.fromisoformat(dob), date.fromisoformat(start[:10])
    months = (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)
    return ("under_13" if months < 156 else "13_15" if months < 192 else "16" if months < 204
            else "17" if months < 210 else "17_half" if months < 216 else "adult")


def reference(children, episodes, rhis, filters: kpi.Filters):
    """{month: row} counted the slow, obvious way."""
    out = {}
    for month in MONTHS:
        counted = []
        for e in episodes:
            if e["type"] != "missing" or e["ola"] or e["start"][:7] != month:
                continue
            if ref_age_band(children[e["child"]], e["start"]) == "adult":
                continue  # not a child's episode: counted nowhere
            if filters.lac == "lac" and not e["lac"] or filters.lac == "not_lac" and e["lac"]:
                continue
            if filters.lac in ("in_borough", "neighbouring", "out_of_borough") and not (
                    e["lac"] and e["placement"] == filters.lac):
                continue
            if filters.age_band and ref_age_band(children[e["child"]], e["start"]) != filters.age_band:
                continue
            covering = [r for r in rhis if e["key"] in r["episodes"]
                        and (not filters.interviewer_type or r["type"] == filters.interviewer_type)]
            # Who interviewed narrows the numerators only: every child who went missing stays in the base.
            offered = any(r["offered_at"] or r["outcome"] in ("completed", "declined") for r in covering)
            done = any(r["outcome"] == "completed" for r in covering)
            counted.append((e, offered, done))
        kids = {e["child"] for e, _, _ in counted}
        kids_offered = {e["child"] for e, o, _ in counted if o}
        kids_done = {e["child"] for e, _, d in counted if d}
        lac = [(e, d) for e, _, d in counted if e["lac"]]
        row = {"month": month, "children_missing": len(kids), "children_offered": len(kids_offered),
               "children_rhi_done": len(kids_done), "episodes": len(counted),
               "episodes_rhi_done": sum(1 for _, _, d in counted if d),
               "lac_episodes": len(lac), "lac_episodes_rhi_done": sum(1 for _, d in lac if d)}
        row["offer_rate_children"] = ref_rate(row["children_offered"], row["children_missing"])
        row["rhi_done_rate_episodes"] = ref_rate(row["episodes_rhi_done"], row["episodes"])
        row["lac_rhi_done_rate_episodes"] = ref_rate(row["lac_episodes_rhi_done"], row["lac_episodes"])
        out[month] = row
    return out


# ------------------------------------------------------------------------------------------------
# Random records


def _time(day_minute):
    day, minute = day_minute
    return (BASE + timedelta(days=day, minutes=minute)).strftime("%Y-%m-%d %H:%M")


episode_strategy = st.fixed_dictionaries({
    "child": st.sampled_from(range(6)),
    "type": st.sampled_from(["missing", "missing", "missing", "away"]),
    # 20 March to early July, so some fall outside the months; sampled_from spreads them evenly
    # (integers() would crowd them at the start, before April).
    "start": st.tuples(st.sampled_from(range(110)), st.sampled_from(range(0, 1440, 7))).map(_time),
    "hours": st.one_of(st.none(), st.integers(1, 200)),
    "lac": st.booleans(),
    "ola": st.sampled_from([False, False, False, True]),
    "placement": st.sampled_from(["in_borough", "neighbouring", "out_of_borough", None]),
})
rhi_strategy = st.fixed_dictionaries({
    "episodes": st.lists(st.sampled_from(range(30)), min_size=1, max_size=3, unique=True),
    "offered": st.booleans(),
    "outcome": st.sampled_from([None, "completed", "declined", "unavailable", "missing_again"]),
    "type": st.sampled_from([None, "social_worker", "missing_team", "provider"]),
})
filters_strategy = st.builds(
    kpi.Filters,
    lac=st.sampled_from([None, "lac", "not_lac", "in_borough", "neighbouring", "out_of_borough"]),
    age_band=st.sampled_from([None, "under_13", "13_15", "16", "17", "17_half", "unknown"]),
    interviewer_type=st.sampled_from([None, "social_worker", "missing_team", "provider"]),
)
# 1999-06-01 turns 18 in June 2017 (some of that child's episodes are not a child's); 1999-11-20 is
# 17 and a half from 20 May 2017.
DOBS = ["2001-04-10", "2004-05-01", "1999-11-20", "1999-06-01", None, "2010-01-01"]


def load(db, raw_episodes, raw_rhis):
    clear(db)
    children = {}
    ids = {}
    for n, dob in enumerate(DOBS):
        ids[n] = add_child(db, f"C{n}", dob)
        children[n] = dob
    episodes = []
    for i, e in enumerate(raw_episodes):
        end = None
        if e["hours"] is not None:
            end = (datetime.fromisoformat(e["start"]) + timedelta(hours=e["hours"])).strftime("%Y-%m-%d %H:%M")
        pk = add_episode(db, f"E{i}", ids[e["child"]], e["start"], end, episode_type=e["type"],
                         looked_after=e["lac"], other_la=e["ola"], placement=e["placement"])
        episodes.append({**e, "key": i, "pk": pk, "placement": e["placement"] if e["lac"] else None})
    rhis = []
    for j, r in enumerate(raw_rhis):
        covered = [episodes[i] for i in r["episodes"] if i < len(episodes)]
        if not covered:
            continue
        # One RHI covers episodes of one child: keep those of the first episode's child.
        child = covered[0]["child"]
        covered = [e for e in covered if e["child"] == child]
        offered_at = covered[0]["start"] if r["offered"] else None
        add_rhi(db, f"R{j}", ids[child], [e["pk"] for e in covered], offered_at=offered_at, outcome=r["outcome"],
                completed_at=offered_at if r["outcome"] == "completed" else None, interviewer_type=r["type"])
        rhis.append({"episodes": {e["key"] for e in covered}, "offered_at": offered_at, "outcome": r["outcome"],
                     "type": r["type"]})
    return children, episodes, rhis


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw_episodes=st.lists(episode_strategy, max_size=30), raw_rhis=st.lists(rhi_strategy, max_size=20),
       filters=filters_strategy)
def test_monthly_table_matches_a_plain_count(hub_db, raw_episodes, raw_rhis, filters):
    children, episodes, rhis = load(hub_db, raw_episodes, raw_rhis)
    # Unfiltered every time (most filtered sets are small), then with the drawn filters.
    for chosen in (kpi.NO_FILTERS, filters):
        expected = reference(children, episodes, rhis, chosen)
        got = kpi.monthly_table(hub_db, MONTHS[0], MONTHS[-1], chosen)
        assert [row["month"] for row in got] == MONTHS
        for row in got:
            assert row == expected[row["month"]]
        # The dashboard counts from its frame: it must agree with the command line's query.
        with figures.Frame(hub_db, MONTHS[0], MONTHS[-1], chosen) as frame:
            assert figures.seed_table_from(frame) == got
    # Every count is as many children or episodes as its drill-down lists.
    for key, _, kind, metric in kpi.SEED_ROWS:
        if kind == "count":
            for row in got:
                assert figures.drill(hub_db, metric, row["month"], row["month"], filters).count == row[key]


# ------------------------------------------------------------------------------------------------
# Boundary cases, by hand


@pytest.fixture
def child(hub_db):
    return add_child(hub_db, "C1", "2003-06-15")


def row_for(db, month, filters=kpi.NO_FILTERS):
    return kpi.monthly_table(db, month, month, filters)[0]


def test_an_episode_spanning_a_month_end_counts_in_the_month_it_started(hub_db, child):
    e = add_episode(hub_db, "E1", child, "2017-04-30 22:00", "2017-05-01 03:00")
    add_rhi(hub_db, "R1", child, [e], offered_at="2017-05-01 09:00", outcome="completed",
            completed_at="2017-05-02 10:00")
    april, may = kpi.monthly_table(hub_db, "2017-04", "2017-05")
    assert (april["episodes"], april["episodes_rhi_done"], april["children_rhi_done"]) == (1, 1, 1)
    assert (may["episodes"], may["children_missing"]) == (0, 0)


def test_a_child_in_two_months_counts_once_in_each(hub_db, child):
    for n, start in enumerate(["2017-04-03 10:00", "2017-04-20 10:00", "2017-05-02 10:00"]):
        add_episode(hub_db, f"E{n}", child, start, start[:11] + "18:00")
    april, may = kpi.monthly_table(hub_db, "2017-04", "2017-05")
    assert (april["children_missing"], april["episodes"]) == (1, 2)
    assert (may["children_missing"], may["episodes"]) == (1, 1)


def test_a_child_lac_in_one_episode_and_not_another(hub_db, child):
    lac = add_episode(hub_db, "E1", child, "2017-04-03 10:00", "2017-04-03 20:00", looked_after=True,
                      placement="out_of_borough")
    home = add_episode(hub_db, "E2", child, "2017-04-10 10:00", "2017-04-10 20:00")
    add_rhi(hub_db, "R1", child, [home], offered_at="2017-04-11 10:00", outcome="completed",
            completed_at="2017-04-11 12:00")
    april = row_for(hub_db, "2017-04")
    assert (april["lac_episodes"], april["lac_episodes_rhi_done"]) == (1, 0)
    assert april["lac_rhi_done_rate_episodes"] == Decimal("0.00")
    assert april["rhi_done_rate_episodes"] == Decimal("50.00")
    assert row_for(hub_db, "2017-04", kpi.Filters(lac="lac"))["children_missing"] == 1
    assert row_for(hub_db, "2017-04", kpi.Filters(lac="in_borough"))["children_missing"] == 0
    lac_drill = figures.drill(hub_db, "lac_episodes", "2017-04", "2017-04")
    assert [r["episode_id"] for r in lac_drill.rows] == ["E1"]
    assert lac != home


def test_ola_and_away_episodes_never_count_but_show_separately(hub_db, child):
    ola_child = add_child(hub_db, "OLA1", "2004-01-01")
    ola = add_episode(hub_db, "E1", ola_child, "2017-04-05 10:00", "2017-04-05 12:00", other_la=True,
                      looked_after=True, placement="out_of_borough")
    away = add_episode(hub_db, "E2", child, "2017-04-06 10:00", "2017-04-06 12:00", episode_type="away")
    add_rhi(hub_db, "R1", ola_child, [ola], offered_at="2017-04-05 13:00", outcome="completed",
            completed_at="2017-04-05 14:00")
    add_rhi(hub_db, "R2", child, [away], offered_at="2017-04-06 13:00", outcome="completed",
            completed_at="2017-04-06 14:00")
    april = row_for(hub_db, "2017-04")
    assert all(april[k] == 0 for k in ("children_missing", "episodes", "episodes_rhi_done", "lac_episodes"))
    wider = figures.beyond_the_seed(hub_db, "2017-04", "2017-04")
    assert wider["away_ola"]["away"]["episodes"]["2017-04"] == 1
    assert wider["away_ola"]["ola"]["episodes"]["2017-04"] == 1
    assert [r["child_id"] for r in figures.drill(hub_db, "ola_children", "2017-04", "2017-04").rows] == ["OLA1"]


def test_months_with_nothing_to_divide_by_are_blank(hub_db, child):
    add_episode(hub_db, "E1", child, "2017-05-03 10:00", "2017-05-03 12:00")
    april, may = kpi.monthly_table(hub_db, "2017-04", "2017-05")
    assert april["offer_rate_children"] is None and april["rhi_done_rate_episodes"] is None
    assert may["offer_rate_children"] == Decimal("0.00")
    assert may["lac_rhi_done_rate_episodes"] is None  # no LAC episodes
    assert kpi.csv_rows([april])[1] == ["2017-04", "0", "0", "0", "0", "0", "", "", ""]


def test_one_rhi_covering_three_episodes_makes_all_three_done(hub_db, child):
    eps = [add_episode(hub_db, f"E{n}", child, f"2017-04-0{n + 1} 10:00", f"2017-04-0{n + 1} 12:00")
           for n in range(3)]
    add_rhi(hub_db, "R1", child, eps, offered_at="2017-04-04 10:00", outcome="completed",
            completed_at="2017-04-05 10:00")
    april = row_for(hub_db, "2017-04")
    assert (april["episodes"], april["episodes_rhi_done"], april["children_missing"]) == (3, 3, 1)


def test_a_completed_rhi_with_no_offer_date_still_counts_as_offered(hub_db, child):
    e = add_episode(hub_db, "E1", child, "2017-04-03 10:00", "2017-04-03 12:00")
    add_rhi(hub_db, "R1", child, [e], outcome="completed", completed_at="2017-04-04 10:00")
    assert row_for(hub_db, "2017-04")["children_offered"] == 1


def test_72_hour_clock_counts_not_measurable_separately_never_as_late(hub_db, child):
    within = add_episode(hub_db, "E1", child, "2017-04-03 10:00", "2017-04-03 12:00")
    late = add_episode(hub_db, "E2", child, "2017-04-10 10:00", "2017-04-10 12:00")
    no_time = add_episode(hub_db, "E3", child, "2017-04-15 10:00", "2017-04-15")  # a return with no time
    ambiguous = add_episode(hub_db, "E4", child, "2017-04-20 10:00", "2017-04-20 12:00")
    add_episode(hub_db, "E5", child, "2017-04-25 10:00", "2017-04-25 12:00")  # never offered
    add_rhi(hub_db, "R1", child, [within], offered_at="2017-04-05 09:00")
    add_rhi(hub_db, "R2", child, [late], offered_at="2017-04-14 09:00")
    add_rhi(hub_db, "R3", child, [no_time], offered_at="2017-04-16 09:00")
    add_rhi(hub_db, "R4", child, [ambiguous], offered_at="2017-04-23")  # the deadline day, hour unknown
    wider = figures.beyond_the_seed(hub_db, "2017-04", "2017-04", at=datetime(2017, 6, 1))
    counts = {state: n["2017-04"] for state, n in wider["timeliness"]["offer"]["counts"].items()}
    assert counts == {"within": 1, "late": 1, "not_yet": 1, "pending": 0, "still_missing": 0, "not_measurable": 2}
    # 1 of the 3 measurable returns was offered in time; the 2 not measurable are left out.
    assert wider["timeliness"]["offer"]["rate"]["2017-04"] == Decimal("33.33")
    listed = figures.drill(hub_db, "offer_state", "2017-04", "2017-04", key="not_measurable", at=datetime(2017, 6, 1))
    assert sorted(r["episode_id"] for r in listed.rows) == ["E3", "E4"]


def test_repeat_missing_needs_three_episodes_within_30_days(hub_db, child):
    other = add_child(hub_db, "C2", "2005-01-01")
    # C1: 15 March, 2 April, 10 April: three within 30 days, the third in April.
    for n, start in enumerate(["2017-03-15 10:00", "2017-04-02 10:00", "2017-04-10 10:00"]):
        add_episode(hub_db, f"A{n}", child, start, start[:11] + "12:00")
    # C2: three episodes spread over more than 30 days.
    for n, start in enumerate(["2017-04-01 10:00", "2017-04-20 10:00", "2017-05-05 10:00"]):
        add_episode(hub_db, f"B{n}", other, start, start[:11] + "12:00")
    wider = figures.beyond_the_seed(hub_db, "2017-04", "2017-05")
    assert wider["repeat"]["children"] == {"2017-04": 1, "2017-05": 0}
    assert [r["child_id"] for r in figures.drill(hub_db, "repeat_children", "2017-04", "2017-04").rows] == ["C1"]


def test_age_bands_use_the_age_at_the_start_of_the_episode(hub_db):
    sixteen_tomorrow = add_child(hub_db, "C1", "2001-04-11")
    add_episode(hub_db, "E1", sixteen_tomorrow, "2017-04-10 10:00", "2017-04-10 12:00")  # aged 15
    add_episode(hub_db, "E2", sixteen_tomorrow, "2017-04-11 10:00", "2017-04-11 12:00")  # aged 16
    ages = figures.beyond_the_seed(hub_db, "2017-04", "2017-04")["age_bands"]
    assert ages["episodes"]["13_15"]["2017-04"] == 1 and ages["episodes"]["16"]["2017-04"] == 1
    assert ages["children"]["13_15"]["2017-04"] == 1 and ages["children"]["16"]["2017-04"] == 1
    assert row_for(hub_db, "2017-04", kpi.Filters(age_band="16"))["episodes"] == 1


def test_reasons_not_done_and_interviewers(hub_db, child):
    eps = [add_episode(hub_db, f"E{n}", child, f"2017-04-1{n} 10:00", f"2017-04-1{n} 12:00") for n in range(4)]
    add_rhi(hub_db, "R1", child, [eps[0]], offered_at="2017-04-10 13:00", outcome="declined",
            outcome_reason="Did not want to talk", interviewer_type="provider", assigned_to="Safe Steps")
    add_rhi(hub_db, "R2", child, [eps[1]], offered_at="2017-04-11 13:00", interviewer_type="social_worker")
    add_rhi(hub_db, "R3", child, [eps[2]], offered_at="2017-04-12 13:00", outcome="completed",
            completed_at="2017-04-12 15:00", interviewer_type="provider", assigned_to="Safe Steps")
    wider = figures.beyond_the_seed(hub_db, "2017-04", "2017-04")
    reasons = {k: v["2017-04"] for k, v in wider["not_done"]["counts"].items()}
    assert reasons == {"declined": 1, "unavailable": 0, "missing_again": 0, "awaiting_outcome": 1, "no_rhi": 1}
    assert wider["not_done"]["reasons"] == [{"outcome": "declined", "reason": "Did not want to talk", "n": 1}]
    providers = wider["interviewers"]["by_provider"]
    assert providers == [{"provider": "Safe Steps", "interviews": 2, "completed": 1, "episodes": 2}]
    by_type = {r["interviewer_type"]: r["completed"] for r in wider["interviewers"]["by_type"]}
    assert by_type == {"provider": 1, "social_worker": 0}
    # Who interviewed narrows the numerators, never the base: all four episodes stay counted.
    by_provider = row_for(hub_db, "2017-04", kpi.Filters(interviewer_type="provider"))
    assert (by_provider["episodes"], by_provider["episodes_rhi_done"], by_provider["children_offered"]) == (4, 1, 1)
    assert row_for(hub_db, "2017-04", kpi.Filters(interviewer_type="missing_team"))["children_offered"] == 0


def test_bad_months_are_refused_with_a_sentence(hub_db):
    with pytest.raises(kpi.KPIError, match="for example 2017-04"):
        kpi.monthly_table(hub_db, "April", "2017-05")
    with pytest.raises(kpi.KPIError, match="must not be after"):
        kpi.monthly_table(hub_db, "2017-06", "2017-05")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw_episodes=st.lists(episode_strategy, min_size=5, max_size=30), raw_rhis=st.lists(rhi_strategy, max_size=20),
       filters=filters_strategy)
def test_wider_figures_agree_with_the_table_and_their_drill_downs(hub_db, raw_episodes, raw_rhis, filters):
    load(hub_db, raw_episodes, raw_rhis)
    wider = figures.beyond_the_seed(hub_db, MONTHS[0], MONTHS[-1], filters, at=datetime(2017, 8, 1))
    table = kpi.monthly_table(hub_db, MONTHS[0], MONTHS[-1], filters)
    assert wider["table"] == table
    for month, row in zip(MONTHS, table):
        # Every counted episode is in exactly one timeliness state and one age band.
        assert sum(wider["timeliness"]["offer"]["counts"][s][month] for s in kpi.TIMELINESS_STATES) == row["episodes"]
        assert sum(wider["age_bands"]["episodes"][b][month] for b in kpi.AGE_BANDS) == row["episodes"]
        assert (sum(wider["not_done"]["counts"][r][month] for r in kpi.NOT_DONE_REASONS)
                == row["episodes"] - row["episodes_rhi_done"])
        assert sum(wider["placement"]["episodes"][p][month] for p in kpi.PLACEMENTS) == row["lac_episodes"]
        for state in kpi.TIMELINESS_STATES:
            listed = figures.drill(hub_db, "offer_state", month, month, filters, key=state, at=datetime(2017, 8, 1))
            assert listed.count == wider["timeliness"]["offer"]["counts"][state][month]
        for band in kpi.AGE_BANDS:
            assert figures.drill(hub_db, "age_children", month, month, filters, key=band).count == \
                wider["age_bands"]["children"][band][month]
        assert figures.drill(hub_db, "repeat_children", month, month, filters).count == wider["repeat"]["children"][month]
        assert figures.drill(hub_db, "away_episodes", month, month, filters).count == \
            wider["away_ola"]["away"]["episodes"][month]
