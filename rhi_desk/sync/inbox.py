"""The shared inbox folder: every .rhisync file in it imported, then moved to processed/ or refused/."""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now
from rhi_desk.db import write_transaction
from rhi_desk.security.files import write_private
from rhi_desk.sync.fileformat import EXTENSION, SyncError, SyncRefused
from rhi_desk.sync.receive import receive_path

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
    message: str  # names no child: the children changed are in ``children``
    children: list = field(default_factory=list)  # the ids of the children whose records it changed


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
    # The inbox is a shared folder anyone with access can drop things in: every problem is one file's
    # problem (never the whole inbox's), links are never followed, and sizes are checked before reading.
    for path in sorted(folder.glob(f"*{EXTENSION}")):
        if path.is_symlink():
            results.append(InboxResult(path.name, False, "Not imported: it is a link to another file, and the "
                                                         "inbox only takes files themselves. Remove it."))
            continue
        if not path.is_file():
            continue
        try:
            age = time.time() - path.lstat().st_mtime
        except OSError:
            continue
        if age < settle_seconds:
            continue
        try:
            result = receive_path(db, path, by=by)
            ok, message, dest = True, result.counts_message, "processed"
            changed = [c["child_id"] for c in result.children]
        except SyncRefused as refusal:
            if refusal.reason in ("truncated", "empty") and age < STILL_ARRIVING_SECONDS:
                results.append(InboxResult(path.name, False, "Still arriving: it will be checked again shortly."))
                continue
            ok, message, dest = False, str(refusal), "refused"
        except SyncError as exc:
            results.append(InboxResult(path.name, False, str(exc)))
            continue
        try:
            _move_aside(folder, dest, path, None if ok else message)
        except SyncError as exc:
            results.append(InboxResult(path.name, ok, f"{message} {exc}", changed if ok else []))
            continue
        results.append(InboxResult(path.name, ok, message, changed if ok else []))
    return results


def _move_aside(folder: Path, dest: str, path: Path, reason: str | None) -> None:
    """Move ``path`` into ``folder/dest`` (made 0700), refusing a ``dest`` that is a link or not a folder."""
    target = folder / dest
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise SyncError(f"It was left in the inbox: {dest} in the inbox folder is not a plain folder "
                        f"(a file or a link has that name). Remove it and RHI Desk will make the folder.")
    try:
        target.mkdir(mode=0o700, exist_ok=True)
        final = target / path.name
        if final.exists() or final.is_symlink():
            final = target / f"{path.stem}-{now().strftime('%Y%m%d%H%M%S')}{path.suffix}"
        shutil.move(str(path), str(final))
        if reason:
            write_private(target / (final.name + ".reason.txt"), (reason + "\n").encode("utf-8"))
    except OSError as exc:
        raise SyncError(f"It could not be moved to {dest} ({exc.strerror or exc}); it stays in the inbox.") from None
