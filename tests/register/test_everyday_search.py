"""Search that finds children: ids in any case, names with a typo or without a hyphen, filters, pages with a count."""
from __future__ import annotations

import html
import re
from datetime import datetime

import pytest
import time_machine
from conftest import assert_no_axe_violations, browser_sign_in

from rhi_desk.register import children, episodes
from rhi_desk.register.search import Filters, find_children

NOW = datetime(2026, 3, 12, 9, 0)


@pytest.fixture
def register(hub_db):
    with time_machine.travel(NOW, tick=False):
        children.create_child(hub_db, "IMP-C-002", name="Sam Social-Worker", date_of_birth="2010-01-01",
                              looked_after=True, placement="out_of_borough", social_worker="Kim Lee")
        children.create_child(hub_db, "C-2", name="Ben Jones", date_of_birth="2011-02-02")
        children.create_child(hub_db, "C-3", name="Chloe O'Brien", date_of_birth="2012-03-03",
                              looked_after=True, placement="in_borough", social_worker="Kim Lee")
        children.create_child(hub_db, "C-4", name="Amy Smith", date_of_birth="2009-04-04", looked_after=True,
                              placement="in_borough", other_la=True, responsible_la="Sutton")
        episodes.record_missing(hub_db, "C-3", start="2026-03-11 20:00", episode_type="missing")
    return hub_db


def ids(found) -> list[str]:
    return [c["child_id"] for c in found.children]


def test_ids_in_any_case_and_names_with_a_typo_or_without_a_hyphen(register):
    assert ids(find_children(register, "imp-c-002")) == ["IMP-C-002"]
    assert ids(find_children(register, "Sam Social Worker")) == ["IMP-C-002"]
    assert ids(find_children(register, "socialworker")) == ["IMP-C-002"]
    assert ids(find_children(register, "Jonse")) == ["C-2"], "two letters swapped"
    assert ids(find_children(register, "Ben Jone")) == ["C-2"]
    assert ids(find_children(register, "obrien")) == ["C-3"], "an apostrophe left out"
    assert ids(find_children(register, "smiht")) == ["C-4"]
    assert ids(find_children(register, "zed")) == []
    assert ids(find_children(register, "Bob")) == [], "short words match only as typed"


def test_filters_narrow_the_list(register):
    assert ids(find_children(register, "", Filters(missing_now=True))) == ["C-3"]
    assert sorted(ids(find_children(register, "", Filters(status="looked_after")))) == ["C-3", "IMP-C-002"]
    assert ids(find_children(register, "", Filters(status="ola"))) == ["C-4"]
    assert ids(find_children(register, "", Filters(status="not_looked_after"))) == ["C-2"]
    assert sorted(ids(find_children(register, "", Filters(placement="in_borough")))) == ["C-3", "C-4"]
    assert sorted(ids(find_children(register, "", Filters(social_worker="kim lee")))) == ["C-3", "IMP-C-002"]
    assert ids(find_children(register, "sam", Filters(placement="in_borough"))) == []


def test_results_are_paged_with_a_count(hub_db):
    with time_machine.travel(NOW, tick=False):
        for n in range(60):
            children.create_child(hub_db, f"P-{n:02d}", name=f"Pat Page{n:02d}")
    first = find_children(hub_db, "pat", per_page=25)
    assert (first.total, first.pages, len(first.children)) == (60, 3, 25)
    last = find_children(hub_db, "pat", page=3, per_page=25)
    assert len(last.children) == 10
    assert not set(ids(first)) & set(ids(last))


def test_the_children_page_shows_the_count_pages_and_filters(signed_in, hub_db):
    with time_machine.travel(NOW, tick=False):
        for n in range(30):
            children.create_child(hub_db, f"P-{n:02d}", name=f"Pat Page{n:02d}",
                                  looked_after=n % 2 == 0, placement="in_borough" if n % 2 == 0 else None)
        client = signed_in("missing_team")
        page = html.unescape(client.get("/children?q=PAT").get_data(as_text=True))
        assert "30 children found: page 1 of 2" in page
        assert 'href="/children?page=2&amp;q=PAT"' in client.get("/children?q=PAT").get_data(as_text=True)
        page2 = html.unescape(client.get("/children?q=PAT&page=2").get_data(as_text=True))
        assert "page 2 of 2" in page2 and len(re.findall(r'href="/children/P-\d\d"', page2)) == 5
        filtered = html.unescape(client.get("/children?q=pat&status=looked_after").get_data(as_text=True))
        assert "15 children found" in filtered


@pytest.mark.browser
def test_searching_in_the_browser(page, live_server, register):
    browser_sign_in(page, live_server, "missing_team")
    page.goto(live_server + "/children")
    page.fill("#q", "sam social worker")
    page.click("button:has-text('Search')")
    page.wait_for_url("**/children?q=*")
    assert "1 child found" in page.inner_text("#found-count")
    page.click("a:has-text('Sam Social-Worker')")
    page.wait_for_url("**/children/IMP-C-002")
    page.goto(live_server + "/children")
    page.click("text=Filters")
    page.check("#missing_now")
    page.click("button:has-text('Search')")
    page.wait_for_load_state()
    assert "1 child found" in page.inner_text("#found-count") and "Chloe O'Brien" in page.inner_text("main")
    assert_no_axe_violations(page)
