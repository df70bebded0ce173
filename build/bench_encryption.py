"""Benchmark: what encryption at rest (SQLCipher) costs, against the same work unencrypted, in the same run.

    python build/bench_encryption.py [--rows 1000000] [--runs 5]

For each mode (encrypted: RHI Desk as shipped; plain: the same code over the standard library's sqlite3,
switched in this script's child process only) it times, over ``--rows`` episodes:

- the 12-month KPI table (``kpi.monthly_table``, data built as ``build/bench_kpi.py`` builds it);
- the Today page through Flask (data built as ``build/bench_pages.py`` builds it);
- the episode import of a ``--rows`` register CSV (as ``build/bench_import.py`` generates it).

Target (issue 19): encrypted within 1.3x of plain for each.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def _plain() -> None:
    """Run the rest of this process over the standard library's sqlite3 (no encryption)."""
    import sqlite3

    from rhi_desk import db as database

    database.sqlite3 = sqlite3
    database.ENCRYPTED = False
    database.DatabaseError, database.IntegrityError = sqlite3.DatabaseError, sqlite3.IntegrityError


def _median(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def child(mode: str, rows: int, runs: int, folder: str) -> dict:
    if mode == "plain":
        _plain()
    import bench_import
    import bench_kpi
    import bench_pages

    from rhi_desk import accounts, create_app, installs
    from rhi_desk.db import connect
    from rhi_desk.register.episode_import import import_episodes
    from rhi_desk.reports import kpi

    folder = Path(folder)
    result = {"mode": mode}
    kpi_path = folder / f"kpi-{mode}.db"
    bench_kpi.build(kpi_path, rows, max(1, rows * 3 // 10))
    db = connect(kpi_path)
    result["kpi_s"] = _median(lambda: kpi.monthly_table(db, bench_kpi.FIRST, bench_kpi.LAST), runs)
    db.conn.close()

    pages_path = folder / f"pages-{mode}.db"
    db = connect(pages_path)
    installs.initialise(db, "hub", "Bench Council", "Missing team")
    accounts.create_user(db, "bench", bench_pages.PASSWORD, "missing_team", display_name="Bench User")
    bench_pages.fill(db, rows)
    db.conn.close()
    app = create_app({"DATABASE": str(pages_path), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/sign-in", data={"username": "bench", "password": bench_pages.PASSWORD}).status_code == 302
    result["today_s"] = _median(lambda: client.get("/today"), runs)

    csv_path = folder / "register.csv"
    if not csv_path.exists():
        bench_import.generate(csv_path, rows)
    import_path = folder / f"import-{mode}.db"
    db = connect(import_path)
    installs.initialise(db, "hub", "Benchmark", "Missing team")
    start = time.perf_counter()
    import_episodes(db, csv_path, by="benchmark")
    result["import_s"] = time.perf_counter() - start
    db.conn.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, rows, runs, folder = args.child
        print(json.dumps(child(mode, int(rows), int(runs), folder)))
        return
    with tempfile.TemporaryDirectory(prefix="rhi-bench-enc-") as folder:
        results = {}
        for mode in ("plain", "encrypted"):
            out = subprocess.run([sys.executable, __file__, "--child", mode, str(args.rows), str(args.runs), folder],
                                 capture_output=True, text=True, check=True)
            results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{args.rows:,} episodes; median of {args.runs} runs (the import once)")
    print(f"{'what':32} {'plain':>10} {'encrypted':>10} {'ratio':>7}  target")
    worst = 0.0
    for key, label in (("kpi_s", "12-month KPI table"), ("today_s", "Today page"), ("import_s", "episode import")):
        plain, enc = results["plain"][key], results["encrypted"][key]
        ratio = enc / plain if plain else float("nan")
        worst = max(worst, ratio)
        print(f"{label:32} {plain:9.3f}s {enc:9.3f}s {ratio:6.2f}x  <= 1.3x {'ok' if ratio <= 1.3 else 'MISSED'}")
    sys.exit(0 if worst <= 1.3 else 1)


if __name__ == "__main__":
    main()
