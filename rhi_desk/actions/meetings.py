"""The meetings the missing team holds, each saved with its list as it stood and the actions it agreed.

- the **daily** meeting: children reported missing or returned since the last daily meeting;
- the **weekly** high-risk meeting: the weekly high-risk list (:mod:`rhi_desk.reports.high_risk`) with the
  actions due for the children on it, saved week by week;
- the **monthly missing panel**: the panel pack (:mod:`rhi_desk.actions.panel`), saved month by month.

A saved list (``meetings.snapshot``) never changes (a trigger refuses it), whatever is recorded later.
Actions agreed at a meeting have an owner and a due date; the next meeting of the same kind shows
whether they were done.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import sqlite_utils

from rhi_desk import audit
from rhi_desk.actions import due
from rhi_desk.clock import MINUTE_FORMAT, now, now_iso, parse_minute
from rhi_desk.db import write_transaction
from rhi_desk.register.children import get_child
from rhi_desk.register.rules import RegisterError
from rhi_desk.reports import high_risk

KINDS = {"daily": "Daily missing meeting", "weekly": "Weekly high-risk meeting", "panel": "Monthly missing panel"}
DAILY_FIRST_LOOKBACK = timedelta(days=1)  # the very first daily meeting looks back one day
ACTION_TEXT = 500


class MeetingError(RegisterError):
    """A problem with a meeting or an action agreed; the message says what to do (``field`` names the question)."""


def week_of(day: date) -> str:
    """The ISO week a day falls in, as the weekly meeting names it: '2017-W15'."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(period: str) -> date:
    """The Monday of an ISO week '2017-W15'."""
    return date.fromisocalendar(int(period[:4]), int(period[6:]), 1)


def _jsonable(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------------
# The lists as they stand now


def _actions_for(db, child_ids: set[str], at: datetime) -> list[dict]:
    return [{"key": a.key, "label": a.label, "reason": a.reason, "child_id": a.child_id, "name": a.child_name,
             "episode_id": a.episode_id, "deadline": a.deadline.strftime(MINUTE_FORMAT), "overdue": a.overdue}
            for a in due.due(db, at) if a.child_id in child_ids]


def weekly_list(db: sqlite_utils.Database, at: datetime | None = None) -> dict:
    """This week's high-risk list as it stands now, with the actions due for the children on it."""
    at = (at or now()).replace(microsecond=0)
    result = high_risk.high_risk(db, at)
    children = _children_on(result)
    return {**result, "period": week_of(at.date()), "children": children,
            "actions_due": _actions_for(db, {c["child_id"] for c in children}, at)}


def _children_on(result: dict) -> list[dict]:
    seen: dict[str, dict] = {}
    for section in ("missing_now", "repeat", "concerns", "actions", "reported", "returned"):
        for row in result.get(section) or []:
            seen.setdefault(row["child_id"], {"child_id": row["child_id"], "name": row.get("name") or ""})
    return sorted(seen.values(), key=lambda c: (c["name"] or c["child_id"]).lower())


def last_meeting(db: sqlite_utils.Database, kind: str, before: str | None = None) -> dict | None:
    """The latest saved meeting of a kind (before a held time, if given), or None."""
    sql = "select * from meetings where kind = ?"
    params: list = [kind]
    if before:
        sql += " and held_on < ?"
        params.append(before)
    rows = list(db.query(sql + " order by held_on desc, id desc limit 1", params))
    return rows[0] if rows else None


def daily_list(db: sqlite_utils.Database, at: datetime | None = None) -> dict:
    """Children reported missing or returned since the last daily meeting (or in the last day, before the first)."""
    at = (at or now()).replace(microsecond=0)
    previous = last_meeting(db, "daily")
    since = parse_minute(previous["held_on"]) if previous else at - DAILY_FIRST_LOOKBACK
    params = {"since": since.strftime(MINUTE_FORMAT), "at": at.strftime(MINUTE_FORMAT),
              "since_s": since.strftime("%Y-%m-%d %H:%M:%S")}
    columns = ('c.child_id, c.name, e.episode_id, e.episode_type, e.start, e."end", e.looked_after, e.other_la, '
               "e.placement, e.police_risk, c.responsible_la")
    # "Reported" also catches a notification entered since the meeting for an absence that began in the
    # week before (not a whole imported history).
    params["week_before"] = (since - timedelta(days=7)).strftime(MINUTE_FORMAT)
    reported = list(db.query(
        f"select {columns} from episodes e join children c on c.id = e.child where e.start <= :at and "
        "(e.start > :since or (e.created_at > :since_s and e.start > :week_before)) order by e.start", params))
    returned = list(db.query(
        f'select {columns} from episodes e join children c on c.id = e.child where e."end" > :since '
        'and e."end" <= :at order by e."end"', params))
    result = {"at": at, "since": since, "reported": reported, "returned": returned}
    children = _children_on(result)
    return {**result, "period": at.strftime(MINUTE_FORMAT), "children": children,
            "actions_due": _actions_for(db, {c["child_id"] for c in children}, at)}


# ---------------------------------------------------------------------------------------------
# Saving a meeting and its actions


def save(db: sqlite_utils.Database, kind: str, listing: dict, *, by: str | None = None,
         period: str | None = None) -> dict:
    """Save a meeting with its list as it stands (kept unchanged from now on); audited."""
    if kind not in KINDS:
        raise MeetingError("There is no such meeting")
    period = period or listing["period"]
    held = listing["at"].strftime(MINUTE_FORMAT) if isinstance(listing["at"], datetime) else listing["at"]
    snapshot = json.dumps(listing, default=_jsonable, ensure_ascii=False, sort_keys=True)
    with write_transaction(db):
        if list(db.query("select 1 from meetings where kind = ? and period = ?", [kind, period])):
            raise MeetingError(f"The {KINDS[kind].lower()} for {describe_period(kind, period)} is already saved. "
                               "Open it from the list of meetings.")
        pk = db.execute("insert into meetings (kind, held_on, period, snapshot, created_by, created_at) "
                        "values (?, ?, ?, ?, ?, ?)", [kind, held, period, snapshot, by, now_iso()]).lastrowid
        audit.record(db, "meeting.save", username=by, object_type="meeting", object_id=pk,
                     detail={"kind": kind, "period": period, "children": len(listing.get("children") or [])})
    return get_meeting(db, pk)


def describe_period(kind: str, period: str) -> str:
    """'week beginning 10 April 2017', 'April 2017', '10 April 2017, 9:00am'."""
    if kind == "weekly":
        monday = week_monday(period)
        return f"the week beginning {monday.day} {monday:%B %Y}"
    if kind == "panel":
        month = date.fromisoformat(period + "-01")
        return f"{month:%B %Y}"
    moment = parse_minute(period)
    return f"{moment.day} {moment:%B %Y} {moment:%H:%M}"


def get_meeting(db: sqlite_utils.Database, pk: int) -> dict | None:
    """A saved meeting: its list as saved, the actions it agreed, and the previous meeting's actions."""
    rows = list(db.query("select * from meetings where id = ?", [pk]))
    if not rows:
        return None
    meeting = rows[0]
    listing = json.loads(meeting["snapshot"])
    for key in ("at", "since"):
        if isinstance(listing.get(key), str):
            listing[key] = datetime.fromisoformat(listing[key])
    meeting["listing"] = listing
    meeting["title"] = f"{KINDS[meeting['kind']]}: {describe_period(meeting['kind'], meeting['period'])}"
    meeting["actions"] = actions_of(db, pk)
    previous = last_meeting(db, meeting["kind"], before=meeting["held_on"])
    meeting["previous"] = ({**previous, "title": describe_period(previous["kind"], previous["period"]),
                            "actions": actions_of(db, previous["id"])} if previous else None)
    return meeting


def meetings(db: sqlite_utils.Database, kind: str, limit: int = 60) -> list[dict]:
    """Saved meetings of a kind, newest first, with how many actions each agreed and how many are done."""
    rows = list(db.query(
        "select m.id, m.kind, m.held_on, m.period, m.created_by, "
        "(select count(*) from meeting_actions a where a.meeting = m.id) as agreed, "
        "(select count(*) from meeting_actions a where a.meeting = m.id and a.done_on is not null) as done "
        "from meetings m where m.kind = ? order by m.held_on desc, m.id desc limit ?", [kind, limit]))
    for row in rows:
        row["title"] = describe_period(kind, row["period"])
    return rows


def actions_of(db: sqlite_utils.Database, meeting_pk: int, today: date | None = None) -> list[dict]:
    """The actions a meeting agreed, with the child and whether each is done or overdue."""
    today = (today or now().date()).isoformat()
    rows = list(db.query("select a.*, c.child_id, c.name from meeting_actions a left join children c on "
                         "c.id = a.child where a.meeting = ? order by a.due_on, a.id", [meeting_pk]))
    for row in rows:
        row["overdue"] = row["done_on"] is None and row["due_on"] < today
    return rows


def agree_action(db: sqlite_utils.Database, meeting_pk: int, *, child_id: str | None, action: str, owner: str,
                 due_on: str, by: str | None = None) -> dict:
    """Record an action agreed at a meeting, for a child on its list, with its owner and due date; audited."""
    action = (action or "").strip()
    owner = (owner or "").strip()
    if not action:
        raise MeetingError("Enter the action agreed", "action")
    if len(action) > ACTION_TEXT:
        raise MeetingError(f"Keep the action to {ACTION_TEXT} characters or fewer", "action")
    if not owner:
        raise MeetingError("Enter who owns the action", "owner")
    try:
        due_day = date.fromisoformat(due_on or "")
    except ValueError:
        raise MeetingError("Enter the date the action is due, for example 17 4 2017", "due_on") from None
    with write_transaction(db):
        meeting = list(db.query("select * from meetings where id = ?", [meeting_pk]))
        if not meeting:
            raise MeetingError("That meeting is not saved")
        meeting = meeting[0]
        if due_day.isoformat() < meeting["held_on"][:10]:
            raise MeetingError("The action cannot be due before the meeting", "due_on")
        child_pk = None
        if child_id:
            on_list = {c["child_id"] for c in json.loads(meeting["snapshot"]).get("children") or []}
            child = get_child(db, child_id)
            if child is None or child_id not in on_list:
                raise MeetingError("Choose a child on this meeting's list", "child_id")
            child_pk = child["id"]
        pk = db.execute("insert into meeting_actions (meeting, child, action, owner, due_on, created_by, created_at) "
                        "values (?, ?, ?, ?, ?, ?, ?)",
                        [meeting_pk, child_pk, action, owner, due_day.isoformat(), by, now_iso()]).lastrowid
        audit.record(db, "meeting.action_agreed", username=by, object_type="meeting", object_id=meeting_pk,
                     detail={"action": pk, "child": child_id, "owner": owner, "due_on": due_day.isoformat()})
    return list(db.query("select * from meeting_actions where id = ?", [pk]))[0]


def mark_done(db: sqlite_utils.Database, action_pk: int, *, done_on: str, done_by: str,
              by: str | None = None) -> dict:
    """Record that an action agreed at a meeting was done (when, by whom); audited."""
    done_by = (done_by or "").strip()
    if not done_by:
        raise MeetingError("Enter who did it", "done_by")
    try:
        day = date.fromisoformat(done_on or "")
    except ValueError:
        raise MeetingError("Enter the date it was done, for example 17 4 2017", "done_on") from None
    if day > now().date():
        raise MeetingError("The date it was done cannot be in the future", "done_on")
    with write_transaction(db):
        rows = list(db.query("select * from meeting_actions where id = ?", [action_pk]))
        if not rows:
            raise MeetingError("That action is not recorded")
        if rows[0]["done_on"]:
            raise MeetingError("That action is already recorded as done")
        db.execute("update meeting_actions set done_on = ?, done_by = ? where id = ?",
                   [day.isoformat(), done_by, action_pk])
        audit.record(db, "meeting.action_done", username=by, object_type="meeting", object_id=rows[0]["meeting"],
                     detail={"action": action_pk, "done_on": day.isoformat(), "done_by": done_by})
    return list(db.query("select * from meeting_actions where id = ?", [action_pk]))[0]
