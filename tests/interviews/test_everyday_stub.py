"""A field install after the hub's receipt: a plain "sent to and confirmed by the hub on …" stub, never
an emptied record with links that cannot work (My interviews, the record, Correct, the report)."""
from __future__ import annotations

import html

import pytest
from conftest import add_user, sign_in
from sync_support import EPISODES, insert_episode

from rhi_desk import create_app
from rhi_desk.cli.sync import complete_assigned_rhis
from rhi_desk.sync import keys, receive, send


@pytest.fixture
def field_after_receipt(hub_db, field_db, tmp_path):
    keys.enrol(hub_db, keys.identity_json(field_db))
    keys.enrol(field_db, keys.identity_json(hub_db))
    insert_episode(hub_db, *EPISODES[0])
    send.assign_episode(hub_db, "E-1001", "Safe Steps")
    receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "p").path.read_bytes())
    complete_assigned_rhis(field_db)
    receive.receive(hub_db, send.send(field_db, "Missing team", tmp_path / "r").path.read_bytes())
    summary = receive.receive(field_db, send.send(hub_db, "Safe Steps", tmp_path / "k").path.read_bytes()).summary
    assert summary["removed"] == 1
    add_user(field_db, "pat", "provider", organisation="Safe Steps")
    app = create_app({"DATABASE": str(tmp_path / "field.db"), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert sign_in(client, "pat").status_code == 302
    rhi_id = field_db.execute("select rhi_id from return_home_interviews").fetchone()[0]
    return client, rhi_id


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_my_interviews_shows_a_plain_stub_after_the_receipt(field_after_receipt):
    client, rhi_id = field_after_receipt
    text = page_text(client.get("/interviews"))
    assert "Sent to and confirmed by the hub on " in text
    assert "C-1 / C-1" not in text and "C-1<br><span class=\"govuk-body-s\">C-1" not in text
    assert f"/interviews/{rhi_id}" not in text, "no link to a record that holds nothing"


def test_the_record_is_a_stub_without_correct_links_or_empty_answers(field_after_receipt):
    client, rhi_id = field_after_receipt
    response = client.get(f"/interviews/{rhi_id}/record")
    text = page_text(response)
    assert response.status_code == 200
    assert "This interview was sent to and confirmed by the hub on " in text
    for wrong in ("Signed off by None", "Not answered", "Correct", "Printable report"):
        assert wrong not in text, wrong
    for address in (f"/interviews/{rhi_id}", f"/interviews/{rhi_id}/report", f"/interviews/{rhi_id}/page/held",
                    f"/interviews/{rhi_id}/correct/held"):
        assert client.get(address).headers["Location"].endswith(f"/interviews/{rhi_id}/record"), address
    saved = client.post(f"/interviews/{rhi_id}/correct/held", data={"place": "x", "reason": "typo"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/record"), \
        "a correction to a stub is not offered as a form that saves nothing"
