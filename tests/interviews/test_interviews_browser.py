"""The guided interview in a real browser (Debian's Chromium via Playwright, CSRF on).

Keyboard alone, every not-completed outcome, validation, closing the window mid-section,
sign-off, a correction, axe on every page, and killing the app process mid-interview.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
from conftest import add_user, assert_no_axe_violations, browser_sign_in
from interviews_support import make_rhi
from playwright.sync_api import expect

from rhi_desk import installs
from rhi_desk.db import connect
from rhi_desk.demo import answers
from rhi_desk.interviews import navigation, saving
from rhi_desk.register import rhi_tracking

ERROR_TITLE = re.compile(r"^Error:")  # waits for the page after a click, unlike page.title()

pytestmark = pytest.mark.browser

OFFER_FIELDS = {"offered_at-day": "2", "offered_at-month": "3", "offered_at-year": "2026",
                "offered_at-time": "11:00", "offered_how": "phone", "offered_by": "Sam Worker"}


def tab_to(page, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def key_answer(page, name: str, value) -> None:
    """Answer one field by keyboard: type into a box, arrow to a radio, Space on each checkbox."""
    kind = page.evaluate("n => document.getElementsByName(n)[0].type", name)
    if kind == "radio":
        tab_to(page, f"input[name='{name}']")
        page.keyboard.press("Space")
        for _ in range(12):
            if page.evaluate("() => document.activeElement.value") == value:
                break
            page.keyboard.press("ArrowDown")
        assert page.is_checked(f"input[name='{name}'][value='{value}']")
    elif kind == "checkbox":
        for item in value:
            tab_to(page, f"input[name='{name}'][value='{item}']")
            page.keyboard.press("Space")
    else:
        tab_to(page, f"[name='{name}']")
        page.keyboard.press("Control+A")
        page.keyboard.type(value)


def continue_by_keyboard(page) -> None:
    tab_to(page, "#continue")
    with page.expect_navigation():
        page.keyboard.press("Enter")


KEYBOARD_JOURNEY = [
    ("offer", OFFER_FIELDS),
    ("outcome", {"outcome": "completed"}),
    ("held", {"held_at-day": "3", "held_at-month": "3", "held_at-year": "2026", "held_at-time": "15:30",
              "place": "At school"}),
    # "interviewer" is not asked: the signed-in user and the assignment answer it.
    ("seen_alone", {"seen_alone": "no"}),
    ("who_present", {"who_present": "A teacher"}),
    ("confidentiality", {"confidentiality_explained": "yes"}),
    ("where", {"where_went": "A friend's flat", "where_area": "CR0"}),
    ("places", {"places-1-name": "The Crown", "places-1-area": "CR0"}),
    ("who_with", {"who_with": "Two friends"}),
    ("people", {"people-1-name": "Jay", "people-1-phone": "07700 900123"}),
    ("travel", {"travel": "Bus", "activities": "Stayed in"}),
    ("felt_missing", {"felt_missing": "no"}),
    ("push", {"push_factors": ["school"]}),
    ("pull", {"pull_factors": ["none"]}),
    ("in_their_words", {"in_their_words": "I wanted space"}),
    ("harm_suffered", {"harm_suffered": "None"}),
    ("harm_indicators", {"harm_indicators": ["gangs"]}),
    ("harm_details", {"harm_details": "Older boys asked them to hold a bag"}),
    ("screening", {"screening": ["older_associates"]}),
    ("police", {"police_involved": "yes"}),
    ("police_details", {"police_details": "Found them, ref 123"}),
    ("risk_level", {"risk_level": "medium"}),
    ("what_would_help", {"what_would_help": "A mentor"}),
    ("stop_it_happening", {"stop_it_happening": "Fewer arguments"}),
    ("anything_else", {"anything_else": "No"}),
    ("referrals", {"referrals": ["early_help"]}),
    ("information_shared", {"information_shared": "Police"}),
    ("follow_up", {"action-1": "Meet school", "owner-1": "Sam", "due-1-day": "9", "due-1-month": "3",
                   "due-1-year": "2026"}),
    ("safety_advice", {"safety_advice_given": "yes"}),
]


def test_a_whole_interview_by_keyboard_alone_with_axe_on_every_page(page, live_server, hub_db):
    rhi = make_rhi(hub_db, "practitioner", name="Kai Keyboard")
    browser_sign_in(page, live_server, "practitioner")
    page.goto(live_server + "/interviews")
    assert_no_axe_violations(page)
    tab_to(page, f"a[href='/interviews/{rhi['rhi_id']}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for slug, fields in KEYBOARD_JOURNEY:
        assert page.url.endswith(f"/page/{slug}"), (slug, page.url)
        assert_no_axe_violations(page)
        for name, value in fields.items():
            key_answer(page, name, value)
        continue_by_keyboard(page)
    assert page.url.endswith("/check")
    assert_no_axe_violations(page)
    body = page.inner_text("main")
    assert "A teacher" in body and "Gangs" in body and "Meet school" in body
    tab_to(page, "input[name='declaration']")
    page.keyboard.press("Space")
    tab_to(page, "#sign-off")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/record" in page.url and "read-only" in page.inner_text("main")
    assert_no_axe_violations(page)
    saved = rhi_tracking.get_rhi(hub_db, rhi["rhi_id"])
    assert saved["status"] == "signed_off"
    assert json.loads(saved["answers"])["who_present"] == "A teacher"
    page.goto(live_server + f"/interviews/{rhi['rhi_id']}/tasks")  # redirects to the record
    page.goto(live_server + f"/interviews/{rhi['rhi_id']}/report")
    assert_no_axe_violations(page)
    page.emulate_media(media="print")
    assert not page.locator("footer").is_visible() and not page.locator("#print-report").is_visible()
    assert page.locator("h1").is_visible()


@pytest.mark.parametrize("outcome", ["declined", "unavailable", "missing_again"])
def test_each_outcome_that_is_not_an_interview(page, live_server, hub_db, outcome):
    rhi = make_rhi(hub_db, "practitioner")
    browser_sign_in(page, live_server, "practitioner")
    page.goto(live_server + f"/interviews/{rhi['rhi_id']}")
    # A mistake first: Continue with nothing filled in.
    page.click("#continue")
    expect(page).to_have_title(ERROR_TITLE)
    assert page.locator(".govuk-error-summary").is_visible()
    if outcome == "declined":
        assert_no_axe_violations(page)
    page.click(".govuk-error-summary a >> nth=0")
    assert page.evaluate("document.activeElement.id") == "offered_at-day"
    for name, value in OFFER_FIELDS.items():
        if name == "offered_how":
            page.check(f"input[name=offered_how][value={value}]")
        else:
            page.fill(f"[name='{name}']", value)
    page.click("#continue")
    page.check(f"input[name=outcome][value={outcome}]")
    page.click("#continue")
    assert page.url.endswith("/page/not_done")
    page.click("#continue")
    expect(page).to_have_title(ERROR_TITLE)
    assert page.locator(".govuk-error-summary__list li").count() == 3
    if outcome == "declined":
        assert_no_axe_violations(page)
    reason = {"declined": "declined_by_child", "unavailable": "could_not_contact"}.get(outcome, "missing_again")
    page.check(f"input[name=not_done_code][value={reason}]")
    page.fill("#outcome_reason", "Would not come to the door")
    page.fill("#attempts", "Two visits")
    page.click("#continue")
    assert page.url.endswith("/page/carers")
    if outcome == "declined":
        assert_no_axe_violations(page)
    page.fill("#carers_information", "Carer says they were with an aunt")
    page.click("#continue")
    assert page.url.endswith("/check")
    page.click("button:has-text('Sign off the interview')")
    expect(page).to_have_title(ERROR_TITLE)  # the declaration is needed
    page.check("input[name=declaration]")
    page.click("button:has-text('Sign off the interview')")
    assert "/record" in page.url
    saved = rhi_tracking.get_rhi(hub_db, rhi["rhi_id"])
    assert (saved["outcome"], saved["status"]) == (outcome, "signed_off")


def test_the_missing_team_chooses_the_episodes_an_interview_covers(page, live_server, hub_db):
    rhi = make_rhi(hub_db, None, name="Sky Start")
    episode = rhi_tracking.episodes_of(hub_db, rhi["id"])[0]["episode_id"]
    browser_sign_in(page, live_server, "missing_team")
    page.goto(live_server + f"/episodes/{episode}/interview/start")
    assert_no_axe_violations(page)
    page.uncheck(f"input[name=episodes][value={episode}]")
    page.click("button:has-text('Start the interview')")
    expect(page).to_have_title(ERROR_TITLE)
    assert_no_axe_violations(page)
    page.check(f"input[name=episodes][value={episode}]")
    page.click("button:has-text('Start the interview')")
    assert page.url.endswith(f"/interviews/{rhi['rhi_id']}/page/offer")
    assert rhi_tracking.get_rhi(hub_db, rhi["rhi_id"])["assigned_to"] == "missing_team"


def _fill_to_check(db, rhi_id: str) -> None:
    pages = {"offer": OFFER_FIELDS, "outcome": {"outcome": "completed"}}
    for slug, fields in pages.items():
        saving.save_page(db, rhi_id, slug, fields, by="practitioner")
    rhi = rhi_tracking.get_rhi(db, rhi_id)
    made_up = dict(answers._MADE_UP, held_at="2026-03-03 15:00", interviewer_name="Sam",
                   interviewer_type="social_worker", follow_up_actions=[])
    for p in navigation.visible_pages(dict(rhi, answers=json.dumps(made_up))):
        if p.slug in pages:
            continue
        saving.save_page(db, rhi_id, p.slug, {q.key: made_up.get(q.key, "") for q in p.questions},
                             by="practitioner")


def test_closing_the_window_mid_section_then_resuming_keeps_every_answer(browser, live_server, hub_db):
    rhi = make_rhi(hub_db, "practitioner")
    for slug, fields in KEYBOARD_JOURNEY[:6]:  # up to "where", the interviewer answered by the assignment
        saving.save_page(hub_db, rhi["rhi_id"], slug, fields, by="practitioner")
    first = browser.new_context()
    page = first.new_page()
    browser_sign_in(page, live_server, "practitioner")
    page.goto(live_server + f"/interviews/{rhi['rhi_id']}")
    assert page.url.endswith("/page/where")
    page.type("#where_went", "Slept at a friend's flat near the station")
    page.type("#where_area", "CR0 2")
    page.wait_for_selector("#autosave-status:has-text('Draft saved')")
    first.close()  # no Continue: the window is simply closed

    second = browser.new_context()
    page = second.new_page()
    browser_sign_in(page, live_server, "practitioner")
    page.goto(live_server + f"/interviews/{rhi['rhi_id']}")
    assert page.url.endswith("/page/where")
    assert page.input_value("#where_went") == "Slept at a friend's flat near the station"
    assert page.input_value("#where_area") == "CR0 2"
    page.goto(live_server + f"/interviews/{rhi['rhi_id']}/page/seen_alone")
    assert page.is_checked("input[name=seen_alone][value=no]")
    second.close()


def test_sign_off_then_a_correction_keeps_both_revisions(page, live_server, hub_db):
    rhi = make_rhi(hub_db, "practitioner")
    _fill_to_check(hub_db, rhi["rhi_id"])
    browser_sign_in(page, live_server, "practitioner")
    page.goto(live_server + f"/interviews/{rhi['rhi_id']}/tasks")
    assert_no_axe_violations(page)
    page.goto(live_server + f"/interviews/{rhi['rhi_id']}/check")
    page.click("a:has-text('Change risk level')")
    assert page.url.endswith("/page/risk_level?then=check")
    page.check("input[name=risk_level][value=high]")
    page.click("#continue")
    assert page.url.endswith("/check")
    page.check("input[name=declaration]")
    page.click("button:has-text('Sign off the interview')")
    assert "read-only" in page.inner_text("main")
    # A page of the signed-off interview cannot be changed: it shows the record instead.
    page.goto(live_server + f"/interviews/{rhi['rhi_id']}/page/risk_level")
    assert "/record" in page.url and page.locator("#continue").count() == 0
    page.click("a:has-text('Correct risk level')")
    assert_no_axe_violations(page)
    page.check("input[name=risk_level][value=low]")
    page.click("button:has-text('Save the correction')")
    expect(page).to_have_title(ERROR_TITLE)
    assert_no_axe_violations(page)
    page.fill("#reason", "Agreed at supervision the risk is low")
    page.click("button:has-text('Save the correction')")
    main = page.inner_text("main")
    assert "Revision 1" in main and "Revision 2" in main and "Agreed at supervision" in main
    assert_no_axe_violations(page)
    page.click("a:has-text('Revision 1')")
    assert "This is revision 1" in page.inner_text("main")
    assert "High" in page.inner_text("main")
    assert_no_axe_violations(page)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(db_path, port):
    command = [shutil.which("rhi-desk")] if shutil.which("rhi-desk") else [sys.executable, "-m", "rhi_desk"]
    process = subprocess.Popen([*command, "--db", str(db_path), "serve", "--port", str(port), "--no-browser"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("RHI Desk did not start")


def test_killing_the_app_mid_interview_loses_nothing_typed(browser, tmp_path):
    db_path = tmp_path / "killed.db"
    db = connect(db_path)
    installs.initialise(db, "field", "Croydon", "Sam's laptop")
    add_user(db, "sam", "practitioner")
    rhi = make_rhi(db, "sam")
    saving.save_page(db, rhi["rhi_id"], "offer", OFFER_FIELDS, by="sam")
    saving.save_page(db, rhi["rhi_id"], "outcome", {"outcome": "completed"}, by="sam")
    db.conn.close()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(db_path, port)
    try:
        context = browser.new_context()
        page = context.new_page()
        browser_sign_in(page, base, "sam")
        page.goto(base + f"/interviews/{rhi['rhi_id']}")
        assert page.url.endswith("/page/held")
        page.type("#place", "In the library at Croydon college")
        page.wait_for_selector("#autosave-status:has-text('Draft saved')")
        time.sleep(1)
        os.kill(server.pid, signal.SIGKILL)
        server.wait(10)
        context.close()
        server = _serve(db_path, port)
        context = browser.new_context()
        page = context.new_page()
        browser_sign_in(page, base, "sam")
        page.goto(base + f"/interviews/{rhi['rhi_id']}")
        assert page.url.endswith("/page/held")
        assert page.input_value("#place") == "In the library at Croydon college"
        context.close()
    finally:
        server.kill()
        server.wait(10)
