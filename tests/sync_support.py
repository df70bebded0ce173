"""Helpers for the sync tests: hub and field installs on disk, episodes, and a dump of every table."""
from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from click.testing import CliRunner

from rhi_desk.db import connect

EPISODES = [
    # episode_id, child_id, name, date_of_birth, start, end, placement, risk notes
    ("E-1001", "C-1", "Amira Khan", "2010-03-04", "2026-11-20 21:00", "2026-11-22 09:30", "out_of_borough",
     "Known to be exploited by an older male"),
    ("E-1002", "C-2", "Ben Doyle", "2009-07-15", "2026-11-21 18:00", "2026-11-23 10:00", "out_of_borough",
     "Carries a knife"),
    ("E-1003", "C-3", "Chloe Evans", "2011-01-30", "2026-11-19 16:00", "2026-11-20 08:00", "in_borough", None),
]


def run(db_path, *args, input=None):
    """Run ``rhi-desk --db db_path ARGS`` in-process; returns click's Result."""
    from rhi_desk.cli import cli

    return CliRunner().invoke(cli, ["--db", str(db_path), *map(str, args)], input=input,
                              env={"RHI_DESK_DB": str(db_path)}, catch_exceptions=False)


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def write_register(path: Path, rows=EPISODES) -> Path:
    """An episode register CSV (the DOMAIN.md format) for ``rows``."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["episode_id", "child_id", "date_of_birth", "episode_type", "start", "end", "looked_after",
                         "other_la", "placement", "rhi_offered_on", "rhi_outcome", "rhi_completed_on", "rhi_by"])
        for ep, child, _name, dob, start, end, placement, _risk in rows:
            writer.writerow([ep, child, dob, "missing", start, end, "Y", "N", placement, "", "", "", ""])
    return path


def import_episodes(hub_path: Path, tmp_path: Path, rows=EPISODES, *, via_command: bool = False) -> str:
    """Load ``rows`` into the hub: directly, or (``via_command``) through ``rhi-desk import-episodes``."""
    from rhi_desk.cli import cli

    if via_command and "import-episodes" in cli.commands:
        result = run(hub_path, "import-episodes", write_register(tmp_path / "register.csv", rows))
        assert result.exit_code == 0, result.output
        how = "command"
    else:
        how = "sql"
    db = connect(hub_path)
    try:
        for ep, child, name, dob, start, end, placement, risk in rows:
            if how == "sql":
                insert_episode(db, ep, child, name, dob, start, end, placement, risk)
            else:
                db.execute("update children set name = ?, risk_notes = ? where child_id = ?", [name, risk, child])
    finally:
        db.conn.close()
    return how


def insert_episode(db, episode_id, child_id, name, dob, start, end, placement, risk=None):
    """Insert a child (if new) and an episode straight into the tables."""
    stamp = "2026-11-24 09:00:00"
    db.execute("insert or ignore into children (child_id, name, date_of_birth, looked_after, placement, risk_notes, "
               "created_at, updated_at) values (?, ?, ?, 1, ?, ?, ?, ?)",
               [child_id, name, dob, placement, risk, stamp, stamp])
    child = db.execute("select id from children where child_id = ?", [child_id]).fetchone()[0]
    db.execute('insert into episodes (episode_id, child, episode_type, start, "end", looked_after, placement, '
               "police_risk, created_at, updated_at) values (?, ?, 'missing', ?, ?, 1, ?, 'medium', ?, ?)",
               [episode_id, child, start, end, placement, stamp, stamp])


def dump(db_path: Path) -> str:
    """Every row of every table except audit_log, as text (to show nothing changed)."""
    db = connect(db_path, migrate=False)
    try:
        lines = []
        for (name,) in db.execute("select name from sqlite_master where type = 'table' order by name").fetchall():
            if name == "audit_log" or name.startswith("sqlite_"):
                continue
            for row in db.execute(f'select * from "{name}" order by 1').fetchall():
                lines.append(f"{name}: {row!r}")
        return "\n".join(lines)
    finally:
        db.conn.close()


def audit_actions(db_path: Path) -> list[str]:
    db = connect(db_path, migrate=False)
    try:
        return [r[0] for r in db.execute("select action from audit_log order by id").fetchall()]
    finally:
        db.conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class Pair:
    """A hub and one field install ('Safe Steps'), enrolled both ways, as files in ``tmp``."""

    def __init__(self, tmp: Path, field_name: str = "Safe Steps"):
        self.tmp = tmp
        self.hub = tmp / "hub.db"
        self.field = tmp / f"{field_name.lower().replace(' ', '-')}.db"
        self.field_name = field_name
        self.outbox = tmp / "outbox"
        ok(run(self.hub, "init", "--role", "hub", "--la", "Croydon", "--name", "Missing team"))
        ok(run(self.field, "init", "--role", "field", "--la", "Croydon", "--name", field_name))
        ok(run(self.hub, "identity", "export", "--out", tmp / "hub.identity.json"))
        ok(run(self.field, "identity", "export", "--out", tmp / "field.identity.json"))
        ok(run(self.hub, "enrol", "--yes", tmp / "field.identity.json"))
        ok(run(self.field, "enrol", "--yes", tmp / "hub.identity.json"))

    def send(self, db_path, to) -> Path:
        result = ok(run(db_path, "sync", "send", "--to", to, "--out", self.outbox))
        return Path(result.stdout.strip().splitlines()[0])

    def pack(self) -> Path:
        return self.send(self.hub, self.field_name)

    def ret(self) -> Path:
        return self.send(self.field, "Missing team")


def forge(sender_path: Path, recipient_path: Path, out: Path, *, payload: dict | None = None,
          sequence: int = 1, **manifest_changes) -> Path:
    """Make a correctly signed and encrypted file by hand (to test what a sender's RHI Desk would not make)."""
    from rhi_desk.sync import fileformat, keys

    sender_db, recipient_db = connect(sender_path), connect(recipient_path)
    try:
        me, them = keys.identity(sender_db), keys.identity(recipient_db)
        body = payload if payload is not None else {"kind": "return", "records": []}
        body = dict(body, sender=me["install_id"], recipient=them["install_id"], sequence=sequence)
        manifest = {"format": fileformat.FORMAT_NAME, "format_version": fileformat.FORMAT_VERSION, "kind": body["kind"],
                    "sender": {"install_id": me["install_id"], "name": me["name"]},
                    "recipient": {"install_id": them["install_id"], "name": them["name"]},
                    "sequence": sequence, "created_at": "2026-11-25 10:00:00", "counts": fileformat.payload_counts(body)}
        manifest.update(manifest_changes)
        data = fileformat.pack_file(manifest, body, keys.signing_key(sender_db), them["box_public_key"])
    finally:
        sender_db.conn.close()
        recipient_db.conn.close()
    out.write_bytes(data)
    return out
