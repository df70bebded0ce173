"""Referrals made for a child (from an interview or a meeting), with their outcomes, and short targeted
interventions offered to a child (offered, started, completed, declined), counted against later episodes."""
from __future__ import annotations

from datetime import date

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import write_transaction
from rhi_desk.register.children import require_child
from rhi_desk.register.rules import RegisterError, _minute

REFERRAL_KINDS = {
    "social_worker": "The child's social worker or the MASH",
    "exploitation_panel": "The CSE/CCE (exploitation) panel",
    "nrm": "The National Referral Mechanism (trafficking, modern slavery)",
    "police_intelligence": "Police intelligence",
    "health": "Health services",
    "education": "Education",
    "targeted_intervention": "A targeted intervention service",
}
# The interview's referral choices (interviews.questions.REFERRALS) as the kinds above.
RHI_REFERRAL_KINDS = {
    "police_intelligence": "police_intelligence",
    "cse_cce_panel": "exploitation_panel",
    "health": "health",
    "camhs": "health",
    "early_help": "targeted_intervention",
    "substance_service": "targeted_intervention",
}
INTERVENTION_STATUSES = {"offered": "Offered", "started": "Started", "completed": "Completed",
                         "declined": "Declined"}
TEXT_LIMIT = 2000


class ReferralError(RegisterError):
    """A problem with a referral or an intervention; the message says what to do (``field`` names the question)."""


def _text(value, limit=TEXT_LIMIT) -> str | None:
    value = (value or "").strip()
    if len(value) > limit:
        raise ReferralError(f"Keep it to {limit} characters or fewer")
    return value or None


def _day(value, message: str, field: str) -> str:
    try:
        return date.fromisoformat(str(value or "").strip()[:10]).isoformat()
    except ValueError:
        raise ReferralError(message, field) from None


def record_referral(db: sqlite_utils.Database, child_id: str, kind: str, *, made_at: str, made_by: str,
                    episode_pk: int | None = None, rhi_pk: int | None = None, rhi_code: str | None = None,
                    meeting_pk: int | None = None, details: str | None = None, by: str | None = None) -> dict:
    """Record a referral made for a child (when, by whom, to which service); audited."""
    if kind not in REFERRAL_KINDS:
        raise ReferralError("Choose who the referral was made to", "kind")
    made_at = _minute(made_at, "Enter the date and time the referral was made", "made_at")
    made_by = _text(made_by, 200)
    if not made_by:
        raise ReferralError("Enter who made the referral", "made_by")
    details = _text(details)
    with write_transaction(db):
        child = require_child(db, child_id)
        stamp = now_iso()
        if rhi_pk is not None and rhi_code and list(db.query(
                "select 1 from referrals where rhi = ? and rhi_code = ?", [rhi_pk, rhi_code])):
            raise ReferralError("That referral from the interview is already recorded", "kind")
        pk = db.execute(
            "insert into referrals (child, episode, rhi, rhi_code, meeting, kind, made_at, made_by, details, "
            "created_by, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [child["id"], episode_pk, rhi_pk, rhi_code, meeting_pk, kind, made_at, made_by, details, by,
             stamp, stamp]).lastrowid
        audit.record(db, "referral.made", username=by, object_type="child", object_id=child["child_id"],
                     detail={"referral": pk, "kind": kind, "made_at": made_at, "made_by": made_by,
                             "rhi_code": rhi_code})
    return get_referral(db, pk)


def get_referral(db: sqlite_utils.Database, pk: int) -> dict | None:
    """One referral with its child's id, or None."""
    rows = list(db.query("select f.*, c.child_id, c.name from referrals f join children c on c.id = f.child "
                         "where f.id = ?", [pk]))
    return rows[0] if rows else None


def record_referral_outcome(db: sqlite_utils.Database, pk: int, outcome: str, *, outcome_at: str,
                            by: str | None = None) -> dict:
    """Record what came of a referral (accepted, a plan, no further action…) and when; audited."""
    outcome = _text(outcome)
    if not outcome:
        raise ReferralError("Enter what came of the referral", "outcome")
    outcome_at = _day(outcome_at, "Enter the date the outcome was known, for example 3 4 2017", "outcome_at")
    with write_transaction(db):
        referral = get_referral(db, pk)
        if referral is None:
            raise ReferralError("That referral is not on the register")
        if outcome_at < referral["made_at"][:10]:
            raise ReferralError("The outcome cannot be known before the referral was made", "outcome_at")
        db.execute("update referrals set outcome = ?, outcome_at = ?, updated_at = ? where id = ?",
                   [outcome, outcome_at, now_iso(), pk])
        audit.record(db, "referral.outcome", username=by, object_type="child", object_id=referral["child_id"],
                     detail={"referral": pk, "outcome_at": outcome_at, "was": referral["outcome"]})
    return get_referral(db, pk)


def referrals_for_child(db: sqlite_utils.Database, child_pk: int) -> list[dict]:
    """A child's referrals, newest first."""
    return list(db.query("select f.*, r.rhi_id from referrals f left join return_home_interviews r on r.id = f.rhi "
                         "where f.child = ? order by f.made_at desc, f.id desc", [child_pk]))


# ---------------------------------------------------------------------------------------------
# Short targeted interventions


def offer_intervention(db: sqlite_utils.Database, child_id: str, name: str, *, offered_on: str,
                       notes: str | None = None, by: str | None = None) -> dict:
    """Record an intervention offered to a child (a short piece of targeted work); audited."""
    name = _text(name, 200)
    if not name:
        raise ReferralError("Enter the intervention offered, for example 'Safer choices (6 sessions)'", "name")
    offered_on = _day(offered_on, "Enter the date it was offered, for example 3 4 2017", "offered_on")
    with write_transaction(db):
        child = require_child(db, child_id)
        stamp = now_iso()
        pk = db.execute("insert into interventions (child, name, status, offered_on, notes, created_by, created_at, "
                        "updated_at) values (?, ?, 'offered', ?, ?, ?, ?, ?)",
                        [child["id"], name, offered_on, _text(notes), by, stamp, stamp]).lastrowid
        audit.record(db, "intervention.offered", username=by, object_type="child", object_id=child["child_id"],
                     detail={"intervention": pk, "name": name, "offered_on": offered_on})
    return get_intervention(db, pk)


def get_intervention(db: sqlite_utils.Database, pk: int) -> dict | None:
    """One intervention with its child's id, or None."""
    rows = list(db.query("select i.*, c.child_id from interventions i join children c on c.id = i.child "
                         "where i.id = ?", [pk]))
    return rows[0] if rows else None


_NEXT = {"offered": ("started", "declined"), "started": ("completed",), "completed": (), "declined": ()}


def move_intervention(db: sqlite_utils.Database, pk: int, status: str, *, on: str, by: str | None = None) -> dict:
    """Move an intervention on: offered → started or declined, started → completed; audited."""
    on = _day(on, "Enter the date, for example 3 4 2017", "on")
    with write_transaction(db):
        item = get_intervention(db, pk)
        if item is None:
            raise ReferralError("That intervention is not on the register")
        if status not in _NEXT[item["status"]]:
            allowed = " or ".join(INTERVENTION_STATUSES[s].lower() for s in _NEXT[item["status"]])
            raise ReferralError(f"An intervention that is {item['status']} can only be {allowed}" if allowed
                                else f"This intervention is {item['status']}: it cannot change now", "status")
        if on < item["offered_on"] or (item["started_on"] and on < item["started_on"]):
            raise ReferralError("That date is before the intervention was offered or started", "on")
        column = "started_on" if status == "started" else "ended_on"
        db.execute(f"update interventions set status = ?, {column} = ?, updated_at = ? where id = ?",
                   [status, on, now_iso(), pk])
        audit.record(db, f"intervention.{status}", username=by, object_type="child", object_id=item["child_id"],
                     detail={"intervention": pk, "on": on})
    return get_intervention(db, pk)


def interventions_for_child(db: sqlite_utils.Database, child_pk: int) -> list[dict]:
    """A child's interventions, newest first."""
    return list(db.query("select * from interventions where child = ? order by offered_on desc, id desc",
                         [child_pk]))


def intervention_outcomes(db: sqlite_utils.Database) -> list[dict]:
    """For each status: interventions, children, and how many of those children went missing again after it
    (after it ended for completed and declined ones, after the offer or the start otherwise), and the episodes."""
    rows = list(db.query("""
        select i.status, count(*) as interventions, count(distinct i.child) as children,
               count(distinct case when exists (select 1 from episodes e where e.child = i.child
                     and e.start > coalesce(i.ended_on, i.started_on, i.offered_on) || ' 23:59') then i.child end)
                 as children_missing_after,
               sum((select count(*) from episodes e where e.child = i.child
                    and e.start > coalesce(i.ended_on, i.started_on, i.offered_on) || ' 23:59')) as episodes_after
        from interventions i group by i.status"""))
    by_status = {r["status"]: r for r in rows}
    return [{"status": s, "label": label, **{k: (by_status.get(s) or {}).get(k) or 0 for k in
             ("interventions", "children", "children_missing_after", "episodes_after")}}
            for s, label in INTERVENTION_STATUSES.items()]
