"""What a council's IT security officer checks first: sign-in everywhere, roles, CSRF, Host, headers."""
import time

import pytest
import time_machine

from rhi_desk import create_app
from rhi_desk.accounts import LOCK_AFTER, SLOW_DOWN_AFTER
from tests.conftest import PASSWORD, sign_in

PUBLIC = {"auth.sign_in", "auth.setup", "static", "govuk_assets"}


def parameterless_get_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments:
            yield rule


def test_every_page_refuses_an_anonymous_user(app, users):
    client = app.test_client()
    checked = 0
    for rule in parameterless_get_routes(app):
        if rule.endpoint in PUBLIC:
            continue
        response = client.get(rule.rule)
        assert response.status_code in (302, 401, 403), f"{rule.rule} answered {response.status_code}"
        if response.status_code == 302:
            assert "/sign-in" in response.location, f"{rule.rule} redirected to {response.location}"
        checked += 1
    assert checked >= 3


def test_routes_with_arguments_refuse_an_anonymous_user_too(app, users):
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or not rule.arguments:
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", "x").replace(f"<int:{argument}>", "1").replace(
                f"<path:{argument}>", "x")
            url = __import__("re").sub(r"<[^>]+>", "1", url)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        assert response.status_code in (302, 401, 403, 404, 405), f"{method} {url}: {response.status_code}"
        assert b"Traceback" not in response.data


def test_admin_pages_are_for_admins_only(signed_in):
    for role in ("missing_team", "manager", "practitioner", "provider"):
        client = signed_in(role)
        assert client.get("/admin/users").status_code == 403, role
    assert signed_in("admin").get("/admin/users").status_code == 200


def test_refused_access_is_audited(signed_in, hub_db):
    signed_in("provider").get("/admin/users")
    actions = [r[0] for r in hub_db.execute("select action from audit_log where username = 'provider'")]
    assert "access.refused" in actions


def test_post_without_csrf_token_is_refused(hub_db, db_path, users):
    app = create_app({"DATABASE": str(db_path), "TESTING": True})  # CSRF on, as in real use
    client = app.test_client()
    response = client.post("/sign-in", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 400
    assert "That form could not be sent" in response.get_data(as_text=True)
    # With the token from the form it works.
    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/sign-in", data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_a_failed_csrf_check_never_echoes_the_fields_with_a_fresh_token(hub_db, db_path, users):
    app = create_app({"DATABASE": str(db_path), "TESTING": True})
    client = app.test_client()
    response = client.post("/admin/users", data={"username": "mallory", "role": "admin",
                                                 "csrf_token": "stale"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "mallory" not in page and 'name="csrf_token"' not in page
    assert "nothing was saved" in page


@pytest.mark.parametrize("host", ["evil.example", "evil.example:5000", "127.0.0.1.evil.example", "192.168.1.5"])
def test_foreign_host_header_is_refused(client, host):
    response = client.get("/sign-in", headers={"Host": host})
    assert response.status_code == 400
    assert b"This address is not allowed" in response.data


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:5123", "localhost", "localhost:8080"])
def test_loopback_host_is_allowed(client, users, host):
    assert client.get("/sign-in", headers={"Host": host}).status_code == 200


def test_security_headers(signed_in):
    response = signed_in("admin").get("/admin/users")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "http" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_pages_have_no_inline_scripts_or_styles(client, users):
    page = client.get("/sign-in").get_data(as_text=True)
    import re

    for tag in re.findall(r"<script[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " style=" not in page and "onclick" not in page


def test_sign_in_and_out_are_audited(client, users, hub_db):
    assert sign_in(client, "manager").status_code == 302
    client.post("/sign-out")
    sign_in(client, "manager", "wrong-password")
    actions = [r[0] for r in hub_db.execute("select action from audit_log where username = 'manager' order by id")]
    assert actions[-3:] == ["sign_in", "sign_out", "sign_in.failed"]


def test_wrong_passwords_slow_down_then_lock_the_account(client, users):
    with time_machine.travel("2026-11-25 10:00", tick=False) as clock:
        for _ in range(SLOW_DOWN_AFTER - 1):
            page = sign_in(client, "manager", "wrong").get_data(as_text=True)
            assert "Enter a correct username and password" in page
        page = sign_in(client, "manager", "wrong").get_data(as_text=True)
        assert "Wait 30 seconds" in page
        # Even the right password is refused during the pause.
        assert sign_in(client, "manager").status_code == 200
        clock.shift(31)
        for _ in range(LOCK_AFTER - SLOW_DOWN_AFTER):
            page = sign_in(client, "manager", "wrong").get_data(as_text=True)
            clock.shift(31)
        assert "locked for 15 minutes" in page
        assert "locked" in sign_in(client, "manager").get_data(as_text=True)
        clock.shift(15 * 60 + 1)
        assert sign_in(client, "manager").status_code == 302


def test_unknown_user_gets_the_same_message(client, users):
    page = sign_in(client, "nobody", "whatever-password").get_data(as_text=True)
    assert "Enter a correct username and password" in page


def test_session_locks_after_15_minutes_idle(app, users):
    client = app.test_client()
    with time_machine.travel(time.time(), tick=False) as clock:
        sign_in(client, "admin")
        assert client.get("/admin/users").status_code == 200
        clock.shift(14 * 60)
        assert client.get("/admin/users").status_code == 200
        clock.shift(15 * 60 + 1)
        response = client.get("/admin/users")
        assert response.status_code == 302 and "/sign-in" in response.location
        page = client.get("/sign-in").get_data(as_text=True)
        assert "RHI Desk is locked" in page


def test_session_ends_when_the_app_restarts(hub_db, db_path, users):
    config = {"DATABASE": str(db_path), "TESTING": True, "WTF_CSRF_ENABLED": False}
    first = create_app(config)
    client = first.test_client()
    sign_in(client, "admin")
    assert client.get("/admin/users").status_code == 200
    second = create_app(config)  # the app closed and opened again; the browser kept its cookie
    client2 = second.test_client()
    client2._cookies = client._cookies
    assert client2.get("/admin/users").status_code == 302


def test_answers_posted_after_the_session_locked_are_offered_back(app, users):
    client = app.test_client()
    with time_machine.travel(time.time(), tick=False) as clock:
        sign_in(client, "admin")
        clock.shift(16 * 60)
        response = client.post("/admin/users", data={"username": "newbie", "display_name": "New Person",
                                                      "role": "manager", "password": "a-long-password"})
        assert "/sign-in" in response.location
        page = sign_in(client, "admin").get_data(as_text=True)
    assert "Your answers were kept" in page
    assert 'name="display_name" value="New Person"' in page
    assert 'action="/admin/users"' in page


def test_an_unexpected_error_shows_a_sentence_not_a_traceback(hub_db, db_path, users, tmp_path, monkeypatch):
    import logging

    from rhi_desk.web import logs

    monkeypatch.setenv("RHI_DESK_LOG_DIR", str(tmp_path / "logs"))
    app = create_app({"DATABASE": str(db_path), "TESTING": False, "WTF_CSRF_ENABLED": False,
                      "PROPAGATE_EXCEPTIONS": False})

    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    client = app.test_client()
    sign_in(client, "admin")
    response = client.get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Sorry, something went wrong" in page and "Nothing you entered has been lost" in page
    assert "Traceback" not in page and "secret internal detail" not in page
    handlers = [h for h in logging.getLogger().handlers if getattr(h, "baseFilename", "") == str(logs.log_file())]
    for handler in handlers:
        handler.flush()
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert "secret internal detail" in logs.log_file().read_text()
