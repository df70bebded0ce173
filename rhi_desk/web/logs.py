"""RHI Desk's log: a rotating file in the platform's log folder, with the full details of any error.

The person using RHI Desk sees a sentence and where this file is; the details are here for IT. Nothing in
the log leaves the machine. Linux: ~/.local/state/rhi-desk/log/rhi-desk.log; Windows:
%LOCALAPPDATA%\\rhi-desk\\Logs\\rhi-desk.log (``RHI_DESK_LOG_DIR`` overrides the folder).
"""
from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

MAX_BYTES = 1024 * 1024
BACKUPS = 4  # rhi-desk.log and four older files: at most 5 MB
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"


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
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                       encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return path
