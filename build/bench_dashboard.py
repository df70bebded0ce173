"""Benchmark: the whole dashboard, every figure, at a region's scale, beside pandas counting the same figures.

    nice -n 10 python build/bench_dashboard.py [--db /tmp/dash-bench/bench.db] [--rows 1000000] [--runs 3]

Builds (once, then reuses) a database of ``--rows`` episodes with ``build/bench_kpi.py``'s generator, then
times in the same run, through the Flask test client signed in as a manager:

- the dashboard for the busiest 12 months (target < 1 s) and for 10 years (target < 2 s), first with
  every month counted afresh (no month kept, as on the first visit after an upgrade), then as a manager
  meets it on a later visit (months whose records did not change are read, not recounted);
- the same after an RHI of a month on the page is offered (a late write-up: only the months it touches
  are counted again);
- pandas computing the same figures from the same database (``read_sql`` + vectorised ``groupby``):
  the seed table, the 72-hour states, placements, ages, repeat-missing children and who interviewed;

and checks that pandas and RHI Desk agree, figure by figure.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_kpi  # noqa: E402

from rhi_desk import create_app  # noqa: E402
from rhi_desk.db import connect  # noqa: E402
from rhi_desk.reports import figures, kpi  # noqa: E402

YEAR = ("2024-01", "2024-12")
DECADE = ("2016-01", "2025-12")


def pandas_figures(path: Path, first: str, last: str, at: datetime) -> tuple[dict, float]:
    """The dashboard's figures computed by pandas from the same database; returns (figures, seconds)."""
    import numpy as np
    import pandas as pd

    started = time.perf_counter()
    db = connect(path, migrate=False)
    start_from = (datetime.strptime(first + "-01", "%Y-%m-%d") - pd.Timedelta(days=kpi.REPEAT_DAYS + 1))
    window = [start_from.strftime("%Y-%m-%d"), f"{kpi.next_month(last)}-01"]
    episodes = pd.read_sql(
        'select e.id, e.child, e.start, e."end", e.looked_after as lac, e.placement, c.date_of_birth as dob '
        "from episodes e join children c on c.id = e.child where e.episode_type = 'missing' and e.other_la = 0 "
        "and e.voided_at is null and e.start >= ? and e.start < ?", db.conn, params=window)
    rhis = pd.read_sql(
        "select re.episode as id, r.id as rhi, r.offered_at, r.outcome, r.completed_at, r.interviewer_type "
        "from episodes e join rhi_episodes re on re.episode = e.id join return_home_interviews r on r.id = re.rhi "
        "where e.episode_type = 'missing' and e.other_la = 0 and e.voided_at is null and e.start >= ? "
        "and e.start < ?", db.conn, params=window)
    db.conn.close()
    # Not a child's episode from the 18th birthday; the age band in whole months at the start.
    start_day = episodes["start"].str[:10].str.replace("-", "").astype(int)
    dob = episodes["dob"].fillna("")
    known = dob.str.len() >= 10
    dob_day = pd.to_numeric(dob.str[:10].str.replace("-", ""), errors="coerce")
    episodes = episodes[~(known & (start_day - dob_day >= 180000))].copy()
    dob = episodes["dob"].fillna("")
    months_old = ((episodes["start"].str[:4].astype(int) * 12 + episodes["start"].str[5:7].astype(int))
                  - (pd.to_numeric(dob.str[:4], errors="coerce") * 12 + pd.to_numeric(dob.str[5:7], errors="coerce"))
                  - (episodes["start"].str[8:10] < dob.str[8:10]).astype(int))
    bands = np.select([dob.str.len() < 10, months_old < 156, months_old < 192, months_old < 204, months_old < 210,
                       months_old < 216], ["unknown", "under_13", "13_15", "16", "17", "17_half"], "adult")
    episodes["age_band"] = bands
    # Each episode's RHIs folded to offered, done, first offer and first completion.
    rhis["offered"] = rhis["offered_at"].notna() | rhis["outcome"].isin(["completed", "declined"])
    rhis["done"] = rhis["outcome"] == "completed"
    rhis["offer_time"] = rhis["offered_at"].where(rhis["offered_at"].notna(),
                                                  rhis["completed_at"].where(rhis["done"]))
    per = rhis.groupby("id").agg(offered=("offered", "max"), done=("done", "max"), first_offer=("offer_time", "min"))
    frame = episodes.join(per, on="id")
    frame["offered"] = frame["offered"].fillna(False).astype(bool)
    frame["done"] = frame["done"].fillna(False).astype(bool)
    frame["month"] = frame["start"].str[:7]
    frame["t"] = pd.to_datetime(frame["start"]).astype("int64") / 86_400e9
    # Where the 72-hour clock stood for the offer (reports/figures.py, _clock_state).
    end = frame["end"]
    deadline = pd.to_datetime(end.where(end.str.len() >= 16), errors="coerce") + pd.Timedelta(hours=72)
    offer = frame["first_offer"]
    offer_time = pd.to_datetime(offer.where(offer.str.len() >= 16), errors="coerce")
    offer_day = pd.to_datetime(offer.where(offer.str.len() == 10), errors="coerce")
    frame["offer_state"] = np.select(
        [end.isna(), (end.str.len() < 16) | deadline.isna(), offer.isna() & frame["offered"],
         offer.isna() & (pd.Timestamp(at) > deadline), offer.isna(),
         offer_time.notna() & (offer_time <= deadline), offer_time.notna(),
         offer_day + pd.Timedelta(days=1) <= deadline, offer_day > deadline],
        ["still_missing", "not_measurable", "not_measurable", "not_yet", "pending", "within", "late", "within",
         "late"], "not_measurable")
    # Repeat missing: at least the third of the child's episodes within 30 days (counting itself).
    ordered = frame.sort_values(["child", "t"])
    key = ordered["child"].to_numpy() * 100_000.0 + (ordered["t"].to_numpy() - 10_000)
    position = np.arange(len(ordered))
    ordered["in_window"] = position - np.searchsorted(key, key - kpi.REPEAT_DAYS, side="left") + 1
    in_range = ordered[ordered["start"] >= f"{first}-01"]
    frame = frame[frame["start"] >= f"{first}-01"]
    months = kpi.months_between(first, last)

    def by_month(series):
        return {m: int(series.get(m, 0)) for m in months}

    per_child = frame.groupby(["month", "child"]).agg(n=("id", "size"), offered=("offered", "max"),
                                                      done=("done", "max"), n_done=("done", "sum"),
                                                      n_lac=("lac", "sum"))
    lac_done = (frame["lac"].astype(bool) & frame["done"]).groupby(frame["month"]).sum()
    grouped = per_child.groupby(level="month")
    seed = {
        "children_missing": by_month(grouped.size()), "children_offered": by_month(grouped["offered"].sum()),
        "children_rhi_done": by_month(grouped["done"].sum()), "episodes": by_month(grouped["n"].sum()),
        "episodes_rhi_done": by_month(grouped["n_done"].sum()), "lac_episodes": by_month(grouped["n_lac"].sum()),
        "lac_episodes_rhi_done": by_month(lac_done),
    }
    out = {"seed": seed}
    states = frame.groupby(["offer_state", "month"]).size()
    out["offer"] = {s: by_month(states[s]) if s in states.index.get_level_values(0) else by_month({})
                    for s in kpi.TIMELINESS_STATES}
    ages = frame.groupby(["age_band", "month"]).size()
    out["age"] = {b: by_month(ages[b]) if b in ages.index.get_level_values(0) else by_month({})
                  for b in kpi.AGE_BANDS}
    lac = frame[frame["lac"].astype(bool)].assign(placement=lambda f: f["placement"].fillna("unknown"))
    placed = lac.groupby(["placement", "month"]).agg(n=("id", "size"), done=("done", "sum"))
    out["placement"] = {p: by_month(placed.loc[p]["n"]) if p in placed.index.get_level_values(0) else by_month({})
                        for p in kpi.PLACEMENTS}
    repeat = in_range[in_range["in_window"] >= kpi.REPEAT_EPISODES].groupby("month")["child"].nunique()
    out["repeat"] = by_month(repeat)
    covering = rhis.merge(frame[["id", "month"]], on="id")
    out["interviewers"] = covering.groupby(covering["interviewer_type"].fillna("unknown"))["rhi"].nunique().to_dict()
    return out, time.perf_counter() - started


def ours_as_pandas(beyond: dict) -> dict:
    """RHI Desk's figures in the shape pandas_figures gives."""
    seed = {k: {r["month"]: r[k] for r in beyond["table"]} for k in figures.SEED_COUNT_KEYS}
    return {"seed": seed, "offer": beyond["timeliness"]["offer"]["counts"], "age": beyond["age_bands"]["episodes"],
            "placement": beyond["placement"]["episodes"], "repeat": beyond["repeat"]["children"]}


def timed(func, runs: int) -> float:
    """The median seconds of ``runs`` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    warnings.filterwarnings("ignore", message="pandas only supports SQLAlchemy")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/dash-bench/bench.db"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        bench_kpi.build(args.db, args.rows, max(1, args.rows * 3 // 10))
        print(f"built {args.rows:,} episodes in {time.perf_counter() - started:.0f} s")
    db = connect(args.db)  # applies any new migration once, outside the timings
    db.execute("analyze")
    app = create_app({"DATABASE": str(args.db), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/sign-in", data={"username": "manager", "password": bench_kpi.PASSWORD})

    def page(first, last):
        response = client.get(f"/reports/?from_month={first}&to_month={last}")
        assert response.status_code == 200, response.status_code
        assert b"Which children go missing again and again?" in response.data

    def forget_all():
        db.execute("delete from report_month_figures")

    results = {}
    target = {"12 months": 1.0, "10 years": 2.0}

    def report(label, value):
        results[label] = value
        if isinstance(value, str):
            print(f"{label:50} {value}", flush=True)
        else:
            goal = next(t for k, t in target.items() if label.startswith(k))
            print(f"{label:50} {value * 1000:9.0f} ms   (target < {goal * 1000:.0f} ms)", flush=True)

    for name, (first, last) in (("12 months", YEAR), ("10 years", DECADE)):
        def cold():
            forget_all()
            page(first, last)

        report(f"{name}, every month counted afresh", timed(cold, 1))
        page(first, last)
        report(f"{name}, a later visit", timed(lambda: page(first, last), args.runs))

        middle = kpi.months_between(first, last)[len(kpi.months_between(first, last)) // 2]

        def after_a_change():
            # A late write-up: an interview of a month on the page is offered now.
            db.execute("update return_home_interviews set offered_at = :day where id = (select r.id "
                       "from return_home_interviews r join rhi_episodes re on re.rhi = r.id "
                       "join episodes e on e.id = re.episode where r.offered_at is null and r.outcome is null "
                       "and e.start >= :first and e.start < :next order by random() limit 1)",
                       {"day": f"{middle}-28 10:00", "first": f"{middle}-01", "next": f"{kpi.next_month(middle)}-01"})
            page(first, last)

        report(f"{name}, after an RHI of {middle} is offered", timed(after_a_change, args.runs))
        theirs, pandas_s = pandas_figures(args.db, first, last, datetime.now())
        for _ in range(args.runs - 1):
            pandas_s = min(pandas_s, pandas_figures(args.db, first, last, datetime.now())[1])
        report(f"{name}, pandas (same figures)", pandas_s)
        ours = ours_as_pandas(figures.beyond_the_seed(db, first, last))
        mismatches = [(part, key) for part in ours for key in (ours[part] if isinstance(ours[part], dict) else {})
                      if part != "repeat" and ours[part][key] != theirs[part][key]]
        if ours["repeat"] != theirs["repeat"]:
            mismatches.append(("repeat", "children"))
        report(f"{name}: pandas and RHI Desk agree", "yes" if not mismatches else f"NO: {mismatches[:6]}")
    episodes = sum(r["episodes"] for r in figures.beyond_the_seed(db, *YEAR)["table"])
    print(f"{'counted missing episodes in the 12 months':50} {episodes:9,}")


if __name__ == "__main__":
    main()
