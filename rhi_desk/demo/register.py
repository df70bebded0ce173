"""Demo register: about 150 made-up children and ten months of episodes, loaded through the real import.

Everything is generated relative to ``clock.now()`` so the Today list always has something on it:
children missing now, returns in the last 72 hours with no offer yet, overdue RHIs, repeat-missing
children, away and OLA episodes, and RHIs with every outcome and interviewer type. A few RHIs are
assigned to the demo social worker (``worker``) and to the demo provider (``Safe Steps``).
The data is written as an episode register CSV and imported with :func:`episode_import.import_episodes`,
so the demo also proves the import; names and a few assignments are set afterwards.
"""
from __future__ import annotations

import csv
import random
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import sqlite_utils

from rhi_desk.clock import now
from rhi_desk.db import write_transaction
from rhi_desk.register import episode_import

FIRST_NAMES = ["Aaliyah", "Alfie", "Amara", "Archie", "Ava", "Bailey", "Blessing", "Caleb", "Chloe", "Daisy",
               "Declan", "Demi", "Ellis", "Esme", "Ezra", "Faith", "Finley", "Grace", "Harley", "Hassan", "Imani",
               "Isla", "Jayden", "Jade", "Kacey", "Kai", "Keira", "Leon", "Lexi", "Logan", "Maisie", "Malik",
               "Mia", "Nathan", "Niamh", "Oscar", "Paige", "Reuben", "Rhys", "Ruby", "Sami", "Sienna", "Tayo",
               "Tia", "Tyler", "Zara", "Zion", "Kofi", "Lena", "Owen"]
SURNAMES = ["Demo-Adams", "Demo-Baker", "Demo-Clarke", "Demo-Davies", "Demo-Evans", "Demo-Francis", "Demo-Green",
            "Demo-Hughes", "Demo-Ince", "Demo-James", "Demo-Khan", "Demo-Lewis", "Demo-Mensah", "Demo-Nolan",
            "Demo-Okafor", "Demo-Patel", "Demo-Quinn", "Demo-Reid", "Demo-Shaw", "Demo-Turner", "Demo-Usman",
            "Demo-Vance", "Demo-Walsh", "Demo-Young"]
CHILDREN = 150
MONTHS = 10


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def build_rows(at: datetime, seed: int = 2018) -> tuple[list[dict], dict[str, str]]:
    """The demo's episode register rows and children's names, relative to ``at``."""
    rng = random.Random(seed)
    first = at - timedelta(days=30 * MONTHS)
    rows, names = [], {}
    counter = 0
    for n in range(CHILDREN):
        child_id = f"DC{n + 1:04d}"
        names[child_id] = f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {SURNAMES[(n * 7) % len(SURNAMES)]}"
        age_days = rng.randrange(11 * 365, 18 * 365)
        dob = (at - timedelta(days=age_days)).strftime("%Y-%m-%d")
        ola = n % 13 == 0
        looked_after = ola or n % 5 in (0, 1, 2)
        placement = rng.choice(["in_borough", "in_borough", "neighbouring", "out_of_borough"]) if looked_after else ""
        repeat = n % 9 == 0
        count = rng.randrange(4, 8) if repeat else rng.choice([1, 1, 1, 2, 2, 3])
        cursor = first + timedelta(days=rng.randrange(0, 280))
        for _ in range(count):
            if cursor > at - timedelta(days=2):
                break
            start = cursor.replace(minute=rng.choice([0, 15, 30, 45]), second=0, microsecond=0)
            end = start + timedelta(hours=rng.choice([3, 6, 10, 20, 30, 48, 70]))
            if end > at - timedelta(hours=80):
                break  # the last days belong to the hand-made cases below
            counter += 1
            rows.append(_episode(rng, f"DE{counter:05d}", child_id, dob, start, end, looked_after, ola, placement, at))
            cursor = end + (timedelta(days=rng.randrange(2, 9)) if repeat else timedelta(days=rng.randrange(20, 120)))
    # Today's list: two children missing now, five returned within 72 hours with no offer yet,
    # and four RHIs overdue (returned 4-7 days ago, never offered).
    specials = [("missing_now", 2), ("returned_recently", 5), ("overdue", 4)]
    n = 0
    for kind, how_many in specials:
        for _ in range(how_many):
            n += 1
            child_id = f"DC{CHILDREN - 20 + n:04d}"
            latest = max((r for r in rows if r["child_id"] == child_id), key=lambda r: r["start"], default=None)
            dob = latest["date_of_birth"] if latest else "2007-01-01"
            if kind == "missing_now":
                start, end = at - timedelta(hours=5 + 20 * n), None
            elif kind == "returned_recently":
                end = at - timedelta(hours=6 + 9 * n)
                start = end - timedelta(hours=9)
            else:
                end = at - timedelta(days=n - 4)
                start = end - timedelta(hours=12)
            if latest and latest["end"] and _minute(start) <= latest["end"]:
                for r in rows:  # keep the made-up history clean: drop what would overlap
                    if r["child_id"] == child_id and r["start"] >= _minute(start - timedelta(days=3)):
                        r["_drop"] = True
            counter += 1
            rows.append({
                "episode_id": f"DE{counter:05d}", "child_id": child_id, "date_of_birth": dob,
                "episode_type": "missing", "start": _minute(start), "end": _minute(end) if end else "",
                "looked_after": "Y", "other_la": "N", "placement": "in_borough", "rhi_offered_on": "",
                "rhi_outcome": "", "rhi_completed_on": "",
                "rhi_by": "" if kind == "missing_now" else ["social_worker", "provider", "missing_team", "missing_team"][n % 4],
            })
    rows = [r for r in rows if not r.pop("_drop", False)]
    return rows, names


def _episode(rng, episode_id, child_id, dob, start, end, looked_after, ola, placement, at) -> dict:
    row = {"episode_id": episode_id, "child_id": child_id, "date_of_birth": dob,
           "episode_type": "away" if rng.random() < 0.15 else "missing", "start": _minute(start),
           "end": _minute(end), "looked_after": "Y" if looked_after else "N", "other_la": "Y" if ola else "N",
           "placement": placement, "rhi_offered_on": "", "rhi_outcome": "", "rhi_completed_on": "", "rhi_by": ""}
    if ola:
        return row  # the other council's duty: recorded here without an RHI
    by = "provider" if placement == "out_of_borough" else rng.choice(["social_worker", "missing_team", "missing_team"])
    row["rhi_by"] = by
    recent = end > at - timedelta(days=10)
    roll = rng.random()
    if recent and roll < 0.5:
        return row  # assigned, offer not made yet
    offer = end + timedelta(hours=rng.choice([4, 20, 40, 60, 70, 90, 130]))
    if offer > at - timedelta(hours=1):
        return row
    row["rhi_offered_on"] = offer.strftime("%Y-%m-%d")
    outcome = rng.choices(["completed", "declined", "unavailable", "missing_again", ""], [55, 15, 10, 8, 12])[0]
    if not outcome and placement == "out_of_borough":
        # The demo's provider install is given the latest out-of-borough returns still to do; keep
        # those free of an imported (date-only) offer so its made-up interviews can be signed off.
        outcome = "completed"
    row["rhi_outcome"] = outcome
    if outcome == "completed":
        done = offer + timedelta(days=rng.choice([0, 1, 2, 4]))
        if done < at:
            row["rhi_completed_on"] = done.strftime("%Y-%m-%d")
    return row


def fill_register(db: sqlite_utils.Database) -> str:
    """Load the demo register through the episode import, then name the children and hand out a few RHIs."""
    if db.execute("SELECT 1 FROM episodes LIMIT 1").fetchone():
        return ""
    at = now()
    rows, names = build_rows(at)
    with tempfile.TemporaryDirectory(prefix="rhi-desk-demo-") as folder:
        path = Path(folder) / "demo-episode-register.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(episode_import.COLUMNS))
            writer.writeheader()
            writer.writerows(rows)
        result = episode_import.import_episodes(db, path, by="demo")
    with write_transaction(db):
        db.conn.executemany("UPDATE children SET name = ?, sex = ?, social_worker = ? WHERE child_id = ?",
                            [(name, "female" if i % 2 else "male", "Sam Social-Worker" if i % 4 == 0 else None,
                              child_id) for i, (child_id, name) in enumerate(names.items())])
        db.execute("UPDATE children SET responsible_la = 'Another Council (demo)' WHERE other_la = 1")
        waiting = """SELECT r.id FROM return_home_interviews r JOIN rhi_episodes re ON re.rhi = r.id
                     JOIN episodes e ON e.id = re.episode
                     WHERE r.outcome IS NULL AND r.offered_at IS NULL AND r.assigned_to IS NULL AND e."end" IS NOT NULL
                       AND r.interviewer_type = ? ORDER BY e."end" DESC LIMIT 3"""
        for assignee, kind in (("worker", "social_worker"), ("Safe Steps", "provider")):
            for (pk,) in db.execute(waiting, [kind]).fetchall():
                db.execute("UPDATE return_home_interviews SET assigned_to = ? WHERE id = ?", [assignee, pk])
    return f"{result.new_children} children and {result.new_episodes} episodes (imported from an episode register CSV)"
