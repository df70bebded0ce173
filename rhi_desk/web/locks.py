"""A lock on a file that the operating system releases when its process ends, however it ends.

Used for "one copy of RHI Desk per database" and for the per-process upload folders: a copy that crashed
leaves its lock file behind, but not its lock, so the next start is never blocked by a stale file.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt
else:
    import fcntl


class HeldLock:
    """An exclusive lock on ``path`` held by this process until :meth:`release` (or the process ends)."""

    def __init__(self, path: Path, handle):
        self.path = path
        self._handle = handle

    def write(self, text: str) -> None:
        """Replace what the lock file says (for example the port of the running copy)."""
        handle = self._handle
        handle.seek(1 if sys.platform == "win32" else 0)  # Windows locks byte 0; the text follows it
        handle.truncate()
        handle.write(text.encode("utf-8"))
        handle.flush()

    def release(self, remove: bool = True) -> None:
        if self._handle is None:
            return
        try:
            if sys.platform == "win32":  # pragma: no cover
                self._handle.seek(0)
                msvcrt.locking(self._handle.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        finally:
            self._handle.close()
            self._handle = None
        if remove:
            try:
                self.path.unlink()
            except OSError:
                pass  # another copy took it meanwhile, or Windows still holds it: harmless


def try_lock(path: Path) -> HeldLock | None:
    """Take the lock on ``path`` (created if need be) without waiting; None when another process holds it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    handle = os.fdopen(fd, "r+b")
    try:
        if sys.platform == "win32":  # pragma: no cover
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return HeldLock(path, handle)


def read_lock(path: Path) -> str:
    """What the holder of the lock wrote into it ('' if nothing or unreadable)."""
    try:
        with open(path, "rb") as handle:
            if sys.platform == "win32":  # pragma: no cover - byte 0 is locked (Windows locks are mandatory)
                handle.seek(1)
            data = handle.read()
    except OSError:
        return ""
    return data.lstrip(b"\0").decode("utf-8", "replace").strip()
