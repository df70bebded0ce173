"""The intelligence register without a request: matching, merges undone exactly, themes by month."""
from __future__ import annotations

import pytest
from intelligence_support import interviewed_child

from rhi_desk.intelligence import network, places_people, refresh, screening, themes
from rhi_desk.intelligence.places_people import IntelligenceError


def _two_children(db):
    amy = interviewed_child(db, "Amy Test", start="2026-03-04 18:00", end="2026-03-05 10:00",
                            places=[{"name": "the Crown", "area": "", "kind": "shop"}],
                            people=[{"name": "Jay", "age": "about 20", "phone": "07700 900123"}])
    ben = interviewed_child(db, "Ben Test", start="2026-03-20 21:00", end="2026-03-21 08:00",
                            places=[{"name": "Crown pub, CR0", "area": "CR0", "kind": "shop"}],
                            people=[{"name": "JAY!", "relationship": "older boy"}])
    refresh.refresh(db)
    return amy, ben


def _entry(db, words):
    return next(e for e in places_people.search(db, None, words) if words.lower() in e["name"].lower())


def test_the_same_place_spelt_differently_is_linked_after_one_merge(hub_db):
    amy, ben = _two_children(hub_db)
    crown, crown_pub = _entry(hub_db, "the Crown"), _entry(hub_db, "Crown pub")
    assert crown["id"] != crown_pub["id"]
    assert crown_pub["id"] in [c["id"] for c in places_people.candidates(hub_db, crown["id"])]
    # The nickname, spelt with other capitals and punctuation, is one person already.
    jay = _entry(hub_db, "Jay")
    assert [c["name"] for c in places_people.children_linked(hub_db, jay["id"])] == ["Ben Test", "Amy Test"]

    merge_id = places_people.merge(hub_db, crown_pub["id"], crown["id"], by="analyst")
    linked = places_people.children_linked(hub_db, crown["id"])
    assert [c["name"] for c in linked] == ["Ben Test", "Amy Test"]
    assert [m["start"] for m in places_people.mentions_of(hub_db, crown["id"])] == [
        "2026-03-20 21:00", "2026-03-04 18:00"]
    graph = network.around_child(hub_db, amy["child"])
    assert {n["label"] for n in graph["nodes"] if n["type"] == "child"} == {"Amy Test", "Ben Test"}
    # A new interview naming "Crown pub, CR0" after the merge counts under the merged entry too.
    interviewed_child(hub_db, "Cal Test", start="2026-04-02 18:00", end="2026-04-03 09:00",
                      places=[{"name": "crown pub cr0"}])
    refresh.refresh(hub_db)
    assert len(places_people.children_linked(hub_db, crown["id"])) == 3

    places_people.undo_merge(hub_db, merge_id, by="analyst")
    assert [c["name"] for c in places_people.children_linked(hub_db, crown["id"])] == ["Amy Test"]
    assert {c["name"] for c in places_people.children_linked(hub_db, crown_pub["id"])} == {"Ben Test", "Cal Test"}
    actions = [r[0] for r in hub_db.execute("select action from audit_log where action like 'intelligence.merge%'")]
    assert actions == ["intelligence.merge", "intelligence.merge_undone"]
    with pytest.raises(IntelligenceError, match="already been undone"):
        places_people.undo_merge(hub_db, merge_id, by="analyst")


def test_a_phone_number_links_people_whatever_name_the_child_gave(hub_db):
    interviewed_child(hub_db, "Dee Test", start="2026-03-04 18:00", end="2026-03-05 10:00",
                      people=[{"name": "Unknown", "phone": "+44 7700 900456"}])
    interviewed_child(hub_db, "Eli Test", start="2026-03-06 18:00", end="2026-03-07 10:00",
                      people=[{"name": "Big T", "phone": "07700900456"}])
    refresh.refresh(hub_db)
    people = places_people.search(hub_db, "person", "")
    assert len(people) == 1 and people[0]["children"] == 2


def test_themes_by_month_count_children_and_drill_down_to_them(hub_db):
    _two_children(hub_db)
    table = themes.by_month(hub_db, "2026-01", "2026-03")
    county = next(r for r in table["rows"] if r["code"] == "county_lines")
    assert county["counts"] == {"2026-03": 2} and county["total"] == 2
    assert [r["name"] for r in themes.drill(hub_db, "county_lines", "2026-03", "2026-03")] == ["Ben Test", "Amy Test"]
    theme = themes.add_team_theme(hub_db, "Albanian-based criminality", by="analyst")
    with pytest.raises(IntelligenceError, match="already a theme"):
        themes.add_team_theme(hub_db, "albanian-based  criminality", by="analyst")
    themes.tag(hub_db, theme, entity_id=_entry(hub_db, "Jay")["id"], by="analyst")
    team = next(r for r in themes.by_month(hub_db, "2026-03", "2026-03")["rows"] if r["code"] == f"team:{theme}")
    assert team["counts"] == {"2026-03": 2}
    assert len(themes.drill(hub_db, f"team:{theme}", "2026-03", "2026-03")) == 2


def test_a_high_screening_calls_for_a_strategy_meeting_once(hub_db):
    high = ["out_of_area", "travel_paid", "drugs", "older_associates"]  # 2 + 2 + 2 + 1 = 7
    child = interviewed_child(hub_db, "Fay Test", start="2026-03-04 18:00", end="2026-03-05 10:00", screening=high)
    refresh.refresh(hub_db)
    [result] = screening.history(hub_db, child["child"])
    assert (result["score"], result["level"]) == (7, "high")
    [due] = screening.strategy_meetings_due(hub_db)
    assert due["name"] == "Fay Test"
    screening.mark_handled(hub_db, due["id"], "Strategy meeting held 6 March", by="analyst")
    assert screening.strategy_meetings_due(hub_db) == []
    # The council raises the bar: the same answers now score medium.
    screening.configure(hub_db, {}, "3", "9", by="analyst")
    assert screening.history(hub_db, child["child"])[0]["level"] == "medium"
    with pytest.raises(IntelligenceError):
        screening.configure(hub_db, {}, "5", "4", by="analyst")


def test_a_voided_episode_counts_in_no_theme(hub_db):
    amy, ben = _two_children(hub_db)
    hub_db.execute("update episodes set voided_at = '2026-04-01 10:00', voided_by = 'analyst', "
                   "void_reason = 'duplicate' where id = ?", [ben["episode"]])
    assert refresh.refresh(hub_db) == 1  # the trigger queued Ben's interview again
    county = next(r for r in themes.by_month(hub_db, "2026-03", "2026-03")["rows"] if r["code"] == "county_lines")
    assert county["counts"] == {"2026-03": 1}
    assert [r["name"] for r in themes.drill(hub_db, "county_lines", "2026-03", "2026-03")] == ["Amy Test"]
    # A date of birth corrected so the episode falls after the 18th birthday: not a child's episode.
    hub_db.execute("update children set date_of_birth = '2000-01-01' where id = ?", [amy["child"]])
    refresh.refresh(hub_db)
    assert next(r for r in themes.by_month(hub_db, "2026-03", "2026-03")["rows"]
                if r["code"] == "county_lines")["counts"] == {}
