"""Publishing a month's table for a meeting, and what has changed in it since.

A published table keeps its figures and the moment it was published; the register's history
(register migration 0012) then gives the records behind each figure as they stood at that moment,
so every change since is one click from the records that made it (typically RHIs written up late).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now, now_iso
from rhi_desk.db import write_transaction
from rhi_desk.reports import figures, kpi


@dataclass
class Published:
    """One published table."""

    id: int
    first: str
    last: str
    filters: kpi.Filters
    meeting: str
    published_by: str | None
    published_at: str
    rows: list[dict]

    @property
    def as_of(self) -> str:
        """The instant just after publication: the records as they stood when it was published."""
        return (datetime.fromisoformat(self.published_at) + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")


def publish(db: sqlite_utils.Database, first: str, last: str, filters: kpi.Filters, *, meeting: str,
            by: str | None = None) -> Published:
    """Publish the table for ``first``..``last`` (today's records) for ``meeting``; returns it."""
    meeting = (meeting or "").strip()
    if not meeting:
        raise kpi.KPIError("Enter the meeting the table is for, for example Scrutiny committee, 6 February 2018")
    if filters.recorded_on:
        raise kpi.KPIError("Publish today's figures: clear the 'as recorded on' date first")
    rows = kpi.monthly_table(db, first, last, filters)
    stamp = now_iso()
    with write_transaction(db):
        cursor = db.execute(
            "insert into published_tables (first_month, last_month, filters, meeting, published_by, published_at, "
            "figures) values (?, ?, ?, ?, ?, ?, ?)",
            [first, last, json.dumps(filters.as_params()), meeting, by, stamp, json.dumps(kpi.json_ready(rows))])
        pk = cursor.lastrowid
        audit.record(db, "report.publish", username=by, object_type="report", object_id=str(pk),
                     detail={"from": first, "to": last, "meeting": meeting, **filters.as_params()})
    return get_published(db, pk)


def _filters(params: dict) -> kpi.Filters:
    return kpi.Filters(lac=params.get("lac"), age_band=params.get("age"), interviewer_type=params.get("interviewer"))


def get_published(db: sqlite_utils.Database, pk: int) -> Published | None:
    """The published table ``pk``, or None."""
    rows = list(db.query("select * from published_tables where id = ?", [pk]))
    if not rows:
        return None
    row = rows[0]
    figures_rows = []
    for month in json.loads(row["figures"]):
        counts = {k: v for k, v in month.items() if k != "month" and not isinstance(v, float)}
        figures_rows.append(kpi._month_row(month["month"], counts))
    return Published(row["id"], row["first_month"], row["last_month"], _filters(json.loads(row["filters"])),
                     row["meeting"], row["published_by"], row["published_at"], figures_rows)


def list_published(db: sqlite_utils.Database, limit: int = 20) -> list[dict]:
    """The most recently published tables, newest first."""
    return list(db.query("select id, first_month, last_month, meeting, published_by, published_at "
                         "from published_tables order by published_at desc, id desc limit ?", [limit]))


def changes_since(db: sqlite_utils.Database, published: Published) -> list[dict]:
    """Every figure of a published table beside today's, with the change; counts link to what changed."""
    today = kpi.monthly_table(db, published.first, published.last, published.filters)
    out = []
    for key, label, kind, metric in kpi.SEED_ROWS:
        cells = []
        for then, current in zip(published.rows, today):
            before, after = then[key], current[key]
            cells.append({"month": then["month"], "published": before, "today": after,
                          "changed": before != after, "metric": metric if kind == "count" else None})
        out.append({"key": key, "label": label, "kind": kind, "cells": cells})
    return out


def changed_records(db: sqlite_utils.Database, published: Published, metric: str, month: str) -> dict:
    """The children or episodes behind one figure added or dropped since publication."""
    if not published.first <= month <= published.last:
        raise kpi.KPIError("That month is not in the published table")
    then = figures.drill(db, metric, month, month, published.filters, as_of=published.as_of, at=now())
    today = figures.drill(db, metric, month, month, published.filters)
    key = "episode_id" if then.unit == "episodes" else "child_id"
    before = {r[key]: r for r in then.rows}
    after = {r[key]: r for r in today.rows}
    return {"title": today.title, "unit": today.unit, "key": key,
            "added": [after[k] for k in sorted(set(after) - set(before))],
            "dropped": [before[k] for k in sorted(set(before) - set(after))]}
