"""A server thread keeps its database connection between requests (its page cache stays warm), without ever
showing one request another's unfinished work, or an old file after the database was replaced."""
from __future__ import annotations

import os
import shutil
import threading

from rhi_desk import db as database
from rhi_desk.db import connect
from tests.conftest import add_user, sign_in


def add_child(db, child_id, name):
    db["children"].insert({"child_id": child_id, "name": name, "created_at": "2026-12-01 09:00:00",
                           "updated_at": "2026-12-01 09:00:00"})


def test_a_thread_reuses_its_connection_and_each_request_starts_clean(app, hub_db):
    with app.test_request_context("/"):
        first = database.get_db()
        first.execute("BEGIN")
        add_child(first, "K-UNFINISHED", "Never Saved")
    # The request ended mid-transaction (an error, say): its unfinished work is rolled back.
    with app.test_request_context("/"):
        again = database.get_db()
        assert again is first
        assert not again.conn.in_transaction
        assert again.execute("select count(*) from children where child_id = 'K-UNFINISHED'").fetchone()[0] == 0
    # Another thread has a connection of its own.
    seen = []

    def other_thread():
        with app.test_request_context("/"):
            seen.append(database.get_db())

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert seen and seen[0] is not first


def test_a_kept_connection_sees_another_connections_changes(app, hub_db, client):
    add_user(hub_db, "worker", "missing_team")
    sign_in(client, "worker")
    assert "Amara Okafor" not in client.get("/children").get_data(as_text=True)
    add_child(hub_db, "K-LATER", "Amara Okafor")  # written by another connection (another user's request)
    assert "Amara Okafor" in client.get("/children").get_data(as_text=True)


def test_a_replaced_database_is_read_afresh(app, hub_db, db_path, client, tmp_path):
    add_user(hub_db, "worker", "missing_team")
    # The restore's source: this database as it is now, then given a child the live one never had.
    restored = tmp_path / "restored.db"
    hub_db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copy(db_path, restored)
    other = connect(restored)
    add_child(other, "K-RESTORED", "Bea Restored")
    other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    other.conn.close()

    sign_in(client, "worker")
    assert "Bea Restored" not in client.get("/children").get_data(as_text=True)
    kept = database._kept.connection[2]
    # Replaced under the server (as a restore or a move-in does, the file swapped in whole).
    hub_db.conn.close()
    for suffix in ("-wal", "-shm"):
        if os.path.exists(str(db_path) + suffix):
            os.unlink(str(db_path) + suffix)
    os.replace(restored, db_path)
    page = client.get("/children").get_data(as_text=True)
    assert "Bea Restored" in page
    assert database._kept.connection[2] is not kept
