"""Who may open an interview is decided by user and organisation ids, never by a display name."""
from __future__ import annotations

from rhi_desk import accounts
from tests.conftest import PASSWORD, sign_in
from tests.interviews_support import make_rhi


def test_a_provider_named_like_the_social_worker_cannot_open_the_workers_interview(app, users, hub_db):
    accounts.create_user(hub_db, "sam.worker", PASSWORD, "practitioner", display_name="Sam Jones")
    rhi = make_rhi(hub_db, "Sam Jones", name="Robin Private")
    # Made afterwards, with the same display name, in another organisation.
    accounts.create_user(hub_db, "sam.provider", PASSWORD, "provider", display_name="Sam Jones",
                         organisation="Other Provider")
    provider, worker = app.test_client(), app.test_client()
    sign_in(provider, "sam.provider")
    sign_in(worker, "sam.worker")
    url = f"/interviews/{rhi['rhi_id']}/page/offer"
    assert provider.get(url).status_code in (403, 404)
    assert "Robin Private" not in provider.get("/interviews").get_data(as_text=True)
    assert worker.get(url).status_code == 200
    assert "Robin Private" in worker.get("/interviews").get_data(as_text=True)


def test_an_ambiguous_name_opens_to_nobody_but_the_hub(app, users, hub_db):
    accounts.create_user(hub_db, "a.one", PASSWORD, "practitioner", display_name="Alex Smith")
    accounts.create_user(hub_db, "a.two", PASSWORD, "practitioner", display_name="Alex Smith")
    rhi = make_rhi(hub_db, "Alex Smith")
    assert rhi["assigned_user"] is None
    for username in ("a.one", "a.two"):
        client = app.test_client()
        sign_in(client, username)
        assert client.get(f"/interviews/{rhi['rhi_id']}/page/offer").status_code in (403, 404)


def test_a_provider_organisation_sees_its_interviews(app, users, hub_db):
    rhi = make_rhi(hub_db, "Safe Steps", name="Casey Provided")
    assert rhi["assigned_org"] == "Safe Steps"
    client = app.test_client()
    sign_in(client, "provider")  # the users fixture's provider works for Safe Steps
    assert "Casey Provided" in client.get("/interviews").get_data(as_text=True)
