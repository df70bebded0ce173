"""The hub's inbox is a shared folder anyone with access can drop things in: every problem stays one file's
problem, links are never followed, sizes are checked before anything is read."""
from __future__ import annotations

import os
import stat

import pytest

from rhi_desk.db import connect
from rhi_desk.sync import inbox, receive
from tests.sync_support import Pair


@pytest.fixture
def pair(tmp_path):
    return Pair(tmp_path)


def _scan(pair, folder):
    db = connect(pair.hub)
    try:
        return {r.file_name: r for r in inbox.scan_inbox(db, folder, settle_seconds=0)}
    finally:
        db.conn.close()


def test_a_file_named_refused_stops_only_the_file_it_blocks(pair, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "refused").write_text("in the way")
    (folder / "junk.rhisync").write_bytes(b"not a sync file")
    (folder / "later.rhisync").write_bytes(b"not one either")
    results = _scan(pair, folder)  # no exception: the scan goes on past the blocked file
    for name in ("junk.rhisync", "later.rhisync"):
        assert not results[name].ok and "not a plain folder" in results[name].message
        assert (folder / name).exists()
    assert (folder / "refused").is_file()
    (folder / "refused").unlink()
    _scan(pair, folder)
    assert (folder / "refused" / "junk.rhisync").exists()
    assert stat.S_IMODE((folder / "refused").stat().st_mode) == 0o700
    reason = folder / "refused" / "junk.rhisync.reason.txt"
    assert stat.S_IMODE(reason.stat().st_mode) == 0o600


def test_a_linked_refused_folder_moves_nothing_anywhere(pair, tmp_path):
    folder, elsewhere = tmp_path / "inbox", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, folder / "refused")
    (folder / "junk.rhisync").write_bytes(b"not a sync file")
    results = _scan(pair, folder)
    assert "not a plain folder" in results["junk.rhisync"].message
    assert list(elsewhere.iterdir()) == [] and (folder / "junk.rhisync").exists()


def test_a_linked_file_is_never_followed(pair, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    secret = tmp_path / "somebody-elses.rhisync"
    secret.write_bytes(b"private")
    os.symlink(secret, folder / "looks-harmless.rhisync")
    results = _scan(pair, folder)
    assert "link" in results["looks-harmless.rhisync"].message
    assert secret.read_bytes() == b"private" and (folder / "looks-harmless.rhisync").is_symlink()


def test_a_file_over_the_cap_is_refused_before_it_is_read(pair, tmp_path, monkeypatch):
    monkeypatch.setattr(receive, "MAX_FILE_BYTES", 1024)
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "huge.rhisync").write_bytes(b"x" * 4096)
    read = []
    real_open = open

    def spy(path, *args, **kwargs):
        if str(path).endswith("huge.rhisync"):
            read.append(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    results = _scan(pair, folder)
    assert not results["huge.rhisync"].ok and "never more than" in results["huge.rhisync"].message
    assert read == []  # refused on its size alone
    assert (folder / "refused" / "huge.rhisync").exists()
