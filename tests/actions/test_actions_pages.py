"""The actions pages: Today shows what is due and what is overdue; recording each kind of action; referrals and
interventions on the child's page."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from rhi_desk import audit
from tests.actions_records import NOW, complete_interview, the_issues_register


@pytest.fixture
def clock():
    """The clock frozen at NOW; tests move it (and sign in after moving: a session locks when idle)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def register(hub_db, clock):
    the_issues_register(hub_db)
    return hub_db


def test_today_lists_the_actions_due_and_overdue_stands_out(register, signed_in, clock):
    clock.move_to(NOW + timedelta(hours=12))
    page = signed_in("missing_team").get("/today").get_data(as_text=True)
    assert "Actions due (" in page and "1 overdue" in page
    assert "1 action past its deadline." in page
    section = page[page.index('id="actions-due-table"'):page.index('id="missing-now"')]
    assert section.count("rhi-overdue") == 1
    overdue_row = section[section.index("rhi-overdue"):].split("</tr>")[0]
    assert "Tell the responsible council" in overdue_row and "Olu Ade" in overdue_row and "Overdue" in overdue_row
    assert "Tell the host council" in section and "Hold a strategy meeting or discussion" in section
    assert "Cal Moss" not in section


@pytest.mark.parametrize("key, data, flash", [
    ("notify_responsible:E-OLA1", {"how": "email", "to_whom": "Sutton duty desk"}, "tell the responsible council"),
    ("notify_host:E-OOB1", {"how": "phone", "to_whom": "Kent missing coordinator"}, "tell the host council"),
    ("notify_iro:E-OOB1", {"how": "email", "to_whom": "Jo Iro"}, "tell the child&#39;s independent reviewing officer"),
    ("ola_outcome:E-OLA1", {"outcome": "completed"}, "record the interview outcome"),
    ("strategy:E-REP1-2", {"how": "meeting", "notes": "Safety plan"}, "hold a strategy meeting"),
])
def test_recording_each_kind_of_action(register, signed_in, clock, key, data, flash):
    clock.move_to(NOW + timedelta(hours=1))
    client = signed_in("missing_team")
    if True:
        form = client.get(f"/actions/{key}/done").get_data(as_text=True)
        assert "Missing team" in form  # who did it: the signed-in user by default
        empty = client.post(f"/actions/{key}/done", data={"done_by": "Mo"}).get_data(as_text=True)
        assert "Error: " in empty and "Enter the date it was done" in empty
        response = client.post(f"/actions/{key}/done?next=/today", data={
            "done_date": ["10", "4", "2017"], "done_time": "09:30",
            "done_by": "Mo Khan", **data})
        assert response.status_code == 302 and response.headers["Location"] == "/today"
        today = client.get("/today").get_data(as_text=True)
    assert f"Recorded: {flash}" in today
    assert key not in today
    assert [e for e in audit.entries(register, object_type="child") if e["action"] == "action.done"]
    again = client.get(f"/actions/{key}/done", follow_redirects=True).get_data(as_text=True)
    assert "no longer due" in again


def test_a_notice_needs_how_and_to_whom(register, signed_in):
    client = signed_in("missing_team")
    if True:
        page = client.post("/actions/notify_host:E-OOB1/done", data={
            "done_date": ["10", "4", "2017"], "done_time": "08:30",
            "done_by": "Mo"}).get_data(as_text=True)
    assert "Choose how they were told" in page


def test_managers_read_but_do_not_record(register, signed_in):
    client = signed_in("manager")
    if True:
        page = client.get("/children/OOB1").get_data(as_text=True)
        assert "Tell the host council" in page and "Record as done" not in page
        assert client.get("/actions/notify_host:E-OOB1/done").status_code == 403


def test_referrals_and_interventions_on_the_childs_page(register, signed_in, hub_db, clock):
    clock.move_to(NOW + timedelta(hours=2))
    client = signed_in("missing_team")
    if True:
        rhi = complete_interview(hub_db, "E-REP1-2", referrals=["cse_cce_panel"])
        page = client.get("/children/REP1").get_data(as_text=True)
        assert "Make the referral decided in the interview" in page and "CSE or CCE panel" in page
        client.post(f"/actions/referral:{rhi}:cse_cce_panel/done", data={
            "done_date": ["10", "4", "2017"], "done_time": "10:30",
            "done_by": "Mo Khan", "notes": "Panel Thursday"})
        response = client.post("/children/REP1/referrals/new", data={
            "kind": "nrm", "made_date": ["10", "4", "2017"],
            "made_time": "10:45", "made_by": "Mo Khan"})
        assert response.status_code == 302
        page = client.get("/children/REP1").get_data(as_text=True)
        assert "Make the referral decided" not in page
        assert "The CSE/CCE (exploitation) panel" in page and "Decided in an interview" in page
        assert "The National Referral Mechanism" in page
        pk = hub_db.execute("select id from referrals where kind = 'nrm'").fetchone()[0]
        bad = client.post(f"/referrals/{pk}/outcome", data={
            "outcome": "Reasonable grounds", "outcome_date": ["9", "4", "2017"]}).get_data(as_text=True)
        assert "cannot be known before the referral was made" in bad
        client.post(f"/referrals/{pk}/outcome", data={
            "outcome": "Reasonable grounds decision", "outcome_date": ["10", "4", "2017"]})
        client.post("/children/REP1/interventions/new", data={
            "name": "Safer choices, 6 sessions", "offered_date": ["10", "4", "2017"]})
        ipk = hub_db.execute("select id from interventions").fetchone()[0]
        wrong = client.post(f"/interventions/{ipk}", data={"status": "completed", "on_date": ["10", "4", "2017"]})
        assert "Not a valid choice" in wrong.get_data(as_text=True)
        client.post(f"/interventions/{ipk}", data={"status": "started", "on_date": ["10", "4", "2017"]})
        page = client.get("/children/REP1").get_data(as_text=True)
    assert "Reasonable grounds decision" in page
    row = page[page.index("Safer choices, 6 sessions"):].split("</tr>")[0]
    assert "Started" in row


def test_the_dashboard_counts_interventions_against_later_episodes(register, signed_in, clock, hub_db):
    from rhi_desk.actions import referrals

    done = referrals.offer_intervention(hub_db, "REP1", "Safer choices", offered_on="2017-03-21", by="mo")
    referrals.move_intervention(hub_db, done["id"], "started", on="2017-03-22", by="mo")
    referrals.move_intervention(hub_db, done["id"], "completed", on="2017-04-01", by="mo")
    no = referrals.offer_intervention(hub_db, "CALM1", "Mentoring", offered_on="2017-04-06", by="mo")
    referrals.move_intervention(hub_db, no["id"], "declined", on="2017-04-07", by="mo")
    page = signed_in("manager").get("/reports/?from_month=2017-03&to_month=2017-04").get_data(as_text=True)
    table = page[page.index('id="interventions-table"'):].split("</table>")[0]
    completed = table[table.index("Completed"):].split("</tr>")[0]
    # Remi went missing again on 9 April, after the intervention ended on 1 April: 1 child, 1 episode.
    import re

    assert re.findall(r'numeric">(\d+)<', completed) == ["1", "1", "1", "1"]
    declined = table[table.index("Declined"):].split("</tr>")[0]
    assert re.findall(r'numeric">(\d+)<', declined) == ["1", "1", "0", "0"]  # Cal has not gone missing since
