"""Places and people travel in a field install's return (format version 2); a version 1 file still imports."""
from __future__ import annotations

import json

from sync_support import Pair, forge, import_episodes, ok, run

from rhi_desk.db import connect
from rhi_desk.intelligence import places_people, refresh
from rhi_desk.sync import fileformat, records


def _name_places_on_the_field(pair: Pair) -> str:
    import_episodes(pair.hub, pair.hub.parent)
    ok(run(pair.hub, "assign", "--episode", "E-1001", "--to", "Safe Steps"))
    ok(run(pair.field, "sync", "receive", pair.pack()))
    ok(run(pair.field, "demo", "complete-assigned"))
    field = connect(pair.field)
    try:
        rhi_id, answers = field.execute("select rhi_id, answers from return_home_interviews").fetchone()
        answers = json.loads(answers)
        answers["places"] = [{"name": "The Crown", "area": "CR0", "kind": "shop", "details": "sold them vapes"}]
        answers["people"] = [{"name": "Jay", "age": "about 20", "relationship": "", "phone": "07700 900123",
                              "vehicle": "", "details": ""}]
        field.execute("update return_home_interviews set answers = ? where rhi_id = ?", [json.dumps(answers), rhi_id])
    finally:
        field.conn.close()
    return rhi_id


def test_a_return_carries_the_places_and_people_into_the_hubs_register(tmp_path):
    pair = Pair(tmp_path)
    _name_places_on_the_field(pair)
    path = pair.ret()
    # Written in the current format (places and people travel since version 2; version 3 adds the briefing).
    assert fileformat.split_file(path.read_bytes()).manifest["format_version"] == fileformat.FORMAT_VERSION == 3
    ok(run(pair.hub, "sync", "receive", path))
    hub = connect(pair.hub)
    try:
        refresh.refresh(hub)
        names = {e["name"] for e in places_people.search(hub, None, "")}
        assert names == {"The Crown", "Jay"}
    finally:
        hub.conn.close()


def test_a_version_1_file_still_imports(tmp_path):
    pair = Pair(tmp_path)
    rhi_id = _name_places_on_the_field(pair)
    field = connect(pair.field)
    try:
        record = records.local_record(field, rhi_id)
    finally:
        field.conn.close()
    for key in ("places", "people", "screening"):
        record["answers"].pop(key, None)
    old = forge(pair.field, pair.hub, tmp_path / "old.rhisync", format_version=1,
                payload={"kind": "return", "records": [record]})
    result = run(pair.hub, "sync", "receive", old)
    assert result.exit_code == 0, result.output
    hub = connect(pair.hub)
    try:
        assert hub.execute("select status from return_home_interviews where rhi_id = ?", [rhi_id]).fetchone()[0] \
            == "signed_off"
        assert refresh.refresh(hub) >= 0 and places_people.search(hub, None, "") == []
    finally:
        hub.conn.close()
