"""The mapping journey in a real browser (Debian's Chromium): keyboard-usable, no axe violations."""
from __future__ import annotations

import pytest
from test_import_mapping import LCS_HEADER, LCS_ROWS, write_csv

from tests.conftest import assert_no_axe_violations, browser_sign_in

pytestmark = pytest.mark.browser


def test_match_the_columns_of_a_case_system_export_then_import_it(page, live_server, hub_db, tmp_path):
    rows = [list(r) for r in LCS_ROWS]
    rows[3][7] = "Abroad"
    path = write_csv(tmp_path / "LCS export.csv", LCS_HEADER, rows)
    browser_sign_in(page, live_server, "missing_team")
    page.goto(live_server + "/import")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_url("**/import/mapping")
    assert page.get_by_label("Person ID").input_value() == "child_id"
    assert page.locator("#preview").get_by_text("2017-05-01 14:05").is_visible()
    assert_no_axe_violations(page)
    page.get_by_label("'Abroad' in Placement Location").select_option("out_of_borough")
    page.get_by_label("Save this mapping as (optional)").fill("LCS monthly")
    page.get_by_label("Save this mapping as (optional)").press("Tab")
    page.keyboard.press("Enter")  # the focus is on "Check the whole file"
    page.get_by_role("heading", name="Check the import").wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Import the episodes").click()
    page.get_by_role("heading", name="Import finished").wait_for()
    assert hub_db.execute("SELECT count(*) FROM episodes").fetchone() == (4,)


def test_past_903_returns_page(page, live_server, hub_db, tmp_path):
    first = tmp_path / "2017-18.csv"
    first.write_text("CHILD,DOB,MISSING,MIS_START,MIS_END\r\nC1,03/02/2003,M,01/05/2017,02/05/2017\r\n")
    second = tmp_path / "2018-19.csv"
    second.write_text("CHILD,DOB,MISSING,MIS_START,MIS_END\r\nC1,03/02/2003,A,01/05/2018,X\r\n")
    browser_sign_in(page, live_server, "missing_team")
    page.goto(live_server + "/import")
    page.get_by_role("link", name="Import past 903 returns").click()
    assert_no_axe_violations(page)
    page.set_input_files("input[type=file]", [str(first), str(second)])
    page.get_by_role("button", name="Check the files").click()
    page.wait_for_load_state()
    assert page.locator("#bad-rows").get_by_text("MIS_END in 2018-19.csv").is_visible()
    assert_no_axe_violations(page)
