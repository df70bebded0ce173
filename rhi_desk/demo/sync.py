"""Demo data for sync: a made-up provider install, enrolled, that has already returned two interviews."""
from __future__ import annotations

import tempfile
from pathlib import Path

import sqlite_utils

from rhi_desk import installs
from rhi_desk.db import connect, install
from rhi_desk.sync import fileformat, keys, receive, send

DEMO_FIELD = "Safe Steps (demo)"


def fill_sync(db: sqlite_utils.Database) -> str:
    """Enrol a demo provider install and run one round trip with it: pack out, interviews back, receipt."""
    me = install(db)
    if me is None or me["role"] != "hub" or keys.enrolled_by_name(db, DEMO_FIELD):
        return ""
    with tempfile.TemporaryDirectory() as folder:
        field = connect(Path(folder) / "field.db")
        try:
            installs.initialise(field, "field", me["la_name"], DEMO_FIELD, demo=True)
            keys.enrol(db, keys.identity_json(field), by="demo")
            keys.enrol(field, keys.identity_json(db), by="demo")
            episodes = [r["episode_id"] for r in db.query(
                "select e.episode_id from episodes e where e.\"end\" is not null and not exists ("
                "select 1 from rhi_episodes re join return_home_interviews r on r.id = re.rhi "
                "where re.episode = e.id and (r.outcome is not null or r.assigned_install is not null)) "
                "order by e.placement = 'out_of_borough' desc, e.\"end\" desc limit 3")]
            assigned = 0
            for episode_id in episodes:
                try:
                    send.assign_episode(db, episode_id, DEMO_FIELD, by="demo")
                    assigned += 1
                except fileformat.SyncError:
                    continue
            if not assigned:
                return f"{DEMO_FIELD} enrolled"
            receive.receive(field, send.send(db, DEMO_FIELD, folder, by="demo").path.read_bytes(), by="demo")
            # Two come back completed; the third stays with the provider, still to do.
            from rhi_desk.demo.answers import complete_assigned_rhis

            open_ids = [r["rhi_id"] for r in field.query(
                "select rhi_id from return_home_interviews where status != 'signed_off' order by id")]
            for rhi_id in open_ids[2:]:
                field.execute("update return_home_interviews set assigned_install = null where rhi_id = ?", [rhi_id])
            done = complete_assigned_rhis(field, by="demo")
            receive.receive(db, send.send(field, me["name"], folder, by="demo").path.read_bytes(), by="demo")
        finally:
            field.conn.close()
    return f"{DEMO_FIELD} enrolled with {assigned} interviews assigned and {done} returned"
