"""Sync says what it did: what went into a file, whose records an import changed, the fingerprint before
enrolling, and the offer to send the return after sign-off."""
from __future__ import annotations

import io

from conftest import PASSWORD, add_user, sign_in
from sync_support import EPISODES, Pair, import_episodes, insert_episode, ok, run

from rhi_desk import create_app, installs
from rhi_desk.cli.sync import complete_assigned_rhis
from rhi_desk.db import connect
from rhi_desk.sync import keys, receive, send


def _pair(hub_db, field_db, episodes=("E-1001", "E-1002")):
    keys.enrol(hub_db, keys.identity_json(field_db))
    keys.enrol(field_db, keys.identity_json(hub_db))
    for row in EPISODES:
        insert_episode(hub_db, *row)
    for ep in episodes:
        send.assign_episode(hub_db, ep, "Safe Steps")


def test_a_pack_says_what_went_in_and_names_the_children(hub_db, field_db, tmp_path):
    _pair(hub_db, field_db)
    made = send.send(hub_db, "Safe Steps", tmp_path / "out")
    assert made.contents[:2] == ["2 children", "2 interviews to hold"]
    assert made.named == ["Amira Khan (C-1)", "Ben Doyle (C-2)"]
    assert "Chloe Evans" not in made.message and "File 1 for Safe Steps holds 2 children" in made.message


def test_a_return_and_its_receipt_name_the_children_they_changed(hub_db, field_db, tmp_path):
    _pair(hub_db, field_db)
    pack = receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "p").path.read_bytes())
    assert [c["child_id"] for c in pack.children] == ["C-1", "C-2"]
    complete_assigned_rhis(field_db)
    returned = send.send(field_db, "Missing team", tmp_path / "r")
    assert "2 interviews (signed off" in returned.message and "Amira Khan (C-1)" in returned.message

    imported = receive.receive(hub_db, returned.path.read_bytes())
    assert imported.summary == {"new": 0, "updated": 2, "unchanged": 0, "older_ignored": 0, "conflicts": 0,
                                "held": 0}
    assert "Children: Amira Khan (C-1), Ben Doyle (C-2)." in imported.message
    assert "Amira" not in imported.counts_message  # what the session cookie carries names nobody

    receipt = send.send(hub_db, "Safe Steps", tmp_path / "c")
    assert "2 receipts for interviews received" in receipt.message and "Ben Doyle (C-2)" in receipt.message
    confirmed = receive.receive(field_db, receipt.path.read_bytes())
    # Named before the purge that follows the receipt removes the names from the laptop.
    assert confirmed.summary["confirmed"] == 2 and confirmed.summary["removed"] == 2
    assert "Children: Amira Khan (C-1), Ben Doyle (C-2)." in confirmed.message
    assert field_db.execute("select name from children where child_id = 'C-1'").fetchone()[0] == ""
    again = receive.receive(field_db, receipt.path.read_bytes())
    assert again.already and again.children == []


def test_enrol_on_the_command_line_shows_the_fingerprint_and_asks_first(tmp_path):
    hub, field = tmp_path / "hub.db", tmp_path / "field.db"
    ok(run(hub, "init", "--role", "hub", "--la", "Croydon", "--name", "Missing team"))
    ok(run(field, "init", "--role", "field", "--la", "Croydon", "--name", "Safe Steps"))
    ok(run(field, "identity", "export", "--out", tmp_path / "field.json"))
    fingerprint = keys.identity(connect(field))["fingerprint"]

    declined = ok(run(hub, "enrol", tmp_path / "field.json", input="n\n"))
    assert fingerprint in declined.output and "Safe Steps" in declined.output
    assert "Nothing was enrolled" in declined.output
    assert keys.enrolled_by_name(connect(hub), "Safe Steps") is None
    no_answer = run(hub, "enrol", tmp_path / "field.json", input="")
    assert keys.enrolled_by_name(connect(hub), "Safe Steps") is None, no_answer.output

    accepted = ok(run(hub, "enrol", tmp_path / "field.json", input="y\n"))
    assert "Enrolled Safe Steps" in accepted.output
    assert keys.enrolled_by_name(connect(hub), "Safe Steps")["status"] == "active"


def test_check_enrolment_refuses_what_enrol_would_refuse_and_stores_nothing(hub_db, field_db, tmp_path):
    seen = keys.check_enrolment(hub_db, keys.identity_json(field_db))
    assert (seen["name"], seen["role"], seen["already"]) == ("Safe Steps", "field", False)
    assert seen["fingerprint"] == keys.identity(field_db)["fingerprint"]
    assert keys.list_enrolled(hub_db) == []
    other = connect(tmp_path / "other-hub.db")
    installs.initialise(other, "hub", "Croydon", "Another hub")
    try:
        keys.check_enrolment(hub_db, keys.identity_json(other))
    except keys.EnrolmentError as exc:
        assert "A hub can only enrol field installs" in str(exc)
    else:
        raise AssertionError("a hub's identity was accepted by a hub")


def _upload(client, url, name, data, field):
    return client.post(url, data={field: (io.BytesIO(data), name)}, content_type="multipart/form-data",
                       follow_redirects=True)


def test_the_import_page_names_the_children_and_sign_off_offers_the_return(hub_db, field_db, tmp_path, signed_in):
    _pair(hub_db, field_db, episodes=("E-1001",))
    add_user(field_db, "pat", "provider", organisation="Safe Steps")
    app = create_app({"DATABASE": str(tmp_path / "field.db"), "TESTING": True, "WTF_CSRF_ENABLED": False})
    field = app.test_client()
    assert sign_in(field, "pat", PASSWORD).status_code == 302
    pack = send.send(hub_db, "Safe Steps", tmp_path / "p")
    page = _upload(field, "/sync/receive", pack.path.name, pack.path.read_bytes(), "sync_file").get_data(as_text=True)
    assert "Imported file 1 from Missing team" in page and "Amira Khan (C-1)" in page

    complete_assigned_rhis(field_db)
    rhi_id = field_db.execute("select rhi_id from return_home_interviews").fetchone()[0]
    record = field.get(f"/interviews/{rhi_id}/record").get_data(as_text=True)
    assert "Send the return to the hub" in record and 'href="/sync/#send-a-file"' in record

    returned = send.send(field_db, "Missing team", tmp_path / "r")
    hub_page = _upload(signed_in("missing_team"), "/sync/receive", returned.path.name, returned.path.read_bytes(),
                       "sync_file").get_data(as_text=True)
    assert "1 updated" in hub_page and "Amira Khan (C-1)" in hub_page
    receipt = send.send(hub_db, "Safe Steps", tmp_path / "c")
    receive.receive(field_db, receipt.path.read_bytes())
    after = field.get(f"/interviews/{rhi_id}/record", follow_redirects=True).get_data(as_text=True)
    assert "Send the return to the hub" not in after


def test_the_sync_commands_say_what_went_in_and_whose_records_changed(tmp_path):
    pair = Pair(tmp_path)
    import_episodes(pair.hub, tmp_path)
    ok(run(pair.hub, "assign", "--episode", "E-1002", "--to", "Safe Steps"))
    made = ok(run(pair.hub, "sync", "send", "--to", "Safe Steps", "--out", pair.outbox))
    assert "File 1 for Safe Steps holds 1 child; 1 interview to hold" in made.stderr
    assert "Children: Ben Doyle (C-2)." in made.stderr and "Amira" not in made.stderr
    pack = made.stdout.strip().splitlines()[0]
    received = ok(run(pair.field, "sync", "receive", pack))
    assert "1 new assignments" in received.output and "Children: Ben Doyle (C-2)." in received.output
