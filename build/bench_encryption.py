"""Benchmark: what encryption at rest (SQLCipher) costs, against the same work unencrypted, in the same run.

    nice -n 10 python build/bench_encryption.py [--rows 1000000] [--runs 5] [--rounds 3] [--data DIR]

Two modes, each in child processes of its own: *encrypted* is RHI Desk as shipped; *plain* is the same code
and the same SQLite engine (the SQLCipher build, same version, same defaults) with no key set, so the only
difference is the encryption. Over ``--rows`` episodes it times:

- the 12-month KPI table (``kpi.monthly_table``, data built as ``build/bench_kpi.py`` builds it), each run
  on a new connection, as a page request or a command line call opens one;
- the Today page through Flask (data built as ``build/bench_pages.py`` builds it);
- the episode import of a ``--rows`` register CSV (as ``build/bench_import.py`` generates it), into a new
  database each time.

The databases and the CSV are built once into ``--data`` (default: a temporary folder, removed after) and
reused by later runs with the same folder; the keys of the encrypted ones are kept in ``DIR/keys``. The modes
take turns for ``--rounds`` rounds, so a change in the machine's load falls on both; each figure is the median
over the rounds. Target (issue 19): encrypted within 1.3x of plain for each.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

MODES = ("plain", "encrypted")
TARGET = 1.3


def _plain() -> None:
    """Run the rest of this process unencrypted: the same driver, no key set."""
    from rhi_desk import db as database

    database.ENCRYPTED = False


def _median(func, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _paths(folder: Path, mode: str, rows: int) -> dict[str, Path]:
    return {"kpi": folder / f"kpi-{mode}-{rows}.db", "pages": folder / f"pages-{mode}-{rows}.db",
            "csv": folder / f"register-{rows}.csv", "import": folder / f"import-{mode}-{rows}.db"}


def build(mode: str, rows: int, folder: Path) -> dict:
    """Make whatever of this mode's data is not in ``folder`` yet."""
    import bench_import
    import bench_kpi
    import bench_pages

    from rhi_desk import accounts, installs
    from rhi_desk.db import connect

    paths = _paths(folder, mode, rows)
    made = []
    if not paths["kpi"].exists():
        bench_kpi.build(paths["kpi"], rows, max(1, rows * 3 // 10))
        made.append("kpi")
    if not paths["pages"].exists():
        partial = paths["pages"].with_suffix(".partial")
        db = connect(partial)
        installs.initialise(db, "hub", "Bench Council", "Missing team")
        accounts.create_user(db, "bench", bench_pages.PASSWORD, "missing_team", display_name="Bench User")
        bench_pages.fill(db, rows)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.conn.close()
        partial.rename(paths["pages"])
        made.append("pages")
    if not paths["csv"].exists():
        partial = paths["csv"].with_suffix(".partial")
        bench_import.generate(partial, rows)
        partial.rename(paths["csv"])
        made.append("csv")
    return {"made": made}


def measure(mode: str, rows: int, runs: int, folder: Path) -> dict:
    """Time the three pieces of work once in this mode (the KPI table and Today as medians of ``runs``)."""
    import bench_kpi
    import bench_pages

    from rhi_desk import create_app, installs
    from rhi_desk.db import connect
    from rhi_desk.register.episode_import import import_episodes
    from rhi_desk.reports import kpi

    paths = _paths(folder, mode, rows)
    result = {"mode": mode}

    def kpi_table():
        db = connect(paths["kpi"], migrate=False)
        try:
            kpi.monthly_table(db, bench_kpi.FIRST, bench_kpi.LAST)
        finally:
            db.conn.close()

    kpi_table()  # the first run reads the file into the operating system's cache, for both modes alike
    result["kpi_s"] = _median(kpi_table, runs)

    app = create_app({"DATABASE": str(paths["pages"]), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    signed_in = client.post("/sign-in", data={"username": "bench", "password": bench_pages.PASSWORD})
    assert signed_in.status_code == 302, "sign-in failed"

    def today():
        assert client.get("/today").status_code == 200

    today()
    result["today_s"] = _median(today, runs)

    for suffix in ("", "-wal", "-shm"):
        Path(str(paths["import"]) + suffix).unlink(missing_ok=True)
    db = connect(paths["import"])
    installs.initialise(db, "hub", "Benchmark", "Missing team")
    start = time.perf_counter()
    import_episodes(db, paths["csv"], by="benchmark")
    result["import_s"] = time.perf_counter() - start
    result["episodes"] = db.execute("select count(*) from episodes").fetchone()[0]
    db.conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(str(paths["import"]) + suffix).unlink(missing_ok=True)
    return result


def _child(action: str, mode: str, rows: int, runs: int, folder: Path) -> dict:
    env = dict(os.environ, RHI_DESK_KEY_DIR=str(folder / "keys"), RHI_DESK_KEYRING="0")
    out = subprocess.run([sys.executable, __file__, "--child", action, mode, str(rows), str(runs), str(folder)],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        raise SystemExit(f"{action} ({mode}) failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the KPI table and Today per round")
    parser.add_argument("--rounds", type=int, default=3, help="turns each mode takes (the import runs once a turn)")
    parser.add_argument("--data", help="folder to build the data in once and reuse (default: a temporary one)")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        action, mode, rows, runs, folder = args.child
        if mode == "plain":
            _plain()
        work = build if action == "build" else measure
        kwargs = {} if action == "build" else {"runs": int(runs)}
        print(json.dumps(work(mode, int(rows), folder=Path(folder), **kwargs)))
        return

    temporary = None if args.data else tempfile.TemporaryDirectory(prefix="rhi-bench-enc-")
    folder = Path(args.data or temporary.name)
    folder.mkdir(parents=True, exist_ok=True)
    for mode in MODES:
        started = time.perf_counter()
        made = _child("build", mode, args.rows, args.runs, folder)["made"]
        if made:
            print(f"built {', '.join(made)} ({mode}) in {time.perf_counter() - started:.0f} s", flush=True)
    results: dict[str, list[dict]] = {mode: [] for mode in MODES}
    for round_number in range(args.rounds):
        order = MODES if round_number % 2 == 0 else MODES[::-1]
        for mode in order:
            results[mode].append(_child("measure", mode, args.rows, args.runs, folder))
            r = results[mode][-1]
            print(f"round {round_number + 1} {mode:9}: KPI {r['kpi_s']:.3f} s, Today {r['today_s']:.3f} s, "
                  f"import {r['import_s']:.1f} s", flush=True)
    if temporary:
        temporary.cleanup()

    print(f"\n{args.rows:,} episodes; medians over {args.rounds} rounds (KPI and Today: median of {args.runs} "
          f"runs in each)")
    print(f"{'what':24} {'plain':>10} {'encrypted':>10} {'ratio':>7}  target")
    worst = 0.0
    for key, label in (("kpi_s", "12-month KPI table"), ("today_s", "Today page"), ("import_s", "episode import")):
        plain = statistics.median(r[key] for r in results["plain"])
        enc = statistics.median(r[key] for r in results["encrypted"])
        ratio = enc / plain if plain else float("nan")
        worst = max(worst, ratio)
        print(f"{label:24} {plain:9.3f}s {enc:9.3f}s {ratio:6.2f}x  <= {TARGET}x "
              f"{'met' if ratio <= TARGET else 'MISSED'}")
    sys.exit(0 if worst <= TARGET else 1)


if __name__ == "__main__":
    main()
