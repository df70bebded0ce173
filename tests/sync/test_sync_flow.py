"""The whole journey by command line: hub and field enrol each other, work goes out, comes back, is confirmed."""
from __future__ import annotations

import json

from sync_support import Pair, dump, import_episodes, ok, run

from rhi_desk.db import connect


def _query(path, sql, params=()):
    db = connect(path, migrate=False)
    try:
        return [dict(zip([d[0] for d in cur.description], row)) for cur in [db.execute(sql, params)]
                for row in cur.fetchall()]
    finally:
        db.conn.close()


def _practitioners_list(path):
    """Children's names in the field practitioner's interview list (None until that list exists)."""
    from rhi_desk.interviews import access
    db = connect(path)
    try:
        from rhi_desk.db import install

        user = {"username": "pat", "display_name": "Pat", "role": "provider", "organisation": "Safe Steps"}
        return [r["child"]["name"] for r in access.my_interviews(db, user, install(db))]
    finally:
        db.conn.close()


def _kpi_done(path):
    """Episodes the hub's KPI module counts as RHI done in November 2026 (None if it is not built yet)."""
    try:
        from rhi_desk.reports import kpi
    except ImportError:
        return None
    if not hasattr(kpi, "monthly_table"):
        return None
    db = connect(path)
    try:
        return kpi.monthly_table(db, "2026-11", "2026-11")[0]["episodes_rhi_done"]
    finally:
        db.conn.close()


def test_assignments_travel_out_interviews_come_back_and_the_field_keeps_only_a_stub(tmp_path):
    pair = Pair(tmp_path)
    assert import_episodes(pair.hub, tmp_path, via_command=True) == "command"
    ok(run(pair.hub, "assign", "--episode", "E-1001", "--to", "Safe Steps"))
    ok(run(pair.hub, "assign", "--episode", "E-1002", "--to", "Safe Steps"))

    pack = pair.pack()
    assert pack.name.endswith(".rhisync") and "-000001-" in pack.name
    assert b"Amira" not in pack.read_bytes()  # encrypted, not merely encoded
    received = ok(run(pair.field, "sync", "receive", pack))
    assert "Imported file 1 from Missing team" in received.output

    children = {c["child_id"]: c for c in _query(pair.field, "select * from children")}
    # Only the children assigned to this install travel: Chloe (E-1003) stays at the hub.
    assert set(children) == {"C-1", "C-2"}
    assert children["C-1"]["name"] == "Amira Khan" and children["C-1"]["date_of_birth"] == "2010-03-04"
    assert children["C-1"]["risk_notes"] == "Known to be exploited by an older male"
    rhis = _query(pair.field, "select * from return_home_interviews")
    assert len(rhis) == 2 and all(r["status"] == "open" for r in rhis)
    listed = _practitioners_list(pair.field)
    if listed is not None:
        assert sorted(listed) == ["Amira Khan", "Ben Doyle"], "the assignments are in the practitioner's list"

    again = ok(run(pair.field, "sync", "receive", pack))
    assert "already imported" in again.output

    before_kpi = _kpi_done(pair.hub)
    ok(run(pair.field, "demo", "complete-assigned"))
    ret = pair.ret()
    assert "-000001-" in ret.name
    hub_result = ok(run(pair.hub, "sync", "receive", ret))
    assert "2 updated" in hub_result.output

    hub_rhis = _query(pair.hub, "select r.*, e.episode_id from return_home_interviews r join rhi_episodes re "
                                "on re.rhi = r.id join episodes e on e.id = re.episode order by e.episode_id")
    done = {r["episode_id"]: r for r in hub_rhis}
    for ep in ("E-1001", "E-1002"):
        assert done[ep]["outcome"] == "completed" and done[ep]["status"] == "signed_off"
        assert json.loads(done[ep]["answers"]), "the hub has the interview's answers"
    assert "E-1003" not in done or done["E-1003"]["outcome"] != "completed"

    done_in_kpi = _kpi_done(pair.hub)
    if done_in_kpi is not None:
        assert before_kpi == 0 and done_in_kpi == 2, "the hub's KPI counts both returned interviews as done"

    # Nothing is removed at the field before the hub confirms it.
    before = _query(pair.field, "select answers from return_home_interviews")
    assert all(json.loads(r["answers"]) for r in before)
    receipt = pair.pack()
    result = ok(run(pair.field, "sync", "receive", receipt))
    assert "2 confirmed" in result.output and "2 removed" in result.output

    stubs = _query(pair.field, "select r.rhi_id, r.status, r.completed_at, r.answers, c.name, c.date_of_birth, "
                               "c.risk_notes from return_home_interviews r join children c on c.id = r.child")
    assert len(stubs) == 2
    for stub in stubs:
        assert stub["rhi_id"] and stub["status"] == "signed_off" and stub["completed_at"]
        assert json.loads(stub["answers"]) == {}
        assert stub["name"] == "" and stub["date_of_birth"] is None and stub["risk_notes"] is None
    field_dump = dump(pair.field)
    assert "Amira" not in field_dump and "knife" not in field_dump

    # The next return has nothing left to send.
    nothing = run(pair.field, "sync", "send", "--to", "Missing team", "--out", pair.outbox)
    assert nothing.exit_code != 0 and "nothing to send" in nothing.output.lower()


def test_command_line_mistakes_get_a_plain_sentence(tmp_path):
    pair = Pair(tmp_path)
    cases = [
        ((pair.hub, "sync", "receive", tmp_path / "nowhere.rhisync"), "could not be read"),
        ((pair.hub, "enrol", tmp_path / "hub.identity.json"), "this install's own identity file"),
        ((pair.field, "enrol", tmp_path / "field.identity.json"), "this install's own identity file"),
        ((pair.hub, "assign", "--episode", "E-1", "--to", "Nobody"), "No enrolled install is called Nobody"),
        ((pair.hub, "assign", "--episode", "E-404", "--to", "Safe Steps"), "There is no episode E-404"),
        ((pair.field, "assign", "--episode", "E-1", "--to", "Missing team"), "Only the hub assigns"),
        ((pair.hub, "revoke", "Nobody"), "No enrolled install is called Nobody"),
        ((pair.hub, "sync", "send", "--to", "Safe Steps", "--out", pair.outbox), "nothing to send to Safe Steps"),
        ((pair.hub, "demo", "complete-assigned"), "This is for field installs"),
    ]
    for args, expected in cases:
        result = run(*args)
        assert result.exit_code != 0 and expected in result.output, (args, result.output)
        assert "Traceback" not in result.output
    again = ok(run(pair.hub, "enrol", tmp_path / "field.identity.json"))
    assert "already enrolled; nothing changed" in again.output
    (tmp_path / "edited.json").write_text(
        (tmp_path / "field.identity.json").read_text().replace('"Safe Steps"', '"Missing team 2"'))
    edited = run(pair.hub, "enrol", tmp_path / "edited.json")
    assert edited.exit_code != 0 and "changed since it was exported" in edited.output
    ok(run(tmp_path / "sutton.db", "init", "--role", "field", "--la", "Sutton", "--name", "Sutton laptop"))
    ok(run(tmp_path / "sutton.db", "identity", "export", "--out", tmp_path / "sutton.json"))
    other = run(pair.hub, "enrol", tmp_path / "sutton.json")
    assert other.exit_code != 0 and "belongs to Sutton, not Croydon" in other.output
