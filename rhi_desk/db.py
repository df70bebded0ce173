"""The one way into SQLite.

Every connection is opened here, with the same settings: WAL journal, foreign keys on and a
busy timeout, so two writers wait for each other instead of failing with "database is locked".
In the web app there is one connection per request (on ``flask.g``); the CLI and the domain
modules open their own with :func:`connect`. A connection is never shared across threads.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlite_utils

from rhi_desk.security import files, keystore

try:  # SQLCipher: the database, its WAL and its backups encrypted at rest (docs/security.md)
    import sqlcipher3 as sqlite3

    ENCRYPTED = True
except ImportError:  # pragma: no cover - only where the wheel cannot be installed
    import sqlite3

    ENCRYPTED = False
# The driver's errors, for code that catches them (``except db.IntegrityError``).
DatabaseError = sqlite3.DatabaseError
IntegrityError = sqlite3.IntegrityError
OperationalError = sqlite3.OperationalError
PLAIN_HEADER = b"SQLite format 3\x00"

from rhi_desk import migrations as foundation_migrations
from rhi_desk.actions import migrations as actions_migrations
from rhi_desk.intelligence import migrations as intelligence_migrations
from rhi_desk.interviews import migrations as interviews_migrations
from rhi_desk.register import migrations as register_migrations
from rhi_desk.reports import migrations as reports_migrations
from rhi_desk.sync import migrations as sync_migrations

# Applied in this order, which is the order of their numbers (0001-0009 foundation, 0010-0019 register,
# 0020-0029 reports, 0030-0039 interviews, 0040-0049 sync, 0050-0059 actions). A new area adds its set here.
MIGRATION_SETS = (
    foundation_migrations.migrations,
    register_migrations.migrations,
    reports_migrations.migrations,
    interviews_migrations.migrations,
    sync_migrations.migrations,
    actions_migrations.migrations,  # 0050-0059
    intelligence_migrations.migrations,  # 0060-0069
)

BUSY_TIMEOUT_MS = 30_000
# Each connection's page cache (64 MiB at most, taken only as pages are read; a request's connection gives it
# back at teardown). Under SQLCipher every page read from the file is checked and decrypted: a query that
# comes back to a page finds it here instead of paying for that again (README, "Performance").
CACHE_SIZE = -64 * 1024
# SQLCipher 4's settings but for the page HMAC: HMAC-SHA256 instead of HMAC-SHA512. Both keyed with 256
# bits and keeping a 256-bit tag or more; SHA-256 runs in the processor's SHA instructions, about 2.5x the
# speed of SHA-512 here, and checking each page read was most of what encryption cost (docs/security.md).
# AES-256 with a random IV per page, the per-page HMAC itself and the raw 256-bit key are unchanged.
CIPHER_PRAGMAS = ("cipher_hmac_algorithm = HMAC_SHA256",)


class DatabaseKeyRefused(Exception):
    """The file is encrypted with a key this user does not hold (copied from another account or computer)."""


class DatabaseNotInitialised(Exception):
    """The database file has no install record yet (run ``rhi-desk init`` or the set-up page)."""


def default_db_path() -> Path:
    """Where the database lives when neither ``--db`` nor ``RHI_DESK_DB`` says: the user's data folder."""
    import platformdirs

    return Path(platformdirs.user_data_dir("rhi-desk", "rhi-desk")) / "rhi-desk.db"


def connect(path: str | os.PathLike, migrate: bool = True) -> sqlite_utils.Database:
    """Open the database at ``path`` with RHI Desk's settings, applying any pending migrations.

    The file is encrypted with this user's database key (``security.keystore``); a plain database from an
    earlier release is converted once, after a backup copy. The file, its WAL and the folder made for it
    are readable by this user alone.
    """
    path = Path(path)
    if not path.parent.exists():
        files.private_dir(path.parent)
    existing = path.exists() and path.stat().st_size > 0
    if ENCRYPTED and existing and _is_plain(path):
        _encrypt_plain_database(path)
    key = keystore.database_key(create=not existing or not ENCRYPTED)
    if ENCRYPTED and key is None:
        raise DatabaseKeyRefused(_refused(path))
    files.private_file(path)
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=True
    )
    if ENCRYPTED:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        cipher_settings(conn)
        if not opens(conn):
            conn.close()
            if not _reencrypt_earlier_settings(path, key):
                raise DatabaseKeyRefused(_refused(path))
            return connect(path, migrate=migrate)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute(f"PRAGMA cache_size = {CACHE_SIZE}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # The time the register's history triggers stamp (register/migrations.py 0012): Python's clock,
    # not SQLite's, so a clock frozen in a test freezes what was "recorded when" too.
    conn.create_function("rhi_desk_now", 0, _now_text)
    db = sqlite_utils.Database(conn)
    db.rhi_key = key
    if migrate:
        apply_migrations(db)
    return db


def cipher_settings(conn, schema: str = "main") -> None:
    """Apply RHI Desk's SQLCipher settings to ``schema`` (main, or an attached file), after its key and
    before its first read."""
    for pragma in CIPHER_PRAGMAS:
        conn.execute(f"PRAGMA {schema}.{pragma}")


def opens(conn) -> bool:
    """True when the key (and settings) open the file; SQLCipher's own error lines are kept off the screen."""
    conn.execute("PRAGMA cipher_log_level = NONE")
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()
        return True
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.execute("PRAGMA cipher_log_level = WARN")


def _reencrypt_earlier_settings(path: Path, key: bytes) -> bool:
    """A file this user encrypted with SQLCipher's default settings (before CIPHER_PRAGMAS) is copied once to
    the current ones; False when the key does not open it that way either (another account's file)."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        if not opens(conn):
            return False
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        copy = path.with_name(path.name + ".reencrypting")
        copy.unlink(missing_ok=True)
        files.private_file(copy)
        _export_encrypted(conn, copy, key, version)
    finally:
        conn.close()
    _replace_database(path, copy)
    return True


def _now_text() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def _refused(path: Path) -> str:
    return (f"RHI Desk cannot open {path.name}: it is encrypted for another user account or another computer, "
            f"and this account does not hold its key. Open it from the account that made it; to move an "
            f"install to a new laptop, run 'rhi-desk move-out' there and 'rhi-desk move-in' here.")


def _is_plain(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(16) == PLAIN_HEADER


def _encrypt_plain_database(path: Path) -> None:
    """Convert an earlier release's plain database to an encrypted one, once, after a backup copy."""
    import sqlite3 as plain

    key = keystore.database_key(create=True)
    backup = path.with_name(path.stem + ".before-encryption" + path.suffix)
    source = plain.connect(str(path))
    try:
        source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        files.private_file(backup)
        target = plain.connect(str(backup))
        with target:
            source.backup(target)
        target.close()
        version = source.execute("PRAGMA user_version").fetchone()[0]
    finally:
        source.close()
    encrypting = path.with_name(path.name + ".encrypting")
    encrypting.unlink(missing_ok=True)
    files.private_file(encrypting)
    conn = sqlite3.connect(str(backup), isolation_level=None)
    try:
        _export_encrypted(conn, encrypting, key, version)
    finally:
        conn.close()
    _replace_database(path, encrypting)


def _export_encrypted(conn, target: Path, key: bytes, version: int) -> None:
    """Write everything ``conn`` holds into the file ``target``, encrypted under ``key`` with today's settings."""
    conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", [str(target)])
    cipher_settings(conn, "encrypted")
    conn.execute("SELECT sqlcipher_export('encrypted')")
    conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
    conn.execute("DETACH DATABASE encrypted")


def _replace_database(path: Path, converted: Path) -> None:
    """Put a converted copy in the database's place (its old WAL and shared memory gone), readable by the user alone."""
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    os.replace(converted, path)
    os.chmod(path, 0o600)


def keyed_connection(path: str | os.PathLike, key: bytes):
    """A bare driver connection to the file at ``path`` under the raw ``key`` (moving an install, whose
    copy is encrypted with a passphrase's key). Nothing is checked: the first read fails on a wrong key."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    cipher_settings(conn)
    return conn


def derived_key(db: sqlite_utils.Database, purpose: str) -> bytes:
    """A key for one purpose (signing cookies, sealing private keys) derived from this user's database key."""
    return keystore.derive(db.rhi_key, purpose)


def apply_migrations(db: sqlite_utils.Database) -> None:
    """Bring the schema up to date; safe to call on every start-up.

    An upgrade of a database that already holds an install is copied first, beside the database
    (``NAME.before-upgrade-STAMP.db``), so a migration that goes wrong can be undone with ``restore``.
    """
    if pending_migrations(db) and db["install"].exists() and _file_of(db):
        from datetime import datetime

        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = Path(_file_of(db))
        backup_to(db, path.with_name(f"{path.stem}.before-upgrade-{stamp}.db"))
    for migration_set in MIGRATION_SETS:
        migration_set.apply(db)


def known_migrations() -> set[str]:
    """The names of every migration this version of RHI Desk has."""
    return {m.name for migration_set in MIGRATION_SETS for m in migration_set._migrations}


def pending_migrations(db: sqlite_utils.Database) -> list[str]:
    """The migrations not yet applied to ``db``, in order."""
    return [m.name for migration_set in MIGRATION_SETS for m in migration_set.pending(db)]


def open_read_only(path: str | os.PathLike) -> sqlite_utils.Database:
    """Open a database file read-only (a backup being checked) with this user's key: nothing in it is changed.

    A file encrypted under another key (or not a database at all) opens, but its first read raises
    ``DatabaseError``: the caller says which.
    """
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    key = keystore.database_key(create=False) if ENCRYPTED else None
    if key is not None:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        cipher_settings(conn)
        if not opens(conn):  # perhaps a backup made with SQLCipher's default settings, before CIPHER_PRAGMAS
            earlier = sqlite3.connect(uri, uri=True, isolation_level=None)
            earlier.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            conn.close()
            if opens(earlier):
                conn = earlier
            else:  # a fresh connection, so the caller's first read fails as a wrong key does
                earlier.close()
                conn = sqlite3.connect(uri, uri=True, isolation_level=None)
                conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
                cipher_settings(conn)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db = sqlite_utils.Database(conn)
    db.rhi_key = key
    return db


def backup_to(db: sqlite_utils.Database, dest: str | os.PathLike) -> Path:
    """Copy ``db`` to the file ``dest`` with SQLite's online backup API: a consistent snapshot even while
    others write (WAL readers never block writers). The copy is one self-contained file, written beside
    ``dest`` and renamed into place, so a half-written backup never carries the real name. It is encrypted
    with the same key as ``db`` and readable by this user alone, like the database itself."""
    dest = Path(dest)
    if not dest.parent.exists():
        files.private_dir(dest.parent)
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    files.private_file(partial)
    target = sqlite3.connect(str(partial), isolation_level=None)
    try:
        if ENCRYPTED:
            target.execute(f"PRAGMA key = \"x'{db.rhi_key.hex()}'\"")
            cipher_settings(target)
        db.conn.backup(target)  # one step: one read transaction, one consistent moment
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
    os.replace(partial, dest)
    return dest


def restore_from(source: sqlite_utils.Database, db: sqlite_utils.Database) -> None:
    """Replace everything in ``db`` with the contents of ``source`` (SQLite's backup API, WAL-safe)."""
    source.conn.backup(db.conn)


def _file_of(db: sqlite_utils.Database) -> str:
    rows = db.conn.execute("PRAGMA database_list").fetchall()
    return next((row[2] for row in rows if row[1] == "main"), "")


@contextmanager
def write_transaction(db: sqlite_utils.Database):
    """Run a block as one write transaction (BEGIN IMMEDIATE), rolled back whole on any error.

    IMMEDIATE takes the write lock at the start, so a second writer waits (busy timeout) rather
    than failing half-way through with "database is locked".
    """
    conn = db.conn
    if conn.in_transaction:
        # Nested use joins the outer transaction through a savepoint.
        conn.execute("SAVEPOINT nested")
        try:
            yield db
        except BaseException:
            conn.execute("ROLLBACK TO nested")
            conn.execute("RELEASE nested")
            raise
        conn.execute("RELEASE nested")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def install(db: sqlite_utils.Database) -> dict | None:
    """This install's record (role hub/field, LA, name), or None before ``init``."""
    rows = list(db.query("select * from install where id = 1"))
    return rows[0] if rows else None


def is_initialised(db: sqlite_utils.Database) -> bool:
    """True once ``init`` (or the set-up page) has recorded the install's role."""
    return install(db) is not None


# Each server thread keeps its connection open between the requests it serves, so that the pages a request
# read stay in SQLite's page cache (with SQLCipher: decrypted and checked once, not again on every request).
# A request still has its connection to itself: a thread serves one request at a time, and a connection is
# never shared between threads (check_same_thread). A kept connection is opened afresh when the file at the
# path is no longer the one it opened (a restore, a move-in, a new database made where the old one was).
_kept = threading.local()


def _identity(path: str) -> tuple | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    # The file the kept connection has open cannot be freed, so a file made since at the same path has
    # another inode (on Windows, another file index) even where the old one was removed.
    return (found.st_dev, found.st_ino)


def get_db() -> sqlite_utils.Database:
    """The current request's connection: this thread's kept connection to the app's database, or a new one."""
    from flask import current_app, g

    if "db" not in g:
        path = str(current_app.config["DATABASE"])
        kept = getattr(_kept, "connection", None)
        if kept is not None and (kept[0] != path or kept[1] != _identity(path)):
            kept[2].conn.close()
            kept = _kept.connection = None
        if kept is None:
            db = connect(path, migrate=False)
            kept = _kept.connection = (path, _identity(path), db)
        g.db = kept[2]
    return g.db


def close_db(exc=None) -> None:
    """End the request's use of its connection (a teardown handler): anything left unfinished is rolled back,
    and the connection is kept for this thread's next request."""
    from flask import g

    db = g.pop("db", None)
    if db is None:
        return
    try:
        if db.conn.in_transaction:
            db.conn.rollback()
    except Exception:  # a broken connection is not kept
        forget_kept_connection()


def forget_kept_connection() -> None:
    """Close this thread's kept connection (before its file is replaced or removed, and when a server stops)."""
    kept = getattr(_kept, "connection", None)
    _kept.connection = None
    if kept is not None:
        try:
            kept[2].conn.close()
        except Exception:
            pass
