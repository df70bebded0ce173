"""The dashboard's "as recorded on" date, publishing a table for a meeting, and the changes since, through the pages."""
from __future__ import annotations

import re
from datetime import datetime

import time_machine
from kpi_records import add_child, add_episode, add_rhi

from rhi_desk.register import rhi_tracking


def _register(db):
    with time_machine.travel(datetime(2017, 5, 2, 9, 0), tick=False):
        child = add_child(db, "C1", "2004-01-01", name="Amy Example")
        e1 = add_episode(db, "E1", child, "2017-04-03 10:00", "2017-04-03 20:00")
        add_episode(db, "E2", child, "2017-04-09 10:00", "2017-04-09 20:00")
        add_rhi(db, "R1", child, [e1])


def test_publish_a_table_then_see_a_late_write_up_as_a_change_one_click_from_its_episode(signed_in, hub_db):
    _register(hub_db)
    with time_machine.travel(datetime(2017, 5, 5, 9, 0), tick=False):
        client = signed_in("manager")
        page = client.get("/reports/?from_month=2017-04&to_month=2017-04").get_data(as_text=True)
        assert "Publish this table" in page
        response = client.post("/reports/publish", data={"meeting": "Scrutiny committee, 9 May 2017",
                                                         "first": "2017-04", "last": "2017-04", "filters": "{}"})
        assert response.status_code == 302, response.get_data(as_text=True)
        published_url = response.headers["Location"]
        refused = client.post("/reports/publish", data={"meeting": " ", "first": "2017-04", "last": "2017-04",
                                                        "filters": "{}"})
        assert refused.status_code == 400 and "Enter the meeting" in refused.get_data(as_text=True)
    with time_machine.travel(datetime(2017, 5, 12, 9, 0), tick=False):  # the interview written up late
        rhi_tracking.record_offer(hub_db, "R1", "2017-04-04 09:00", "phone", "Sam")
        rhi_tracking.record_outcome(hub_db, "R1", "completed", completed_at="2017-04-05 10:00")
        client = signed_in("manager")  # a week later: signed in again
        page = client.get(published_url).get_data(as_text=True)
        assert "Scrutiny committee, 9 May 2017" in page
        assert "figures changed since" in page
        link = re.search(r'href="(/reports/published/\d+/changes\?metric=episodes_rhi_done[^"]*)"', page)
        assert link, page
        changes = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
        assert "Counted now, not when published (1)" in changes and "E1" in changes
        assert "Counted when published, not now (0)" in changes
        dashboard = client.get("/reports/?from_month=2017-04&to_month=2017-04").get_data(as_text=True)
        assert "Scrutiny committee, 9 May 2017" in dashboard  # listed under Published tables


def test_the_dashboard_shows_the_figures_as_recorded_on_a_day(signed_in, hub_db):
    _register(hub_db)
    with time_machine.travel(datetime(2017, 5, 12, 9, 0), tick=False):
        rhi_tracking.record_offer(hub_db, "R1", "2017-04-04 09:00", "phone", "Sam")
        client = signed_in("manager")
        now_page = client.get("/reports/?from_month=2017-04&to_month=2017-04").get_data(as_text=True)
        then_page = client.get("/reports/?from_month=2017-04&to_month=2017-04&as_recorded_on=2017-05-05"
                               ).get_data(as_text=True)
        offered = r"No of children where RHI was offered</th>\s*<td[^>]*>(?:<a[^>]*>)?(\d+)"
        assert re.search(offered, now_page).group(1) == "1"
        assert re.search(offered, then_page).group(1) == "0"
        assert "as recorded at the end of 5 May 2017" in then_page
        bad = client.get("/reports/?from_month=2017-04&to_month=2017-04&as_recorded_on=2017-13-01"
                         ).get_data(as_text=True)
        assert "for example 2017-12-31" in bad
        wider = client.get("/reports/wider?part=1&from_month=2017-04&to_month=2017-04&as_recorded_on=2017-05-05")
        assert wider.status_code == 200
