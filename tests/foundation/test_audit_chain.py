"""The audit log fit for GDPR: ids, actions and the names of changed fields, no personal values; a hash
chain that names the first entry changed, removed or slipped in behind the app's back."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from rhi_desk import audit
from rhi_desk.db import DatabaseError, connect
from rhi_desk.register import children

FIXTURE = Path(__file__).parent / "fixtures" / "rhi-desk-0.1.0-demo.db"


def _raw(db_path):
    """The file opened with SQLite directly, as its owner could, behind the app's back."""
    db = connect(db_path, migrate=False)
    return db


def test_creating_a_child_logs_ids_and_field_names_never_the_values(hub_db):
    children.create_child(hub_db, "C77", name="Robin Privateperson", date_of_birth="2010-04-05", sex="female",
                          social_worker="Sally Socialworker", placement="out_of_borough", looked_after=True,
                          by="missing")
    entry = audit.entries(hub_db, object_type="child", object_id="C77")[0]
    assert entry["action"] == "child.create" and entry["username"] == "missing"
    for value in ("Robin", "Privateperson", "2010-04-05", "female", "Sally", "out_of_borough"):
        assert value not in entry["detail"]
    assert {"name", "date_of_birth", "social_worker"} <= set(json.loads(entry["detail"])["fields"])


def test_a_search_is_logged_without_what_was_typed(signed_in, hub_db):
    signed_in("missing_team").get("/children?q=Privateperson")
    rows = hub_db.execute("select detail from audit_log where action = 'child.search'").fetchall()
    assert rows and all("Privateperson" not in (r[0] or "") for r in rows)


def test_an_untouched_chain_verifies(hub_db, cli, users):
    assert audit.verify(hub_db).ok
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "The audit log is intact" in result.output


@pytest.mark.parametrize("tamper,broken", [
    ("update audit_log set detail = '{}' where id = 3", 3),
    ("delete from audit_log where id = 3", 4),
    ("update audit_log set username = 'someone-else' where id = 2", 2),
])
def test_a_chain_broken_by_hand_is_reported_at_its_first_broken_link(hub_db, db_path, cli, users, tamper, broken):
    assert hub_db.execute("select count(*) from audit_log").fetchone()[0] >= 5
    hub_db.conn.close()
    raw = _raw(db_path).conn
    raw.execute("drop trigger audit_log_no_update")
    raw.execute("drop trigger audit_log_no_delete")
    raw.execute(tamper)
    raw.close()
    result = cli("audit", "verify")
    assert result.exit_code != 0
    assert f"entry {broken}" in result.output and "tampered with" in result.output


def test_insert_or_replace_cannot_overwrite_an_entry(hub_db):
    before = hub_db.execute("select * from audit_log where id = 1").fetchone()
    with pytest.raises(DatabaseError, match="append-only"):
        hub_db.execute("insert or replace into audit_log (id, at, action) values (1, 'x', 'forged')")
    assert hub_db.execute("select * from audit_log where id = 1").fetchone() == before
    assert audit.verify(hub_db).ok


def test_the_migration_moves_old_entries_to_the_new_shape_and_chains_them(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)
    conn = sqlite3.connect(path)
    conn.execute("insert into audit_log (at, username, action, object_type, object_id, detail) values "
                 "('2026-01-01 10:00', 'missing', 'child.search', null, null, ?)",
                 [json.dumps({"query": "Findme Surname", "found": 1})])
    conn.execute("insert into audit_log (at, username, action, object_type, object_id, detail) values "
                 "('2026-01-01 10:01', 'missing', 'child.create', 'child', 'C9', ?)",
                 [json.dumps({"name": "Findme Surname", "date_of_birth": "2011-02-03"})])
    conn.commit()
    conn.close()
    db = connect(path)
    details = " ".join(r[0] or "" for r in db.execute("select detail from audit_log"))
    assert "Findme" not in details and "2011-02-03" not in details
    assert audit.verify(db).ok
    assert audit.verify(db).checked == db.execute("select count(*) from audit_log").fetchone()[0]
    # New entries continue the chain.
    audit.record(db, "test.after_upgrade", username="admin")
    assert audit.verify(db).ok
