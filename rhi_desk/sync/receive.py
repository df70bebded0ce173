"""Importing a sync file all-or-nothing: packs, returns (with conflicts and held records), receipts, and the purge after a receipt."""
from __future__ import annotations

import hashlib
import json
import mmap
import os
import tempfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import orjson
import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now, now_iso
from rhi_desk.db import install, write_transaction
from rhi_desk.register import rhi_tracking
from rhi_desk.sync import briefing
from rhi_desk.sync.fileformat import (
    HEAD_BYTES,
    RECORD_FIELDS,
    CheckedFile,
    SyncError,
    SyncRefused,
    check_file,
    check_head,
    refuse,
)
from rhi_desk.sync.records import _stage, local_record, local_records, record_digest

# ---------------------------------------------------------------------------------------------
# Receiving


@dataclass
class ImportResult:
    """What importing one file did, in words a person can read."""

    already: bool
    kind: str
    sender: str
    sequence: int
    summary: dict = field(default_factory=dict)
    children: list = field(default_factory=list)  # [{"child_id", "name"}] whose records the file changed

    @property
    def counts_message(self) -> str:
        """One sentence saying what the file did, naming no child."""
        if self.already:
            return (f"File {self.sequence} from {self.sender} was already imported; nothing changed.")
        parts = [f"{v} {k.replace('_', ' ')}" for k, v in self.summary.items() if v]
        return f"Imported file {self.sequence} from {self.sender}: " + (", ".join(parts) or "nothing new") + "."

    @property
    def message(self) -> str:
        """What the file did and the children it changed, for the screen or the terminal."""
        if not self.children:
            return self.counts_message
        return self.counts_message + " Children: " + ", ".join(child_label(c) for c in self.children) + "."


def child_label(child: dict) -> str:
    """A child as a person reads it: "Amira Khan (C-1)", or "C-1" where no name is held."""
    name = (child.get("name") or "").strip()
    return f"{name} ({child['child_id']})" if name else child["child_id"]


def children_named(db, child_ids) -> list[dict]:
    """[{"child_id", "name"}] for these ids, in the order given (the name empty where none is held)."""
    ids = [c for c in dict.fromkeys(child_ids) if c]
    names: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        names.update(db.execute(f"select child_id, name from children where child_id in "
                                f"({','.join('?' * len(chunk))})", chunk).fetchall())
    return [{"child_id": c, "name": names.get(c) or ""} for c in ids]


def receive(db: sqlite_utils.Database, data, *, file_name: str | None = None,
            by: str | None = None, digest=None, sha256: str | None = None) -> ImportResult:
    """Import one file: every check first, then all of it in one transaction (or none of it).

    ``data`` is the file's bytes or a memoryview of the mapped file; ``digest`` (optional) returns its
    SHA-256 and size without touching the mapping (:func:`receive_path`). Raises :class:`SyncRefused`
    (audited, nothing else written) when the file is refused.
    """
    digest = digest or (lambda: (hashlib.sha256(data).hexdigest(), len(data)))
    try:
        checked = check_file(db, data, sha256)
    except SyncRefused as refusal:
        _audit_refusal(db, refusal, digest, file_name, by)
        raise
    try:
        return _import_checked(db, checked, file_name, by)
    except SyncRefused as refusal:
        _audit_refusal(db, refusal, digest, file_name, by)
        raise


def _import_checked(db, checked: CheckedFile, file_name, by) -> ImportResult:
    manifest, payload, sender = checked.manifest, checked.payload, checked.sender
    sequence = manifest["sequence"]
    with write_transaction(db):
        # Checked inside the write lock, so two imports of one file at once import it once.
        seen = list(db.query("select file_sha256 from sync_imports where sender = ? and sequence = ?",
                             [sender["install_id"], sequence]))
        if seen and seen[0]["file_sha256"] == checked.sha256:
            audit.record(db, "sync.import.repeat", username=by, object_type="install",
                         object_id=sender["install_id"], detail={"sequence": sequence, "file": file_name})
            return ImportResult(True, manifest["kind"], sender["name"], sequence)
        if seen:
            raise refuse("replay", sequence=sequence, sender=sender["name"])
        changed: list = []
        if manifest["kind"] == "return":
            summary = _apply_return(db, payload, sender, sequence, by)
            changed = children_named(db, summary.pop("_children"))
        else:
            summary = _apply_pack(db, payload, sender, by, changed)
        db.execute("insert into sync_imports (sender, sequence, kind, file_sha256, file_name, counts, summary, "
                   "created_at, imported_at, imported_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [sender["install_id"], sequence, manifest["kind"], checked.sha256, file_name,
                    json.dumps(manifest["counts"]), json.dumps(summary), manifest["created_at"], now_iso(), by])
        audit.record(db, "sync.import", username=by, object_type="install", object_id=sender["install_id"],
                     detail={"from": sender["name"], "kind": manifest["kind"], "sequence": sequence,
                             "file": file_name, "summary": summary})
    return ImportResult(False, manifest["kind"], sender["name"], sequence, summary, changed)


def _audit_refusal(db, refusal: SyncRefused, digest, file_name, by) -> None:
    sha256, size = digest()
    audit.record(db, "sync.refused", username=by, object_type="sync_file", object_id=file_name,
                 detail={"reason": refusal.reason, "message": str(refusal), "sha256": sha256, "bytes": size})


def receive_path(db: sqlite_utils.Database, path: str | os.PathLike, *, by: str | None = None) -> ImportResult:
    """Import the file at ``path`` (see :func:`receive`), never reading it whole into memory.

    Its size is checked against the cap before anything is read, and what its first bytes can refuse (what
    it is, whom it is for, who sent it) is refused from those alone. Only then is it copied, in pieces, to a
    private file beside the database (so nobody can change or cut it short while it is checked), and that
    copy is mapped, not read: the signature is checked over the mapped pages (the operating system's file
    cache, given back under pressure), and only a file an enrolled install signed is copied into memory to
    be decrypted (docs/security.md, "Sync files and memory").
    """
    path = Path(path)
    try:
        _refuse_over_cap(path, path.stat().st_size)  # before it is even opened
        handle = open(path, "rb")
    except OSError as exc:
        raise SyncError(f"The file {path} could not be read ({exc.strerror or exc}).") from None
    with handle:
        try:
            size = os.fstat(handle.fileno()).st_size
            _refuse_over_cap(path, size)  # it may have grown since
            head = handle.read(HEAD_BYTES)
        except OSError as exc:
            raise SyncError(f"The file {path} could not be read ({exc.strerror or exc}).") from None

        def digest():  # read in pieces, for a refusal's audit entry
            handle.seek(0)
            hashed = hashlib.sha256()
            while chunk := handle.read(COPY_CHUNK):
                hashed.update(chunk)
            return hashed.hexdigest(), size

        try:
            check_head(db, head, size)
        except SyncRefused as refusal:
            _audit_refusal(db, refusal, digest, path.name, by)
            raise
        fd, copy = tempfile.mkstemp(prefix=".receiving-", suffix=".rhisync", dir=_private_folder(db))
        try:
            hashed, copied = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                handle.seek(0)
                while copied < size and (chunk := handle.read(min(COPY_CHUNK, size - copied))):
                    hashed.update(chunk)
                    out.write(chunk)
                    copied += len(chunk)
            sha256 = hashed.hexdigest()
            return _receive_mapped(db, Path(copy), sha256, copied, path.name, by)
        except OSError as exc:
            raise SyncError(f"The file {path} could not be read ({exc.strerror or exc}).") from None
        finally:
            Path(copy).unlink(missing_ok=True)


COPY_CHUNK = 1024 * 1024


def _refuse_over_cap(path: Path, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise SyncRefused("too_large", f"{path.name} is {size // (1024 * 1024)} MB: a sync file is never "
                                       f"more than {MAX_FILE_BYTES // (1024 * 1024)} MB, so it was not read.")


def _private_folder(db: sqlite_utils.Database) -> str:
    """The database's own folder (this user's alone), where the private copy of an arriving file goes."""
    for _, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return str(Path(file).parent)
    return tempfile.gettempdir()


def _receive_mapped(db, copy: Path, sha256: str, size: int, file_name: str, by) -> ImportResult:
    if not size:
        return receive(db, b"", file_name=file_name, by=by, digest=lambda: (sha256, size))
    with open(copy, "rb") as handle:
        mapped = mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_READ)
    view = memoryview(mapped)
    try:
        return receive(db, view, file_name=file_name, by=by, digest=lambda: (sha256, size), sha256=sha256)
    finally:
        view.release()
        try:
            mapped.close()
        except BufferError:  # a view still held by a traceback: unmapped when that is collected
            pass


# A return of 10,000 interviews is a few MB; nothing a person sends comes near this.
MAX_FILE_BYTES = 512 * 1024 * 1024


def _apply_return(db, payload: dict, sender: dict, sequence: int, by) -> dict:
    summary = {"new": 0, "updated": 0, "unchanged": 0, "older_ignored": 0, "conflicts": 0, "held": 0}
    children = {r["child_id"]: r["id"] for r in db.query("select id, child_id from children")}
    episodes = {r["episode_id"]: (r["id"], r["child"]) for r in db.query("select id, episode_id, child from episodes")}
    stamp = now_iso()
    receipts, changed, changed_children = [], [], []
    pending: dict[str, tuple] = {}  # new RHIs, inserted together at the end
    locals_ = local_records(db, (r["rhi_id"] for r in payload["records"]))
    for record in payload["records"]:
        digest = record_digest(record)
        receipts.append((sender["install_id"], record["rhi_id"], record["revision"], digest, stamp))
        child_pk = children.get(record["child_id"])
        unknown = [e for e in record["episode_ids"] if e not in episodes]
        if unknown or child_pk is None or any(episodes[e][1] != child_pk for e in record["episode_ids"]):
            reason = (f"The hub does not know episode {', '.join(unknown)}" if unknown else
                      "The episodes and child in this return do not match the hub's records")
            _hold(db, record, sender, sequence, reason, digest)
            summary["held"] += 1
            continue
        episode_pks = [episodes[e][0] for e in record["episode_ids"]]
        local = locals_.get(record["rhi_id"])
        if local is None:
            outcome = "new"
            pending[record["rhi_id"]] = (record, child_pk, episode_pks)
        else:
            outcome = _compare(local, record)
            if outcome == "updated" and record["rhi_id"] in pending:
                pending[record["rhi_id"]] = (record, child_pk, episode_pks)
            elif outcome == "updated":
                _update_rhi(db, record, episode_pks, local, sender)
            elif outcome == "conflicts":
                _conflict(db, local, record, sender, sequence, digest)
        if outcome in ("new", "updated"):
            changed_children.append(record["child_id"])
            locals_[record["rhi_id"]] = record  # a second copy later in the same file compares with this one
            changed.append((stamp, by, "rhi.sync_import", "rhi", record["rhi_id"], orjson.dumps(
                {"from": sender["name"], "revision": record["revision"], "status": record["status"]},
                option=orjson.OPT_SORT_KEYS).decode()))
        summary[outcome] += 1
    _insert_rhis(db, list(pending.values()), sender, stamp)
    db.conn.executemany("insert into audit_log (at, username, action, object_type, object_id, detail) "
                        "values (?, ?, ?, ?, ?, ?)", changed)
    db.conn.executemany(
        "insert into sync_receipts_due (sender, rhi_id, revision, digest, received_at) values (?, ?, ?, ?, ?) "
        "on conflict (sender, rhi_id, digest) do update set sent_in = null, received_at = excluded.received_at",
        receipts)
    summary["_children"] = changed_children  # taken out before the summary is stored
    return summary


def _compare(local: dict, incoming: dict) -> str:
    if incoming["revision"] > local["revision"]:
        return "updated"
    if incoming["revision"] < local["revision"]:
        return "older_ignored"
    if record_digest(local) == record_digest(incoming):
        return "unchanged"
    if local["status"] == "signed_off" and incoming["status"] == "signed_off":
        return "conflicts"
    return "updated" if _stage(incoming) >= _stage(local) else "older_ignored"


def _rhi_values(record: dict) -> list:
    return [record[name] if name in record else None for name in RECORD_FIELDS]


def _insert_rhis(db, new: list[tuple], sender: dict, stamp: str) -> None:
    """Insert new RHIs (record, child pk, episode pks) in a few statements."""
    if not new:
        return
    origin = f"sync:{sender['name']}"
    db.conn.executemany(
        f"insert into return_home_interviews (rhi_id, child, {', '.join(RECORD_FIELDS)}, status, revision, answers, "
        f"assigned_install, origin, created_at, updated_at) values (?, ?, {', '.join('?' * len(RECORD_FIELDS))}, "
        f"?, ?, ?, ?, ?, ?, ?)",
        [(record["rhi_id"], child_pk, *_rhi_values(record), record["status"], record["revision"],
          orjson.dumps(record["answers"] if record["answers"] is not None else {}).decode(),
          sender["install_id"], origin, stamp, stamp) for record, child_pk, _eps in new])
    pks: dict[str, int] = {}
    ids = [record["rhi_id"] for record, _c, _e in new]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        pks.update(db.execute(f"select rhi_id, id from return_home_interviews where rhi_id in "
                              f"({','.join('?' * len(chunk))})", chunk).fetchall())
    db.conn.executemany("insert or ignore into rhi_episodes (rhi, episode) values (?, ?)",
                        [(pks[record["rhi_id"]], e) for record, _c, eps in new for e in eps])


def _insert_rhi(db, record: dict, child_pk: int, episode_pks: list[int], sender: dict) -> None:
    _insert_rhis(db, [(record, child_pk, episode_pks)], sender, now_iso())


def _update_rhi(db, record: dict, episode_pks: list[int], local: dict, sender: dict) -> None:
    row = db.execute("select id, answers from return_home_interviews where rhi_id = ?",
                     [record["rhi_id"]]).fetchone()
    pk = row[0]
    if local["status"] == "signed_off" and record["revision"] > local["revision"]:
        # The replaced signed-off revision is kept read-only, never lost.
        db.execute("insert or ignore into rhi_revisions (rhi, revision, snapshot, reason, created_by, created_at) "
                   "values (?, ?, ?, ?, ?, ?)",
                   [pk, local["revision"], json.dumps(local, ensure_ascii=False),
                    f"Replaced by revision {record['revision']} from {sender['name']}", f"sync:{sender['name']}",
                    now_iso()])
    answers = (json.dumps(record["answers"], ensure_ascii=False) if record["answers"] is not None else row[1])
    db.execute(
        f"update return_home_interviews set {', '.join(f'{n} = ?' for n in RECORD_FIELDS)}, status = ?, "
        f"revision = ?, answers = ?, origin = ?, updated_at = ? where id = ?",
        [*_rhi_values(record), record["status"], record["revision"], answers, f"sync:{sender['name']}",
         now_iso(), pk])
    db.conn.executemany("insert or ignore into rhi_episodes (rhi, episode) values (?, ?)",
                        [(pk, e) for e in episode_pks])


def _conflict(db, local: dict, record: dict, sender: dict, sequence: int, digest: str) -> None:
    for row in db.query("select incoming_record from sync_conflicts where rhi_id = ? and resolved_at is null",
                        [record["rhi_id"]]):
        if record_digest(json.loads(row["incoming_record"])) == digest:
            return
    db.execute("insert into sync_conflicts (rhi_id, revision, sender, sender_name, file_sequence, local_record, "
               "incoming_record, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
               [record["rhi_id"], record["revision"], sender["install_id"], sender["name"], sequence,
                json.dumps(local, ensure_ascii=False), json.dumps(record, ensure_ascii=False), now_iso()])


def _hold(db, record: dict, sender: dict, sequence: int, reason: str, digest: str) -> None:
    for row in db.query("select record from sync_held where rhi_id = ? and released_at is null", [record["rhi_id"]]):
        if record_digest(json.loads(row["record"])) == digest:
            return
    db.execute("insert into sync_held (rhi_id, sender, sender_name, file_sequence, record, reason, created_at) "
               "values (?, ?, ?, ?, ?, ?, ?)",
               [record["rhi_id"], sender["install_id"], sender["name"], sequence,
                json.dumps(record, ensure_ascii=False), reason, now_iso()])


def _apply_pack(db, payload: dict, sender: dict, by, changed: list) -> dict:
    """Import a pack or receipt; ``changed`` gets the children whose records it changed (named before any purge)."""
    me = install(db)
    touched: list[str] = []
    withdrawn_names: dict[str, str] = {}
    summary = {"children": 0, "episodes": 0, "new_assignments": 0, "confirmed": 0, "removed": 0}
    stamp = now_iso()
    for child in payload.get("children", []):
        values = [child["name"], child["date_of_birth"], child.get("sex"), int(child["looked_after"]),
                  child["placement"], int(child["other_la"]), child["risk_notes"], stamp]
        updated = db.execute(
            "update children set name = ?, date_of_birth = ?, sex = ?, looked_after = ?, placement = ?, "
            "other_la = ?, risk_notes = ?, updated_at = ? where child_id = ?", values + [child["child_id"]]).rowcount
        if not updated:
            db.execute("insert into children (name, date_of_birth, sex, looked_after, placement, other_la, risk_notes, "
                       "updated_at, child_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       values + [child["child_id"], stamp])
        summary["children"] += 1
    children = {r["child_id"]: r["id"] for r in db.query("select id, child_id from children")}
    for ep in payload.get("episodes", []):
        if ep["child_id"] not in children:
            raise refuse("invalid_payload", detail=f"episode {ep['episode_id']} is for a child not in the file")
        values = [children[ep["child_id"]], ep["episode_type"], ep["start"], ep["end"], int(ep.get("looked_after")
                  or 0), int(ep.get("other_la") or 0), ep.get("placement"), ep.get("police_risk"),
                  ep.get("circumstances"), ep.get("found_where"), stamp]
        updated = db.execute(
            'update episodes set child = ?, episode_type = ?, start = ?, "end" = ?, looked_after = ?, other_la = ?, '
            "placement = ?, police_risk = ?, circumstances = ?, found_where = ?, updated_at = ? where episode_id = ?",
            values + [ep["episode_id"]]).rowcount
        if not updated:
            db.execute('insert into episodes (child, episode_type, start, "end", looked_after, other_la, placement, '
                       "police_risk, circumstances, found_where, updated_at, episode_id, created_at) "
                       "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values + [ep["episode_id"], stamp])
        summary["episodes"] += 1
    episodes = {r["episode_id"]: r["id"] for r in db.query("select id, episode_id from episodes")}
    for a in payload.get("assignments", []):
        if a["child_id"] not in children or any(e not in episodes for e in a["episode_ids"]):
            raise refuse("invalid_payload", detail=f"assignment {a['rhi_id']} refers to a record not in the file")
        existing = rhi_tracking.get_rhi(db, a["rhi_id"])
        if existing is None:
            db.execute(
                "insert into return_home_interviews (rhi_id, child, interviewer_type, assigned_to, assigned_install, "
                "offered_at, offered_how, offered_by, status, revision, origin, created_at, updated_at, "
                "offer_from_hub) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [a["rhi_id"], children[a["child_id"]], a.get("interviewer_type"), a.get("assigned_to"),
                 me["install_id"], a.get("offered_at"), a.get("offered_how"), a.get("offered_by"),
                 "draft" if a.get("offered_at") else "open", a["revision"], f"sync:{sender['name']}", stamp, stamp,
                 int(bool(a.get("offered_at")))])
            pk = db.execute("select id from return_home_interviews where rhi_id = ?", [a["rhi_id"]]).fetchone()[0]
            summary["new_assignments"] += 1
            touched.append(a["child_id"])
            audit.record(db, "rhi.assigned_here", username=by, object_type="rhi", object_id=a["rhi_id"],
                         detail={"from": sender["name"]})
        else:
            pk = existing["id"]
            if existing["status"] == "open" and not existing["offered_at"]:
                db.execute("update return_home_interviews set interviewer_type = ?, assigned_to = ?, "
                           "assigned_install = ?, updated_at = ? where id = ?",
                           [a.get("interviewer_type"), a.get("assigned_to"), me["install_id"], stamp, pk])
        db.conn.executemany("insert or ignore into rhi_episodes (rhi, episode) values (?, ?)",
                            [(pk, episodes[e]) for e in a["episode_ids"]])
        if a.get("briefing") is not None:  # a pack from before format version 3 has none
            briefing.keep(db, a["rhi_id"], a["briefing"])
    for rhi_id in payload.get("withdrawn", []):
        child = db.execute("select c.child_id, c.name from return_home_interviews r join children c "
                           "on c.id = r.child where r.rhi_id = ?", [rhi_id]).fetchone()
        gone = _withdraw(db, rhi_id, by)
        summary["withdrawn"] = summary.get("withdrawn", 0) + gone
        if gone and child:
            touched.append(child[0])
            withdrawn_names[child[0]] = child[1]  # the child may be removed with the interview
    receipt = payload.get("receipt")
    if receipt:
        summary["confirmed"] = _apply_receipt(db, receipt, touched)
    # Named now: a purge after the receipt removes the names from this install.
    changed.extend(children_named(db, touched))
    for child in changed:
        if not child["name"] and child["child_id"] in withdrawn_names:
            child["name"] = withdrawn_names[child["child_id"]]
    summary["removed"] = _purge(db, by=by)
    return summary


def _withdraw(db, rhi_id: str, by) -> int:
    """Remove an interview the hub has given to someone else, if no work on it would be lost."""
    rhi = rhi_tracking.get_rhi(db, rhi_id)
    if rhi is None:
        return 0
    if rhi["status"] == "signed_off" or rhi["offered_at"] or rhi["outcome"]:
        # Work was recorded here: it goes to the hub in the next return, never silently dropped.
        return 0
    episode_pks = [r["episode"] for r in db.query("select episode from rhi_episodes where rhi = ?", [rhi["id"]])]
    db.execute("delete from rhi_revisions where rhi = ?", [rhi["id"]])
    db.execute("delete from return_home_interviews where id = ?", [rhi["id"]])
    for pk in episode_pks:
        if not db.execute("select 1 from rhi_episodes where episode = ?", [pk]).fetchone():
            db.execute("delete from episode_type_changes where episode = ?", [pk])
            db.execute("delete from episodes where id = ?", [pk])
    if not db.execute("select 1 from return_home_interviews where child = ?", [rhi["child"]]).fetchone() and \
            not db.execute("select 1 from episodes where child = ?", [rhi["child"]]).fetchone():
        db.execute("delete from children where id = ?", [rhi["child"]])
    db.execute("delete from sync_rhi_state where rhi_id = ?", [rhi_id])
    briefing.forget(db, rhi_id)
    audit.record(db, "sync.withdrawn", username=by, object_type="rhi", object_id=rhi_id,
                 detail="assigned elsewhere by the hub; removed from this install")
    return 1


def _apply_receipt(db, receipt: dict, touched: list) -> int:
    confirmed, stamp = 0, now()
    purge_after = (stamp + timedelta(days=receipt["retention_days"])).strftime("%Y-%m-%d %H:%M:%S")
    for item in receipt["confirmed"]:
        local = local_record(db, item["rhi_id"])
        if local is None or record_digest(local) != item["digest"]:
            continue  # changed since it was sent: it goes again in the next return
        db.execute(
            "insert into sync_rhi_state (rhi_id, confirmed_digest, confirmed_at, purge_after) values (?, ?, ?, ?) "
            "on conflict (rhi_id) do update set confirmed_digest = excluded.confirmed_digest, "
            "confirmed_at = excluded.confirmed_at, purge_after = excluded.purge_after",
            [item["rhi_id"], item["digest"], stamp.strftime("%Y-%m-%d %H:%M:%S"),
             purge_after if local["status"] == "signed_off" else None])
        if local["status"] == "signed_off":
            briefing.forget(db, item["rhi_id"])  # the hub holds the interview now: the briefing goes at once
        touched.append(local["child_id"])
        confirmed += 1
    return confirmed


# ---------------------------------------------------------------------------------------------
# Removing personal content the hub has confirmed (field installs)


def purge_due(db: sqlite_utils.Database, *, by: str | None = None) -> int:
    """Remove the personal content of confirmed interviews whose retention period has passed."""
    if install(db)["role"] != "field":
        return 0
    with write_transaction(db):
        return _purge(db, by=by)


def _purge(db, *, by=None) -> int:
    rows = list(db.query(
        "select s.rhi_id, s.confirmed_digest from sync_rhi_state s where s.purged_at is null "
        "and s.purge_after is not null and s.purge_after <= ?", [now_iso()]))
    removed = 0
    for state in rows:
        local = local_record(db, state["rhi_id"])
        # Only exactly what the hub confirmed is removed; anything changed since waits for a new receipt.
        if local is None or local["status"] != "signed_off" or record_digest(local) != state["confirmed_digest"]:
            continue
        rhi = rhi_tracking.get_rhi(db, state["rhi_id"])
        confirmed_at = db.execute("select confirmed_at from sync_rhi_state where rhi_id = ?",
                                  [state["rhi_id"]]).fetchone()[0]
        db.execute("update return_home_interviews set answers = '{}', offered_by = null, outcome_reason = null, "
                   "attempts = null, assigned_to = null, signed_off_by = null, resume_at = null, updated_at = ?, "
                   "hub_confirmed_at = ?, purged_at = ? where id = ?",
                   [now_iso(), confirmed_at, now_iso(), rhi["id"]])
        db.execute("delete from rhi_revisions where rhi = ?", [rhi["id"]])
        briefing.forget(db, state["rhi_id"])
        db.execute("update sync_rhi_state set purged_at = ? where rhi_id = ?", [now_iso(), state["rhi_id"]])
        still_open = db.execute(
            "select count(*) from return_home_interviews r left join sync_rhi_state s on s.rhi_id = r.rhi_id "
            "where r.child = ? and s.purged_at is null", [rhi["child"]]).fetchone()[0]
        if not still_open:
            db.execute("update children set name = '', date_of_birth = null, sex = null, risk_notes = null, "
                       "notes = null, social_worker = null, responsible_la = null, updated_at = ? where id = ?",
                       [now_iso(), rhi["child"]])
            db.execute("update episodes set circumstances = null, found_where = null, found_by = null, "
                       "found_how = null, police_reference = null, reported_by = null where child = ?",
                       [rhi["child"]])
        audit.record(db, "sync.purge", username=by, object_type="rhi", object_id=state["rhi_id"],
                     detail={"child_details_removed": not still_open})
        removed += 1
    return removed
