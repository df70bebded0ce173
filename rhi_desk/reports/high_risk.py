"""The weekly high-risk list for senior managers."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import sqlite_utils

from rhi_desk.clock import now
from rhi_desk.interviews.questions import HARM_INDICATORS
from rhi_desk.register import counting
from rhi_desk.reports.themes import _answers, _codes

# ---------------------------------------------------------------------------------------------
# The weekly high-risk list


CONCERN_DAYS = 28
ACTIONS_DUE_DAYS = 7


def high_risk(db: sqlite_utils.Database, at: datetime | None = None) -> dict:
    """The weekly high-risk list: repeat missing, missing now, exploitation concerns from interviews
    signed off in the last 28 days, and follow-up actions due within a week or overdue."""
    at = at or now()
    # Repeat missing, as counting.repeat_sql defines it (Today reads the same function).
    repeat = [{**row, "last_start": row["latest"]} for row in counting.repeat_missing_children(db, at)]
    missing_now = list(db.query("""
        select c.child_id, c.name, c.date_of_birth, e.episode_id, e.episode_type, e.start, e.looked_after,
               e.other_la, e.placement, e.police_risk
        from episodes e join children c on c.id = e.child
        where e."end" is null and e.voided_at is null order by e.start""", {}))
    for row in missing_now:
        try:
            hours = (at - datetime.fromisoformat(row["start"].replace("T", " "))).total_seconds() / 3600
        except ValueError:
            hours = None
        row["hours_missing"] = hours
    signed_since = (at - timedelta(days=CONCERN_DAYS)).strftime("%Y-%m-%d")
    concerns = []
    for row in db.query("""
        select r.rhi_id, r.signed_off_at, r.interviewer_type, r.assigned_to, r.answers, c.child_id, c.name
        from return_home_interviews r join children c on c.id = r.child
        where r.status = 'signed_off' and r.signed_off_at >= :since order by r.signed_off_at desc""",
                        {"since": signed_since}):
        answers = _answers(row.pop("answers"))
        harms = [HARM_INDICATORS.get(k, k) for k in _codes(answers.get("harm_indicators"))]
        level = answers.get("risk_level") if answers.get("risk_level") in ("low", "medium", "high") else None
        if harms or level == "high":
            area = answers.get("where_area") if isinstance(answers.get("where_area"), str) else ""
            concerns.append({**row, "harm": harms, "risk_level": level, "where_area": area.strip()})
    actions = []
    due_by = (at + timedelta(days=ACTIONS_DUE_DAYS)).strftime("%Y-%m-%d")
    today = at.strftime("%Y-%m-%d")
    for row in db.query("""
        select r.rhi_id, r.answers, c.child_id, c.name from return_home_interviews r
        join children c on c.id = r.child where r.answers like '%follow_up_actions%'""", {}):
        items = _answers(row["answers"]).get("follow_up_actions")
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict) or item.get("done") is True:
                continue
            due = item.get("due")
            if not isinstance(due, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", due) or due > due_by:
                continue
            actions.append({"rhi_id": row["rhi_id"], "child_id": row["child_id"], "name": row["name"],
                            "action": str(item.get("action") or "").strip() or "(no description)",
                            "owner": str(item.get("owner") or "").strip(), "due": due,
                            "overdue": due < today})
    actions.sort(key=lambda a: (a["due"], a["child_id"]))
    return {"at": at, "repeat": repeat, "missing_now": missing_now, "concerns": concerns, "actions": actions}


def age_on(date_of_birth: str | None, on: str) -> int | None:
    """A child's age in whole years on the date ``on`` (``YYYY-MM-DD...``), or None if unknown."""
    try:
        born = date.fromisoformat((date_of_birth or "")[:10])
        day = date.fromisoformat(on[:10])
    except ValueError:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
