"""The actions, police and provider pages in a real browser: an action recorded from Today by keyboard, and
axe-core on every new page a missing team meets."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from conftest import assert_no_axe_violations, browser_sign_in

from rhi_desk.actions import providers
from tests.actions_records import add_child, episode, offer


@pytest.mark.browser
def test_an_action_recorded_from_today_and_the_new_pages_pass_axe(live_server, hub_db, page):
    start = datetime(2026, 11, 24, 9, 0)
    with time_machine.travel(start, tick=True):
        add_child(hub_db, "OLA1", "Olu Ade", other_la=True, responsible_la="Sutton", date_of_birth="2011-02-03")
        episode(hub_db, "OLA1", "2026-11-22 20:00", "2026-11-23 08:00", episode_id="E-OLA1")
        add_child(hub_db, "OOB1", "Pat Reed", looked_after=True, placement="out_of_borough",
                  date_of_birth="2010-02-03")
        episode(hub_db, "OOB1", "2026-11-23 22:00", "2026-11-24 07:30", episode_id="E-OOB1")
        offer(hub_db, "E-OOB1", "2026-11-24 08:00")
        providers.save_provider(hub_db, "Safe Steps", contract="SS-1", unit_price="185")

        browser_sign_in(page, live_server, "missing_team")
        page.goto(live_server + "/today")
        table = page.locator("#actions-due-table")
        overdue = table.locator("tr.rhi-overdue", has_text="Tell the responsible council")
        assert "Olu Ade" in overdue.inner_text() and "Overdue" in overdue.inner_text()
        assert_no_axe_violations(page)
        overdue.locator("a:has-text('Record as done')").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("h1:has-text('Tell the responsible council')")
        assert page.input_value("#to_whom") == "Sutton"
        assert_no_axe_violations(page)
        when = start - timedelta(hours=1)
        page.fill("#done_date-day", str(when.day))
        page.fill("#done_date-month", str(when.month))
        page.fill("#done_date-year", str(when.year))
        page.fill("#done_time", when.strftime("%H:%M"))
        page.check("input[name='how'][value='email']")
        page.fill("#to_whom", "Sutton children's services duty desk")
        page.click("button:has-text('Save')")
        page.wait_for_url("**/today")
        assert "Recorded: tell the responsible council for Olu Ade." in page.inner_text("main")
        assert "Tell the responsible council" not in page.inner_text("#actions-due-table")

        for url in ("/actions", "/children/OLA1", "/children/OOB1", "/episodes/E-OOB1",
                    "/episodes/E-OOB1/police", "/episodes/E-OOB1/police/risk", "/children/OOB1/referrals/new",
                    "/children/OOB1/interventions/new", "/meetings", "/meetings/daily", "/meetings/panel",
                    "/providers", "/providers/new", "/providers/1?month=2026-11"):
            page.goto(live_server + url)
            assert page.locator("h1").count() == 1, url
            assert_no_axe_violations(page)
        page.goto(live_server + "/episodes/E-OOB1/police/risk")
        page.click("button:has-text('Save the grading')")
        assert page.title().startswith("Error: ")
        assert_no_axe_violations(page)
