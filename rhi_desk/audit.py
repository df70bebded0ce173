"""The append-only audit log: who did what to which record, and when, without the personal values.

An entry holds ids (the user's username, the child's or the interview's id), the action, and for a change
the *names* of the fields changed, never their values: a child's name, date of birth or what someone typed
into a search never enter the log, so rectification and erasure (UK GDPR articles 16 and 17) never meet a
log that cannot be changed. Counts and a few operational words (a reason, a role) are kept.

Each entry carries the hash of the entry before it (``prev_hash``) and its own (``hash``, SHA-256 over both),
so an entry edited or removed behind the app's back breaks the chain: :func:`verify` names the first broken
link (``rhi-desk audit verify``). Triggers refuse UPDATE, DELETE and INSERT OR REPLACE.
"""
from __future__ import annotations

import atexit
import queue
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass

import sqlite_utils

from rhi_desk.clock import now_iso
from rhi_desk.db import OperationalError, write_transaction
from rhi_desk.security.audit_chain import GENESIS, entry_hash, shape


# The address of the person whose request is being served (set by the web layer for each request);
# None on the command line.
_client_address: ContextVar[str | None] = ContextVar("client_address", default=None)


def set_client_address(address: str | None) -> None:
    """Name the client whose request writes the audit entries that follow (None: this machine)."""
    _client_address.set(address)


def record(
    db: sqlite_utils.Database,
    action: str,
    *,
    username: str | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    detail: dict | str | None = None,
) -> None:
    """Append one entry to the audit log (``action`` like ``child.view`` or ``sign_in.failed``).

    Inside a write transaction the entry is part of it. On its own (a page view's entry) it waits at
    most a moment for the write lock; while long work holds the lock (a big import) the entry is handed
    to a background writer that adds it as soon as the lock is free, with the time it happened, so no
    one's page waits for someone else's import.
    """
    row = {"at": now_iso(), "username": username, "action": action, "object_type": object_type,
           "object_id": None if object_id is None else str(object_id), "detail": shape(detail),
           "client_address": _client_address.get()}
    if db.conn.in_transaction:
        _insert(db, row)
        return
    conn = db.conn
    waited = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute(f"PRAGMA busy_timeout = {QUICK_WAIT_MS}")
    try:
        _insert(db, row)
    except OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        path = next((r[2] for r in conn.execute("PRAGMA database_list") if r[1] == "main"), "")
        if not path:
            raise
        _deferred.put((path, row))
        _start_writer()
    finally:
        conn.execute(f"PRAGMA busy_timeout = {waited}")


QUICK_WAIT_MS = 300
_deferred: queue.Queue = queue.Queue()
_writer_lock = threading.Lock()
_writer: threading.Thread | None = None


def _insert(db, entry: dict) -> None:
    """Write one entry chained to the one before: the read of the last hash and the insert are one
    write transaction, so two writers can never chain to the same entry."""
    with write_transaction(db):
        last = db.execute("select id, hash from audit_log order by id desc limit 1").fetchone()
        row = dict(entry, id=(last[0] + 1) if last else 1)
        prev = (last[1] or GENESIS) if last else GENESIS
        db.execute(
            "insert into audit_log (id, at, username, action, object_type, object_id, detail, client_address, "
            "prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row["id"], row["at"], row["username"], row["action"], row["object_type"], row["object_id"],
             row["detail"], row["client_address"], prev, entry_hash(prev, row)],
        )


def _start_writer() -> None:
    global _writer
    with _writer_lock:
        if _writer is None or not _writer.is_alive():
            _writer = threading.Thread(target=_write_deferred, name="rhi-desk-audit-writer", daemon=True)
            _writer.start()


def _write_deferred() -> None:
    """Add the entries that could not be written at once, in order, each as soon as the lock allows."""
    from rhi_desk.db import connect

    connections = {}
    while True:
        path, row = _deferred.get()
        try:
            while True:
                try:
                    db = connections.get(path) or connections.setdefault(path, connect(path, migrate=False))
                    _insert(db, row)
                    break
                except OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                    time.sleep(0.2)
        except Exception:  # never lose the writer thread; the failure is in the log
            import logging

            logging.getLogger("rhi_desk.audit").exception("An audit entry could not be written: %s", row)
        finally:
            _deferred.task_done()


def flush(timeout: float = 60) -> bool:
    """Wait until every deferred entry is written (at exit, and in tests); True if none is left."""
    deadline = time.monotonic() + timeout
    while _deferred.unfinished_tasks and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _deferred.unfinished_tasks


atexit.register(flush, 60)


@dataclass
class Verified:
    """What :func:`verify` found: how many entries it checked and the first broken link, if any."""

    checked: int
    head: str
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(db: sqlite_utils.Database) -> Verified:
    """Walk the chain from the first entry; report the first entry whose link or hash does not hold."""
    prev, checked = GENESIS, 0
    for row in db.query("select * from audit_log order by id"):
        if row["prev_hash"] != prev:
            return Verified(checked, prev, row["id"],
                            f"entry {row['id']} does not follow the entry before it: an entry before it was "
                            f"removed, inserted or changed")
        if row["hash"] != entry_hash(prev, row):
            return Verified(checked, prev, row["id"], f"entry {row['id']} was changed after it was written")
        prev, checked = row["hash"], checked + 1
    return Verified(checked, prev)


def entries(db: sqlite_utils.Database, *, object_type=None, object_id=None, limit: int = 200) -> list[dict]:
    """The newest audit entries, optionally for one record."""
    where, params = [], []
    if object_type:
        where.append("object_type = ?")
        params.append(object_type)
    if object_id is not None:
        where.append("object_id = ?")
        params.append(str(object_id))
    sql = "select * from audit_log"
    if where:
        sql += " where " + " and ".join(where)
    sql += " order by id desc limit ?"
    return list(db.query(sql, params + [limit]))
