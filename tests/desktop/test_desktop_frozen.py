"""The frozen app (build/freeze.py): built, then run with the source tree and every Python out of reach.

Slow (a PyInstaller build takes a few minutes). Run by CI; locally:
    python3 -m pytest tests/desktop/test_desktop_frozen.py -m slow -q
"""
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
sys.path.insert(0, str(ROOT / "build"))
import freeze  # noqa: E402  (build/freeze.py)

pytestmark = pytest.mark.slow


def test_the_bundle_collects_the_same_files_on_linux_and_windows():
    linux, windows = freeze.plan("linux"), freeze.plan("win32")
    for key in ("data", "package_data", "submodules", "entry", "name"):
        assert linux[key] == windows[key], key
    assert windows["executable"] == "rhi-desk.exe" and linux["executable"] == "rhi-desk"
    assert "PyQt6" in windows["excludes"] and "webview.platforms.edgechromium" in windows["hidden_imports"]
    assert "webview.platforms.qt" in linux["hidden_imports"] and not windows["console"]
    for source, _ in linux["data"]:
        assert (ROOT / source).exists(), source
    for target in ("rhi_desk/templates", "rhi_desk/static", "rhi_desk"):
        assert target in [t for _, t in linux["data"]]


def test_the_windows_installer_recipe_names_files_that_exist():
    recipe = (ROOT / "build" / "rhi-desk.iss").read_text()
    sources = [line.split('"')[1] for line in recipe.splitlines() if line.startswith("Source:")]
    assert sources == [r"..\dist\rhi-desk\{#AppExe}", r"..\dist\rhi-desk\_internal\*"]
    assert '#define AppExe "rhi-desk.exe"' in recipe and freeze.plan("win32")["executable"] == "rhi-desk.exe"
    for switch in ("/VERYSILENT", "/ALLUSERS", "/CURRENTUSER", "PrivilegesRequiredOverridesAllowed"):
        assert switch in recipe
    assert "F3017226-FE2A-4295-8BDF-00C3A9A7E4C5" in recipe  # the WebView2 Runtime's id
    from rhi_desk.desktop import window

    assert window.WEBVIEW2_CLIENT.strip("{}") in recipe
    for line in recipe.splitlines():  # every other path the recipe names is in the repository
        if line.startswith(("LicenseFile=", "SetupIconFile=")):
            assert (ROOT / "build" / line.split("=", 1)[1].replace("\\", "/")).exists(), line


@pytest.fixture(scope="module")
def laptop(tmp_path_factory):
    """The bundle built by build/freeze.py, copied alone to a folder of its own (a laptop's Program Files)."""
    pytest.importorskip("PyInstaller", reason="pip install '.[package]'")
    work = tmp_path_factory.mktemp("freeze")
    built = subprocess.run([sys.executable, str(ROOT / "build" / "freeze.py"), "--dist", str(work / "dist")],
                           capture_output=True, text=True, timeout=1800, cwd=ROOT)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert not (ROOT / "build" / "rhi-desk").exists()  # PyInstaller's work folder stayed out of build/
    bundle = work / "laptop" / "rhi-desk"
    shutil.copytree(work / "dist" / "rhi-desk", bundle, symlinks=True)
    shutil.rmtree(work / "dist")
    assert (bundle / "_internal" / "rhi_desk" / "templates" / "base.html").exists()
    assert (bundle / "_internal" / "rhi_desk" / "sync-payload.schema.json").exists()
    assert not list(bundle.rglob("*.db"))  # no data in the bundle
    return bundle


def out_of_reach() -> list[str]:
    """The source tree and every Python installation on this machine."""
    places = {ROOT, Path(sys.prefix), Path(sys.base_prefix), Path("/usr/lib/python3"),
              Path(f"/usr/lib/python{sys.version_info.major}.{sys.version_info.minor}")}
    places = sorted(p for p in places if p.is_dir() and p != Path("/usr") and p != Path("/"))
    # A folder inside one already hidden (CI's virtual environment in the clone, .venv) vanishes with it: mounting
    # over it as well would fail, since its mount point no longer exists under the empty tmpfs.
    return [str(p) for i, p in enumerate(places) if not any(p.is_relative_to(q) for q in places[:i])]


def hidden(*command) -> list[str]:
    """``command`` in a private mount namespace where out_of_reach() folders are empty."""
    mounts = " && ".join(f"mount -t tmpfs none '{place}'" for place in out_of_reach())
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", f'{mounts} && exec "$0" "$@"', *command]


def env(home: Path, **extra) -> dict:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox",
            "RHI_DESK_LOG_DIR": str(home / "logs"), **extra}


@pytest.fixture(scope="module")
def can_hide():
    probe = subprocess.run(hidden("sh", "-c", f"test ! -e '{ROOT}/pyproject.toml' && ! python3 -c 1"),
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("needs unshare and mount (root) to put the source tree and Python out of reach: "
                    + probe.stderr[-300:])


def test_the_frozen_app_runs_its_commands_with_no_python_and_no_source_tree(laptop, can_hide, tmp_path):
    exe = str(laptop / "rhi-desk")

    def run(*args):
        return subprocess.run(hidden(exe, *args), capture_output=True, text=True, env=env(tmp_path), cwd=tmp_path,
                              timeout=120)

    assert run("--version").stdout.strip().startswith("RHI Desk ")
    demo = run("--db", "demo.db", "demo")
    assert demo.returncode == 0 and "demo-password" in demo.stdout, demo.stderr
    # A command of each area: a build that collected only some of rhi_desk loses the others silently.
    export = run("--db", "demo.db", "export-903", "--help")
    assert export.returncode == 0 and "Usage: rhi-desk export-903" in export.stdout, export.stderr
    status = run("--db", "demo.db", "sync", "status")
    assert status.returncode == 0 and "Safe Steps (demo)" in status.stdout, status.stderr
    check = run("--db", "demo.db", "check")
    assert check.returncode in (0, 1) and "Traceback" not in check.stderr


def test_the_frozen_window_is_one_per_database_survives_a_crash_and_shows_the_styled_sign_in(laptop, can_hide,
                                                                                           tmp_path):
    if not shutil.which("xvfb-run"):
        pytest.skip("needs xvfb")
    exe = str(laptop / "rhi-desk")
    db = tmp_path / "demo.db"
    subprocess.run(hidden(exe, "--db", str(db), "demo"), check=True, capture_output=True, env=env(tmp_path))
    first = subprocess.Popen(hidden("xvfb-run", "-a", exe, "--db", str(db)), env=env(tmp_path, RHI_DESK_WINDOW_SMOKE="120"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                             cwd=tmp_path)
    try:
        port = None
        for _ in range(300):
            assert first.poll() is None, first.communicate()
            try:
                port = json.loads(Path(str(db) + ".lock").read_text())["port"]
                break
            except (OSError, ValueError, KeyError):
                time.sleep(0.2)
        assert port, "the first frozen window never started"
        second = subprocess.run(hidden("xvfb-run", "-a", exe, "--db", str(db)), env=env(tmp_path), cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 0 and "RHI Desk is already open on this database" in second.stderr, second.stderr
        assert first.poll() is None
        assert "Sign in to RHI Desk" in urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in").read().decode()
        os.killpg(first.pid, signal.SIGKILL)  # a crash: the lock file stays behind
        first.wait(10)
        shot = tmp_path / "window.png"
        third = subprocess.run(hidden("xvfb-run", "-a", "-s", "-screen 0 1280x720x24", exe, "--db", str(db)),
                               env=env(tmp_path, RHI_DESK_WINDOW_SMOKE="2", RHI_DESK_WINDOW_SCREENSHOT=str(shot)),
                               cwd=tmp_path, capture_output=True, text=True, timeout=180)
        assert third.returncode == 0 and "WINDOW-LOADED" in third.stdout, third.stderr[-3000:]
        assert " /sign-in 200 " in third.stdout and "govuk-frontend.min.css 200" in third.stdout
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
    assert_styled_sign_in(shot)


def assert_styled_sign_in(png: Path) -> None:
    """The screenshot is not blank: the page's white, the header's black and the green Sign in button."""
    from PyQt6.QtGui import QImage

    image = QImage(str(png))
    assert not image.isNull() and image.width() == 1280
    colours = {image.pixel(x, y) & 0xFFFFFF for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)}
    assert len(colours) > 20, f"{len(colours)} colours: a blank window"
    green = [c for c in colours if (c >> 8 & 0xFF) > 100 and (c >> 16 & 0xFF) < 40 and (c & 0xFF) < 120]
    assert green, "no GOV.UK green button: the page is not styled"
