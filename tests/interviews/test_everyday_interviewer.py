"""Who held the interview comes from the assignment and the signed-in user (not asked again), and a provider
cannot change the offer the hub recorded."""
from __future__ import annotations

import pytest
from conftest import add_user, sign_in
from interviews_support import make_rhi
from sync_support import EPISODES, insert_episode

from rhi_desk import create_app
from rhi_desk.interviews import navigation, saving
from rhi_desk.interviews.questions import InterviewError
from rhi_desk.register import rhi_tracking
from rhi_desk.sync import keys, receive, send

OFFER = {"offered_at-day": "2", "offered_at-month": "3", "offered_at-year": "2026", "offered_at-time": "11:00",
         "offered_how": "phone", "offered_by": "Sam Worker"}
HELD = {"held_at-day": "3", "held_at-month": "3", "held_at-year": "2026", "held_at-time": "15:30",
        "place": "At school"}


def test_the_interviewer_page_is_answered_from_the_user_and_the_assignment(signed_in, hub_db):
    rhi = make_rhi(hub_db, "practitioner")
    rhi_tracking.assign(hub_db, rhi["rhi_id"], "social_worker", "practitioner")
    client = signed_in("practitioner")
    base = f"/interviews/{rhi['rhi_id']}/page"
    client.post(base + "/offer", data=OFFER)
    client.post(base + "/outcome", data={"outcome": "completed"})
    after_held = client.post(base + "/held", data=HELD)
    assert after_held.headers["Location"].endswith("/page/seen_alone"), "the interviewer page is not asked"
    values = navigation.facts(rhi_tracking.get_rhi(hub_db, rhi["rhi_id"]))
    assert (values["interviewer_name"], values["interviewer_type"]) == ("Practitioner", "social_worker")


@pytest.fixture
def field_with_hub_offer(hub_db, field_db, tmp_path):
    keys.enrol(hub_db, keys.identity_json(field_db))
    keys.enrol(field_db, keys.identity_json(hub_db))
    insert_episode(hub_db, *EPISODES[0])
    rhi = send.assign_episode(hub_db, "E-1001", "Safe Steps")
    rhi_tracking.record_offer(hub_db, rhi["rhi_id"], "2026-11-22 12:00", "phone", "Mo Missing-Team")
    receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "p").path.read_bytes())
    add_user(field_db, "pat", "provider", organisation="Safe Steps")
    return rhi["rhi_id"]


def test_a_provider_cannot_change_the_offer_the_hub_recorded(field_db, tmp_path, field_with_hub_offer):
    rhi_id = field_with_hub_offer
    with pytest.raises(InterviewError, match="recorded this offer"):
        saving.save_page(field_db, rhi_id, "offer", OFFER, by="pat")
    app = create_app({"DATABASE": str(tmp_path / "field.db"), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    sign_in(client, "pat")
    page = client.get(f"/interviews/{rhi_id}/page/offer").get_data(as_text=True)
    assert "It cannot be changed here" in page and 'name="offered_by"' not in page
    moved = client.post(f"/interviews/{rhi_id}/page/offer", data=OFFER)
    assert moved.headers["Location"].endswith("/page/outcome")
    assert rhi_tracking.get_rhi(field_db, rhi_id)["offered_by"] == "Mo Missing-Team"
