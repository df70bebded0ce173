"""The information governance team's views: the audit log filtered and paged through every entry, and a
subject access request export of everything held about one child."""
from __future__ import annotations

import json

import pytest
import time_machine

from rhi_desk import audit
from rhi_desk.register import children, episodes, rhi_tracking
from rhi_desk.service import governance


@pytest.fixture
def two_children(hub_db, users):
    with time_machine.travel("2017-04-05 10:00", tick=False):
        children.create_child(hub_db, "C1", name="Amy Smith", looked_after=False, other_la=False, by="missing_team")
        children.create_child(hub_db, "C2", name="Ben Jones", looked_after=False, other_la=False, by="missing_team")
        episode = episodes.record_missing(hub_db, "C1", episode_type="missing", start="2017-04-03 14:05",
                                          by="missing_team")
        episodes.record_found(hub_db, episode["episode_id"], end="2017-04-04 09:00", by="missing_team")
    with time_machine.travel("2017-04-06 10:00", tick=False):
        audit.record(hub_db, "child.view", username="manager", object_type="child", object_id="C1")
        audit.record(hub_db, "child.view", username="manager", object_type="child", object_id="C2")
    return episode


def test_the_audit_log_filters_by_child_user_action_and_date(signed_in, two_children):
    client = signed_in("manager")
    page = client.get("/admin/audit?child_id=C1").get_data(as_text=True)
    assert "C1" in page and "child C2" not in page and "episode.found" in page  # its episodes too
    page = client.get("/admin/audit?child_id=C1&username=manager").get_data(as_text=True)
    assert page.count("child.view") >= 1 and "episode.missing</td>" not in page
    page = client.get("/admin/audit?action=episode&date_from=2017-04-05&date_to=2017-04-05").get_data(as_text=True)
    assert "episode.missing" in page and "child.view</td>" not in page
    page = client.get("/admin/audit?date_from=5 April").get_data(as_text=True)
    assert "Enter the date as YYYY-MM-DD" in page


def test_paging_reaches_every_entry(hub_db, two_children, signed_in):
    for n in range(250):
        audit.record(hub_db, "child.view", username="manager", object_type="child", object_id="C2",
                     detail={"n": n})
    found, before = [], None
    while True:
        page = governance.search_audit(hub_db, child_id="C2", before=before)
        found += [e["id"] for e in page.entries]
        if page.older_than is None:
            break
        before = page.older_than
    assert len(found) == len(set(found)) == page.total >= 252
    client = signed_in("admin")
    first = client.get("/admin/audit?child_id=C2").get_data(as_text=True)
    assert "Older entries" in first
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get(next_url).get_data(as_text=True)
    assert "Newest entries" in second and "child_id=C2" in next_url


def test_a_subject_access_export_holds_everything_about_one_child(signed_in, two_children, hub_db):
    client = signed_in("admin")
    response = client.post("/admin/subject-access", data={"child_id": "C1"})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    export = json.loads(response.data)
    records = export["records"]
    assert [c["child_id"] for c in records["children"]] == ["C1"]
    assert [e["episode_id"] for e in records["episodes"]] == [two_children["episode_id"]]
    assert len(records["return_home_interviews"]) == 1 and "rhi_episodes" in records
    assert "C2" not in json.dumps(records)
    viewers = {(e["username"], e["action"]) for e in export["audit_log"]}
    assert ("manager", "child.view") in viewers and ("missing_team", "episode.found") in viewers
    assert audit.entries(hub_db, limit=1)[0]["action"] == "child.subject_access_export"
    page = client.post("/admin/subject-access", data={"child_id": "C404"}).get_data(as_text=True)
    assert "No child has the id C404" in page


def test_the_export_from_the_command_line(cli, two_children, tmp_path):
    result = cli("subject-access", "C1", "--out", tmp_path / "sar.json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "sar.json").read_text())["child_id"] == "C1"
    assert cli("subject-access", "C404", "--out", tmp_path / "x.json").exit_code != 0


def test_only_admins_and_managers_reach_them(signed_in, two_children):
    for role in ("missing_team", "practitioner", "provider"):
        assert signed_in(role).get("/admin/subject-access").status_code == 403
