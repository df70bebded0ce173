"""The report pages through the test client: roles, drill-downs, exports, the panel report, the high-risk list."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from kpi_records import add_child, add_episode, add_rhi
from openpyxl import load_workbook
from seed_data import build_register_rows, write_register_csv
from test_kpi_seed import SEED

from rhi_desk.register import episode_import

RANGE = "from_month=2017-04&to_month=2017-11"


class Tables(HTMLParser):
    """Every table on a page: rows of cells, each cell (text, href of its first link or None)."""

    def __init__(self, html: str):
        super().__init__()
        self.tables, self._row, self._cell, self._href, self._hidden = [], None, None, None, 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
            self.tables[-1].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell, self._href = [], None
        elif tag == "a" and self._cell is not None and self._href is None:
            self._href = attrs.get("href")
        elif tag == "span" and "govuk-visually-hidden" in (attrs.get("class") or ""):
            self._hidden += 1
        elif tag == "span" and self._hidden:
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append((" ".join("".join(self._cell).split()), self._href))
            self._cell = None
        elif tag == "span" and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if self._cell is not None and not self._hidden:
            self._cell.append(data)


@pytest.fixture
def seed_rows(hub_db, tmp_path):
    rows = build_register_rows(SEED)
    episode_import.import_episodes(hub_db, write_register_csv(tmp_path / "register.csv", rows))
    return rows


def counted_children(rows, month, done=False):
    """The children the seed's rules count in ``month`` (from the generated file, independently)."""
    return {r["child_id"] for r in rows if r["start"].startswith(month) and r["episode_type"] == "missing"
            and r["other_la"] == "N" and (not done or r["rhi_outcome"] == "completed")}


def test_only_report_roles_see_the_reports(signed_in, seed_rows):
    for role in ("admin", "missing_team", "manager"):
        response = signed_in(role).get(f"/reports/?{RANGE}")
        assert response.status_code == 200, role
        assert "RHI dashboard, April 2017 to November 2017" in response.get_data(as_text=True)
    for role in ("practitioner", "provider"):
        client = signed_in(role)
        for url in ("/reports/", f"/reports/drill?metric=episodes&{RANGE}", f"/reports/wider?part=1&{RANGE}",
                    "/reports/kpi.csv", "/reports/kpi.xlsx", "/reports/monthly", "/reports/high-risk"):
            assert client.get(url).status_code == 403, (role, url)


def test_dashboard_shows_the_seed_table_and_every_number_links_to_its_records(signed_in, seed_rows):
    client = signed_in("manager")
    html = client.get(f"/reports/?{RANGE}").get_data(as_text=True)
    table = Tables(html).tables[0]
    assert [text for text, _ in table[0][1:]] == ["Apr-17", "May-17", "Jun-17", "Jul-17", "Aug-17", "Sep-17",
                                                   "Oct-17", "Nov-17"]
    by_label = {row[0][0]: row[1:] for row in table[1:]}
    assert [t for t, _ in by_label["No of children who went missing"]] == [SEED[m]["children_missing"]
                                                                          for m in sorted(SEED)]
    assert [t for t, _ in by_label["RHIs done % episodes \u2013 all LAC"]] == [
        SEED[m]["lac_rhi_done_rate_episodes"] for m in sorted(SEED)]
    for label, cells in by_label.items():
        assert all(href for _, href in cells), f"a number in '{label}' is not a link"
    # Every chart's table is on the dashboard itself (one click away, in a details); every number links too.
    assert "Are interviews offered within 72 hours?" in html
    numbers = 0
    for wider in Tables(html.split("Publish this table for a meeting")[0]).tables[1:]:
        for row in wider[1:]:
            for text, href in row[1:]:
                if re.fullmatch(r"[\d,.]+%?", text) and not row[0][0].startswith(("Interviews held", "Episodes per")):
                    numbers += 1
                    assert href, f"{text} in {row[0][0]} is not a link"
    assert numbers > 100
    wider_html = client.get(f"/reports/wider?part=1&{RANGE}").get_data(as_text=True)
    assert "<html" not in wider_html and "Within 72 hours of the return" in wider_html
    numbers = 0
    for wider in Tables(wider_html).tables:
        for row in wider[1:]:
            for text, href in row[1:]:
                if re.fullmatch(r"[\d,.]+%?", text):
                    numbers += 1
                    assert href, f"{text} in {row[0][0]} is not a link"
    assert numbers > 100
    assert client.get(f"/reports/wider?{RANGE}").status_code == 200

    # Children who went missing in April: the drill-down lists exactly them, each linking to the child.
    href = by_label["No of children who went missing"][0][1]
    drill = client.get(href)
    assert drill.status_code == 200
    listed = Tables(drill.get_data(as_text=True)).tables[0]
    links = [row[0][1] for row in listed[1:]]
    assert len(links) == int(SEED["2017-04"]["children_missing"])
    assert {link.rsplit("/", 1)[1] for link in links} == counted_children(seed_rows, "2017-04")
    assert all(re.fullmatch(r"/children/[^/]+", link) for link in links)

    # Episodes with an RHI done in July: the list has as many rows as the number said.
    href = by_label["No of RHIs done episodes"][3][1]
    assert parse_qs(urlparse(href).query)["metric"] == ["episodes_rhi_done"]
    rows = Tables(client.get(href).get_data(as_text=True)).tables[0][1:]
    assert len(rows) == int(SEED["2017-07"]["episodes_rhi_done"])


def test_drill_down_opens_a_childs_page(signed_in, seed_rows):
    client = signed_in("missing_team")
    html = client.get("/reports/drill?metric=children_rhi_done&from_month=2017-05&to_month=2017-05")
    first_child = Tables(html.get_data(as_text=True)).tables[0][1][0][1]
    page = client.get(first_child)
    assert page.status_code == 200
    assert first_child.rsplit("/", 1)[1] in page.get_data(as_text=True)


def test_filters_change_the_figures_and_a_bad_month_says_what_to_do(signed_in, seed_rows):
    client = signed_in("manager")
    everyone = Tables(client.get(f"/reports/?{RANGE}").get_data(as_text=True)).tables[0]
    lac_only = Tables(client.get(f"/reports/?{RANGE}&lac=lac").get_data(as_text=True)).tables[0]
    episodes = lambda table: [t for t, _ in table[4][1:]]  # noqa: E731
    assert episodes(lac_only) != episodes(everyone)
    assert all(int(a) <= int(b) for a, b in zip(episodes(lac_only), episodes(everyone)))
    bad = client.get("/reports/?from_month=April&to_month=2017-11").get_data(as_text=True)
    assert "There is a problem" in bad and "Enter the first month as a year and month, for example 2017-04" in bad
    assert "<title>Error: " in bad


def test_exports_open_as_csv_and_as_an_excel_workbook(signed_in, seed_rows):
    client = signed_in("manager")
    response = client.get(f"/reports/kpi.csv?{RANGE}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["month"] for r in rows] == sorted(SEED)
    assert rows[0]["offer_rate_children"] == SEED["2017-04"]["offer_rate_children"].rstrip("%")

    response = client.get(f"/reports/kpi.xlsx?{RANGE}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["KPIs"]
    grid = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4, max_row=12)]
    assert grid[0][1:] == ["Apr-17", "May-17", "Jun-17", "Jul-17", "Aug-17", "Sep-17", "Oct-17", "Nov-17"]
    assert grid[1][0] == "No of children who went missing"
    assert grid[1][1:] == [int(SEED[m]["children_missing"]) for m in sorted(SEED)]
    offer = sheet.cell(4 + 6, 2)
    assert grid[6][0] == "RHI % offer rate for children"
    assert offer.number_format == "0.00%" and f"{offer.value * 100:.2f}%" == SEED["2017-04"]["offer_rate_children"]


def test_panel_report_shows_cohort_themes_and_providers(signed_in, hub_db, seed_rows):
    child = add_child(hub_db, "THEME1", "2002-02-02", name="Theme Child")
    episode = add_episode(hub_db, "TH-E1", child, "2017-06-10 10:00", "2017-06-10 20:00")
    add_rhi(hub_db, "TH-R1", child, [episode], offered_at="2017-06-11 10:00", outcome="completed",
            completed_at="2017-06-11 15:00", interviewer_type="provider", assigned_to="Safe Steps",
            status="signed_off", answers={"harm_indicators": ["county_lines", "cse"], "where_area": "CR0",
                                          "push_factors": ["placement"], "risk_level": "high"})
    broken = add_episode(hub_db, "TH-E2", child, "2017-06-20 10:00", "2017-06-20 20:00")
    add_rhi(hub_db, "TH-R2", child, [broken], offered_at="2017-06-21 10:00", outcome="completed",
            completed_at="2017-06-21 15:00", answers="not json at all")
    html = signed_in("manager").get(f"/reports/monthly?{RANGE}").get_data(as_text=True)
    assert "Return home interviews, April 2017 to November 2017" in html
    assert "County lines" in html and "Child sexual exploitation" in html and "CR0" in html
    assert "Provider: Safe Steps" in html
    assert "Children who went missing, by age at the start of the episode" in html
    assert 'class="rhi-chart-data" data-canvas="chart-counts"' in html and "<script>" not in html


@time_machine.travel(datetime(2024, 3, 20, 9, 0), tick=False)
def test_high_risk_list(signed_in, hub_db):
    repeat = add_child(hub_db, "R1", "2008-01-01", name="Rita Repeat")
    for n, day in enumerate(["2024-03-01", "2024-03-08", "2024-03-15"]):
        add_episode(hub_db, f"R1-{n}", repeat, f"{day} 10:00", f"{day} 18:00")
    missing = add_child(hub_db, "M1", "2009-05-05", name="Mo Missing")
    add_episode(hub_db, "M1-0", missing, "2024-03-19 07:00")
    concern = add_child(hub_db, "X1", "2007-07-07", name="Xan Concern")
    e1 = add_episode(hub_db, "X1-0", concern, "2024-03-01 10:00", "2024-03-01 20:00")
    add_rhi(hub_db, "X-R1", concern, [e1], offered_at="2024-03-02 10:00", outcome="completed",
            completed_at="2024-03-02 12:00", status="signed_off", signed_off_at="2024-03-03 09:00",
            answers={"harm_indicators": ["cce"], "where_area": "Brixton", "risk_level": "high",
                     "follow_up_actions": [
                         {"action": "Refer to the CCE panel", "owner": "Ann", "due": "2024-03-18", "done": False},
                         {"action": "Call the school", "owner": "Bob", "due": "2024-03-25", "done": False},
                         {"action": "Already done", "owner": "Cy", "due": "2024-03-10", "done": True},
                         {"action": "Next month", "owner": "Di", "due": "2024-04-30", "done": False},
                         "not an action"]})
    old = add_child(hub_db, "O1", "2007-07-07", name="Olga Old")
    e2 = add_episode(hub_db, "O1-0", old, "2024-01-01 10:00", "2024-01-01 20:00")
    add_rhi(hub_db, "O-R1", old, [e2], offered_at="2024-01-02 10:00", outcome="completed",
            completed_at="2024-01-02 12:00", status="signed_off", signed_off_at="2024-01-05 09:00",
            answers={"harm_indicators": ["cse"]})
    broken = add_child(hub_db, "B1", "2007-07-07", name="Bea Broken")
    e3 = add_episode(hub_db, "B1-0", broken, "2024-03-05 10:00", "2024-03-05 20:00")
    add_rhi(hub_db, "B-R1", broken, [e3], status="signed_off", signed_off_at="2024-03-06 09:00",
            answers='{"harm_indicators": "gangs", "follow_up_actions": {"due": 5}}')

    response = signed_in("manager").get("/reports/high-risk")
    assert response.status_code == 200
    tables = {name: Tables(response.get_data(as_text=True)).tables[i]
              for i, name in enumerate(["missing", "repeat", "concerns", "actions"])}
    assert [row[0][0] for row in tables["missing"][1:]] == ["Mo Missing"]
    assert tables["missing"][1][3][0] == "1 day 2 hours"
    assert [row[0][0] for row in tables["repeat"][1:]] == ["Rita Repeat"]
    concerns = {row[0][0]: row[1][0] for row in tables["concerns"][1:]}
    assert concerns == {"Xan Concern": "Child criminal exploitation", "Bea Broken": "Gangs"}
    actions = [(row[1][0], "Overdue" in row[3][0]) for row in tables["actions"][1:]]
    assert actions == [("Refer to the CCE panel", True), ("Call the school", False)]
    assert all(row[0][1].startswith("/children/") for t in tables.values() for row in t[1:])
