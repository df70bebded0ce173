"""The monthly missing panel's pack: the KPI table beside the previous month and the same month last year,
the trend over a year, themes from interviews, the child's voice anonymised to initials, targeted
interventions against later episodes, and the actions still due (the last panel's actions are added by
:mod:`rhi_desk.actions.meetings`)."""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime

import sqlite_utils

from rhi_desk.actions import due, referrals
from rhi_desk.clock import now
from rhi_desk.reports import kpi, themes

VOICE_LIMIT = 40  # quotes in the pack; the panel reads them aloud


def _shift(month: str, months: int) -> str:
    year, number = int(month[:4]), int(month[5:7])
    total = year * 12 + number - 1 + months
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def initials(name: str | None, child_id: str) -> str:
    """'Amy Jane Smith' → 'A.J.S.'; a child with no name is 'Child' (their id would identify them)."""
    parts = [p for p in re.split(r"[\s-]+", name or "") if p and p[0].isalpha()]
    return "".join(f"{p[0].upper()}." for p in parts) or "Child"


def pack(db: sqlite_utils.Database, month: str, at: datetime | None = None) -> dict:
    """The panel pack for ``month`` ('YYYY-MM') as the records stand now."""
    month = kpi.parse_month(month)
    at = (at or now()).replace(microsecond=0)
    first = _shift(month, -12)
    rows = {r["month"]: r for r in kpi.monthly_table(db, first, month)}
    columns = [("This month", rows[month]), ("Previous month", rows[_shift(month, -1)]),
               ("Same month last year", rows[first])]
    table = []
    for key, words, kind, _ in kpi.SEED_ROWS:
        cells = [kpi.format_rate(r[key], percent=True) if kind == "rate" else str(r[key]) for _, r in columns]
        table.append({"label": words, "cells": cells})
    trend = [{"month": m, "heading": kpi.month_heading(m), "children": rows[m]["children_missing"],
              "episodes": rows[m]["episodes"],
              "offer_rate": kpi.format_rate(rows[m]["offer_rate_children"], percent=True),
              "done_rate": kpi.format_rate(rows[m]["rhi_done_rate_episodes"], percent=True)}
             for m in kpi.months_between(first, month)]
    due_now = due.due(db, at)
    overdue = Counter(a.label for a in due_now if a.overdue)
    return {
        "at": at, "period": month, "month_name": kpi.month_name(month),
        "columns": [c for c, _ in columns], "column_months": [kpi.month_name(r["month"]) for _, r in columns],
        "table": table, "trend": trend,
        "themes": themes.interview_themes(db, month, month),
        "voice": voice(db, month),
        "interventions": referrals.intervention_outcomes(db),
        "actions_overdue": sorted(overdue.items(), key=lambda kv: -kv[1]),
        "actions_due_total": len(due_now),
        "children": [],
    }


def voice(db: sqlite_utils.Database, month: str) -> list[dict]:
    """What children said would help and would stop it happening again, in their own words, from interviews
    completed about episodes that started in the month; each child named only by initials."""
    found = []
    for row in db.query(
            "select distinct r.id, r.answers, c.name, c.child_id from return_home_interviews r "
            "join rhi_episodes re on re.rhi = r.id join episodes e on e.id = re.episode "
            "join children c on c.id = r.child where r.outcome = 'completed' and e.other_la = 0 "
            "and substr(e.start, 1, 7) = ? order by r.id limit ?", [month, VOICE_LIMIT]):
        try:
            answers = json.loads(row["answers"] or "{}")
        except ValueError:
            continue
        if not isinstance(answers, dict):
            continue
        helps = answers.get("what_would_help") if isinstance(answers.get("what_would_help"), str) else ""
        stop = answers.get("stop_it_happening") if isinstance(answers.get("stop_it_happening"), str) else ""
        if helps.strip() or stop.strip():
            found.append({"initials": initials(row["name"], row["child_id"]), "would_help": helps.strip(),
                          "stop_it": stop.strip()})
    return found
