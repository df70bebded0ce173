"""The demo shows sync working: a provider enrolled, interviews assigned to it, two already back."""
from __future__ import annotations

from sync_support import EPISODES, insert_episode

from rhi_desk.demo.sync import DEMO_FIELD, fill_sync
from rhi_desk.sync import keys, status


def test_the_demo_runs_a_round_trip_with_a_made_up_provider(hub_db):
    for row in EPISODES:
        insert_episode(hub_db, *row)
    summary = fill_sync(hub_db)
    assert "3 interviews assigned and 2 returned" in summary
    assert keys.enrolled_by_name(hub_db, DEMO_FIELD)["status"] == "active"
    done = list(hub_db.query("select * from return_home_interviews where outcome = 'completed' "
                             "and status = 'signed_off'"))
    assert len(done) == 2 and all(r["origin"] == f"sync:{DEMO_FIELD}" for r in done)
    assert [i["sequence"] for i in status.imports(hub_db)] == [1]
    assert fill_sync(hub_db) == "", "running the demo again adds nothing twice"
