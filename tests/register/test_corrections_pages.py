"""Corrections through the pages: void, reopen, status, and why an RHI was not done, each with a reason."""
from __future__ import annotations

from datetime import datetime

import time_machine

from rhi_desk.register import children, episodes


def _episode(db):
    children.create_child(db, "C1", name="Amy Example", date_of_birth="2004-01-01")
    e = episodes.record_missing(db, "C1", start="2017-04-03 10:00")
    episodes.record_found(db, e["episode_id"], end="2017-04-03 20:00")
    return e["episode_id"]


def test_void_reopen_and_status_corrections_need_a_reason_and_show_on_the_record(signed_in, hub_db):
    with time_machine.travel(datetime(2017, 4, 10, 9, 0), tick=False):
        episode_id = _episode(hub_db)
        client = signed_in("missing_team")
        page = client.get(f"/episodes/{episode_id}").get_data(as_text=True)
        assert "Void the episode" in page and "Reopen the episode" in page
        refused = client.post(f"/episodes/{episode_id}/status", data={"looked_after": "y", "placement": "in_borough",
                                                                      "reason": ""})
        assert "Enter why you are making this correction" in refused.get_data(as_text=True)
        done = client.post(f"/episodes/{episode_id}/status", data={"looked_after": "y", "placement": "in_borough",
                                                                   "reason": "In care since March"})
        assert done.status_code == 302
        assert "Looked after, in borough" in client.get(f"/episodes/{episode_id}").get_data(as_text=True)
        assert client.post(f"/episodes/{episode_id}/reopen", data={"reason": "Wrong report closed"}).status_code == 302
        assert "Missing now" in client.get(f"/episodes/{episode_id}").get_data(as_text=True)
        assert client.post(f"/episodes/{episode_id}/void", data={"reason": "Entered twice"}).status_code == 302
        page = client.get(f"/episodes/{episode_id}").get_data(as_text=True)
        assert "Voided" in page and "Entered twice" in page and "counted nowhere" in page
        child_page = client.get("/children/C1").get_data(as_text=True)
        assert "rhi-voided" in child_page and "<del>" in child_page
        manager = signed_in("manager")
        assert manager.get(f"/episodes/{episode_id}/void").status_code == 403
        assert manager.get(f"/episodes/{episode_id}/restore").status_code == 403
        # A void made in error is undone, with a reason, from the same page.
        assert "Undo the void" in page and "Void the episode" not in page
        assert client.post(f"/episodes/{episode_id}/restore", data={"reason": ""}).status_code == 200
        assert client.post(f"/episodes/{episode_id}/restore",
                           data={"reason": "Not a duplicate: two reports"}).status_code == 302
        page = client.get(f"/episodes/{episode_id}").get_data(as_text=True)
        assert "counted nowhere" not in page and "Void the episode" in page
        assert "<del>" not in client.get("/children/C1").get_data(as_text=True)


def test_why_not_done_is_chosen_from_the_coded_list(signed_in, hub_db):
    with time_machine.travel(datetime(2017, 4, 10, 9, 0), tick=False):
        episode_id = _episode(hub_db)
        rhi_id = hub_db.execute("select rhi_id from return_home_interviews").fetchone()[0]
        client = signed_in("missing_team")
        page = client.get(f"/episodes/{episode_id}/rhis/{rhi_id}/not-done").get_data(as_text=True)
        assert "Parent or carer refused" in page and "Moved out of the area" in page
        response = client.post(f"/episodes/{episode_id}/rhis/{rhi_id}/not-done", data={"code": "other", "text": ""})
        assert "Say why the interview was not done" in response.get_data(as_text=True)
        response = client.post(f"/episodes/{episode_id}/rhis/{rhi_id}/not-done",
                               data={"code": "could_not_contact", "text": "Phone off for a week"})
        assert response.status_code == 302
        assert hub_db.execute("select outcome, not_done_code from return_home_interviews").fetchone() == \
            ("unavailable", "could_not_contact")
