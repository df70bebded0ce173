"""Duplicates in a real browser: the warning on adding a child twice, then merging the two records, with axe
on the warning and the check page."""
from __future__ import annotations

import pytest
from conftest import assert_no_axe_violations, browser_sign_in

from rhi_desk.register import children

pytestmark = pytest.mark.browser


def test_a_duplicate_is_warned_about_then_merged_by_keyboard(live_server, hub_db, page):
    children.create_child(hub_db, "C1", name="Amy-Jo Smith", date_of_birth="2012-05-01", sex="female")
    browser_sign_in(page, live_server, "missing_team")
    page.goto(f"{live_server}/children/new")
    page.fill("#child_id", "IMP-C-2")
    page.fill("#name", "Amy Jo Smith")
    page.fill("#date_of_birth-day", "1")
    page.fill("#date_of_birth-month", "5")
    page.fill("#date_of_birth-year", "2012")
    page.check("input[name=sex][value=female]")
    page.check("input[name=looked_after][value=no]")
    page.check("input[name=other_la][value=no]")
    page.click("button:has-text('Save child')")
    warning = page.locator("#possible-duplicate")
    assert "already has a child with this name and date of birth" in warning.inner_text()
    assert page.locator("#name").input_value() == "Amy Jo Smith"  # nothing typed is lost
    assert_no_axe_violations(page)
    page.focus("#not_a_duplicate")
    page.keyboard.press("Space")
    page.click("button:has-text('Save child')")
    page.wait_for_url("**/children/IMP-C-2")

    page.goto(f"{live_server}/children/C1")
    page.focus("text=Merge a duplicate record into this one")
    page.keyboard.press("Enter")
    page.wait_for_url("**/children/C1/merge")
    page.fill("#other", "IMP-C-2")
    page.fill("#reason", "Typed in twice on the same night")
    page.click("button:has-text('Continue')")
    assert "Check these are one child" in page.inner_text("main")
    assert_no_axe_violations(page)
    page.click("button:has-text('Merge IMP-C-2 into C1')")
    page.wait_for_url("**/children/C1")
    assert "is merged into C1" in page.inner_text("main")
    page.goto(f"{live_server}/children/IMP-C-2")
    assert "This record was merged into" in page.inner_text("main")
