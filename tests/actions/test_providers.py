"""Spot-purchased providers for the commissioner: records, per provider per month figures, and the invoice list
dated by when the interview was held."""
from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from rhi_desk import audit
from rhi_desk.actions import providers
from rhi_desk.actions.providers import ProviderError
from rhi_desk.register import rhi_tracking
from tests.actions_records import add_child, episode

NOW = datetime(2017, 6, 10, 9, 0)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _rhi(db, episode_id):
    return list(db.query("select r.rhi_id from return_home_interviews r join rhi_episodes re on re.rhi = r.id "
                         "join episodes e on e.id = re.episode where e.episode_id = ?", [episode_id]))[0]["rhi_id"]


def provider_register(db):
    safe = providers.save_provider(db, "Safe Steps", contract="SS-2017 (April 2017 to March 2018)",
                                   unit_price="185", by="mo")
    providers.save_provider(db, "Other Org", contract=None, unit_price="150.50", by="mo")
    # Went missing in April, returned on 30 April, interviewed on 2 May: April's figures, May's invoice.
    add_child(db, "P1", "Pia One", looked_after=True, placement="out_of_borough")
    episode(db, "P1", "2017-04-29 18:00", "2017-04-30 20:00", episode_id="E-P1")
    r1 = _rhi(db, "E-P1")
    rhi_tracking.assign(db, r1, "provider", "safe steps", by="mo")
    rhi_tracking.record_offer(db, r1, "2017-05-01 10:00", "phone", "Safe Steps", by="mo")
    rhi_tracking.record_outcome(db, r1, "completed", completed_at="2017-05-02 15:00", by="mo")
    # Returned in May, offered late, declined.
    add_child(db, "P2", "Pat Two", looked_after=True, placement="out_of_borough")
    episode(db, "P2", "2017-05-10 18:00", "2017-05-11 08:00", episode_id="E-P2")
    r2 = _rhi(db, "E-P2")
    rhi_tracking.assign(db, r2, "provider", "Safe Steps", by="mo")
    rhi_tracking.record_offer(db, r2, "2017-05-16 10:00", "letter", "Safe Steps", by="mo")
    rhi_tracking.record_outcome(db, r2, "declined", reason="Did not want to talk", by="mo")
    # Returned in May, not seen yet; and one assigned to the other provider.
    add_child(db, "P3", "Pam Three", looked_after=True, placement="out_of_borough")
    episode(db, "P3", "2017-05-20 18:00", "2017-05-21 08:00", episode_id="E-P3")
    rhi_tracking.assign(db, _rhi(db, "E-P3"), "provider", "Safe Steps", by="mo")
    return safe


def test_figures_per_month_and_the_invoice_dated_by_when_held(hub_db, clock):
    safe = provider_register(hub_db)
    april, may = providers.month_figures(hub_db, safe, "2017-04", "2017-05")
    assert (april["assigned"], april["offered_in_72h"], april["completed"], april["held"]) == (1, 1, 1, 0)
    assert (may["assigned"], may["offered_in_72h"], may["declined"], may["not_done"]) == (2, 0, 1, 1)
    assert may["not_done_why"] == [("No outcome recorded yet", 1)]
    assert may["held"] == 1 and may["invoice_pence"] == 18500
    lines = providers.invoice(hub_db, safe, "2017-05")
    assert [(line["held"], line["child_id"], line["price_pence"]) for line in lines] == [
        ("2017-05-02 15:00", "P1", 18500)]
    assert providers.invoice(hub_db, safe, "2017-04") == []


def test_provider_records_are_checked_and_audited(hub_db, clock):
    with pytest.raises(ProviderError, match="unit price in pounds"):
        providers.save_provider(hub_db, "X", contract=None, unit_price="lots")
    with pytest.raises(ProviderError, match="unit price in pounds"):
        providers.save_provider(hub_db, "X", contract=None, unit_price="1.234")
    with pytest.raises(ProviderError, match="Enter the provider's name"):
        providers.save_provider(hub_db, " ", contract=None, unit_price="10")
    made = providers.save_provider(hub_db, "Safe Steps", contract=None, unit_price="£1,185.50", by="mo")
    assert made["unit_price_pence"] == 118550
    with pytest.raises(ProviderError, match="already a provider called safe steps"):
        providers.save_provider(hub_db, "safe steps", contract=None, unit_price="10")
    providers.save_provider(hub_db, "Safe Steps Ltd", contract="C1", unit_price="190", provider_pk=made["id"],
                            by="mo")
    assert [e["action"] for e in audit.entries(hub_db, object_type="provider")] == ["provider.change",
                                                                                   "provider.add"]


def test_the_commissioners_pages(hub_db, clock, signed_in):
    safe = provider_register(hub_db)
    client = signed_in("manager")
    page = client.get("/providers?month=2017-05").get_data(as_text=True)
    row = page[page.index("Safe Steps</a>"):].split("</tr>")[0]
    assert "£185.00" in row and "SS-2017" in row
    detail = client.get(f"/providers/{safe['id']}?month=2017-05").get_data(as_text=True)
    assert "Invoice list: interviews held in May 2017 (1)" in detail and "P1" in detail
    assert "No outcome recorded yet (1)" in detail
    csv_text = client.get(f"/providers/{safe['id']}/invoice.csv?month=2017-05").get_data(as_text=True)
    assert csv_text.splitlines()[1].startswith("Safe Steps,2017-05-02 15:00,")
    assert csv_text.splitlines()[-1] == "total,,,,1 interviews,185.00,"
    assert client.get("/providers/new").status_code == 403
    mo = signed_in("missing_team")
    bad = mo.post("/providers/new", data={"name": "New Org", "unit_price": "abc"}).get_data(as_text=True)
    assert "Enter the unit price in pounds" in bad
    assert mo.post("/providers/new", data={"name": "New Org", "unit_price": "99", "active": "y"}).status_code == 302
    assert "New Org" in mo.get("/providers").get_data(as_text=True)
