"""The Send and receive pages: enrol, assign, make a file, import one, the inbox folder, conflicts."""
from __future__ import annotations

import copy
import io
import re

import pytest
from conftest import PASSWORD, add_user, sign_in
from sync_support import EPISODES, forge, insert_episode

from rhi_desk import create_app
from rhi_desk.db import connect
from rhi_desk.sync import keys, receive, records, send, status


@pytest.fixture
def enrolled(hub_db, field_db):
    """The hub knows Safe Steps and Safe Steps knows the hub; the hub has three episodes."""
    keys.enrol(hub_db, keys.identity_json(field_db))
    keys.enrol(field_db, keys.identity_json(hub_db))
    for row in EPISODES:
        insert_episode(hub_db, *row)
    return hub_db, field_db


def upload(client, url, name, data, field="sync_file"):
    return client.post(url, data={field: (io.BytesIO(data), name)}, content_type="multipart/form-data",
                       follow_redirects=True)


def test_only_the_missing_team_and_admins_use_sync_on_the_hub(signed_in, enrolled):
    page = signed_in("missing_team").get("/sync/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Send and receive" in text and "Safe Steps" in text
    for role in ("manager", "practitioner", "provider"):
        assert signed_in(role).get("/sync/").status_code == 403


def test_enrol_an_install_by_uploading_its_identity_file(signed_in, hub_db, tmp_path):
    other = connect(tmp_path / "north.db")
    from rhi_desk import installs

    installs.initialise(other, "field", "Croydon", "North laptop")
    ident = keys.identity_json(other).encode()
    client = signed_in("admin")
    page = upload(client, "/sync/installs", "north.identity.json", ident, field="identity_file")
    text = page.get_data(as_text=True)
    # The fingerprint is shown first; nothing is enrolled until the person confirms it.
    assert "Check the fingerprint of North laptop" in text and keys.identity(other)["fingerprint"] in text
    assert "Field install" in text and keys.enrolled_by_name(hub_db, "North laptop") is None
    cancelled = client.post("/sync/installs/confirm", data={"decision": "cancel"},
                            follow_redirects=True).get_data(as_text=True)
    assert "Nothing was enrolled" in cancelled and keys.enrolled_by_name(hub_db, "North laptop") is None
    gone = client.post("/sync/installs/confirm", data={"decision": "enrol"}, follow_redirects=True)
    assert "no identity file waiting" in gone.get_data(as_text=True)
    assert keys.enrolled_by_name(hub_db, "North laptop") is None

    upload(client, "/sync/installs", "north.identity.json", ident, field="identity_file")
    text = client.post("/sync/installs/confirm", data={"decision": "enrol"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Enrolled North laptop" in text and keys.identity(other)["fingerprint"] in text
    assert keys.enrolled_by_name(hub_db, "North laptop")["status"] == "active"
    from rhi_desk.web import uploads

    assert not list((uploads.process_folder() / "identities").glob("*")), "the uploaded file is not kept"
    again = upload(client, "/sync/installs", "north.identity.json", ident, field="identity_file")
    assert "already enrolled; nothing changed" in again.get_data(as_text=True)
    junk = upload(client, "/sync/installs", "notes.txt", b"hello", field="identity_file")
    assert "This is not an RHI Desk identity file" in junk.get_data(as_text=True)

    pk = keys.enrolled_by_name(hub_db, "North laptop")["id"]
    confirm = client.get(f"/sync/installs/{pk}/revoke").get_data(as_text=True)
    assert "will be refused from now on" in confirm
    done = client.post(f"/sync/installs/{pk}/revoke", follow_redirects=True).get_data(as_text=True)
    assert "Revoked North laptop" in done
    assert keys.enrolled_by_name(hub_db, "North laptop")["status"] == "revoked"


def test_assign_make_a_pack_and_import_the_return(signed_in, enrolled, tmp_path):
    hub_db, field_db = enrolled
    client = signed_in("missing_team")
    assigned = client.post("/sync/assign", data={"episode_id": "E-1001", "to": "Safe Steps"},
                           follow_redirects=True).get_data(as_text=True)
    assert "assigned to Safe Steps" in assigned
    missing = client.post("/sync/assign", data={"episode_id": "E-404", "to": "Safe Steps"},
                          follow_redirects=True).get_data(as_text=True)
    assert "There is no episode E-404 on the hub" in missing

    made = client.post("/sync/send", data={"to": "Safe Steps"}, follow_redirects=True).get_data(as_text=True)
    # Before the download, the missing team is told what went in and which children it is about.
    assert "File 1 is made" in made and "1 interview to hold" in made and "1 child" in made
    assert "Amira Khan (C-1)" in made and "Ben Doyle" not in made
    response = client.get("/sync/made/file")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert re.search(r"missing-team-to-safe-steps-000001-\d{8}\.rhisync", disposition)
    result = receive.receive(field_db, response.data, file_name="pack.rhisync")
    assert result.summary["new_assignments"] == 1

    from rhi_desk.cli.sync import complete_assigned_rhis

    complete_assigned_rhis(field_db)
    made = send.send(field_db, "Missing team", tmp_path / "out")
    data = made.path.read_bytes()

    tampered = bytearray(data)
    tampered[-10] ^= 0xFF
    refused = upload(client, "/sync/receive", made.path.name, bytes(tampered)).get_data(as_text=True)
    assert "The file was not imported" in refused and "has been changed since Safe Steps made it" in refused
    assert "<title>Error: Send and receive" in refused

    page = upload(client, "/sync/receive", made.path.name, data).get_data(as_text=True)
    assert "Imported file 1 from Safe Steps" in page
    again = upload(client, "/sync/receive", made.path.name, data).get_data(as_text=True)
    assert "was already imported; nothing changed" in again
    assert list(hub_db.query("select outcome from return_home_interviews where outcome = 'completed'"))


def test_the_inbox_folder_imports_what_arrives_and_sorts_it(signed_in, enrolled, tmp_path):
    hub_db, field_db = enrolled
    send.assign_episode(hub_db, "E-1002", "Safe Steps")
    receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "pack").path.read_bytes())
    from rhi_desk.cli.sync import complete_assigned_rhis

    complete_assigned_rhis(field_db)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    good = send.send(field_db, "Missing team", inbox).path
    (inbox / "junk.rhisync").write_bytes(b"not a sync file")

    client = signed_in("missing_team")
    saved = client.post("/sync/inbox", data={"folder": str(tmp_path / "nowhere")}, follow_redirects=True)
    assert "There is no folder" in saved.get_data(as_text=True)
    client.post("/sync/inbox", data={"folder": str(inbox)}, follow_redirects=True)
    page = client.post("/sync/inbox/check", follow_redirects=True).get_data(as_text=True)
    assert f"{good.name}: Imported file 1 from Safe Steps" in page
    assert "junk.rhisync: This is not an RHI Desk sync file" in page
    assert (inbox / "processed" / good.name).exists()
    assert (inbox / "refused" / "junk.rhisync").exists()
    assert "not an RHI Desk sync file" in (inbox / "refused" / "junk.rhisync.reason.txt").read_text()
    assert not list(inbox.glob("*.rhisync"))


def test_conflicts_and_gaps_are_shown_and_resolved(signed_in, enrolled, tmp_path, db_path):
    hub_db, field_db = enrolled
    send.assign_episode(hub_db, "E-1001", "Safe Steps")
    receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "pack").path.read_bytes())
    from rhi_desk.cli.sync import complete_assigned_rhis

    complete_assigned_rhis(field_db)
    receive.receive(hub_db, send.send(field_db, "Missing team", tmp_path / "ret").path.read_bytes())
    rhi_id = hub_db.execute("select rhi_id from return_home_interviews where status = 'signed_off'").fetchone()[0]
    other = copy.deepcopy(records.local_record(hub_db, rhi_id))
    other["answers"]["where"] = "At a house in Luton"
    field_path = tmp_path / "field.db"
    forged = forge(field_path, db_path, tmp_path / "f.rhisync", sequence=3,
                   payload={"kind": "return", "records": [other]})
    receive.receive(hub_db, forged.read_bytes())

    client = signed_in("missing_team")
    index = client.get("/sync/").get_data(as_text=True)
    assert "File 2 from Safe Steps never arrived" in index
    page = client.get("/sync/kept-aside").get_data(as_text=True)
    assert "At a house in Luton" in page
    conflict_id = status.conflicts(hub_db)[0]["id"]
    client.post(f"/sync/conflicts/{conflict_id}", data={f"c{conflict_id}-keep": "local"}, follow_redirects=True)
    assert status.conflicts(hub_db) == []
    assert records.local_record(hub_db, rhi_id)["answers"].get("where") != "At a house in Luton"


def test_field_workers_send_and_receive_on_their_own_install(field_db, tmp_path):
    add_user(field_db, "pat", "provider", organisation="Safe Steps")
    add_user(field_db, "boss", "manager")
    app = create_app({"DATABASE": str(tmp_path / "field.db"), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert sign_in(client, "pat", PASSWORD).status_code == 302
    page = client.get("/sync/").get_data(as_text=True)
    assert "Draft answers never leave this laptop" in page or "Enrol the hub" in page
    assert 'href="/sync/"' in page, "the menu offers Send and receive"
    assert client.get("/sync/kept-aside").status_code == 403
    installs_page = client.get("/sync/installs").get_data(as_text=True)
    assert "Only this laptop's administrator can enrol" in installs_page
    ident = keys.identity_json(field_db).encode()
    assert upload(client, "/sync/installs", "x.json", ident, field="identity_file").status_code == 403
    other = app.test_client()
    sign_in(other, "boss", PASSWORD)
    assert other.get("/sync/").status_code == 403
