"""Saving an interview page by page (and the background draft while typing); where to carry on."""
from __future__ import annotations

import json
import re

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import write_transaction
from rhi_desk.interviews.navigation import (
    answers_of,
    facts,
    first_unanswered,
    is_visible,
    page_complete,
)
from rhi_desk.interviews.page_answers import clean_page, datetime_parts
from rhi_desk.interviews.questions import (
    ACTION_ROWS_SPARE,
    INTERVIEWER_TYPES,
    ROWS_SPARE,
    NOT_COMPLETED,
    PAGES,
    InterviewError,
    Page,
    page,
)
from rhi_desk.register import rhi_tracking
from rhi_desk.register.corrections import NOT_DONE_CODES
from rhi_desk.register.rhi_tracking import RHIError

# ---------------------------------------------------------------------------------------------
# Saving


def _require(db, rhi_id: str) -> dict:
    rhi = rhi_tracking.get_rhi(db, rhi_id)
    if rhi is None:
        raise InterviewError("That interview could not be found; it may have been removed")
    return rhi


def _refuse_if_signed_off(rhi: dict) -> None:
    if rhi["status"] == "signed_off":
        raise InterviewError("This interview is signed off and read-only. Make a correction to change it.")


def _write_answers(db, rhi: dict, answers: dict, *, resume_at: str | None) -> None:
    db.execute("update return_home_interviews set answers = ?, resume_at = coalesce(?, resume_at), "
               "status = case when status = 'open' then 'draft' else status end, updated_at = ? where id = ?",
               [json.dumps(answers, ensure_ascii=False, sort_keys=True), resume_at, now_iso(), rhi["id"]])


def save_page(db: sqlite_utils.Database, rhi_id: str, page_slug: str, answers: dict, *, by: str | None) -> dict:
    """Check and save one page's answers (raw form fields), remembering it as the place to resume.

    Raises InterviewError (with ``errors`` by question) when something needs fixing; what was
    typed is then kept as a draft of the page so nothing is lost.
    """
    p = page(page_slug)
    rhi = _require(db, rhi_id)
    _refuse_if_signed_off(rhi)
    try:
        values = clean_page(p, answers)
        with write_transaction(db):
            _apply(db, rhi, p, values, by=by)
            db.execute("delete from rhi_drafts where rhi = ? and page = ?", [rhi["id"], p.slug])
    except InterviewError:
        autosave(db, rhi_id, page_slug, answers, by=by)
        raise
    except RHIError as exc:
        autosave(db, rhi_id, page_slug, answers, by=by)
        raise InterviewError(str(exc), {_field_for(p, str(exc)): str(exc)}) from None
    return rhi_tracking.get_rhi(db, rhi_id)


def _field_for(p: Page, message: str) -> str:
    text = message.lower()
    for q in p.questions:
        if q.kind == "datetime" and ("date" in text or "held" in text or "offer" in text):
            return q.key
    return p.questions[0].key


HUB_OFFER = ("The missing team at the hub recorded this offer, so it cannot be changed here. "
             "If it is wrong, ask them to correct it.")


NOT_DONE_MISMATCH = ("That reason does not fit what happened: choose a reason for what happened (or Other), "
                     "or go back and change what happened")


def _apply(db, rhi: dict, p: Page, values: dict, *, by: str | None) -> None:
    answers = answers_of(rhi)
    if p.slug == "offer" and rhi.get("offer_from_hub"):
        raise InterviewError(HUB_OFFER, {"offered_at": HUB_OFFER})
    if p.slug == "offer":
        rhi_tracking.record_offer(db, rhi["rhi_id"], values["offered_at"], values["offered_how"],
                                  values["offered_by"], by=by)
    elif p.slug == "outcome":
        answers["outcome"] = values["outcome"]
        if values["outcome"] == "completed":
            held = answers.get("held_at")
            rhi_tracking.record_outcome(db, rhi["rhi_id"], "completed",
                                        completed_at=held if held and held >= (rhi["offered_at"] or "") else None,
                                        by=by)
    elif p.slug == "not_done":
        outcome = answers.get("outcome") or rhi["outcome"]
        if outcome not in NOT_COMPLETED:
            raise InterviewError("Choose what happened first", {"outcome_reason": "Choose what happened first"})
        code = values.get("not_done_code")
        implied = NOT_DONE_CODES.get(code, (None, None))[1]
        if code and code != "other" and implied != outcome:
            raise InterviewError(NOT_DONE_MISMATCH, {"not_done_code": NOT_DONE_MISMATCH})
        rhi_tracking.record_outcome(db, rhi["rhi_id"], outcome, reason=values["outcome_reason"],
                                    attempts=values["attempts"], by=by)
        answers["not_done_code"] = code
    else:
        answers.update(values)
        if p.slug == "held":
            rhi_tracking.record_outcome(db, rhi["rhi_id"], "completed", completed_at=values["held_at"], by=by)
    fresh = rhi_tracking.get_rhi(db, rhi["rhi_id"])
    _write_answers(db, fresh, answers, resume_at=p.slug)
    audit.record(db, "rhi.save_page", username=by, object_type="rhi", object_id=rhi["rhi_id"],
                 detail={"page": p.slug})


def fill_interviewer(db: sqlite_utils.Database, rhi_id: str, name: str, interviewer_type: str | None, *,
                     by: str | None) -> bool:
    """Answer "Who held the interview" from the signed-in user and the assignment, unless already answered.

    Returns True when it was filled (the page is then not asked; check answers can still change it).
    """
    rhi = _require(db, rhi_id)
    answers = answers_of(rhi)
    if answers.get("interviewer_name") or not name or interviewer_type not in INTERVIEWER_TYPES:
        return False
    with write_transaction(db):
        answers.update({"interviewer_name": name, "interviewer_type": interviewer_type})
        _write_answers(db, rhi, answers, resume_at=None)
        audit.record(db, "rhi.save_page", username=by, object_type="rhi", object_id=rhi_id,
                     detail={"page": "interviewer", "from": "the assignment and the signed-in user"})
    return True


def autosave(db: sqlite_utils.Database, rhi_id: str, page_slug: str, partial_answers: dict, *,
             by: str | None) -> None:
    """Keep what is typed on a page as a draft, unchecked (the background save while typing)."""
    if page_slug not in PAGES:
        raise InterviewError("That page of the interview does not exist")
    rhi = _require(db, rhi_id)
    _refuse_if_signed_off(rhi)
    fields = {k: (list(v) if isinstance(v, (list, tuple)) else [v]) for k, v in partial_answers.items()
              if k not in ("csrf_token", "submit", "_autosave") and not k.startswith("_")}
    with write_transaction(db):
        db.execute("insert into rhi_drafts (rhi, page, fields_json, saved_by, saved_at) values (?, ?, ?, ?, ?) "
                   "on conflict (rhi, page) do update set fields_json = excluded.fields_json, "
                   "saved_by = excluded.saved_by, saved_at = excluded.saved_at",
                   [rhi["id"], page_slug, json.dumps(fields, ensure_ascii=False), by, now_iso()])
        db.execute("update return_home_interviews set resume_at = ?, "
                   "status = case when status = 'open' then 'draft' else status end, updated_at = ? where id = ?",
                   [page_slug, now_iso(), rhi["id"]])


def draft_for(db: sqlite_utils.Database, rhi: dict, page_slug: str) -> dict | None:
    """What was typed on a page but not yet saved (field name → list of values), or None."""
    rows = list(db.query("select fields_json from rhi_drafts where rhi = ? and page = ?", [rhi["id"], page_slug]))
    return json.loads(rows[0]["fields_json"]) if rows else None


def form_values(db: sqlite_utils.Database, rhi: dict, page_slug: str) -> dict:
    """What to show in a page's boxes: the draft if one is waiting, else the saved answers as form fields."""
    draft = draft_for(db, rhi, page_slug)
    if draft is not None:
        return draft
    values = facts(rhi)
    fields: dict[str, list[str]] = {}
    for q in page(page_slug).questions:
        value = values.get(q.key)
        if value is None:
            continue
        if q.kind == "datetime":
            for part, text in datetime_parts(value).items():
                fields[f"{q.key}-{part}"] = [text]
        elif q.kind == "checkboxes":
            fields[q.key] = ([q.none_option] if value == list(q.none_stores) else list(value))
        elif q.kind == "rows":
            for n, row in enumerate(value or [], start=1):
                for name, _label, _choices in q.columns:
                    fields[f"{q.key}-{n}-{name}"] = [str(row.get(name) or "")]
        elif q.kind == "actions":
            for n, a in enumerate(value or [], start=1):
                fields[f"action-{n}"] = [a.get("action", "")]
                fields[f"owner-{n}"] = [a.get("owner", "")]
                due = (a.get("due") or "").split("-")
                if len(due) == 3:
                    fields[f"due-{n}-year"], fields[f"due-{n}-month"], fields[f"due-{n}-day"] = (
                        [due[0]], [str(int(due[1]))], [str(int(due[2]))])
                if a.get("done"):
                    fields[f"done-{n}"] = ["1"]
        else:
            fields[q.key] = [str(value)]
    return fields


def action_rows(values: dict) -> int:
    """How many rows the follow-up actions page shows: those filled in plus two spare."""
    numbers = [int(m.group(1)) for name in values for m in [re.match(r"^action-(\d+)$", name)] if m]
    return max(numbers, default=0) + ACTION_ROWS_SPARE


def row_count(key: str, values: dict) -> int:
    """How many rows a places or people page shows: those filled in plus two spare."""
    numbers = [int(m.group(1)) for name in values for m in [re.match(rf"^{re.escape(key)}-(\d+)-", name)] if m]
    return max(numbers, default=0) + ROWS_SPARE


def resume_page(db: sqlite_utils.Database, rhi: dict) -> str | None:
    """Where the practitioner carries on: the page they were typing on, else the next unanswered page."""
    if rhi["status"] == "signed_off":
        return None
    if rhi.get("resume_at") and rhi["resume_at"] in PAGES and is_visible(rhi, rhi["resume_at"]):
        if draft_for(db, rhi, rhi["resume_at"]) is not None:
            return rhi["resume_at"]
        if not page_complete(PAGES[rhi["resume_at"]], facts(rhi)):
            return rhi["resume_at"]
    return first_unanswered(rhi)
