"""Police data as police use it: the police reference or CAD number, the crime reference and the COMPACT
record as separate fields; the College of Policing risk levels (very low, low, medium, high) with every
regrading kept; where the child was missing from and where found, as a place or postcode and a type of place."""
from __future__ import annotations

import re

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now, now_iso, parse_minute
from rhi_desk.db import write_transaction
from rhi_desk.register.episodes import require_episode
from rhi_desk.register.rules import RegisterError, _minute

# The College of Policing's levels. The register's police_risk column keeps 'no_apparent' for the lowest,
# the name the level had before the College renamed it 'very low'.
RISK_LEVELS = {"very_low": "Very low", "low": "Low", "medium": "Medium", "high": "High"}
TO_COLUMN = {"very_low": "no_apparent", "low": "low", "medium": "medium", "high": "high"}
FROM_COLUMN = {v: k for k, v in TO_COLUMN.items()}
PLACE_TYPES = {
    "home": "Home (parent or family)",
    "foster": "Foster placement",
    "childrens_home": "Children's home",
    "supported": "Supported or semi-independent accommodation",
    "school": "School or college",
    "friend": "A friend's or partner's address",
    "relative": "A relative's address",
    "public": "A public place (street, park, shops)",
    "transport": "Transport (station, bus, train)",
    "hospital": "Hospital",
    "police": "Police station or custody",
    "other": "Somewhere else",
}
REFERENCES = ("police_reference", "crime_reference", "compact_reference")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?( ?[0-9][A-Z]{2})?$")  # a full postcode or its district
TEXT_LIMIT = 100


def current_grade(episode: dict) -> str | None:
    """The episode's police risk now, as a College of Policing level (or None if not graded)."""
    return FROM_COLUMN.get(episode.get("police_risk") or "")


def _clean(value: str | None, what: str, field: str) -> str | None:
    value = (value or "").strip()
    if len(value) > TEXT_LIMIT:
        raise RegisterError(f"The {what} must be {TEXT_LIMIT} characters or fewer", field)
    return value or None


def _postcode(value: str | None, field: str) -> str | None:
    value = re.sub(r"\s+", " ", (value or "").strip().upper())
    if value and not _POSTCODE.match(value):
        raise RegisterError("Enter a postcode like CR0 1AB, or its district like CR0", field)
    return value or None


def record_police_details(db: sqlite_utils.Database, episode_id: str, *, by: str | None = None,
                          **values) -> dict:
    """Record the police references and where the child was missing from and found; audited (what changed)."""
    clean = {}
    for ref, words in zip(REFERENCES, ("police reference or CAD number", "crime reference", "COMPACT reference")):
        if ref in values:
            clean[ref] = _clean(values[ref], words, ref)
    for prefix in ("missing_from", "found"):
        if f"{prefix}_place" in values:
            clean[f"{prefix}_place"] = _clean(values[f"{prefix}_place"], "place", f"{prefix}_place")
        if f"{prefix}_postcode" in values:
            clean[f"{prefix}_postcode"] = _postcode(values[f"{prefix}_postcode"], f"{prefix}_postcode")
        if f"{prefix}_type" in values:
            kind = values[f"{prefix}_type"] or None
            if kind is not None and kind not in PLACE_TYPES:
                raise RegisterError("Choose the type of place", f"{prefix}_type")
            clean[f"{prefix}_type"] = kind
    with write_transaction(db):
        episode = require_episode(db, episode_id)
        if episode["end"] is None and any(clean.get(k) for k in ("found_place", "found_postcode", "found_type")):
            raise RegisterError("Record where the child was found once they are found", "found_place")
        changes = {k: [episode.get(k), v] for k, v in clean.items() if episode.get(k) != v}
        if changes:
            db.execute(f"update episodes set {', '.join(f'{k} = ?' for k in changes)}, updated_at = ? where id = ?",
                       [v[1] for v in changes.values()] + [now_iso(), episode["id"]])
            audit.record(db, "episode.police_details", username=by, object_type="child",
                         object_id=episode["child_id"], detail={"episode": episode_id, "changes": changes})
    return require_episode(db, episode_id)


def regrade(db: sqlite_utils.Database, episode_id: str, grade: str, *, graded_at: str, graded_by: str | None = None,
            reason: str | None = None, by: str | None = None) -> dict:
    """Record a police risk grading or regrading (when, by which officer, why); the episode shows the latest."""
    if grade not in RISK_LEVELS:
        raise RegisterError("Choose the risk level the police gave", "grade")
    graded_at = _minute(graded_at, "Enter the date and time the police graded the risk", "graded_at")
    if parse_minute(graded_at) > now():
        raise RegisterError("The grading cannot be in the future", "graded_at")
    with write_transaction(db):
        episode = require_episode(db, episode_id)
        if graded_at < episode["start"]:
            raise RegisterError("The grading cannot be before the child went missing", "graded_at")
        if episode["police_risk"] and not list(db.query("select 1 from police_risk_gradings where episode = ?",
                                                        [episode["id"]])):
            # The grading given with the missing notification starts the history.
            db.execute("insert into police_risk_gradings (episode, grade, graded_at, graded_by, reason, recorded_by, "
                       "recorded_at) values (?, ?, ?, 'With the missing notification', null, ?, ?)",
                       [episode["id"], FROM_COLUMN[episode["police_risk"]], episode["start"], by, now_iso()])
        db.execute("insert into police_risk_gradings (episode, grade, graded_at, graded_by, reason, recorded_by, "
                   "recorded_at) values (?, ?, ?, ?, ?, ?, ?)",
                   [episode["id"], grade, graded_at, _clean(graded_by, "officer", "graded_by"),
                    (reason or "").strip()[:1000] or None, by, now_iso()])
        latest = list(db.query("select grade from police_risk_gradings where episode = ? "
                               "order by graded_at desc, id desc limit 1", [episode["id"]]))[0]["grade"]
        was = current_grade(episode)
        if TO_COLUMN[latest] != episode["police_risk"]:
            db.execute("update episodes set police_risk = ?, updated_at = ? where id = ?",
                       [TO_COLUMN[latest], now_iso(), episode["id"]])
        audit.record(db, "episode.police_risk", username=by, object_type="child", object_id=episode["child_id"],
                     detail={"episode": episode_id, "grade": grade, "graded_at": graded_at, "was": was,
                             "now": latest})
    return require_episode(db, episode_id)


def gradings(db: sqlite_utils.Database, episode_pk: int) -> list[dict]:
    """The episode's gradings, oldest first, each with the level's name."""
    rows = list(db.query("select * from police_risk_gradings where episode = ? order by graded_at, id",
                         [episode_pk]))
    for row in rows:
        row["label"] = RISK_LEVELS[row["grade"]]
    return rows
