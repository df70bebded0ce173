"""In real Chromium: a foreign page that auto-submits a form to RHI Desk never leads to an action, neither
directly nor through the error page or the form rescue after the next sign-in."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from rhi_desk import accounts
from rhi_desk.db import connect
from tests.conftest import browser_sign_in

pytestmark = pytest.mark.browser


def _attacker_site(target: str):
    """A web server on another port serving a page that posts a form to ``target`` as soon as it loads."""
    page = f"""<!doctype html><html><body>
<form id="f" method="post" action="{target}">
<input name="username" value="mallory"><input name="display_name" value="Mallory">
<input name="role" value="admin"><input name="organisation" value="">
<input name="password" value="a-long-mallory-password">
</form><script>document.getElementById('f').submit()</script></body></html>""".encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("attacker_host", ["127.0.0.1", "localhost"])  # same site (other port), cross site
def test_a_cross_site_auto_submitting_form_never_acts(page, live_server, db_path, attacker_host):
    server = _attacker_site(live_server + "/admin/users")
    attacker = f"http://{attacker_host}:{server.server_address[1]}/"
    try:
        browser_sign_in(page, live_server, "admin")
        assert "/sign-in" not in page.url
        # 1. Signed in: the foreign form arrives and is refused, with nothing to press.
        page.goto(attacker)
        page.wait_for_load_state()
        assert page.url.startswith(live_server)
        body = page.content()
        assert "That form could not be sent" in body
        assert "Save my answers" not in body and "mallory" not in body.lower()
        # 2. Signed out by the lock: the foreign form arrives again, then the admin signs in.
        page.goto(live_server + "/admin/users")
        page.click("#lock-form button")
        page.wait_for_load_state()
        assert "/sign-in" in page.url
        page.goto(attacker)
        page.wait_for_load_state()
        assert "Save my answers" not in page.content()
        browser_sign_in(page, live_server, "admin")
        body = page.content()
        assert "Save my answers" not in body and "mallory" not in body.lower()
        db = connect(db_path, migrate=False)
        assert accounts.get_user(db, "mallory") is None
        assert db.execute("select count(*) from form_rescue").fetchone()[0] == 0
        db.conn.close()
    finally:
        server.shutdown()


def test_the_own_form_rescue_still_works_in_the_browser(page, live_server, db_path):
    browser_sign_in(page, live_server, "admin")
    page.goto(live_server + "/admin/users")
    page.fill("#username", "newbie")
    page.fill("#display_name", "New Person")
    page.select_option("#role", "manager")
    page.fill("#password", "a-long-newbie-password")
    # The screen is locked from another tab while this form is open; then the form is sent.
    other = page.context.new_page()
    other.goto(live_server + "/admin/users")
    other.click("#lock-form button")
    other.wait_for_load_state()
    other.close()
    page.click("button:has-text('Add user')")
    page.wait_for_load_state()
    assert "/sign-in" in page.url
    browser_sign_in(page, live_server, "admin")
    assert "Your answers were kept" in page.content()
    assert page.locator('input[name="display_name"][value="New Person"]').count() == 1
    assert page.locator('input[name="password"]').count() == 0  # a password is never kept
