"""An import killed part-way (the laptop dies, the app is force-closed) leaves the register exactly as it was.

`rhi-desk import-episodes` runs in its own process on a real file; it is killed with SIGKILL while it
is writing, at an early and a late point. The database must then pass SQLite's integrity check, hold
exactly what it held before, and take the same file again in full.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from records_helpers import row, table_counts, write_register

from rhi_desk.db import connect

pytestmark = pytest.mark.slow
ROWS = 150_000


def big_register(path: Path) -> Path:
    """A valid register: 150,000 episodes of 15,000 children over ten years, most with an RHI."""
    start = datetime(2012, 4, 1, 9, 0)
    rows = []
    for n in range(ROWS):
        begins = start + timedelta(hours=n // 15_000 * 240 + n % 97)
        rows.append(row(f"K{n:07d}", f"KC{n % 15_000:05d}", date_of_birth="2004-06-01",
                        start=begins.strftime("%Y-%m-%d %H:%M"),
                        end=(begins + timedelta(hours=5)).strftime("%Y-%m-%d %H:%M"),
                        rhi_offered_on=(begins + timedelta(days=1)).strftime("%Y-%m-%d") if n % 3 else "",
                        rhi_by="missing_team" if n % 3 else ""))
    return write_register(path, rows)


def rhi_desk(db: Path, *args) -> list[str]:
    """The rhi-desk command, run by this Python (so it imports this checkout)."""
    return [sys.executable, "-c", "from rhi_desk.cli import main; main()", "--db", str(db), *map(str, args)]


@pytest.mark.parametrize("kill_after_wal_mb", [1, 25])
def test_an_import_killed_while_writing_changes_nothing(tmp_path, kill_after_wal_mb):
    db_path = tmp_path / "hub.db"
    subprocess.run(rhi_desk(db_path, "init", "--role", "hub", "--la", "Croydon", "--name", "Missing team"),
                   check=True, capture_output=True)
    first = write_register(tmp_path / "first.csv", [row("E1", "C1"), row("E2", "C2", start="2017-06-01 10:00")])
    subprocess.run(rhi_desk(db_path, "import-episodes", first), check=True, capture_output=True)
    db = connect(db_path)
    before = table_counts(db)
    db.conn.close()
    big = big_register(tmp_path / "big.csv")

    importing = subprocess.Popen(rhi_desk(db_path, "import-episodes", big), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
    wal = Path(str(db_path) + "-wal")
    deadline = time.monotonic() + 120
    while importing.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > kill_after_wal_mb * 1_000_000:
            os.kill(importing.pid, signal.SIGKILL)
            break
        time.sleep(0.01)
    importing.wait(30)
    assert importing.returncode == -signal.SIGKILL, "the import finished before it could be killed"

    check = connect(db_path, migrate=False)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    check.conn.close()
    db = connect(db_path)
    assert table_counts(db) == before, "a killed import must leave nothing behind"
    db.conn.close()

    again = subprocess.run(rhi_desk(db_path, "import-episodes", big), capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    db = connect(db_path)
    assert db.execute("select count(*) from episodes").fetchone()[0] == before["episodes"] + ROWS
    db.conn.close()
