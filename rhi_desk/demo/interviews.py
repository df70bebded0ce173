"""Demo interviews: a few signed off and a few in progress, for the demo worker and provider.

Runs after the register's demo filler, which opens RHIs assigned to 'worker' and to 'Safe Steps'.
If there are none (the register's demo is missing), it adds two returned children of its own.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from rhi_desk.clock import now
from rhi_desk.demo import answers
from rhi_desk.interviews import saving
from rhi_desk.register import children, rhi_tracking
from rhi_desk.register import episodes as register_episodes

ASSIGNEES = (("worker", "worker"), ("Safe Steps", "provider"))


def _own_returns(db: sqlite_utils.Database) -> None:
    """Two children who went missing and came back, if the register's demo added none."""
    back = now() - timedelta(hours=30)
    for n, (name, assignee) in enumerate((("Riley Demo", "worker"), ("Jordan Demo", "Safe Steps")), start=1):
        child_id = f"DEMO-IV-{n}"
        if children.get_child(db, child_id) is None:
            children.create_child(db, child_id, name=name, date_of_birth="2010-06-01", looked_after=True,
                                  placement="in_borough", by="demo")
        for k in (1, 0):  # oldest first: the register refuses a new episode before a later one
            start = back - timedelta(days=10 * k + 2)
            episode = register_episodes.record_missing(db, child_id, start=start.strftime("%Y-%m-%d %H:%M"), by="demo")
            register_episodes.record_found(db, episode["episode_id"],
                                  end=(start + timedelta(hours=26)).strftime("%Y-%m-%d %H:%M"), by="demo")
        db.execute("update return_home_interviews set assigned_to = ? where assigned_to is null and child = "
                   "(select id from children where child_id = ?)", [assignee, child_id])


def _start_draft(db, rhi: dict, username: str) -> None:
    """Offer, outcome and the first pages answered; the rest still to do."""
    episodes = rhi_tracking.episodes_of(db, rhi["id"])
    returned = max((e["end"] for e in episodes if e["end"]), default=episodes[-1]["start"])
    offered = min(datetime.fromisoformat(returned) + timedelta(hours=3), now())
    held = min(offered + timedelta(hours=20), now())
    if not rhi["offered_at"]:
        rhi_tracking.record_offer(db, rhi["rhi_id"], offered.strftime("%Y-%m-%d %H:%M"), "in_person",
                                  "Demo worker", by=username)
    saving.save_page(db, rhi["rhi_id"], "outcome", {"outcome": "completed"}, by=username)
    saving.save_page(db, rhi["rhi_id"], "held", {"held_at": held.strftime("%Y-%m-%d %H:%M"),
                                                      "place": "At the child's home (made up)"}, by=username)
    saving.autosave(db, rhi["rhi_id"], "interviewer", {"interviewer_name": "Demo Wor"}, by=username)


def fill_interviews(db: sqlite_utils.Database) -> str:
    """Sign off one interview per demo assignee and leave another in progress."""
    def waiting(assignee):
        return list(db.query("select * from return_home_interviews where assigned_to = ? and status != 'signed_off' "
                             "and outcome is null order by id", [assignee]))

    if not any(waiting(a) for a, _ in ASSIGNEES):
        _own_returns(db)
    signed, drafts = 0, 0
    for assignee, username in ASSIGNEES:
        rows = waiting(assignee)
        if rows:
            answers.complete_with_made_up_answers(db, rows[0]["rhi_id"], by=username)
            signed += 1
        if len(rows) > 1:
            _start_draft(db, rows[1], username)
            drafts += 1
    if not (signed or drafts):
        return ""
    return f"{signed} signed-off interview{'s' if signed != 1 else ''}, {drafts} in progress"
