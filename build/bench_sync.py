"""Benchmark: export and import a return bundle of N signed-off interviews (default 10,000).

    python build/bench_sync.py [--rows N]

Export = `sync.send` on a field install (query, digests, JSON, zlib, sealed box, Ed25519, atomic write).
Import = `sync.receive` on the hub (signature check, decryption, schema validation, one transaction).
Baseline, same rows, same run: plain json.dumps + file write, and json.loads + one executemany insert.
Targets (issue 6): export < 2 s, import < 5 s.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rhi_desk import installs
from rhi_desk.db import connect
from rhi_desk.sync import fileformat, keys, receive, send
from rhi_desk.sync import records as sync_records

ANSWERS = {
    "where": "Stayed with friends near the station, then at an older friend's flat " * 3,
    "who_with": "Two friends from school and an adult they met online",
    "why_push": ["conflict at placement", "school"], "why_pull": ["friends", "parties"],
    "harm": "Was given alcohol; no injuries", "cse_indicators": ["older_partner"], "risk_level": "medium",
    "child_voice": "Wants more time with her sister and to change school " * 2,
    "actions": [{"action": "Refer to CSE panel", "owner": "Social worker", "due": "2026-12-01"}],
}
STAMP = "2026-11-24 09:00:00"


def build(tmp: Path, rows: int):
    hub, field = connect(tmp / "hub.db"), connect(tmp / "field.db")
    installs.initialise(hub, "hub", "Croydon", "Missing team")
    installs.initialise(field, "field", "Croydon", "Safe Steps")
    keys.enrol(hub, keys.identity_json(field))
    keys.enrol(field, keys.identity_json(hub))
    field_id = keys.identity(field)["install_id"]
    children = [(f"C-{i}", f"Child {i}", "2010-01-01", "out_of_borough", STAMP, STAMP) for i in range(rows // 3 + 1)]
    for db in (hub, field):
        with db.conn:
            db.conn.executemany("insert into children (child_id, name, date_of_birth, looked_after, placement, "
                                "created_at, updated_at) values (?, ?, ?, 1, ?, ?, ?)", children)
            db.conn.executemany(
                'insert into episodes (episode_id, child, episode_type, start, "end", looked_after, placement, '
                "created_at, updated_at) values (?, ?, 'missing', '2026-11-01 10:00', '2026-11-02 10:00', 1, "
                "'out_of_borough', ?, ?)", [(f"E-{i}", i // 3 + 1, STAMP, STAMP) for i in range(rows)])
    with field.conn:
        field.conn.executemany(
            "insert into return_home_interviews (rhi_id, child, interviewer_type, assigned_to, assigned_install, "
            "offered_at, offered_how, offered_by, outcome, completed_at, status, revision, answers, signed_off_by, "
            "signed_off_at, created_at, updated_at) values (?, ?, 'provider', 'Safe Steps', ?, '2026-11-02 12:00', "
            "'phone', 'Pat', 'completed', '2026-11-03 10:00', 'signed_off', 1, ?, 'Pat', '2026-11-03 12:00', ?, ?)",
            [(f"R-{i}", i // 3 + 1, field_id, json.dumps(dict(ANSWERS, child_voice=f"{i}: " + ANSWERS["child_voice"],
                                                             harm=f"Episode {i * 7919 % 10007}: " + ANSWERS["harm"])),
              STAMP, STAMP) for i in range(rows)])
        field.conn.executemany("insert into rhi_episodes (rhi, episode) values (?, ?)",
                               [(i + 1, i + 1) for i in range(rows)])
    return hub, field


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="interviews in the bundle (default 10,000)")
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        hub, field = build(tmp, rows)
        fileformat.payload_problem({})  # compile the schema once, as a running app would have

        started = time.perf_counter()
        made = send.send(field, "Missing team", tmp / "out")
        export_s = time.perf_counter() - started
        size = made.path.stat().st_size

        data = made.path.read_bytes()
        started = time.perf_counter()
        result = receive.receive(hub, data, file_name=made.path.name)
        import_s = time.perf_counter() - started
        assert result.summary["new"] == rows, result.summary

        # Baseline: the same records with no crypto, no schema, no rules.
        records = list(sync_records.local_records(field, [f"R-{i}" for i in range(rows)]).values())
        started = time.perf_counter()
        plain = json.dumps(records).encode()
        (tmp / "plain.json").write_bytes(plain)
        base_export_s = time.perf_counter() - started
        base = connect(tmp / "baseline.db")
        base.execute("create table plain (rhi_id text primary key, status text, outcome text, answers text)")
        started = time.perf_counter()
        loaded = json.loads((tmp / "plain.json").read_bytes())
        with base.conn:
            base.conn.executemany("insert into plain values (?, ?, ?, ?)",
                                  [(r["rhi_id"], r["status"], r["outcome"], json.dumps(r["answers"])) for r in loaded])
        base_import_s = time.perf_counter() - started

    print(f"Return bundle of {rows:,} signed-off interviews: file {size / 1e6:.1f} MB "
          f"(plain JSON {len(plain) / 1e6:.1f} MB)")
    print(f"  export  {export_s:6.2f} s  (target < 2 s)   baseline json.dumps + write    {base_export_s:6.2f} s")
    print(f"  import  {import_s:6.2f} s  (target < 5 s)   baseline json.loads + executemany {base_import_s:6.2f} s")
    ok = export_s < 2 and import_s < 5
    print("  within targets" if ok else "  OUTSIDE the targets")


if __name__ == "__main__":
    main()
