"""Helpers for the guided interview tests: a child with returned episodes and an RHI to work on."""
from __future__ import annotations

from rhi_desk.clock import now_iso
from rhi_desk.register import rhi_tracking

_counter = [0]


def make_child(db, child_id: str | None = None, name: str = "Jamie Test") -> int:
    """Add a child; returns its database id."""
    _counter[0] += 1
    child_id = child_id or f"C{_counter[0]:04d}"
    stamp = now_iso()
    db.execute("insert into children (child_id, name, date_of_birth, looked_after, placement, created_at, "
               "updated_at) values (?, ?, '2010-05-01', 1, 'in_borough', ?, ?)", [child_id, name, stamp, stamp])
    return db.execute("select id from children where child_id = ?", [child_id]).fetchone()[0]


def make_episode(db, child: int, start: str, end: str | None) -> int:
    """Add an episode of ``child``; returns its database id."""
    _counter[0] += 1
    stamp = now_iso()
    db.execute('insert into episodes (episode_id, child, episode_type, start, "end", looked_after, created_at, '
               "updated_at) values (?, ?, 'missing', ?, ?, 1, ?, ?)", [f"E{_counter[0]:05d}", child, start, end,
                                                                       stamp, stamp])
    return db.execute("select id from episodes where episode_id = ?", [f"E{_counter[0]:05d}"]).fetchone()[0]


def make_rhi(db, assigned_to: str | None = "practitioner", *, start="2026-03-01 18:00", end="2026-03-02 09:30",
             name="Jamie Test") -> dict:
    """A child who went missing and came back, with an open RHI assigned to ``assigned_to``."""
    child = make_child(db, name=name)
    episode = make_episode(db, child, start, end)
    return rhi_tracking.create_rhi(db, [episode], assigned_to=assigned_to, by="test")
