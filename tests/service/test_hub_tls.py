"""The hub served to a team over HTTPS: a real cheroot server with a throw-away certificate, reached by
a real HTTP client (requests) that checks the certificate; Host refusal, cookie flags, HSTS; and the
refusals that keep a network address from ever serving plain HTTP."""
from __future__ import annotations

import concurrent.futures
import socket
import subprocess
import sys
import time

import pytest
import requests

from rhi_desk import audit, create_app
from rhi_desk.web import server as web_server
from tests.conftest import PASSWORD, add_user
from tests.hub_support import SERVER_NAME, csrf_token, hub_session, make_certificate, sign_in_over_http


@pytest.fixture
def certificate(tmp_path):
    return make_certificate(tmp_path)


@pytest.fixture
def tls_hub(hub_db, db_path, users, certificate):
    """The hub served over HTTPS on 127.0.0.1 as rhi.test; yields (base URL, certificate path)."""
    cert, key = certificate
    app = create_app({"DATABASE": str(db_path)})
    serve_plan = web_server.plan(host="127.0.0.1", port=web_server.free_port(), server_name=SERVER_NAME,
                                 tls_cert=str(cert), tls_key=str(key), install_role="hub")
    web_server.configure_app(app, serve_plan)
    server = web_server.start_network_server(app, serve_plan)
    yield f"https://127.0.0.1:{serve_plan.port}", cert
    server.stop()


def test_a_team_member_signs_in_over_https_with_the_certificate_checked(tls_hub):
    base, cert = tls_hub
    session = hub_session(cert)
    page = session.get(base + "/sign-in")
    assert page.status_code == 200 and "Sign in" in page.text
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    response = session.post(base + "/sign-in", data={"username": "missing_team", "password": PASSWORD,
                                                     "csrf_token": csrf_token(page.text)},
                            allow_redirects=False)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-rhi_desk_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    today = session.get(base + "/today")
    assert today.status_code == 200 and "Today" in today.text
    assert today.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_client_that_does_not_trust_the_certificate_is_not_served(tls_hub):
    base, _ = tls_hub
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(base + "/sign-in", timeout=10)  # the system's trust store: this certificate is unknown


def test_plain_http_to_the_tls_port_gets_nothing(tls_hub):
    base, _ = tls_hub
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(base.replace("https", "http") + "/sign-in", timeout=10)


@pytest.mark.parametrize("host", ["evil.example", "rhi.test.evil.example", "192.168.1.5"])
def test_only_the_server_name_and_loopback_are_answered(tls_hub, host):
    base, cert = tls_hub
    session = hub_session(cert, name=host)
    response = session.get(base + "/sign-in")
    assert response.status_code == 400
    assert f"Open RHI Desk at https://{SERVER_NAME}:" in response.text
    for allowed in (SERVER_NAME, "127.0.0.1", "localhost"):
        assert hub_session(cert, name=allowed).get(base + "/sign-in").status_code == 200


def test_the_audit_log_names_the_client_address(tls_hub, hub_db):
    base, cert = tls_hub
    before = audit.entries(hub_db, limit=1)[0]["id"]
    sign_in_over_http(hub_session(cert), base, "missing_team")
    entries = [e for e in audit.entries(hub_db) if e["id"] > before]
    assert "sign_in" in [e["action"] for e in entries]
    assert {e["client_address"] for e in entries} == {"127.0.0.1"}


def test_twenty_people_at_once_read_and_write_with_nothing_lost(tls_hub, hub_db):
    base, cert = tls_hub
    people = [f"worker{n:02}" for n in range(20)]
    for username in people:
        add_user(hub_db, username, "missing_team")
    rounds = 4

    def work(username):
        session = hub_session(cert)
        sign_in_over_http(session, base, username)
        statuses = []
        for n in range(rounds):
            statuses.append(session.get(base + "/today").status_code)
            form = session.get(base + "/children/new")
            child_id = f"C-{username}-{n}"
            saved = session.post(base + "/children/new", data={
                "child_id": child_id, "name": f"Child {username} {n}", "looked_after": "no", "other_la": "no",
                "csrf_token": csrf_token(form.text)})
            statuses.append(saved.status_code)
            assert saved.url.endswith(f"/children/{child_id}"), saved.url
            statuses.append(session.get(base + f"/children/{child_id}").status_code)
        return statuses

    with concurrent.futures.ThreadPoolExecutor(len(people)) as pool:
        results = list(pool.map(work, people))
    assert all(status == 200 for statuses in results for status in statuses)
    saved = {row[0] for row in hub_db.execute("select child_id from children")}
    expected = {f"C-{u}-{n}" for u in people for n in range(rounds)}
    assert expected <= saved
    created = {(r[0], r[1]) for r in hub_db.execute(
        "select username, object_id from audit_log where action = 'child.create'")}
    assert {(f"C-{u}-{n}" in {obj for user, obj in created if user == u}) for u in people
            for n in range(rounds)} == {True}  # every change in the audit log, under the person who made it


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::"])
def test_a_network_address_without_tls_is_refused_and_nothing_listens(cli, hub_db, host):
    result = cli("serve", "--host", host, "--port", "0", "--no-browser")
    assert result.exit_code != 0
    assert "will not serve children's records to the network unencrypted" in result.output


def test_the_refusal_from_the_real_command_leaves_no_port_open(hub_db, db_path):
    port = web_server.free_port()
    run = subprocess.run([sys.executable, "-m", "rhi_desk", "--db", str(db_path), "serve", "--host", "0.0.0.0",
                          "--port", str(port), "--no-browser"], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "not a loopback address" in run.stderr
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_other_unsafe_options_are_refused_with_a_sentence(cli, hub_db, certificate, field_db, tmp_path):
    cert, key = certificate
    for args, words in [
        (["--behind-proxy", "--host", "10.1.2.3", "--server-name", "rhi.test"], "listens on loopback only"),
        (["--behind-proxy"], "Give --server-name"),
        (["--tls-cert", str(cert)], "Give both --tls-cert and --tls-key"),
        (["--tls-cert", str(cert), "--tls-key", str(key), "--behind-proxy", "--server-name", "x"], "Choose one"),
        (["--host", "0.0.0.0", "--tls-cert", str(cert), "--tls-key", str(key)], "Give --server-name"),
        (["--tls-cert", str(cert), "--tls-key", str(cert), "--server-name", "rhi.test"], "could not be used"),
        (["--tls-cert", str(tmp_path / "nope.pem"), "--tls-key", str(key)], "does not exist"),
    ]:
        result = cli("serve", "--no-browser", "--port", "0", *args)
        assert result.exit_code != 0, args
        assert words in result.output, (args, result.output)
    result = cli("serve", "--tls-cert", str(cert), "--tls-key", str(key), "--server-name", "rhi.test",
                 db=tmp_path / "field.db")
    assert result.exit_code != 0 and "field install" in result.output


def test_the_done_when_command_serves_https_and_says_where(tmp_path, certificate):
    """`rhi-desk --db hub.db serve --host 127.0.0.1 --port N --server-name rhi.test --tls-cert c.pem
    --tls-key k.pem`, run as a real process."""
    cert, key = certificate
    db = tmp_path / "hub.db"
    for args in (["init", "--role", "hub", "--la", "Croydon", "--name", "Missing team"],
                 ["users", "add", "amir", "--role", "missing_team", "--password-stdin"]):
        subprocess.run([sys.executable, "-m", "rhi_desk", "--db", str(db), *args], input=PASSWORD + "\n",
                       check=True, capture_output=True, text=True, timeout=60)
    port = web_server.free_port()
    server = subprocess.Popen([sys.executable, "-m", "rhi_desk", "--db", str(db), "serve", "--host", "127.0.0.1",
                               "--port", str(port), "--server-name", SERVER_NAME, "--tls-cert", str(cert),
                               "--tls-key", str(key)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert f"https://{SERVER_NAME}:{port}/" in server.stdout.readline()
        base = f"https://127.0.0.1:{port}"
        session = hub_session(cert)
        deadline = time.time() + 90
        while True:
            try:
                session.get(base + "/sign-in", timeout=30)
                break
            except requests.exceptions.RequestException:  # not listening yet, or still starting on a busy machine
                assert time.time() < deadline
                time.sleep(0.2)
        sign_in_over_http(session, base, "amir")
        assert session.get(base + "/today").status_code == 200
        assert hub_session(cert, name="evil.example").get(base + "/today").status_code == 400
    finally:
        server.terminate()
        server.wait(timeout=30)
