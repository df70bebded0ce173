"""The weekly high-risk meeting in a real browser: this week's list, the actions agreed, next week's list showing
them and whether they were done; the saved meeting printed to PDF as senior managers get it."""
from __future__ import annotations

import subprocess
from datetime import datetime, timedelta

import pytest
import time_machine
from conftest import assert_no_axe_violations, browser_sign_in

from tests.actions_records import add_child, episode, offer


def _type_date(page, prefix: str, day) -> None:
    page.fill(f"#{prefix}-day", str(day.day))
    page.fill(f"#{prefix}-month", str(day.month))
    page.fill(f"#{prefix}-year", str(day.year))


@pytest.mark.browser
def test_the_weekly_meeting_list_actions_and_next_week(live_server, hub_db, page, tmp_path):
    # A Tuesday morning, so "next week" is the same weekday seven days on.
    start = datetime(2026, 11, 24, 9, 0)
    with time_machine.travel(start, tick=True) as clock:
        add_child(hub_db, "REP1", "Remi Cole", date_of_birth="2011-05-01")
        for n, days in enumerate((20, 10, 2)):
            began = (start - timedelta(days=days)).strftime("%Y-%m-%d 18:00")
            ended = (start - timedelta(days=days)).strftime("%Y-%m-%d 23:00")
            episode(hub_db, "REP1", began, ended, episode_id=f"E-REP1-{n}")
            offer(hub_db, f"E-REP1-{n}", (start - timedelta(days=days - 1)).strftime("%Y-%m-%d 10:00"))

        browser_sign_in(page, live_server, "missing_team")
        page.click(".govuk-service-navigation a:has-text('Reports')")
        page.click("#meetings-link")
        page.click("a:has-text(\"This week's high-risk list\")")
        assert "Remi Cole" in page.inner_text("#repeat-missing")
        assert "Hold a strategy meeting or discussion" in page.inner_text("#due-then")
        assert_no_axe_violations(page)
        page.click("button:has-text('Save this list and record the meeting')")
        page.wait_for_selector("h1:has-text('the week beginning 23 November 2026')")

        # The actions agreed: one for Remi, by keyboard-reachable fields.
        page.select_option("#agree-child_id", "REP1")
        page.fill("#agree-action", "Strategy meeting with the police exploitation lead")
        page.fill("#agree-owner", "Sam Patel (police)")
        _type_date(page, "agree-due_on", (start + timedelta(days=3)).date())
        page.click("button:has-text('Add the action')")
        page.fill("#agree-action", "Ask the school about attendance")
        page.fill("#agree-owner", "Mo Khan")
        _type_date(page, "agree-due_on", (start + timedelta(days=5)).date())
        page.click("button:has-text('Add the action')")
        agreed = page.inner_text("#agreed-actions")
        assert "Strategy meeting with the police exploitation lead" in agreed and "Sam Patel (police)" in agreed
        assert "Remi Cole" in agreed and agreed.count("Not yet") == 2
        assert_no_axe_violations(page)

        # The saved week printed as senior managers get it: a PDF, looked at as a picture.
        page.emulate_media(media="print")
        pdf = tmp_path / "weekly.pdf"
        page.pdf(path=str(pdf), format="A4", print_background=True)
        page.emulate_media(media="screen")
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "Weekly high-risk meeting" in text and "Remi Cole" in text and "Sam Patel" in text
        assert "Action agreed." not in text  # the banner stays on the screen
        assert "Add the action" not in text and "Record as done" not in text and "Sign out" not in text
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "weekly")], check=True)
        assert list(tmp_path.glob("weekly*.png"))

        # Next week: the list shows last week's actions; one is done.
        clock.move_to(start + timedelta(days=7))
        browser_sign_in(page, live_server, "missing_team")
        page.goto(live_server + "/meetings/weekly")
        last = page.inner_text("#last-actions")
        assert "Strategy meeting with the police exploitation lead" in last and "Ask the school" in last
        assert "Overdue" in last  # both were due before today and neither is done
        page.click("button:has-text('Save this list and record the meeting')")
        page.wait_for_selector("h1:has-text('the week beginning 30 November 2026')")
        page.click("#last-actions a:has-text('Record as done'):has-text('Strategy meeting')")
        page.fill("#done_by", "Sam Patel")
        _type_date(page, "done_on", (start + timedelta(days=3)).date())
        page.click("button:has-text('Record as done')")
        row = page.locator("#last-actions tr", has_text="Strategy meeting with the police").inner_text()
        assert "Done" in row and "Sam Patel" in row
        school = page.locator("#last-actions tr", has_text="Ask the school").inner_text()
        assert "Not yet" in school and "Overdue" in school
        assert_no_axe_violations(page)

        # The week before is kept as it was: its list and its actions, one now done.
        page.goto(live_server + "/meetings")
        page.click("a:has-text('the week beginning 23 November 2026')")
        assert "Remi Cole" in page.inner_text("#repeat-missing")
        with page.expect_download() as download:
            page.click("a:has-text('Download this meeting as a file')")
        saved = tmp_path / "week.html"
        download.value.save_as(saved)
        html = saved.read_text(encoding="utf-8")
        assert "Weekly high-risk meeting: the week beginning 23 November 2026" in html
        assert "Remi Cole" in html and "<script" not in html
