"""Sign-off, corrections with a reason, and the read-only revisions they leave."""
from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso, now_minute
from rhi_desk.db import write_transaction
from rhi_desk.interviews.navigation import answers_of, facts, visible_pages
from rhi_desk.interviews.page_answers import clean_question
from rhi_desk.interviews.questions import COLUMN_KEYS, PAGES, InterviewError, Page, page
from rhi_desk.interviews.saving import _refuse_if_signed_off, _require
from rhi_desk.interviews.summary import check_answers
from rhi_desk.register import rhi_tracking

# ---------------------------------------------------------------------------------------------
# Sign-off, corrections, revisions

DECLARATION = ("I confirm this is a true record of the interview (or of why it did not happen), "
               "written as soon as I could after it.")


def sign_off(db: sqlite_utils.Database, rhi_id: str, *, by: str, declaration: bool | str) -> dict:
    """Sign off the interview: records who and when; afterwards it is read-only."""
    rhi = _require(db, rhi_id)
    _refuse_if_signed_off(rhi)
    if not declaration or declaration in ("", "0", "no", "false"):
        message = "Confirm the declaration to sign off"
        raise InterviewError(message, {"declaration": message})
    summary = check_answers(rhi)
    if summary.missing:
        first = summary.missing[0]
        raise InterviewError(f"Answer '{first.title}' before signing off",
                             {"declaration": f"Answer '{first.title}' before signing off"})
    values = facts(rhi)
    if values.get("outcome") != rhi["outcome"]:
        raise InterviewError("Answer why the interview did not happen before signing off",
                             {"declaration": "Answer why the interview did not happen before signing off"})
    keep = {q.key for p in visible_pages(rhi) for q in p.questions if q.key not in COLUMN_KEYS}
    # Answers to follow-up questions that no longer apply are dropped, so the record says one thing.
    answers = {k: v for k, v in answers_of(rhi).items() if k in keep}
    stamp = now_minute()
    with write_transaction(db):
        db.execute("update return_home_interviews set answers = ?, status = 'signed_off', signed_off_by = ?, "
                   "signed_off_at = ?, resume_at = null, updated_at = ? where id = ?",
                   [json.dumps(answers, ensure_ascii=False, sort_keys=True), by, stamp, now_iso(), rhi["id"]])
        db.execute("delete from rhi_drafts where rhi = ?", [rhi["id"]])
        audit.record(db, "rhi.sign_off", username=by, object_type="rhi", object_id=rhi_id,
                     detail={"revision": rhi["revision"], "outcome": rhi["outcome"]})
    return rhi_tracking.get_rhi(db, rhi_id)


def correct(db: sqlite_utils.Database, rhi_id: str, reason: str, changes: dict, *, by: str) -> dict:
    """Correct a signed-off interview: a new revision with a reason; the earlier one kept read-only.

    ``changes`` holds answers by key (or the raw fields of one page). Only answers in the
    interview's own JSON can be corrected; the offer and outcome are changed on the register.
    """
    rhi = _require(db, rhi_id)
    if rhi["status"] != "signed_off":
        raise InterviewError("Only a signed-off interview is corrected; change the answers directly instead")
    values = facts(rhi)
    answers = answers_of(rhi)
    errors, cleaned = {}, {}
    # Every page, not only those asked so far: a corrected answer may call for a new follow-up.
    for p in PAGES.values():
        touched = [q for q in p.questions if q.key in changes or any(n.startswith(q.key + "-") for n in changes)
                   or (q.kind == "actions" and any(n.startswith("action-") for n in changes))]
        for q in touched:
            if q.key in COLUMN_KEYS or q.key == "outcome":
                errors[q.key] = "The offer and outcome cannot be corrected here; ask the missing team"
                continue
            try:
                cleaned[q.key] = clean_question(q, changes)
            except ValueError as exc:
                errors[q.key] = str(exc)
    # Follow-up answers count only where the corrected answers call for them.
    asked = {q.key for p in visible_pages(dict(rhi, answers=json.dumps(dict(answers, **cleaned))))
             for q in p.questions}
    errors = {k: v for k, v in errors.items() if k in asked or k in COLUMN_KEYS or k == "outcome"}
    cleaned = {k: v for k, v in cleaned.items() if k in asked}
    if not (reason or "").strip():
        errors["reason"] = "Enter why you are making this correction"
    if errors:
        raise InterviewError(next(iter(errors.values())), errors)
    changed = {k: v for k, v in cleaned.items() if values.get(k) != v}
    if not changed:
        raise InterviewError("Change at least one answer, or cancel the correction",
                             {next(iter(cleaned), "reason"): "Change at least one answer, or cancel the correction"})
    answers.update(changed)
    new_rhi = dict(rhi, answers=json.dumps(answers))
    keep = {q.key for p in visible_pages(new_rhi) for q in p.questions if q.key not in COLUMN_KEYS}
    missing = check_answers(new_rhi).missing
    if missing:
        raise InterviewError(f"Answer '{missing[0].title}' as well",
                             {missing[0].questions[0].key: f"Answer '{missing[0].title}' as well"})
    answers = {k: v for k, v in answers.items() if k in keep}
    stamp = now_iso()
    with write_transaction(db):
        db.execute("insert into rhi_revisions (rhi, revision, snapshot, reason, created_by, created_at) "
                   "values (?, ?, ?, ?, ?, ?)",
                   [rhi["id"], rhi["revision"], json.dumps(rhi, ensure_ascii=False, default=str),
                    reason.strip(), by, stamp])
        db.execute("update return_home_interviews set answers = ?, revision = revision + 1, updated_at = ? "
                   "where id = ?", [json.dumps(answers, ensure_ascii=False, sort_keys=True), stamp, rhi["id"]])
        audit.record(db, "rhi.correct", username=by, object_type="rhi", object_id=rhi_id,
                     detail={"revision": rhi["revision"] + 1, "reason": reason.strip(),
                             "changed": sorted(changed)})
    return rhi_tracking.get_rhi(db, rhi_id)


def follow_up_pages(slug: str) -> list[Page]:
    """Pages asked only because of an answer on page ``slug`` (corrected together with it)."""
    keys = {q.key for q in page(slug).questions}
    return [p for p in PAGES.values() if p.show_if and p.show_if[0] in keys]


@dataclass
class Revision:
    """One revision of a signed-off interview: the record as it was, and why it was replaced."""

    number: int
    record: dict
    current: bool
    replaced_reason: str | None = None
    replaced_by: str | None = None
    replaced_at: str | None = None


def revisions(db: sqlite_utils.Database, rhi_id: str) -> list[Revision]:
    """Every revision of the interview, newest first; the first is the current record."""
    rhi = _require(db, rhi_id)
    result = [Revision(rhi["revision"], rhi, True)]
    for row in db.query("select * from rhi_revisions where rhi = ? order by revision desc", [rhi["id"]]):
        try:
            record = json.loads(row["snapshot"])
        except ValueError:
            record = {}
        result.append(Revision(row["revision"], record, False, row["reason"], row["created_by"], row["created_at"]))
    return result


def revision(db: sqlite_utils.Database, rhi_id: str, number: int) -> Revision | None:
    """One revision of the interview by number, or None."""
    return next((r for r in revisions(db, rhi_id) if r.number == number), None)
