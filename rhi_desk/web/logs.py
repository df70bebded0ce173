"""RHI Desk's log: a rotating file in the platform's log folder, with the full details of any error.

The person using RHI Desk sees a sentence and where this file is; the details are here for IT. Nothing in
the log leaves the machine. Linux: ~/.local/state/rhi-desk/log/rhi-desk.log; Windows:
%LOCALAPPDATA%\\rhi-desk\\Logs\\rhi-desk.log (``RHI_DESK_LOG_DIR`` overrides the folder).

An error's details can name a child or a record, so the log and its older files are this user's alone:
0600 files in a 0700 folder, from the first line written and after every rotation (``security.files``).
"""
from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from rhi_desk.security import files

MAX_BYTES = 1024 * 1024
BACKUPS = 4  # rhi-desk.log and four older files: at most 5 MB
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file created readable and writable by this user alone (0600), as are older ones."""

    def _open(self):
        files.private_file(self.baseFilename)
        return super()._open()


def log_file() -> Path:
    """Where the log is written."""
    folder = os.environ.get("RHI_DESK_LOG_DIR")
    if not folder:
        import platformdirs

        folder = platformdirs.user_log_dir("rhi-desk", "rhi-desk")
    return Path(folder) / "rhi-desk.log"


def configure() -> Path | None:
    """Send RHI Desk's (and waitress's) log records to the rotating file; safe to call more than once.

    Returns the file, or None when it cannot be written (then nothing is logged, and nothing fails)."""
    path = log_file()
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, logging.handlers.RotatingFileHandler) and Path(handler.baseFilename) == path:
            return path
    try:
        files.private_dir(path.parent)
        # A log written by an earlier release, before it was private, is made private too.
        for old in [path, *(path.with_name(f"{path.name}.{n}") for n in range(1, BACKUPS + 1))]:
            if old.exists():
                os.chmod(old, 0o600)
        handler = PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                             encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return path
