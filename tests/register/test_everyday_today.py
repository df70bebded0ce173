"""Today keeps an offered interview in sight until its outcome, with days since the offer; managers open
Today and Children read-only; the overdue list is named for what it lists (offers overdue)."""
from __future__ import annotations

import html
from datetime import datetime, timedelta

import pytest
import time_machine
from conftest import assert_no_axe_violations, browser_sign_in
from interviews_support import make_rhi

from rhi_desk.register import rhi_tracking, today

NOW = datetime(2026, 3, 12, 9, 0)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def offered(hub_db, users):
    """An interview offered on 5 March, assigned to the practitioner, no outcome yet; one completed."""
    with time_machine.travel(NOW, tick=False):
        waiting = make_rhi(hub_db, "practitioner", name="Wendy Waiting")
        rhi_tracking.record_offer(hub_db, waiting["rhi_id"], "2026-03-05 10:00", "phone", "Mo")
        done = make_rhi(hub_db, "practitioner", name="Dana Done")
        rhi_tracking.record_offer(hub_db, done["rhi_id"], "2026-03-04 10:00", "phone", "Mo")
        rhi_tracking.record_outcome(hub_db, done["rhi_id"], "declined", reason="Did not want to talk")
    return waiting


def test_an_offer_without_an_outcome_stays_on_today_with_days_since_the_offer(hub_db, offered):
    with time_machine.travel(NOW, tick=False):
        rows = today.today(hub_db).awaiting
    assert [(r["name"], r["days_since_offer"]) for r in rows] == [("Wendy Waiting", 6)]


def test_today_page_lists_offers_awaiting_their_outcome_and_offers_overdue(signed_in, hub_db, offered):
    with time_machine.travel(NOW, tick=False):
        page = text(signed_in("missing_team").get("/today"))
    assert "Offered, awaiting the interview or its outcome (1)" in page
    section = page.split('id="awaiting"')[1].split('id="repeat"')[0]
    assert "Wendy Waiting" in section and "Dana Done" not in section
    assert "5 March 2026, 10:00am" in section and ">6<" in section
    assert "Practitioner" in section, "who interviews, by name"
    assert "Offers overdue (" in page and "Interviews overdue" not in page


def test_a_manager_reads_today_and_children_without_buttons_that_change_records(signed_in, hub_db, offered):
    with time_machine.travel(NOW, tick=False):
        manager = signed_in("manager")
        page = text(manager.get("/today"))
        children = manager.get("/children?q=Wendy")
    assert "Offered, awaiting the interview or its outcome (1)" in page
    assert "Record a missing notification" not in page
    assert children.status_code == 200 and "Wendy Waiting" in text(children)
    assert "Add a child" not in text(children)
    with time_machine.travel(NOW, tick=False):
        assert manager.get("/children/new").status_code == 403
        assert manager.get("/missing/new").status_code == 403


@pytest.mark.browser
def test_a_manager_opens_today_and_children_from_the_menu(page, live_server, hub_db, users):
    now = datetime.now()
    waiting = make_rhi(hub_db, "practitioner", name="Wendy Waiting", start=f"{now - timedelta(days=9):%Y-%m-%d %H:%M}",
                       end=f"{now - timedelta(days=8):%Y-%m-%d %H:%M}")
    rhi_tracking.record_offer(hub_db, waiting["rhi_id"], f"{now - timedelta(days=6, hours=1):%Y-%m-%d %H:%M}",
                              "phone", "Mo")
    browser_sign_in(page, live_server, "manager")
    page.click("nav >> text=Today")
    page.wait_for_url("**/today")
    section = page.inner_text("#awaiting + p + table")
    assert "Wendy Waiting" in section and "\t6\t" in section
    assert "Record a missing notification" not in page.inner_text("main")
    assert_no_axe_violations(page)
    page.click("nav >> text=Children")
    page.wait_for_url("**/children")
    assert "Wendy Waiting" in page.inner_text("main")
    assert_no_axe_violations(page)
