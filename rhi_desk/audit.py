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

from contextvars import ContextVar
from dataclasses import dataclass

import sqlite_utils

from rhi_desk.clock import now_iso
from rhi_desk.db import write_transaction
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
    """Append one entry (``action`` like ``child.view`` or ``sign_in.failed``), chained to the one before."""
    with write_transaction(db):
        last = db.execute("select id, hash from audit_log order by id desc limit 1").fetchone()
        row = {"id": (last[0] + 1) if last else 1, "at": now_iso(), "username": username, "action": action,
               "object_type": object_type, "object_id": None if object_id is None else str(object_id),
               "detail": shape(detail), "client_address": _client_address.get()}
        prev = (last[1] or GENESIS) if last else GENESIS
        db.execute(
            "insert into audit_log (id, at, username, action, object_type, object_id, detail, client_address, "
            "prev_hash, hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row["id"], row["at"], username, action, object_type, row["object_id"], row["detail"],
             row["client_address"], prev, entry_hash(prev, row)],
        )


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
