"""Every way a file can be wrong is refused in its own plain words, and nothing but the audit log changes."""
from __future__ import annotations

import pytest
from sync_support import Pair, audit_actions, dump, forge, import_episodes, ok, run

from rhi_desk.db import connect


@pytest.fixture
def pair(tmp_path):
    """A hub and Safe Steps, with two interviews assigned, packed, received and completed at the field."""
    pair = Pair(tmp_path)
    import_episodes(pair.hub, tmp_path)
    ok(run(pair.hub, "assign", "--episode", "E-1001", "--to", "Safe Steps"))
    ok(run(pair.field, "sync", "receive", pair.pack()))
    ok(run(pair.field, "demo", "complete-assigned"))
    return pair


def copy_database(source, target):
    """Copy a database with SQLite's backup API (as a backup tool would)."""
    src, dst = connect(source), connect(target, migrate=False)
    try:
        src.conn.backup(dst.conn)
    finally:
        src.conn.close()
        dst.conn.close()


def refused(db_path, file, expected: str):
    """Import ``file``; assert it is refused with ``expected`` and only an audit entry was written."""
    before_dump, before_audit = dump(db_path), audit_actions(db_path)
    result = run(db_path, "sync", "receive", file)
    assert result.exit_code != 0, result.output
    assert "Refused:" in result.output and expected in result.output, result.output
    assert "Traceback" not in result.output
    assert dump(db_path) == before_dump, "nothing but the audit log may change"
    assert audit_actions(db_path) == before_audit + ["sync.refused"]
    return result.output


def test_a_flipped_byte_anywhere_is_refused_and_changes_nothing(pair, tmp_path):
    good = pair.ret()
    data = good.read_bytes()
    manifest_end = 12 + int.from_bytes(data[8:12], "big")
    messages = set()
    for where in (manifest_end + 20, manifest_end + 100, len(data) // 2, len(data) - 70, len(data) - 1):
        bad = tmp_path / f"flipped-{where}.rhisync"
        flipped = bytearray(data)
        flipped[where] ^= 0x01
        bad.write_bytes(bytes(flipped))
        messages.add(refused(pair.hub, bad, "has been changed since Safe Steps made it"))
    # A flip inside the manifest's text: still refused, and still nothing changes.
    at = data.index(b'"created_at":"') + 16
    flipped = bytearray(data)
    flipped[at] ^= 0x01
    (tmp_path / "flipped-manifest.rhisync").write_bytes(bytes(flipped))
    refused(pair.hub, tmp_path / "flipped-manifest.rhisync", "has been changed since Safe Steps made it")
    # The untouched file still imports afterwards.
    assert "Imported file 1" in ok(run(pair.hub, "sync", "receive", good)).output


def test_truncated_appended_and_foreign_files_each_have_their_own_message(pair, tmp_path):
    good = pair.ret()
    data = good.read_bytes()
    (tmp_path / "short.rhisync").write_bytes(data[:-100])
    (tmp_path / "long.rhisync").write_bytes(data + b"\x00extra")
    (tmp_path / "notes.rhisync").write_bytes(b"Meeting notes: nothing to see here\n")
    (tmp_path / "empty.rhisync").write_bytes(b"")
    messages = {
        refused(pair.hub, tmp_path / "short.rhisync", "ends too early"),
        refused(pair.hub, tmp_path / "long.rhisync", "extra data after its end"),
        refused(pair.hub, tmp_path / "notes.rhisync", "not an RHI Desk sync file"),
        refused(pair.hub, tmp_path / "empty.rhisync", "The file is empty"),
    }
    assert len(messages) == 4


def test_a_file_for_another_install_is_refused(pair, tmp_path):
    north = tmp_path / "north.db"
    ok(run(north, "init", "--role", "field", "--la", "Croydon", "--name", "North laptop"))
    ok(run(north, "identity", "export", "--out", tmp_path / "north.identity.json"))
    ok(run(pair.hub, "enrol", "--yes", tmp_path / "north.identity.json"))
    ok(run(north, "enrol", "--yes", tmp_path / "hub.identity.json"))
    ok(run(pair.hub, "assign", "--episode", "E-1002", "--to", "Safe Steps"))
    pack_for_safe_steps = pair.pack()
    refused(north, pack_for_safe_steps, "not for this install: it was made for Safe Steps")
    # Editing the recipient inside the file to North's id breaks the hub's signature.
    ids = {}
    for name, path in (("safe", pair.field), ("north", north)):
        ids[name] = dump(path).split("install: (1, '")[1].split("'")[0].encode()
    data = pack_for_safe_steps.read_bytes()
    swapped = data.replace(ids["safe"], ids["north"])
    assert swapped != data
    (tmp_path / "swapped.rhisync").write_bytes(swapped)
    refused(north, tmp_path / "swapped.rhisync", "has been changed since Missing team made it")
    # Safe Steps itself takes the untouched file.
    ok(run(pair.field, "sync", "receive", pack_for_safe_steps))


def test_a_replayed_old_file_with_a_used_number_is_refused(pair, tmp_path):
    backup = tmp_path / "field-backup.db"
    copy_database(pair.field, backup)
    first = pair.ret()
    ok(run(pair.hub, "sync", "receive", first))
    # The laptop is restored from a backup taken before file 1 was sent: it makes "file 1" again.
    copy_database(backup, pair.field)
    first.rename(tmp_path / "first.rhisync")
    again = pair.ret()
    assert "-000001-" in again.name
    refused(pair.hub, again, "File 1 from Safe Steps was already imported, and this is a different file")
    # The very same file twice is not a refusal: it says so and changes nothing.
    before = dump(pair.hub)
    result = ok(run(pair.hub, "sync", "receive", tmp_path / "first.rhisync"))
    assert "already imported" in result.output and dump(pair.hub) == before


def test_files_from_unknown_and_revoked_installs_are_refused(pair, tmp_path):
    rogue = tmp_path / "rogue.db"
    ok(run(rogue, "init", "--role", "field", "--la", "Croydon", "--name", "Rogue laptop"))
    forged = forge(rogue, pair.hub, tmp_path / "rogue.rhisync")
    refused(pair.hub, forged, "not enrolled here (Rogue laptop)")

    good = pair.ret()
    ok(run(pair.hub, "revoke", "Safe Steps"))
    refused(pair.hub, good, "from Safe Steps, which was revoked on")
    again = run(pair.hub, "enrol", tmp_path / "field.identity.json")
    assert again.exit_code != 0 and "revoked" in again.output


def test_a_file_in_a_newer_format_is_refused(pair, tmp_path):
    newer = forge(pair.field, pair.hub, tmp_path / "newer.rhisync", format_version=4)
    refused(pair.hub, newer, "newer version of RHI Desk")


def test_a_signed_file_whose_contents_break_the_schema_is_refused(pair, tmp_path):
    bad = forge(pair.field, pair.hub, tmp_path / "bad.rhisync",
                payload={"kind": "return", "records": [{"rhi_id": "x", "revision": 0}]})
    refused(pair.hub, bad, "not in the form this version of RHI Desk expects")
    mislabelled = forge(pair.field, pair.hub, tmp_path / "mislabelled.rhisync", counts={"records": 5})
    refused(pair.hub, mislabelled, "counts do not match")


def test_each_refusal_has_distinct_words():
    from rhi_desk.sync import fileformat

    assert len(set(fileformat.REFUSALS.values())) == len(fileformat.REFUSALS)
