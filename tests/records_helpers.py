"""Helpers for the records tests: write episode register CSV files."""
from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

from rhi_desk.register.episode_import import COLUMNS


def row(episode_id="E1", child_id="C1", date_of_birth="2005-03-04", episode_type="missing",
        start="2017-05-01 10:00", end=None, looked_after="Y", other_la="N",
        placement="in_borough", rhi_offered_on="", rhi_outcome="", rhi_completed_on="", rhi_by="", **extra) -> dict:
    """One episode register row with sensible defaults; override any column by name (end: an hour after start)."""
    if end is None:
        try:
            end = (datetime.fromisoformat(start.replace("T", " ")[:16]) + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
        except ValueError:  # a deliberately bad start
            end = ""
    values = dict(episode_id=episode_id, child_id=child_id, date_of_birth=date_of_birth, episode_type=episode_type,
                  start=start, end=end, looked_after=looked_after, other_la=other_la, placement=placement,
                  rhi_offered_on=rhi_offered_on, rhi_outcome=rhi_outcome, rhi_completed_on=rhi_completed_on,
                  rhi_by=rhi_by)
    values.update(extra)
    return values


def write_register(path: Path, rows: list[dict], columns=None) -> Path:
    """Write ``rows`` to ``path`` as an episode register CSV (columns in the given order)."""
    columns = list(columns or COLUMNS)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({c: r.get(c, "") for c in columns})
    return path


def table_counts(db) -> dict:
    """Row counts of every table the import touches, plus the audit log."""
    return {t: db.execute(f"select count(*) from {t}").fetchone()[0]
            for t in ("children", "episodes", "return_home_interviews", "rhi_episodes", "episode_type_changes",
                      "audit_log")}
