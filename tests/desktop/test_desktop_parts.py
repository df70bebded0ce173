"""The desktop app's parts that need no window: one copy per database, the screen fit, uploads, the log."""
import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from rhi_desk.desktop import geometry, instance, qt_libraries
from rhi_desk.web import activity, locks, logs, uploads

ROOT = Path(__file__).resolve().parents[2]


def test_a_database_is_claimed_once_and_freed_when_its_holder_dies(tmp_path):
    db = tmp_path / "hub.db"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from rhi_desk.desktop import instance
        claim = instance.claim({str(db)!r})
        claim.announce(4242)
        print("HELD", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert holder.stdout.readline().strip() == "HELD"
        assert instance.claim(db) is None
        assert '"port": 4242' in locks.read_lock(instance.lock_path(db))
        holder.send_signal(signal.SIGKILL)  # a crash: the lock file stays, the lock goes with the process
        holder.wait(10)
        assert instance.lock_path(db).exists()
        claim = instance.claim(db)
        assert claim is not None
        claim.release()
        assert not instance.lock_path(db).exists()
    finally:
        if holder.poll() is None:
            holder.kill()


def test_the_message_for_a_second_copy_is_a_sentence_naming_the_database(tmp_path):
    message = instance.already_open_message(tmp_path / "hub.db")
    assert message.startswith("RHI Desk is already open on this database (") and str(tmp_path) in message


def test_the_first_window_fits_small_laptop_screens_and_the_last_place_is_remembered(tmp_path, monkeypatch):
    monkeypatch.setenv("RHI_DESK_CONFIG_DIR", str(tmp_path))
    for screen in ((1280, 720), (1366, 768), (1920, 1080), (1024, 600)):
        width, height = geometry.first_size(*screen)
        assert width <= screen[0] and height <= screen[1] - 40 or (width, height) == geometry.MINIMUM
    place = geometry.initial([(0, 0, 1280, 720)])
    assert place["x"] >= 0 and place["x"] + place["width"] <= 1280 and place["y"] + place["height"] <= 720
    geometry.save(1000, 640, 100, 50)
    assert geometry.initial([(0, 0, 1920, 1080)]) == {"width": 1000, "height": 640, "x": 100, "y": 50}
    # Remembered on a screen that has gone (a docking station's monitor): fitted again, not off screen.
    geometry.save(1000, 640, 2500, 50)
    assert geometry.initial([(0, 0, 1280, 720)])["x"] < 1280


def test_uploads_of_a_copy_that_is_gone_are_removed_at_start_up_and_a_running_copys_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    other = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import time
        from rhi_desk.web import uploads
        (uploads.process_folder() / "theirs.csv").write_text("x")
        print("READY", flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmp_path)))
    try:
        assert other.stdout.readline().strip() == "READY"
        crashed = uploads.root() / "12345-gone"
        crashed.mkdir()
        (crashed / "children.csv").write_text("child_id,date_of_birth\n")
        (uploads.root() / "loose-from-an-old-version.csv").write_text("x")
        mine = uploads.process_folder()
        (mine / "mine.csv").write_text("x")
        assert uploads.clean_stale() == 2
        assert not crashed.exists()
        assert [p.name for p in uploads.root().rglob("*.csv")] != [] and (mine / "mine.csv").exists()
        assert len(list(uploads.root().rglob("theirs.csv"))) == 1
        uploads.remove_own()
        assert not mine.exists()
    finally:
        other.kill()
        other.wait(10)


def test_missing_qt_libraries_are_named_with_the_package_to_install():
    assert qt_libraries.missing({"libc.so.6": "libc6", "libno-such-library.so.9": "no-such-package"}) == [
        "no-such-package"]
    sentence = qt_libraries.message(["libxcb-cursor0", "libnss3"])
    assert "sudo apt-get install libxcb-cursor0 libnss3" in sentence and "rhi-desk serve" in sentence


def test_what_is_running_in_the_background_is_known_while_it_runs():
    assert activity.running() == []
    with activity.busy("an episode import"):
        with activity.busy("a check of the inbox folder"):
            assert activity.running() == ["a check of the inbox folder", "an episode import"]
    assert activity.running() == []


def test_the_log_is_a_rotating_file_in_the_log_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("RHI_DESK_LOG_DIR", str(tmp_path / "logs"))
    path = logs.configure()
    assert path == tmp_path / "logs" / "rhi-desk.log" and logs.configure() == path  # once only
    root = logging.getLogger()
    [handler] = [h for h in root.handlers if getattr(h, "baseFilename", "") == str(path)]
    try:
        logging.getLogger("rhi_desk.test").warning("written down")
        handler.flush()
        assert "written down" in path.read_text()
        assert handler.maxBytes == logs.MAX_BYTES and handler.backupCount == logs.BACKUPS
    finally:
        root.removeHandler(handler)
        handler.close()


def test_version_is_printed():
    from rhi_desk import __version__
    from rhi_desk.cli import cli

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"RHI Desk {__version__}"


def test_a_build_without_a_console_closes_cleanly_and_says_failures_in_the_log(tmp_path):
    """A windowed Windows build has no sys.stdout or sys.stderr: commands still work, exit 0, no traceback."""
    script = textwrap.dedent("""
        import sys
        sys.stdout = None
        sys.stderr = None
        sys.argv = ["rhi-desk", "--db", sys.argv[1], "demo"]
        from rhi_desk.cli import main
        main()
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT), RHI_DESK_LOG_DIR=str(tmp_path / "logs"))
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "x.db")], capture_output=True, text=True,
                          env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr
