"""The dashboard at a glance in a real 1280x800 window: headline tiles and the seed table without scrolling,
a navigation that fits one line for every role, and no axe findings on the dashboard and corrections pages."""
from __future__ import annotations

import pytest
from conftest import assert_no_axe_violations, browser_sign_in
from kpi_records import add_child, add_episode, add_rhi

from rhi_desk import accounts


def _fill(db):
    for n in range(8):
        child = add_child(db, f"C{n}", f"2004-03-0{n + 1}", name=f"Child {n}")
        for m, month in enumerate(["2016-11", "2017-09", "2017-10", "2017-11"]):
            episode = add_episode(db, f"E{n}-{m}", child, f"{month}-1{n} 10:00", f"{month}-1{n} 20:00",
                                  looked_after=n % 2 == 0, placement="in_borough")
            if (n + m) % 3:
                add_rhi(db, f"R{n}-{m}", child, [episode], offered_at=f"{month}-1{n} 21:00",
                        outcome="completed" if n % 2 else None, completed_at=f"{month}-1{n} 22:00" if n % 2 else None)


@pytest.mark.browser
def test_headline_and_seed_table_fit_a_1280_by_800_window_and_the_menu_one_line(live_server, hub_db, page):
    _fill(hub_db)
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_sign_in(page, live_server, "manager")
    page.goto(live_server + "/reports/?from_month=2016-12&to_month=2017-11")
    tiles = page.locator("#headline .rhi-tile")
    assert tiles.count() == 4
    assert "on October 2017" in tiles.first.inner_text() and "on November 2016" in tiles.first.inner_text()
    table = page.locator("table.rhi-report-table").first
    box = table.bounding_box()
    page.screenshot(path="/tmp/dashboard-1280x800.png")
    assert box["y"] + box["height"] <= 800, f"the seed table ends at {box['y'] + box['height']} px"
    assert page.locator("#headline").bounding_box()["y"] >= 0
    # No row label of the seed table wraps: each header cell is one line high.
    heights = page.eval_on_selector_all("table.rhi-report-table >> nth=0 >> tbody th",
                                        "cells => cells.map(c => c.getBoundingClientRect().height)")
    assert max(heights) < 2 * min(heights), heights
    assert_no_axe_violations(page)


@pytest.mark.browser
@pytest.mark.parametrize("role", ["admin", "missing_team", "manager", "practitioner"])
def test_the_menu_fits_one_line_at_1280_px_for_every_role(live_server, hub_db, page, role):
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_sign_in(page, live_server, role)
    tops = page.eval_on_selector_all(".govuk-service-navigation__item",
                                     "items => items.map(i => Math.round(i.getBoundingClientRect().top))")
    assert tops and len(set(tops)) == 1, f"{role}: menu items on {len(set(tops))} lines"


@pytest.mark.browser
def test_the_corrections_pages_pass_axe(live_server, hub_db, page):
    from rhi_desk.register import children, episodes

    children.create_child(hub_db, "C1", name="Amy Example", date_of_birth="2004-01-01")
    e = episodes.record_missing(hub_db, "C1", start="2017-04-03 10:00")
    episodes.record_found(hub_db, e["episode_id"], end="2017-04-03 20:00")
    rhi_id = hub_db.execute("select rhi_id from return_home_interviews").fetchone()[0]
    browser_sign_in(page, live_server, "missing_team")
    for path in ("status", "void", f"rhis/{rhi_id}/not-done"):
        page.goto(f"{live_server}/episodes/{e['episode_id']}/{path}")
        assert_no_axe_violations(page)
    page.goto(f"{live_server}/episodes/{e['episode_id']}/void")
    page.fill("textarea", "Entered twice")
    page.click("button:has-text('Make the correction')")
    page.wait_for_url(f"**/episodes/{e['episode_id']}")
    assert "counted nowhere" in page.inner_text("main")
    assert_no_axe_violations(page)
    assert accounts  # the users fixture made one user per role


@pytest.mark.browser
def test_each_chart_downloads_as_a_png_picture(live_server, hub_db, page):
    _fill(hub_db)
    browser_sign_in(page, live_server, "manager")
    page.goto(live_server + "/reports/?from_month=2017-09&to_month=2017-11")
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length === 8")
    with page.expect_download() as download:
        page.click("a[data-chart-png='chart-counts']")
    path = download.value.path()
    with open(path, "rb") as picture:
        assert picture.read(8) == b"\x89PNG\r\n\x1a\n"
    assert download.value.suggested_filename == "children-and-missing-episodes.png"


@pytest.mark.browser
def test_year_on_year_view_draws_its_chart_and_a_table_downloads_from_under_its_chart(live_server, hub_db, page):
    _fill(hub_db)
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_sign_in(page, live_server, "manager")
    page.goto(live_server + "/reports/?from_month=2017-09&to_month=2017-11")
    page.click("a:has-text('Year on year')")
    page.wait_for_function("() => window.Chart && Chart.getChart('chart-year-on-year')")
    data = page.evaluate("() => Chart.getChart('chart-year-on-year').data.datasets.map(d => d.data)")
    assert data[0] == [8, 8, 8] and data[1] == [0, 0, 8]  # November 2016 had its eight episodes too
    assert "Each month beside the same month a year earlier" in page.inner_text("main")
    assert_no_axe_violations(page)
    panel = page.locator(".rhi-chart-panel", has=page.locator("#chart-ages"))
    panel.locator("summary").click()
    with page.expect_download() as download:
        panel.locator("a:has-text('CSV')").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert text.startswith(",Sep-17,Oct-17,Nov-17") and "17½ to 18" in text
