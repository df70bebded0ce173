"""Benchmark: the 12-month KPI table and the dashboard over a large register, against pandas.

    python build/bench_kpi.py [--rows 1000000] [--children 300000] [--db PATH] [--keep]

Builds a database of ``--rows`` episodes (about ``--children`` children, ten years, ~70% with an
RHI) by bulk SQL, then times, in the same run:

- ``kpi.monthly_table`` for the busiest 12 months (target < 1 s);
- the dashboard page through the Flask test client (target < 1.5 s), and the wider figures the
  page fetches after it (72 hours, reasons, placements, ages, repeats, interviewers, away, OLA);
- pandas doing the same counts from the same database (``read_sql`` + ``groupby``);

and checks that pandas and RHI Desk agree, cell by cell.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rhi_desk import accounts, create_app, installs
from rhi_desk.db import connect, write_transaction
from rhi_desk.reports import kpi

FIRST, LAST = "2024-01", "2024-12"
PASSWORD = "a-long-bench-password"


def build(path: Path, rows: int, children: int) -> None:
    """Fill a new hub database with ``rows`` episodes of ``children`` children by bulk SQL."""
    db = connect(path)
    installs.initialise(db, "hub", "Benchland", "Missing team")
    accounts.create_user(db, "manager", PASSWORD, "manager", display_name="Manager")
    stamp = "2025-01-01 00:00:00"
    with write_transaction(db):
        db.execute("""
            insert into children (id, child_id, name, date_of_birth, looked_after, other_la, created_at, updated_at)
            with recursive seq(n) as (select 1 union all select n + 1 from seq where n < :children)
            select n, 'C' || printf('%07d', n), 'Child ' || n,
                   date('2003-01-01', '+' || (abs(random()) % 4000) || ' days'),
                   abs(random()) % 10 < 4, abs(random()) % 100 < 5, :stamp, :stamp from seq""",
                   {"children": children, "stamp": stamp})
        # Ten years of episodes, starts spread evenly, ids in time order (as a register grows);
        # ~8% away; looked-after status and OLA follow the child.
        db.execute("""
            create temp table raw as
            with recursive seq(n) as (select 1 union all select n + 1 from seq where n < :rows)
            select 1 + abs(random()) % :children as child,
                   datetime('2016-01-01', '+' || (abs(random()) % 5260000) || ' minutes') as start,
                   abs(random()) % 100 as r1, abs(random()) % 100 as r2, abs(random()) % 4000 as hours
            from seq""", {"rows": rows, "children": children})
        db.execute("""
            insert into episodes (episode_id, child, episode_type, start, "end", looked_after, other_la,
                                  placement, created_at, updated_at)
            select 'E' || printf('%08d', raw.rowid), raw.child, case when r1 < 8 then 'away' else 'missing' end,
                   substr(start, 1, 16),
                   case when r2 = 0 then null else substr(datetime(start, '+' || (hours % 96 + 1) || ' hours'), 1, 16) end,
                   c.looked_after, c.other_la,
                   case when c.looked_after then case r2 % 3 when 0 then 'in_borough' when 1 then 'neighbouring'
                        else 'out_of_borough' end end,
                   :stamp, :stamp
            from raw join children c on c.id = raw.child order by raw.start""", {"stamp": stamp})
        db.execute("drop table raw")
        # ~70% of episodes get an RHI: offered within hours or days; ~55% of those completed.
        db.execute("""
            insert into return_home_interviews (id, rhi_id, child, interviewer_type, assigned_to, offered_at,
                                                offered_how, outcome, outcome_reason, completed_at, status,
                                                created_at, updated_at)
            select e.id, 'R' || e.id, e.child,
                   case e.id % 3 when 0 then 'social_worker' when 1 then 'missing_team' else 'provider' end,
                   case when e.id % 3 = 2 then 'Provider ' || (e.id % 7) end,
                   case when e.id % 10 < 6 and e."end" is not null
                        then substr(datetime(e."end", '+' || (e.id % 120) || ' hours'), 1, 16) end,
                   'phone',
                   case e.id % 20 when 0 then 'declined' when 1 then 'unavailable' when 2 then 'missing_again'
                        else case when e.id % 10 < 6 and e.id % 20 < 13 then 'completed' end end,
                   case when e.id % 20 < 3 then 'Reason ' || (e.id % 5) end,
                   case when e.id % 10 < 6 and e.id % 20 between 3 and 12 and e."end" is not null
                        then substr(datetime(e."end", '+' || (e.id % 150 + 2) || ' hours'), 1, 16) end,
                   'draft', :stamp, :stamp
            from episodes e where e.id % 10 < 7""", {"stamp": stamp})
        db.execute("insert into rhi_episodes (rhi, episode) select id, id from return_home_interviews")
        # Late write-ups: a third of the interviews are changed after they were first recorded, so the
        # register's history (register migrations 0012, 0071) holds the version each replaced.
        db.execute("update return_home_interviews set assigned_to = coalesce(assigned_to, 'Team ' || (id % 4)) "
                   "where id % 3 = 0")
    db.execute("analyze")
    db.conn.close()


def pandas_counts(path: Path) -> tuple[list[dict], float]:
    """The same eight rows computed by pandas from the same database; returns (rows, seconds)."""
    import pandas as pd

    started = time.perf_counter()
    db = connect(path, migrate=False)
    episodes = pd.read_sql(
        "select e.id, e.child, e.start, e.looked_after, c.date_of_birth from episodes e join children c "
        "on c.id = e.child where e.episode_type = 'missing' and e.other_la = 0 and e.voided_at is null "
        "and e.start >= ? and e.start < ?", db.conn, params=[f"{FIRST}-01", f"{kpi.next_month(LAST)}-01"])
    links = pd.read_sql(
        "select re.episode as id, (r.offered_at is not null or r.outcome in ('completed', 'declined')) as offered, "
        "(r.outcome = 'completed') as done from rhi_episodes re join return_home_interviews r on r.id = re.rhi",
        db.conn)
    db.conn.close()
    # Not a child's episode from the 18th birthday (register/counting.py).
    born = pd.to_datetime(episodes["date_of_birth"])
    eighteen = born + pd.offsets.DateOffset(years=18)
    episodes = episodes[~(pd.to_datetime(episodes["start"].str[:10]) >= eighteen)]
    flags = links.groupby("id")[["offered", "done"]].max()
    frame = episodes.join(flags, on="id").fillna({"offered": 0, "done": 0})
    frame["month"] = frame["start"].str[:7]
    frame["lac_done"] = frame["looked_after"] * frame["done"]
    grouped = frame.groupby("month")
    result = pd.DataFrame({
        "children_missing": grouped["child"].nunique(),
        "children_offered": frame[frame.offered == 1].groupby("month")["child"].nunique(),
        "children_rhi_done": frame[frame.done == 1].groupby("month")["child"].nunique(),
        "episodes": grouped.size(),
        "episodes_rhi_done": grouped["done"].sum(),
        "lac_episodes": grouped["looked_after"].sum(),
        "lac_episodes_rhi_done": grouped["lac_done"].sum(),
    }).fillna(0)
    rows = []
    for month, row in result.sort_index().iterrows():
        rows.append(kpi._month_row(month, {k: int(v) for k, v in row.items()}))
    return rows, time.perf_counter() - started


def timed(func, repeat: int = 3) -> tuple[object, float]:
    """Run ``func`` ``repeat`` times; returns the last result and the median seconds."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return result, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--children", type=int, default=None)
    parser.add_argument("--db", type=Path, default=None, help="reuse or create this database file")
    parser.add_argument("--keep", action="store_true", help="keep the database file afterwards")
    args = parser.parse_args()
    children = args.children or max(1, args.rows * 3 // 10)
    folder = tempfile.TemporaryDirectory()
    path = args.db or Path(folder.name) / "bench.db"
    if not path.exists():
        started = time.perf_counter()
        build(path, args.rows, children)
        print(f"built {args.rows:,} episodes of {children:,} children in {time.perf_counter() - started:.1f} s")

    db = connect(path)
    ours, ours_s = timed(lambda: kpi.monthly_table(db, FIRST, LAST))
    as_of = kpi.as_recorded_on(datetime.now().strftime("%Y-%m-%d"))
    stood, stood_s = timed(lambda: kpi.monthly_table(db, FIRST, LAST, as_of=as_of))
    theirs, pandas_s = timed(lambda: pandas_counts(path)[0])
    db.conn.close()

    app = create_app({"DATABASE": str(path), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/sign-in", data={"username": "manager", "password": PASSWORD})
    url = f"/reports/?from_month={FIRST}&to_month={LAST}"

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    _, page_s = timed(page)

    def wider():
        response = client.get(f"/reports/wider?part=1&from_month={FIRST}&to_month={LAST}")
        assert response.status_code == 200, response.status_code
        return response

    _, wider_s = timed(wider)

    mismatches = [(a["month"], k) for a, b in zip(ours, theirs) for k in a if a[k] != b[k]]
    print(f"12-month KPI table (RHI Desk, SQL):     {ours_s * 1000:8.1f} ms   (target < 1000 ms)")
    print(f"12-month KPI table (pandas):            {pandas_s * 1000:8.1f} ms")
    print(f"pandas / RHI Desk:                      {pandas_s / ours_s:8.1f} x")
    print(f"12-month table --as-recorded-on today:  {stood_s * 1000:8.1f} ms   (target < 2 x plain: "
          f"{stood_s / ours_s:.2f} x){'' if stood == ours else '   MISMATCH with the plain table'}")
    print(f"dashboard page (Flask test client):     {page_s * 1000:8.1f} ms   (target < 1500 ms)")
    print(f"dashboard's wider figures (fetched):    {wider_s * 1000:8.1f} ms")
    print(f"episodes counted in the 12 months:      {sum(r['episodes'] for r in ours):8,}")
    print("pandas and RHI Desk agree on every cell" if not mismatches and len(ours) == len(theirs)
          else f"MISMATCH: {mismatches[:10]}")
    if args.keep and not args.db:
        kept = Path.cwd() / "bench_kpi.db"
        import shutil

        shutil.copy(path, kept)
        print(f"kept the database at {kept}")


if __name__ == "__main__":
    main()
