"""Assigning an interview: chosen from a list of users and field installs in one step from the episode page,
never a name that matches nobody; re-assigning one already sent to a field install warns and withdraws it."""
from __future__ import annotations

import html

import pytest
from conftest import add_user
from sync_support import EPISODES, insert_episode

from rhi_desk.register import rhi_tracking
from rhi_desk.sync import assignees, keys, receive, send
from rhi_desk.sync.fileformat import SyncError


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def sent_to_safe_steps(hub_db, field_db, tmp_path, users):
    """E-1001's interview assigned to the field install Safe Steps and sent to it in a pack."""
    keys.enrol(hub_db, keys.identity_json(field_db))
    keys.enrol(field_db, keys.identity_json(hub_db))
    insert_episode(hub_db, *EPISODES[0])
    rhi = send.assign_episode(hub_db, "E-1001", "Safe Steps")
    receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "p1").path.read_bytes())
    return rhi


def test_the_list_names_users_and_field_installs_and_nothing_else_is_accepted(hub_db, sent_to_safe_steps):
    add_user(hub_db, "sam.sw", "practitioner")
    hub_db.execute("update users set display_name = 'Sam Social-Worker' where username = 'sam.sw'")
    keys_ = {a.key: a for a in assignees.choices(hub_db)}
    assert keys_["user:sam.sw"].label == "Sam Social-Worker"
    assert any(a.install_id and a.label == "Safe Steps" for a in keys_.values())
    assert "user:admin" not in keys_ and "user:manager" not in keys_, "only people who interview"
    with pytest.raises(SyncError, match="Choose who should interview from the list"):
        assignees.assign(hub_db, sent_to_safe_steps["rhi_id"], "Sam Social Worker")


def test_reassigning_an_interview_already_sent_warns_and_withdraws_it(signed_in, hub_db, field_db, tmp_path,
                                                                      sent_to_safe_steps):
    rhi_id = sent_to_safe_steps["rhi_id"]
    client = signed_in("missing_team")
    page = text(client.get(f"/episodes/E-1001/rhi/{rhi_id}/assign"))
    assert "Sent to Safe Steps on " in page and "tells it to remove its copy" in page
    episode_page = text(client.get("/episodes/E-1001"))
    assert "Sent to Safe Steps on " in episode_page, "the warning is on the episode page too"

    saved = client.post(f"/episodes/E-1001/rhi/{rhi_id}/assign", data={"assignee": "user:practitioner"},
                        follow_redirects=True)
    shown = text(saved)
    assert "Interview assigned to Practitioner." in shown
    assert "the next file you send Safe Steps tells it to remove its copy" in shown
    rhi = rhi_tracking.get_rhi(hub_db, rhi_id)
    assert (rhi["assigned_to"], rhi["assigned_install"], rhi["interviewer_type"]) == (
        "practitioner", None, "social_worker")

    made = send.send(hub_db, "Safe Steps", tmp_path / "p2")
    summary = receive.receive(field_db, made.path.read_bytes()).summary
    assert summary.get("withdrawn") == 1
    assert field_db.execute("select count(*) from return_home_interviews where rhi_id = ?", [rhi_id]).fetchone()[0] == 0
    assert "Sent to Safe Steps" not in text(client.get("/episodes/E-1001"))


def test_assigning_in_one_step_from_the_episode_page(signed_in, hub_db, sent_to_safe_steps):
    rhi_id = sent_to_safe_steps["rhi_id"]
    client = signed_in("missing_team")
    page = text(client.get("/episodes/E-1001"))
    assert f'action="/episodes/E-1001/rhi/{rhi_id}/assign"' in page
    assert '<option value="user:practitioner">Practitioner</option>' in page
    client.post(f"/episodes/E-1001/rhi/{rhi_id}/assign", data={"assignee": "user:practitioner"})
    assert "The child&#39;s social worker: Practitioner" in client.get("/episodes/E-1001").get_data(as_text=True) \
        or "The child's social worker: Practitioner" in text(client.get("/episodes/E-1001")), \
        "the person's name, not their username"
    mine = text(signed_in("practitioner").get("/interviews"))
    assert "Amira Khan" in mine, "the social worker finds it in My interviews"
