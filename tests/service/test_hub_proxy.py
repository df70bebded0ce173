"""RHI Desk behind a real nginx (``--behind-proxy``) configured with the server block in
docs/hub-service.md: HTTPS at nginx, plain HTTP on loopback behind it, the forwarded headers of that proxy
believed and nothing else's."""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests

from rhi_desk import audit, create_app
from rhi_desk.web import server as web_server
from tests.hub_support import SERVER_NAME, hub_session, make_certificate, sign_in_over_http

DOC = Path(__file__).resolve().parents[2] / "docs" / "hub-service.md"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def documented_server_block() -> str:
    return re.search(r"```nginx\n(.*?)```", DOC.read_text(), re.S).group(1)


@pytest.fixture
def behind_nginx(hub_db, db_path, users, tmp_path):
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (build/install-test-deps.sh installs it)")
    cert, key = make_certificate(tmp_path)
    backend_port, public_port = web_server.free_port(), web_server.free_port()
    app = create_app({"DATABASE": str(db_path)})
    serve_plan = web_server.plan(host="127.0.0.1", port=backend_port, server_name=SERVER_NAME,
                                 behind_proxy=True, install_role="hub")
    web_server.configure_app(app, serve_plan)
    server = web_server.start_network_server(app, serve_plan)
    block = (documented_server_block()
             .replace("listen 443 ssl", f"listen 127.0.0.1:{public_port} ssl")
             .replace("rhi.council.local.pem", "CERT").replace("rhi.council.local.key", "KEY")
             .replace("/etc/rhi-desk/tls/CERT", str(cert)).replace("/etc/rhi-desk/tls/KEY", str(key))
             .replace("rhi.council.local", SERVER_NAME)
             .replace("127.0.0.1:8080", f"127.0.0.1:{backend_port}"))
    (tmp_path / "logs").mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/logs/error.log;
events {{}}
http {{
    access_log {tmp_path}/logs/access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    {block}
}}
""")
    nginx = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf)], stderr=subprocess.PIPE, text=True)
    base = f"https://127.0.0.1:{public_port}"
    deadline = time.time() + 30
    while True:
        try:
            hub_session(cert).get(base + "/sign-in", timeout=5)
            break
        except requests.exceptions.ConnectionError:
            assert nginx.poll() is None, nginx.stderr.read()
            assert time.time() < deadline, "nginx did not start"
            time.sleep(0.2)
    yield base, cert, backend_port
    nginx.terminate()
    nginx.wait(timeout=30)
    server.stop()


@pytest.mark.slow
def test_the_documented_nginx_block_serves_the_hub(behind_nginx, hub_db):
    base, cert, backend_port = behind_nginx
    session = hub_session(cert)
    page = session.get(base + "/sign-in")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    before = audit.entries(hub_db, limit=1)[0]["id"]
    # A browser's own X-Forwarded-For is not believed: nginx replaces it with the address it saw.
    session.headers["X-Forwarded-For"] = "203.0.113.9"
    response = sign_in_over_http(session, base, "missing_team")
    assert "__Host-rhi_desk_session" in session.cookies.keys()
    assert all(c.secure for c in session.cookies)
    assert session.get(base + "/today").status_code == 200
    addresses = {e["client_address"] for e in audit.entries(hub_db) if e["id"] > before}
    assert addresses == {"127.0.0.1"}, addresses
    assert response.url.startswith(base)
    # Another name through the proxy is refused by RHI Desk's Host check.
    assert hub_session(cert, name="evil.example").get(base + "/sign-in").status_code == 400
    # The backend itself speaks plain HTTP on loopback only.
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    assert f"127.0.0.1:{backend_port}" in listening and f"0.0.0.0:{backend_port}" not in listening


def test_forwarded_headers_from_anywhere_but_loopback_are_ignored(app, users):
    web_server.configure_app(app, web_server.plan(behind_proxy=True, server_name=SERVER_NAME))
    client = app.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9", "Host": SERVER_NAME}
    from_proxy = client.get("/sign-in", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert from_proxy.headers.get("Strict-Transport-Security")
    from_elsewhere = client.get("/sign-in", headers=headers, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert "Strict-Transport-Security" not in from_elsewhere.headers
