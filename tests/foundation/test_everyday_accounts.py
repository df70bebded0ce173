"""Accounts a leaver loses the day they leave: disable (sessions end at once, sign-in refused with a sentence),
reset a password (the user sets a new one at next sign-in), change a role; the same on the command line."""
from __future__ import annotations

import html

import pytest
from conftest import sign_in

from rhi_desk import accounts


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_disabling_ends_the_session_at_once_and_refuses_sign_in_with_a_sentence(signed_in, app, hub_db):
    worker = signed_in("missing_team")
    assert worker.get("/children").status_code == 200
    admin = signed_in("admin")
    page = text(admin.post("/admin/users/missing_team", data={"action": "disable"}, follow_redirects=True))
    assert "can no longer sign in: any session they had open has ended" in page
    assert worker.get("/children").status_code == 302, "the open session ends at its next request"
    refused = text(sign_in(app.test_client(), "missing_team"))
    assert "This account has been disabled" in refused
    wrong = text(sign_in(app.test_client(), "missing_team", "not-the-password"))
    assert "This account has been disabled" not in wrong, "a wrong password learns nothing"
    admin.post("/admin/users/missing_team", data={"action": "enable"})
    assert sign_in(app.test_client(), "missing_team").status_code == 302


def test_a_reset_password_works_once_and_the_user_sets_their_own(signed_in, app, hub_db):
    worker = signed_in("practitioner")
    page = text(signed_in("admin").post("/admin/users/practitioner", data={"action": "reset"}))
    temporary = page.split('<code id="temporary-password">')[1].split("</code>")[0]
    assert worker.get("/interviews").status_code == 302, "the old session ended with the reset"
    assert sign_in(app.test_client(), "practitioner").status_code == 200, "the old password no longer works"
    person = app.test_client()
    landed = sign_in(person, "practitioner", temporary)
    assert landed.headers["Location"].startswith("/set-password")
    assert person.get("/interviews").headers["Location"].startswith("/set-password"), "nothing else opens"
    same = text(person.post("/set-password", data={"password": temporary, "confirm": temporary}))
    assert "Choose a new password, not the temporary one" in same
    done = person.post("/set-password", data={"password": "my-own-new-password", "confirm": "my-own-new-password"})
    assert done.status_code == 302 and person.get("/interviews").status_code == 200
    assert sign_in(app.test_client(), "practitioner", "my-own-new-password").status_code == 302
    assert sign_in(app.test_client(), "practitioner", temporary).status_code == 200


def test_changing_a_role_ends_the_session_and_applies_at_the_next_sign_in(signed_in, hub_db, app):
    manager = signed_in("manager")
    assert manager.get("/children/new").status_code == 403
    admin = signed_in("admin")
    admin.post("/admin/users/manager", data={"action": "role", "role": "missing_team"})
    # A role change ends every session the user has (issue 19): the old session cannot carry the old role on.
    ended = manager.get("/children/new")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/sign-in")
    again = app.test_client()
    assert sign_in(again, "manager").status_code == 302
    assert again.get("/children/new").status_code == 200
    page = text(admin.post("/admin/users/admin", data={"action": "role", "role": "manager"}))
    assert "is the only active administrator" in page


def test_the_command_line_disables_enables_and_resets(cli, hub_db, users, app):
    result = cli("users", "disable", "provider")
    assert result.exit_code == 0 and "Disabled provider" in result.output
    assert "provider" in cli("users", "list").output and "(disabled)" in cli("users", "list").output
    assert "This account has been disabled" in text(sign_in(app.test_client(), "provider"))
    assert cli("users", "enable", "provider").exit_code == 0
    assert sign_in(app.test_client(), "provider").status_code == 302
    reset = cli("users", "reset-password", "provider")
    temporary = reset.output.split("Temporary password: ")[1].split()[0]
    client = app.test_client()
    assert sign_in(client, "provider", temporary).headers["Location"].startswith("/set-password")
    missing = cli("users", "disable", "nobody")
    assert missing.exit_code != 0 and "There is no user called nobody" in missing.output
    assert cli("users", "set-role", "provider", "practitioner").exit_code == 0
    assert accounts.get_user(hub_db, "provider")["role"] == "practitioner"
    only = cli("users", "disable", "admin")
    assert only.exit_code != 0 and "only active administrator" in only.output


@pytest.mark.browser
def test_an_administrator_disables_a_leaver_in_the_browser(page, live_server):
    from conftest import assert_no_axe_violations, browser_sign_in

    browser_sign_in(page, live_server, "admin")
    page.goto(live_server + "/admin/users")
    page.click("a:has-text('practitioner')")
    assert_no_axe_violations(page)
    page.click("button:has-text('Disable Practitioner')")
    page.wait_for_load_state()
    assert "Disabled" in page.inner_text("main") or "No: disabled" in page.inner_text("main")
    page.click("button:has-text('Reset password')")
    assert len(page.inner_text("#temporary-password")) >= 10
    assert_no_axe_violations(page)
