"""What a person decides and reviews: files that never arrived, conflicts, held returns, files sent, imported and refused."""
from __future__ import annotations

import json

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import write_transaction
from rhi_desk.sync import keys
from rhi_desk.sync.fileformat import SyncError
from rhi_desk.sync.receive import _compare, _conflict, _insert_rhi, _update_rhi
from rhi_desk.sync.records import local_record, record_digest

# ---------------------------------------------------------------------------------------------
# What the missing team looks at: gaps, conflicts, held returns, history


def sequence_gaps(db: sqlite_utils.Database) -> list[dict]:
    """Files that never arrived: numbers missing from each sender's imported sequence."""
    gaps = []
    names = {r["install_id"]: r["name"] for r in keys.list_enrolled(db)}
    seqs: dict[str, set] = {}
    for row in db.query("select sender, sequence from sync_imports"):
        seqs.setdefault(row["sender"], set()).add(row["sequence"])
    for sender, got in seqs.items():
        for missing in sorted(set(range(1, max(got) + 1)) - got):
            name = names.get(sender, "an unknown install")
            gaps.append({"sender": sender, "sender_name": name, "sequence": missing,
                         "message": f"File {missing} from {name} never arrived"})
    return gaps


def conflicts(db: sqlite_utils.Database, *, resolved: bool = False) -> list[dict]:
    """Conflicts kept aside: two different records with the same id and revision."""
    rows = db.query(f"select * from sync_conflicts where resolved_at is {'not ' if resolved else ''}null order by id")
    return [dict(r, local=json.loads(r["local_record"]), incoming=json.loads(r["incoming_record"])) for r in rows]


def resolve_conflict(db: sqlite_utils.Database, conflict_id: int, keep: str, *, by: str | None = None) -> None:
    """Resolve a conflict by keeping the hub's version (``local``) or taking the incoming one (``incoming``)."""
    if keep not in ("local", "incoming"):
        raise SyncError("Choose which version to keep")
    with write_transaction(db):
        rows = list(db.query("select * from sync_conflicts where id = ? and resolved_at is null", [conflict_id]))
        if not rows:
            raise SyncError("That conflict has already been resolved.")
        row = rows[0]
        if keep == "incoming":
            record = json.loads(row["incoming_record"])
            local = local_record(db, record["rhi_id"])
            eps = [r["id"] for r in db.query(
                f"select id from episodes where episode_id in ({','.join('?' * len(record['episode_ids']))})",
                record["episode_ids"])]
            # Taking the incoming version is a correction: a new revision, the old one kept read-only.
            record = dict(record, revision=max(record["revision"], local["revision"]) + 1)
            _update_rhi(db, record, eps, local, {"name": row["sender_name"], "install_id": row["sender"]})
        db.execute("update sync_conflicts set resolved_at = ?, resolved_by = ?, resolution = ? where id = ?",
                   [now_iso(), by, keep, conflict_id])
        audit.record(db, "sync.conflict_resolved", username=by, object_type="rhi", object_id=row["rhi_id"],
                     detail={"kept": keep, "conflict": conflict_id})


def held(db: sqlite_utils.Database) -> list[dict]:
    """Returns kept aside because the hub did not know their episodes."""
    return [dict(r, parsed=json.loads(r["record"])) for r in
            db.query("select * from sync_held where released_at is null order by id")]


def retry_held(db: sqlite_utils.Database, *, by: str | None = None) -> int:
    """Try held returns again (after importing the missing episodes); returns how many went in."""
    released = 0
    with write_transaction(db):
        for row in held(db):
            record = row["parsed"]
            child = list(db.query("select id from children where child_id = ?", [record["child_id"]]))
            eps = list(db.query(f"select id, child from episodes where episode_id in "
                                f"({','.join('?' * len(record['episode_ids']))})", record["episode_ids"]))
            if not child or len(eps) != len(set(record["episode_ids"])) or any(e["child"] != child[0]["id"]
                                                                              for e in eps):
                continue
            sender = {"install_id": row["sender"], "name": row["sender_name"]}
            local = local_record(db, record["rhi_id"])
            if local is None:
                _insert_rhi(db, record, child[0]["id"], [e["id"] for e in eps], sender)
            else:
                outcome = _compare(local, record)
                if outcome == "updated":
                    _update_rhi(db, record, [e["id"] for e in eps], local, sender)
                elif outcome == "conflicts":
                    _conflict(db, local, record, sender, row["file_sequence"], record_digest(record))
            db.execute("update sync_held set released_at = ?, released_by = ? where id = ?", [now_iso(), by, row["id"]])
            audit.record(db, "sync.held_released", username=by, object_type="rhi", object_id=record["rhi_id"])
            released += 1
    return released


def imports(db: sqlite_utils.Database, limit: int = 50) -> list[dict]:
    """The newest imported files, with their senders' names."""
    return list(db.query("select i.*, coalesce(s.name, i.sender) as sender_name from sync_imports i "
                         "left join sync_installs s on s.install_id = i.sender order by i.id desc limit ?", [limit]))


def sent(db: sqlite_utils.Database, limit: int = 50) -> list[dict]:
    """The newest files made here, with their recipients' names."""
    return list(db.query("select f.*, coalesce(s.name, f.recipient) as recipient_name from sync_sent f "
                         "left join sync_installs s on s.install_id = f.recipient order by f.id desc limit ?", [limit]))


def refusals(db: sqlite_utils.Database, limit: int = 20) -> list[dict]:
    """The newest refused files, from the audit log."""
    return [dict(r, parsed=json.loads(r["detail"] or "{}")) for r in
            db.query("select * from audit_log where action = 'sync.refused' order by id desc limit ?", [limit])]


def awaiting_hub(db: sqlite_utils.Database, rhi_id: str) -> bool:
    """Field install: whether this interview, as it stands, is still to reach the hub (not confirmed by a receipt)."""
    local = local_record(db, rhi_id)
    if local is None or local["status"] != "signed_off":
        return False
    state = db.execute("select confirmed_digest, purged_at from sync_rhi_state where rhi_id = ?", [rhi_id]).fetchone()
    return not state or (not state[1] and state[0] != record_digest(local))
