"""The append-only audit log: who did what to which record, and when.

Triggers in the schema refuse UPDATE and DELETE on ``audit_log``; this module only ever inserts.
"""
from __future__ import annotations

import json

import sqlite_utils

from rhi_desk.clock import now_iso


def record(
    db: sqlite_utils.Database,
    action: str,
    *,
    username: str | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    detail: dict | str | None = None,
) -> None:
    """Append one entry to the audit log (``action`` like ``child.view`` or ``sign_in.failed``)."""
    if isinstance(detail, dict):
        detail = json.dumps(detail, sort_keys=True, default=str)
    db.execute(
        "insert into audit_log (at, username, action, object_type, object_id, detail) "
        "values (?, ?, ?, ?, ?, ?)",
        [now_iso(), username, action, object_type, None if object_id is None else str(object_id), detail],
    )


def entries(db: sqlite_utils.Database, *, object_type=None, object_id=None, limit: int = 200) -> list[dict]:
    """The newest audit entries, optionally for one record."""
    where, params = [], []
    if object_type:
        where.append("object_type = ?")
        params.append(object_type)
    if object_id is not None:
        where.append("object_id = ?")
        params.append(str(object_id))
    sql = "select * from audit_log"
    if where:
        sql += " where " + " and ".join(where)
    sql += " order by id desc limit ?"
    return list(db.query(sql, params + [limit]))
