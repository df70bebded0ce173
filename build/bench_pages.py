"""Benchmark: the Today page and a child's page with a council's years of history.

Fills a fresh hub database with ``--rows`` episodes (default 1,000,000) for about 0.3 × that many
children by bulk SQL, then times the two pages through the Flask test client, signed in as the
missing team (so sign-in guard, audit entry and template rendering are all counted). The baseline,
in the same run, is the work the pages would do without their indexes: the same "missing now"
and "one child's episodes" queries forced to scan the table (``NOT INDEXED``).

    python build/bench_pages.py [--rows N] [--runs N] [--db PATH]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rhi_desk import accounts, create_app, installs
from rhi_desk.db import connect

FMT = "%Y-%m-%d %H:%M"
PASSWORD = "bench-password-1"


def fill(db, episodes: int, seed: int = 2017) -> dict:
    """Bulk-load children, episodes and RHIs shaped like a council's history."""
    rng = random.Random(seed)
    now = datetime.now().replace(second=0, microsecond=0)
    first = datetime(2010, 1, 1)
    span_minutes = int((now - timedelta(days=200) - first).total_seconds() // 60)
    children = max(1, int(episodes * 0.3))
    stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    conn = db.conn
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "insert into children (id, child_id, name, date_of_birth, sex, looked_after, placement, other_la, "
        "responsible_la, social_worker, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((i, f"C{i:07d}", f"Child{i} Surname{i % 997}", "2000-01-01", "female" if i % 2 else "male",
          int(i % 3 != 0), ("in_borough", "neighbouring", "out_of_borough")[i % 3] if i % 3 else None,
          int(i % 33 == 0), "Sutton" if i % 33 == 0 else None, "Sam Worker", stamp, stamp)
         for i in range(1, children + 1)))

    episode_rows, rhi_rows, link_rows = [], [], []
    per_child, extra = divmod(episodes, children)
    # About a big council's present-day flow: a hundred or so children missing or back this week.
    recent_children = rng.sample(range(1, children + 1), min(children, 150))
    repeat_children = set(recent_children[:30])  # three episodes a week apart: the repeat-missing list
    recent_children = set(recent_children)
    history_end = now - timedelta(days=7)
    episode_pk = rhi_pk = 0
    open_count = 0
    for child in range(1, children + 1):
        count = per_child + (1 if child <= extra else 0)
        moment = first + timedelta(minutes=rng.randrange(span_minutes))
        ola = child % 33 == 0
        for k in range(count):
            start = moment
            if start > history_end:
                start -= timedelta(days=3 * 365)
            end = start + timedelta(minutes=rng.randrange(60, 48 * 60))
            last = k == count - 1
            if last and child in recent_children:
                start = now - timedelta(minutes=rng.randrange(10, 6 * 24 * 60))
                end = start + timedelta(minutes=rng.randrange(60, 48 * 60))
            elif child in repeat_children and k >= count - 3:
                start = now - timedelta(days=7 * (count - k), minutes=rng.randrange(0, 24 * 60))
                end = start + timedelta(minutes=rng.randrange(60, 48 * 60))
            is_open = end > now - timedelta(days=1) and rng.random() < 0.4
            if end >= now and not is_open:
                end = now - timedelta(minutes=1)
            if is_open:
                open_count += 1
            episode_pk += 1
            episode_rows.append((episode_pk, f"B-{episode_pk}", child, "missing" if rng.random() < 0.85 else "away",
                                 start.strftime(FMT), None if is_open else end.strftime(FMT),
                                 int(child % 3 != 0), int(ola), stamp, stamp))
            if not is_open and not ola:
                recent = end > now - timedelta(days=14)
                if recent or rng.random() < 0.7:
                    rhi_pk += 1
                    offered = not recent or rng.random() < 0.5
                    offered_at = min(end + timedelta(hours=rng.randrange(2, 120)), now).strftime(FMT)
                    outcome = rng.choice(["completed", "completed", "declined", "unavailable"]) if offered else None
                    rhi_rows.append((rhi_pk, f"R-{rhi_pk}", child, "social_worker",
                                     offered_at if offered else None, "phone" if offered else None,
                                     outcome, "draft" if offered else "open", stamp, stamp))
                    link_rows.append((rhi_pk, episode_pk))
            moment = end + timedelta(days=rng.randrange(1, 90))
        if len(episode_rows) >= 100_000:
            _flush(conn, episode_rows, rhi_rows, link_rows)
    _flush(conn, episode_rows, rhi_rows, link_rows)
    conn.execute("COMMIT")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("ANALYZE")
    return {"children": children, "episodes": episode_pk, "rhis": rhi_pk, "open": open_count}


def _flush(conn, episode_rows, rhi_rows, link_rows):
    conn.executemany(
        'insert into episodes (id, episode_id, child, episode_type, start, "end", looked_after, other_la, '
        "created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", episode_rows)
    conn.executemany(
        "insert into return_home_interviews (id, rhi_id, child, interviewer_type, offered_at, offered_how, outcome, "
        "status, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rhi_rows)
    conn.executemany("insert into rhi_episodes (rhi, episode) values (?, ?)", link_rows)
    episode_rows.clear()
    rhi_rows.clear()
    link_rows.clear()


def median_ms(func, runs: int) -> float:
    """Median wall time of ``func()`` in milliseconds (after one warm-up run)."""
    func()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="episodes to load (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per figure (median reported)")
    parser.add_argument("--db", help="database file to create, or one filled by an earlier run to reuse "
                                     "(default: a new file in a temporary folder)")
    args = parser.parse_args(argv)

    folder = tempfile.TemporaryDirectory(prefix="rhi-bench-")
    path = Path(args.db) if args.db else Path(folder.name) / "bench.db"
    reuse = path.exists()
    db = connect(path)
    if reuse:
        # A database this script filled before (--db): time the pages again without reloading.
        if accounts.get_user(db, "bench") is None:
            print(f"{path} exists and was not made by this benchmark; choose a new file", file=sys.stderr)
            return 2
        counts = {"episodes": db.execute("select count(*) from episodes").fetchone()[0]}
        print(f"Reusing {path}: {counts['episodes']:,} episodes")
    else:
        installs.initialise(db, "hub", "Bench Council", "Missing team")
        accounts.create_user(db, "bench", PASSWORD, "missing_team", display_name="Bench User")
        started = time.perf_counter()
        counts = fill(db, args.rows)
        fill_seconds = time.perf_counter() - started
        print(f"Loaded {counts['episodes']:,} episodes, {counts['children']:,} children, {counts['rhis']:,} RHIs "
              f"({counts['open']} open episodes) in {fill_seconds:.1f} s")

    app = create_app({"DATABASE": str(path), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    response = client.post("/sign-in", data={"username": "bench", "password": PASSWORD})
    assert response.status_code == 302, "sign-in failed"
    # A child with a full history (the first children have the most episodes).
    child_id = "C0000001"

    def get(url):
        def run():
            result = client.get(url)
            assert result.status_code == 200, (url, result.status_code)
        return run

    from rhi_desk.register import today

    today_ms = median_ms(get("/today"), args.runs)
    today_domain_ms = median_ms(lambda: today.today(db), args.runs)
    child_ms = median_ms(get(f"/children/{child_id}"), args.runs)
    child_pk = db.execute("select id from children where child_id = ?", [child_id]).fetchone()[0]
    scan_open_ms = median_ms(lambda: db.execute(
        'select count(*) from episodes not indexed where "end" is null').fetchone(), max(3, args.runs // 3))
    scan_child_ms = median_ms(lambda: db.execute(
        "select * from episodes not indexed where child = ? order by start desc", [child_pk]).fetchall(),
        max(3, args.runs // 3))
    count_ms = median_ms(lambda: db.execute("select count(*) from episodes").fetchone(), max(3, args.runs // 3))

    page = client.get("/today").get_data(as_text=True)
    sections = [line.strip() for line in page.splitlines() if 'class="govuk-heading-m" id=' in line]
    print("Today page sections:")
    for line in sections:
        print("   ", line.split(">", 1)[1].rsplit("<", 1)[0])
    print()
    print(f"{'measure':58} {'median ms':>10}")
    print(f"{'Today page (signed in, through Flask)':58} {today_ms:10.1f}")
    print(f"{'  of which the Today queries (register.today)':58} {today_domain_ms:10.1f}")
    print(f"{'Child page ' + child_id + ' (signed in, through Flask)':58} {child_ms:10.1f}")
    print(f"{'baseline: missing-now query without its index (scan)':58} {scan_open_ms:10.1f}")
    print(f"{'baseline: one child’s episodes without the index (scan)':58} {scan_child_ms:10.1f}")
    print(f"{'baseline: select count(*) from episodes':58} {count_ms:10.1f}")
    target = 100.0
    ok = today_ms < target and child_ms < target
    print(f"\nTarget: both pages under {target:.0f} ms with {counts['episodes']:,} episodes: "
          f"{'met' if ok else 'NOT met'}")
    db.conn.close()
    folder.cleanup()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
