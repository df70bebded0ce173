"""Real-browser and real-window checks: the app is styled, fully offline, and opens in its window."""
import os
import re
import shutil
import subprocess
import sys
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.conftest import browser_sign_in

ERROR_TITLE = re.compile(r"^Error:")  # waits for the page after a click, unlike page.title()


@pytest.mark.browser
def test_sign_in_is_styled_and_nothing_leaves_127_0_0_1(page, live_server):
    requests, failed, console, responses = [], [], [], {}
    page.on("request", lambda r: requests.append(r.url))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
    page.on("response", lambda r: responses.__setitem__(r.url, r.status))

    page.goto(live_server + "/sign-in")
    page.wait_for_load_state("networkidle")
    # Styled by GOV.UK Frontend (its CSS loaded) in Arial, not the GOV.UK font.
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "arial" in font.lower()
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    assert all(status == 200 for url, status in responses.items() if "/static/" in url or "/assets/" in url), responses
    assert any("govuk-frontend.min.css" in url for url in responses)

    browser_sign_in(page, live_server, "admin")
    page.goto(live_server + "/admin/users")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Users"

    hosts = {urlparse(url).hostname for url in requests if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}, hosts
    assert not failed, failed
    assert not [m for m in console if "Content Security Policy" in m], console


@pytest.mark.browser
def test_sign_in_and_users_pages_have_no_accessibility_violations(page, live_server):
    from tests.conftest import assert_no_axe_violations

    page.goto(live_server + "/sign-in")
    assert_no_axe_violations(page)
    page.fill("#username", "")
    page.click("button:has-text('Sign in')")
    expect(page).to_have_title(ERROR_TITLE)
    assert page.locator(".govuk-error-summary").is_visible()
    assert_no_axe_violations(page)
    browser_sign_in(page, live_server, "admin")
    page.goto(live_server + "/admin/users")
    assert_no_axe_violations(page)


@pytest.mark.browser
def test_sign_in_by_keyboard_alone(page, live_server):
    page.goto(live_server + "/sign-in")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # header link
    for _ in range(6):
        if page.evaluate("document.activeElement.id") == "username":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type("a-long-test-password")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/sign-in" not in url)
    assert page.locator("h1").count() == 1


@pytest.mark.window
@pytest.mark.skipif(not shutil.which("xvfb-run"), reason="needs xvfb (apt-get install xvfb)")
def test_the_desktop_window_opens_and_loads_every_asset(hub_db, db_path, users, tmp_path):
    env = dict(os.environ, RHI_DESK_DB=str(db_path), RHI_DESK_WINDOW_SMOKE="1.5",
               QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox", HOME=str(tmp_path))
    result = subprocess.run(["xvfb-run", "-a", sys.executable, "-m", "rhi_desk"], env=env,
                            capture_output=True, text=True, timeout=120)
    out = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert "WINDOW-LOADED" in out
    lines = [l for l in out.splitlines() if l.startswith("WINDOW-REQUEST:")]
    assert any(" /sign-in 200 " in l for l in lines), out
    assert any("govuk-frontend.min.css 200" in l for l in lines), out
    assert all("host=127.0.0.1:" in l for l in lines), lines
    assert not [l for l in lines if l.split()[3] not in ("200", "302", "304")], lines
