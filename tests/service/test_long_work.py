"""Long work holding the database's write lock (a big import, an inbox check) never blocks other
people's pages: reading pages answer at once, and their audit entries are written as soon as the lock is
free, none lost, each with the time it happened."""
from __future__ import annotations

import time

from rhi_desk import audit
from rhi_desk.db import connect
from rhi_desk.register import children


def test_pages_answer_while_another_connection_holds_the_write_lock(signed_in, hub_db, db_path):
    children.create_child(hub_db, "C1", name="Amy Smith", looked_after=False, other_la=False)
    client = signed_in("missing_team")
    before = audit.entries(hub_db, limit=1)[0]["id"]
    importer = connect(db_path, migrate=False)
    importer.execute("BEGIN IMMEDIATE")  # as the episode import does, for the whole file
    importer.execute("insert into children (child_id, name, created_at, updated_at) values ('BIG', 'x', '', '')")
    try:
        for url in ("/today", "/children/C1", "/reports/"):
            started = time.monotonic()
            response = client.get(url)
            took = time.monotonic() - started
            assert response.status_code == 200, url
            # Without the deferred audit entry each page waited out the 30 s busy timeout, then failed.
            assert took < 15, f"{url} waited {took:.1f} s for the import"
    finally:
        importer.execute("COMMIT")
        importer.conn.close()
    assert audit.flush(timeout=30)
    written = [e for e in audit.entries(hub_db) if e["id"] > before]
    assert {"register.today", "child.view"} <= {e["action"] for e in written}
