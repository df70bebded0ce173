"""Backups that are sound while the hub serves, restores that refuse what they should, nightly copies
that keep N, and an upgrade that backs up before it migrates."""
from __future__ import annotations

import sqlite3
import threading

import time_machine

from rhi_desk.db import MIGRATION_SETS, connect, open_read_only
from rhi_desk.register import children
from rhi_desk.service import backup as backups



def keyed(path):
    """The backup opened as RHI Desk opens it: with this user's database key."""
    return open_read_only(path).conn


def integrity(path) -> str:
    conn = keyed(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_a_backup_under_write_load_is_sound_and_restore_accepts_it(hub_db, db_path, tmp_path, cli):
    stop = threading.Event()
    written = []

    def write_children():
        db = connect(db_path)
        n = 0
        while not stop.is_set():
            children.create_child(db, f"LOAD-{n}", name=f"Load child {n}", looked_after=False, other_la=False,
                                  by="load")
            written.append(n)
            n += 1
        db.conn.close()

    writers = [threading.Thread(target=write_children) for _ in range(1)]
    for writer in writers:
        writer.start()
    try:
        while len(written) < 50:
            stop.wait(0.05)
        copies = []
        for n in range(3):
            result = cli("backup", "--out", tmp_path / f"copy{n}.db")
            assert result.exit_code == 0, result.output
            assert "Its integrity check is ok" in result.output
            copies.append(tmp_path / f"copy{n}.db")
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    assert len(written) > 50
    for copy in copies:
        assert integrity(copy) == "ok"
        # Nothing half-written: every child in the copy has its audit entry, in the same snapshot.
        conn = keyed(copy)
        in_copy = {r[0] for r in conn.execute("select child_id from children")}
        audited = {r[0] for r in conn.execute("select object_id from audit_log where action = 'child.create'")}
        conn.close()
        assert in_copy == audited and len(in_copy) >= 50
    restored = tmp_path / "restored.db"
    result = cli("restore", copies[-1], "--yes", db=restored)
    assert result.exit_code == 0, result.output
    db = connect(restored)
    assert db.execute("select count(*) from children").fetchone()[0] == len(in_copy)
    assert db.execute("select action from audit_log order by id desc limit 1").fetchone()[0] == "database.restore"


def test_restore_keeps_what_it_replaces(hub_db, db_path, tmp_path, cli):
    children.create_child(hub_db, "C1", name="Amy Brown", looked_after=False, other_la=False)
    assert cli("backup", "--out", tmp_path / "monday.db").exit_code == 0
    children.create_child(hub_db, "C2", name="Ben Jones", looked_after=False, other_la=False)
    result = cli("restore", tmp_path / "monday.db", input="y\n")
    assert result.exit_code == 0, result.output
    assert "What it held before is kept in" in result.output
    db = connect(db_path)
    assert [r[0] for r in db.execute("select child_id from children")] == ["C1"]
    kept = result.output.split("kept in ")[1].strip().rstrip(".")
    assert {r[0] for r in keyed(kept).execute("select child_id from children")} == {"C1", "C2"}
    # Answering no restores nothing.
    result = cli("restore", tmp_path / "monday.db", input="n\n")
    assert result.exit_code != 0 and "Nothing was restored" in result.output


def test_restore_refuses_what_is_not_a_sound_rhi_desk_backup(hub_db, db_path, tmp_path, cli):
    text = tmp_path / "notes.db"
    text.write_text("not a database at all " * 200)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t (x)").connection.commit()
    newer = tmp_path / "newer.db"
    assert cli("backup", "--out", newer).exit_code == 0
    conn = connect(newer, migrate=False).conn
    conn.execute("insert into _sqlite_migrations (migration_set, name, applied_at) "
                 "values ('rhi_desk', '0099_from_the_future', '2027-01-01')")
    conn.close()
    children.create_child(hub_db, "C1", name="Amy Brown", looked_after=False, other_la=False)
    for path, words in [(text, "is not an RHI Desk database"), (other, "is not an RHI Desk database"),
                        (newer, "made by a newer version of RHI Desk"), (tmp_path / "gone.db", "There is no file")]:
        result = cli("restore", path, "--yes")
        assert result.exit_code != 0, path
        assert words in result.output, result.output
    assert connect(db_path).execute("select count(*) from children").fetchone()[0] == 1  # untouched


def test_nightly_backups_keep_the_newest_n(hub_db, db_path, tmp_path):
    folder = tmp_path / "nightly"
    for day in range(1, 6):
        with time_machine.travel(f"2026-11-0{day} 02:00", tick=False):
            backups.backup_to_folder(db_path, folder, keep=3)
    names = [p.name for p in backups.kept_backups(folder)]
    assert names == [f"rhi-desk-2026-11-0{d}-020000.db" for d in (3, 4, 5)]
    assert all(integrity(folder / name) == "ok" for name in names)


def test_the_nightly_schedule_waits_for_the_next_time_of_day():
    from datetime import datetime

    assert backups.seconds_until("02:00", datetime(2026, 11, 2, 1, 0)) == 3600
    assert backups.seconds_until("02:00", datetime(2026, 11, 2, 2, 0)) == 24 * 3600
    assert backups.seconds_until("02:00", datetime(2026, 11, 2, 23, 30)) == 2.5 * 3600


def test_backup_folder_from_the_command_line(hub_db, tmp_path, cli):
    result = cli("backup", "--folder", tmp_path / "b", "--keep", "2")
    assert result.exit_code == 0 and len(backups.kept_backups(tmp_path / "b")) == 1
    assert cli("backup").exit_code != 0


def test_an_upgrade_backs_up_before_it_migrates(tmp_path):
    old = tmp_path / "hub.db"
    db = connect(old, migrate=False)  # a hub made before 0007_hub_network
    for migration_set in MIGRATION_SETS:
        migration_set.apply(db, stop_before="0007_hub_network")
    db.execute("insert into install (id, install_id, role, la_name, name, created_at) "
               "values (1, 'x', 'hub', 'Croydon', 'Missing team', '2026-01-01')")
    db.execute("insert into children (child_id, name, created_at, updated_at) values ('C1', 'Amy', '', '')")
    db.conn.close()
    connect(old).conn.close()
    made = list(tmp_path.glob("hub.before-upgrade-*.db"))
    assert len(made) == 1
    info = backups.check(made[0])  # the copy is the database as it was, before the new migration
    names = {r[0] for r in keyed(made[0]).execute("select name from _sqlite_migrations")}
    assert "0007_hub_network" not in names and info.children == 1
    assert "0007_hub_network" in {r[0] for r in keyed(old).execute("select name from _sqlite_migrations")}
    connect(old).conn.close()  # nothing pending now: no second copy
    assert len(list(tmp_path.glob("hub.before-upgrade-*.db"))) == 1


def test_a_backup_is_encrypted_and_private_like_the_database(hub_db, tmp_path, cli):
    import os
    import stat

    children.create_child(hub_db, "C1", name="Amy Brown", looked_after=False, other_la=False)
    copy = tmp_path / "copy.db"
    assert cli("backup", "--out", copy).exit_code == 0
    assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
    assert b"Amy Brown" not in copy.read_bytes() and not copy.read_bytes().startswith(b"SQLite format 3")
    plain = sqlite3.connect(copy)
    try:
        plain.execute("select count(*) from children").fetchone()
        readable = True
    except sqlite3.DatabaseError:
        readable = False
    finally:
        plain.close()
    assert not readable, "a backup must not be readable without the key"
