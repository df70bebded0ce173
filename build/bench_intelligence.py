"""How fast the intelligence picture answers at a large council's size.

    python build/bench_intelligence.py [--episodes 1000000] [--interviews 300000] [--entries 200000]

Builds a temporary hub with the episodes, interviews and linked places and people (written in bulk, as
the refresh would leave them; the refresh itself is timed on a sample), then times each path the way the
pages call it beside a baseline measured in the same run: the *same* queries with SQLite told not to use
the intelligence tables' indexes (``NOT INDEXED``). Targets: a place's page and "children linked" under
200 ms, a child's two-step network under 500 ms, 12 months of themes under 1 s.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlite_utils

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rhi_desk import installs  # noqa: E402
from rhi_desk.db import connect, write_transaction  # noqa: E402
from rhi_desk.intelligence import network, places_people, refresh, themes  # noqa: E402
from rhi_desk.intelligence.themes import builtin_themes  # noqa: E402

UNINDEX = re.compile(r"\b(from|join)\s+(intel_mentions|intel_theme_facts)(\s+m\b)?")


class Unindexed(sqlite_utils.Database):
    """The same database, every query on the intelligence tables told to use no index."""

    def execute(self, sql, parameters=None):
        return super().execute(UNINDEX.sub(lambda g: g.group(0) + " not indexed", sql), parameters)


def timed(func, repeat=5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def build(db, episodes: int, interviews: int, entries: int) -> None:
    rng = random.Random(14)
    children = max(episodes // 10, 1)
    stamp = "2026-11-30 12:00:00"
    with write_transaction(db):
        db.conn.executemany("insert into children (id, child_id, name, created_at, updated_at) values (?, ?, ?, ?, ?)",
                            ((n, f"C{n:07d}", f"Child {n}", stamp, stamp) for n in range(1, children + 1)))
        rows = []
        for n in range(1, episodes + 1):
            day = rng.randrange(0, 3650)  # ten years, Dec 2016 to Nov 2026
            year, rest = 2016 + (day + 335) // 365, (day + 335) % 365
            month, mday = min(rest // 30 + 1, 12), rest % 28 + 1
            start = f"{year}-{month:02d}-{mday:02d} 18:00"
            rows.append((n, f"E{n:08d}", rng.randrange(1, children + 1), start, f"{year}-{month:02d}-{mday:02d} 23:00",
                         stamp, stamp))
        db.conn.executemany('insert into episodes (id, episode_id, child, episode_type, start, "end", created_at, '
                            "updated_at) values (?, ?, ?, 'missing', ?, ?, ?, ?)", rows)
        episode_of = rows
        chosen = rng.sample(range(episodes), interviews)
        db.conn.executemany(
            "insert into return_home_interviews (id, rhi_id, child, outcome, status, answers, created_at, updated_at) "
            "values (?, ?, ?, 'completed', 'signed_off', '{}', ?, ?)",
            ((i + 1, f"R{i:08d}", episode_of[e][2], stamp, stamp) for i, e in enumerate(chosen)))
        db.conn.executemany("insert into rhi_episodes (rhi, episode) values (?, ?)",
                            ((i + 1, episode_of[e][0]) for i, e in enumerate(chosen)))
        db.conn.executemany(
            "insert into intel_entities (id, kind, name, final, created_at) values (?, ?, ?, ?, ?)",
            ((n, "place" if n % 2 else "person", f"Entry {n}", n, stamp) for n in range(1, entries + 1)))
        # Two mentions an interview on average; popular places and people (a power law) are named by thousands.
        mentions = []
        for i, e in enumerate(chosen):
            for _ in range(rng.choice((1, 1, 2, 2, 3))):
                # Log-uniform (Zipf-like): the busiest entry, a central station say, is named by thousands.
                entity = 0
                while not 1 <= entity <= entries:
                    entity = int((entries + 20) ** rng.random()) - 20
                ep = episode_of[e]
                mentions.append(("interview", i + 1, ep[0], ep[2], "place" if entity % 2 else "person", entity, entity,
                                 ep[3], "{}", stamp))
        db.conn.executemany("insert into intel_mentions (source, rhi, episode, child, kind, raw_entity, entity, seen_on, "
                            "row_json, recorded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", mentions)
        codes = [c for c, _l, _g in builtin_themes()]
        facts = []
        for i, e in enumerate(chosen):
            ep = episode_of[e]
            for code in rng.sample(codes, rng.choice((0, 1, 2, 3))):
                facts.append((i + 1, code, ep[0], ep[3][:7], ep[2]))
        db.conn.executemany("insert or ignore into intel_theme_facts (rhi, theme, episode, month, child) "
                            "values (?, ?, ?, ?, ?)", facts)
        db.execute("delete from intel_pending")
    db.execute("analyze")
    print(f"  {len(mentions):,} mentions, {len(facts):,} theme facts")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--interviews", type=int, default=300_000)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="build into this file once and reuse it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "bench.db"
        fresh = not path.exists()
        db = connect(path)
        if fresh:
            installs.initialise(db, "hub", "Bench", "Missing team")
            began = time.perf_counter()
            print(f"Building {args.episodes:,} episodes, {args.interviews:,} interviews, {args.entries:,} "
                  f"places and people")
            build(db, args.episodes, args.interviews, args.entries)
            print(f"  built in {time.perf_counter() - began:.0f} s")
        plain = Unindexed(db.conn)
        counts = list(db.execute("select entity, count(distinct child) from intel_mentions group by entity "
                                 "order by 2 desc"))
        busiest, linked = counts[0]
        busy, busy_linked = min(counts, key=lambda row: abs(row[1] - 1000))
        typical = counts[len(counts) // 2][0]
        child = db.execute("select child from intel_mentions where entity = ? limit 1", [busy]).fetchone()[0]
        heavy_child = db.execute("select child from intel_mentions where entity = ? limit 1", [busiest]).fetchone()[0]

        def place_page(d, entity):
            return lambda: (places_people.mentions_of(d, entity), places_people.children_linked(d, entity))

        paths = [
            (f"place page + children linked, busiest entry ({linked:,} children)", place_page, (busiest,), 200),
            (f"place page + children linked, a busy entry ({busy_linked:,} children)", place_page, (busy,), 200),
            ("place page + children linked, a typical entry", place_page, (typical,), 200),
            (f"a child's two-step network (through the {busy_linked:,}-children entry)",
             lambda d, c: (lambda: network.around_child(d, c)), (child,), 500),
            (f"a child's two-step network (through the {linked:,}-children entry)",
             lambda d, c: (lambda: network.around_child(d, c)), (heavy_child,), 500),
            ("themes by month, 12 months", lambda d: (lambda: themes.by_month(d, "2025-12", "2026-11")), (), 1000),
        ]
        print(f"\n{'path':<68} {'indexed':>10} {'no index':>10}  target")
        for label, make, extra, target in paths:
            fast = timed(make(db, *extra))
            slow = timed(make(plain, *extra), repeat=1)
            verdict = "met" if fast < target else "MISSED"
            print(f"{label:<68} {fast:>8.2f}ms {slow:>8.0f}ms  <{target} ms {verdict}")
        # The refresh, on a sample of real answers.
        sample = [r[0] for r in db.execute("select id from return_home_interviews order by random() limit 2000")]
        answers = json.dumps({"places": [{"name": "The Crown", "area": "CR0"}], "people": [{"name": "Jay"}],
                              "harm_indicators": ["cce", "county_lines"], "push_factors": ["home"],
                              "screening": ["drugs", "out_of_area", "fear"]})
        with write_transaction(db):
            db.conn.executemany("update return_home_interviews set answers = ? where id = ?",
                                [(answers, r) for r in sample])
        start = time.perf_counter()
        count = refresh.refresh(db)
        took = time.perf_counter() - start
        print(f"\nrefresh: {count:,} changed interviews read in {took:.2f} s ({took / max(count, 1) * 1000:.2f} ms each)")
        db.conn.close()


if __name__ == "__main__":
    main()
