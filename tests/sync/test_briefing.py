"""The interviewer's briefing: built by the hub, carried in the pack, shown on the field install's interview,
removed when the hub confirms the interview; an older pack without one still imports."""
from __future__ import annotations

import pytest
from conftest import PASSWORD, add_user, sign_in
from sync_support import EPISODES, forge, insert_episode

from rhi_desk import create_app
from rhi_desk.cli.sync import complete_assigned_rhis
from rhi_desk.register import police
from rhi_desk.sync import briefing, fileformat, keys, receive, send
from tests.conftest import assert_no_axe_violations, browser_sign_in


def _hub_with_history(hub_db, field_db):
    keys.enrol(hub_db, keys.identity_json(field_db))
    keys.enrol(field_db, keys.identity_json(hub_db))
    for row in EPISODES:
        insert_episode(hub_db, *row)
    # Two earlier episodes for Amira: one in the 12 months before, one long before; an earlier interview.
    insert_episode(hub_db, "E-0900", "C-1", "Amira Khan", "2010-03-04", "2026-06-01 20:00", "2026-06-02 08:00",
                   "out_of_borough")
    insert_episode(hub_db, "E-0100", "C-1", "Amira Khan", "2010-03-04", "2024-01-05 20:00", "2024-01-06 08:00",
                   "out_of_borough")
    hub_db.execute("update children set social_worker = 'Sam Social-Worker' where child_id = 'C-1'")
    hub_db.execute("update episodes set circumstances = 'Left after an argument; seen getting into a car', "
                   "reported_by = 'Carer at Oak House' where episode_id = 'E-1001'")
    police.record_police_details(hub_db, "E-1001", police_reference="CAD 4411", missing_from_place="Oak House",
                                 missing_from_type="childrens_home")
    send.assign_episode(hub_db, "E-0900", "Safe Steps")
    earlier = hub_db.execute("select rhi_id from return_home_interviews").fetchone()[0]
    hub_db.execute("update return_home_interviews set assigned_install = null, outcome = 'declined', "
                   "offered_at = '2026-06-02 10:00' where rhi_id = ?", [earlier])
    send.assign_episode(hub_db, "E-1001", "Safe Steps")


def test_the_hub_briefs_the_interviewer_from_its_records(hub_db, field_db):
    _hub_with_history(hub_db, field_db)
    rhi = next(hub_db.query("select * from return_home_interviews where assigned_install is not null"))
    told = briefing.for_rhi(hub_db, rhi)
    assert told["placement"] == "Out of borough" and told["social_worker"] == "Sam Social-Worker"
    assert told["missing_from"] == "Oak House (Children's home)"
    assert told["episodes"] == [{"episode_id": "E-1001", "start": "2026-11-20 21:00", "end": "2026-11-22 09:30",
                                 "circumstances": "Left after an argument; seen getting into a car",
                                 "reported_by": "Carer at Oak House", "police_reference": "CAD 4411",
                                 "police_risk": "Medium"}]
    assert told["earlier_episodes"] == {"count": 1, "dates": ["2026-06-01 20:00"]}
    assert told["earlier_interviews"] == [{"date": "2026-06-02 10:00", "outcome": "Declined by the child"}]
    assert told["risk_notes"] == "Known to be exploited by an older male"
    assert fileformat.payload_problem({"kind": "pack", "sender": "a", "recipient": "b", "sequence": 1,
                                      "children": [], "episodes": [], "assignments": [
                                          {"rhi_id": "R", "revision": 1, "child_id": "C-1", "episode_ids": ["E"],
                                           "briefing": told}]}) is None


def test_the_field_keeps_the_briefing_until_the_hub_confirms_the_interview(hub_db, field_db, tmp_path):
    _hub_with_history(hub_db, field_db)
    receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "p").path.read_bytes())
    rhi_id = field_db.execute("select rhi_id from return_home_interviews").fetchone()[0]
    assert briefing.held(field_db, rhi_id)["episodes"][0]["police_reference"] == "CAD 4411"
    complete_assigned_rhis(field_db)
    receive.receive(hub_db, send.send(field_db, "Missing team", tmp_path / "r").path.read_bytes())
    # A long retention period: the answers stay a while, but the briefing goes as soon as the hub confirms.
    hub_db.execute("update install set retention_days = 30")
    receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "c").path.read_bytes())
    assert briefing.held(field_db, rhi_id) is None
    assert field_db.execute("select count(*) from sync_briefings").fetchone()[0] == 0
    assert field_db.execute("select purged_at from return_home_interviews").fetchone()[0] is None


def test_a_pack_without_a_briefing_still_imports(hub_db, field_db, tmp_path, db_path):
    _hub_with_history(hub_db, field_db)
    made = send.send(hub_db, "Safe Steps", tmp_path / "p")
    payload = fileformat.check_file(field_db, made.path.read_bytes()).payload
    for a in payload["assignments"]:
        del a["briefing"]
    old = forge(db_path, tmp_path / "field.db", tmp_path / "old.rhisync", sequence=2, payload=payload,
                format_version=2)
    result = receive.receive(field_db, old.read_bytes())
    assert result.summary["new_assignments"] == 1
    assert field_db.execute("select count(*) from sync_briefings").fetchone()[0] == 0


def test_the_briefing_is_on_the_interviews_first_page_and_the_hubs_start(hub_db, field_db, tmp_path, signed_in):
    _hub_with_history(hub_db, field_db)
    receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "p").path.read_bytes())
    add_user(field_db, "pat", "provider", organisation="Safe Steps")
    app = create_app({"DATABASE": str(tmp_path / "field.db"), "TESTING": True, "WTF_CSRF_ENABLED": False})
    field = app.test_client()
    assert sign_in(field, "pat", PASSWORD).status_code == 302
    rhi_id = field_db.execute("select rhi_id from return_home_interviews").fetchone()[0]
    first = field.get(f"/interviews/{rhi_id}", follow_redirects=True).get_data(as_text=True)
    for fact in ("Briefing from the missing team", "Sam Social-Worker", "CAD 4411", "Oak House (Children&#39;s home)",
                 "seen getting into a car", "Declined by the child", "Known to be exploited by an older male"):
        assert fact in first, fact
    tasks = field.get(f"/interviews/{rhi_id}/tasks").get_data(as_text=True)
    assert "Briefing from the missing team" in tasks and "CAD 4411" in tasks

    hub = signed_in("missing_team")
    start = hub.get("/episodes/E-1002/interview/start").get_data(as_text=True)
    assert "Briefing" in start and "Carries a knife" in start and "CAD 4411" not in start
    start = hub.get("/episodes/E-1001/interview/start").get_data(as_text=True)
    assert "CAD 4411" in start and "1 in the 12 months before" in start


@pytest.mark.browser
def test_the_missing_team_reads_the_briefing_before_starting_an_interview(page, live_server, hub_db, field_db):
    _hub_with_history(hub_db, field_db)
    browser_sign_in(page, live_server, "missing_team")
    page.goto(live_server + "/episodes/E-1001/interview/start")
    briefing_box = page.locator("#briefing")
    assert "Sam Social-Worker" in briefing_box.inner_text()
    assert "CAD 4411" in briefing_box.inner_text() and "Declined by the child" in briefing_box.inner_text()
    assert_no_axe_violations(page)
    page.click("button:has-text('Start the interview')")
    page.wait_for_selector("#briefing-details")
    # On the interview's pages the briefing is one click away, folded so the questions come first.
    assert not page.locator("#briefing-details .govuk-details__text").is_visible()
    page.click("#briefing-details summary")
    assert "seen getting into a car" in page.locator("#briefing-details").inner_text()
    assert_no_axe_violations(page)
