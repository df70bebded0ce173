"""Who works on what: an episode or an RHI allocated to a named team member, shown on Today and in
My interviews; moving someone else's work is a manager's decision."""
from __future__ import annotations

import pytest
import time_machine

from rhi_desk import audit
from rhi_desk.register import children, episodes, rhi_tracking
from tests.conftest import add_user, sign_in

NOW = "2017-04-05 10:00"


@pytest.fixture
def returned(hub_db, users):
    add_user(hub_db, "priya", "missing_team")
    with time_machine.travel(NOW, tick=False):
        children.create_child(hub_db, "C1", name="Amy Smith", looked_after=False, other_la=False)
        episode = episodes.record_missing(hub_db, "C1", episode_type="missing", start="2017-04-03 14:05")
        episodes.record_found(hub_db, episode["episode_id"], end="2017-04-04 20:00")
    rhi = list(hub_db.query("select rhi_id from return_home_interviews"))[0]["rhi_id"]
    return episode["episode_id"], rhi


@time_machine.travel(NOW, tick=False)
def test_allocating_shows_on_today_and_in_my_interviews(app, returned, hub_db):
    episode_id, rhi_id = returned
    team = app.test_client()
    sign_in(team, "missing_team")
    page = team.get(f"/allocate/episode/{episode_id}").get_data(as_text=True)
    assert "Who works on this episode?" in page and "Priya (priya)" in page
    assert team.post(f"/allocate/episode/{episode_id}", data={"allocated_to": "priya"}).status_code == 302
    today = team.get("/today").get_data(as_text=True)
    assert "Allocated to" in today and ">priya</td>" in today
    assert "Allocated to: <strong>priya</strong>" in team.get(f"/episodes/{episode_id}").get_data(as_text=True)
    assert team.post(f"/allocate/rhi/{rhi_id}", data={"allocated_to": "missing_team"}).status_code == 302
    mine = team.get("/interviews").get_data(as_text=True)
    assert "Amy Smith" in mine and ">You</td>" in mine
    actions = [e["action"] for e in audit.entries(hub_db, object_type="child", object_id="C1")]
    assert "episode.allocate" in actions and "rhi.allocate" in actions


@time_machine.travel(NOW, tick=False)
def test_only_a_manager_moves_someone_elses_work(app, returned, hub_db):
    episode_id, _ = returned
    priya = app.test_client()
    sign_in(priya, "priya")
    assert priya.post(f"/allocate/episode/{episode_id}", data={"allocated_to": "priya"}).status_code == 302
    colleague = app.test_client()
    sign_in(colleague, "missing_team")
    page = colleague.get(f"/allocate/episode/{episode_id}").get_data(as_text=True)
    assert "Only a manager can move it to someone else" in page
    page = colleague.post(f"/allocate/episode/{episode_id}", data={"allocated_to": "missing_team"})
    assert "only a manager can move it" in page.get_data(as_text=True)
    assert episodes.get_episode(hub_db, episode_id)["allocated_to"] == "priya"
    manager = app.test_client()
    sign_in(manager, "manager")
    assert manager.post(f"/allocate/episode/{episode_id}", data={"allocated_to": "missing_team"}).status_code == 302
    assert episodes.get_episode(hub_db, episode_id)["allocated_to"] == "missing_team"
    # Only team members can be chosen.
    page = manager.post(f"/allocate/episode/{episode_id}", data={"allocated_to": "provider"}).get_data(as_text=True)
    assert "Choose a member of the team from the list" in page
    assert signed_out_refused(app, episode_id)


def signed_out_refused(app, episode_id) -> bool:
    return app.test_client().get(f"/allocate/episode/{episode_id}").status_code == 302
