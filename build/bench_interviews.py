"""How fast the guided interview's busy paths are: the practitioner's list, saving a page, a background save.

    python build/bench_interviews.py [--rows N]

Builds a temporary hub with N RHIs (a third signed off) and compares each path with a
baseline measured in the same run: a bare ``select`` of the same rows.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from interviews_support import make_child, make_episode  # noqa: E402

from rhi_desk import installs
from rhi_desk.db import connect, write_transaction
from rhi_desk.demo import answers
from rhi_desk.interviews import access, saving
from rhi_desk.register import rhi_tracking


def timed(func, repeat=20) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        db = connect(Path(folder) / "bench.db")
        installs.initialise(db, "hub", "Bench", "Missing team")
        with write_transaction(db):
            for n in range(rows):
                child = make_child(db, f"B{n:06d}")
                episode = make_episode(db, child, "2026-03-01 18:00", "2026-03-02 09:30")
                rhi = rhi_tracking.create_rhi(db, [episode], assigned_to="worker" if n % 2 else "other")
                if n % 3 == 0:
                    answers.complete_with_made_up_answers(db, rhi["rhi_id"], by="bench")
        user = {"role": "practitioner", "username": "worker", "display_name": "Worker"}
        team = {"role": "missing_team", "username": "team", "display_name": "Team"}
        hub = {"role": "hub"}
        target = list(db.query("select rhi_id from return_home_interviews where status = 'open' limit 1"))[0]["rhi_id"]
        saving.save_page(db, target, "offer", {"offered_at": "2026-03-02 11:00", "offered_how": "phone",
                                                   "offered_by": "W"}, by="w")
        saving.save_page(db, target, "outcome", {"outcome": "completed"}, by="w")
        figures = {
            "baseline: select the same rows": timed(lambda: list(db.query(
                "select r.*, c.name from return_home_interviews r join children c on c.id = r.child "
                "where r.assigned_to = 'worker'"))),
            "my_interviews (practitioner)": timed(lambda: access.my_interviews(db, user, hub)),
            "my_interviews (missing team: own, in progress)": timed(lambda: access.my_interviews(db, team, hub), 5),
            "save_page (one page)": timed(lambda: saving.save_page(
                db, target, "where", {"where_went": "A flat", "where_area": "CR0"}, by="w")),
            "autosave (background save)": timed(lambda: saving.autosave(
                db, target, "who_with", {"who_with": "Friends"}, by="w")),
        }
    print(f"{rows} interviews")
    for name, ms in figures.items():
        print(f"  {name:<42} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
