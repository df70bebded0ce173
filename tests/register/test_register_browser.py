"""A missing and a found notification entered by keyboard in a real browser; axe on the register's pages."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from conftest import assert_no_axe_violations, browser_sign_in

from rhi_desk.register import children
from rhi_desk.web.filters import when


def _type_date_time(page, prefix: str, moment: datetime) -> None:
    page.focus(f"#{prefix}_date-day")
    page.keyboard.type(str(moment.day))
    page.keyboard.press("Tab")
    page.keyboard.type(str(moment.month))
    page.keyboard.press("Tab")
    page.keyboard.type(str(moment.year))
    page.keyboard.press("Tab")
    page.keyboard.type(moment.strftime("%H:%M"))


@pytest.mark.browser
def test_missing_and_found_by_keyboard(live_server, hub_db, page):
    children.create_child(hub_db, "C1", name="Amy Smith", date_of_birth="2012-05-01", sex="female",
                          looked_after=True, placement="in_borough", social_worker="Sam Worker")
    last_seen = (datetime.now() - timedelta(hours=30)).replace(second=0, microsecond=0)
    found = (datetime.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    browser_sign_in(page, live_server, "missing_team")
    assert page.url.endswith("/today")
    assert_no_axe_violations(page)

    page.focus("text=Record a missing notification")
    page.keyboard.press("Enter")
    page.wait_for_url("**/missing/new")
    page.focus("#q")
    page.keyboard.type("amy")
    page.keyboard.press("Enter")
    page.wait_for_url("**/missing/new?q=amy")
    page.focus("a[href='/children/C1/missing']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/children/C1/missing")

    # Submitting with nothing typed shows the error summary, focused, with links to the questions.
    page.focus("button:has-text('Save missing notification')")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Enter the date the child was last seen" in page.inner_text(".govuk-error-summary")

    _type_date_time(page, "start", last_seen)
    page.focus("#reported_by")
    page.keyboard.type("Foster carer")
    page.focus("#police_risk")  # the first radio of the group
    page.keyboard.press("Space")
    page.focus("button:has-text('Save missing notification')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/episodes/E-*")
    assert "Missing now" in page.inner_text("h1")
    assert "Clock starts when the child returns" in page.inner_text("#clock")

    page.focus("text=Record the return (found notification)")
    page.keyboard.press("Enter")
    page.wait_for_url("**/found")
    _type_date_time(page, "end", found)
    page.focus("#found_where")
    page.keyboard.type("Croydon bus station")
    page.focus("button:has-text('Save found notification')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/episodes/E-*")
    clock = page.inner_text("#clock")
    assert re.search(r"(69 hours \d+ minutes?|70 hours) left", clock), clock
    assert "Offer due by " + when((found + timedelta(hours=72)).strftime("%Y-%m-%d %H:%M")) in clock
    assert "Sam Worker" in page.inner_text("#main-content")
    assert_no_axe_violations(page)

    page.goto(live_server + "/children/C1")
    assert "Croydon bus station" not in page.content()  # the timeline shows times, the episode page details
    assert re.search(r"(69 hours \d+ minutes?|70 hours) left", page.inner_text("table"))
    assert_no_axe_violations(page)
    page.goto(live_server + "/today")
    assert re.search(r"(69 hours \d+ minutes?|70 hours) left", page.inner_text("#main-content"))
    assert_no_axe_violations(page)
