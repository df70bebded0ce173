"""The intelligence pages as each role meets them, with the issue's "done when" scenario end to end."""
from __future__ import annotations

import json
import re

import pytest
from intelligence_support import interviewed_child

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def two_children(hub_db, users):
    amy = interviewed_child(hub_db, "Amy Test", start="2026-03-04 18:00", end="2026-03-05 10:00",
                            places=[{"name": "the Crown", "kind": "shop"}], people=[{"name": "Jay", "age": "20ish"}])
    ben = interviewed_child(hub_db, "Ben Test", start="2026-03-20 21:00", end="2026-03-21 08:00",
                            places=[{"name": "Crown pub, CR0", "area": "CR0"}], people=[{"name": "jay"}],
                            assigned_to="someone else")
    return amy, ben


def _entry_id(page: str, words: str) -> int:
    found = re.search(r'href="/intelligence/entries/(\d+)">' + re.escape(words) + "<", page)
    assert found, words
    return int(found.group(1))


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_done_when_two_children_are_linked_after_one_merge_and_a_provider_sees_none_of_it(
        hub_db, signed_in, two_children):
    amy, ben = two_children
    team = signed_in("missing_team")
    register = _text(team.get("/intelligence"))
    crown, crown_pub = _entry_id(register, "the Crown"), _entry_id(register, "Crown pub, CR0")
    page = _text(team.get(f"/intelligence/entries/{crown}"))
    assert "Amy Test" in page and "Ben Test" not in page and f'name="merged" value="{crown_pub}"' in page

    assert team.post(f"/intelligence/entries/{crown}/merge", data={"merged": crown_pub}).status_code == 302
    page = _text(team.get(f"/intelligence/entries/{crown}"))
    linked = page.split('id="children-linked"')[1].split("</table>")[0]
    assert "Amy Test" in linked and "Ben Test" in linked
    assert "20 March 2026" in page and "4 March 2026" in page  # every episode, with its date
    # The merged entry's own address leads to the one it was merged into.
    assert team.get(f"/intelligence/entries/{crown_pub}").location.endswith(f"/intelligence/entries/{crown}")

    network = _text(team.get("/intelligence/network", query_string={"entry": crown, "from": "2026-01", "to": "2026-06"}))
    data = json.loads(network.split('id="network-data">')[1].split("</script>")[0])
    assert {n["label"] for n in data["nodes"] if n["type"] == "child"} == {"Amy Test", "Ben Test"}
    table = network.split('id="network-table"')[1]
    assert "Amy Test" in table and "Ben Test" in table

    themes = _text(team.get("/intelligence/themes", query_string={"from": "2026-01", "to": "2026-03"}))
    row = themes.split('data-theme="county_lines"')[1].split("</tr>")[0]
    drill = re.search(r'href="(/intelligence/themes/county_lines\?month=2026-03)"[^>]*>2<', row.replace("&amp;", "&"))
    assert drill, row
    children = _text(team.get(drill.group(1)))
    assert "Amy Test" in children and "Ben Test" in children and "2 children" in children

    provider = signed_in("provider")
    for url in ("/intelligence", f"/intelligence/entries/{crown}", "/intelligence/network",
                f"/intelligence/network?entry={crown}", "/intelligence/themes", drill.group(1),
                f"/intelligence/entries/{crown}/profile", "/intelligence/screening"):
        assert provider.get(url).status_code == 403, url
    child_ids = [r[0] for r in hub_db.execute("select child_id from children order by id")]
    for child_id in child_ids:
        assert provider.get(f"/children/{child_id}/intelligence").status_code == 404
        assert provider.get(f"/children/{child_id}/philomena/print").status_code == 404
    assert provider.post(f"/intelligence/entries/{crown}/merge", data={"merged": crown_pub}).status_code == 403
    refused = hub_db.execute("select count(*) from audit_log where action = 'access.refused' "
                             "and username = 'provider'").fetchone()[0]
    assert refused >= 8
    views = {json.loads(r[0])["page"] for r in hub_db.execute(
        "select detail from audit_log where action = 'intelligence.view' and username = 'missing_team'")}
    assert {"register", "entry", "network", "themes", "theme"} <= views


def test_a_practitioner_sees_only_their_own_childs_places_people_and_screening(hub_db, signed_in, two_children):
    amy, ben = two_children
    amy_id, ben_id = (hub_db.execute("select child_id from children where id = ?", [c["child"]]).fetchone()[0]
                      for c in (amy, ben))
    worker = signed_in("practitioner")
    own = worker.get(f"/children/{amy_id}/intelligence")
    assert own.status_code == 200 and "the Crown" in _text(own) and "/intelligence/entries/" not in _text(own)
    assert worker.get(f"/children/{ben_id}/intelligence").status_code == 404
    assert worker.get("/intelligence").status_code == 403
    manager = signed_in("manager")
    assert manager.get("/intelligence").status_code == 200
    assert manager.post("/intelligence/themes", data={"label": "Anything"}).status_code == 403


def test_the_team_adds_a_theme_and_tags_a_person_with_it(hub_db, signed_in, two_children):
    team = signed_in("missing_team")
    assert "Enter the name of the theme" in _text(team.post("/intelligence/themes", data={"label": " "}))
    team.post("/intelligence/themes", data={"label": "Albanian-based criminality"})
    jay = _entry_id(_text(team.get("/intelligence?kind=person")), "Jay")
    theme_id = hub_db.execute("select id from intel_team_themes").fetchone()[0]
    team.post(f"/intelligence/entries/{jay}/themes", data={"theme": theme_id})
    page = _text(team.get("/intelligence/themes?from=2026-03&to=2026-03"))
    row = page.split(f'data-theme="team:{theme_id}"')[1].split("</tr>")[0]
    assert "Albanian-based criminality" in row and ">2</a>" in row


def test_the_found_notification_names_places_and_people_in_rows(hub_db, signed_in, two_children):
    amy, _ = two_children
    episode_id = hub_db.execute("select episode_id from episodes where id = ?", [amy["episode"]]).fetchone()[0]
    team = signed_in("missing_team")
    assert "Places and people from the found notification" in _text(
        team.get(f"/episodes/{episode_id}/places-and-people"))
    bad = team.post(f"/episodes/{episode_id}/places-and-people", data={"places-1-name": "x", "places-1-kind": "moon"})
    assert bad.status_code == 200 and "Choose the kind of place in row 1 from the list" in _text(bad)
    saved = team.post(f"/episodes/{episode_id}/places-and-people",
                      data={"places-1-name": "West Croydon station", "places-1-kind": "transport_hub",
                            "people-1-name": "", "people-1-vehicle": "AB12 CDE"})
    assert saved.status_code == 302
    register = _text(team.get("/intelligence"))
    assert "West Croydon station" in register and "AB12 CDE" in register
    # Saving again replaces what the notification named; it is never counted twice.
    team.post(f"/episodes/{episode_id}/places-and-people", data={"places-1-name": "West Croydon station"})
    assert hub_db.execute("select count(*) from intel_mentions where source = 'notification'").fetchone()[0] == 1


def test_the_philomena_profile_keeps_its_photo_for_those_allowed(hub_db, signed_in, two_children):
    amy, _ = two_children
    amy_id = hub_db.execute("select child_id from children where id = ?", [amy["child"]]).fetchone()[0]
    team = signed_in("missing_team")
    refused = team.post(f"/children/{amy_id}/philomena", data={"description": "Tall",
                        "photo": (__import__("io").BytesIO(b"GIF89a..."), "photo.gif")},
                        content_type="multipart/form-data")
    assert refused.status_code == 400 and "The photo must be a JPEG or PNG file" in _text(refused)
    assert hub_db.execute("select count(*) from intel_philomena").fetchone()[0] == 0  # all or nothing
    team.post(f"/children/{amy_id}/philomena", data={"description": "Tall, short dark hair", "phones": "07700 900999",
              "photo": (__import__("io").BytesIO(PNG), "photo.png")}, content_type="multipart/form-data")
    printed = _text(team.get(f"/children/{amy_id}/philomena/print"))
    assert "Tall, short dark hair" in printed and "Jay" in printed and "the Crown" in printed
    photo = team.get(f"/children/{amy_id}/philomena/photo")
    assert photo.data == PNG and photo.mimetype == "image/png" and "no-store" in photo.headers["Cache-Control"]
    assert signed_in("provider").get(f"/children/{amy_id}/philomena/photo").status_code == 404
    assert signed_in("practitioner").get(f"/children/{amy_id}/philomena/photo").status_code == 200


def test_the_screening_settings_refuse_a_high_threshold_below_the_medium(hub_db, signed_in, users):
    team = signed_in("missing_team")
    response = team.post("/intelligence/screening", data={"medium_from": "5", "high_from": "4"})
    assert response.status_code == 400 and "Error: " in _text(response)
    assert "The high threshold must be more than the medium one" in _text(response)


def test_the_interview_asks_for_places_and_people_in_optional_rows(hub_db, signed_in, users):
    from interviews_support import make_rhi

    from rhi_desk.interviews import saving
    from rhi_desk.register import rhi_tracking

    rhi = make_rhi(hub_db, "practitioner")
    for slug, fields in (("offer", {"offered_at": "2026-03-02 11:00", "offered_how": "phone", "offered_by": "Sam"}),
                         ("outcome", {"outcome": "completed"})):
        saving.save_page(hub_db, rhi["rhi_id"], slug, fields, by="practitioner")
    worker = signed_in("practitioner")
    url = f"/interviews/{rhi['rhi_id']}/page/places"
    page = _text(worker.get(url))
    assert page.count('name="places-') == 2 * 4  # two spare rows of four boxes
    more = worker.post(url, data={"places-1-name": "The Crown", "places-1-kind": "shop",
                                  "places-2-area": "CR0", "more_rows": "1"})
    assert more.location.endswith(url)
    page = _text(worker.get(url))
    assert 'value="The Crown"' in page and 'name="places-4-name"' in page  # filled rows plus two spare
    done = worker.post(url, data={"places-1-name": "The Crown", "places-1-kind": "shop", "places-2-area": "CR0"})
    assert done.location.endswith(f"/interviews/{rhi['rhi_id']}/page/who_with")
    answers = json.loads(rhi_tracking.get_rhi(hub_db, rhi["rhi_id"])["answers"])
    assert answers["places"] == [{"name": "The Crown", "area": "", "kind": "shop", "details": ""},
                                 {"name": "", "area": "CR0", "kind": "", "details": ""}]
    # Skipping the page entirely does not stand in the way: the people page is optional too.
    assert worker.post(f"/interviews/{rhi['rhi_id']}/page/people", data={}).status_code == 302
    check = _text(worker.get(f"/interviews/{rhi['rhi_id']}/check"))
    assert "The Crown (Shop or takeaway)" in check and "Unknown (CR0)" in check


def test_the_team_tags_an_interview_with_its_own_theme(hub_db, signed_in, two_children):
    amy, _ = two_children
    amy_id = hub_db.execute("select child_id from children where id = ?", [amy["child"]]).fetchone()[0]
    team = signed_in("missing_team")
    team.post("/intelligence/themes", data={"label": "Albanian-based criminality"})
    theme_id = hub_db.execute("select id from intel_team_themes").fetchone()[0]
    assert team.post(f"/interviews/{amy['rhi']['rhi_id']}/themes", data={"theme": theme_id}).status_code == 302
    assert "Albanian-based criminality</strong>" in _text(team.get(f"/children/{amy_id}/intelligence"))
    page = _text(team.get("/intelligence/themes?from=2026-03&to=2026-03"))
    assert ">1</a>" in page.split(f'data-theme="team:{theme_id}"')[1].split("</tr>")[0]
    assert signed_in("provider").post(f"/interviews/{amy['rhi']['rhi_id']}/themes",
                                      data={"theme": theme_id}).status_code == 403
