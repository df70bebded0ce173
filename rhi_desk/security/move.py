"""Moving an install to a new laptop: one file protected by a passphrase (``rhi-desk move-out`` / ``move-in``).

The database key belongs to a user account on one computer (``security.keystore``), so a copied database
opens nowhere else. To move an install, ``move_out`` writes a *move file*: a short header (the file's kind,
the key-derivation settings and a random salt, nothing about anyone) followed by a SQLCipher copy of the
database encrypted with a key derived from the passphrase by Argon2id (libsodium's "moderate" settings:
256 MiB of memory, about a second a guess). No plain copy is ever written. The private sync keys, which are
sealed with a key derived from the database key, are sealed again in the copy with the passphrase's key.

``move_in`` on the new laptop derives the key from the passphrase, opens the copy (a wrong passphrase fails
SQLCipher's per-page check: a sentence, nothing changed), and re-encrypts it with the new user account's own
key, sealing the private sync keys with it, so the new laptop opens it without a prompt. It never replaces an
existing database unless told to, and then keeps the one replaced beside it.
"""
from __future__ import annotations

import json
import os
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path

from rhi_desk import db as database
from rhi_desk.security import files, keystore, passwords

MAGIC = b"RHIMOVE\n"
FORMAT_NAME = "rhi-desk-move"
FORMAT_VERSION = 1
EXTENSION = ".rhimove"
MAX_HEADER_BYTES = 16 * 1024
MIN_PASSPHRASE = 12
COPY_CHUNK = 1024 * 1024
# Sealed columns and what they were sealed for (``keystore.seal``): sealed again under the new key. A new
# sealed column must be listed here, or it will not open after a move (tests/security/test_security_move.py).
SEALED_COLUMNS = {"sync_keys": (("signing_private", "box_private"), "sync private keys")}


class MoveRefused(Exception):
    """The move cannot go ahead; the message says why and what to do. Nothing was changed."""


@dataclass
class MovedIn:
    """What ``move_in`` put in place."""

    path: Path
    install: dict
    replaced: Path | None  # where the database that was there before was kept


def check_passphrase(passphrase: str | None) -> None:
    """Raise MoveRefused unless ``passphrase`` is long enough and not one anyone would guess first."""
    passphrase = passphrase or ""
    if len(passphrase.strip()) < MIN_PASSPHRASE:
        raise MoveRefused(f"Choose a passphrase of at least {MIN_PASSPHRASE} characters: three or four random "
                          f"words work well. It protects every record in the file.")
    try:
        passwords.check(passphrase)
    except passwords.PasswordRefused as exc:
        raise MoveRefused(str(exc).replace("password", "passphrase") + ".") from None


def _kdf(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    from nacl.pwhash import argon2id

    return argon2id.kdf(32, passphrase.encode("utf-8"), salt, opslimit=opslimit, memlimit=memlimit)


def _key_sql(key: bytes) -> str:
    return f"\"x'{key.hex()}'\""


def _reseal(conn, schema: str, old_key: bytes, new_key: bytes) -> None:
    """Seal the sealed columns of ``schema`` again: opened with ``old_key``, sealed with ``new_key``."""
    for table, (columns, purpose) in SEALED_COLUMNS.items():
        exists = conn.execute(f"select count(*) from {schema}.sqlite_master where type = 'table' and name = ?",
                              [table]).fetchone()[0]
        if not exists:
            continue
        names = ", ".join(columns)
        for row in conn.execute(f"select rowid, {names} from {schema}.{table}").fetchall():
            values = [keystore.seal(new_key, purpose, keystore.unseal(old_key, purpose, v)) if v else v
                      for v in row[1:]]
            sets = ", ".join(f"{c} = ?" for c in columns)
            conn.execute(f"update {schema}.{table} set {sets} where rowid = ?", [*values, row[0]])


def move_out(db, out: str | os.PathLike, passphrase: str) -> Path:
    """Write the open database to the move file ``out``, protected by ``passphrase``; returns its path."""
    from nacl.pwhash import argon2id

    out = Path(out)
    if not database.ENCRYPTED:
        raise MoveRefused("Moving an install needs SQLCipher, which is not installed with this copy of RHI Desk.")
    check_passphrase(passphrase)
    if out.exists():
        raise MoveRefused(f"There is already a file at {out}. Choose a new file name.")
    if not out.parent.is_dir():
        raise MoveRefused(f"There is no folder {out.parent}. Choose a file in an existing folder.")
    salt = secrets.token_bytes(argon2id.SALTBYTES)
    opslimit, memlimit = argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE
    key = _kdf(passphrase, salt, opslimit, memlimit)
    copy = out.with_name(out.name + ".partial")
    copy.unlink(missing_ok=True)
    files.private_file(copy)
    conn = db.conn
    try:
        conn.execute(f"ATTACH DATABASE ? AS moving KEY {_key_sql(key)}", [str(copy)])
        database.cipher_settings(conn, "moving")
        try:
            conn.execute("SELECT sqlcipher_export('moving')")
            version = conn.execute("PRAGMA main.user_version").fetchone()[0]
            conn.execute(f"PRAGMA moving.user_version = {int(version)}")
            _reseal(conn, "moving", db.rhi_key, key)
        finally:
            conn.execute("DETACH DATABASE moving")
        header = json.dumps({"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "kdf": "argon2id",
                             "opslimit": opslimit, "memlimit": memlimit, "salt": salt.hex(),
                             "database_bytes": copy.stat().st_size}, sort_keys=True).encode("utf-8")
        partial = out.with_name(out.name + ".writing")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as target, open(copy, "rb") as source:
            target.write(MAGIC + struct.pack(">I", len(header)) + header)
            while chunk := source.read(COPY_CHUNK):
                target.write(chunk)
            target.flush()
            os.fsync(target.fileno())
        os.replace(partial, out)
        os.chmod(out, 0o600)
    finally:
        copy.unlink(missing_ok=True)
        out.with_name(out.name + ".writing").unlink(missing_ok=True)
    return out


def read_header(path: str | os.PathLike) -> tuple[dict, int]:
    """The move file's header and where its database starts; MoveRefused for anything else."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            start = f.read(len(MAGIC) + 4)
            if len(start) < len(MAGIC) + 4 or start[:len(MAGIC)] != MAGIC:
                raise MoveRefused(f"{path.name} is not an RHI Desk move file. Choose the file that "
                                  f"'rhi-desk move-out' made (it ends in {EXTENSION}).")
            (length,) = struct.unpack(">I", start[len(MAGIC):])
            if length > MAX_HEADER_BYTES:
                raise MoveRefused(_damaged(path))
            raw = f.read(length)
        size = path.stat().st_size
    except OSError as exc:
        raise MoveRefused(f"The file {path} could not be read ({exc.strerror or exc}).") from None
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MoveRefused(_damaged(path)) from None
    from nacl.pwhash import argon2id

    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise MoveRefused(_damaged(path))
    if isinstance(header.get("format_version"), int) and header["format_version"] > FORMAT_VERSION:
        raise MoveRefused(f"{path.name} was made by a newer version of RHI Desk. Install that version here, "
                          f"then move in again.")
    ok = (header.get("format_version") == FORMAT_VERSION and header.get("kdf") == "argon2id"
          and isinstance(header.get("opslimit"), int) and isinstance(header.get("memlimit"), int)
          and argon2id.OPSLIMIT_MIN <= header["opslimit"] <= argon2id.OPSLIMIT_SENSITIVE
          and argon2id.MEMLIMIT_MIN <= header["memlimit"] <= argon2id.MEMLIMIT_SENSITIVE
          and isinstance(header.get("salt"), str) and len(header["salt"]) == 2 * argon2id.SALTBYTES
          and isinstance(header.get("database_bytes"), int))
    if not ok:
        raise MoveRefused(_damaged(path))
    offset = len(MAGIC) + 4 + length
    if size - offset != header["database_bytes"]:
        raise MoveRefused(f"{path.name} is incomplete or has extra data: it may not have finished copying. "
                          f"Copy it again from the old laptop.")
    return header, offset


def _damaged(path: Path) -> str:
    return f"{path.name} is damaged and cannot be read. Make it again with 'rhi-desk move-out' on the old laptop."


def move_in(source: str | os.PathLike, target: str | os.PathLike, passphrase: str, *,
            replace: bool = False) -> MovedIn:
    """Put the database in the move file ``source`` at ``target``, encrypted with this user's own key."""
    source, target = Path(source), Path(target)
    if not database.ENCRYPTED:
        raise MoveRefused("Moving an install needs SQLCipher, which is not installed with this copy of RHI Desk.")
    refuse_existing(target, replace)
    header, offset = read_header(source)
    try:
        key = _kdf(passphrase or "", bytes.fromhex(header["salt"]), header["opslimit"], header["memlimit"])
    except ValueError:
        raise MoveRefused(_damaged(source)) from None
    if not target.parent.exists():
        files.private_dir(target.parent)
    arriving = target.with_name(target.name + ".moving-in")
    settled = target.with_name(target.name + ".arriving")
    for leftover in (arriving, settled):
        leftover.unlink(missing_ok=True)
    try:
        _copy_out(source, offset, arriving)
        conn = database.keyed_connection(arriving, key)
        try:
            if not database.opens(conn):
                raise MoveRefused("That is not the passphrase this move file was made with. Nothing was changed: "
                                  "try again, typing it exactly as it was chosen on the old laptop.")
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok" or not conn.execute(
                    "select count(*) from sqlite_master where type = 'table' and name = 'install'").fetchone()[0]:
                raise MoveRefused(_damaged(source))
            local = keystore.database_key(create=True)
            files.private_file(settled)
            conn.execute(f"ATTACH DATABASE ? AS arriving KEY {_key_sql(local)}", [str(settled)])
            database.cipher_settings(conn, "arriving")
            conn.execute("SELECT sqlcipher_export('arriving')")
            version = conn.execute("PRAGMA main.user_version").fetchone()[0]
            conn.execute(f"PRAGMA arriving.user_version = {int(version)}")
            _reseal(conn, "arriving", key, local)
            conn.execute("DETACH DATABASE arriving")
        finally:
            conn.close()
        refuse_existing(target, replace)  # checked again: nothing may have appeared meanwhile
        replaced = _set_aside(target) if target.exists() and target.stat().st_size > 0 else None
        os.replace(settled, target)
        os.chmod(target, 0o600)
    finally:
        arriving.unlink(missing_ok=True)
        settled.unlink(missing_ok=True)
    opened = database.connect(target)
    try:
        record = database.install(opened) or {}
    finally:
        opened.conn.close()
    return MovedIn(target, record, replaced)


def refuse_existing(target: Path, replace: bool) -> None:
    """Refuse to put a moved install over an existing database, unless told to."""
    if not replace and target.exists() and target.stat().st_size > 0:
        raise MoveRefused(f"There is already an RHI Desk database at {target}. Nothing was changed. Move in to "
                          f"another file with --db, or add --replace to put the moved install in its place "
                          f"(the one there now is kept beside it).")


def _copy_out(source: Path, offset: int, to: Path) -> None:
    files.private_file(to)
    with open(source, "rb") as f, open(to, "wb") as out:
        f.seek(offset)
        while chunk := f.read(COPY_CHUNK):
            out.write(chunk)


def _set_aside(target: Path) -> Path:
    """Keep the database at ``target`` (and its WAL) beside it as ``<name>.before-move.db``."""
    kept = target.with_name(f"{target.stem}.before-move{target.suffix}")
    n = 1
    while kept.exists():
        n += 1
        kept = target.with_name(f"{target.stem}.before-move-{n}{target.suffix}")
    for suffix in ("-wal", "-shm"):
        side = Path(str(target) + suffix)
        if side.exists():
            os.replace(side, Path(str(kept) + suffix))
    os.replace(target, kept)
    return kept
