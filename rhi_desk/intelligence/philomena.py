"""The Philomena Protocol profile of a looked-after child: what the police need the moment the child is
reported missing (description, photo, phone numbers, associates, places they go), printable.

The photo is kept in the database (never a file beside it) and served only to those allowed to see the
child. Associates and places the register links to the child are shown beside what the carer wrote.
"""
from __future__ import annotations

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import write_transaction
from rhi_desk.intelligence.places_people import IntelligenceError, title

TEXT_FIELDS = {"description": ("Description", 2000), "phones": ("Phone numbers and social media", 1000),
               "associates": ("Associates", 2000), "places": ("Places the child is known to go", 2000)}
MAX_PHOTO = 2 * 1024 * 1024
_SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def profile(db, child_pk: int) -> dict | None:
    """The child's profile (without the photo's bytes), or None if none was written."""
    rows = list(db.query("select child, description, phones, associates, places, photo_type, photo_added_at, "
                         "updated_by, updated_at, photo is not null as has_photo from intel_philomena where child = ?",
                         [child_pk]))
    return rows[0] if rows else None


def photo(db, child_pk: int) -> tuple[bytes, str] | None:
    """The photo's bytes and type, or None."""
    row = db.execute("select photo, photo_type from intel_philomena where child = ? and photo is not null",
                     [child_pk]).fetchone()
    return (row[0], row[1]) if row else None


def photo_type(data: bytes) -> str:
    """The photo's type from its first bytes; raises IntelligenceError for anything but a JPEG or PNG."""
    if not data:
        raise IntelligenceError("The photo file is empty; choose a JPEG or PNG photo")
    if len(data) > MAX_PHOTO:
        raise IntelligenceError("The photo must be smaller than 2 MB; choose a smaller photo")
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            return kind
    raise IntelligenceError("The photo must be a JPEG or PNG file")


def save(db: sqlite_utils.Database, child_pk: int, fields: dict, *, by: str, photo_bytes: bytes | None = None,
         remove_photo: bool = False) -> None:
    """Write the profile (all-or-nothing, the photo checked first); audited."""
    values = {}
    for key, (label, limit) in TEXT_FIELDS.items():
        text = (fields.get(key) or "").replace("\r\n", "\n").strip()
        if len(text) > limit:
            raise IntelligenceError(f"{label} must be {limit} characters or fewer")
        values[key] = text
    kind = photo_type(photo_bytes) if photo_bytes is not None else None
    row = db.execute("select looked_after, child_id from children where id = ?", [child_pk]).fetchone()
    if row is None:
        raise IntelligenceError("That child is not on the register")
    stamp = now_iso()
    with write_transaction(db):
        db.execute("insert or ignore into intel_philomena (child, updated_by, updated_at) values (?, ?, ?)",
                   [child_pk, by, stamp])
        db.execute("update intel_philomena set description = ?, phones = ?, associates = ?, places = ?, "
                   "updated_by = ?, updated_at = ? where child = ?", [*values.values(), by, stamp, child_pk])
        if kind:
            db.execute("update intel_philomena set photo = ?, photo_type = ?, photo_added_at = ? where child = ?",
                       [photo_bytes, kind, stamp, child_pk])
        elif remove_photo:
            db.execute("update intel_philomena set photo = null, photo_type = null, photo_added_at = null "
                       "where child = ?", [child_pk])
        audit.record(db, "intelligence.philomena_saved", username=by, object_type="child", object_id=row[1],
                     detail={"photo": "added" if kind else "removed" if remove_photo else "unchanged"})


def linked(db, child_pk: int) -> dict[str, list[dict]]:
    """The places and people the register links to the child, most recent first, for the profile."""
    found = {"place": [], "person": []}
    for row in db.query(
            "select e.*, count(*) as times, max(m.seen_on) as last_seen from intel_mentions m "
            "join intel_entities e on e.id = m.entity where m.child = ? group by e.id order by last_seen desc",
            [child_pk]):
        row["title"] = title(row)
        found[row["kind"]].append(row)
    return found
