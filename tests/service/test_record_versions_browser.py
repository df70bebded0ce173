"""Two real Chromium sessions (two browser contexts, two people) correct the same episode."""
from __future__ import annotations

import pytest
import time_machine

from rhi_desk.register import children, episodes
from tests.conftest import add_user, assert_no_axe_violations, browser_sign_in

pytestmark = pytest.mark.browser


@pytest.mark.browser
def test_two_browsers_editing_one_episode_the_second_is_told_and_nothing_is_lost(browser, live_server, hub_db):
    add_user(hub_db, "priya", "missing_team")
    with time_machine.travel("2017-04-05 10:00", tick=False):
        children.create_child(hub_db, "C1", name="Amy Smith", looked_after=False, other_la=False)
        episode = episodes.record_missing(hub_db, "C1", episode_type="missing", start="2017-04-03 14:05",
                                          reported_by="Carer", police_reference="PR-1")
    url = f"{live_server}/episodes/{episode['episode_id']}/missing"
    first_context, second_context = browser.new_context(), browser.new_context()
    try:
        first, second = first_context.new_page(), second_context.new_page()
        for page, user in ((first, "missing_team"), (second, "priya")):
            page.set_default_timeout(20_000)
            browser_sign_in(page, live_server, user)
            page.goto(url)
        first.fill("#police_reference", "PR-77")
        second.fill("#circumstances", "Seen at the bus station with an older man")
        first.click("button:has-text('Save')")
        first.wait_for_url(f"**/episodes/{episode['episode_id']}")
        second.click("button:has-text('Save')")
        second.wait_for_selector("#changed-since")
        banner = second.inner_text("#changed-since")
        assert "missing_team changed this record" in banner and "Nothing you typed has been lost" in banner
        assert "PR-1" in banner and "PR-77" in banner
        assert second.input_value("#circumstances") == "Seen at the bus station with an older man"
        assert_no_axe_violations(second)
        stored = episodes.get_episode(hub_db, episode["episode_id"])
        assert stored["police_reference"] == "PR-77" and not stored["circumstances"]
        second.click("button:has-text('Save')")  # now a deliberate choice
        second.wait_for_url(f"**/episodes/{episode['episode_id']}")
        stored = episodes.get_episode(hub_db, episode["episode_id"])
        assert stored["police_reference"] == "PR-77"
        assert stored["circumstances"] == "Seen at the bus station with an older man"
    finally:
        first_context.close()
        second_context.close()
