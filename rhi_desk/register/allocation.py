"""Who in the team works on what: an episode or an RHI allocated to a named team member.

Anyone in the missing team may allocate work that nobody holds, or hand on their own; moving work that is
someone else's is a manager's decision (an administrator's too). Every allocation is in the audit log.
"""
from __future__ import annotations

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import write_transaction
from rhi_desk.register.rules import RegisterError

TEAM_ROLES = ("missing_team", "manager")
REALLOCATE_ROLES = ("manager", "admin")
KINDS = {"episode": ("episodes", "episode_id"), "rhi": ("return_home_interviews", "rhi_id")}


def team_members(db: sqlite_utils.Database) -> list[dict]:
    """The active users work can be allocated to, by name."""
    return list(db.query(
        f"select username, display_name, role from users where active = 1 and role in "
        f"({','.join('?' * len(TEAM_ROLES))}) order by display_name collate nocase", list(TEAM_ROLES)))


def allocate(db: sqlite_utils.Database, kind: str, record_id: str, username: str | None, *,
             by: str, by_role: str) -> dict:
    """Allocate the episode or RHI ``record_id`` to ``username`` (None: to nobody); returns the record."""
    table, key = KINDS[kind]
    username = (username or "").strip() or None
    with write_transaction(db):
        rows = list(db.query(f"select r.*, c.child_id from {table} r join children c on c.id = r.child "
                             f"where r.{key} = ?", [record_id]))
        if not rows:
            raise RegisterError(f"There is no {'episode' if kind == 'episode' else 'interview'} {record_id}.")
        record = rows[0]
        current = record["allocated_to"]
        if username is not None:
            member = list(db.query("select username, role, active from users where username = ?", [username]))
            if not member or not member[0]["active"] or member[0]["role"] not in TEAM_ROLES:
                raise RegisterError("Choose a member of the team from the list", "allocated_to")
            username = member[0]["username"]
        if current == username:
            return record
        if current and current != by and by_role not in REALLOCATE_ROLES:
            raise RegisterError(f"This is allocated to {current}: only a manager can move it to someone else.",
                                "allocated_to")
        db.execute(f"update {table} set allocated_to = ?, updated_at = ? where {key} = ?",
                   [username, now_iso(), record_id])
        audit.record(db, f"{kind}.allocate", username=by, object_type="child", object_id=record["child_id"],
                     detail={kind: record_id, "from": current, "to": username})
    return {**record, "allocated_to": username}


def allocated_to(db: sqlite_utils.Database, username: str) -> list[dict]:
    """The open episodes and RHIs allocated to ``username``: episodes not yet closed by an outcome."""
    return list(db.query(
        "select 'episode' as kind, e.episode_id as id, c.child_id, c.name, e.start, e.\"end\" "
        "from episodes e join children c on c.id = e.child where e.allocated_to = ? "
        "and not exists (select 1 from rhi_episodes re join return_home_interviews r on r.id = re.rhi "
        "where re.episode = e.id and r.outcome is not null) "
        "union all select 'rhi', r.rhi_id, c.child_id, c.name, null, null from return_home_interviews r "
        "join children c on c.id = r.child where r.allocated_to = ? and r.outcome is null "
        "order by 1, 2", [username, username]))
