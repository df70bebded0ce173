"""The log can hold an error's details about a child or a record: it is this user's alone (0600 in 0700)."""
from __future__ import annotations

import logging
import os
import stat

from rhi_desk.web import logs


def _mode(path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def test_the_log_and_its_older_files_are_readable_by_this_user_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("RHI_DESK_LOG_DIR", str(tmp_path / "state" / "log"))
    old_umask = os.umask(0o022)  # a usual desktop: new files 0644, new folders 0755
    root = logging.getLogger()
    handler = None
    try:
        path = logs.configure()
        [handler] = [h for h in root.handlers if getattr(h, "baseFilename", "") == str(path)]
        assert _mode(path.parent) == "0o700"
        logging.getLogger("rhi_desk.test").error("could not save the interview of child C0000001")
        handler.flush()
        assert "C0000001" in path.read_text() and _mode(path) == "0o600"
        handler.doRollover()  # what happens each time the file passes 1 MB
        logging.getLogger("rhi_desk.test").error("after the rollover")
        handler.flush()
        older = path.with_name(path.name + ".1")
        assert "C0000001" in older.read_text() and _mode(older) == "0o600"
        assert "after the rollover" in path.read_text() and _mode(path) == "0o600"
    finally:
        os.umask(old_umask)
        if handler is not None:
            root.removeHandler(handler)
            handler.close()


def test_a_log_left_readable_by_an_earlier_release_is_made_private(tmp_path, monkeypatch):
    folder = tmp_path / "log"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    for name in ("rhi-desk.log", "rhi-desk.log.1"):
        (folder / name).write_text("an earlier release's details\n")
        os.chmod(folder / name, 0o644)
    monkeypatch.setenv("RHI_DESK_LOG_DIR", str(folder))
    path = logs.configure()
    root = logging.getLogger()
    try:
        assert _mode(folder) == "0o700"
        assert _mode(path) == "0o600" and _mode(folder / "rhi-desk.log.1") == "0o600"
    finally:
        for handler in [h for h in root.handlers if getattr(h, "baseFilename", "") == str(path)]:
            root.removeHandler(handler)
            handler.close()
