"""Duplicates through the pages: the warning on adding a child twice, a merge with a confirmation, undo by
an administrator only."""
from __future__ import annotations

from datetime import datetime

import time_machine

from rhi_desk.register import children, episodes

CHILD = {"child_id": "C2", "name": "amy  smith", "date_of_birth": ["1", "1", "2004"], "sex": "female",
         "looked_after": "no", "other_la": "no"}


def test_adding_a_child_twice_is_warned_and_saves_nothing_until_confirmed(signed_in, hub_db):
    children.create_child(hub_db, "C1", name="Amy Smith", date_of_birth="2004-01-01")
    client = signed_in("missing_team")
    warned = client.post("/children/new", data=CHILD)
    page = warned.get_data(as_text=True)
    assert warned.status_code == 200 and "already has a child with this name and date of birth" in page
    assert 'href="/children/C1"' in page and children.get_child(hub_db, "C2") is None
    assert 'value="amy  smith"' in page  # what was typed is kept
    added = client.post("/children/new", data=dict(CHILD, not_a_duplicate="yes"))
    assert added.status_code == 302 and children.get_child(hub_db, "C2") is not None


def test_a_duplicate_record_is_merged_after_a_check_and_only_an_administrator_undoes_it(signed_in, hub_db):
    with time_machine.travel(datetime(2017, 5, 1, 9, 0), tick=False):
        children.create_child(hub_db, "C1", name="Amy Smith", date_of_birth="2004-01-01")
        children.create_child(hub_db, "IMP-C-9", name="Amy Smith", date_of_birth="2004-01-01")
        e = episodes.record_missing(hub_db, "IMP-C-9", start="2017-04-10 10:00")
        episodes.record_found(hub_db, e["episode_id"], end="2017-04-10 20:00")
        client = signed_in("missing_team")
        assert "Merge a duplicate record into this one" in client.get("/children/C1").get_data(as_text=True)
        unknown = client.post("/children/C1/merge", data={"other": "NOPE", "reason": "x"})
        assert "There is no child with the id NOPE" in unknown.get_data(as_text=True)
        check = client.post("/children/C1/merge", data={"other": "IMP-C-9", "reason": "Imported twice"})
        page = check.get_data(as_text=True)
        assert "Check these are one child" in page and "1 episode" in page
        assert hub_db.execute("select merged_into from children where child_id = 'IMP-C-9'").fetchone()[0] is None
        done = client.post("/children/C1/merge", data={"other": "IMP-C-9", "reason": "Imported twice",
                                                       "confirmed": "yes"})
        assert done.status_code == 302
        assert e["episode_id"] in client.get("/children/C1").get_data(as_text=True)
        merged_page = client.get("/children/IMP-C-9").get_data(as_text=True)
        assert "This record was merged into" in merged_page and "Record a missing notification" not in merged_page
        listing = client.get("/merges").get_data(as_text=True)
        assert "Imported twice" in listing and "Undo the merge" not in listing
        merge_id = hub_db.execute("select id from register_merges").fetchone()[0]
        assert client.post(f"/merges/{merge_id}/undo").status_code == 403
        admin = signed_in("admin")
        assert admin.post(f"/merges/{merge_id}/undo").status_code == 302
        assert "Undone" in admin.get("/merges").get_data(as_text=True)
        assert e["episode_id"] in client.get("/children/IMP-C-9").get_data(as_text=True)


def test_two_episodes_are_merged_from_the_episode_page(signed_in, hub_db):
    with time_machine.travel(datetime(2017, 5, 1, 9, 0), tick=False):
        children.create_child(hub_db, "C1", name="Amy Smith", date_of_birth="2004-01-01")
        ids = []
        for start, end in (("2017-04-03 10:00", "2017-04-03 20:00"), ("2017-04-03 21:00", "2017-04-04 08:00")):
            e = episodes.record_missing(hub_db, "C1", start=start)
            episodes.record_found(hub_db, e["episode_id"], end=end)
            ids.append(e["episode_id"])
        client = signed_in("missing_team")
        assert "Merge another episode" in client.get(f"/episodes/{ids[0]}").get_data(as_text=True)
        form = client.get(f"/episodes/{ids[0]}/merge").get_data(as_text=True)
        assert ids[1] in form
        refused = client.post(f"/episodes/{ids[0]}/merge", data={"reason": "Twice"})
        assert "Choose the episode that is the same absence" in refused.get_data(as_text=True)
        done = client.post(f"/episodes/{ids[0]}/merge", data={"other": ids[1], "reason": "Reported twice"})
        assert done.status_code == 302
        assert "Merged into" in client.get(f"/episodes/{ids[1]}").get_data(as_text=True)
        assert signed_in("manager").get(f"/episodes/{ids[0]}/merge").status_code == 403
