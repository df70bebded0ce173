"""The exploitation screening: the council's weights and thresholds, each interview's score, the
child's result over time, and the strategy meetings a high result calls for.

Scoring (docs/intelligence.md): each indicator the practitioner ticks adds its weight (0-10, set by the
council; 0 switches an indicator off); the total is *high* at or above the high threshold, *medium* at or
above the medium one, else *low*. A high result raises a strategy-meeting trigger for the child unless
one is already open; the missing team marks it handled (with what was done) and the actions area can
call :func:`strategy_meetings_due` and :func:`mark_handled`.
"""
from __future__ import annotations

import json

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import write_transaction
from rhi_desk.intelligence.places_people import IntelligenceError
from rhi_desk.interviews.questions import SCREENING_INDICATORS

# The defaults a council starts from: 2 for the strongest signs of someone controlling the child.
DEFAULT_WEIGHTS = {key: 1 for key in SCREENING_INDICATORS} | {
    "out_of_area": 2, "travel_paid": 2, "drugs": 2, "weapons": 2, "fear": 2, "debt": 2, "older_partner": 2}
DEFAULT_THRESHOLDS = {"medium_from": 3, "high_from": 6}
LEVELS = {"low": "Low", "medium": "Medium", "high": "High"}


def weights(db) -> dict[str, int]:
    """Each indicator's weight: the council's where set, else the default."""
    chosen = {r["indicator"]: r["weight"] for r in db.query("select indicator, weight from intel_screening_weights")}
    return {key: chosen.get(key, DEFAULT_WEIGHTS[key]) for key in SCREENING_INDICATORS}


def thresholds(db) -> dict[str, int]:
    """The medium and high thresholds: the council's where set, else the defaults."""
    rows = list(db.query("select medium_from, high_from from intel_screening_thresholds where id = 1"))
    return rows[0] if rows else dict(DEFAULT_THRESHOLDS)


def score(indicators: list[str], weight_of: dict[str, int], limits: dict[str, int]) -> tuple[int, str]:
    """(total, level) of the ticked indicators."""
    total = sum(weight_of.get(i, 0) for i in set(indicators))
    level = "high" if total >= limits["high_from"] else "medium" if total >= limits["medium_from"] else "low"
    return total, level


def configure(db: sqlite_utils.Database, new_weights: dict[str, str], medium_from: str, high_from: str, *,
              by: str) -> None:
    """Set the council's weights and thresholds, and re-score every screening with them; audited."""
    try:
        current = weights(db)
        parsed = {k: int(str(new_weights.get(k, current[k])).strip()) for k in SCREENING_INDICATORS}
        medium, high = int(str(medium_from).strip()), int(str(high_from).strip())
    except ValueError:
        raise IntelligenceError("Enter each weight and threshold as a whole number") from None
    if any(not 0 <= w <= 10 for w in parsed.values()):
        raise IntelligenceError("Each weight must be between 0 and 10")
    if not 0 < medium < high:
        raise IntelligenceError("The high threshold must be more than the medium one, and both more than 0")
    stamp = now_iso()
    with write_transaction(db):
        for key, weight in parsed.items():
            db.execute("insert or replace into intel_screening_weights (indicator, weight, updated_by, updated_at) "
                       "values (?, ?, ?, ?)", [key, weight, by, stamp])
        db.execute("insert or replace into intel_screening_thresholds (id, medium_from, high_from, updated_by, "
                   "updated_at) values (1, ?, ?, ?, ?)", [medium, high, by, stamp])
        limits = {"medium_from": medium, "high_from": high}
        for row in list(db.query("select rhi, indicators from intel_screenings")):
            total, level = score(json.loads(row["indicators"]), parsed, limits)
            db.execute("update intel_screenings set score = ?, level = ? where rhi = ?", [total, level, row["rhi"]])
        audit.record(db, "intelligence.screening_configured", username=by,
                     detail={"weights": parsed, "medium_from": medium, "high_from": high})


def index_interview(db, rhi: dict, answers: dict, episodes: list[dict]) -> None:
    """Score an interview's screening (inside the caller's transaction); a high result raises a trigger."""
    chosen = answers.get("screening")
    if not isinstance(chosen, list) or not episodes:
        db.execute("delete from intel_screenings where rhi = ?", [rhi["id"]])
        return
    chosen = [c for c in chosen if c in SCREENING_INDICATORS]
    total, level = score(chosen, weights(db), thresholds(db))
    when = answers.get("held_at") or max((e["end"] or e["start"]) for e in episodes)
    db.execute("insert or replace into intel_screenings (rhi, child, screened_on, indicators, score, level) "
               "values (?, ?, ?, ?, ?, ?)", [rhi["id"], rhi["child"], when, json.dumps(chosen), total, level])
    if level == "high":
        open_trigger = db.execute("select 1 from intel_strategy_triggers where child = ? and handled_at is null",
                                  [rhi["child"]]).fetchone()
        if not open_trigger:
            db.execute("insert or ignore into intel_strategy_triggers (child, rhi, score, raised_at) "
                       "values (?, ?, ?, ?)", [rhi["child"], rhi["id"], total, now_iso()])


def history(db, child_pk: int) -> list[dict]:
    """A child's screenings over time, oldest first, each with its indicators in words."""
    rows = list(db.query("select s.*, r.rhi_id from intel_screenings s join return_home_interviews r on r.id = s.rhi "
                         "where s.child = ? order by s.screened_on", [child_pk]))
    for row in rows:
        row["indicator_labels"] = [SCREENING_INDICATORS[i] for i in json.loads(row["indicators"])
                                   if i in SCREENING_INDICATORS]
        row["level_label"] = LEVELS[row["level"]]
    return rows


def strategy_meetings_due(db, child_pk: int | None = None) -> list[dict]:
    """Open strategy-meeting triggers (a high screening not yet handled), newest first; for the actions area."""
    where, params = "t.handled_at is null", []
    if child_pk is not None:
        where += " and t.child = ?"
        params.append(child_pk)
    return list(db.query(
        f"select t.*, c.child_id, c.name, r.rhi_id from intel_strategy_triggers t join children c on c.id = t.child "
        f"left join return_home_interviews r on r.id = t.rhi where {where} order by t.raised_at desc", params))


def mark_handled(db: sqlite_utils.Database, trigger_id: int, note: str, *, by: str) -> None:
    """Record what was done about a strategy-meeting trigger (a meeting held or arranged, or why not)."""
    note = (note or "").strip()
    if not note:
        raise IntelligenceError("Enter what was done: the strategy meeting's date, or why one is not needed")
    with write_transaction(db):
        row = db.execute("select child from intel_strategy_triggers where id = ? and handled_at is null",
                         [trigger_id]).fetchone()
        if row is None:
            raise IntelligenceError("That strategy meeting has already been dealt with")
        db.execute("update intel_strategy_triggers set handled_at = ?, handled_by = ?, handled_note = ? where id = ?",
                   [now_iso(), by, note[:1000], trigger_id])
        audit.record(db, "intelligence.strategy_handled", username=by, object_type="trigger", object_id=trigger_id,
                     detail={"note": note[:200]})
