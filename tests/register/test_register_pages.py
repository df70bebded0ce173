"""The register's pages through the test client: validation, roles, audit, the 72-hour clock."""
from __future__ import annotations

import html
from datetime import datetime

import pytest
import time_machine

from rhi_desk import audit
from rhi_desk.register import children, episodes, rhi_tracking

NOW = datetime(2017, 4, 10, 9, 0)


def text(response) -> str:
    """The page as a reader sees it (entities like &#39; turned back into characters)."""
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def amy(hub_db):
    with time_machine.travel(NOW, tick=False):
        return children.create_child(hub_db, "C1", name="Amy Smith", date_of_birth="2003-05-01", sex="female",
                                     looked_after=True, placement="out_of_borough", social_worker="Sam Worker")


def missing_form(**overrides):
    data = {"episode_type": "missing", "start_date": ["3", "4", "2017"], "start_time": "14:05",
            "reported_by": "Carer", "police_reference": "PR-1", "police_risk": "medium",
            "circumstances": "Left after an argument"}
    data.update(overrides)
    return data


def found_form(**overrides):
    data = {"end_date": ["4", "4", "2017"], "end_time": "9:30am", "found_where": "Brighton station",
            "found_by": "Police", "found_how": "Brought back by police"}
    data.update(overrides)
    return data


def test_record_missing_then_found_through_the_pages(signed_in, hub_db, amy, frozen):
    client = signed_in("missing_team")
    response = client.post("/children/C1/missing", data=missing_form())
    assert response.status_code == 302
    episode_url = response.headers["Location"]
    assert episode_url == "/episodes/E-20170403-1"
    page = text(client.get(episode_url))
    assert "Missing now" in page and "Clock starts when the child returns" in page
    response = client.post(episode_url + "/found", data=found_form())
    assert response.status_code == 302
    page = text(client.get(episode_url))
    assert "Brighton station" in page
    assert "Overdue by 71 hours 30 minutes" in page  # returned 4 April 9:30am, now 10 April 9am
    assert "A spot-purchased RHI provider" in page  # out of borough: a provider by default
    child_page = text(client.get("/children/C1"))
    assert "E-20170403-1" in child_page and "Not offered yet" in child_page
    actions = [e["action"] for e in audit.entries(hub_db, object_type="child", object_id="C1")]
    assert {"episode.missing", "episode.found", "child.view"} <= set(actions)


def test_clock_shown_on_episode_page_is_the_domain_clock(signed_in, hub_db, amy):
    with time_machine.travel(datetime(2017, 4, 4, 10, 0), tick=False):
        episode = episodes.record_missing(hub_db, "C1", start="2017-04-03 14:05")
        episodes.record_found(hub_db, episode["episode_id"], end="2017-04-04 09:30")
        page = text(signed_in("missing_team").get("/episodes/E-20170403-1"))
    assert "71 hours 30 minutes left" in page


def test_missing_form_validation_messages(signed_in, hub_db, amy, frozen):
    client = signed_in("missing_team")
    page = text(client.post("/children/C1/missing", data=missing_form(start_date=["", "", ""], start_time="")))
    assert "There is a problem" in page and "Error: " in page
    assert "Enter the date the child was last seen" in page
    assert "Enter the time the child was last seen" in page
    page = text(client.post("/children/C1/missing", data=missing_form(start_date=["31", "2", "2017"],
                                                                      start_time="25:00")))
    assert "The date last seen must be a real date" in page and "Enter the time last seen like 14:05" in page
    page = text(client.post("/children/C1/missing", data=missing_form(start_date=["11", "4", "2017"])))
    assert "The time last seen must be in the past" in page
    assert episodes.timeline(hub_db, "C1") == []


def test_second_open_episode_refused_on_the_page(signed_in, hub_db, amy, frozen):
    client = signed_in("missing_team")
    client.post("/children/C1/missing", data=missing_form())
    page = text(client.post("/children/C1/missing", data=missing_form(start_date=["5", "4", "2017"])))
    assert ("Amy Smith already has an open episode from 3 April 2017, 2:05pm. "
            "Record her return before a new episode.") in page
    assert len(episodes.timeline(hub_db, "C1")) == 1


def test_found_before_missing_refused_on_the_page(signed_in, hub_db, amy, frozen):
    client = signed_in("missing_team")
    client.post("/children/C1/missing", data=missing_form())
    page = text(client.post("/episodes/E-20170403-1/found", data=found_form(end_date=["2", "4", "2017"])))
    assert "The time found must be after the time last seen" in page
    assert episodes.get_episode(hub_db, "E-20170403-1")["end"] is None


def test_add_child_then_missing(signed_in, hub_db, frozen):
    client = signed_in("missing_team")
    page = text(client.post("/children/new?then=missing", data={"child_id": "", "name": "", "looked_after": "no",
                                                                 "other_la": "yes"}))
    assert "Enter the council's id for the child" in page and "Enter the child's name" in page
    response = client.post("/children/new?then=missing", data={
        "child_id": "C77", "name": "Ben Jones", "date_of_birth": ["2", "3", "2004"], "sex": "male",
        "looked_after": "no", "other_la": "yes", "responsible_la": "Sutton"})
    assert response.headers["Location"] == "/children/C77/missing"
    page = text(client.get("/children/C77/missing"))
    assert "that council's duty (OLA)" in page
    assert audit.entries(hub_db, object_type="child", object_id="C77")[-1]["action"] == "child.create"


def test_edit_child_and_search(signed_in, hub_db, amy, frozen):
    client = signed_in("missing_team")
    response = client.post("/children/C1/edit", data={"name": "Amy Smith-Jones", "looked_after": "yes",
                                                      "placement": "in_borough", "other_la": "no"})
    assert response.status_code == 302
    assert children.get_child(hub_db, "C1")["placement"] == "in_borough"
    page = text(client.get("/children?q=smith"))
    assert "Amy Smith-Jones" in page
    page = text(client.get("/missing/new?q=C1"))
    assert "/children/C1/missing" in page
    assert "child.update" in [e["action"] for e in audit.entries(hub_db, object_type="child", object_id="C1")]


def test_type_change_page_keeps_history(signed_in, hub_db, amy, frozen):
    client = signed_in("missing_team")
    client.post("/children/C1/missing", data=missing_form())
    assert client.post("/episodes/E-20170403-1/type", data={"episode_type": "away"}).status_code == 302
    page = text(client.get("/episodes/E-20170403-1"))
    assert "Away from placement without authorisation" in page and "Type changes" in page


def test_rhi_panel_assign_offer_outcome(signed_in, hub_db, amy, frozen):
    client = signed_in("missing_team")
    client.post("/children/C1/missing", data=missing_form())
    client.post("/episodes/E-20170403-1/found", data=found_form())
    rhi = episodes.timeline(hub_db, "C1")[0].rhis[0]
    base = f"/episodes/E-20170403-1/rhi/{rhi['rhi_id']}"
    page = text(client.post(base + "/assign", data={"assignee": ""}))
    assert "Choose who should interview from the list" in page
    page = text(client.post(base + "/assign", data={"assignee": "Safe Steps"}))
    assert "Choose who should interview from the list" in page, "a name that is nobody's is refused"
    assert client.post(base + "/assign", data={"assignee": "user:provider"}).status_code == 302
    page = text(client.post(base + "/offer", data={"offered_date": ["5", "4", "2017"], "offered_time": "10:00",
                                                   "offered_by": "Mo"}))
    assert "Choose how the interview was offered" in page
    assert client.post(base + "/offer", data={"offered_date": ["5", "4", "2017"], "offered_time": "10:00",
                                              "offered_how": "phone", "offered_by": "Mo"}).status_code == 302
    page = text(client.post(base + "/outcome", data={"outcome": "declined", "reason": ""}))
    assert "Enter why the interview did not happen" in page
    assert client.post(base + "/outcome", data={"outcome": "declined", "reason": "Did not want to talk"}
                       ).status_code == 302
    page = text(client.get("/episodes/E-20170403-1"))
    assert "Safe Steps" in page and "Offered within 72 hours" in page and "Did not want to talk" in page


def test_one_rhi_covers_several_episodes(signed_in, hub_db, amy, frozen):
    client = signed_in("missing_team")
    for start, end in (("2017-04-01 10:00", "2017-04-01 12:00"), ("2017-04-03 10:00", "2017-04-03 12:00")):
        e = episodes.record_missing(hub_db, "C1", start=start)
        episodes.record_found(hub_db, e["episode_id"], end=end)
    first, second = [entry.rhis[0]["rhi_id"] for entry in reversed(episodes.timeline(hub_db, "C1"))]
    response = client.post(f"/episodes/E-20170403-1/rhi/{second}/episodes", data={"episodes": ["E-20170401-1"]})
    assert response.status_code == 302
    entries = episodes.timeline(hub_db, "C1")
    assert [[r["rhi_id"] for r in e.rhis] for e in entries] == [[second], [second]]
    assert rhi_tracking.get_rhi(hub_db, first) is None  # the untouched one was folded in


def test_manager_reads_child_and_episode_but_cannot_change(signed_in, hub_db, amy, frozen):
    episodes.record_missing(hub_db, "C1", start="2017-04-03 14:05")
    client = signed_in("manager")
    child_page = client.get("/children/C1")
    assert child_page.status_code == 200 and "Record a missing notification" not in text(child_page)
    episode_page = text(client.get("/episodes/E-20170403-1"))
    assert "Record the return" not in episode_page and "/type" not in episode_page
    assert client.get("/episodes/E-20170403-1/found").status_code == 403
    assert client.post("/children/C1/missing", data=missing_form()).status_code == 403
    today = client.get("/today")  # managers read Today (issue 17), without the buttons that change records
    assert today.status_code == 200 and "Record a missing notification" not in text(today)
    assert client.get("/children/new").status_code == 403
    views = [e for e in audit.entries(hub_db, object_type="child", object_id="C1") if e["action"] == "child.view"]
    assert [v["username"] for v in views] == ["manager", "manager"]


@pytest.mark.parametrize("role", ["practitioner", "provider"])
def test_practitioners_and_providers_never_see_the_register(signed_in, hub_db, amy, role):
    client = signed_in(role)
    for url in ("/today", "/children", "/children/C1", "/missing/new", "/children/new", "/children/C1/edit"):
        assert client.get(url).status_code == 403, url
    assert audit.entries(hub_db)[0]["action"] == "access.refused"


def test_unknown_child_or_episode_is_not_found(signed_in, amy):
    client = signed_in("missing_team")
    assert client.get("/children/NOPE").status_code == 404
    assert client.get("/episodes/NOPE").status_code == 404


def test_today_page_lists_and_links(signed_in, hub_db, amy):
    with time_machine.travel(datetime(2017, 4, 5, 12, 0), tick=False):
        e = episodes.record_missing(hub_db, "C1", start="2017-04-05 08:00")
        episodes.record_found(hub_db, e["episode_id"], end="2017-04-05 12:00")
        children.create_child(hub_db, "O1", name="Ola Child", other_la=True, responsible_la="Sutton")
        episodes.record_missing(hub_db, "O1", start="2017-04-05 10:00")
    with time_machine.travel(datetime(2017, 4, 8, 11, 59), tick=False):
        page = text(signed_in("missing_team").get("/today"))
        assert "1 minute left" in page and 'href="/children/C1"' in page
        assert "OLA: Sutton" in page and 'href="/children/O1"' in page
    with time_machine.travel(datetime(2017, 4, 8, 12, 0), tick=False):
        page = text(signed_in("missing_team").get("/today"))
        assert "Offers overdue (1)" in page and "Overdue by 0 minutes" in page


def test_home_sends_missing_team_to_today(signed_in, amy):
    response = signed_in("missing_team").get("/")
    assert response.headers["Location"] == "/today"


def test_every_change_page_opens_with_the_answers_so_far(signed_in, hub_db, amy, frozen):
    client = signed_in("missing_team")
    client.post("/children/C1/missing", data=missing_form())
    client.post("/episodes/E-20170403-1/found", data=found_form())
    rhi_id = episodes.timeline(hub_db, "C1")[0].rhis[0]["rhi_id"]
    base = f"/episodes/E-20170403-1/rhi/{rhi_id}"
    client.post(base + "/offer", data={"offered_date": ["5", "4", "2017"], "offered_time": "10:00",
                                       "offered_how": "phone", "offered_by": "Mo"})
    expected = {
        "/children/C1/edit": "Amy Smith",
        "/episodes/E-20170403-1/missing": "Left after an argument",
        "/episodes/E-20170403-1/found": "Brighton station",
        "/episodes/E-20170403-1/type": "Change the episode's type",
        base + "/assign": "Who should interview?",
        base + "/offer": 'value="10:00"',
        base + "/outcome": "Record the outcome",
        base + "/episodes": "has no other returns",
        "/children": "Amy Smith",
        "/missing/new": "Which child is missing?",
        "/children/new": "Add a child",
    }
    for url, words in expected.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert words in text(response), url
    # Correcting the missing notification re-checks and saves it.
    response = client.post("/episodes/E-20170403-1/missing", data=missing_form(start_time="13:00"))
    assert response.status_code == 302
    assert episodes.get_episode(hub_db, "E-20170403-1")["start"] == "2017-04-03 13:00"


def test_register_is_not_on_a_field_install(hub_db, signed_in, amy):
    client = signed_in("admin")
    assert client.get("/children/C1").status_code == 200
    hub_db.execute("update install set role = 'field' where id = 1")
    assert client.get("/children/C1").status_code == 404
    assert client.get("/today").status_code == 404
