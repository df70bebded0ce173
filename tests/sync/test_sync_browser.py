"""The Send and receive page in a real browser (CSRF on): upload with progress, plain-words result, accessible."""
from __future__ import annotations

import pytest
from sync_support import EPISODES, insert_episode

from rhi_desk.cli.sync import complete_assigned_rhis
from rhi_desk.sync import keys, receive, send
from tests.conftest import assert_no_axe_violations, browser_sign_in


@pytest.mark.browser
def test_upload_a_return_and_see_the_result(page, live_server, hub_db, field_db, tmp_path):
    keys.enrol(hub_db, keys.identity_json(field_db))
    keys.enrol(field_db, keys.identity_json(hub_db))
    for row in EPISODES:
        insert_episode(hub_db, *row)
    send.assign_episode(hub_db, "E-1001", "Safe Steps")
    receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "p").path.read_bytes())
    complete_assigned_rhis(field_db)
    good = send.send(field_db, "Missing team", tmp_path / "r").path
    bad = tmp_path / "tampered.rhisync"
    data = bytearray(good.read_bytes())
    data[-5] ^= 0x10
    bad.write_bytes(bytes(data))

    xhr, console = [], []
    page.on("request", lambda r: xhr.append(r.url) if r.resource_type == "xhr" else None)
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    browser_sign_in(page, live_server, "missing_team")
    page.goto(live_server + "/sync/")
    assert page.locator("h1").inner_text() == "Send and receive"
    assert_no_axe_violations(page)

    page.set_input_files("#sync_file", str(bad))
    page.click("button:has-text('Import the file')")
    page.wait_for_selector(".govuk-error-summary")
    assert "has been changed since Safe Steps made it" in page.locator(".govuk-error-summary").inner_text()
    assert_no_axe_violations(page)

    page.set_input_files("#sync_file", str(good))
    page.click("button:has-text('Import the file')")
    page.wait_for_selector(".govuk-notification-banner--success")
    assert "Imported file 1 from Safe Steps" in page.locator(".govuk-notification-banner").inner_text()
    assert any(url.endswith("/sync/receive") for url in xhr), "the upload went through the progress-reporting path"
    assert not [m for m in console if "Content Security Policy" in m], console

    for path in ("/sync/installs", "/sync/kept-aside", "/sync/inbox"):
        page.goto(live_server + path)
        assert_no_axe_violations(page)
