"""This install's key pairs, its identity file, and the installs it has enrolled.

Every install has an Ed25519 signing key (it signs every file it sends) and an X25519 box key
(files for it are encrypted to it), made with PyNaCl (libsodium) at ``init``. Private keys never
leave the database; the identity file carries only the public halves and a fingerprint that two
people can read to each other over the phone before enrolling.
"""
from __future__ import annotations

import hashlib
import json
import re

import sqlite_utils
from nacl.encoding import HexEncoder
from nacl.exceptions import BadSignatureError, CryptoError
from nacl.public import PrivateKey, PublicKey
from nacl.signing import SigningKey, VerifyKey

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import install, write_transaction
from rhi_desk.security import keystore

IDENTITY_FORMAT = "rhi-desk-identity"
IDENTITY_VERSION = 1


class EnrolmentError(Exception):
    """A user-facing problem enrolling or revoking an install; the message says what to do."""


def make_keys(db: sqlite_utils.Database) -> dict:
    """Make this install's key pairs if it has none yet; returns the public halves."""
    with write_transaction(db):
        rows = list(db.query("select * from sync_keys where id = 1"))
        if rows:
            return rows[0]
        signing = SigningKey.generate()
        box = PrivateKey.generate()
        row = {
            "id": 1,
            "signing_private": signing.encode(HexEncoder).decode(),
            "signing_public": signing.verify_key.encode(HexEncoder).decode(),
            "box_private": box.encode(HexEncoder).decode(),
            "box_public": box.public_key.encode(HexEncoder).decode(),
            "created_at": now_iso(),
        }
        # The private halves are sealed with a key derived from this user's database key: never in the
        # file in clear (docs/security.md).
        stored = {**row, "signing_private": seal_private(db, row["signing_private"]),
                  "box_private": seal_private(db, row["box_private"])}
        db.execute("insert into sync_keys (id, signing_private, signing_public, box_private, box_public, "
                   "created_at) values (:id, :signing_private, :signing_public, :box_private, :box_public, "
                   ":created_at)", stored)
        audit.record(db, "sync.keys_made", detail={"fingerprint": fingerprint(row["signing_public"],
                                                                                row["box_public"])})
        return row


PRIVATE_KEYS = "sync private keys"


def seal_private(db: sqlite_utils.Database, hex_key: str) -> str:
    """A private key as stored: sealed with a key derived from this user's database key."""
    return keystore.seal(db.rhi_key, PRIVATE_KEYS, hex_key)


def _keys(db: sqlite_utils.Database) -> dict:
    rows = list(db.query("select * from sync_keys where id = 1"))
    # A database initialised before sync existed gets its keys on first use.
    if not rows:
        return make_keys(db)
    row = dict(rows[0])
    for name in ("signing_private", "box_private"):
        row[name] = keystore.unseal(db.rhi_key, PRIVATE_KEYS, row[name])
    return row


def signing_key(db: sqlite_utils.Database) -> SigningKey:
    """This install's private signing key."""
    return SigningKey(_keys(db)["signing_private"], encoder=HexEncoder)


def box_key(db: sqlite_utils.Database) -> PrivateKey:
    """This install's private box (decryption) key."""
    return PrivateKey(_keys(db)["box_private"], encoder=HexEncoder)


def fingerprint(signing_public: str, box_public: str) -> str:
    """A short, readable fingerprint of a pair of public keys (hex, in groups of four)."""
    digest = hashlib.sha256(bytes.fromhex(signing_public) + bytes.fromhex(box_public)).hexdigest()[:32]
    return " ".join(digest[i:i + 4] for i in range(0, 32, 4)).upper()


def identity(db: sqlite_utils.Database) -> dict:
    """This install's identity: id, name, role, council and public keys (never a private key)."""
    inst = install(db)
    if inst is None:
        raise EnrolmentError("This install is not set up yet. Run 'rhi-desk init' first.")
    keys = _keys(db)
    ident = {
        "format": IDENTITY_FORMAT,
        "format_version": IDENTITY_VERSION,
        "install_id": inst["install_id"],
        "name": inst["name"],
        "role": inst["role"],
        "la_name": inst["la_name"],
        "signing_public_key": keys["signing_public"],
        "box_public_key": keys["box_public"],
        "fingerprint": fingerprint(keys["signing_public"], keys["box_public"]),
    }
    # Signed by its own key: a name, role or council edited after export is noticed at enrolment.
    ident["signature"] = signing_key(db).sign(_identity_message(ident)).signature.hex()
    return ident


def _identity_message(ident: dict) -> bytes:
    fields = {k: ident[k] for k in ("format", "format_version", "install_id", "name", "role", "la_name",
                                    "signing_public_key", "box_public_key")}
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def identity_json(db: sqlite_utils.Database) -> str:
    """The identity file's text."""
    return json.dumps(identity(db), indent=2) + "\n"


_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def parse_identity(text: str | bytes) -> dict:
    """Read an identity file, refusing anything that is not one (or that holds a private key)."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise EnrolmentError("This is not an RHI Desk identity file. Ask for the file made by "
                             "'rhi-desk identity export'.") from None
    if not isinstance(data, dict) or data.get("format") != IDENTITY_FORMAT:
        raise EnrolmentError("This is not an RHI Desk identity file. Ask for the file made by "
                             "'rhi-desk identity export'.")
    if data.get("format_version") != IDENTITY_VERSION:
        raise EnrolmentError("This identity file was made by a newer version of RHI Desk. Update RHI Desk "
                             "and try again.")
    for field in ("install_id", "name", "role", "la_name", "signing_public_key", "box_public_key"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise EnrolmentError(f"The identity file is damaged: it has no {field.replace('_', ' ')}.")
    if data["role"] not in ("hub", "field"):
        raise EnrolmentError("The identity file is damaged: its role is neither hub nor field.")
    for field in ("signing_public_key", "box_public_key"):
        if not _HEX64.match(data[field]):
            raise EnrolmentError("The identity file is damaged: a key is not in the expected form.")
    try:
        VerifyKey(data["signing_public_key"], encoder=HexEncoder)
        PublicKey(data["box_public_key"], encoder=HexEncoder)
    except (CryptoError, ValueError, TypeError):
        raise EnrolmentError("The identity file is damaged: a key is not in the expected form.") from None
    signature = data.get("signature")
    if not isinstance(signature, str) or not re.match(r"^[0-9a-f]{128}$", signature) or not verify(
            data["signing_public_key"], _identity_message(data), bytes.fromhex(signature)):
        raise EnrolmentError("The identity file has been changed since it was exported, or is damaged. Ask for "
                             "a new copy made by 'rhi-desk identity export'.")
    expected = fingerprint(data["signing_public_key"], data["box_public_key"])
    if data.get("fingerprint") and data["fingerprint"] != expected:
        raise EnrolmentError("The identity file's fingerprint does not match its keys; it may have been "
                             "altered. Ask for a new copy.")
    data["fingerprint"] = expected
    return data


def check_enrolment(db: sqlite_utils.Database, text: str | bytes) -> dict:
    """What enrolling this identity file would enrol (name, role, council, fingerprint), changing nothing.

    Every check :func:`enrol` makes is made here, so a person is shown the fingerprint to confirm only for a
    file that would be enrolled; ``already`` is True when exactly these keys are enrolled.
    """
    ident = _checked(db, text)
    existing = list(db.query("select 1 from sync_installs where install_id = ?", [ident["install_id"]]))
    return dict(ident, already=bool(existing))


def _checked(db, text) -> dict:
    ident = parse_identity(text)
    me = install(db)
    if me is None:
        raise EnrolmentError("This install is not set up yet. Run 'rhi-desk init' first.")
    if ident["install_id"] == me["install_id"]:
        raise EnrolmentError("That is this install's own identity file. Enrol the other install's file.")
    if me["role"] == "hub" and ident["role"] != "field":
        raise EnrolmentError("A hub can only enrol field installs; this file is from another hub.")
    if me["role"] == "field" and ident["role"] != "hub":
        raise EnrolmentError("A field install can only enrol its hub; this file is from another field install.")
    if ident["la_name"].strip().lower() != me["la_name"].strip().lower():
        raise EnrolmentError(f"That install belongs to {ident['la_name']}, not {me['la_name']}. "
                             "Check you have the right file.")
    _check_against_enrolled(db, me, ident)
    return ident


def _check_against_enrolled(db, me: dict, ident: dict) -> dict | None:
    """The enrolled row with these exact keys (None if new); raises when this file cannot be enrolled."""
    existing = list(db.query("select * from sync_installs where install_id = ?", [ident["install_id"]]))
    if existing:
        row = existing[0]
        if row["status"] == "revoked":
            raise EnrolmentError(f"{row['name']} was revoked on {row['revoked_at'][:10]} and cannot be "
                                 "enrolled again. Set up a new install instead.")
        if row["signing_public"] == ident["signing_public_key"] and row["box_public"] == ident["box_public_key"]:
            return row
        raise EnrolmentError(f"{row['name']} is already enrolled with different keys. Revoke it first "
                             "if its keys really changed.")
    if me["role"] == "field" and list(db.query(
            "select 1 from sync_installs where role = 'hub' and status = 'active'")):
        raise EnrolmentError("This field install already has a hub. Revoke it first to change hub.")
    if list(db.query("select 1 from sync_installs where name = ?", [ident["name"].strip()])):
        raise EnrolmentError(f"An install called {ident['name']} is already enrolled. Each install needs "
                             "its own name.")
    return None


def enrol(db: sqlite_utils.Database, text: str | bytes, *, by: str | None = None) -> dict:
    """Enrol the install described by an identity file: the hub enrols field installs, a field its hub."""
    ident = _checked(db, text)
    me = install(db)
    with write_transaction(db):
        row = _check_against_enrolled(db, me, ident)  # again inside the write lock: nothing changed meanwhile
        if row is not None:
            return dict(row, already=True)
        db.execute(
            "insert into sync_installs (install_id, name, role, la_name, signing_public, box_public, fingerprint, "
            "status, enrolled_at, enrolled_by) values (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
            [ident["install_id"], ident["name"].strip(), ident["role"], ident["la_name"].strip(),
             ident["signing_public_key"], ident["box_public_key"], ident["fingerprint"], now_iso(), by])
        audit.record(db, "sync.enrol", username=by, object_type="install", object_id=ident["install_id"],
                     detail={"name": ident["name"], "role": ident["role"], "fingerprint": ident["fingerprint"]})
    return dict(enrolled(db, ident["install_id"]), already=False)


def revoke(db: sqlite_utils.Database, name: str, *, by: str | None = None) -> dict:
    """Revoke an enrolled install by name: its files are refused from now on."""
    with write_transaction(db):
        rows = list(db.query("select * from sync_installs where name = ?", [(name or "").strip()]))
        if not rows:
            raise EnrolmentError(f"No enrolled install is called {name}. Check the name in the list of "
                                 "enrolled installs.")
        row = rows[0]
        if row["status"] == "revoked":
            return row
        db.execute("update sync_installs set status = 'revoked', revoked_at = ?, revoked_by = ? where id = ?",
                   [now_iso(), by, row["id"]])
        audit.record(db, "sync.revoke", username=by, object_type="install", object_id=row["install_id"],
                     detail={"name": row["name"]})
    return enrolled(db, row["install_id"])


def enrolled(db: sqlite_utils.Database, install_id: str) -> dict | None:
    """The enrolled install with this id (active or revoked), or None."""
    rows = list(db.query("select * from sync_installs where install_id = ?", [install_id]))
    return rows[0] if rows else None


def enrolled_by_name(db: sqlite_utils.Database, name: str) -> dict | None:
    """The enrolled install with this name (case-insensitive), or None."""
    rows = list(db.query("select * from sync_installs where name = ?", [(name or "").strip()]))
    return rows[0] if rows else None


def list_enrolled(db: sqlite_utils.Database) -> list[dict]:
    """Every enrolled install, active first, by name."""
    return list(db.query("select * from sync_installs order by status = 'revoked', name"))


def verify(signing_public: str, message, signature: bytes) -> bool:
    """True when ``signature`` is the holder of ``signing_public``'s signature of ``message`` (bytes, or a
    memoryview of a mapped file: checked where it lies, without a copy, where ``cryptography`` is there)."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:  # PyNaCl needs the message as one bytes object (and copies it once more)
        try:
            VerifyKey(signing_public, encoder=HexEncoder).verify(bytes(message), signature)
            return True
        except (BadSignatureError, ValueError, TypeError):
            return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(signing_public)).verify(bytes(signature), message)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False
