"""The dashboard's headline tiles: the month's figures with the change on the previous month and on the same month last year."""
from __future__ import annotations

from datetime import datetime

import sqlite_utils

from rhi_desk.register import today as register_today
from rhi_desk.reports import kpi

MINUS = "\u2212"


def months_back(month: str, n: int) -> str:
    """The month ``n`` months before ``month``."""
    year, mon = int(month[:4]), int(month[5:]) - n
    while mon < 1:
        year, mon = year - 1, mon + 12
    return f"{year:04d}-{mon:02d}"


def _change(now, then, kind: str) -> dict:
    """The change from ``then`` to ``now`` in words: '+12', '-3.40 points', 'no change', or blank if unknown."""
    if now is None or then is None:
        return {"value": None, "text": "not comparable"}
    delta = now - then
    sign = "+" if delta > 0 else MINUS
    if kind == "rate":
        text = "no change" if delta == 0 else f"{sign}{abs(delta):.2f} points"
    else:
        text = "no change" if delta == 0 else f"{sign}{abs(delta):,}"
    return {"value": delta, "text": text}


TILES = (
    ("children_missing", "Children who went missing", "count", "children_missing"),
    ("offer_rate_children", "Offer rate for children", "rate", "children_offered"),
    ("episodes_rhi_done", "Episodes with an RHI done", "count", "episodes_rhi_done"),
)


def headline(db: sqlite_utils.Database, month: str, filters: kpi.Filters = kpi.NO_FILTERS,
             at: datetime | None = None, known: list[dict] | None = None) -> dict:
    """The headline for ``month``: each tile's value, change on the previous month and on the same month a year ago.

    Also ``overdue_now``: RHIs overdue at ``at`` (Today's count), which has no month. ``known`` are
    seed-table rows already counted (the page's table): only the months missing from them are counted.
    """
    year_ago, previous_month = months_back(month, 12), months_back(month, 1)
    found = {row["month"]: row for row in known or []}
    for wanted in (year_ago, previous_month, month):
        if wanted not in found:
            found[wanted] = kpi.monthly_table(db, wanted, wanted, filters)[0]
    current, previous, last_year = found[month], found[previous_month], found[year_ago]
    rows = [last_year, previous, current]
    tiles = []
    for key, label, kind, metric in TILES:
        value = current[key]
        tiles.append({
            "key": key, "label": label, "kind": kind, "metric": metric,
            "text": (kpi.format_rate(value, True) or "no rate") if kind == "rate" else f"{value:,}",
            "previous": _change(value, previous[key], kind), "year": _change(value, last_year[key], kind),
        })
    overdue = None if filters.recorded_on else register_today.today(db, at=at, overdue_shown=0).overdue_total
    return {"month": month, "previous_month": previous["month"], "year_ago": year_ago, "tiles": tiles,
            "overdue_now": overdue, "rows": rows}

