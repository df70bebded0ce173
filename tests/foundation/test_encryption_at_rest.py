"""What a copied file gives away: nothing. The database is encrypted (SQLCipher) with this user's key, held
outside the file; its secrets are never in it in clear; every file RHI Desk writes is this user's alone."""
from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rhi_desk import create_app, db as database
from rhi_desk.db import DatabaseKeyRefused, connect
from rhi_desk.security import keystore
from rhi_desk.sync import keys

pytestmark = pytest.mark.skipif(not database.ENCRYPTED, reason="SQLCipher (sqlcipher3-binary) is not installed")


def _mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def _rhi_desk(db_path, *args, env=None):
    return subprocess.run([sys.executable, "-m", "rhi_desk", "--db", str(db_path), *map(str, args)],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """``rhi-desk --db x.db demo``, run as a user runs it."""
    folder = tmp_path_factory.mktemp("demo-at-rest")
    path = folder / "x.db"
    result = _rhi_desk(path, "demo")
    assert result.returncode == 0, result.stderr
    return path


def test_after_demo_the_file_is_this_users_alone_and_unreadable_without_the_key(demo_file):
    assert _mode(demo_file) == "0o600"
    wal = Path(str(demo_file) + "-wal")
    if wal.exists():
        assert _mode(wal) == "0o600"
    assert demo_file.read_bytes()[:16] != b"SQLite format 3\x00"
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        sqlite3.connect(demo_file).execute("select count(*) from sqlite_master").fetchone()


def test_a_wrong_key_opens_nothing(demo_file):
    import sqlcipher3

    conn = sqlcipher3.connect(str(demo_file))
    conn.execute("PRAGMA key = \"x'" + "00" * 32 + "'\"")
    with pytest.raises(sqlcipher3.DatabaseError):
        conn.execute("select count(*) from sqlite_master").fetchone()
    conn.close()


def test_no_childs_name_nor_private_key_is_in_the_files_bytes(demo_file):
    db = connect(demo_file, migrate=False)
    names = [r[0] for r in db.execute("select name from children where name != '' limit 50")]
    private = [bytes(keys.box_key(db)).hex(), keys.signing_key(db).encode().hex()]
    stored = db.execute("select signing_private, box_private from sync_keys").fetchone()
    db.conn.close()
    assert len(names) == 50
    assert all(keystore.is_sealed(v) for v in stored)  # sealed even inside the encrypted file
    for path in demo_file.parent.iterdir():
        data = path.read_bytes()
        for name in names:
            assert name.encode() not in data, f"{name} is readable in {path.name}"
        for key in private:
            assert key.encode() not in data and bytes.fromhex(key) not in data, path.name


def test_the_cookie_signing_key_is_not_in_the_database(demo_file):
    app = create_app({"DATABASE": str(demo_file), "TESTING": True})
    db = connect(demo_file, migrate=False)
    stored = db.execute("select secret_key from app_secret").fetchone()[0]
    db.conn.close()
    assert app.config["SECRET_KEY"] and app.config["SECRET_KEY"] != stored
    assert app.config["SECRET_KEY"].encode() not in demo_file.read_bytes()


def test_the_command_line_still_works_on_the_encrypted_file(demo_file):
    result = _rhi_desk(demo_file, "kpi", "--from", "2026-01", "--to", "2026-03")
    assert result.returncode == 0, result.stderr
    assert "Number of" in result.stdout or "RHI" in result.stdout


def test_the_same_file_copied_under_another_users_home_is_refused(demo_file, tmp_path):
    other_home = tmp_path / "someone-else"
    copy = other_home / "x.db"
    other_home.mkdir()
    shutil.copy(demo_file, copy)
    result = _rhi_desk(copy, "kpi", "--from", "2026-01", "--to", "2026-03",
                       env={"HOME": str(other_home), "RHI_DESK_KEY_DIR": str(other_home / ".config" / "keys")})
    assert result.returncode != 0
    assert "encrypted for another user account or another computer" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_copy_with_another_users_own_key_is_refused_too(demo_file, tmp_path, monkeypatch):
    copy = tmp_path / "copy.db"
    shutil.copy(demo_file, copy)
    monkeypatch.setenv("RHI_DESK_KEY_DIR", str(tmp_path / "other-keys"))
    connect(tmp_path / "their-own.db").conn.close()  # the other user has a key of their own
    with pytest.raises(DatabaseKeyRefused, match="does not hold its key"):
        connect(copy)


def test_the_key_file_is_outside_the_database_folder_and_private(demo_file):
    key_file = keystore.key_dir() / keystore.KEY_FILE
    assert key_file.exists() and _mode(key_file) == "0o600" and _mode(key_file.parent) == "0o700"
    assert demo_file.parent.resolve() not in key_file.resolve().parents


def test_a_new_folder_for_a_database_is_private(tmp_path):
    path = tmp_path / "new-folder" / "hub.db"
    connect(path).conn.close()
    assert _mode(path.parent) == "0o700" and _mode(path) == "0o600"


def test_a_backup_is_encrypted_with_the_same_key(hub_db, tmp_path):
    target = database.backup_to(hub_db, tmp_path / "backup.db")
    assert _mode(target) == "0o600" and target.read_bytes()[:16] != b"SQLite format 3\x00"
    copy = connect(target, migrate=False)
    assert copy.execute("select count(*) from install").fetchone()[0] == 1
    copy.conn.close()


def test_a_plain_database_is_converted_once_with_a_backup_first(tmp_path):
    path = tmp_path / "old.db"
    plain = sqlite3.connect(path)
    plain.execute("create table notes (id integer primary key, text text)")
    plain.executemany("insert into notes (text) values (?)", [(f"note {n}",) for n in range(500)])
    plain.commit()
    plain.close()
    db = connect(path)
    assert db.execute("select count(*) from notes").fetchone()[0] == 500
    db.conn.close()
    backup = tmp_path / "old.before-encryption.db"
    assert backup.exists() and _mode(backup) == "0o600"
    first = backup.stat().st_mtime_ns
    time.sleep(0.01)
    connect(path).conn.close()  # once only: the encrypted file is not converted again
    assert backup.stat().st_mtime_ns == first
    assert b"note 1" not in path.read_bytes()
