"""The import journey in a real browser (Debian's Chromium): keyboard-usable, no axe violations, progress bar."""
from __future__ import annotations

import pytest
from records_helpers import row, write_register

from tests.conftest import assert_no_axe_violations, browser_sign_in

pytestmark = pytest.mark.browser


def test_import_journey_with_progress_bar_and_data_quality(page, live_server, hub_db, tmp_path, monkeypatch):
    from rhi_desk.web import records

    monkeypatch.setattr(records, "BACKGROUND_BYTES", 10)  # every file goes through the background job
    rows = [row(f"E{i}", f"C{i % 40}", start=f"2017-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00") for i in range(400)]
    rows.append(row("X1", "C1", start="2017-01-29 10:30", end=""))  # C1's later episodes start while it is open
    good = write_register(tmp_path / "good.csv", rows)
    bad = write_register(tmp_path / "bad.csv", rows[:3] + [row("B1", "C1", looked_after="perhaps")])

    browser_sign_in(page, live_server, "missing_team")
    page.goto(live_server + "/import")
    assert_no_axe_violations(page)
    page.set_input_files("input[type=file]", str(bad))
    page.keyboard.press("Tab")
    page.get_by_role("button", name="Check the file").press("Enter")
    page.wait_for_load_state()
    assert page.locator(".govuk-error-summary").is_visible()
    assert page.locator("#bad-rows").get_by_text("looked_after", exact=True).is_visible()
    assert_no_axe_violations(page)

    page.goto(live_server + "/import")
    page.set_input_files("input[type=file]", str(good))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    assert "401" in page.locator(".govuk-summary-list").inner_text()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Import the episodes").click()
    page.wait_for_url("**/import/jobs/*")
    page.get_by_role("heading", name="Import finished").wait_for(timeout=30_000)
    assert "401 new episodes" in page.locator(".govuk-notification-banner").inner_text()
    assert_no_axe_violations(page)
    assert hub_db.execute("select count(*) from episodes").fetchone() == (401,)

    page.goto(live_server + "/data-quality")
    assert_no_axe_violations(page)
    assert "started while an earlier one was still open" in page.inner_text("main")
    link = page.locator("td a[href^='/episodes/']").first
    target = link.get_attribute("href")
    link.click()
    page.wait_for_url("**" + target)
