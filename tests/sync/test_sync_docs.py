"""The documented format is the real one: the reader in docs/sync-format.md opens a file RHI Desk made."""
from __future__ import annotations

import re
from pathlib import Path

from sync_support import Pair, import_episodes, ok, run

from rhi_desk.db import connect
from rhi_desk.sync import fileformat, keys, records

DOC = Path(__file__).resolve().parents[2] / "docs" / "sync-format.md"


def test_the_documented_reader_opens_a_real_file(tmp_path):
    pair = Pair(tmp_path)
    import_episodes(pair.hub, tmp_path)
    ok(run(pair.hub, "assign", "--episode", "E-1001", "--to", "Safe Steps"))
    ok(run(pair.field, "sync", "receive", pair.pack()))
    ok(run(pair.field, "demo", "complete-assigned"))
    path = pair.ret()
    hub, field = connect(pair.hub), connect(pair.field)
    try:
        namespace = {"path": str(path), "sender_signing_public_key": keys.identity(field)["signing_public_key"],
                     "my_box_private_key": bytes(keys.box_key(hub))}
        ident = keys.identity(field)
        expected = records.local_record(field, field.execute("select rhi_id from return_home_interviews").fetchone()[0])
    finally:
        hub.conn.close()
        field.conn.close()
    code = re.search(r"## Reading a file in Python\n\n```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    exec(code, namespace)
    payload, manifest = namespace["payload"], namespace["manifest"]
    assert manifest["kind"] == "return" and manifest["sender"]["name"] == "Safe Steps"
    assert payload["records"] == [expected]
    assert fileformat.payload_problem(payload) is None
    # The digest rule as the document words it.
    import hashlib
    import json

    text = json.dumps(expected, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert hashlib.sha256(text).hexdigest() == records.record_digest(expected)
    # The fingerprint rule as the document words it.
    digest = hashlib.sha256(bytes.fromhex(ident["signing_public_key"]) + bytes.fromhex(ident["box_public_key"]))
    assert ident["fingerprint"].replace(" ", "") == digest.hexdigest()[:32].upper()


def test_the_documented_identity_signature_rule(tmp_path):
    import json

    from nacl.signing import VerifyKey

    from rhi_desk import installs

    db = connect(tmp_path / "x.db")
    try:
        installs.initialise(db, "field", "Croydon", "Safe Steps")
        ident = keys.identity(db)
    finally:
        db.conn.close()
    fields = {k: ident[k] for k in ("format", "format_version", "install_id", "name", "role", "la_name",
                                    "signing_public_key", "box_public_key")}
    message = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    VerifyKey(bytes.fromhex(ident["signing_public_key"])).verify(message, bytes.fromhex(ident["signature"]))
