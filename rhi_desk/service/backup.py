"""Backups and restores of the hub's database, safe while the server runs.

``backup`` takes a consistent copy with SQLite's online backup API (a plain file copy could miss what is
still in the WAL) and checks it; ``restore`` refuses a file that is not an RHI Desk database, is damaged or
was written by a newer version, keeps a copy of what it replaces, and brings an older backup's schema up
to date; ``backup_to_folder`` is the nightly copy that keeps the newest N.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from rhi_desk import audit
from rhi_desk.db import DatabaseError, backup_to, connect, known_migrations, open_read_only, restore_from

NIGHTLY_PREFIX = "rhi-desk-"
DEFAULT_KEEP = 14


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass
class BackupInfo:
    """What a checked backup holds."""

    path: Path
    install_name: str
    role: str
    children: int
    episodes: int
    audit_entries: int

    def summary(self) -> str:
        return (f"{self.path}: the {self.role} install '{self.install_name}', {self.children} children, "
                f"{self.episodes} episodes, {self.audit_entries} audit entries")


def backup(db_path: str | os.PathLike, out: str | os.PathLike, *, by: str | None = None) -> BackupInfo:
    """Copy the database at ``db_path`` to ``out`` while others may be using it; returns the checked copy."""
    db_path, out = Path(db_path), Path(out)
    if not db_path.exists():
        raise BackupError(f"There is no RHI Desk database at {db_path}.")
    if out.resolve() == db_path.resolve():
        raise BackupError("Choose a backup file other than the database itself.")
    db = connect(db_path, migrate=False)
    try:
        backup_to(db, out)
        info = check(out)
        audit.record(db, "database.backup", username=by, detail={"to": str(out)})
    finally:
        db.conn.close()
    return info


def check(path: str | os.PathLike) -> BackupInfo:
    """Check that ``path`` is a sound RHI Desk database this version can open; raises BackupError."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no file at {path}.")
    try:
        db = open_read_only(path)
    except DatabaseError:
        raise BackupError(f"{path} could not be opened as a database.") from None
    try:
        try:
            tables = set(db.table_names())
        except DatabaseError:
            raise BackupError(f"{path} is not an RHI Desk database this account can open: it is not a database "
                              f"at all, or it is encrypted with another account's or another computer's key "
                              f"(to move an install, use its passphrase export).") from None
        if not {"install", "_sqlite_migrations", "audit_log"} <= tables:
            raise BackupError(f"{path} is not an RHI Desk database: it has none of RHI Desk's records.")
        result = db.conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"{path} is damaged (SQLite's integrity check says: {result}). Use an older backup.")
        applied = {row[0] for row in db.conn.execute(
            "select name from _sqlite_migrations where migration_set = 'rhi_desk'")}
        newer = sorted(applied - known_migrations())
        if newer:
            raise BackupError(f"{path} was made by a newer version of RHI Desk (it has {', '.join(newer)}). "
                              f"Upgrade RHI Desk first, then restore it.")
        install = db.conn.execute("select name, role from install where id = 1").fetchone()
        if install is None:
            raise BackupError(f"{path} is an RHI Desk database that was never set up: it holds no install.")
        count = lambda table: db.conn.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: E731
        return BackupInfo(path, install[0], install[1], count("children"), count("episodes"), count("audit_log"))
    finally:
        db.conn.close()


def restore(db_path: str | os.PathLike, source: str | os.PathLike, *, by: str | None = None) -> tuple[BackupInfo, Path | None]:
    """Put the backup ``source`` back as the database at ``db_path``, after checking it.

    What it replaces is kept first as ``NAME.before-restore-STAMP.db``; returns the restored backup's
    description and that file. Stop the server before restoring.
    """
    db_path, source = Path(db_path), Path(source)
    info = check(source)
    if db_path.exists() and db_path.resolve() == source.resolve():
        raise BackupError("That file is the database itself: choose a backup file.")
    kept = None
    db = connect(db_path, migrate=False)
    try:
        if db["install"].exists():
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            kept = backup_to(db, db_path.with_name(f"{db_path.stem}.before-restore-{stamp}.db"))
        src = open_read_only(source)
        try:
            restore_from(src, db)
        finally:
            src.conn.close()
    finally:
        db.conn.close()
    db = connect(db_path)  # an older backup's schema is brought up to date here
    try:
        audit.record(db, "database.restore", username=by, detail={"from": str(source), "kept": str(kept)})
    finally:
        db.conn.close()
    return info, kept


def backup_to_folder(db_path: str | os.PathLike, folder: str | os.PathLike, *, keep: int = DEFAULT_KEEP,
                     by: str | None = "nightly backup") -> BackupInfo:
    """Write a dated backup into ``folder`` and remove the oldest so that ``keep`` remain."""
    if keep < 1:
        raise BackupError("Keep at least one backup.")
    folder = Path(folder)
    out = folder / f"{NIGHTLY_PREFIX}{datetime.now().strftime('%Y-%m-%d-%H%M%S')}.db"
    info = backup(db_path, out, by=by)
    for old in kept_backups(folder)[:-keep]:
        old.unlink(missing_ok=True)
    return info


def kept_backups(folder: str | os.PathLike) -> list[Path]:
    """The dated backups in ``folder``, oldest first."""
    return sorted(Path(folder).glob(f"{NIGHTLY_PREFIX}????-??-??-??????.db"))


def seconds_until(at: str, moment: datetime) -> float:
    """Seconds from ``moment`` to the next ``at`` (HH:MM, local time)."""
    hour, minute = (int(part) for part in at.split(":"))
    target = moment.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= moment:
        target += timedelta(days=1)
    return (target - moment).total_seconds()


def start_nightly(db_path, folder, *, keep: int = DEFAULT_KEEP, at: str = "02:00", log=None) -> threading.Event:
    """Back up into ``folder`` every night at ``at`` in a background thread; set the returned event to stop."""
    stop = threading.Event()

    def run():
        while not stop.wait(seconds_until(at, datetime.now())):
            try:
                info = backup_to_folder(db_path, folder, keep=keep)
                if log:
                    log.info("Nightly backup written: %s", info.summary())
            except Exception:  # a failed night is logged and tried again tomorrow; the hub keeps serving
                if log:
                    log.exception("The nightly backup failed")
            time.sleep(1)

    threading.Thread(target=run, name="rhi-desk-nightly-backup", daemon=True).start()
    return stop
