"""Benchmark: the hub served over HTTPS to many signed-in people at once.

Starts `rhi-desk serve` over TLS (cheroot, a throw-away certificate) as its own process on the demo
database (or, with ``--episodes N``, a hub filled like ``bench_pages.py`` with N episodes), signs in
50 members of the missing team, then for each number of concurrent users (1, 20, 50) has every user load
Today, a child's page and the dashboard in turn, as fast as the server answers, for ``--seconds``.
One user is the baseline, measured in the same run. Every page view also writes its audit entry, so
the single SQLite writer is part of what is measured.

    python build/bench_hub.py [--seconds 20] [--episodes N] [--users 1,20,50]
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from rhi_desk import accounts  # noqa: E402
from rhi_desk.db import connect  # noqa: E402
from rhi_desk.web.server import free_port  # noqa: E402
from tests.hub_support import SERVER_NAME, hub_session, make_certificate, sign_in_over_http  # noqa: E402

PASSWORD = "bench-password-1"


def build_database(folder: Path, episodes: int | None) -> Path:
    path = folder / "hub.db"
    if episodes:
        sys.path.insert(0, str(ROOT / "build"))
        import bench_pages

        db = connect(path)
        from rhi_desk import installs

        installs.initialise(db, "hub", "Croydon", "Missing team")
        bench_pages.fill(db, episodes)
    else:
        from rhi_desk.demo import fill as demo

        db = connect(path)
        demo.fill(db)
    db.conn.close()
    return path


def add_users(path: Path, count: int) -> list[str]:
    db = connect(path)
    names = [f"bench{n:02}" for n in range(count)]
    for name in names:
        if not accounts.get_user(db, name):
            accounts.create_user(db, name, PASSWORD, "missing_team", display_name=name)
    child_ids = [r[0] for r in db.execute("select child_id from children order by random() limit 200")]
    db.conn.close()
    return names, child_ids


def run_level(sessions, base, child_ids, users: int, seconds: float):
    pages = ["/today", None, "/reports/"]
    timings: dict[str, list[float]] = {"Today": [], "a child": [], "dashboard": []}
    errors = []
    lock = threading.Lock()
    start_at = time.perf_counter() + 0.5
    stop_at = start_at + seconds

    def work(session, n):
        rng = random.Random(n)
        i = n
        while time.perf_counter() < start_at:
            time.sleep(0.01)
        while time.perf_counter() < stop_at:
            kind = i % 3
            url = pages[kind] or f"/children/{rng.choice(child_ids)}"
            began = time.perf_counter()
            try:
                response = session.get(base + url, timeout=60)
                ok = response.status_code == 200 and "/sign-in" not in response.url
            except requests.RequestException as exc:
                ok, response = False, exc
            took = time.perf_counter() - began
            with lock:
                if ok:
                    timings[("Today", "a child", "dashboard")[kind]].append(took)
                else:
                    errors.append(str(getattr(response, "status_code", response)))
            i += 1

    threads = [threading.Thread(target=work, args=(sessions[n], n)) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start_at
    return timings, errors, elapsed


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--episodes", type=int, help="fill with N episodes instead of the demo data")
    parser.add_argument("--users", default="1,20,50")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.users.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("Building the database...", flush=True)
        path = build_database(folder, args.episodes)
        names, child_ids = add_users(path, max(levels))
        cert, key = make_certificate(folder)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "rhi_desk", "--db", str(path), "serve", "--host", "127.0.0.1", "--port",
             str(port), "--server-name", SERVER_NAME, "--tls-cert", str(cert), "--tls-key", str(key)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            server.stdout.readline()
            base = f"https://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    hub_session(cert).get(base + "/sign-in", timeout=60)
                    break
                except requests.exceptions.RequestException:
                    time.sleep(0.2)
            print(f"Signing in {len(names)} users...", flush=True)
            sessions = []
            for name in names:
                session = hub_session(cert)
                sign_in_over_http(session, base, name, PASSWORD)
                sessions.append(session)
            print(f"\nHTTPS, {'demo data' if not args.episodes else f'{args.episodes:,} episodes'}, "
                  f"{args.seconds:.0f} s per level, every user loading Today, a child, the dashboard in turn\n")
            print(f"{'users':>5} {'pages':>6} {'pages/s':>8} {'median':>8} {'p95':>8}   "
                  f"{'Today p95':>9} {'child p95':>9} {'dash p95':>9} errors")
            for users in levels:
                timings, errors, elapsed = run_level(sessions, base, child_ids, users, args.seconds)
                every = [t for values in timings.values() for t in values]
                print(f"{users:>5} {len(every):>6} {len(every) / elapsed:>8.1f} "
                      f"{statistics.median(every) * 1000:>6.0f}ms {pct(every, 0.95) * 1000:>6.0f}ms   "
                      f"{pct(timings['Today'], .95) * 1000:>7.0f}ms {pct(timings['a child'], .95) * 1000:>7.0f}ms "
                      f"{pct(timings['dashboard'], .95) * 1000:>7.0f}ms {len(errors)}", flush=True)
                if errors:
                    print("   errors:", sorted(set(errors))[:5])
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
