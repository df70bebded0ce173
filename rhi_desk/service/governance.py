"""What the information governance team asks of the hub: the audit log searched and paged through, and a
subject access request answered with everything held about one child, in one file."""
from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import install, known_migrations

PAGE_SIZE = 100
# Tables that point at a child's records by their text ids rather than by a foreign key.
TEXT_ID_TABLES = {"rhi_id": "return_home_interviews", "episode_id": "episodes", "child_id": "children"}


class GovernanceError(Exception):
    """A search or export that cannot be done; the message says what to change."""


@dataclass
class AuditPage:
    """One page of audit entries, newest first, and how to reach the next."""

    entries: list[dict]
    total: int
    older_than: int | None  # the id to pass as ``before`` for the next (older) page, or None at the end


def _record_ids(db: sqlite_utils.Database, child_id: str) -> list[str]:
    """The child's own id and the ids of its episodes and RHIs, as the audit log names them."""
    child = list(db.query("select id from children where child_id = ?", [child_id]))
    if not child:
        return [child_id]
    pk = child[0]["id"]
    ids = [child_id]
    ids += [r["episode_id"] for r in db.query("select episode_id from episodes where child = ?", [pk])]
    ids += [r["rhi_id"] for r in db.query("select rhi_id from return_home_interviews where child = ?", [pk])]
    return ids


def search_audit(db: sqlite_utils.Database, *, child_id: str | None = None, username: str | None = None,
                 action: str | None = None, date_from: str | None = None, date_to: str | None = None,
                 before: int | None = None, page_size: int = PAGE_SIZE) -> AuditPage:
    """Audit entries matching every filter given (a child covers its episodes and RHIs), newest first.

    Dates are ``YYYY-MM-DD`` and inclusive; ``action`` matches the start of an action (``child`` finds
    ``child.view`` and ``child.update``). Paging is by id, so every entry is reached however many there are.
    """
    where, params = [], []
    if child_id:
        ids = _record_ids(db, child_id.strip())
        where.append(f"object_id in ({','.join('?' * len(ids))})")
        params += ids
    if username:
        where.append("username = ?")
        params.append(username.strip())
    if action:
        where.append("(action = ? or action like ?)")
        params += [action.strip(), action.strip().rstrip(".") + ".%"]
    if date_from:
        where.append("at >= ?")
        params.append(date_from)
    if date_to:
        where.append("at < ?")
        params.append(date_to + "~")  # '~' sorts after any time on that day
    filters = (" where " + " and ".join(where)) if where else ""
    total = db.execute(f"select count(*) from audit_log{filters}", params).fetchone()[0]
    page_where = where + (["id < ?"] if before else [])
    page_params = params + ([before] if before else [])
    sql = "select * from audit_log" + ((" where " + " and ".join(page_where)) if page_where else "")
    rows = list(db.query(sql + " order by id desc limit ?", page_params + [page_size + 1]))
    older = rows[page_size - 1]["id"] if len(rows) > page_size else None
    return AuditPage(rows[:page_size], total, older)


def actions(db: sqlite_utils.Database) -> list[str]:
    """Every kind of action in the audit log, for the filter's list."""
    return [r["action"] for r in db.query("select distinct action from audit_log order by action")]


def _rows(db, sql, params) -> list[dict]:
    return list(db.query(sql, params))


def subject_access(db: sqlite_utils.Database, child_id: str, *, by: str | None = None) -> dict:
    """Everything held about one child: the record, episodes, RHIs with answers and revisions, every other
    table that points at them, and every audit entry naming them (who viewed or changed what, when).

    Tables added by any area are found through their foreign keys to children, episodes or RHIs (or a
    text ``rhi_id``/``episode_id``/``child_id`` column), so a new kind of record is never left out.
    The export itself is recorded in the audit log.
    """
    child = _rows(db, "select * from children where child_id = ?", [(child_id or "").strip()])
    if not child:
        raise GovernanceError(f"No child has the id {child_id}. Check the id in the register.")
    child = child[0]
    episode_pks = [r["id"] for r in db.query("select id from episodes where child = ?", [child["id"]])]
    rhi_pks = [r["id"] for r in db.query("select id from return_home_interviews where child = ?", [child["id"]])]
    pks = {"children": [child["id"]], "episodes": episode_pks, "return_home_interviews": rhi_pks}
    text_ids = {"children": [child["child_id"]],
                "episodes": [r["episode_id"] for r in db.query("select episode_id from episodes where child = ?",
                                                               [child["id"]])],
                "return_home_interviews": [r["rhi_id"] for r in db.query(
                    "select rhi_id from return_home_interviews where child = ?", [child["id"]])]}
    tables: dict[str, list[dict]] = {
        "children": [child],
        "episodes": _rows(db, "select * from episodes where child = ? order by start", [child["id"]]),
        "return_home_interviews": _rows(db, "select * from return_home_interviews where child = ? order by id",
                                        [child["id"]]),
    }
    for table in db.table_names():
        if table in tables or table in ("audit_log",) or table.startswith(("_", "sqlite_")):
            continue
        clauses, params = [], []
        for fk in db.conn.execute(f"pragma foreign_key_list('{table}')").fetchall():
            target, column = fk[2], fk[3]
            if target in pks and pks[target]:
                clauses.append(f'"{column}" in ({",".join("?" * len(pks[target]))})')
                params += pks[target]
        columns = {c[1] for c in db.conn.execute(f"pragma table_info('{table}')").fetchall()}
        for column, target in TEXT_ID_TABLES.items():
            if column in columns and text_ids[target]:
                clauses.append(f'"{column}" in ({",".join("?" * len(text_ids[target]))})')
                params += text_ids[target]
        if clauses:
            found = _rows(db, f'select * from "{table}" where ' + " or ".join(clauses), params)
            if found:
                tables[table] = found
    for rhi in tables["return_home_interviews"]:
        try:
            rhi["answers"] = json.loads(rhi.get("answers") or "{}")
        except ValueError:
            pass
    object_ids = [child["child_id"], *text_ids["episodes"], *text_ids["return_home_interviews"]]
    audit_entries = _rows(db, f"select * from audit_log where object_id in ({','.join('?' * len(object_ids))}) "
                              "order by id", object_ids)
    here = install(db) or {}
    audit.record(db, "child.subject_access_export", username=by, object_type="child",
                 object_id=child["child_id"], detail={"tables": sorted(tables), "audit_entries": len(audit_entries)})
    return {
        "about": (f"Everything RHI Desk holds about child {child['child_id']} at {here.get('la_name', '')} "
                  f"('{here.get('name', '')}'), exported for a subject access request. 'records' holds each "
                  f"table's rows for this child; 'audit_log' every time someone viewed, created or changed them."),
        "child_id": child["child_id"],
        "exported_at": now_iso(),
        "exported_by": by,
        "schema": sorted(known_migrations())[-1],
        "records": tables,
        "audit_log": audit_entries,
    }
