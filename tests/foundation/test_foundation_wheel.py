"""A plain (non-editable) ``pip install .`` gives a working rhi-desk with its templates and assets."""
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed_rhi_desk(tmp_path_factory) -> Path:
    """RHI Desk installed from a built wheel into a new venv (once for this module): its rhi-desk command."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    venv = tmp_path / "venv"
    # Reuse the dependencies the running interpreter already has (system-wide, or in the venv the suite runs
    # in: --system-site-packages would reach only the *base* interpreter's, which inside a venv lacks them);
    # install RHI Desk itself from a built wheel.
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    venv_site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                    capture_output=True, text=True, check=True).stdout.strip())
    (venv_site / "running-interpreter.pth").write_text("\n".join(_dependency_folders()) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps",
                    "--force-reinstall", str(ROOT)], check=True, cwd=tmp_path)
    where = subprocess.run([str(python), "-c", "import rhi_desk; print(rhi_desk.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout.strip()
    assert str(venv) in where, f"imported the source tree, not the wheel: {where}"
    package = Path(where).parent
    assert (package / "templates" / "base.html").exists()
    assert (package / "static" / "vendor" / "govuk-frontend-6.3.0" / "govuk-frontend.min.css").exists()
    return venv / "bin" / "rhi-desk"


def _dependency_folders() -> list[str]:
    """The running interpreter's site-packages folders (where the wheel's dependencies are installed)."""
    import site
    import sysconfig

    folders = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()]
    return list(dict.fromkeys(f for f in folders if Path(f).is_dir()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_installed_wheel_serves_a_styled_sign_in_page(installed_rhi_desk, tmp_path):
    rhi_desk = installed_rhi_desk
    db = tmp_path / "x.db"
    subprocess.run([str(rhi_desk), "--db", str(db), "init", "--role", "hub", "--la", "Croydon",
                    "--name", "Missing team"], check=True, cwd=tmp_path)
    subprocess.run([str(rhi_desk), "--db", str(db), "users", "add", "ann", "--role", "admin",
                    "--password-stdin"], input="a-long-password\n", text=True, check=True, cwd=tmp_path)
    port = _free_port()
    server = subprocess.Popen([str(rhi_desk), "--db", str(db), "serve", "--port", str(port), "--no-browser"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        first_line = server.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first_line
        base = f"http://127.0.0.1:{port}"
        page = ""
        for _ in range(50):
            try:
                page = urllib.request.urlopen(base + "/sign-in").read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert "Sign in to RHI Desk" in page
        assets = re.findall(r'(?:href|src)="(/(?:static|assets)/[^"]+)"', page)
        assert any(a.endswith("govuk-frontend.min.css") for a in assets)
        for asset in assets:
            assert urllib.request.urlopen(base + asset).status == 200, asset
        # Bound to the loopback address only.
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        local_addresses = {line.split()[3] for line in listening.splitlines() if line.strip()}
        assert local_addresses == {f"127.0.0.1:{port}"}, listening
    finally:
        server.terminate()
        server.wait(10)


@pytest.mark.slow
def test_readme_first_command_demo_then_serve_signs_in_to_a_working_today_list(installed_rhi_desk, tmp_path):
    """`pip install . && rhi-desk --db demo.db demo && rhi-desk --db demo.db serve`, as the README says."""
    rhi_desk = installed_rhi_desk
    demo = subprocess.run([str(rhi_desk), "--db", "demo.db", "demo"], capture_output=True, text=True, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "missing" in demo.stdout and "demo-password" in demo.stdout
    port = _free_port()
    server = subprocess.Popen([str(rhi_desk), "--db", "demo.db", "serve", "--port", str(port), "--no-browser"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert f"http://127.0.0.1:{port}/" in server.stdout.readline()
        base = f"http://127.0.0.1:{port}"
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        for _ in range(50):
            try:
                sign_in = browser.open(base + "/sign-in").read().decode()
                break
            except OSError:
                time.sleep(0.2)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', sign_in).group(1)
        form = urllib.parse.urlencode({"csrf_token": token, "username": "missing",
                                       "password": "demo-password"}).encode()
        today = browser.open(base + "/sign-in", data=form).read().decode()
        assert "Missing now (" in today and "Offers overdue (" in today, today[:500]
    finally:
        server.terminate()
        server.wait(10)
