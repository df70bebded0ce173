"""Benchmark: importing the episode register CSV against a bare sqlite3 executemany of the same rows.

    python build/bench_import.py [--rows N]

Generates two CSV files (N/4 rows and N rows), and for each, in the same run:
  * baseline: csv.reader + one executemany of the raw rows into one plain table, one transaction;
  * import:   rhi_desk.episode_import.import_episodes into a fresh hub database.
Each runs in its own child process so its peak memory (resource.getrusage) is its own. Prints rows/s,
the import/baseline time ratio and peak RSS for both sizes (memory should not grow with the file).
Targets (issue 3): >= 50,000 rows/s, within 3x the baseline, memory flat.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

COLUMNS = ["episode_id", "child_id", "date_of_birth", "episode_type", "start", "end", "looked_after",
           "other_la", "placement", "rhi_offered_on", "rhi_outcome", "rhi_completed_on", "rhi_by"]


CHILDREN = 25_000  # the same for every file size: memory may grow with children (the import keeps a
                   # child_id map), never with rows


def generate(path: Path, rows: int, seed: int = 903, children: int = CHILDREN) -> None:
    """Write a realistic episode register: children with several episodes each, most with an RHI."""
    rng = random.Random(seed)
    base = datetime(2012, 4, 1)
    children = max(1, min(children, rows // 4))
    placements = ["in_borough", "neighbouring", "out_of_borough"]
    outcomes = ["completed", "completed", "declined", "unavailable", "missing_again", ""]
    by = ["social_worker", "missing_team", "provider"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for i in range(rows):
            child = i % children
            start = base + timedelta(minutes=(i // children) * 14000 + rng.randrange(0, 10000))
            end = start + timedelta(minutes=rng.randrange(30, 3000))
            lac = child % 3 == 0
            row = [f"E{i:08d}", f"C{child:07d}", f"{2000 + child % 12:04d}-{1 + child % 12:02d}-{1 + child % 28:02d}",
                   "missing" if rng.random() < 0.85 else "away", start.strftime("%Y-%m-%d %H:%M"),
                   end.strftime("%Y-%m-%d %H:%M"), "Y" if lac else "N", "Y" if lac and child % 30 == 0 else "N",
                   rng.choice(placements) if lac else "", "", "", "", ""]
            if rng.random() < 0.7:
                outcome = rng.choice(outcomes)
                row[9] = (end + timedelta(days=rng.randrange(0, 4))).strftime("%Y-%m-%d")
                row[10] = outcome
                if outcome == "completed":
                    row[11] = (end + timedelta(days=rng.randrange(2, 8))).strftime("%Y-%m-%d")
                row[12] = rng.choice(by)
            w.writerow(row)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_baseline(csv_path: str, db_path: str) -> dict:
    """csv.reader + bare executemany into one table, in one transaction."""
    start = time.perf_counter()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE episodes_raw (" + ", ".join(f'"{c}" TEXT' for c in COLUMNS) + ")")
    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO episodes_raw VALUES (" + ", ".join("?" * len(COLUMNS)) + ")", reader)
        conn.execute("COMMIT")
    conn.close()
    return {"seconds": time.perf_counter() - start, "peak_rss_mb": peak_rss_mb()}


def run_import(csv_path: str, db_path: str) -> dict:
    """rhi_desk's import into a fresh hub database."""
    from rhi_desk import installs
    from rhi_desk.db import connect
    from rhi_desk.register.episode_import import import_episodes

    db = connect(db_path)
    installs.initialise(db, "hub", "Benchmark", "Missing team")
    start = time.perf_counter()
    result = import_episodes(db, csv_path, by="benchmark")
    seconds = time.perf_counter() - start
    count = db.execute("select count(*) from episodes").fetchone()[0]
    db.conn.close()
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "episodes": count,
            "new_episodes": result.new_episodes}


def child(kind: str, csv_path: str, db_path: str) -> None:
    result = (run_baseline if kind == "baseline" else run_import)(csv_path, db_path)
    print(json.dumps(result))


def measure(kind: str, csv_path: Path, workdir: Path) -> dict:
    db_path = workdir / f"{kind}-{csv_path.stem}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(csv_path), str(db_path)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        workdir = Path(tmp)
        print(f"Episode register import benchmark (one core, {os.cpu_count()} available; "
              f"{CHILDREN:,} children in every file)")
        print(f"{'rows':>10} {'baseline s':>11} {'import s':>9} {'import rows/s':>14} {'ratio':>6} "
              f"{'baseline MB':>12} {'import MB':>10}")
        for rows in sorted({max(1, args.rows // 4), args.rows}):
            csv_path = workdir / f"register-{rows}.csv"
            generate(csv_path, rows)
            base = measure("baseline", csv_path, workdir)
            imp = measure("import", csv_path, workdir)
            assert imp["episodes"] == rows, imp
            print(f"{rows:>10,} {base['seconds']:>11.2f} {imp['seconds']:>9.2f} {rows / imp['seconds']:>14,.0f} "
                  f"{imp['seconds'] / base['seconds']:>6.2f} {base['peak_rss_mb']:>12.0f} {imp['peak_rss_mb']:>10.0f}")
            csv_path.unlink()
        print("Targets: >= 50,000 rows/s; ratio <= 3.0; import MB about the same for both sizes.")


if __name__ == "__main__":
    main()
