"""Fuzzing: mutated files are refused without a crash or a partial write; odd but signed payloads too.

The suite runs a few hundred examples. For a long run (thousands), see the README's sync section:
    RHI_SYNC_FUZZ_EXAMPLES=5000 python -m pytest tests/test_sync_fuzz.py -m slow -q
"""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sync_support import Pair, dump, forge, import_episodes, ok, run

from rhi_desk.db import connect
from rhi_desk.sync import fileformat, receive

SUITE_EXAMPLES = 300
LONG_EXAMPLES = int(os.environ.get("RHI_SYNC_FUZZ_EXAMPLES", "3000"))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A hub, an enrolled field install with one completed interview, and its return file (not yet imported)."""
    tmp = tmp_path_factory.mktemp("fuzz")
    pair = Pair(tmp)
    import_episodes(pair.hub, tmp)
    ok(run(pair.hub, "assign", "--episode", "E-1001", "--to", "Safe Steps"))
    ok(run(pair.field, "sync", "receive", pair.pack()))
    ok(run(pair.field, "demo", "complete-assigned"))
    good = pair.ret().read_bytes()
    hub = connect(pair.hub)
    yield pair, hub, good
    hub.conn.close()


def mutations():
    """A list of edits: flip, overwrite, insert, delete, truncate, or append bytes."""
    edit = st.one_of(
        st.tuples(st.just("flip"), st.integers(0, 10**9), st.integers(1, 255)),
        st.tuples(st.just("set"), st.integers(0, 10**9), st.integers(0, 255)),
        st.tuples(st.just("insert"), st.integers(0, 10**9), st.binary(min_size=1, max_size=16)),
        st.tuples(st.just("delete"), st.integers(0, 10**9), st.integers(1, 64)),
        st.tuples(st.just("truncate"), st.integers(0, 10**9), st.just(0)),
        st.tuples(st.just("append"), st.just(0), st.binary(min_size=1, max_size=64)),
    )
    return st.lists(edit, min_size=1, max_size=4)


def mutate(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for kind, at, value in edits:
        at = at % (len(out) + 1)
        if kind == "flip" and out:
            out[at % len(out)] ^= value
        elif kind == "set" and out:
            out[at % len(out)] = value
        elif kind == "insert":
            out[at:at] = value
        elif kind == "delete":
            del out[at:at + value]
        elif kind == "truncate":
            del out[at:]
        elif kind == "append":
            out += value
    return bytes(out)


def check_mutant(hub, good: bytes, data: bytes) -> None:
    before = hub.conn.total_changes
    if data == good:
        return
    with pytest.raises(fileformat.SyncRefused) as refused:
        receive.receive(hub, data, file_name="mutant.rhisync")
    assert str(refused.value) in fileformat.REFUSALS.values() or refused.value.reason in fileformat.REFUSALS
    # Exactly one row written (the audit entry), and it is the refusal.
    assert hub.conn.total_changes - before == 1
    assert hub.execute("select action from audit_log order by id desc limit 1").fetchone()[0] == "sync.refused"


def _fuzz(world, examples):
    pair, hub, good = world
    before = dump(pair.hub)

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(mutations())
    def run_one(edits):
        check_mutant(hub, good, mutate(good, edits))

    run_one()
    assert dump(pair.hub) == before, "no mutated file changed anything but the audit log"
    # The genuine file still imports whole after all that.
    assert not receive.receive(hub, good, file_name="good.rhisync").already


def test_mutated_files_are_refused_without_a_crash_or_a_partial_write(world):
    _fuzz(world, SUITE_EXAMPLES)


@pytest.mark.slow
def test_thousands_of_mutated_files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz-long")
    pair = Pair(tmp)
    import_episodes(pair.hub, tmp)
    ok(run(pair.hub, "assign", "--episode", "E-1001", "--to", "Safe Steps"))
    ok(run(pair.field, "sync", "receive", pair.pack()))
    ok(run(pair.field, "demo", "complete-assigned"))
    good = pair.ret().read_bytes()
    hub = connect(pair.hub)
    try:
        _fuzz((pair, hub, good), LONG_EXAMPLES)
    finally:
        hub.conn.close()


# Signed by an enrolled sender but with odd contents: refused by the schema, or imported whole.
ids = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=12)
maybe_text = st.one_of(st.none(), st.text(max_size=30), st.integers(), st.booleans())
record = st.fixed_dictionaries(
    {"rhi_id": ids, "revision": st.one_of(st.integers(-2, 3), st.just(2**70), st.text(max_size=3)),
     "status": st.sampled_from(["draft", "signed_off", "open", ""]),
     "child_id": st.sampled_from(["C-1", "C-2", "C-404", ""]),
     "episode_ids": st.lists(st.sampled_from(["E-1001", "E-1002", "E-1003", "E-404"]), max_size=3),
     "offered_at": st.sampled_from([None, "2026-11-22 12:00", "yesterday"]),
     "outcome": st.sampled_from([None, "completed", "declined", "eaten"]),
     "answers": st.one_of(st.none(), st.dictionaries(st.text(max_size=5), maybe_text, max_size=3)),
     "signed_off_at": st.sampled_from([None, "2026-11-23 09:00"]),
     "interviewer_type": st.sampled_from([None, "provider", "wizard"])},
    optional={"extra": maybe_text, "completed_at": st.sampled_from([None, "2026-11-23 08:00"])})


def test_odd_signed_payloads_are_refused_or_imported_whole(world, tmp_path):
    pair, hub, _good = world
    sequence = [100]

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.lists(record, max_size=4))
    def run_one(records):
        sequence[0] += 1
        path = forge(pair.field, pair.hub, tmp_path / "odd.rhisync", sequence=sequence[0],
                     payload={"kind": "return", "records": records})
        before = hub.conn.total_changes
        try:
            result = receive.receive(hub, path.read_bytes(), file_name="odd.rhisync")
        except fileformat.SyncRefused as refused:
            assert refused.reason == "invalid_payload"
            assert hub.conn.total_changes - before == 1
        else:
            assert not result.already
            assert hub.execute("select count(*) from sync_imports where sequence = ?",
                               [sequence[0]]).fetchone()[0] == 1

    run_one()
