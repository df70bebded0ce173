"""Sync by file between field installs and the hub: packs out, returns back, receipts, nothing lost.

Three kinds of file (format in ``docs/sync-format.md``):
- **pack** (hub → one field install): the children, episodes and RHIs assigned to that install,
  plus a receipt for what the hub has imported from it;
- **return** (field → hub): every signed-off RHI and every recorded offer/outcome the hub has not
  yet confirmed (never draft answers);
- **receipt** (hub → field): a pack with nothing new to assign.

Every file is compressed, encrypted for its one recipient (libsodium sealed box, X25519) and
signed by its sender (Ed25519) over manifest and ciphertext. Importing checks everything before
writing anything, then applies the whole file in one transaction.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import orjson
import sqlite_utils
from nacl.exceptions import CryptoError
from nacl.encoding import HexEncoder
from nacl.public import PublicKey, SealedBox

from . import PACKAGE_DIR, audit, keys, rhi_tracking
from .clock import now, now_iso
from .db import install, write_transaction

FORMAT_NAME = "rhi-desk-sync"
FORMAT_VERSION = 1
MAGIC = b"RHISYNC\n"
EXTENSION = ".rhisync"
SIGNATURE_BYTES = 64
MAX_MANIFEST_BYTES = 64 * 1024
MAX_PAYLOAD_BYTES = 1024 * 1024 * 1024  # decompressed: refuses a "zip bomb"
KINDS = ("pack", "return", "receipt")

# Fields of an RHI that travel in a return record, in the order the record lists them.
RECORD_FIELDS = ("interviewer_type", "assigned_to", "offered_at", "offered_how", "offered_by", "outcome",
                 "outcome_reason", "attempts", "completed_at", "signed_off_by", "signed_off_at")


class SyncError(Exception):
    """A user-facing problem sending, assigning or resolving; the message says what to do."""


class SyncRefused(Exception):
    """A file was refused before anything was written; ``reason`` is a short code, the message plain words."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


REFUSALS = {
    "not_sync_file": "This is not an RHI Desk sync file. Check you chose a file ending in .rhisync.",
    "empty": "The file is empty: it may not have finished copying. Ask for it to be sent again.",
    "truncated": "The file is incomplete: it ends too early. It may not have finished copying; ask for it "
                 "to be sent again.",
    "extra_data": "The file is damaged: it has extra data after its end. Ask for it to be sent again.",
    "damaged": "The file is damaged and cannot be read. Ask for it to be sent again.",
    "newer_format": "This file was made by a newer version of RHI Desk than this one understands. Update RHI "
                    "Desk, then import it again.",
    "not_for_us": "This file is not for this install: it was made for {recipient}. Pass it to that install.",
    "unknown_sender": "This file is from an install that is not enrolled here ({sender}). Enrol its identity "
                      "file first if you trust it.",
    "revoked_sender": "This file is from {sender}, which was revoked on {date}. Files from a revoked install are "
                      "refused; contact the missing team.",
    "tampered": "This file has been changed since {sender} made it (its signature does not match). It was "
                "not imported. Ask for a fresh copy and report this to your information governance lead.",
    "undecryptable": "This file could not be opened with this install's key. Ask {sender} to make it again.",
    "invalid_payload": "The file's contents are not in the form this version of RHI Desk expects ({detail}). "
                       "It was not imported.",
    "wrong_kind": "{detail}",
    "replay": "File {sequence} from {sender} was already imported, and this is a different file with the same "
              "number: it may be an old copy or come from a restored backup. It was not imported.",
}


def refuse(reason: str, **values) -> SyncRefused:
    """Build the refusal for ``reason`` with its plain-words message."""
    return SyncRefused(reason, REFUSALS[reason].format(**values))


# ---------------------------------------------------------------------------------------------
# The payload's JSON Schema


def _schema_path() -> Path:
    inside = PACKAGE_DIR / "sync-payload.schema.json"
    return inside if inside.exists() else PACKAGE_DIR.parent / "docs" / "sync-payload.schema.json"


_validators = None
_validator_lock = threading.Lock()


def _load_validators():
    global _validators
    with _validator_lock:
        if _validators is None:
            import fastjsonschema
            from jsonschema import Draft7Validator

            schema = json.loads(_schema_path().read_text(encoding="utf-8"))
            Draft7Validator.check_schema(schema)
            # The compiled validator is the fast path; jsonschema explains a failure in words.
            _validators = (fastjsonschema.compile(schema), Draft7Validator(schema))
        return _validators


def payload_problem(payload) -> str | None:
    """Why ``payload`` breaks docs/sync-payload.schema.json, or None when it is valid."""
    fast, explainer = _load_validators()
    try:
        fast(payload)
        return None
    except Exception as exc:  # fastjsonschema's JsonSchemaException, or a value it cannot handle
        from jsonschema.exceptions import best_match

        error = best_match(explainer.iter_errors(payload))
        if error is None:
            return str(getattr(exc, "message", exc))[:200]
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        return f"at {where}: {error.message[:200]}"


# ---------------------------------------------------------------------------------------------
# The file: magic, manifest, ciphertext, signature


def pack_file(manifest: dict, payload: dict, signing_key, recipient_box_public: str) -> bytes:
    """Encode, compress, encrypt and sign one transfer; returns the file's bytes."""
    try:
        text = orjson.dumps(payload)
    except TypeError:  # numbers beyond 64 bits (RHI Desk never makes them; the tests do)
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    plain = zlib.compress(text, 6)
    ciphertext = SealedBox(PublicKey(recipient_box_public, encoder=HexEncoder)).encrypt(plain)
    manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode("utf-8")
    body = (MAGIC + struct.pack(">I", len(manifest_bytes)) + manifest_bytes
            + struct.pack(">Q", len(ciphertext)) + ciphertext)
    return body + signing_key.sign(body).signature


@dataclass
class OpenedFile:
    """A file split into its parts (nothing checked beyond its shape)."""

    manifest: dict
    body: bytes
    ciphertext: bytes
    signature: bytes


def split_file(data: bytes) -> OpenedFile:
    """Split a file into manifest, ciphertext and signature, refusing one of the wrong shape."""
    if not data:
        raise refuse("empty")
    if len(data) < len(MAGIC) or data[:len(MAGIC)] != MAGIC:
        if MAGIC.startswith(data[:len(MAGIC)]):
            raise refuse("truncated")
        raise refuse("not_sync_file")
    at = len(MAGIC)
    if len(data) < at + 4:
        raise refuse("truncated")
    (manifest_len,) = struct.unpack(">I", data[at:at + 4])
    at += 4
    if manifest_len > MAX_MANIFEST_BYTES:
        raise refuse("damaged")
    if len(data) < at + manifest_len + 8:
        raise refuse("truncated")
    manifest_bytes = data[at:at + manifest_len]
    at += manifest_len
    (cipher_len,) = struct.unpack(">Q", data[at:at + 8])
    at += 8
    end = at + cipher_len + SIGNATURE_BYTES
    if len(data) < end:
        raise refuse("truncated")
    if len(data) > end:
        raise refuse("extra_data")
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise refuse("damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise refuse("damaged")
    return OpenedFile(manifest, data[:at + cipher_len], data[at:at + cipher_len], data[at + cipher_len:end])


def _manifest_fields(manifest: dict) -> tuple:
    version = manifest.get("format_version")
    sender = manifest.get("sender")
    recipient = manifest.get("recipient")
    sequence = manifest.get("sequence")
    kind = manifest.get("kind")
    ok = (isinstance(version, int) and isinstance(sender, dict) and isinstance(sender.get("install_id"), str)
          and isinstance(sender.get("name"), str) and isinstance(recipient, dict)
          and isinstance(recipient.get("install_id"), str) and isinstance(sequence, int)
          and not isinstance(sequence, bool) and 1 <= sequence <= 10**9 and kind in KINDS
          and isinstance(manifest.get("counts"), dict) and isinstance(manifest.get("created_at"), str))
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise refuse("newer_format")
    if not ok or version != FORMAT_VERSION:
        raise refuse("damaged")
    return sender, recipient, sequence, kind


@dataclass
class CheckedFile:
    """A file that passed every check: signature, sender, recipient, decryption, schema."""

    manifest: dict
    payload: dict
    sender: dict  # the enrolled install row
    sha256: str


def check_file(db: sqlite_utils.Database, data: bytes) -> CheckedFile:
    """Check a file completely without writing anything; raises :class:`SyncRefused` with the reason."""
    opened = split_file(data)
    sender_ref, recipient_ref, sequence, kind = _manifest_fields(opened.manifest)
    me = install(db)
    if recipient_ref["install_id"] != me["install_id"]:
        name = recipient_ref.get("name") if isinstance(recipient_ref.get("name"), str) else "another install"
        raise refuse("not_for_us", recipient=name)
    sender = keys.enrolled(db, sender_ref["install_id"])
    if sender is None:
        raise refuse("unknown_sender", sender=sender_ref["name"] or "no name")
    if sender["status"] == "revoked":
        raise refuse("revoked_sender", sender=sender["name"], date=(sender["revoked_at"] or "")[:10])
    if not keys.verify(sender["signing_public"], opened.body, opened.signature):
        raise refuse("tampered", sender=sender["name"])
    try:
        compressed = SealedBox(keys.box_key(db)).decrypt(opened.ciphertext)
        inflater = zlib.decompressobj()
        plain = inflater.decompress(compressed, MAX_PAYLOAD_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            raise refuse("damaged")
        payload = orjson.loads(plain)
    except (CryptoError, zlib.error, UnicodeDecodeError, ValueError):
        raise refuse("undecryptable", sender=sender["name"]) from None
    problem = payload_problem(payload)
    if problem is not None:
        raise refuse("invalid_payload", detail=problem)
    if (payload["sender"], payload["recipient"], payload["sequence"], payload["kind"]) != (
            sender_ref["install_id"], recipient_ref["install_id"], sequence, kind):
        raise refuse("invalid_payload", detail="its label does not match its contents")
    if opened.manifest["counts"] != payload_counts(payload):
        raise refuse("invalid_payload", detail="its counts do not match its contents")
    if me["role"] == "hub" and kind != "return":
        raise refuse("wrong_kind", detail="This is an assignment pack or receipt for a field install, but this "
                                          "install is the hub. Pass it to the field install it was made for.")
    if me["role"] == "field" and kind == "return":
        raise refuse("wrong_kind", detail="This is a return bundle for the hub, but this install is a field "
                                          "install. Pass it to the hub.")
    return CheckedFile(opened.manifest, payload, sender, hashlib.sha256(data).hexdigest())


def payload_counts(payload: dict) -> dict:
    """The counts the manifest carries for a payload."""
    counts = {}
    for part in ("children", "episodes", "assignments", "records", "withdrawn"):
        if part in payload:
            counts[part] = len(payload[part])
    if "receipt" in payload:
        counts["confirmed"] = len(payload["receipt"]["confirmed"])
    return counts


# ---------------------------------------------------------------------------------------------
# Records: what an RHI looks like on the wire, and its digest


def record_digest(record: dict) -> str:
    """A digest of a return record's content, so the hub can confirm exactly what it imported."""
    # JSON with sorted keys, no spaces, UTF-8 (as documented in docs/sync-format.md).
    try:
        text = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a number too big for orjson: only a hand-made file holds one
        text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(text).hexdigest()


def _episode_ids_by_rhi(db, rhi_pks: list[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for start in range(0, len(rhi_pks), 500):
        chunk = rhi_pks[start:start + 500]
        for row in db.query(f"select re.rhi, e.episode_id from rhi_episodes re join episodes e on e.id = re.episode "
                            f"where re.rhi in ({','.join('?' * len(chunk))}) order by e.start, e.episode_id", chunk):
            result.setdefault(row["rhi"], []).append(row["episode_id"])
    return result


def _record_of(row: dict, child_id: str, episode_ids: list[str]) -> dict:
    signed_off = row["status"] == "signed_off"
    record = {
        "rhi_id": row["rhi_id"],
        "revision": row["revision"],
        "status": "signed_off" if signed_off else "draft",
        "child_id": child_id,
        "episode_ids": episode_ids,
    }
    for name in RECORD_FIELDS:
        record[name] = row[name]
    # Draft answers never leave the install: only the offer and outcome travel before sign-off.
    record["answers"] = orjson.loads(row["answers"] or "{}") if signed_off else None
    return record


def _stage(record: dict) -> tuple:
    return (record["status"] == "signed_off", record.get("outcome") is not None,
            record.get("offered_at") is not None)


def local_record(db: sqlite_utils.Database, rhi_id: str) -> dict | None:
    """This install's RHI in return-record form, or None."""
    rows = list(db.query("select r.*, c.child_id as child_ref from return_home_interviews r "
                         "join children c on c.id = r.child where r.rhi_id = ?", [rhi_id]))
    if not rows:
        return None
    row = rows[0]
    eps = [e["episode_id"] for e in db.query(
        "select e.episode_id from rhi_episodes re join episodes e on e.id = re.episode where re.rhi = ? "
        "order by e.start, e.episode_id", [row["id"]])]
    return _record_of(row, row["child_ref"], eps)


def local_records(db: sqlite_utils.Database, rhi_ids) -> dict[str, dict]:
    """This install's RHIs with these ids, in return-record form, by id (loaded in a few queries)."""
    ids = list(dict.fromkeys(rhi_ids))
    found: dict[str, dict] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = list(db.query(f"select r.*, c.child_id as child_ref from return_home_interviews r "
                             f"join children c on c.id = r.child where r.rhi_id in ({marks})", chunk))
        if not rows:
            continue
        eps: dict[int, list[str]] = {}
        pk_marks = ",".join("?" * len(rows))
        for e in db.query(f"select re.rhi, e.episode_id from rhi_episodes re join episodes e on e.id = re.episode "
                          f"where re.rhi in ({pk_marks}) order by e.start, e.episode_id", [r["id"] for r in rows]):
            eps.setdefault(e["rhi"], []).append(e["episode_id"])
        for row in rows:
            found[row["rhi_id"]] = _record_of(row, row["child_ref"], eps.get(row["id"], []))
    return found


# ---------------------------------------------------------------------------------------------
# Sending


def slug(name: str) -> str:
    """A file-name-safe version of an install's name."""
    return re.sub(r"[^a-z0-9]+", "-", (name or "").lower()).strip("-")[:40] or "install"


def write_atomically(folder: str | os.PathLike, name: str, data: bytes) -> Path:
    """Write ``data`` to ``folder/name`` so a half-written file never appears under its final name."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
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
    """A file made by :func:`send`."""

    path: Path
    kind: str
    sequence: int
    counts: dict
    recipient: str


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
    return SentFile(path, payload["kind"], sequence, counts, target["name"])


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
                            "offered_how": r["offered_how"], "offered_by": r["offered_by"]})
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
    if assignments or withdrawn:
        pack = {"kind": "pack", "children": children, "episodes": episodes, "assignments": assignments,
                "receipt": receipt}
        if withdrawn:
            pack["withdrawn"] = withdrawn
        return pack
    if due:
        return {"kind": "receipt", "receipt": receipt}
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
# Receiving


@dataclass
class ImportResult:
    """What importing one file did, in words a person can read."""

    already: bool
    kind: str
    sender: str
    sequence: int
    summary: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """One sentence for the screen or the terminal."""
        if self.already:
            return (f"File {self.sequence} from {self.sender} was already imported; nothing changed.")
        parts = [f"{v} {k.replace('_', ' ')}" for k, v in self.summary.items() if v]
        return f"Imported file {self.sequence} from {self.sender}: " + (", ".join(parts) or "nothing new") + "."


def receive(db: sqlite_utils.Database, data: bytes, *, file_name: str | None = None,
            by: str | None = None) -> ImportResult:
    """Import one file: every check first, then all of it in one transaction (or none of it).

    Raises :class:`SyncRefused` (audited, nothing else written) when the file is refused.
    """
    try:
        checked = check_file(db, data)
    except SyncRefused as refusal:
        _audit_refusal(db, refusal, data, file_name, by)
        raise
    try:
        return _import_checked(db, checked, file_name, by)
    except SyncRefused as refusal:
        _audit_refusal(db, refusal, data, file_name, by)
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
        if manifest["kind"] == "return":
            summary = _apply_return(db, payload, sender, sequence, by)
        else:
            summary = _apply_pack(db, payload, sender, by)
        db.execute("insert into sync_imports (sender, sequence, kind, file_sha256, file_name, counts, summary, "
                   "created_at, imported_at, imported_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [sender["install_id"], sequence, manifest["kind"], checked.sha256, file_name,
                    json.dumps(manifest["counts"]), json.dumps(summary), manifest["created_at"], now_iso(), by])
        audit.record(db, "sync.import", username=by, object_type="install", object_id=sender["install_id"],
                     detail={"from": sender["name"], "kind": manifest["kind"], "sequence": sequence,
                             "file": file_name, "summary": summary})
    return ImportResult(False, manifest["kind"], sender["name"], sequence, summary)


def _audit_refusal(db, refusal: SyncRefused, data: bytes, file_name, by) -> None:
    audit.record(db, "sync.refused", username=by, object_type="sync_file", object_id=file_name,
                 detail={"reason": refusal.reason, "message": str(refusal),
                         "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)})


def receive_path(db: sqlite_utils.Database, path: str | os.PathLike, *, by: str | None = None) -> ImportResult:
    """Import the file at ``path`` (see :func:`receive`)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SyncError(f"The file {path} could not be read ({exc.strerror or exc}).") from None
    return receive(db, data, file_name=path.name, by=by)


def _apply_return(db, payload: dict, sender: dict, sequence: int, by) -> dict:
    summary = {"new": 0, "updated": 0, "unchanged": 0, "older_ignored": 0, "conflicts": 0, "held": 0}
    children = {r["child_id"]: r["id"] for r in db.query("select id, child_id from children")}
    episodes = {r["episode_id"]: (r["id"], r["child"]) for r in db.query("select id, episode_id, child from episodes")}
    stamp = now_iso()
    receipts, changed = [], []
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


def _apply_pack(db, payload: dict, sender: dict, by) -> dict:
    me = install(db)
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
                "offered_at, offered_how, offered_by, status, revision, origin, created_at, updated_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [a["rhi_id"], children[a["child_id"]], a.get("interviewer_type"), a.get("assigned_to"),
                 me["install_id"], a.get("offered_at"), a.get("offered_how"), a.get("offered_by"),
                 "draft" if a.get("offered_at") else "open", a["revision"], f"sync:{sender['name']}", stamp, stamp])
            pk = db.execute("select id from return_home_interviews where rhi_id = ?", [a["rhi_id"]]).fetchone()[0]
            summary["new_assignments"] += 1
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
    for rhi_id in payload.get("withdrawn", []):
        summary["withdrawn"] = summary.get("withdrawn", 0) + _withdraw(db, rhi_id, by)
    receipt = payload.get("receipt")
    if receipt:
        summary["confirmed"] = _apply_receipt(db, receipt)
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
    audit.record(db, "sync.withdrawn", username=by, object_type="rhi", object_id=rhi_id,
                 detail="assigned elsewhere by the hub; removed from this install")
    return 1


def _apply_receipt(db, receipt: dict) -> int:
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
        db.execute("update return_home_interviews set answers = '{}', offered_by = null, outcome_reason = null, "
                   "attempts = null, assigned_to = null, signed_off_by = null, resume_at = null, updated_at = ? "
                   "where id = ?", [now_iso(), rhi["id"]])
        db.execute("delete from rhi_revisions where rhi = ?", [rhi["id"]])
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


# ---------------------------------------------------------------------------------------------
# The hub's inbox folder


def inbox_folder(db: sqlite_utils.Database) -> str | None:
    """The folder the hub watches for arriving files, or None."""
    rows = list(db.query("select inbox_folder from sync_settings where id = 1"))
    return rows[0]["inbox_folder"] if rows else None


def set_inbox_folder(db: sqlite_utils.Database, folder: str | None, *, by: str | None = None) -> None:
    """Choose (or clear) the inbox folder."""
    folder = (folder or "").strip() or None
    if folder and not Path(folder).is_dir():
        raise SyncError(f"There is no folder {folder}. Enter the full path of an existing folder.")
    with write_transaction(db):
        db.execute("insert into sync_settings (id, inbox_folder) values (1, ?) "
                   "on conflict (id) do update set inbox_folder = excluded.inbox_folder", [folder])
        audit.record(db, "sync.inbox_folder", username=by, detail={"folder": folder})


@dataclass
class InboxResult:
    """One file found in the inbox and what happened to it."""

    file_name: str
    ok: bool
    message: str


STILL_ARRIVING_SECONDS = 120


def scan_inbox(db: sqlite_utils.Database, folder: str | os.PathLike | None = None, *,
               by: str | None = None, settle_seconds: float = 3) -> list[InboxResult]:
    """Import every ``.rhisync`` file in the inbox; move each to ``processed/`` or ``refused/``.

    A file changed in the last ``settle_seconds`` is left for the next look (it may still be
    copying in), and so is a recent file that is incomplete: only a file that stays broken is refused.
    """
    folder = Path(folder or inbox_folder(db) or "")
    if not str(folder) or not folder.is_dir():
        raise SyncError("No inbox folder is set, or it cannot be found. Choose one on the Send and receive page.")
    results = []
    for path in sorted(folder.glob(f"*{EXTENSION}")):
        if not path.is_file():
            continue
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            continue
        if age < settle_seconds:
            continue
        try:
            result = receive_path(db, path, by=by)
            ok, message, dest = True, result.message, "processed"
        except SyncRefused as refusal:
            if refusal.reason in ("truncated", "empty") and age < STILL_ARRIVING_SECONDS:
                results.append(InboxResult(path.name, False, "Still arriving: it will be checked again shortly."))
                continue
            ok, message, dest = False, str(refusal), "refused"
        except SyncError as exc:
            results.append(InboxResult(path.name, False, str(exc)))
            continue
        target = folder / dest
        target.mkdir(exist_ok=True)
        final = target / path.name
        if final.exists():
            final = target / f"{path.stem}-{now().strftime('%Y%m%d%H%M%S')}{path.suffix}"
        shutil.move(str(path), str(final))
        if not ok:
            (target / (final.name + ".reason.txt")).write_text(message + "\n", encoding="utf-8")
        results.append(InboxResult(path.name, ok, message))
    return results
