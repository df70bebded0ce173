"""The real window under Xvfb, driven as a person would: Save as, printing, closing, one copy per database."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.window,
              pytest.mark.skipif(not shutil.which("xvfb-run"), reason="needs xvfb (apt-get install xvfb)")]


@pytest.fixture
def demo_db(tmp_path):
    db = tmp_path / "demo.db"
    subprocess.run([sys.executable, "-m", "rhi_desk", "--db", str(db), "demo"], check=True, cwd=ROOT,
                   capture_output=True, env=dict(os.environ, RHI_DESK_LOG_DIR=str(tmp_path / "logs")))
    return db


def window_env(tmp_path, **extra):
    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    return dict(os.environ, HOME=str(tmp_path), TMPDIR=str(temp), QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox",
                RHI_DESK_LOG_DIR=str(tmp_path / "logs"), RHI_DESK_CONFIG_DIR=str(tmp_path / "config"),
                PYTHONPATH=str(ROOT), **extra)


def xvfb(*command, screen="1280x720x24"):
    return ["xvfb-run", "-a", "-s", f"-screen 0 {screen}", *command]


def test_downloads_are_saved_where_save_as_says_and_printing_writes_pdfs(demo_db, tmp_path):
    out = tmp_path / "chosen"
    out.mkdir()
    stale = tmp_path / "tmp" / "rhi-desk-uploads" / "99999-crashed"
    stale.mkdir(parents=True)
    (stale / "left-behind.csv").write_text("child_id\nC1\n")
    result = subprocess.run(xvfb(sys.executable, "-m", "tests.desktop.window_driver", str(demo_db), str(out)),
                            env=window_env(tmp_path), capture_output=True, text=True, timeout=300, cwd=ROOT)
    lines = result.stdout.splitlines()
    assert result.returncode == 0 and "WINDOW-DRIVER-FAILED" not in result.stdout, result.stdout + result.stderr[-3000:]
    offered = [line.split(": ", 1)[1] for line in lines if line.startswith("OFFERED: ")]
    # The server's own file names are offered, not the address's last part (kpi.csv, send).
    assert offered[0].startswith("rhi-kpis-") and offered[0].endswith(".csv"), offered
    assert offered[1].startswith("missing-team-demo-to-safe-steps-demo-") and offered[1].endswith(".rhisync")
    # ...and each file lands where the dialog chose, under the name typed there.
    kpi = (out / "chosen kpi.csv").read_text()
    assert kpi.splitlines()[0].startswith("month,") or "month" in kpi.splitlines()[0].lower(), kpi[:200]
    assert (out / "for-safe-steps.rhisync").stat().st_size > 500
    # The app kept running after each save: it went on to print, twice (button, then Ctrl+P).
    for pdf in ("monthly.pdf", "high-risk.pdf"):
        assert (out / pdf).read_bytes()[:5] == b"%PDF-", pdf
    assert [line for line in lines if line.startswith("PRINTED: ")] == [
        f"PRINTED: {out / 'monthly.pdf'}", f"PRINTED: {out / 'high-risk.pdf'}"]
    # Closing: the lock released, the write-ahead log checkpointed, the crashed copy's upload removed.
    assert not Path(str(demo_db) + "-wal").exists() or Path(str(demo_db) + "-wal").stat().st_size == 0
    assert not Path(str(demo_db) + ".lock").exists()
    assert not stale.exists()
    assert list((tmp_path / "tmp" / "rhi-desk-uploads").iterdir()) == []
    # The size that fitted the 1280x720 screen is remembered.
    remembered = json.loads((tmp_path / "config" / "window.json").read_text())
    assert remembered["width"] <= 1280 and remembered["height"] <= 720, remembered


def test_closing_during_an_import_asks_first_and_leaves_no_upload(demo_db, tmp_path):
    result = subprocess.run(xvfb(sys.executable, "-m", "tests.desktop.window_driver", str(demo_db),
                                 str(tmp_path), "closing"),
                            env=window_env(tmp_path), capture_output=True, text=True, timeout=200, cwd=ROOT)
    out = result.stdout
    assert result.returncode == 0 and "WINDOW-DRIVER-FAILED" not in out, out + result.stderr[-3000:]
    assert "ASKED: RHI Desk is busy with an episode import." in out
    assert "STILL-OPEN: /sign-in" in out and "CLOSED" in out
    upload = Path(next(line for line in out.splitlines() if line.startswith("UPLOAD: ")).split(": ", 1)[1])
    assert not upload.exists() and not upload.parent.exists()


def _launch(db, tmp_path, smoke):
    return subprocess.Popen(xvfb(sys.executable, "-m", "rhi_desk", "--db", str(db)),
                            env=window_env(tmp_path, RHI_DESK_WINDOW_SMOKE=str(smoke)), cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _wait_for_port(db, first, timeout=60):
    lock = Path(str(db) + ".lock")
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        assert first.poll() is None, first.communicate()
        try:
            return json.loads(lock.read_text())["port"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.2)
    raise AssertionError("the first window never started")


def test_a_second_launch_says_it_is_already_open_and_a_crashed_copy_never_blocks(demo_db, tmp_path):
    first = _launch(demo_db, tmp_path, smoke=120)
    try:
        port = _wait_for_port(demo_db, first)
        second = subprocess.run(xvfb(sys.executable, "-m", "rhi_desk", "--db", str(demo_db)),
                                env=window_env(tmp_path), capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert second.returncode == 0
        assert "RHI Desk is already open on this database" in second.stderr, second.stderr
        assert "Traceback" not in second.stderr
        # The first keeps working.
        assert first.poll() is None
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=10).read().decode()
        assert "Sign in to RHI Desk" in page
        # It crashes (killed outright): its lock file stays behind, its lock does not.
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
        assert Path(str(demo_db) + ".lock").exists()
        third = subprocess.run(xvfb(sys.executable, "-m", "rhi_desk", "--db", str(demo_db)),
                               env=window_env(tmp_path, RHI_DESK_WINDOW_SMOKE="1"), capture_output=True, text=True,
                               timeout=120, cwd=tmp_path)
        assert third.returncode == 0, third.stderr[-2000:]
        assert "WINDOW-LOADED" in third.stdout and "already open" not in third.stderr
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
