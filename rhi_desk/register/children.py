"""Children: creating, updating, finding and searching the council's child records."""
from __future__ import annotations

import re
from datetime import date

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now, now_iso
from rhi_desk.db import write_transaction
from rhi_desk.register.rules import PLACEMENTS, SEARCH_LIMIT, SEXES, RegisterError

# ---------------------------------------------------------------------------------------------
# Children

CHILD_FIELDS = ("name", "date_of_birth", "sex", "looked_after", "placement", "other_la", "responsible_la",
                "social_worker", "risk_notes", "notes")


def _clean_child(values: dict) -> dict:
    clean = {}
    name = (values.get("name") or "").strip()
    if not name:
        raise RegisterError("Enter the child's name", "name")
    clean["name"] = name
    dob = (values.get("date_of_birth") or "").strip() or None
    if dob:
        try:
            born = date.fromisoformat(dob)
        except ValueError:
            raise RegisterError("Date of birth must be a real date", "date_of_birth") from None
        if born > now().date():
            raise RegisterError("Date of birth must be in the past", "date_of_birth")
        if born.year < 1990:
            raise RegisterError("Date of birth must be after 1990; check the year", "date_of_birth")
        dob = born.isoformat()
    clean["date_of_birth"] = dob
    sex = values.get("sex") or None
    if sex is not None and sex not in SEXES:
        raise RegisterError("Choose the child's sex, or 'Not known'", "sex")
    clean["sex"] = sex
    looked_after = bool(values.get("looked_after"))
    placement = values.get("placement") or None
    if placement is not None and placement not in PLACEMENTS:
        raise RegisterError("Choose where the child is placed", "placement")
    if looked_after and placement is None:
        raise RegisterError("Choose where the looked-after child is placed", "placement")
    clean["looked_after"] = int(looked_after)
    clean["placement"] = placement if looked_after else None
    other_la = bool(values.get("other_la"))
    responsible_la = (values.get("responsible_la") or "").strip() or None
    if other_la and not responsible_la:
        raise RegisterError("Enter the council responsible for the child", "responsible_la")
    clean["other_la"] = int(other_la)
    clean["responsible_la"] = responsible_la if other_la else None
    for name_ in ("social_worker", "risk_notes", "notes"):
        clean[name_] = (values.get(name_) or "").strip() or None
    return clean


# A child's or episode's id is part of its page address (/children/<id>, /episodes/<id>): no slashes
# or spaces. The forms and the episode register import both hold ids to this one rule.
valid_id = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}").fullmatch
ID_RULE = "up to 40 letters, numbers, dots, dashes and underscores, starting with a letter or number"


def create_child(db: sqlite_utils.Database, child_id: str, *, by: str | None = None, **values) -> dict:
    """Add a child to the register under the council's child id; returns the child."""
    child_id = (child_id or "").strip()
    if not child_id:
        raise RegisterError("Enter the council's id for the child", "child_id")
    if not valid_id(child_id):
        raise RegisterError(f"The child's id can use {ID_RULE}", "child_id")
    clean = _clean_child(values)
    stamp = now_iso()
    with write_transaction(db):
        if get_child(db, child_id) is not None:
            raise RegisterError(f"There is already a child with id {child_id}. Search for them instead.",
                                "child_id")
        columns = ["child_id", *clean, "created_at", "updated_at"]
        db.execute(f"insert into children ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
                   [child_id, *clean.values(), stamp, stamp])
        audit.record(db, "child.create", username=by, object_type="child", object_id=child_id,
                     detail={k: v for k, v in clean.items() if k not in ("risk_notes", "notes")})
    return get_child(db, child_id)


def update_child(db: sqlite_utils.Database, child_id: str, *, by: str | None = None, **values) -> dict:
    """Change a child's details; the audit log keeps which fields changed, from what to what."""
    child = require_child(db, child_id)
    clean = _clean_child(values)
    changes = {k: [child[k], v] for k, v in clean.items() if child[k] != v}
    if not changes:
        return child
    with write_transaction(db):
        sets = ", ".join(f"{k} = ?" for k in changes)
        db.execute(f"update children set {sets}, updated_at = ? where id = ?",
                   [v[1] for v in changes.values()] + [now_iso(), child["id"]])
        audit.record(db, "child.update", username=by, object_type="child", object_id=child_id,
                     detail={k: (v if k not in ("risk_notes", "notes") else "changed") for k, v in changes.items()})
    return get_child(db, child_id)


def get_child(db: sqlite_utils.Database, child_id: str) -> dict | None:
    """The child with the council's id ``child_id``, or None."""
    rows = list(db.query("select * from children where child_id = ?", [child_id]))
    return rows[0] if rows else None


def require_child(db: sqlite_utils.Database, child_id: str) -> dict:
    """The child with id ``child_id``; a RegisterError if there is none."""
    child = get_child(db, child_id)
    if child is None:
        raise RegisterError(f"No child has the id {child_id}. Check the id or search by name.", "child_id")
    return child


def search_children(db: sqlite_utils.Database, query: str, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Children whose id is ``query`` or whose name starts with it (then contains it), best first."""
    query = (query or "").strip()
    if not query:
        return recent_children(db, limit)
    found: dict[int, dict] = {}
    for row in db.query("select * from children where child_id = ?", [query]):
        found[row["id"]] = row
    # A name-prefix search walks the NOCASE name index; escape LIKE's wildcards in what was typed.
    pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    for row in db.query("select * from children where name like ? escape '\\' order by name collate nocase "
                        "limit ?", [pattern + "%", limit]):
        found.setdefault(row["id"], row)
    if len(found) < limit:
        # Surnames: a word inside the name. This scans, but stops once it has enough.
        for row in db.query("select * from children where name like ? escape '\\' limit ?",
                            ["% " + pattern + "%", limit]):
            found.setdefault(row["id"], row)
    return list(found.values())[:limit]


def recent_children(db: sqlite_utils.Database, limit: int = SEARCH_LIMIT) -> list[dict]:
    """The children whose records changed most recently."""
    return list(db.query("select * from children where merged_into is null order by updated_at desc limit ?",
                         [limit]))
