"""Where uploaded files wait (an episode register CSV between its check and its import), and their clean-up.

Each running copy of RHI Desk keeps its uploads in its own private folder under the system's temporary
folder, locked while it runs. Closing the app removes the folder; at start-up, any folder whose copy is no
longer running (it crashed, or the laptop lost power) is removed, so no child's data is left behind.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from rhi_desk.web.locks import HeldLock, try_lock

LOCK_NAME = ".in-use"
_held: dict[str, tuple[Path, HeldLock]] = {}


def root() -> Path:
    return Path(tempfile.gettempdir()) / "rhi-desk-uploads"


def process_folder() -> Path:
    """This process's private upload folder (made, and locked, on first use)."""
    key = str(os.getpid())
    if key in _held and _held[key][0].is_dir():
        return _held[key][0]
    base = root()
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=base))
    lock = try_lock(folder / LOCK_NAME)
    _held[key] = (folder, lock)
    return folder


def remove_own() -> None:
    """Remove this process's upload folder and everything in it (on closing)."""
    entry = _held.pop(str(os.getpid()), None)
    if entry is None:
        return
    folder, lock = entry
    if lock is not None:
        lock.release(remove=False)
    shutil.rmtree(folder, ignore_errors=True)


def clean_stale() -> int:
    """Remove upload folders (and loose files) left by copies that are no longer running; returns how many."""
    base = root()
    if not base.is_dir():
        return 0
    mine = {str(entry[0]) for entry in _held.values()}
    removed = 0
    for entry in base.iterdir():
        if str(entry) in mine:
            continue
        if entry.is_dir():
            lock = try_lock(entry / LOCK_NAME)
            if lock is None:
                continue  # another running copy's folder
            lock.release(remove=False)
            shutil.rmtree(entry, ignore_errors=True)
        else:  # a file left by an earlier version, which kept uploads loose in this folder
            entry.unlink(missing_ok=True)
        removed += 1
    return removed
