"""Duplicates: the warning when a child is added twice, and merges of two child records or two episodes.

*Data quality* tells the team to merge duplicates; this is how. A merge is audited with a reason and
reversible by an administrator, exactly: everything it moved is written down (``register_merges.moved``)
and an undo moves those rows back and nothing else.

- Two **child records** of one child (typically one typed by hand and one imported): every record that
  points at the merged child (episodes, RHIs, actions, referrals, intelligence) is moved to the kept one;
  the merged record stays, marked as merged, out of the lists and search, its page pointing at the kept one.
- Two **episodes** of one child that are one absence (two reports of the same night): the kept episode
  spans both (earliest start, latest return; open if either is), the RHIs of the merged one cover the kept
  one, and the merged episode is voided ("merged into ..."), so it is counted nowhere.

The register's history (migrations 0012, 0071) records every move, so figures as recorded on an earlier day
still stand as they stood.
"""
from __future__ import annotations

import json
import re

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import IntegrityError, write_transaction
from rhi_desk.register.rules import RegisterError

# Tables that point at a child without a foreign key (derived facts); moved with the rest.
EXTRA_CHILD_COLUMNS = (("intel_theme_facts", "child"),)
# The register's own history follows by trigger; never moved by hand.
HISTORY_TABLES = {"episode_history", "rhi_history", "rhi_episode_history", "child_history"}


def name_key(name: str | None) -> str:
    """A name as compared for duplicates: case, hyphens, apostrophes and spacing ignored."""
    return re.sub(r"[\s\-'’.]+", " ", (name or "").casefold()).strip()


def possible_duplicates(db: sqlite_utils.Database, name: str | None, date_of_birth: str | None,
                        *, other_than: str | None = None) -> list[dict]:
    """Children already in the register with the same name and date of birth (not merged away)."""
    key = name_key(name)
    if not key or not date_of_birth:
        return []
    rows = db.execute(
        "select child_id, name, date_of_birth from children where date_of_birth = ? and merged_into is null "
        "and child_id is not ? order by child_id", [date_of_birth, other_than]).fetchall()
    return [{"child_id": c, "name": n, "date_of_birth": d} for c, n, d in rows if name_key(n) == key]


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RegisterError("Enter why you are merging these records", "reason")
    return reason[:500]


def _child(db, child_id: str) -> dict:
    row = db.execute("select id, child_id, name, date_of_birth, merged_into from children where child_id = ?",
                     [(child_id or "").strip()]).fetchone()
    if row is None:
        raise RegisterError(f"There is no child with the id {child_id}", "other")
    return dict(zip(("id", "child_id", "name", "date_of_birth", "merged_into"), row))


def child_columns(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """Every (table, column) that points at a child record, found from the schema itself."""
    found = []
    for table in db.table_names():
        if table in HISTORY_TABLES or table == "children":
            continue
        for fk in db[table].foreign_keys:
            if fk.other_table == "children" and fk.other_column == "id":
                found.append((table, fk.column))
    tables = set(db.table_names())
    found += [(t, c) for t, c in EXTRA_CHILD_COLUMNS if t in tables]
    return found


def merge_children(db: sqlite_utils.Database, keep_id: str, merge_id: str, *, reason: str,
                   by: str | None = None) -> dict:
    """Merge the child record ``merge_id`` into ``keep_id``; returns the merge. All or nothing."""
    reason = _reason(reason)
    with write_transaction(db):
        keep, merge = _child(db, keep_id), _child(db, merge_id)
        if keep["id"] == merge["id"]:
            raise RegisterError("Choose another child's record: a record cannot be merged with itself", "other")
        for child in (keep, merge):
            if child["merged_into"] is not None:
                raise RegisterError(f"{child['child_id']} has already been merged into another record", "other")
        moved: dict[str, dict] = {}
        for table, column in child_columns(db):
            pks = db[table].pks  # ["rowid"] for a rowid table; the key's columns for WITHOUT ROWID
            found = db.execute(f"select {', '.join(f'[{k}]' for k in pks)} from [{table}] where [{column}] = ?",
                               [merge["id"]]).fetchall()
            if not found:
                continue
            # Each moved row's key as it is after the move (the child column may be part of the key).
            after = [[keep["id"] if k == column else v for k, v in zip(pks, row)] for row in found]
            try:
                db.execute(f"update [{table}] set [{column}] = ? where [{column}] = ?", [keep["id"], merge["id"]])
            except IntegrityError:
                raise RegisterError(f"Both records have their own {table.replace('_', ' ')} entry, which cannot be "
                                    f"joined automatically. Remove one of them first, then merge.", "other") from None
            moved[f"{table}.{column}"] = {"keys": pks, "rows": after}
        stamp = now_iso()
        db.execute("update children set merged_into = ?, updated_at = ? where id = ?", [keep["id"], stamp, merge["id"]])
        pk = db.execute(
            "insert into register_merges (kind, kept, merged, moved, reason, merged_at, merged_by) "
            "values ('child', ?, ?, ?, ?, ?, ?)",
            [keep["child_id"], merge["child_id"], json.dumps(moved), reason, stamp, by]).lastrowid
        audit.record(db, "child.merge", username=by, object_type="child", object_id=keep["child_id"],
                     detail={"into": keep["child_id"], "merged": merge["child_id"], "reason": reason,
                             "moved": sum(len(v["rows"]) for v in moved.values())})
    return get_merge(db, pk)


def merge_episodes(db: sqlite_utils.Database, keep_id: str, merge_id: str, *, reason: str,
                   by: str | None = None) -> dict:
    """Merge episode ``merge_id`` into ``keep_id`` (one absence reported twice). All or nothing."""
    reason = _reason(reason)
    with write_transaction(db):
        rows = {e: db.execute('select id, child, start, "end", voided_at from episodes where episode_id = ?',
                              [e]).fetchone() for e in (keep_id, merge_id)}
        for episode_id, row in rows.items():
            if row is None:
                raise RegisterError(f"There is no episode with the id {episode_id}", "other")
            if row[4]:
                raise RegisterError(f"Episode {episode_id} is voided: undo the void first, or leave it", "other")
        keep, merge = rows[keep_id], rows[merge_id]
        if keep[0] == merge[0]:
            raise RegisterError("Choose another episode: an episode cannot be merged with itself", "other")
        if keep[1] != merge[1]:
            raise RegisterError("Both episodes must be the same child's: merge the child records first", "other")
        start = min(keep[2], merge[2])
        end = None if keep[3] is None or merge[3] is None else max(keep[3], merge[3])
        links = [r[0] for r in db.execute(
            "select rhi from rhi_episodes where episode = ? and rhi not in "
            "(select rhi from rhi_episodes where episode = ?)", [merge[0], keep[0]])]
        stamp = now_iso()
        db.execute('update episodes set start = ?, "end" = ?, updated_at = ? where id = ?', [start, end, stamp, keep[0]])
        for rhi in links:
            db.execute("insert into rhi_episodes (rhi, episode) values (?, ?)", [rhi, keep[0]])
        db.execute("update episodes set voided_at = ?, voided_by = ?, void_reason = ?, updated_at = ? where id = ?",
                   [stamp, by, f"Merged into {keep_id}: {reason}", stamp, merge[0]])
        moved = {"kept_was": {"start": keep[2], "end": keep[3]}, "rhis_linked": links}
        pk = db.execute(
            "insert into register_merges (kind, kept, merged, moved, reason, merged_at, merged_by) "
            "values ('episode', ?, ?, ?, ?, ?, ?)", [keep_id, merge_id, json.dumps(moved), reason, stamp, by]).lastrowid
        child_id = db.execute("select child_id from children where id = ?", [keep[1]]).fetchone()[0]
        audit.record(db, "episode.merge", username=by, object_type="child", object_id=child_id,
                     detail={"episode": keep_id, "merged": merge_id, "reason": reason})
    return get_merge(db, pk)


def undo_merge(db: sqlite_utils.Database, merge_pk: int, *, by: str | None = None) -> dict:
    """Put back exactly what a merge moved (an administrator's decision); the merge stays on record as undone."""
    with write_transaction(db):
        merge = get_merge(db, merge_pk)
        if merge is None:
            raise RegisterError("There is no such merge")
        if merge["undone_at"]:
            raise RegisterError("This merge has already been undone")
        moved = json.loads(merge["moved"])
        stamp = now_iso()
        if merge["kind"] == "child":
            merged = _child(db, merge["merged"])
            for place, rows in moved.items():
                table, column = place.split(".", 1)
                match = " and ".join(f"[{k}] = ?" for k in rows["keys"])
                for key in rows["rows"]:
                    db.execute(f"update [{table}] set [{column}] = ? where {match}", [merged["id"], *key])
            db.execute("update children set merged_into = null, updated_at = ? where id = ?", [stamp, merged["id"]])
            object_id = merge["kept"]
        else:
            keep = db.execute("select id, child from episodes where episode_id = ?", [merge["kept"]]).fetchone()
            merged_pk = db.execute("select id from episodes where episode_id = ?", [merge["merged"]]).fetchone()[0]
            was = moved["kept_was"]
            db.execute('update episodes set start = ?, "end" = ?, updated_at = ? where id = ?',
                       [was["start"], was["end"], stamp, keep[0]])
            for rhi in moved["rhis_linked"]:
                db.execute("delete from rhi_episodes where rhi = ? and episode = ?", [rhi, keep[0]])
            db.execute("update episodes set voided_at = null, voided_by = null, void_reason = null, updated_at = ? "
                       "where id = ?", [stamp, merged_pk])
            object_id = db.execute("select child_id from children where id = ?", [keep[1]]).fetchone()[0]
        db.execute("update register_merges set undone_at = ?, undone_by = ? where id = ?", [stamp, by, merge_pk])
        audit.record(db, f"{merge['kind']}.merge_undone", username=by, object_type="child", object_id=object_id,
                     detail={"kind": merge["kind"], "into": merge["kept"], "merged": merge["merged"]})
    return get_merge(db, merge_pk)


def get_merge(db: sqlite_utils.Database, merge_pk: int) -> dict | None:
    rows = list(db.query("select * from register_merges where id = ?", [merge_pk]))
    return rows[0] if rows else None


def merges(db: sqlite_utils.Database, limit: int = 200) -> list[dict]:
    """The newest merges first, undone ones included."""
    return list(db.query("select * from register_merges order by id desc limit ?", [limit]))


def merged_into(db: sqlite_utils.Database, child_id: str) -> str | None:
    """The child id a merged record now lives under, or None."""
    row = db.execute("select k.child_id from children c join children k on k.id = c.merged_into "
                     "where c.child_id = ?", [child_id]).fetchone()
    return row[0] if row else None
