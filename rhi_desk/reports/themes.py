"""Themes from interviews: push and pull factors, signs of harm and referrals, counted over a period."""
from __future__ import annotations

import json
from collections import Counter

import sqlite_utils

from rhi_desk.interviews.questions import HARM_INDICATORS
from rhi_desk.reports.kpi import (
    NO_FILTERS,
    Filters,
    _rhi_condition,
    _where,
    months_between,
)

# ---------------------------------------------------------------------------------------------
# Interviews: themes for the monthly report


def _answers(text: str | None) -> dict:
    """An interview's answers, read defensively: anything but a JSON object is treated as empty."""
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _codes(value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def interview_themes(db: sqlite_utils.Database, first: str, last: str, filters: Filters = NO_FILTERS) -> dict:
    """Themes from completed interviews covering counted episodes in the months: where children went,
    exploitation and harm concerns, push and pull factors, risk levels."""
    months_between(first, last)
    params: dict = {}
    where, _ = _where("counted", first, last, filters, params)
    rows = db.query(f"""
        select distinct r.id, r.answers from episodes e join children c on c.id = e.child
        join rhi_episodes re on re.episode = e.id join return_home_interviews r on r.id = re.rhi
        where {where} and r.outcome = 'completed'{_rhi_condition(filters, params)}""", params)
    areas, harms, push, pull, risk = Counter(), Counter(), Counter(), Counter(), Counter()
    interviews = 0
    for row in rows:
        interviews += 1
        answers = _answers(row["answers"])
        area = answers.get("where_area")
        if isinstance(area, str) and area.strip():
            areas[area.strip().upper() if len(area.strip()) <= 5 else area.strip().title()] += 1
        harms.update(set(_codes(answers.get("harm_indicators"))))
        push.update(set(_codes(answers.get("push_factors"))))
        pull.update(set(_codes(answers.get("pull_factors"))))
        level = answers.get("risk_level")
        if level in ("low", "medium", "high"):
            risk[level] += 1
    return {"interviews": interviews, "areas": areas.most_common(10),
            "harm": [(HARM_INDICATORS.get(k, k.replace("_", " ").capitalize()), n) for k, n in harms.most_common()],
            "push": [(k.replace("_", " ").capitalize(), n) for k, n in push.most_common(8)],
            "pull": [(k.replace("_", " ").capitalize(), n) for k, n in pull.most_common(8)],
            "risk": [(level, risk[level]) for level in ("high", "medium", "low")]}
