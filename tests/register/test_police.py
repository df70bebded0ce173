"""Police data as police use it: references in their own fields, the College of Policing levels with every
regrading kept, places as structured fields; and a regrading to high calls for a strategy meeting."""
from __future__ import annotations

from datetime import datetime

import pytest
import time_machine

from rhi_desk import audit
from rhi_desk.actions import due
from rhi_desk.register import police
from rhi_desk.register.rules import RegisterError
from tests.actions_records import add_child, episode

NOW = datetime(2017, 4, 10, 9, 0)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_references_and_places(hub_db, clock):
    add_child(hub_db, "C1", "Amy Smith")
    episode(hub_db, "C1", "2017-04-09 18:00", episode_id="E1")
    with pytest.raises(RegisterError, match="Record where the child was found once they are found"):
        police.record_police_details(hub_db, "E1", found_place="Station")
    with pytest.raises(RegisterError, match="postcode like CR0 1AB") as exc:
        police.record_police_details(hub_db, "E1", missing_from_postcode="not a postcode")
    assert exc.value.field == "missing_from_postcode"
    with pytest.raises(RegisterError, match="type of place"):
        police.record_police_details(hub_db, "E1", missing_from_type="castle")
    made = police.record_police_details(hub_db, "E1", police_reference="CAD 1234 09/04", crime_reference="CR/5/17",
                                        compact_reference="MP-17-0042", missing_from_place="Oak House",
                                        missing_from_postcode="cr0  1ab", missing_from_type="childrens_home", by="mo")
    assert (made["police_reference"], made["crime_reference"], made["compact_reference"]) == (
        "CAD 1234 09/04", "CR/5/17", "MP-17-0042")
    assert (made["missing_from_postcode"], made["missing_from_type"]) == ("CR0 1AB", "childrens_home")
    from rhi_desk.register.episodes import record_found

    record_found(hub_db, "E1", end="2017-04-10 07:00", by="mo")
    found = police.record_police_details(hub_db, "E1", found_place="East Croydon station", found_postcode="CR0",
                                         found_type="transport", by="mo")
    assert (found["found_place"], found["found_postcode"], found["found_type"]) == (
        "East Croydon station", "CR0", "transport")
    changes = [e for e in audit.entries(hub_db, object_type="child", object_id="C1")
               if e["action"] == "episode.police_details"]
    assert len(changes) == 2


def test_regrading_keeps_the_history_and_high_calls_for_a_strategy_meeting(hub_db, clock):
    add_child(hub_db, "C1", "Amy Smith")
    episode(hub_db, "C1", "2017-04-09 18:00", episode_id="E1", police_risk="medium")
    assert police.current_grade({"police_risk": "no_apparent"}) == "very_low"
    assert [a.kind for a in due.due(hub_db)] == []
    with pytest.raises(RegisterError, match="before the child went missing"):
        police.regrade(hub_db, "E1", "high", graded_at="2017-04-09 17:00")
    with pytest.raises(RegisterError, match="future"):
        police.regrade(hub_db, "E1", "high", graded_at="2017-04-10 10:00")
    with pytest.raises(RegisterError, match="risk level"):
        police.regrade(hub_db, "E1", "extreme", graded_at="2017-04-10 08:00")
    updated = police.regrade(hub_db, "E1", "high", graded_at="2017-04-10 08:00", graded_by="PS 123 Jones",
                             reason="Seen with older males in a car", by="mo")
    assert updated["police_risk"] == "high"
    history = police.gradings(hub_db, updated["id"])
    assert [(g["grade"], g["graded_at"], g["graded_by"]) for g in history] == [
        ("medium", "2017-04-09 18:00", "With the missing notification"),
        ("high", "2017-04-10 08:00", "PS 123 Jones")]
    strategy = [a for a in due.due(hub_db) if a.kind == "strategy"]
    assert strategy[0].reason == "Police risk graded high"
    assert strategy[0].deadline == datetime(2017, 4, 11, 8, 0)  # 24 hours from the regrading
    lowered = police.regrade(hub_db, "E1", "very_low", graded_at="2017-04-10 08:30", by="mo")
    assert lowered["police_risk"] == "no_apparent" and police.current_grade(lowered) == "very_low"
    assert [a.kind for a in due.due(hub_db)] == []  # no longer high


def test_the_episode_page_shows_and_changes_police_data(hub_db, clock, signed_in):
    add_child(hub_db, "C1", "Amy Smith")
    episode(hub_db, "C1", "2017-04-09 18:00", "2017-04-10 07:00", episode_id="E1", police_risk="low")
    client = signed_in("missing_team")
    response = client.post("/episodes/E1/police", data={
        "police_reference": "CAD 77", "crime_reference": "", "compact_reference": "MP-1",
        "missing_from_place": "Home", "missing_from_postcode": "CR0 2", "missing_from_type": "home",
        "found_place": "", "found_postcode": "", "found_type": ""})
    assert "postcode like CR0 1AB" in response.get_data(as_text=True)
    client.post("/episodes/E1/police", data={
        "police_reference": "CAD 77", "crime_reference": "", "compact_reference": "MP-1",
        "missing_from_place": "Home", "missing_from_postcode": "CR0 2AB", "missing_from_type": "home",
        "found_place": "Park", "found_postcode": "CR0", "found_type": "public"})
    client.post("/episodes/E1/police/risk", data={"grade": "medium", "graded_date": ["10", "4", "2017"],
                                                  "graded_time": "08:00", "graded_by": "PC 9"})
    page = client.get("/episodes/E1").get_data(as_text=True)
    section = page[page.index('id="police"'):]
    assert "CAD 77" in section and "MP-1" in section and "Home, CR0 2AB, Home (parent or family)" in section
    assert "Park, CR0, A public place (street, park, shops)" in section
    assert "Risk now (College of Policing)" in section and "Medium" in section
    table = section[section.index('id="police-gradings"'):].split("</table>")[0]
    assert "Low" in table and "PC 9" in table
