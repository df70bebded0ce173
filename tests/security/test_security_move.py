"""Moving an install to a new laptop: ``rhi-desk move-out`` writes one file protected by a passphrase, and
``rhi-desk move-in`` opens it on the new laptop under that account's own key."""
from __future__ import annotations

import shutil
import sqlite3
import stat

import pytest

from rhi_desk import db as database
from rhi_desk.db import DatabaseKeyRefused, connect
from rhi_desk.security import move
from rhi_desk.sync import keys

pytestmark = pytest.mark.skipif(not database.ENCRYPTED, reason="SQLCipher (sqlcipher3-binary) is not installed")

PASSPHRASE = "kettle harbour violet seventeen"


@pytest.fixture
def old_laptop(demo_db_path, tmp_path):
    """A copy of the demo hub on the old laptop (this test run's key)."""
    path = tmp_path / "old" / "rhi-desk.db"
    path.parent.mkdir()
    db = connect(demo_db_path)
    database.backup_to(db, path)
    db.conn.close()
    return path


def _facts(path):
    """What a person would check after the move: the children, the users, the sync identity."""
    db = connect(path)
    try:
        return {"children": sorted(r["name"] or "" for r in db.query("select name from children")),
                "users": sorted(r["username"] for r in db.query("select username from users")),
                "install": database.install(db)["install_id"],
                "box_public": bytes(keys.box_key(db).public_key).hex(),
                "signing_public": bytes(keys.signing_key(db).verify_key).hex()}
    finally:
        db.conn.close()


def _new_laptop(monkeypatch, tmp_path):
    """Another computer: a key folder of its own, holding no key yet."""
    monkeypatch.setenv("RHI_DESK_KEY_DIR", str(tmp_path / "new-laptop-keys"))


def _passphrase_file(tmp_path, text=PASSPHRASE):
    path = tmp_path / "passphrase.txt"
    path.write_text(text + "\n")
    return path


def test_an_install_moves_to_a_new_laptop_and_opens_there_under_its_own_key(old_laptop, tmp_path, cli,
                                                                             monkeypatch):
    before = _facts(old_laptop)
    moved = tmp_path / "usb" / "croydon.rhimove"
    moved.parent.mkdir()
    result = cli("move-out", "--out", moved, input=f"{PASSPHRASE}\n{PASSPHRASE}\n", db=old_laptop)
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output and oct(stat.S_IMODE(moved.stat().st_mode)) == "0o600"
    data = moved.read_bytes()
    assert data.startswith(move.MAGIC) and b"SQLite format 3" not in data
    some_child = next(name for name in before["children"] if name)
    assert some_child.encode() not in data  # no child's name in its bytes

    _new_laptop(monkeypatch, tmp_path)
    new_path = tmp_path / "new" / "rhi-desk.db"
    result = cli("move-in", moved, "--passphrase-file", _passphrase_file(tmp_path), db=new_path)
    assert result.exit_code == 0, result.output
    assert "opens on this laptop" in result.output
    assert oct(stat.S_IMODE(new_path.stat().st_mode)) == "0o600"
    assert new_path.read_bytes()[:16] != b"SQLite format 3\x00"
    # Every child and user came along, and the install is still the same one to the hub and the field
    # installs: its private sync keys, sealed with the old laptop's key, were sealed again with the new one's.
    assert _facts(new_path) == before
    result = cli("users", "list", db=new_path)
    assert result.exit_code == 0 and "missing" in result.output

    # The moved database is the new laptop's: the old laptop's key no longer opens it.
    monkeypatch.undo()
    with pytest.raises(DatabaseKeyRefused):
        connect(new_path, migrate=False)


def test_a_wrong_passphrase_gets_a_sentence_and_changes_nothing(old_laptop, tmp_path, monkeypatch):
    db = connect(old_laptop)
    moved = move.move_out(db, tmp_path / "croydon.rhimove", PASSPHRASE)
    db.conn.close()
    _new_laptop(monkeypatch, tmp_path)
    target = tmp_path / "new" / "rhi-desk.db"
    target.parent.mkdir()
    with pytest.raises(move.MoveRefused, match="not the passphrase this move file was made with. Nothing was"):
        move.move_in(moved, target, "kettle harbour violet seventeen!")
    assert sorted(p.name for p in target.parent.iterdir()) == []  # no database, no half-made copy


def test_moving_in_over_a_database_refuses_unless_told_and_then_keeps_the_old_one(old_laptop, tmp_path, cli,
                                                                                monkeypatch):
    moved = tmp_path / "croydon.rhimove"
    assert cli("move-out", "--out", moved, "--passphrase-file", _passphrase_file(tmp_path),
               db=old_laptop).exit_code == 0
    before = _facts(old_laptop)
    _new_laptop(monkeypatch, tmp_path)
    target = tmp_path / "new" / "rhi-desk.db"
    assert cli("init", "--role", "field", "--la", "Croydon", "--name", "Safe Steps", db=target).exit_code == 0
    existing = target.read_bytes()

    result = cli("move-in", moved, "--passphrase-file", _passphrase_file(tmp_path), db=target)
    assert result.exit_code == 1
    assert "There is already an RHI Desk database" in result.output and "Nothing was changed" in result.output
    assert "Traceback" not in result.output and target.read_bytes() == existing

    result = cli("move-in", moved, "--passphrase-file", _passphrase_file(tmp_path), "--replace", db=target)
    assert result.exit_code == 0, result.output
    kept = target.with_name("rhi-desk.before-move.db")
    assert f"kept as {kept}" in result.output
    assert _facts(target) == before
    db = connect(kept)
    assert database.install(db)["name"] == "Safe Steps"  # the one replaced, still there and still opening
    db.conn.close()


def test_a_weak_passphrase_is_refused_before_anything_is_written(old_laptop, tmp_path, cli):
    for weak in ("short", "Password123456!", "            "):
        result = cli("move-out", "--out", tmp_path / "x.rhimove", "--passphrase-file",
                     _passphrase_file(tmp_path, weak), db=old_laptop)
        assert result.exit_code == 1 and "Choose" in result.output and "passphrase" in result.output
        assert not list(tmp_path.glob("x.rhimove*"))


def test_a_file_that_is_not_a_move_file_or_is_cut_short_is_refused_in_words(old_laptop, tmp_path, cli,
                                                                            monkeypatch):
    moved = tmp_path / "croydon.rhimove"
    assert cli("move-out", "--out", moved, "--passphrase-file", _passphrase_file(tmp_path),
               db=old_laptop).exit_code == 0
    cut = tmp_path / "cut.rhimove"
    cut.write_bytes(moved.read_bytes()[: moved.stat().st_size // 2])
    copied_db = tmp_path / "copied.db"
    shutil.copy(old_laptop, copied_db)
    _new_laptop(monkeypatch, tmp_path)
    target = tmp_path / "new" / "rhi-desk.db"
    for wrong, words in ((cut, "incomplete"), (copied_db, "is not an RHI Desk move file")):
        result = cli("move-in", wrong, "--passphrase-file", _passphrase_file(tmp_path), db=target)
        assert result.exit_code == 1 and words in result.output and "Traceback" not in result.output
        assert not target.exists()
    # And the move file is not a database anything else can open.
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(moved).execute("select count(*) from sqlite_master").fetchone()
