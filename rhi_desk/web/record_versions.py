"""Two people saving the same record: the second is told, shown what changed, and keeps what they typed.

Each child, episode and RHI has a ``version`` the database raises on every change (migration 0016). A form
carries, in the hidden ``opened`` field, the version and the values it was opened with; a save checks the
version inside the same write transaction as the change, so no save can slip between the check and the
write. On a mismatch nothing is saved: the page comes back with the person's own answers still in the
form, a list of what the other person changed, and a fresh ``opened`` so saving again is a deliberate
choice to keep their version.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from flask import g, request

from rhi_desk.db import write_transaction

TABLES = {
    # table: (key column, the query that reads the record by that key)
    "children": "child_id",
    "episodes": "episode_id",
    "return_home_interviews": "rhi_id",
}


@dataclass
class Changed:
    """Someone else saved the record since this form was opened."""

    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (label, when opened, now saved)
    by: str | None = None
    at: str | None = None
    opened: str = ""  # the new hidden value: saving again keeps this person's version
    columns: dict = field(default_factory=dict)  # column: (value when opened, value saved now)


def _current(db, table: str, key: str) -> dict | None:
    rows = list(db.query(f"select * from {table} where {TABLES[table]} = ?", [key]))
    return rows[0] if rows else None


def _show(value) -> str:
    if value is None or value == "":
        return "(blank)"
    if value in (0, 1) and isinstance(value, int):
        return "yes" if value else "no"
    return str(value)


def opened_value(record: dict, labels: dict[str, str]) -> str:
    """The hidden ``opened`` field for a form showing ``record``: its version and the labelled values."""
    snapshot = {"version": record.get("version", 1), "values": {k: record.get(k) for k in labels}}
    return base64.urlsafe_b64encode(json.dumps(snapshot, default=str).encode()).decode()


def _opened_from_form() -> dict | None:
    raw = request.form.get("opened")
    if not raw:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, TypeError):
        return None


def save_unless_changed(db, table: str, key: str, labels: dict[str, str], save) -> Changed | None:
    """Run ``save()`` unless the record changed since the form was opened; returns what changed, or None.

    A form without ``opened`` (an older page, the command line) saves as before. Domain errors raised by
    ``save`` pass through with nothing written.
    """
    opened = _opened_from_form()
    with write_transaction(db):
        current = _current(db, table, key)
        if opened is None or current is None or current.get("version", 1) == opened.get("version"):
            save()
            return None
    then = opened.get("values", {})
    changes = [(label, _show(then.get(column)), _show(current.get(column)))
               for column, label in labels.items() if _show(then.get(column)) != _show(current.get(column))]
    last = _last_change(db, table, key, current)
    columns = {column: (then.get(column), current.get(column)) for column in labels
               if _show(then.get(column)) != _show(current.get(column))}
    return Changed(changes, last.get("username"), last.get("at"), opened_value(current, labels), columns)


YES_NO_COLUMNS = {"looked_after", "other_la"}
FORM_FIELD = {"outcome_reason": "reason"}


def _as_answer(column: str, value) -> str:
    if column in YES_NO_COLUMNS and value is not None:
        return "yes" if value else "no"
    return "" if value is None else str(value)


def merge(form, changed: Changed) -> str:
    """Bring the other person's changes into ``form`` wherever this person left that answer as it was,
    so saving again loses neither person's work; where both changed an answer, this person's stays.
    Returns the ``opened`` value to render."""
    for column, (then, now) in changed.columns.items():
        answer = form._fields.get(FORM_FIELD.get(column, column))
        if answer is None or not hasattr(answer, "data") or isinstance(answer.data, (list, dict)):
            continue
        if (answer.data or "") == _as_answer(column, then):
            answer.data = _as_answer(column, now)
    return changed.opened


def _last_change(db, table: str, key: str, current: dict) -> dict:
    """Who made the newest change to the record (from the audit log), if another person did."""
    object_ids = [key]
    if table == "episodes":
        object_ids = [str(current.get("child"))]
        child = list(db.query("select child_id from children where id = ?", [current.get("child")]))
        object_ids = [child[0]["child_id"]] if child else object_ids
    rows = list(db.query(
        f"select username, at from audit_log where object_id in ({','.join('?' * len(object_ids))}) "
        "and action not like '%.view' and username is not ? order by id desc limit 1",
        [*object_ids, getattr(g, "user", None) and g.user["username"]]))
    return rows[0] if rows else {}


# What each form changes, in the words on the page (the list of changes uses them).
CHILD = {"name": "Full name", "date_of_birth": "Date of birth", "sex": "Sex", "looked_after": "Looked after",
         "placement": "Placement", "other_la": "Looked after by another council",
         "responsible_la": "Responsible council", "social_worker": "Allocated social worker",
         "risk_notes": "Risks to know about", "notes": "Notes"}
MISSING = {"start": "Last seen", "reported_by": "Reported by", "police_reference": "Police reference",
           "police_risk": "Police risk", "circumstances": "Circumstances"}
FOUND = {"end": "Found or returned", "found_where": "Where found", "found_by": "Who found the child",
         "found_how": "How the child came back"}
OFFER = {"offered_at": "Offered on", "offered_how": "How it was offered", "offered_by": "Offered by"}
OUTCOME = {"outcome": "Outcome", "outcome_reason": "Reason", "attempts": "Attempts", "completed_at": "Held on"}


def opened_for(record: dict, labels: dict[str, str]) -> str:
    """The ``opened`` value to render: the posted one while the same form goes round again, else fresh."""
    if request.method == "POST" and request.form.get("opened"):
        return request.form["opened"]
    return opened_value(record, labels)
