"""Files and folders RHI Desk writes are readable by this user alone: 0600 files, 0700 folders.

On Windows the mode bits mean little; there the user's profile folder's ACLs (the default data folder)
keep other users out.
"""
from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: str | os.PathLike) -> Path:
    """Make ``path`` (and missing parents) a folder only this user can open; returns it."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path


def private_file(path: str | os.PathLike) -> Path:
    """Create ``path`` empty if missing, readable and writable by this user alone (0600)."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass
    return path


def write_private(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to a new or replaced file readable by this user alone."""
    path = Path(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, 0o600)
    return path
