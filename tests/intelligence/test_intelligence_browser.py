"""The intelligence pages in a real browser: the network drawn under the strict CSP, its table and the
themes reachable by keyboard, no axe findings."""
from __future__ import annotations

import pytest
from conftest import assert_no_axe_violations, browser_sign_in
from intelligence_support import interviewed_child

from rhi_desk.intelligence import places_people, refresh


@pytest.mark.browser
def test_network_themes_and_place_page_by_keyboard_under_the_csp(live_server, hub_db, page):
    interviewed_child(hub_db, "Amy Test", start="2026-03-04 18:00", end="2026-03-05 10:00",
                      places=[{"name": "the Crown", "kind": "shop"}], people=[{"name": "Jay", "age": "20"}],
                      screening=["out_of_area", "travel_paid", "drugs"])
    interviewed_child(hub_db, "Ben Test", start="2026-03-20 21:00", end="2026-03-21 08:00",
                      places=[{"name": "Crown pub, CR0", "area": "CR0"}], people=[{"name": "Jay"}])
    refresh.refresh(hub_db)
    crown = next(e for e in places_people.search(hub_db, "place", "") if e["name"] == "the Crown")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script("""window.__csp = []; document.addEventListener('securitypolicyviolation',
                            e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));""")
    browser_sign_in(page, live_server, "missing_team")

    page.goto(f"{live_server}/intelligence/entries/{crown['id']}")
    assert_no_axe_violations(page)
    page.click("button:has-text('Merge into this one')")
    page.wait_for_selector("text=Merged.")
    assert "Ben Test" in page.inner_text("#children-linked") and "Amy Test" in page.inner_text("#children-linked")
    assert_no_axe_violations(page)

    page.goto(f"{live_server}/intelligence/network?entry={crown['id']}&from=2026-01&to=2026-06")
    page.wait_for_selector("#network-graph[data-ready]")
    assert int(page.get_attribute("#network-graph", "data-ready")) >= 4  # 2 children, the Crown, Jay
    assert page.locator("#network-graph canvas").count() >= 1
    assert "Ben Test" in page.inner_text("#network-table")
    assert page.evaluate("() => window.__csp") == [] and not errors, errors
    assert_no_axe_violations(page)

    page.goto(f"{live_server}/intelligence/themes?from=2026-01&to=2026-03")
    assert_no_axe_violations(page)
    link = "a[href='/intelligence/themes/county_lines?month=2026-03']"
    for _ in range(200):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", link):
            break
        page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "2 children" in page.inner_text("#drill-count")

    page.goto(f"{live_server}/intelligence")
    assert_no_axe_violations(page)
    child_id = hub_db.execute("select child_id from children where name = 'Amy Test'").fetchone()[0]
    page.goto(f"{live_server}/children/{child_id}/intelligence")
    assert "High" in page.inner_text("#screening-history")
    assert_no_axe_violations(page)
    page.goto(f"{live_server}/children/{child_id}/philomena/print")
    assert_no_axe_violations(page)
    page.goto(f"{live_server}/intelligence/screening")
    assert_no_axe_violations(page)
    episode_id = hub_db.execute("select episode_id from episodes order by id limit 1").fetchone()[0]
    page.goto(f"{live_server}/episodes/{episode_id}/places-and-people")
    assert_no_axe_violations(page)
    assert page.evaluate("() => window.__csp") == []
    assert not errors, errors
