"""Sign-in limits per client address: one PC guessing across many usernames is slowed, then locked,
while other PCs sign in as usual."""
from datetime import datetime, timedelta

import time_machine

from rhi_desk.service import address_limits
from tests.conftest import PASSWORD


def post_sign_in(client, username, password, address):
    return client.post("/sign-in", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@time_machine.travel("2026-11-02 09:00", tick=False)
def test_one_address_guessing_many_usernames_is_slowed_then_locked(app, users):
    client = app.test_client()
    for n in range(address_limits.SLOW_DOWN_AFTER):
        post_sign_in(client, f"nobody{n}", "wrong-password", "10.0.0.66")
    page = post_sign_in(client, "missing_team", PASSWORD, "10.0.0.66").get_data(as_text=True)
    assert "Too many wrong sign-ins from this computer. Wait 30 seconds" in page
    # Another PC is not affected.
    assert post_sign_in(app.test_client(), "missing_team", PASSWORD, "10.0.0.7").status_code == 302
    # Paused, each further guess waits its 30 seconds; after twenty the address is locked.
    start = datetime(2026, 11, 2, 9, 0, 31)
    for n in range(address_limits.LOCK_AFTER - address_limits.SLOW_DOWN_AFTER):
        with time_machine.travel(start + timedelta(seconds=31 * n), tick=False):
            post_sign_in(client, f"other{n}", "wrong-password", "10.0.0.66")
    with time_machine.travel("2026-11-02 09:06:00", tick=False):
        page = post_sign_in(client, "manager", PASSWORD, "10.0.0.66").get_data(as_text=True)
        assert "sign-in from it is locked for 15 more minutes" in page
    with time_machine.travel("2026-11-02 09:21", tick=False):
        assert post_sign_in(client, "manager", PASSWORD, "10.0.0.66").status_code == 302


@time_machine.travel("2026-11-02 09:00", tick=False)
def test_failures_long_ago_are_forgotten(hub_db):
    for _ in range(address_limits.SLOW_DOWN_AFTER - 1):
        address_limits.record_failure(hub_db, "10.0.0.8")
    with time_machine.travel("2026-11-02 09:30", tick=False):
        assert address_limits.record_failure(hub_db, "10.0.0.8") == 1
        assert address_limits.refusal(hub_db, "10.0.0.8") is None
