"""The sync file format: magic, manifest, signature and sealed payload; checking a file before anything is applied.

See docs/sync-format.md. Every refusal is a sentence (:data:`REFUSALS`).
"""
from __future__ import annotations

import hashlib
import json
import struct
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import orjson
import sqlite_utils
from nacl.encoding import HexEncoder
from nacl.exceptions import CryptoError
from nacl.public import PublicKey, SealedBox

from rhi_desk.db import install
from rhi_desk.sync import keys

FORMAT_NAME = "rhi-desk-sync"
# 2: a signed-off return's answers may hold places, people and the screening;
# 3: an assignment in a pack may carry the interviewer's briefing (optional: a pack without one still imports)
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)  # version 1 and 2 files still import
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


PACKAGE_DIR = Path(__file__).resolve().parents[1]  # rhi_desk/, where the wheel puts the schema


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
    """A file split into its parts (nothing checked beyond its shape). The parts are views of the file's
    bytes, not copies (a mapped file stays the operating system's pages): :meth:`release` them when done."""

    manifest: dict
    body: memoryview
    ciphertext: memoryview
    signature: bytes

    def release(self) -> None:
        """Let go of the views, so the mapped file can be closed."""
        self.body.release()
        self.ciphertext.release()


HEAD_BYTES = len(MAGIC) + 4 + MAX_MANIFEST_BYTES + 8  # enough of a file's start to hold its manifest


def parse_head(head: bytes, total: int) -> tuple[dict, int, int]:
    """From a file's first bytes (up to :data:`HEAD_BYTES`) and its size: its manifest, where its ciphertext
    starts and how long it is. Refuses a file of the wrong shape, or whose sizes do not add up to ``total``."""
    if not total:
        raise refuse("empty")
    start = bytes(head[:len(MAGIC)])
    if start != MAGIC:
        if MAGIC.startswith(start):
            raise refuse("truncated")
        raise refuse("not_sync_file")
    at = len(MAGIC)
    if len(head) < at + 4:
        raise refuse("truncated")
    (manifest_len,) = struct.unpack(">I", head[at:at + 4])
    at += 4
    if manifest_len > MAX_MANIFEST_BYTES:
        raise refuse("damaged")
    if len(head) < at + manifest_len + 8:
        raise refuse("truncated")
    manifest_bytes = bytes(head[at:at + manifest_len])
    at += manifest_len
    (cipher_len,) = struct.unpack(">Q", head[at:at + 8])
    at += 8
    end = at + cipher_len + SIGNATURE_BYTES
    if total < end:
        raise refuse("truncated")
    if total > end:
        raise refuse("extra_data")
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise refuse("damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise refuse("damaged")
    return manifest, at, cipher_len


def split_file(data) -> OpenedFile:
    """Split a file (bytes, or a memoryview of a mapped file) into manifest, ciphertext and signature, refusing
    one of the wrong shape. Only its first bytes are read; the sizes in them are checked against the file's."""
    view = data if isinstance(data, memoryview) else memoryview(data)
    manifest, at, cipher_len = parse_head(bytes(view[:HEAD_BYTES]), len(view))
    end = at + cipher_len + SIGNATURE_BYTES
    return OpenedFile(manifest, view[:at + cipher_len], view[at:at + cipher_len],
                      bytes(view[at + cipher_len:end]))


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
    if not ok or version not in READABLE_VERSIONS:
        raise refuse("damaged")
    return sender, recipient, sequence, kind


@dataclass
class CheckedFile:
    """A file that passed every check: signature, sender, recipient, decryption, schema."""

    manifest: dict
    payload: dict
    sender: dict  # the enrolled install row
    sha256: str


def check_head(db: sqlite_utils.Database, head: bytes, total: int) -> dict:
    """What can be refused from a file's first bytes and its size, refused before the rest is read: not a
    sync file, cut short or too long, not for this install, from an unknown or revoked install. Returns the
    sending install's row."""
    manifest, _, _ = parse_head(head, total)
    return _check_manifest(db, manifest)[0]


def _check_manifest(db, manifest: dict) -> tuple:
    sender_ref, recipient_ref, sequence, kind = _manifest_fields(manifest)
    me = install(db)
    if recipient_ref["install_id"] != me["install_id"]:
        name = recipient_ref.get("name") if isinstance(recipient_ref.get("name"), str) else "another install"
        raise refuse("not_for_us", recipient=name)
    sender = keys.enrolled(db, sender_ref["install_id"])
    if sender is None:
        raise refuse("unknown_sender", sender=sender_ref["name"] or "no name")
    if sender["status"] == "revoked":
        raise refuse("revoked_sender", sender=sender["name"], date=(sender["revoked_at"] or "")[:10])
    return sender, sender_ref, recipient_ref, sequence, kind, me


def check_file(db: sqlite_utils.Database, data, sha256: str | None = None) -> CheckedFile:
    """Check a file completely without writing anything; raises :class:`SyncRefused` with the reason.

    ``data`` is the file's bytes or a memoryview of a mapped private copy (``receive.receive_path``). What can
    be refused from the first bytes is refused before the rest is touched; the signature is checked over the
    file where it lies; only a file an enrolled install signed is decrypted. ``sha256`` is the file's digest
    when the caller has it.
    """
    opened = split_file(data)
    try:
        return _check_opened(db, opened, data, sha256)
    finally:
        opened.release()


def _check_opened(db, opened: OpenedFile, data, sha256: str | None) -> CheckedFile:
    sender, sender_ref, recipient_ref, sequence, kind, me = _check_manifest(db, opened.manifest)
    if not keys.verify(sender["signing_public"], opened.body, opened.signature):
        raise refuse("tampered", sender=sender["name"])
    try:
        # The sealed box is one authenticated piece (one Poly1305 tag over all of it): it is opened whole,
        # from one copy, and that copy is let go as soon as it is open.
        compressed = SealedBox(keys.box_key(db)).decrypt(bytes(opened.ciphertext))
        inflater = zlib.decompressobj()
        plain = inflater.decompress(compressed, MAX_PAYLOAD_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            raise refuse("damaged")
        del compressed
        payload = orjson.loads(plain)
        del plain
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
    return CheckedFile(opened.manifest, payload, sender, sha256 or hashlib.sha256(data).hexdigest())


def payload_counts(payload: dict) -> dict:
    """The counts the manifest carries for a payload."""
    counts = {}
    for part in ("children", "episodes", "assignments", "records", "withdrawn"):
        if part in payload:
            counts[part] = len(payload[part])
    if "receipt" in payload:
        counts["confirmed"] = len(payload["receipt"]["confirmed"])
    return counts
