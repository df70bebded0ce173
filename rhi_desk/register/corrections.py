"""Corrections to the register, each audited with a reason: void a duplicate episode, reopen one closed in error,
correct an episode's looked-after / OLA / placement status, and record why an RHI was not done from a coded list.

Nothing is deleted or overwritten silently: the audit log keeps who, when, what it was and why, and
the register's history (migration 0012) keeps the figures as they stood before the correction.
"""
from __future__ import annotations

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import write_transaction
from rhi_desk.register import rhi_tracking
from rhi_desk.register.episodes import require_episode
from rhi_desk.register.rules import PLACEMENTS, RegisterError

# Why an RHI was not done, and the outcome each reason records.
NOT_DONE_CODES = {
    "declined_by_child": ("Declined by the child", "declined"),
    "parent_carer_refused": ("Parent or carer refused", "declined"),
    "could_not_contact": ("Could not be contacted", "unavailable"),
    "missing_again": ("Missing again before it could happen", "missing_again"),
    "moved_out_of_area": ("Moved out of the area", "unavailable"),
    "other": ("Other (say why)", "unavailable"),
}


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise RegisterError("Enter why you are making this correction", "reason")
    return text


def void_episode(db: sqlite_utils.Database, episode_id: str, *, reason: str, by: str | None = None) -> dict:
    """Void an episode recorded twice or in error: kept, shown struck through, counted nowhere."""
    reason = _reason(reason)
    with write_transaction(db):
        episode = require_episode(db, episode_id)
        if episode["voided_at"]:
            raise RegisterError(f"Episode {episode_id} is already voided")
        stamp = now_iso()
        db.execute("update episodes set voided_at = ?, voided_by = ?, void_reason = ?, updated_at = ? where id = ?",
                   [stamp, by, reason, stamp, episode["id"]])
        audit.record(db, "episode.void", username=by, object_type="child", object_id=episode["child_id"],
                     detail={"episode": episode_id, "reason": reason})
    return require_episode(db, episode_id)


def restore_episode(db: sqlite_utils.Database, episode_id: str, *, reason: str, by: str | None = None) -> dict:
    """Undo a void made in error: the episode counts again everywhere, from now on.

    The void and its undoing both stay in the audit log and in the register's history, so figures as
    recorded on a day while it was voided still leave it out (``reports.kpi.as_recorded_on``).
    """
    reason = _reason(reason)
    with write_transaction(db):
        episode = require_episode(db, episode_id)
        if not episode["voided_at"]:
            raise RegisterError(f"Episode {episode_id} is not voided: there is nothing to undo")
        db.execute("update episodes set voided_at = null, voided_by = null, void_reason = null, updated_at = ? "
                   "where id = ?", [now_iso(), episode["id"]])
        audit.record(db, "episode.restore", username=by, object_type="child", object_id=episode["child_id"],
                     detail={"episode": episode_id, "reason": reason})
    return require_episode(db, episode_id)


def reopen_episode(db: sqlite_utils.Database, episode_id: str, *, reason: str, by: str | None = None) -> dict:
    """Reopen an episode whose return was recorded in error: the child is missing again from the same episode.

    The RHI opened for the return stays, to be offered when the child is found.
    """
    reason = _reason(reason)
    with write_transaction(db):
        episode = require_episode(db, episode_id)
        if episode["voided_at"]:
            raise RegisterError(f"Episode {episode_id} is voided; it cannot be reopened")
        if episode["end"] is None:
            raise RegisterError(f"Episode {episode_id} is still open: there is no return to undo")
        later = db.execute("select episode_id from episodes where child = ? and id != ? and start >= ? "
                           "and voided_at is null order by start limit 1",
                           [episode["child"], episode["id"], episode["start"]]).fetchone()
        if later:
            raise RegisterError(f"Episode {later[0]} started after this one, so this one cannot be open again. "
                                f"Correct or void that episode first.")
        db.execute('update episodes set "end" = null, found_where = null, found_by = null, found_how = null, '
                   "updated_at = ? where id = ?", [now_iso(), episode["id"]])
        audit.record(db, "episode.reopen", username=by, object_type="child", object_id=episode["child_id"],
                     detail={"episode": episode_id, "was_end": episode["end"], "reason": reason})
    return require_episode(db, episode_id)


def correct_status(db: sqlite_utils.Database, episode_id: str, *, looked_after: bool, other_la: bool,
                   placement: str | None, reason: str, by: str | None = None) -> dict:
    """Correct the child's status *during* the episode: looked after or not, OLA or not, and the placement."""
    reason = _reason(reason)
    placement = placement or None
    if looked_after and placement not in PLACEMENTS:
        raise RegisterError("Choose where the child was placed during the episode", "placement")
    if not looked_after:
        placement = None
        if other_la:
            raise RegisterError("A child looked after by another council is looked after: choose looked after",
                                "looked_after")
    with write_transaction(db):
        episode = require_episode(db, episode_id)
        new = {"looked_after": int(bool(looked_after)), "other_la": int(bool(other_la)), "placement": placement}
        changes = {k: [episode[k], v] for k, v in new.items() if episode[k] != v}
        if not changes:
            raise RegisterError("Nothing changed: the episode already has that status")
        db.execute("update episodes set looked_after = ?, other_la = ?, placement = ?, updated_at = ? where id = ?",
                   [new["looked_after"], new["other_la"], placement, now_iso(), episode["id"]])
        audit.record(db, "episode.status_correction", username=by, object_type="child",
                     object_id=episode["child_id"], detail={"episode": episode_id, "changes": changes,
                                                             "reason": reason})
    return require_episode(db, episode_id)


def record_not_done(db: sqlite_utils.Database, rhi_id: str, code: str, *, text: str | None = None,
                    by: str | None = None) -> dict:
    """Record why an RHI was not done, from :data:`NOT_DONE_CODES`; sets the matching outcome.

    "Other" needs the reason in words; any reason may say more in ``text``.
    """
    if code not in NOT_DONE_CODES:
        raise RegisterError("Choose why the interview was not done", "code")
    text = (text or "").strip() or None
    if code == "other" and not text:
        raise RegisterError("Say why the interview was not done", "text")
    label, outcome = NOT_DONE_CODES[code]
    rhi = rhi_tracking.get_rhi(db, rhi_id)
    if rhi is None:
        raise RegisterError("That interview record could not be found; it may have been removed")
    if rhi["status"] == "signed_off":
        raise RegisterError("This interview is signed off and read-only. Make a correction to change it.")
    if outcome == "declined" and not rhi["offered_at"]:
        raise RegisterError("Record the offer first: only an offered interview can be declined")
    with write_transaction(db):
        db.execute("update return_home_interviews set outcome = ?, not_done_code = ?, outcome_reason = ?, "
                   "completed_at = null, status = case when status = 'open' then 'draft' else status end, "
                   "updated_at = ? where id = ?", [outcome, code, text or label, now_iso(), rhi["id"]])
        audit.record(db, "rhi.not_done", username=by, object_type="rhi", object_id=rhi_id,
                     detail={"code": code, "outcome": outcome, "text": text})
    return rhi_tracking.get_rhi(db, rhi_id)
