"""Made-up interview answers for the demo and the sync tests."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from rhi_desk.clock import now
from rhi_desk.db import write_transaction
from rhi_desk.interviews.navigation import answers_of
from rhi_desk.interviews.saving import _require, _write_answers
from rhi_desk.interviews.sign_off import sign_off
from rhi_desk.register import rhi_tracking

# ---------------------------------------------------------------------------------------------
# Made-up answers (demo and sync tests)

_MADE_UP = {
    "place": "At the child's school, in a quiet room",
    "seen_alone": "yes",
    "confidentiality_explained": "yes",
    "where_went": "Stayed at a friend's flat in town and walked around the shopping centre (made up)",
    "where_area": "Croydon CR0",
    "who_with": "Two friends from school and an older boy they met that week (made up)",
    "travel": "By bus, using a pass an older boy bought",
    "activities": "Hung around the shopping centre, stayed up late at the flat",
    "felt_missing": "not_sure",
    "push_factors": ["conflict", "boundaries"],
    "pull_factors": ["friends", "adults"],
    "in_their_words": "\"I just needed a break from everyone telling me what to do.\" (made up)",
    "harm_suffered": "No physical harm described. Was tired and hungry. (made up)",
    "harm_indicators": ["cce", "substance_misuse"],
    "harm_details": "Was given cannabis and asked to carry a bag for the older boy (made up)",
    "police_involved": "yes",
    "police_details": "Police found the child and took them home; reference made up 01/2345",
    "risk_level": "medium",
    "what_would_help": "More time with their older sister; a say in house rules (made up)",
    "stop_it_happening": "Being listened to at home, and someone to talk to at school",
    "anything_else": "",
    "referrals": ["police_intelligence", "early_help"],
    "information_shared": "Police intelligence about the older boy shared with the local police team",
    "safety_advice_given": "yes",
}


# Made-up places and people (Ofcom's drama phone numbers), a few per interview, so the demo's
# intelligence picture links children across interviews.
_PLACES = (
    {"name": "West Croydon bus station", "area": "CR0", "kind": "transport_hub", "details": "Met people there"},
    {"name": "Chicken shop on London Road", "area": "CR7", "kind": "shop", "details": "Given free food"},
    {"name": "The Crown", "area": "", "kind": "shop", "details": "Older boys hang around outside"},
    {"name": "Park Hill Park", "area": "CR0", "kind": "park", "details": ""},
    {"name": "A flat above the shops", "area": "Thornton Heath", "kind": "friends_address", "details": "Stayed the night"},
    {"name": "Brighton", "area": "", "kind": "another_town", "details": "Taken there by train"},
)
_PEOPLE = (
    {"name": "Jay", "age": "about 19", "relationship": "older boy", "phone": "07700 900123", "vehicle": "",
     "details": "Buys them food and credit"},
    {"name": "Big T", "age": "20s", "relationship": "", "phone": "", "vehicle": "black Golf", "details": ""},
    {"name": "Kez", "age": "16", "relationship": "friend", "phone": "", "vehicle": "", "details": ""},
    {"name": "", "age": "older man", "relationship": "", "phone": "07700 900456", "vehicle": "", "details": "Unknown name"},
)


def made_up_places_and_people(rhi_id: str) -> dict:
    """One or two places and a person, the same each time for the same interview (made up)."""
    import random

    pick = random.Random(rhi_id)
    return {"places": [dict(p) for p in pick.sample(_PLACES, pick.choice((1, 2)))],
            "people": [dict(pick.choice(_PEOPLE))]}


MADE_UP_REASON = {"declined": "declined_by_child", "unavailable": "could_not_contact", "missing_again": "missing_again"}


def complete_with_made_up_answers(db: sqlite_utils.Database, rhi_id: str, *, by: str) -> dict:
    """Fill every section with plausible made-up answers, record the offer and outcome if missing, sign off."""
    rhi = _require(db, rhi_id)
    if rhi["status"] == "signed_off":
        return rhi
    episodes = rhi_tracking.episodes_of(db, rhi["id"])
    moment = now()
    returned = (max((e["end"] for e in episodes if e["end"]), default=None)
                or (episodes[-1]["start"] if episodes else (moment - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")))
    later = datetime.fromisoformat(returned) + timedelta(hours=20)
    offered = min(datetime.fromisoformat(returned) + timedelta(hours=2), moment)
    held = min(later, moment)
    offered_at = rhi["offered_at"] or offered.strftime("%Y-%m-%d %H:%M")
    if episodes:  # an imported offer holds the day only (00:00), which may fall before the child went missing
        offered_at = max(offered_at, min(e["start"] for e in episodes))
    held_at = max(held.strftime("%Y-%m-%d %H:%M"), offered_at[:16])
    with write_transaction(db):
        if not (rhi["offered_at"] and rhi["offered_how"] and rhi["offered_by"]):
            rhi_tracking.record_offer(db, rhi_id, offered_at, rhi["offered_how"] or "phone",
                                      rhi["offered_by"] or "Demo worker", by=by)
        completed = rhi["outcome"] in (None, "completed")
        answers = answers_of(rhi)
        if completed:
            rhi_tracking.record_outcome(db, rhi_id, "completed", completed_at=held_at, by=by)
            answers.update(_MADE_UP)
            answers.update(made_up_places_and_people(rhi_id))
            answers.update({
                "outcome": "completed", "held_at": held_at,
                "interviewer_name": by if by and by != "demo" else "Demo Worker",
                "interviewer_type": rhi["interviewer_type"] or "social_worker",
                "follow_up_actions": [{"action": "Arrange a meeting with school about support (made up)",
                                       "owner": "Social worker",
                                       "due": (moment + timedelta(days=7)).strftime("%Y-%m-%d"), "done": False}],
            })
        else:
            answers.update({"outcome": rhi["outcome"],
                            "not_done_code": rhi.get("not_done_code") or MADE_UP_REASON.get(rhi["outcome"], "other"),
                            "carers_information": "Carer says the child stayed with friends (made up)"})
            if not (rhi["outcome_reason"] and rhi["attempts"]):
                rhi_tracking.record_outcome(db, rhi_id, rhi["outcome"],
                                            reason=rhi["outcome_reason"] or "Made-up reason",
                                            attempts=rhi["attempts"] or "Two visits and a call (made up)", by=by)
        _write_answers(db, rhi_tracking.get_rhi(db, rhi_id), answers, resume_at=None)
        result = sign_off(db, rhi_id, by=by, declaration=True)
    return result


def complete_assigned_rhis(db, *, by: str = "demo") -> int:
    """Complete and sign off every assigned interview not yet signed off (made-up answers)."""
    rows = list(db.query("select rhi_id from return_home_interviews where status != 'signed_off' "
                         "and assigned_install = (select install_id from install where id = 1) order by id"))
    for row in rows:
        complete_with_made_up_answers(db, row["rhi_id"], by=by)
    return len(rows)
