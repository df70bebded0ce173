"""A database this user encrypted with SQLCipher's default settings (HMAC-SHA512 pages, before RHI Desk
chose HMAC-SHA256 for speed) still opens: it is copied once to the current settings, every record kept."""
from __future__ import annotations

import pytest

from rhi_desk import db as database
from rhi_desk.db import DatabaseKeyRefused, connect
from rhi_desk.security import keystore

pytestmark = pytest.mark.skipif(not database.ENCRYPTED, reason="SQLCipher (sqlcipher3-binary) is not installed")


def _children(path):
    db = connect(path)
    try:
        return sorted(r["name"] for r in db.query("select name from children"))
    finally:
        db.conn.close()


def _opens_with_defaults(path, key) -> bool:
    conn = database.sqlite3.connect(str(path))
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        return database.opens(conn)
    finally:
        conn.close()


def test_a_database_with_sqlciphers_default_settings_is_moved_to_the_current_ones(demo_db_path, tmp_path,
                                                                                 monkeypatch):
    before = _children(demo_db_path)
    key = keystore.database_key(create=False)
    earlier = tmp_path / "earlier.db"
    source = connect(demo_db_path, migrate=False)
    try:
        source.conn.execute(f"ATTACH DATABASE ? AS earlier KEY \"x'{key.hex()}'\"", [str(earlier)])
        source.conn.execute("PRAGMA earlier.cipher_hmac_algorithm = HMAC_SHA512")  # SQLCipher 4's default
        source.conn.execute("SELECT sqlcipher_export('earlier')")
        version = source.conn.execute("PRAGMA user_version").fetchone()[0]
        source.conn.execute(f"PRAGMA earlier.user_version = {version}")
        source.conn.execute("DETACH DATABASE earlier")
    finally:
        source.conn.close()
    assert _opens_with_defaults(earlier, key)

    assert _children(earlier) == before and len(before) > 10
    assert not _opens_with_defaults(earlier, key)  # now on the current settings
    assert not earlier.with_name("earlier.db.reencrypting").exists()

    # Another account's file is still refused, whatever settings it was made with.
    monkeypatch.setenv("RHI_DESK_KEY_DIR", str(tmp_path / "someone-else"))
    keystore.database_key(create=True)
    with pytest.raises(DatabaseKeyRefused):
        connect(earlier)
