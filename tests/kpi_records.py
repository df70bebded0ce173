"""Small writers for KPI tests: children, episodes and RHIs straight into the tables.

The KPI module only reads these tables, so its tests write exactly the rows they mean, including
shapes the pages would refuse (an RHI covering three episodes, an offer with no usable time).
"""
from __future__ import annotations

import json

STAMP = "2017-01-01 00:00:00"


def add_child(db, child_id: str, date_of_birth: str | None = "2003-06-15", name: str | None = None) -> int:
    """Insert a child; returns its database id."""
    db.execute("insert into children (child_id, name, date_of_birth, created_at, updated_at) values (?, ?, ?, ?, ?)",
               [child_id, name or f"Child {child_id}", date_of_birth, STAMP, STAMP])
    return db.execute("select id from children where child_id = ?", [child_id]).fetchone()[0]


def add_episode(db, episode_id: str, child: int, start: str, end: str | None = None, *, episode_type="missing",
                looked_after=False, other_la=False, placement=None) -> int:
    """Insert an episode; returns its database id."""
    db.execute(
        'insert into episodes (episode_id, child, episode_type, start, "end", looked_after, other_la, placement, '
        "created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [episode_id, child, episode_type, start, end, int(looked_after), int(other_la),
         placement if looked_after else None, STAMP, STAMP])
    return db.execute("select id from episodes where episode_id = ?", [episode_id]).fetchone()[0]


def add_rhi(db, rhi_id: str, child: int, episodes: list[int], *, offered_at=None, outcome=None,
            completed_at=None, interviewer_type=None, assigned_to=None, outcome_reason=None, status="draft",
            signed_off_at=None, answers: dict | str | None = None) -> int:
    """Insert an RHI covering ``episodes``; returns its database id."""
    if isinstance(answers, dict):
        answers = json.dumps(answers)
    db.execute(
        "insert into return_home_interviews (rhi_id, child, interviewer_type, assigned_to, offered_at, outcome, "
        "outcome_reason, completed_at, status, signed_off_at, answers, created_at, updated_at) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [rhi_id, child, interviewer_type, assigned_to, offered_at, outcome, outcome_reason, completed_at, status,
         signed_off_at, answers or "{}", STAMP, STAMP])
    pk = db.execute("select id from return_home_interviews where rhi_id = ?", [rhi_id]).fetchone()[0]
    for episode in episodes:
        db.execute("insert into rhi_episodes (rhi, episode) values (?, ?)", [pk, episode])
    return pk


def clear(db) -> None:
    """Remove every child, episode and RHI (between hypothesis examples)."""
    for table in ("rhi_episodes", "rhi_revisions", "return_home_interviews", "episode_type_changes", "episodes",
                  "children"):
        db.execute(f"delete from {table}")
