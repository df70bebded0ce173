"""A second launch on a database a running copy holds asks that copy to bring its window forward, over
loopback HTTP with the one-off token from the lock file; nobody else can make it jump."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from rhi_desk import create_app
from rhi_desk.desktop import instance
from rhi_desk.web.locks import read_lock
from rhi_desk.web.server import free_port, start_server


@pytest.fixture
def first_copy(hub_db, db_path):
    """The first copy: it holds the database's lock and serves the app behind the bring-forward guard."""
    claim = instance.claim(db_path)
    assert claim is not None
    raised = []
    app = create_app({"DATABASE": str(db_path)})
    app.wsgi_app = instance.BringForward(app.wsgi_app, claim, lambda: raised.append("window raised"))
    port = free_port()
    server = start_server(app, port)
    claim.announce(port)
    yield claim, port, raised
    server.close()
    claim.release()


def test_a_second_launch_brings_the_first_window_forward_and_cannot_claim_the_database(first_copy, db_path):
    claim, port, raised = first_copy
    assert instance.claim(db_path) is None  # the second copy does not get the database
    assert instance.ask_first_copy_to_come_forward(db_path) is True
    assert raised == ["window raised"]
    # The first copy keeps working for its user.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=10) as response:
        assert response.status == 200


def test_only_the_token_in_the_lock_file_brings_the_window_forward(first_copy, db_path):
    claim, port, raised = first_copy
    assert json.loads(read_lock(instance.lock_path(db_path)))["port"] == port
    request = urllib.request.Request(f"http://127.0.0.1:{port}{instance.RAISE_PATH}", method="POST", data=b"",
                                     headers={"X-RHI-Desk-Token": "guessed"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403 and raised == []


def test_a_lock_left_by_a_copy_that_ended_does_not_block_the_next_start(hub_db, db_path):
    first = instance.claim(db_path)
    first.announce(free_port())
    first.release()  # the process that held it is gone
    assert instance.ask_first_copy_to_come_forward(db_path) is False  # nobody answers: start normally
    again = instance.claim(db_path)
    assert again is not None
    again.release()
