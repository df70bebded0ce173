"""Receipts: only what the hub confirmed is removed, after the hub's retention period; each provider sees its own."""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

import time_machine
from sync_support import EPISODES, insert_episode

from rhi_desk import installs
from rhi_desk.cli.sync import complete_assigned_rhis
from rhi_desk.db import connect
from rhi_desk.register import rhi_tracking
from rhi_desk.sync import fileformat, keys, receive, send, status
from rhi_desk.sync import inbox as sync_inbox
from rhi_desk.web.sync import start_inbox_watcher


def enrol_both(hub, field):
    keys.enrol(hub, keys.identity_json(field))
    keys.enrol(field, keys.identity_json(hub))


def setup(hub_db, field_db, tmp_path, episodes=("E-1001",)):
    enrol_both(hub_db, field_db)
    for row in EPISODES:
        insert_episode(hub_db, *row)
    for ep in episodes:
        send.assign_episode(hub_db, ep, "Safe Steps")
    receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "p1").path.read_bytes())


def round_trip(hub_db, field_db, folder):
    """Field returns; hub imports; hub's receipt goes back. Returns the field's import summary."""
    receive.receive(hub_db, send.send(field_db, "Missing team", folder).path.read_bytes())
    return receive.receive(field_db, send.send(hub_db, "Safe Steps", folder).path.read_bytes()).summary


def field_rhi(field_db):
    return dict(next(field_db.query("select r.*, c.name from return_home_interviews r join children c "
                                    "on c.id = r.child")))


def test_a_confirmed_offer_is_kept_until_the_interview_is_signed_off_and_confirmed(hub_db, field_db, tmp_path):
    setup(hub_db, field_db, tmp_path)
    rhi_id = field_rhi(field_db)["rhi_id"]
    rhi_tracking.record_offer(field_db, rhi_id, "2026-11-22 12:00", "phone", "Pat Provider")
    summary = round_trip(hub_db, field_db, tmp_path / "a")
    assert summary["confirmed"] == 1 and summary["removed"] == 0
    assert field_rhi(field_db)["name"] == "Amira Khan", "an interview still in progress keeps its details"

    complete_assigned_rhis(field_db)
    summary = round_trip(hub_db, field_db, tmp_path / "b")
    assert summary["confirmed"] == 1 and summary["removed"] == 1
    stub = field_rhi(field_db)
    assert stub["name"] == "" and json.loads(stub["answers"]) == {} and stub["status"] == "signed_off"


def test_a_change_after_sending_is_not_confirmed_by_an_older_receipt(hub_db, field_db, tmp_path):
    setup(hub_db, field_db, tmp_path)
    rhi_id = field_rhi(field_db)["rhi_id"]
    rhi_tracking.record_offer(field_db, rhi_id, "2026-11-22 12:00", "phone", "Pat Provider")
    receive.receive(hub_db, send.send(field_db, "Missing team", tmp_path / "a").path.read_bytes())
    complete_assigned_rhis(field_db)  # signed off after the offer went, before the receipt came back
    summary = receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "a").path.read_bytes()).summary
    assert summary["confirmed"] == 0 and summary["removed"] == 0
    assert json.loads(field_rhi(field_db)["answers"]), "nothing removed that the hub has not got"
    made = send.send(field_db, "Missing team", tmp_path / "b")
    assert made.counts == {"records": 1}, "the signed-off version goes in the next return"


def test_content_is_removed_only_after_the_hubs_retention_period(hub_db, field_db, tmp_path):
    hub_db.execute("update install set retention_days = 3")
    setup(hub_db, field_db, tmp_path)
    complete_assigned_rhis(field_db)
    summary = round_trip(hub_db, field_db, tmp_path / "a")
    assert summary["confirmed"] == 1 and summary["removed"] == 0
    assert receive.purge_due(field_db) == 0
    with time_machine.travel(datetime.now() + timedelta(days=3, minutes=1), tick=False):
        assert receive.purge_due(field_db) == 1
    assert field_rhi(field_db)["name"] == ""


def test_each_provider_receives_only_its_own_children(hub_db, field_db, tmp_path):
    north = connect(tmp_path / "north.db")
    installs.initialise(north, "field", "Croydon", "North laptop")
    enrol_both(hub_db, north)
    setup(hub_db, field_db, tmp_path, episodes=("E-1001",))
    send.assign_episode(hub_db, "E-1002", "North laptop")
    pack = send.send(hub_db, "North laptop", tmp_path / "n").path.read_bytes()
    payload = fileformat.check_file(north, pack).payload
    assert [c["child_id"] for c in payload["children"]] == ["C-2"]
    assert [e["episode_id"] for e in payload["episodes"]] == ["E-1002"]
    assert "Amira" not in json.dumps(payload)
    receive.receive(north, pack)
    assert [r["child_id"] for r in north.query("select child_id from children")] == ["C-2"]
    north.conn.close()


def test_keys_are_made_for_a_database_set_up_before_sync_existed(field_db):
    field_db.execute("delete from sync_keys")
    ident = keys.identity(field_db)
    assert len(ident["signing_public_key"]) == 64
    assert keys.identity(field_db) == ident, "made once, then kept"
    assert "private" not in json.dumps(ident)


def test_the_inbox_watcher_imports_files_as_they_arrive(hub_db, field_db, tmp_path, db_path):
    setup(hub_db, field_db, tmp_path)
    complete_assigned_rhis(field_db)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sync_inbox.set_inbox_folder(hub_db, str(inbox))
    stop = start_inbox_watcher(str(db_path), 0.2, settle_seconds=0)
    try:
        made = send.send(field_db, "Missing team", inbox)
        deadline = time.monotonic() + 20
        while not (inbox / "processed" / made.path.name).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
    assert (inbox / "processed" / made.path.name).exists()
    assert [i["sequence"] for i in status.imports(hub_db)] == [1]


def test_a_file_still_copying_into_the_inbox_is_left_to_finish(hub_db, field_db, tmp_path):
    setup(hub_db, field_db, tmp_path)
    complete_assigned_rhis(field_db)
    inbox = tmp_path / "inbox"
    made = send.send(field_db, "Missing team", tmp_path / "out")
    inbox.mkdir()
    half = inbox / made.path.name
    half.write_bytes(made.path.read_bytes()[:200])
    [result] = sync_inbox.scan_inbox(hub_db, inbox, settle_seconds=0)
    assert "Still arriving" in result.message and half.exists()
    assert sync_inbox.scan_inbox(hub_db, inbox, settle_seconds=60) == [], "a file changed moments ago is not touched"
    half.write_bytes(made.path.read_bytes())
    [result] = sync_inbox.scan_inbox(hub_db, inbox, settle_seconds=0)
    assert result.ok and (inbox / "processed" / made.path.name).exists()


def test_an_interview_given_to_another_install_is_withdrawn_from_the_first(hub_db, field_db, tmp_path):
    north = connect(tmp_path / "north.db")
    installs.initialise(north, "field", "Croydon", "North laptop")
    enrol_both(hub_db, north)
    setup(hub_db, field_db, tmp_path, episodes=("E-1001", "E-1002"))
    names = {r["name"] for r in field_db.query("select name from children")}
    assert names == {"Amira Khan", "Ben Doyle"}
    # Ben's interview was started at Safe Steps (an offer) before the hub moved both to North.
    ben = next(field_db.query("select r.rhi_id from return_home_interviews r join children c on c.id = r.child "
                              "where c.name = 'Ben Doyle'"))["rhi_id"]
    rhi_tracking.record_offer(field_db, ben, "2026-11-23 12:00", "phone", "Pat Provider")
    send.assign_episode(hub_db, "E-1001", "North laptop")
    send.assign_episode(hub_db, "E-1002", "North laptop")
    made = send.send(hub_db, "Safe Steps", tmp_path / "w")
    assert made.counts.get("withdrawn") == 2 and made.counts["assignments"] == 0
    summary = receive.receive(field_db, made.path.read_bytes()).summary
    assert summary["withdrawn"] == 1
    assert {r["name"] for r in field_db.query("select name from children")} == {"Ben Doyle"}, \
        "Amira's details leave Safe Steps; Ben's offer is kept until it reaches the hub"
    assert not list(field_db.query("select 1 from episodes where episode_id = 'E-1001'"))
    with_offer = send.send(field_db, "Missing team", tmp_path / "r")
    assert with_offer.counts == {"records": 1}
    north.conn.close()


def test_an_interview_finished_at_the_hub_is_withdrawn_from_the_laptop(hub_db, field_db, tmp_path):
    setup(hub_db, field_db, tmp_path)
    rhi_id = hub_db.execute("select rhi_id from return_home_interviews").fetchone()[0]
    rhi_tracking.record_offer(hub_db, rhi_id, "2026-11-22 12:00", "in_person", "Mo")
    rhi_tracking.record_outcome(hub_db, rhi_id, "declined", reason="Did not want to talk")
    hub_db.execute("update return_home_interviews set status = 'signed_off' where rhi_id = ?", [rhi_id])
    summary = receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "w").path.read_bytes()).summary
    assert summary["withdrawn"] == 1
    assert not list(field_db.query("select 1 from children"))
