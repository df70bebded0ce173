"""The meetings pages: saving each meeting, agreeing actions with errors shown in place, recording them done,
the downloaded file, and who may do what."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests.actions_records import NOW, the_issues_register


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def register(hub_db, clock):
    the_issues_register(hub_db)
    return hub_db


@pytest.mark.parametrize("kind, heading", [
    ("daily", "Daily missing meeting: 10 April 2017 09:00"),
    ("weekly", "Weekly high-risk meeting: the week beginning 10 April 2017"),
    ("panel", "Monthly missing panel: April 2017"),
])
def test_each_meeting_saves_and_downloads(register, signed_in, kind, heading):
    client = signed_in("missing_team")
    live = client.get(f"/meetings/{kind}" + ("?month=2017-04" if kind == "panel" else "")).get_data(as_text=True)
    assert "Save this list and record the meeting" in live
    response = client.post(f"/meetings/{kind}/save", data={"month": "2017-04"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert heading in page and "Download this meeting as a file" in page
    again = client.post(f"/meetings/{kind}/save", data={"month": "2017-04"}, follow_redirects=True)
    assert "is already saved" in again.get_data(as_text=True)
    pk = response.headers["Location"].rsplit("/", 1)[1]
    download = client.get(f"/meetings/saved/{pk}/download")
    assert download.headers["Content-Disposition"].startswith("attachment; filename=")
    assert heading in download.get_data(as_text=True) and "<style>" in download.get_data(as_text=True)


def test_agreeing_an_action_shows_problems_in_place(register, signed_in):
    client = signed_in("missing_team")
    location = client.post("/meetings/weekly/save").headers["Location"]
    page = client.post(location, data={"agree-child_id": "REP1", "agree-action": "", "agree-owner": "",
                                       "agree-due_on": ["", "", ""]}).get_data(as_text=True)
    assert "Error: " in page and "Enter the action agreed" in page and "Enter who owns the action" in page
    page = client.post(location, data={"agree-child_id": "CALM1", "agree-action": "Visit", "agree-owner": "Mo",
                                       "agree-due_on": ["12", "4", "2017"]}).get_data(as_text=True)
    assert "Not about one child" in page  # a child not on the list is not offered...
    assert "Choose a child on this meeting&#39;s list" in page  # ...nor accepted
    client.post(location, data={"agree-child_id": "REP1", "agree-action": "Visit at home", "agree-owner": "Mo",
                                "agree-due_on": ["12", "4", "2017"]})
    page = client.get(location).get_data(as_text=True)
    assert "Visit at home" in page and "Remi Cole" in page
    action = register.execute("select id from meeting_actions").fetchone()[0]
    done = client.post(f"/meetings/actions/{action}/done", data={"done_by": "Mo", "done_on": ["10", "4", "2017"]})
    assert done.status_code == 302
    assert "Done" in client.get(location).get_data(as_text=True)


def test_managers_read_meetings_but_do_not_change_them(register, signed_in, clock):
    mo = signed_in("missing_team")
    location = mo.post("/meetings/weekly/save").headers["Location"]
    manager = signed_in("manager")
    page = manager.get(location).get_data(as_text=True)
    assert "Remi Cole" in page and "Add the action" not in page
    assert manager.post("/meetings/weekly/save").status_code == 403
    assert manager.post(location, data={"agree-action": "x"}).status_code == 403
    assert "Save this list" not in manager.get("/meetings/weekly").get_data(as_text=True)
    assert signed_in("practitioner").get("/meetings").status_code == 403


def test_a_month_that_is_not_one_is_a_sentence(register, signed_in):
    page = signed_in("missing_team").get("/meetings/panel?month=2017-13", follow_redirects=True)
    assert page.status_code == 200 and "month" in page.get_data(as_text=True).lower()
