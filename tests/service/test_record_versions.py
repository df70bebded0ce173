"""Two people saving the same record: the second is told what changed, keeps what they typed, and
saving again is their deliberate choice. Nothing is overwritten silently."""
from __future__ import annotations

import re

import pytest
import time_machine

from rhi_desk.register import children, episodes
from tests.conftest import add_user, sign_in

NOW = "2017-04-05 10:00"


@pytest.fixture
def episode(hub_db, users):
    add_user(hub_db, "priya", "missing_team")
    with time_machine.travel(NOW, tick=False):
        children.create_child(hub_db, "C1", name="Amy Smith", looked_after=False, other_la=False)
        return episodes.record_missing(hub_db, "C1", episode_type="missing", start="2017-04-03 14:05", reported_by="Carer",
                                       police_reference="PR-1", circumstances="Left after an argument")


def opened_of(html: str) -> str:
    return re.search(r'name="opened" value="([^"]+)"', html).group(1)


def missing_form(opened, **overrides):
    data = {"start_date": ["3", "4", "2017"], "start_time": "14:05", "reported_by": "Carer",
            "police_reference": "PR-1", "police_risk": "", "circumstances": "Left after an argument",
            "opened": opened}
    data.update(overrides)
    return data


def test_the_second_save_is_told_what_changed_and_keeps_what_they_typed(app, episode, hub_db):
    first, second = app.test_client(), app.test_client()
    sign_in(first, "missing_team")
    sign_in(second, "priya")
    url = f"/episodes/{episode['episode_id']}/missing"
    opened_first = opened_of(first.get(url).get_data(as_text=True))
    opened_second = opened_of(second.get(url).get_data(as_text=True))
    saved = first.post(url, data=missing_form(opened_first, police_reference="PR-77"))
    assert saved.status_code == 302
    page = second.post(url, data=missing_form(opened_second, circumstances="Seen at the bus station"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Missing_Team changed this record" in html or "missing_team changed this record" in html
    assert "Nothing you typed has been lost" in html
    assert re.search(r"Police reference</th>\s*<td[^>]*>PR-1</td><td[^>]*>PR-77</td>", html)
    assert "Seen at the bus station" in html  # what they typed is still in the form
    # and the other person's change is in the form where this person had not touched that answer
    assert re.search(r"<input[^>]*name=\"police_reference\"[^>]*value=\"PR-77\"", html)
    stored = episodes.get_episode(hub_db, episode["episode_id"])
    assert stored["police_reference"] == "PR-77" and stored["circumstances"] == "Left after an argument"
    # Saving again is a deliberate choice: it goes through, over the current version.
    again = second.post(url, data=missing_form(opened_of(html), police_reference="PR-77",
                                               circumstances="Seen at the bus station"))
    assert again.status_code == 302
    stored = episodes.get_episode(hub_db, episode["episode_id"])
    assert (stored["police_reference"], stored["circumstances"]) == ("PR-77", "Seen at the bus station")


def test_a_child_changed_by_someone_else_is_not_overwritten(app, episode, hub_db):
    first, second = app.test_client(), app.test_client()
    sign_in(first, "missing_team")
    sign_in(second, "priya")
    url = "/children/C1/edit"
    opened_second = opened_of(second.get(url).get_data(as_text=True))
    form = {"name": "Amy Smith", "looked_after": "no", "other_la": "no"}
    assert first.post(url, data={**form, "social_worker": "Sam Worker",
                                 "opened": opened_of(first.get(url).get_data(as_text=True))}).status_code == 302
    page = second.post(url, data={**form, "notes": "Likes football", "opened": opened_second})
    assert page.status_code == 200 and "Allocated social worker" in page.get_data(as_text=True)
    assert children.get_child(hub_db, "C1")["social_worker"] == "Sam Worker"
    assert not children.get_child(hub_db, "C1")["notes"]


def test_any_change_raises_the_version_whoever_makes_it(hub_db):
    child = children.create_child(hub_db, "C9", name="Kai", looked_after=False, other_la=False)
    hub_db.execute("update children set notes = 'changed by a sync file' where child_id = 'C9'")
    assert children.get_child(hub_db, "C9")["version"] == child["version"] + 1
