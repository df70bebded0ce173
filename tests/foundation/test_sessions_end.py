"""A copied session cookie gives nothing away once the session ends; races closed; weak passwords and
foreign redirects refused; forms from another site never acted on."""
from __future__ import annotations

import threading
import time

import pytest
import time_machine

from rhi_desk import accounts, create_app
from rhi_desk.db import connect
from rhi_desk.web.auth import is_local_path
from tests.conftest import PASSWORD, sign_in


def _copy_of(app, client):
    """A second browser holding a copy of ``client``'s session cookie."""
    thief = app.test_client()
    cookie = client.get_cookie("rhi_desk_session")
    assert cookie is not None
    thief.set_cookie("rhi_desk_session", cookie.value)
    return thief


def _set(db_path, sql, params):
    db = connect(db_path)
    db.execute(sql, params)
    db.conn.close()


def test_a_copied_cookie_works_until_sign_out_then_never(app, users):
    client = app.test_client()
    sign_in(client, "admin")
    thief = _copy_of(app, client)
    assert thief.get("/admin/users").status_code == 200  # a copy is the session, while it lasts
    client.post("/sign-out")
    response = thief.get("/admin/users")
    assert response.status_code == 302 and "/sign-in" in response.location
    assert thief.get("/children").status_code == 302


def test_a_copied_cookie_is_refused_after_lock(app, users):
    client = app.test_client()
    sign_in(client, "missing_team")
    thief = _copy_of(app, client)
    client.post("/lock")
    assert thief.get("/children").status_code == 302
    # The one who locked the screen signs in again as usual.
    assert sign_in(client, "missing_team").status_code == 302
    assert client.get("/children").status_code == 200
    assert thief.get("/children").status_code == 302


@pytest.mark.parametrize("change", [
    ("password change", "update users set password_hash = ? where username = 'manager'", ["$argon2id$other"]),
    ("role change", "update users set role = ? where username = 'manager'", ["missing_team"]),
    ("disabled", "update users set active = ? where username = 'manager'", [0]),
])
def test_a_copied_cookie_is_refused_after_the_account_changes(app, users, db_path, change):
    # Whatever code changes the account (a page, the command line, an administrator's tool), the
    # database itself ends the sessions: the change is made here in plain SQL.
    _, sql, params = change
    client = app.test_client()
    sign_in(client, "manager")
    thief = _copy_of(app, client)
    assert thief.get("/admin/audit").status_code == 200
    _set(db_path, sql, params)
    assert thief.get("/admin/audit").status_code == 302
    assert client.get("/admin/audit").status_code == 302


def test_end_sessions_ends_every_session_of_that_user_only(app, users, hub_db):
    one, two, other = app.test_client(), app.test_client(), app.test_client()
    sign_in(one, "practitioner")
    sign_in(two, "practitioner")
    sign_in(other, "manager")
    user = accounts.get_user(hub_db, "practitioner")
    accounts.end_sessions(hub_db, user["id"], reason="test", by="admin")
    assert one.get("/interviews").status_code == 302
    assert two.get("/interviews").status_code == 302
    assert other.get("/admin/audit").status_code == 200
    assert hub_db.execute("select count(*) from audit_log where action = 'session.ended'").fetchone()[0] == 1


def test_48_parallel_wrong_passwords_lock_at_the_stated_count(hub_db, db_path, users):
    results, barrier = [], threading.Barrier(48)

    def attempt():
        db = connect(db_path, migrate=False)
        barrier.wait()
        results.append(accounts.sign_in(db, "manager", "wrong-password-guess").message)
        db.conn.close()

    threads = [threading.Thread(target=attempt) for _ in range(48)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    user = accounts.get_user(hub_db, "manager")
    assert user["failed_sign_ins"] == accounts.SLOW_DOWN_AFTER  # 3, not fewer, however many raced
    checked = hub_db.execute("select count(*) from audit_log where action = 'sign_in.failed' "
                             "and username = 'manager'").fetchone()[0]
    assert checked == accounts.SLOW_DOWN_AFTER  # only three passwords were ever tried
    assert sum("locked" in m for m in results) == 48 - accounts.SLOW_DOWN_AFTER
    # The right password is refused during the pause too.
    assert accounts.sign_in(hub_db, "manager", PASSWORD).user is None


def test_simultaneous_first_run_set_ups_make_one_administrator(db_path):
    db = connect(db_path)
    db.conn.close()
    app = create_app({"DATABASE": str(db_path), "TESTING": True, "WTF_CSRF_ENABLED": False})
    barrier, codes = threading.Barrier(8), []

    def set_up(n):
        client = app.test_client()
        barrier.wait()
        response = client.post("/set-up", data={
            "role": "hub", "la_name": "Croydon", "install_name": "Missing team", "display_name": f"Admin {n}",
            "username": f"admin{n}", "password": "a-long-set-up-password", "confirm": "a-long-set-up-password"})
        codes.append(response.status_code)

    threads = [threading.Thread(target=set_up, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db = connect(db_path)
    assert db.execute("select count(*) from users").fetchone()[0] == 1
    assert db.execute("select count(*) from install").fetchone()[0] == 1
    assert codes.count(302) >= 1


@pytest.mark.parametrize("password,username,message", [
    ("          ", "sam", "at least 10 characters"),
    ("", "sam", "at least 10 characters"),
    ("password123", "sam", "first anyone would guess"),
    ("Password123!", "sam", "first anyone would guess"),
    ("qwertyuiop", "sam", "first anyone would guess"),
    ("sam.jones.worker", "sam.jones.worker", "not your username"),
    ("Sam.Jones.Worker1", "sam.jones.worker", "not your username"),
    ("aaaaaaaaaaaa", "sam", "same few characters"),
])
def test_weak_passwords_are_refused(hub_db, password, username, message):
    with pytest.raises(accounts.AccountError, match=message):
        accounts.create_user(hub_db, username, password, "practitioner")
    assert accounts.get_user(hub_db, username) is None


def test_a_good_password_is_accepted(hub_db):
    assert accounts.create_user(hub_db, "sam", "correct horse battery staple", "practitioner")


def test_the_add_user_page_says_why_a_common_password_is_refused(signed_in, hub_db):
    page = signed_in("admin").post("/admin/users", data={
        "username": "mallory", "display_name": "M", "role": "admin", "password": "password123"}
    ).get_data(as_text=True)
    assert "first anyone would guess" in page
    assert accounts.get_user(hub_db, "mallory") is None


@pytest.mark.parametrize("target", [
    "/%09/evil.example", "/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example",
    "javascript:alert(1)", "/\n/evil.example", " /children", "/ch\u00efldren", "evil.example/x", "",
])
def test_next_is_only_a_plain_local_path(app, users, target):
    assert not is_local_path(target)
    client = app.test_client()
    response = client.post("/sign-in?next=" + __import__("urllib.parse").parse.quote(target, safe=""),
                           data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == "/"


def test_next_keeps_a_local_page(app, users):
    assert is_local_path("/children?page=2")
    client = app.test_client()
    response = client.post("/sign-in?next=/children%3Fpage%3D2", data={"username": "admin", "password": PASSWORD})
    assert response.location == "/children?page=2"


@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "http://127.0.0.1:9999"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site", "Origin": "null"},
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
])
def test_a_state_changing_request_from_another_origin_is_refused(signed_in, hub_db, headers):
    admin = signed_in("admin")
    response = admin.post("/admin/users", headers=headers, data={
        "username": "mallory", "display_name": "M", "role": "admin", "password": "a-long-mallory-password"})
    assert response.status_code == 403
    assert "sent from another website" in response.get_data(as_text=True)
    assert accounts.get_user(hub_db, "mallory") is None


def test_a_same_origin_request_is_accepted(signed_in, hub_db):
    admin = signed_in("admin")
    response = admin.post("/admin/users", headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
                          data={"username": "newbie", "display_name": "N", "role": "manager",
                                "password": "a-long-newbie-password"})
    assert response.status_code == 302
    assert accounts.get_user(hub_db, "newbie")


def test_a_rescued_form_goes_back_to_the_same_user_only_and_never_keeps_a_password(app, users, hub_db):
    client = app.test_client()
    with time_machine.travel(time.time(), tick=False) as clock:
        sign_in(client, "admin")
        clock.shift(16 * 60)
        client.post("/admin/users", data={"username": "newbie", "display_name": "New Person",
                                          "role": "manager", "password": "a-long-secret-password"})
        stored = hub_db.execute("select form_json from form_rescue").fetchone()[0]
        assert "New Person" in stored and "a-long-secret-password" not in stored
        # Someone else signs in at this browser: they are not shown the admin's answers.
        page = sign_in(client, "provider").get_data(as_text=True)
        assert "New Person" not in page
        assert hub_db.execute("select count(*) from form_rescue").fetchone()[0] == 1


def test_a_rescued_form_expires_within_the_day(app, users, hub_db):
    client = app.test_client()
    with time_machine.travel("2026-11-25 09:00", tick=False) as clock:
        sign_in(client, "admin")
        clock.shift(16 * 60)
        client.post("/admin/users", data={"username": "newbie", "display_name": "New Person", "role": "manager"})
        clock.shift(9 * 3600)
        page = sign_in(client, "admin").get_data(as_text=True)
    assert "New Person" not in page
    assert hub_db.execute("select count(*) from form_rescue").fetchone()[0] == 0


def test_a_copied_cookie_cannot_leave_answers_for_later_after_sign_out(app, users, hub_db):
    client = app.test_client()
    sign_in(client, "admin")
    thief = _copy_of(app, client)
    client.post("/sign-out")
    thief.post("/admin/users", data={"username": "mallory", "display_name": "M", "role": "admin"})
    assert hub_db.execute("select count(*) from form_rescue").fetchone()[0] == 0
