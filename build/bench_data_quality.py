"""Benchmark: the data-quality list kept between visits against checking the whole register afresh.

    python build/bench_data_quality.py --db PATH [--changes N]

PATH is a hub database with a council's history (for example the import benchmark's million rows imported:
``build/bench_import.py`` then ``rhi-desk import-episodes``); it is changed and changed back, so use a copy.
In the same run: every child checked afresh (the baseline: what each visit did before register migration
0075), the first visit (every child checked and kept), a later visit with nothing changed, and a visit after
N episodes' starts were moved (their children checked again). Each later list is checked equal to the list
found afresh.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rhi_desk.db import connect  # noqa: E402
from rhi_desk.register import data_quality  # noqa: E402


def timed(label: str, work, baseline: float | None = None):
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    ratio = f"  {baseline / seconds:,.0f}x quicker than afresh" if baseline else ""
    print(f"{label:<44} {seconds * 1000:>10,.1f} ms  {len(result):>7,} issues{ratio}", flush=True)
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--changes", type=int, default=3)
    args = parser.parse_args()
    db = connect(args.db)
    episodes = db.execute("select count(*) from episodes").fetchone()[0]
    print(f"Data-quality list on {episodes:,} episodes")
    afresh, base = timed("afresh (every child, every visit before 0075)", lambda: data_quality.find_issues_afresh(db))
    db.execute("UPDATE data_quality_state SET rules = NULL")  # as after the upgrade: nothing kept yet
    first, _ = timed("first visit (every child checked and kept)", lambda: data_quality.find_issues(db), base)
    later, _ = timed("later visit, nothing changed", lambda: data_quality.find_issues(db), base)
    assert first == later == afresh
    step = max(1, episodes // max(1, args.changes))
    ids = [row[0] for row in db.execute("select id from episodes where id % ? = 0 limit ?", [step, args.changes])]
    marks = ", ".join("?" * len(ids))
    db.execute(f"UPDATE episodes SET start = datetime(start, '-3 days') WHERE id IN ({marks})", ids)
    changed, _ = timed(f"after {len(ids)} episodes moved", lambda: data_quality.find_issues(db), base)
    assert changed == data_quality.find_issues_afresh(db)
    db.execute(f"UPDATE episodes SET start = datetime(start, '+3 days') WHERE id IN ({marks})", ids)
    timed("after they were moved back", lambda: data_quality.find_issues(db), base)
    db.conn.close()


if __name__ == "__main__":
    main()
