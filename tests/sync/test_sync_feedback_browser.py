"""In a real browser (CSRF on): the fingerprint is checked before an install is enrolled, and making a file
says what went into it before it downloads."""
from __future__ import annotations

import pytest
from sync_support import EPISODES, insert_episode

from rhi_desk.sync import keys, send
from tests.conftest import assert_no_axe_violations, browser_sign_in


@pytest.mark.browser
def test_enrol_after_checking_the_fingerprint_then_make_a_file(page, live_server, hub_db, field_db, tmp_path):
    identity = tmp_path / "safe-steps.identity.json"
    identity.write_text(keys.identity_json(field_db))
    fingerprint = keys.identity(field_db)["fingerprint"]
    for row in EPISODES:
        insert_episode(hub_db, *row)
    browser_sign_in(page, live_server, "missing_team")

    page.goto(live_server + "/sync/installs")
    page.set_input_files("#identity_file", str(identity))
    page.click("button:has-text('Continue')")
    page.wait_for_selector("h1:has-text('Check the fingerprint of Safe Steps')")
    assert page.locator(".rhi-fingerprint").inner_text().strip() == fingerprint
    assert "Field install" in page.locator("#identity-to-enrol").inner_text()
    assert keys.enrolled_by_name(hub_db, "Safe Steps") is None, "nothing is stored before the person confirms"
    assert_no_axe_violations(page)
    page.click("#cancel")
    page.wait_for_selector("text=Nothing was enrolled.")
    assert keys.enrolled_by_name(hub_db, "Safe Steps") is None

    page.set_input_files("#identity_file", str(identity))
    page.click("button:has-text('Continue')")
    page.click("#enrol")
    page.wait_for_selector(f"text=Enrolled Safe Steps. Fingerprint {fingerprint}.")
    assert keys.enrolled_by_name(hub_db, "Safe Steps")["status"] == "active"

    send.assign_episode(hub_db, "E-1001", "Safe Steps")
    page.goto(live_server + "/sync/")
    page.select_option("#to", "Safe Steps")
    page.click("button:has-text('Make the file')")
    page.wait_for_selector("h1:has-text('File 1 is made')")
    assert "1 interview to hold" in page.locator("#file-contents").inner_text()
    assert page.locator("#file-children").inner_text().strip() == "Amira Khan (C-1)"
    assert_no_axe_violations(page)
    with page.expect_download() as download:
        page.click("#download-file")
    assert download.value.suggested_filename.startswith("missing-team-to-safe-steps-000001-")
    saved = tmp_path / "pack.rhisync"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"RHISYNC\n")
