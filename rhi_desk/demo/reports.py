"""Demo history for the dashboard: a made-up year of episodes and RHIs, loaded through the episode import.

So a newcomer's dashboard has twelve months of figures, charts and drill-downs to try. Every name and
id is made up (ids start DEMO-H-).
"""
from __future__ import annotations

import csv
import random
import tempfile
from datetime import timedelta
from pathlib import Path

import sqlite_utils

from rhi_desk.clock import now
from rhi_desk.db import write_transaction
from rhi_desk.demo.register import FIRST_NAMES, SURNAMES
from rhi_desk.register import episode_import

CHILDREN = 70
PLACEMENTS = ["in_borough", "neighbouring", "out_of_borough"]
INTERVIEWERS = ["social_worker", "missing_team", "provider"]


def history_rows(seed: int = 2017) -> list[dict]:
    """A year of made-up episode register rows ending a week ago (same seed, same rows)."""
    rng = random.Random(seed)
    end_of_history = now() - timedelta(days=7)
    start_of_history = end_of_history - timedelta(days=365)
    rows = []
    for n in range(1, CHILDREN + 1):
        child_id = f"DEMO-H-{n:03d}"
        born = (end_of_history - timedelta(days=rng.randint(11 * 365, 17 * 365 + 300))).date()
        lac = rng.random() < 0.45
        ola = lac and rng.random() < 0.1
        placement = rng.choice(PLACEMENTS) if lac else ""
        # A few children go missing often (the repeat-missing cohort); most once or twice.
        count = rng.choice([1, 1, 1, 2, 2, 3, 4, 6, 9])
        moment = start_of_history + timedelta(minutes=rng.randint(0, 300 * 24 * 60))
        for k in range(count):
            if moment > end_of_history:
                break
            hours = rng.choice([3, 5, 8, 14, 26, 40, 70])
            returned = moment + timedelta(hours=hours)
            row = {"episode_id": f"{child_id}-{k + 1}", "child_id": child_id, "date_of_birth": born.isoformat(),
                   "episode_type": "away" if rng.random() < 0.08 else "missing",
                   "start": moment.strftime("%Y-%m-%d %H:%M"), "end": returned.strftime("%Y-%m-%d %H:%M"),
                   "looked_after": "Y" if lac else "N", "other_la": "Y" if ola else "N", "placement": placement,
                   "rhi_offered_on": "", "rhi_outcome": "", "rhi_completed_on": "", "rhi_by": ""}
            chance = rng.random()
            if chance < 0.75:
                offered = returned + timedelta(hours=rng.choice([4, 20, 40, 60, 90, 130]))
                row["rhi_offered_on"] = min(offered, end_of_history).date().isoformat()
                row["rhi_by"] = "provider" if placement == "out_of_borough" else rng.choice(INTERVIEWERS)
                if chance < 0.5:
                    held = min(offered + timedelta(hours=rng.choice([2, 24, 50])), end_of_history)
                    row["rhi_outcome"], row["rhi_completed_on"] = "completed", held.date().isoformat()
                else:
                    row["rhi_outcome"] = rng.choice(["declined", "unavailable", "missing_again", ""])
            rows.append(row)
            moment = returned + timedelta(days=rng.choice([1, 3, 6, 12, 30, 60]), hours=rng.randint(1, 20))
    return rows


def fill_history(db: sqlite_utils.Database) -> str:
    """Add a year of made-up history through the episode import (the same path a council's file takes)."""
    rows = history_rows()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo-history.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(episode_import.COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
        episode_import.import_episodes(db, path, by="demo")
    # The register CSV carries no names; a missing team adds them. Give the demo's children theirs.
    children = sorted({r["child_id"] for r in rows})
    with write_transaction(db):
        db.conn.executemany("UPDATE children SET name = ? WHERE child_id = ? AND name = ''", [
            (f"{FIRST_NAMES[(n * 5 + 3) % len(FIRST_NAMES)]} {SURNAMES[(n * 11 + 2) % len(SURNAMES)]}", child_id)
            for n, child_id in enumerate(children)])
    return f"a year of history ({len(rows)} episodes of {len({r['child_id'] for r in rows})} children)"
