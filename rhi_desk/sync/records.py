"""An RHI as a sync record: its fields, its digest, and the local copy a file is compared with."""
from __future__ import annotations

import hashlib
import json

import orjson
import sqlite_utils

from rhi_desk.sync.fileformat import RECORD_FIELDS

# ---------------------------------------------------------------------------------------------
# Records: what an RHI looks like on the wire, and its digest


def record_digest(record: dict) -> str:
    """A digest of a return record's content, so the hub can confirm exactly what it imported."""
    # JSON with sorted keys, no spaces, UTF-8 (as documented in docs/sync-format.md).
    try:
        text = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a number too big for orjson: only a hand-made file holds one
        text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(text).hexdigest()


def _episode_ids_by_rhi(db, rhi_pks: list[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = {}
    for start in range(0, len(rhi_pks), 500):
        chunk = rhi_pks[start:start + 500]
        for row in db.query(f"select re.rhi, e.episode_id from rhi_episodes re join episodes e on e.id = re.episode "
                            f"where re.rhi in ({','.join('?' * len(chunk))}) order by e.start, e.episode_id", chunk):
            result.setdefault(row["rhi"], []).append(row["episode_id"])
    return result


def _record_of(row: dict, child_id: str, episode_ids: list[str]) -> dict:
    signed_off = row["status"] == "signed_off"
    record = {
        "rhi_id": row["rhi_id"],
        "revision": row["revision"],
        "status": "signed_off" if signed_off else "draft",
        "child_id": child_id,
        "episode_ids": episode_ids,
    }
    for name in RECORD_FIELDS:
        record[name] = row[name]
    # Draft answers never leave the install: only the offer and outcome travel before sign-off.
    record["answers"] = orjson.loads(row["answers"] or "{}") if signed_off else None
    return record


def _stage(record: dict) -> tuple:
    return (record["status"] == "signed_off", record.get("outcome") is not None,
            record.get("offered_at") is not None)


def local_record(db: sqlite_utils.Database, rhi_id: str) -> dict | None:
    """This install's RHI in return-record form, or None."""
    rows = list(db.query("select r.*, c.child_id as child_ref from return_home_interviews r "
                         "join children c on c.id = r.child where r.rhi_id = ?", [rhi_id]))
    if not rows:
        return None
    row = rows[0]
    eps = [e["episode_id"] for e in db.query(
        "select e.episode_id from rhi_episodes re join episodes e on e.id = re.episode where re.rhi = ? "
        "order by e.start, e.episode_id", [row["id"]])]
    return _record_of(row, row["child_ref"], eps)


def local_records(db: sqlite_utils.Database, rhi_ids) -> dict[str, dict]:
    """This install's RHIs with these ids, in return-record form, by id (loaded in a few queries)."""
    ids = list(dict.fromkeys(rhi_ids))
    found: dict[str, dict] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = list(db.query(f"select r.*, c.child_id as child_ref from return_home_interviews r "
                             f"join children c on c.id = r.child where r.rhi_id in ({marks})", chunk))
        if not rows:
            continue
        eps: dict[int, list[str]] = {}
        pk_marks = ",".join("?" * len(rows))
        for e in db.query(f"select re.rhi, e.episode_id from rhi_episodes re join episodes e on e.id = re.episode "
                          f"where re.rhi in ({pk_marks}) order by e.start, e.episode_id", [r["id"] for r in rows]):
            eps.setdefault(e["rhi"], []).append(e["episode_id"])
        for row in rows:
            found[row["rhi_id"]] = _record_of(row, row["child_ref"], eps.get(row["id"], []))
    return found
