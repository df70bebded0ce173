"""Revisions at the hub: newer replaces older, older never overwrites newer, clashes and unknown episodes kept aside."""
from __future__ import annotations

import copy

import pytest
from sync_support import Pair, forge, import_episodes, insert_episode, ok, run

from rhi_desk.db import connect
from rhi_desk.sync import records as sync_records
from rhi_desk.sync import status as sync_status


@pytest.fixture
def pair(tmp_path):
    pair = Pair(tmp_path)
    import_episodes(pair.hub, tmp_path)
    ok(run(pair.hub, "assign", "--episode", "E-1001", "--to", "Safe Steps"))
    ok(run(pair.field, "sync", "receive", pair.pack()))
    ok(run(pair.field, "demo", "complete-assigned"))
    ok(run(pair.hub, "sync", "receive", pair.ret()))
    return pair


def hub_record(pair):
    db = connect(pair.hub)
    try:
        rhi_id = db.execute("select rhi_id from return_home_interviews where status = 'signed_off'").fetchone()[0]
        return sync_records.local_record(db, rhi_id)
    finally:
        db.conn.close()


def send_records(pair, tmp_path, sequence, *records):
    path = forge(pair.field, pair.hub, tmp_path / f"forged-{sequence}.rhisync", sequence=sequence,
                 payload={"kind": "return", "records": list(records)})
    return ok(run(pair.hub, "sync", "receive", path)).output


def test_newer_revisions_replace_older_ones_and_older_never_overwrite(pair, tmp_path):
    first = hub_record(pair)
    corrected = copy.deepcopy(first)
    corrected["revision"] = 2
    corrected["answers"]["why"] = "Corrected after speaking to the carer"
    assert "1 updated" in send_records(pair, tmp_path, 2, corrected)
    now = hub_record(pair)
    assert now["revision"] == 2 and now["answers"]["why"] == "Corrected after speaking to the carer"

    stale = copy.deepcopy(first)
    stale["answers"]["why"] = "A stale copy"
    assert "1 older ignored" in send_records(pair, tmp_path, 3, stale)
    assert hub_record(pair) == now

    db = connect(pair.hub)
    try:
        snapshots = list(db.query("select revision from rhi_revisions"))
    finally:
        db.conn.close()
    assert [s["revision"] for s in snapshots] == [1], "the replaced signed-off revision is kept read-only"


def test_two_different_records_with_one_revision_are_kept_aside_until_resolved(pair, tmp_path):
    mine = hub_record(pair)
    other = copy.deepcopy(mine)
    other["answers"]["where"] = "A different account of where the child was"
    assert "1 conflicts" in send_records(pair, tmp_path, 2, other)
    assert hub_record(pair) == mine, "a conflict changes nothing until the missing team decides"
    db = connect(pair.hub)
    try:
        [conflict] = sync_status.conflicts(db)
        assert conflict["incoming"]["answers"]["where"] == "A different account of where the child was"
        sync_status.resolve_conflict(db, conflict["id"], "incoming", by="mo")
        assert sync_status.conflicts(db) == []
        record = sync_records.local_record(db, mine["rhi_id"])
    finally:
        db.conn.close()
    assert record["answers"]["where"] == "A different account of where the child was"
    assert record["revision"] == mine["revision"] + 1


def test_returns_for_unknown_episodes_are_held_not_lost(pair, tmp_path):
    stranger = copy.deepcopy(hub_record(pair))
    stranger.update(rhi_id="RHI-from-nowhere", child_id="C-77", episode_ids=["E-7777"])
    assert "1 held" in send_records(pair, tmp_path, 2, stranger)
    db = connect(pair.hub)
    try:
        [held] = sync_status.held(db)
        assert "E-7777" in held["reason"]
        assert sync_status.retry_held(db) == 0
        insert_episode(db, "E-7777", "C-77", "Dan Ford", "2010-05-05", "2026-11-10 10:00", "2026-11-11 10:00",
                       "in_borough")
        assert sync_status.retry_held(db, by="mo") == 1
        assert sync_status.held(db) == []
        assert sync_records.local_record(db, "RHI-from-nowhere")["answers"] == stranger["answers"]
    finally:
        db.conn.close()


def test_a_file_that_never_arrived_is_shown(pair, tmp_path):
    send_records(pair, tmp_path, 4, hub_record(pair))
    db = connect(pair.hub)
    try:
        messages = [g["message"] for g in sync_status.sequence_gaps(db)]
    finally:
        db.conn.close()
    assert messages == ["File 2 from Safe Steps never arrived", "File 3 from Safe Steps never arrived"]
    status = ok(run(pair.hub, "sync", "status")).output
    assert "File 2 from Safe Steps never arrived" in status


def test_draft_answers_never_leave_the_field(tmp_path):
    pair = Pair(tmp_path)
    import_episodes(pair.hub, tmp_path)
    ok(run(pair.hub, "assign", "--episode", "E-1001", "--to", "Safe Steps"))
    ok(run(pair.field, "sync", "receive", pair.pack()))
    db = connect(pair.field)
    try:
        from rhi_desk.register import rhi_tracking

        rhi_id = db.execute("select rhi_id from return_home_interviews").fetchone()[0]
        rhi_tracking.record_offer(db, rhi_id, "2026-11-22 12:00", "phone", "Pat Provider")
        db.execute("update return_home_interviews set answers = ? where rhi_id = ?",
                   ['{"where": "SECRET DRAFT"}', rhi_id])
    finally:
        db.conn.close()
    ret = pair.ret()
    ok(run(pair.hub, "sync", "receive", ret))
    db = connect(pair.hub)
    try:
        row = db.execute("select offered_at, offered_by, answers, status from return_home_interviews "
                         "where rhi_id = ?", [rhi_id]).fetchone()
    finally:
        db.conn.close()
    assert row[0] == "2026-11-22 12:00" and row[1] == "Pat Provider"
    assert "SECRET DRAFT" not in row[2] and row[3] == "draft"
