"""Everyday journeys in a real browser: Lock and Sign out in the header, unlocking returns to the page
and its unsaved answers, and the DfE 903 and Annex A pages found where the team looks for reports."""
from __future__ import annotations

import pytest
from conftest import PASSWORD, assert_no_axe_violations, browser_sign_in
from interviews_support import make_rhi

from rhi_desk.interviews import saving

pytestmark = pytest.mark.browser


def test_lock_and_sign_out_are_in_the_header_of_every_page(page, live_server):
    browser_sign_in(page, live_server, "missing_team")
    for address in ("/today", "/children", "/reports/", "/data-quality"):
        page.goto(live_server + address)
        header = page.locator("header")
        assert header.get_by_role("button", name="Lock").is_visible(), address
        assert header.get_by_role("button", name="Sign out").is_visible(), address
        assert "Signed in as Missing_Team (Missing team)" in header.inner_text()
        box = header.get_by_role("button", name="Sign out").bounding_box()
        assert box["y"] < 300, f"Sign out is {box['y']} px down on {address}"
    assert_no_axe_violations(page)
    page.locator("header").get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    page.goto(live_server + "/children")
    assert "/sign-in" in page.url


def test_unlocking_returns_to_the_interview_page_with_what_was_typed(page, live_server, hub_db):
    rhi = make_rhi(hub_db, "practitioner")
    for slug, fields in [("offer", {"offered_at-day": "2", "offered_at-month": "3", "offered_at-year": "2026",
                                    "offered_at-time": "11:00", "offered_how": "phone", "offered_by": "Sam"}),
                         ("outcome", {"outcome": "completed"})]:
        saving.save_page(hub_db, rhi["rhi_id"], slug, fields, by="practitioner")
    browser_sign_in(page, live_server, "practitioner")
    page.goto(live_server + f"/interviews/{rhi['rhi_id']}/page/held")
    address = page.url
    page.fill("#place", "At the youth centre")  # not saved: no Continue, and locked before the draft timer
    page.locator("header").get_by_role("button", name="Lock").click()
    page.wait_for_url("**/sign-in**")
    assert "RHI Desk is locked" in page.inner_text("h1")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(address)
    assert page.input_value("#place") == "At the youth centre"


def test_the_903_and_annex_a_pages_are_linked_from_the_dashboard_and_data_quality(page, live_server):
    browser_sign_in(page, live_server, "missing_team")
    page.goto(live_server + "/reports/")
    page.click("text=DfE SSDA903 return: the Missing table")
    page.wait_for_url("**/exports/903")
    assert_no_axe_violations(page)
    page.goto(live_server + "/reports/")
    page.click("text=Ofsted Annex A: list 8")
    page.wait_for_url("**/exports/annex-a")
    page.goto(live_server + "/data-quality")
    page.click("text=make the DfE SSDA903 Missing table")
    page.wait_for_url("**/exports/903")
