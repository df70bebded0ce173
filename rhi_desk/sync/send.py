"""Writing the next sync file for an enrolled install: a hub's pack and receipts, a field install's return; assigning an episode to a field install."""
from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now, now_iso
from rhi_desk.db import install, write_transaction
from rhi_desk.register import rhi_tracking
from rhi_desk.sync import briefing, keys
from rhi_desk.sync.fileformat import (
    EXTENSION,
    FORMAT_NAME,
    FORMAT_VERSION,
    SyncError,
    pack_file,
    payload_counts,
)
from rhi_desk.sync.receive import child_label, children_named, purge_due
from rhi_desk.sync.records import _episode_ids_by_rhi, _record_of, record_digest

# ---------------------------------------------------------------------------------------------
# Sending


def slug(name: str) -> str:
    """A file-name-safe version of an install's name."""
    return re.sub(r"[^a-z0-9]+", "-", (name or "").lower()).strip("-")[:40] or "install"


def write_atomically(folder: str | os.PathLike, name: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/name`` so a half-written file never appears under its final name."""
    folder = Path(folder)
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)  # a folder RHI Desk makes is this user's alone
    final = folder / name
    if final.exists():
        raise SyncError(f"There is already a file called {name} in {folder}. Move it away first.")
    fd, temp = tempfile.mkstemp(prefix=".rhisync-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, final)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable (not possible on every platform)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return final


@dataclass
class SentFile:
    """A file made by :func:`send`: where it is, and what went into it."""

    path: Path
    kind: str
    sequence: int
    counts: dict
    recipient: str
    children: list = field(default_factory=list)  # [{"child_id", "name"}] the file is about

    @property
    def contents(self) -> list[str]:
        """What went into the file, one line a part, in words (the children are named in :attr:`named`)."""
        return describe_counts(self.counts)

    @property
    def named(self) -> list[str]:
        """The children the file is about: "Name (id)", or the id alone where no name is held."""
        return [child_label(c) for c in self.children]

    @property
    def message(self) -> str:
        """One sentence for the screen or the terminal."""
        text = f"File {self.sequence} for {self.recipient} holds " + "; ".join(self.contents) + "."
        if self.named:
            text += " Children: " + ", ".join(self.named) + "."
        return text


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def describe_counts(counts: dict) -> list[str]:
    """A manifest's counts as lines a person reads ("1 child", "2 interviews to hold", "1 receipt ...")."""
    lines = []
    if "children" in counts:
        lines.append(_plural(counts["children"], "child", "children"))
    if "assignments" in counts:
        lines.append(_plural(counts["assignments"], "interview to hold", "interviews to hold"))
    if "records" in counts:
        lines.append(_plural(counts["records"], "interview (signed off, or its offer and outcome)",
                             "interviews (signed off, or their offer and outcome)"))
    if "confirmed" in counts:
        lines.append(_plural(counts["confirmed"], "receipt for an interview received",
                             "receipts for interviews received"))
    if counts.get("withdrawn"):
        lines.append(_plural(counts["withdrawn"], "interview withdrawn (given to someone else)",
                             "interviews withdrawn (given to someone else)"))
    return lines


def _active_recipient(db, name: str) -> dict:
    target = keys.enrolled_by_name(db, name)
    if target is None:
        raise SyncError(f"No enrolled install is called {name}. Enrol its identity file first.")
    if target["status"] == "revoked":
        raise SyncError(f"{target['name']} has been revoked; nothing can be sent to it.")
    return target


def send(db: sqlite_utils.Database, to: str, out_dir: str | os.PathLike, *, by: str | None = None) -> SentFile:
    """Make the next file for the enrolled install ``to`` in ``out_dir``: a pack/receipt (hub) or a return (field)."""
    me = install(db)
    target = _active_recipient(db, to)
    purge_due(db, by=by)
    with write_transaction(db):
        sequence = db.execute("select coalesce(max(sequence), 0) + 1 from sync_sent where recipient = ?",
                              [target["install_id"]]).fetchone()[0]
        if me["role"] == "hub":
            payload = _hub_payload(db, target, sequence)
        else:
            payload = _return_payload(db, target, sequence)
        payload.update({"sender": me["install_id"], "recipient": target["install_id"], "sequence": sequence})
        counts = payload_counts(payload)
        about = children_named(db, [a["child_id"] for a in payload.get("assignments", [])]
                               + [r["child_id"] for r in payload.get("records", [])]
                               + list(payload.pop("_receipt_children", [])))
        created_at = now_iso()
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "kind": payload["kind"],
            "sender": {"install_id": me["install_id"], "name": me["name"], "role": me["role"],
                       "la_name": me["la_name"]},
            "recipient": {"install_id": target["install_id"], "name": target["name"]},
            "sequence": sequence,
            "created_at": created_at,
            "counts": counts,
            "compression": "zlib",
            "encryption": "nacl-sealedbox-x25519-xsalsa20-poly1305",
            "signature": "ed25519",
        }
        data = pack_file(manifest, payload, keys.signing_key(db), target["box_public"])
        name = f"{slug(me['name'])}-to-{slug(target['name'])}-{sequence:06d}-{now().strftime('%Y%m%d')}{EXTENSION}"
        db.execute("insert into sync_sent (recipient, sequence, kind, file_name, counts, created_at, created_by) "
                   "values (?, ?, ?, ?, ?, ?, ?)",
                   [target["install_id"], sequence, payload["kind"], name, json.dumps(counts), created_at, by])
        audit.record(db, "sync.send", username=by, object_type="install", object_id=target["install_id"],
                     detail={"to": target["name"], "kind": payload["kind"], "sequence": sequence, "counts": counts,
                             "file": name})
        # The file is written last, inside the transaction: if writing fails nothing is marked as sent.
        path = write_atomically(out_dir, name, data)
    return SentFile(path, payload["kind"], sequence, counts, target["name"], about)


def _hub_payload(db, target: dict, sequence: int) -> dict:
    rhis = list(db.query(
        "select r.*, c.child_id as child_ref from return_home_interviews r join children c on c.id = r.child "
        "where r.assigned_install = ? and r.status != 'signed_off' order by r.id", [target["install_id"]]))
    episodes_by = _episode_ids_by_rhi(db, [r["id"] for r in rhis]) if rhis else {}
    assignments, child_pks, episode_ids = [], set(), []
    for r in rhis:
        eps = episodes_by.get(r["id"], [])
        if not eps:
            continue
        child_pks.add(r["child"])
        episode_ids.extend(eps)
        assignments.append({"rhi_id": r["rhi_id"], "revision": r["revision"], "child_id": r["child_ref"],
                            "episode_ids": eps, "interviewer_type": r["interviewer_type"],
                            "assigned_to": r["assigned_to"], "offered_at": r["offered_at"],
                            "offered_how": r["offered_how"], "offered_by": r["offered_by"],
                            "briefing": briefing.for_rhi(db, r)})
    children = []
    for pk in sorted(child_pks):
        c = db.execute("select child_id, name, date_of_birth, sex, looked_after, placement, other_la, risk_notes "
                       "from children where id = ?", [pk]).fetchone()
        children.append({"child_id": c[0], "name": c[1], "date_of_birth": c[2], "sex": c[3],
                         "looked_after": bool(c[4]), "placement": c[5], "other_la": bool(c[6]),
                         "risk_notes": c[7]})
    episodes = []
    for episode_id in dict.fromkeys(episode_ids):
        e = list(db.query("select e.*, c.child_id as child_ref from episodes e join children c on c.id = e.child "
                          "where e.episode_id = ?", [episode_id]))[0]
        episodes.append({"episode_id": e["episode_id"], "child_id": e["child_ref"],
                         "episode_type": e["episode_type"], "start": e["start"], "end": e["end"],
                         "looked_after": bool(e["looked_after"]), "other_la": bool(e["other_la"]),
                         "placement": e["placement"], "police_risk": e["police_risk"],
                         "circumstances": e["circumstances"], "found_where": e["found_where"]})
    db.conn.executemany("insert into sync_assigned (recipient, rhi_id, sent_in) values (?, ?, ?) "
                        "on conflict (recipient, rhi_id) do update set withdrawn_in = null",
                        [(target["install_id"], a["rhi_id"], sequence) for a in assignments])
    # Interviews sent here before but since given to someone else, removed, or finished at the hub are
    # withdrawn (the field install keeps any it has recorded work on until that work is back at the hub).
    withdrawn = [r["rhi_id"] for r in db.query(
        "select s.rhi_id from sync_assigned s left join return_home_interviews r on r.rhi_id = s.rhi_id "
        "where s.recipient = ? and s.withdrawn_in is null "
        "and (r.id is null or r.assigned_install is not s.recipient or r.status = 'signed_off')",
        [target["install_id"]])]
    db.conn.executemany("update sync_assigned set withdrawn_in = ? where recipient = ? and rhi_id = ?",
                        [(sequence, target["install_id"], rhi_id) for rhi_id in withdrawn])
    due = list(db.query("select * from sync_receipts_due where sender = ? and sent_in is null order by id",
                        [target["install_id"]]))
    db.execute("update sync_receipts_due set sent_in = ? where sender = ? and sent_in is null",
               [sequence, target["install_id"]])
    receipt = {"retention_days": int(install(db)["retention_days"] or 0),
               "confirmed": [{"rhi_id": d["rhi_id"], "revision": d["revision"], "digest": d["digest"]}
                             for d in due]}
    # Whose interviews the receipt confirms, for the person making the file (never part of the file).
    receipt_children = [r["child_id"] for r in db.query(
        "select distinct c.child_id from sync_receipts_due d join return_home_interviews r on r.rhi_id = d.rhi_id "
        "join children c on c.id = r.child where d.sent_in = ? and d.sender = ?", [sequence, target["install_id"]])]
    if assignments or withdrawn:
        pack = {"kind": "pack", "children": children, "episodes": episodes, "assignments": assignments,
                "receipt": receipt, "_receipt_children": receipt_children}
        if withdrawn:
            pack["withdrawn"] = withdrawn
        return pack
    if due:
        return {"kind": "receipt", "receipt": receipt, "_receipt_children": receipt_children}
    raise SyncError(f"There is nothing to send to {target['name']}: no interviews are assigned to it and "
                    "nothing it returned is waiting for a receipt.")


def _return_payload(db, target: dict, sequence: int) -> dict:
    if target["role"] != "hub":
        raise SyncError("A field install sends its returns to its hub only.")
    rows = list(db.query(
        "select r.*, c.child_id as child_ref, s.confirmed_digest from return_home_interviews r "
        "join children c on c.id = r.child left join sync_rhi_state s on s.rhi_id = r.rhi_id "
        "where (r.status = 'signed_off' or r.offered_at is not null or r.outcome is not null) "
        "and (s.purged_at is null) order by r.id"))
    episodes_by = _episode_ids_by_rhi(db, [r["id"] for r in rows]) if rows else {}
    records, states, stamp = [], [], now_iso()
    for row in rows:
        record = _record_of(row, row["child_ref"], episodes_by.get(row["id"], []))
        if not record["episode_ids"]:
            continue
        digest = record_digest(record)
        if digest == row["confirmed_digest"]:
            continue  # the hub already holds exactly this
        records.append(record)
        states.append((row["rhi_id"], digest, stamp))
    db.conn.executemany("insert into sync_rhi_state (rhi_id, sent_digest, sent_at) values (?, ?, ?) "
                        "on conflict (rhi_id) do update set sent_digest = excluded.sent_digest, "
                        "sent_at = excluded.sent_at", states)
    if not records:
        raise SyncError("There is nothing to send to the hub: no signed-off interviews or recorded offers and "
                        "outcomes are waiting.")
    return {"kind": "return", "records": records}




# ---------------------------------------------------------------------------------------------
# Assigning (hub)


def assign_episode(db: sqlite_utils.Database, episode_id: str, to: str, *, by: str | None = None) -> dict:
    """Assign the RHI for an episode (made if needed) to the enrolled field install ``to``."""
    me = install(db)
    if me["role"] != "hub":
        raise SyncError("Only the hub assigns interviews to field installs.")
    target = _active_recipient(db, to)
    if target["role"] != "field":
        raise SyncError(f"{target['name']} is not a field install.")
    episodes = list(db.query("select * from episodes where episode_id = ?", [episode_id]))
    if not episodes:
        raise SyncError(f"There is no episode {episode_id} on the hub. Check the episode id, or import the "
                        "episode register first.")
    episode = episodes[0]
    rhis = list(db.query("select r.* from return_home_interviews r join rhi_episodes re on re.rhi = r.id "
                         "where re.episode = ? order by r.id desc", [episode["id"]]))
    if any(r["outcome"] == "completed" for r in rhis):
        raise SyncError(f"Episode {episode_id} already has a completed interview; there is nothing to assign.")
    open_rhis = [r for r in rhis if r["status"] != "signed_off"]
    interviewer_type = (open_rhis[0]["interviewer_type"] if open_rhis else None) or \
        rhi_tracking.default_interviewer_type(episode["placement"])
    try:
        if open_rhis:
            rhi_id = open_rhis[0]["rhi_id"]
        else:
            rhi_id = rhi_tracking.create_rhi(db, [episode["id"]], interviewer_type=interviewer_type, by=by)["rhi_id"]
        rhi_tracking.assign(db, rhi_id, interviewer_type, target["name"], assigned_install=target["install_id"],
                            by=by)
    except rhi_tracking.RHIError as exc:
        raise SyncError(str(exc)) from None
    return rhi_tracking.get_rhi(db, rhi_id)
