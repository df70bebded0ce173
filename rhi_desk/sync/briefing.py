"""The interviewer's briefing: what the hub holds about the child and may share with whoever holds the interview.

Placement and where the child went missing from, the allocated social worker, what the missing notification
recorded (circumstances, who reported it, police reference and risk), earlier episodes (how many in the 12
months before, and when), earlier interviews (when, and what happened), and known risks (the register's risk
notes and the latest exploitation screening). The hub builds it from its records when it is read; a field
install holds the copy that came with the assignment in ``sync_briefings`` until the hub confirms the
interview (docs/sync-format.md, "The briefing").
"""
from __future__ import annotations

import json
from datetime import timedelta

import sqlite_utils

from rhi_desk.clock import MINUTE_FORMAT, now_iso, parse_minute
from rhi_desk.intelligence import screening
from rhi_desk.register import police, rules
from rhi_desk.register.rhi_tracking import OUTCOMES

LOOK_BACK = timedelta(days=365)
LIST_LIMIT = 20  # the newest earlier episodes and interviews listed by date (the count is of all of them)


def build(db: sqlite_utils.Database, child_pk: int, episode_pks: list[int], *,
          rhi_pk: int | None = None) -> dict:
    """The briefing for an interview with ``child_pk`` about ``episode_pks`` (the interview itself excluded)."""
    child = db.execute("select placement, social_worker, responsible_la, risk_notes from children where id = ?",
                       [child_pk]).fetchone()
    marks = ",".join("?" * len(episode_pks)) or "null"
    covered = list(db.query(
        f'select * from episodes where id in ({marks}) order by start', episode_pks))
    first_start = parse_minute(covered[0]["start"]) if covered else None
    latest = covered[-1] if covered else {}
    earlier = []
    if first_start is not None:
        since = (first_start - LOOK_BACK).strftime(MINUTE_FORMAT)
        earlier = [r[0] for r in db.execute(
            f"select start from episodes where child = ? and voided_at is null and start >= ? and start < ? "
            f"and id not in ({marks}) order by start desc", [child_pk, since, covered[0]["start"], *episode_pks])]
    interviews = []
    for r in db.query("select id, outcome, completed_at, offered_at, signed_off_at, status from "
                      "return_home_interviews where child = ? and (outcome is not null or status = 'signed_off') "
                      "order by coalesce(completed_at, signed_off_at, offered_at) desc", [child_pk]):
        if r["id"] == rhi_pk:
            continue
        when = r["completed_at"] or r["signed_off_at"] or r["offered_at"]
        interviews.append({"date": when[:16] if when else None,
                           "outcome": OUTCOMES.get(r["outcome"], "Not recorded") if r["outcome"] else "Not recorded"})
    screened = [s for s in screening.history(db, child_pk) if s["rhi"] != rhi_pk]
    last = screened[-1] if screened else None
    trigger = db.execute("select 1 from intel_strategy_triggers where child = ? and handled_at is null",
                         [child_pk]).fetchone()
    missing_from = latest.get("missing_from_place")
    if missing_from and latest.get("missing_from_type") in police.PLACE_TYPES:
        missing_from = f"{missing_from} ({police.PLACE_TYPES[latest['missing_from_type']]})"
    return {
        "prepared_at": now_iso()[:16],
        "placement": rules.PLACEMENTS.get(latest.get("placement") or child[0] or ""),
        "missing_from": missing_from,
        "social_worker": child[1],
        "responsible_la": child[2],
        "episodes": [{"episode_id": e["episode_id"], "start": e["start"], "end": e["end"],
                      "circumstances": e["circumstances"], "reported_by": e["reported_by"],
                      "police_reference": e["police_reference"],
                      "police_risk": police.RISK_LEVELS.get(police.current_grade(e) or "")} for e in covered],
        "earlier_episodes": {"count": len(earlier), "dates": [d[:16] for d in earlier[:LIST_LIMIT]]},
        "earlier_interviews": interviews[:LIST_LIMIT],
        "risk_notes": child[3],
        "screening": {"level": last["level_label"], "on": (last["screened_on"] or "")[:10] or None,
                      "indicators": last["indicator_labels"]} if last else None,
        "strategy_meeting_due": bool(trigger),
    }


def for_rhi(db: sqlite_utils.Database, rhi: dict) -> dict | None:
    """The briefing to show with an interview: the hub builds it now; a field install reads the one it was sent."""
    role = db.execute("select role from install where id = 1").fetchone()
    if role and role[0] == "field":
        return held(db, rhi["rhi_id"])
    pks = [r[0] for r in db.execute("select episode from rhi_episodes where rhi = ?", [rhi["id"]])]
    return build(db, rhi["child"], pks, rhi_pk=rhi["id"])


def held(db: sqlite_utils.Database, rhi_id: str) -> dict | None:
    """Field install: the briefing the hub sent for this interview, or None (never sent, or removed)."""
    row = db.execute("select briefing from sync_briefings where rhi_id = ?", [rhi_id]).fetchone()
    return json.loads(row[0]) if row else None


def keep(db, rhi_id: str, briefing: dict) -> None:
    """Field install: keep (or replace) the briefing that came with an assignment (inside the import)."""
    db.execute("insert into sync_briefings (rhi_id, briefing, received_at) values (?, ?, ?) "
               "on conflict (rhi_id) do update set briefing = excluded.briefing, received_at = excluded.received_at",
               [rhi_id, json.dumps(briefing, ensure_ascii=False), now_iso()])


def forget(db, rhi_id: str) -> None:
    """Field install: remove an interview's briefing (the hub confirmed it, withdrew it, or it was purged)."""
    db.execute("delete from sync_briefings where rhi_id = ?", [rhi_id])
