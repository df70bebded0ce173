"""The dashboard's charts: one per question, each with its table, a summary worked out from the figures and a
drill-down; each table as CSV and Excel; the collection year and year-on-year views; overdue at a month's end."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from html import unescape

import time_machine
from kpi_records import add_child, add_episode, add_rhi
from openpyxl import load_workbook
from test_reports_pages import Tables

from rhi_desk.reports import charts, figures, headline

RANGE = "from_month=2017-09&to_month=2017-11"


def _fill(db):
    """Twelve children over September to November 2017: in borough, neighbouring and out of borough, ages 12 to 17¾."""
    births = ["2005-01-01", "2002-06-01", "2001-06-01", "2000-03-01", "2002-01-15", "2003-02-01"]
    for n in range(12):
        child = add_child(db, f"C{n}", births[n % 6], name=f"Child {n}")
        for m, month in enumerate(("2017-09", "2017-10", "2017-11")):
            episode = add_episode(db, f"E{n}-{m}", child, f"{month}-0{m + 1} 10:00", f"{month}-0{m + 1} 20:00",
                                  looked_after=n < 9, placement=("in_borough", "neighbouring", "out_of_borough")[n % 3])
            if n % 4 == 0:
                continue  # no RHI record at all
            late = n % 4 == 1
            add_rhi(db, f"R{n}-{m}", child, [episode],
                    offered_at=f"{month}-0{m + 5} 10:00" if late else f"{month}-0{m + 1} 21:00",
                    outcome="completed" if n % 4 == 2 else ("declined" if n % 4 == 3 else None),
                    completed_at=f"{month}-0{m + 2} 12:00" if n % 4 == 2 else None,
                    interviewer_type=("provider", "social_worker")[n % 2], assigned_to="Safe Steps")


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _panels(html):
    """Each chart panel: its id, summary sentence, drill-down address, table and download links."""
    out = {}
    for block in re.findall(r'<section class="rhi-chart-panel".*?</section>', html, re.S):
        chart_id = re.search(r'<canvas id="([^"]+)"', block).group(1)
        summary = re.search(r'id="[^"]+-text">(.*?)</p>', block, re.S).group(1)
        drill = re.search(r'href="([^"]+)" data-drill=', block)
        links = dict((word, unescape(href)) for href, word in re.findall(r'href="([^"]+)">(CSV|Excel)<', block))
        out[chart_id] = {"summary": unescape(" ".join(summary.split())), "drill": unescape(drill.group(1))
                         if drill else None, "tables": Tables(block).tables, "links": links,
                         "details": "<details" in block}
    return out


def test_every_question_has_a_chart_with_its_table_summary_and_drill_down(signed_in, hub_db):
    _fill(hub_db)
    with time_machine.travel(datetime(2017, 12, 20, 9, 0), tick=False):
        client = signed_in("manager")
        html = _page(client, f"/reports/?{RANGE}")
        panels = _panels(html)
        assert list(panels) == ["chart-counts", "chart-rates", "chart-offer-72h", "chart-why-not-done",
                                "chart-placement", "chart-ages", "chart-interviewers", "chart-repeat"]
        for chart_id, panel in panels.items():
            assert panel["details"] and panel["tables"], chart_id
            assert panel["summary"], chart_id
            assert set(panel["links"]) == {"CSV", "Excel"}, chart_id
        # 72 hours: 27 returns have an RHI offered or none; 9 children with no RHI and 9 offered late are missed.
        offer = panels["chart-offer-72h"]
        assert offer["summary"].startswith("Of 36 returns that can be measured, 18 (50.00%) were offered an RHI "
                                           "within 72 hours, 9 later and 9 not yet.")
        listed = Tables(_page(client, offer["drill"])).tables[0][1:]
        assert len(listed) == 18  # the drill-down lists the late and the never offered
        # Placement: each placement's done rate, worked out from the figures.
        placement = panels["chart-placement"]["summary"]
        assert "placed out of borough, 9 episodes with 33.33% RHIs done" in placement
        assert "placed in a neighbouring authority, 9 episodes with 0.00% RHIs done" in placement
        assert "The lowest rate is for children placed in a neighbouring authority" in placement
        listed = Tables(_page(client, panels["chart-placement"]["drill"])).tables[0][1:]
        assert len(listed) == 9 and all("out of borough" in row[5][0] for row in listed)
        # Ages: 17½ to 18 is its own band.
        ages = panels["chart-ages"]["summary"]
        assert "Children aged 17½ to 18 had 6 episodes (16.67%)" in ages
        assert len(Tables(_page(client, panels["chart-ages"]["drill"])).tables[0][1:]) == 6
        # Who interviews: providers and social workers, each with the share completed.
        who = panels["chart-interviewers"]["summary"]
        assert "Of 27 interviews" in who and "the child's social worker 18 (66.67%" in who
        # Repeat children: nobody went missing three times in 30 days here.
        assert panels["chart-repeat"]["summary"].startswith("No child went missing 3 or more times")


def test_why_not_done_uses_the_coded_reasons_when_the_register_has_them(signed_in, hub_db):
    _fill(hub_db)
    hub_db.execute("update return_home_interviews set not_done_code = 'parent_carer_refused' "
                   "where outcome = 'declined' and rhi_id like 'R3-%'")
    with time_machine.travel(datetime(2017, 12, 20, 9, 0), tick=False):
        beyond = figures.beyond_the_seed(hub_db, "2017-09", "2017-11")
        chart = charts.why_not_done(beyond)
        assert beyond["not_done"]["coded"]
        assert "Parent or carer refused" in chart.labels and "Declined, no reason coded" in chart.labels
        assert chart.datasets[0]["data"][chart.labels.index("Parent or carer refused")] == 3
        hub_db.execute("update return_home_interviews set not_done_code = null")
        plain = charts.why_not_done(figures.beyond_the_seed(hub_db, "2017-09", "2017-11"))
    assert "Parent or carer refused" not in plain.labels
    assert "No reason was coded in these months" in plain.summary


def test_each_table_downloads_as_csv_and_excel_with_the_figures_shown(signed_in, hub_db):
    _fill(hub_db)
    with time_machine.travel(datetime(2017, 12, 20, 9, 0), tick=False):
        client = signed_in("manager")
        panels = _panels(_page(client, f"/reports/?{RANGE}"))
        panel = panels["chart-placement"]
        shown = panel["tables"][0]
        response = client.get(panel["links"]["CSV"])
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        assert rows[0] == ["", "Sep-17", "Oct-17", "Nov-17"]
        assert [r[0] for r in rows[1:]] == [row[0][0] for row in shown[1:]]
        assert rows[1:] == [[cell[0] for cell in row] for row in shown[1:]]
        workbook = load_workbook(io.BytesIO(client.get(panel["links"]["Excel"]).data))
        sheet = workbook.active
        assert "by placement" in sheet["A1"].value
        values = [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
        assert values[0][0] == "In borough: episodes" and values[0][1:] == [3, 3, 3]
        rate = next(v for v in values if v[0] == "Out of borough: % done")
        assert rate[1:] == [0.3333, 0.3333, 0.3333]
        assert client.get(f"/reports/tables/nothing.csv?{RANGE}").status_code == 404


def test_the_collection_year_and_the_year_on_year_view(signed_in, hub_db):
    _fill(hub_db)
    child = add_child(hub_db, "OLD", "2003-01-01")
    add_episode(hub_db, "OLD-1", child, "2016-10-05 10:00", "2016-10-05 12:00")
    with time_machine.travel(datetime(2018, 1, 20, 9, 0), tick=False):
        client = signed_in("manager")
        html = _page(client, "/reports/?collection_year=2017-18")
        assert "RHI dashboard, April 2017 to March 2018" in html
        assert Tables(html).tables[0][0][1] == ("Apr-17", None) and Tables(html).tables[0][0][-1][0] == "Mar-18"
        bad = _page(client, "/reports/?collection_year=1066-67")
        assert "Choose a collection year from the list" in bad
        html = _page(client, f"/reports/?{RANGE.replace('09', '10', 1)}&view=year_on_year")
        table = next(t for t in Tables(html).tables if t[1][0][0] == "Missing episodes")
        by_label = {row[0][0]: [c[0] for c in row[1:]] for row in table[1:]}
        assert by_label["Missing episodes"] == ["12", "12"]
        assert by_label["Missing episodes, a year earlier"] == ["1", "0"]
        assert by_label["Missing episodes: change"] == ["+11", "+12"]
        assert "chart-year-on-year" in html and "against 1 in the same months a year earlier" in html


def test_overdue_now_compared_with_the_end_of_earlier_months(hub_db):
    child = add_child(hub_db, "C1")
    # Returned 1 October 2017, offered only on 10 November: overdue at the end of October, not now.
    e1 = add_episode(hub_db, "E1", child, "2017-09-30 10:00", "2017-10-01 10:00")
    add_rhi(hub_db, "R1", child, [e1], offered_at="2017-11-10 10:00")
    # Returned 20 October, never offered: overdue at the end of October and now.
    e2 = add_episode(hub_db, "E2", child, "2017-10-19 10:00", "2017-10-20 10:00")
    add_rhi(hub_db, "R2", child, [e2])
    # Returned 30 October: not yet 72 hours at the end of October; no RHI record, overdue now.
    add_episode(hub_db, "E3", child, "2017-10-30 10:00", "2017-10-30 12:00")
    with time_machine.travel(datetime(2017, 12, 1, 9, 0), tick=False):
        assert headline.overdue_at(hub_db, [headline.month_end("2017-10"), headline.month_end("2016-11")]) == [2, 0]
        result = headline.headline(hub_db, "2017-11")
        from rhi_desk.register import today

        assert result["overdue_now"]["value"] == today.today(hub_db).overdue_total == 2
    assert result["overdue_now"]["previous"]["text"] == "no change"
    assert result["overdue_now"]["year"]["text"] == "+2"


def test_the_print_page_opens_every_table_and_leaves_out_the_forms(signed_in, hub_db):
    _fill(hub_db)
    html = _page(signed_in("manager"), f"/reports/print?{RANGE}")
    assert "<details" not in html  # nothing folded away on paper: each chart's table is printed after the charts
    assert html.count('class="rhi-chart-panel"') == 8
    for caption in ("When the RHI was offered", "by the reason", "by placement", "Repeat-missing children",
                    "by interviewer type", "Missing episodes by age at the start of the episode"):
        assert caption in html.split("The figures behind each chart")[1], caption
    assert "Publish this table" not in html and 'method="get"' not in html
    assert 'id="print-report"' in html


def test_a_chart_with_nothing_behind_it_has_no_drill_down_link(signed_in, hub_db):
    _fill(hub_db)
    with time_machine.travel(datetime(2017, 12, 20, 9, 0), tick=False):
        panels = _panels(_page(signed_in("manager"), f"/reports/?{RANGE}"))
    assert panels["chart-repeat"]["drill"] is None  # nobody went missing three times in 30 days
    assert panels["chart-ages"]["drill"] is not None
