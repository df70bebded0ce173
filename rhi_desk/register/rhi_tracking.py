"""The RHI record's life on any install: who interviews, the offer, the outcome, the 72-hour clock.

The register (hub), the guided interview and sync all use these functions, so an offer or an
outcome means the same thing wherever it is recorded. One RHI can cover several episodes of the
same child (``rhi_episodes``).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now, now_iso, parse_minute
from rhi_desk.db import write_transaction

INTERVIEWER_TYPES = {
    "social_worker": "The child's social worker",
    "missing_team": "A missing team worker",
    "provider": "A spot-purchased RHI provider",
}
OUTCOMES = {
    "completed": "Completed",
    "declined": "Declined by the child",
    "unavailable": "Child could not be seen",
    "missing_again": "Went missing again before it could happen",
}
OFFER_METHODS = {
    "in_person": "In person",
    "phone": "By phone",
    "text": "By text message",
    "letter": "By letter",
    "via_carer": "Through the carer or parent",
}
DEADLINE = timedelta(hours=72)


class RHIError(Exception):
    """A user-facing problem with an RHI record; the message says what to do."""


@dataclass(frozen=True)
class Clock:
    """Where an episode's 72-hour RHI clock stands."""

    deadline: datetime | None
    hours_left: float | None  # negative once overdue; None while the child is still missing
    state: str  # 'missing', 'running', 'due_soon', 'overdue', 'met', 'missed', 'not_measurable'

    @property
    def label(self) -> str:
        """Plain words for the clock, for any screen where it matters."""
        if self.state == "missing":
            return "Clock starts when the child returns"
        if self.state == "not_measurable":
            return "Not measurable (no return time)"
        if self.state == "met":
            return "Offered within 72 hours"
        if self.state == "missed":
            return "Offered after 72 hours"
        if self.state == "overdue":
            return f"Overdue by {_hours_text(-self.hours_left)}"
        return f"{_hours_text(self.hours_left)} left"


def _hours_text(hours: float) -> str:
    whole = int(hours)
    if whole >= 72:  # long overdue reads in days: "5 days 13 hours", not "133 hours"
        days, rest = divmod(whole, 24)
        return f"{days} days" + (f" {rest} hour{'s' if rest != 1 else ''}" if rest else "")
    minutes = int(round((hours - whole) * 60))
    if minutes == 60:
        whole, minutes = whole + 1, 0
    minutes_text = f"{minutes} minute{'s' if minutes != 1 else ''}"
    if whole == 0:
        return minutes_text
    return f"{whole} hour{'s' if whole != 1 else ''}" + (f" {minutes_text}" if minutes else "")


def clock(episode_end: str | None, offered_at: str | None = None, at: datetime | None = None) -> Clock:
    """The 72-hour clock from the episode's end: time left, overdue, or met/missed once offered."""
    if not episode_end:
        return Clock(None, None, "missing")
    try:
        end = parse_minute(episode_end)
    except ValueError:
        return Clock(None, None, "not_measurable")
    deadline = end + DEADLINE
    if offered_at:
        try:
            offered = parse_minute(offered_at if len(offered_at) > 10 else offered_at + " 00:00")
        except ValueError:
            return Clock(deadline, None, "not_measurable")
        return Clock(deadline, None, "met" if offered <= deadline else "missed")
    left = (deadline - (at or now())).total_seconds() / 3600
    if left <= 0:
        return Clock(deadline, left, "overdue")
    return Clock(deadline, left, "due_soon" if left <= 24 else "running")


def default_interviewer_type(placement: str | None) -> str:
    """Out-of-borough placements default to a spot-purchased provider; others to the social worker."""
    return "provider" if placement == "out_of_borough" else "social_worker"


def get_rhi(db: sqlite_utils.Database, rhi_id: str) -> dict | None:
    """The RHI with the stable id ``rhi_id`` (used across installs), or None."""
    rows = list(db.query("select * from return_home_interviews where rhi_id = ?", [rhi_id]))
    return rows[0] if rows else None


def episodes_of(db: sqlite_utils.Database, rhi_pk: int) -> list[dict]:
    """The episodes an RHI covers, oldest first."""
    return list(db.query(
        "select e.* from episodes e join rhi_episodes re on re.episode = e.id where re.rhi = ? order by e.start",
        [rhi_pk]))


def create_rhi(
    db: sqlite_utils.Database,
    episode_ids: list[int],
    *,
    interviewer_type: str | None = None,
    assigned_to: str | None = None,
    by: str | None = None,
    rhi_id: str | None = None,
) -> dict:
    """Open an RHI record covering ``episode_ids`` (database ids, all of one child)."""
    if not episode_ids:
        raise RHIError("Choose at least one episode for the interview to cover")
    if interviewer_type and interviewer_type not in INTERVIEWER_TYPES:
        raise RHIError("Choose who should interview: the social worker, the missing team or a provider")
    with write_transaction(db):
        episodes = _check_episodes(db, episode_ids, None)
        child = episodes[0]["child"]
        if interviewer_type is None:
            interviewer_type = default_interviewer_type(episodes[-1]["placement"])
        rhi_id = rhi_id or str(uuid.uuid4())
        stamp = now_iso()
        db.execute(
            "insert into return_home_interviews (rhi_id, child, interviewer_type, assigned_to, status, "
            "created_at, updated_at) values (?, ?, ?, ?, 'open', ?, ?)",
            [rhi_id, child, interviewer_type, assigned_to, stamp, stamp],
        )
        pk = db.execute("select id from return_home_interviews where rhi_id = ?", [rhi_id]).fetchone()[0]
        db.conn.executemany("insert into rhi_episodes (rhi, episode) values (?, ?)",
                            [(pk, e["id"]) for e in episodes])
        audit.record(db, "rhi.create", username=by, object_type="rhi", object_id=rhi_id,
                     detail={"episodes": [e["episode_id"] for e in episodes], "interviewer_type": interviewer_type,
                             "assigned_to": assigned_to})
    return get_rhi(db, rhi_id)


def _check_episodes(db, episode_ids, rhi_pk):
    placeholders = ",".join("?" * len(episode_ids))
    episodes = list(db.query(f"select * from episodes where id in ({placeholders}) order by start", list(episode_ids)))
    if len(episodes) != len(set(episode_ids)):
        raise RHIError("One of those episodes no longer exists; reload the page and choose again")
    if len({e["child"] for e in episodes}) > 1:
        raise RHIError("One interview can only cover episodes of the same child")
    done = list(db.query(
        f"select e.episode_id from rhi_episodes re join return_home_interviews r on r.id = re.rhi "
        f"join episodes e on e.id = re.episode where re.episode in ({placeholders}) "
        f"and r.outcome = 'completed' and r.id is not ?", list(episode_ids) + [rhi_pk]))
    if done:
        raise RHIError(f"Episode {done[0]['episode_id']} already has a completed interview; choose other episodes")
    return episodes


def add_episodes(db: sqlite_utils.Database, rhi_id: str, episode_ids: list[int], *, by: str | None = None) -> None:
    """Let an RHI also cover more of the same child's episodes."""
    rhi = _require(db, rhi_id)
    with write_transaction(db):
        episodes = _check_episodes(db, episode_ids, rhi["id"])
        if any(e["child"] != rhi["child"] for e in episodes):
            raise RHIError("One interview can only cover episodes of the same child")
        db.conn.executemany("insert or ignore into rhi_episodes (rhi, episode) values (?, ?)",
                            [(rhi["id"], e["id"]) for e in episodes])
        _touch(db, rhi["id"])
        audit.record(db, "rhi.add_episodes", username=by, object_type="rhi", object_id=rhi_id,
                     detail={"episodes": [e["episode_id"] for e in episodes]})


def assign(db: sqlite_utils.Database, rhi_id: str, interviewer_type: str, assigned_to: str | None,
           *, assigned_install: str | None = None, by: str | None = None) -> None:
    """Decide who interviews: a social worker, a missing team worker or a named provider.

    ``assigned_install`` is the field install that holds the interview; assigning without one takes it back
    from any install it was sent to (the hub's next file to that install withdraws it).
    """
    if interviewer_type not in INTERVIEWER_TYPES:
        raise RHIError("Choose who should interview: the social worker, the missing team or a provider")
    rhi = _require(db, rhi_id)
    _refuse_if_signed_off(rhi)
    with write_transaction(db):
        db.execute("update return_home_interviews set interviewer_type = ?, assigned_to = ?, "
                   "assigned_install = ?, updated_at = ? where id = ?",
                   [interviewer_type, assigned_to, assigned_install, now_iso(), rhi["id"]])
        audit.record(db, "rhi.assign", username=by, object_type="rhi", object_id=rhi_id,
                     detail={"interviewer_type": interviewer_type, "assigned_to": assigned_to,
                             "assigned_install": assigned_install})


def record_offer(db: sqlite_utils.Database, rhi_id: str, offered_at: str, offered_how: str,
                 offered_by: str, *, by: str | None = None) -> None:
    """Record that the interview was offered: when (``YYYY-MM-DD HH:MM``), how and by whom."""
    if offered_how not in OFFER_METHODS:
        raise RHIError("Choose how the interview was offered")
    if not (offered_by or "").strip():
        raise RHIError("Enter who offered the interview")
    _parse_time(offered_at, "Enter the date and time the interview was offered")
    if offered_at > now().strftime("%Y-%m-%d %H:%M"):
        raise RHIError("The offer date and time must be in the past")
    rhi = _require(db, rhi_id)
    _refuse_if_signed_off(rhi)
    first_start = episodes_of(db, rhi["id"])[0]["start"]
    if offered_at < first_start:
        raise RHIError("The offer cannot be before the child went missing; check the date")
    with write_transaction(db):
        db.execute("update return_home_interviews set offered_at = ?, offered_how = ?, offered_by = ?, "
                   "status = case when status = 'open' then 'draft' else status end, updated_at = ? where id = ?",
                   [offered_at, offered_how, offered_by.strip(), now_iso(), rhi["id"]])
        audit.record(db, "rhi.offer", username=by, object_type="rhi", object_id=rhi_id,
                     detail={"offered_at": offered_at, "how": offered_how, "by": offered_by})


def record_outcome(db: sqlite_utils.Database, rhi_id: str, outcome: str, *, reason: str | None = None,
                   attempts: str | None = None, completed_at: str | None = None, by: str | None = None) -> None:
    """Record the outcome. Anything but ``completed`` needs a reason; an outcome needs an offer first."""
    if outcome not in OUTCOMES:
        raise RHIError("Choose the outcome of the offer")
    rhi = _require(db, rhi_id)
    _refuse_if_signed_off(rhi)
    if not rhi["offered_at"]:
        raise RHIError("Record the offer before the outcome")
    if outcome != "completed" and not (reason or "").strip():
        raise RHIError("Enter why the interview did not happen")
    if outcome == "completed" and completed_at:
        _parse_time(completed_at, "Enter the date and time the interview was held")
        if completed_at < rhi["offered_at"][:16]:
            raise RHIError("The interview cannot be held before it was offered; check the dates")
    with write_transaction(db):
        db.execute("update return_home_interviews set outcome = ?, outcome_reason = ?, attempts = ?, "
                   "completed_at = ?, status = case when status = 'open' then 'draft' else status end, "
                   "updated_at = ? where id = ?",
                   [outcome, (reason or "").strip() or None, (attempts or "").strip() or None,
                    completed_at if outcome == "completed" else None, now_iso(), rhi["id"]])
        audit.record(db, "rhi.outcome", username=by, object_type="rhi", object_id=rhi_id,
                     detail={"outcome": outcome, "reason": reason})


def _parse_time(text: str, message: str) -> datetime:
    try:
        return parse_minute(text)
    except (TypeError, ValueError):
        raise RHIError(message) from None


def _require(db, rhi_id: str) -> dict:
    rhi = get_rhi(db, rhi_id)
    if rhi is None:
        raise RHIError("That interview record could not be found; it may have been removed")
    return rhi


def _refuse_if_signed_off(rhi: dict) -> None:
    if rhi["status"] == "signed_off":
        raise RHIError("This interview is signed off and read-only. Make a correction to change it.")


def _touch(db, pk: int) -> None:
    db.execute("update return_home_interviews set updated_at = ? where id = ?", [now_iso(), pk])
