"""Who may see and change an interview, and each user's own list of interviews."""
from __future__ import annotations

from datetime import datetime

import sqlite_utils

from rhi_desk.clock import now
from rhi_desk.register import rhi_tracking

# ---------------------------------------------------------------------------------------------
# The practitioner's list


def can_see(user: dict, rhi: dict, install: dict | None) -> bool:
    """Whether ``user`` may open this interview: their own, or any on a hub for the missing team."""
    if install and install["role"] == "field":
        return True
    role = user["role"]
    if role in ("admin", "missing_team", "manager"):
        return True
    # By id, resolved when the interview was assigned (migration 0036), never by a display name now.
    if rhi.get("assigned_user") is not None and rhi["assigned_user"] == user.get("id"):
        return True
    org = (user.get("organisation") or "").lower()
    return role == "provider" and bool(org) and (rhi.get("assigned_org") or "").lower() == org


def can_change(user: dict, rhi: dict, install: dict | None) -> bool:
    """Whether ``user`` may fill in or correct this interview (managers only read; a stub left after the
    hub confirmed it holds nothing to change)."""
    return user["role"] != "manager" and not is_stub(rhi) and can_see(user, rhi, install)


def is_stub(rhi: dict) -> bool:
    """True for an interview whose personal content was removed once the hub confirmed it (field installs)."""
    return bool(rhi.get("purged_at"))


def my_interviews(db: sqlite_utils.Database, user: dict, install: dict | None) -> list[dict]:
    """The interviews this user works on, most urgent first, each with child, episodes and the 72-hour clock."""
    where, params = [], []
    hub = install is not None and install["role"] == "hub"
    if hub and user["role"] in ("practitioner", "provider"):
        org = user.get("organisation") if user["role"] == "provider" else None
        where.append("(r.assigned_user = ? or (? is not null and lower(r.assigned_org) = lower(?)))")
        params += [user.get("id"), org, org]
    elif hub:
        # The missing team's own interviews and any in progress: never the whole register's open RHIs,
        # which on a hub with years of imported history run to hundreds of thousands.
        # Each of the three found through its own partial index (actions migration 0056): as one OR of the
        # three, SQLite cannot use a partial index for a term and reads every interview.
        where.append("r.id in (select id from return_home_interviews where status = 'draft' "
                     "union select id from return_home_interviews where assigned_user = ? "
                     "union select id from return_home_interviews where allocated_to = ?) "
                     "and r.status != 'signed_off'")
        params += [user.get("id"), user["username"]]
    sql = ("select r.*, c.child_id as child_ref, c.name as child_name, c.date_of_birth as child_dob "
           "from return_home_interviews r join children c on c.id = r.child")
    if where:
        sql += " where " + " and ".join(where)
    sql += " order by r.id"
    rows = list(db.query(sql, params))
    if not rows:
        return []
    episodes: dict[int, list[dict]] = {}
    ids = [r["id"] for r in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for e in db.query(f"select re.rhi, e.* from rhi_episodes re join episodes e on e.id = re.episode "
                          f"where re.rhi in ({','.join('?' * len(chunk))}) order by e.start", chunk):
            episodes.setdefault(e["rhi"], []).append(e)
    at = now()
    result = []
    for r in rows:
        covered = episodes.get(r["id"], [])
        ends = [e["end"] for e in covered if e["end"]]
        returned = max(ends) if ends else None
        clk = rhi_tracking.clock(returned, r["offered_at"], at=at)
        result.append({**r, "child": {"child_id": r["child_ref"], "name": r["child_name"],
                                      "date_of_birth": r["child_dob"]},
                       "episodes": covered, "returned": returned, "clock": clk,
                       "hours_left": clk.hours_left})
    order = {"draft": 0, "open": 1, "signed_off": 2}
    result.sort(key=lambda r: (order[r["status"]], bool(r.get("purged_at")), r["clock"].deadline or datetime.max,
                               -(r["id"]) if r["status"] == "signed_off" else r["id"]))
    return result
