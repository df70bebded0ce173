"""A database made by the release before the area packages (0.1.0, `rhi-desk demo`) opens and upgrades
with nothing lost: migration names and numbers stay exactly as shipped."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from rhi_desk import create_app
from rhi_desk.db import MIGRATION_SETS, connect
from rhi_desk.security import keystore

FIXTURE = Path(__file__).parent / "fixtures" / "rhi-desk-0.1.0-demo.db"
SHIPPED_MIGRATIONS = [
    "0001_initial", "0002_form_rescue", "0010_register_indexes", "0025_kpi_covering_index",
    "0026_drop_kpi_covering_index", "0030_interview_drafts", "0040_sync", "0041_sync_assigned",
]


def _snapshot(path: Path, plain: bool = True) -> dict[str, list[tuple]]:
    """Every row of every table of the 0.1.0 schema, read with plain sqlite3 (the 0.1.0 file) or, once
    converted and encrypted, through the one way in."""
    conn = sqlite3.connect(path) if plain else connect(path, migrate=False).conn
    try:
        tables = [r[0] for r in conn.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' "
            "and name != '_sqlite_migrations' order by name")]
        # Sorted in Python: WITHOUT ROWID tables (rhi_episodes) have no rowid to order by.
        return {t: sorted(conn.execute(f'select * from "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        conn.close()


def test_a_release_0_1_0_database_upgrades_with_every_record_kept(tmp_path):
    old = tmp_path / "hub.db"
    shutil.copy(FIXTURE, old)
    before = _snapshot(old)
    assert len(before["children"]) > 50 and len(before["return_home_interviews"]) > 20

    db = connect(old)
    applied = [m.name for m in MIGRATION_SETS[0].applied(db)]  # one set, "rhi_desk", shared by every area
    assert applied[: len(SHIPPED_MIGRATIONS)] == SHIPPED_MIGRATIONS  # as shipped, in the order applied
    pending = [m.name for s in MIGRATION_SETS for m in s.pending(db)]
    assert pending == []
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    db.conn.close()

    # Converted once to an encrypted file, after a backup copy of the plain one (this user's alone).
    assert old.read_bytes()[:16] != b"SQLite format 3\x00"
    saved = old.with_name("hub.before-encryption.db")
    assert saved.read_bytes()[:16] == b"SQLite format 3\x00" and oct(saved.stat().st_mode & 0o777) == "0o600"
    assert _snapshot(saved) == before
    after = _snapshot(old, plain=False)
    # The audit log is the one table whose old values change: its details move to the shape that keeps
    # no personal values (migration 0004). Every entry is still there, with its time, user and action.
    old_audit, new_audit = before.pop("audit_log"), after["audit_log"]
    assert len(new_audit) == len(old_audit)
    assert sorted((r[:5] for r in new_audit), key=repr) == sorted((r[:5] for r in old_audit), key=repr)
    # The private sync keys are sealed (migration 0005) and open to the same keys.
    key = connect(old, migrate=False).rhi_key
    after["sync_keys"] = [(r[0], keystore.unseal(key, "sync private keys", r[1]), r[2],
                           keystore.unseal(key, "sync private keys", r[3]), *r[4:]) for r in after["sync_keys"]]
    assert all(keystore.is_sealed(v) for r in _snapshot(old, plain=False)["sync_keys"] for v in (r[1], r[3]))
    for table, rows in before.items():
        # Later migrations may add columns; every row and every old value is still there.
        assert len(after[table]) == len(rows), table
        assert sorted((r[: len(rows[0])] for r in after[table]), key=repr) == rows, table


def test_the_upgraded_database_serves_its_pages(tmp_path):
    path = tmp_path / "hub.db"
    shutil.copy(FIXTURE, path)
    app = create_app({"DATABASE": str(path), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    response = client.post("/sign-in", data={"username": "missing", "password": "demo-password"})
    assert response.status_code == 302
    assert client.get("/").status_code in (200, 302)
    assert client.get("/children").status_code == 200
    assert client.get("/reports/").status_code == 200
