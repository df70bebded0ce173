"""Actions due, computed from the records in one place: what the guidance and the protocol ask next.

Kinds of action (:data:`KINDS`), each with its deadline:

- ``notify_responsible``: an OLA child's episode — tell the responsible council, within 24 hours of
  the child going missing; ``ola_outcome``: once the child is back, record the outcome of the
  interview that council reports back, within 7 days of the return.
- ``notify_host`` and ``notify_iro``: our looked-after child placed out of borough or in a
  neighbouring authority — tell the host council and the child's Independent Reviewing Officer,
  within 24 hours of the child going missing.
- ``strategy``: a strategy meeting or discussion, when a trigger of :mod:`rhi_desk.actions.triggers`
  fires, within that trigger's deadline (the earliest, when several fire on one episode).
- ``rhi_offer``: the return home interview offered within 72 hours of the return (done when the
  interview is *offered*, as :func:`rhi_desk.register.counting.offered_sql` defines it, or an outcome
  is recorded, as the Today list counts it).
- ``referral``: a referral decided in a signed-off interview, not yet recorded as made, within 2
  days of the sign-off.

An action is done when someone records it (:func:`record_done`: when, who, how, to whom), audited;
only episodes that started or ended in the last 90 days (or are open) raise actions, so years of
imported history do not. A strategy meeting held after a trigger fired covers it, and one held in
the 30 days before a repeat-missing trigger covers that too (the pattern was already before it).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlite_utils

from rhi_desk import audit
from rhi_desk.actions import referrals, triggers
from rhi_desk.clock import MINUTE_FORMAT, now, now_iso, parse_minute
from rhi_desk.db import write_transaction
from rhi_desk.interviews.questions import REFERRALS
from rhi_desk.register import counting
from rhi_desk.register.rhi_tracking import OUTCOMES
from rhi_desk.register.rules import OVERDUE_LOOKBACK, REPEAT_WINDOW, RETURN_WINDOW, RegisterError, _minute

LOOKBACK = OVERDUE_LOOKBACK


@dataclass(frozen=True)
class Kind:
    """A kind of action: what it is called, and from when and within how long it is due."""

    label: str
    within: timedelta
    recorded_here: bool = True  # False: done by recording something else (the offer, the referral)


KINDS = {
    "notify_responsible": Kind("Tell the responsible council", timedelta(hours=24)),
    "ola_outcome": Kind("Record the interview outcome the responsible council reports", timedelta(days=7)),
    "notify_host": Kind("Tell the host council", timedelta(hours=24)),
    "notify_iro": Kind("Tell the child's Independent Reviewing Officer", timedelta(hours=24)),
    "strategy": Kind("Hold a strategy meeting or discussion", timedelta(hours=72)),
    "rhi_offer": Kind("Offer a return home interview", RETURN_WINDOW, recorded_here=False),
    "referral": Kind("Make the referral decided in the interview", timedelta(days=2)),
}
NOTICE_METHODS = {"phone": "By phone", "email": "By secure email", "letter": "By letter",
                  "in_person": "In person", "meeting": "At a meeting", "system": "Through the case system"}
STRATEGY_FORMS = {"meeting": "Strategy meeting", "discussion": "Strategy discussion (phone or online)"}
OLA_OUTCOMES = {**OUTCOMES, "not_offered": "Not offered by the responsible council",
                "not_known": "The responsible council could not say"}


class ActionError(RegisterError):
    """A problem recording an action; the message says what to do (``field`` names the question)."""


@dataclass
class Action:
    """One action due: its kind, the child, the episode and the deadline."""

    key: str
    kind: str
    child_pk: int
    child_id: str
    child_name: str
    episode_id: str
    deadline: datetime
    reason: str = ""
    to_whom: str = ""
    overdue: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The kind of action in words."""
        return KINDS[self.kind].label

    def line(self) -> str:
        """One line for the command line: kind, child, episode, deadline."""
        flag = "OVERDUE " if self.overdue else ""
        name = f"{self.child_name} ({self.child_id})" if self.child_name else self.child_id
        reason = f" ({self.reason})" if self.reason else ""
        return (f"{flag}{self.label}{reason}: {name}, episode {self.episode_id}, by "
                f"{self.deadline.strftime(MINUTE_FORMAT)}")


_EPISODE = ('e.id, e.episode_id, e.child, e.episode_type, e.start, e."end", e.looked_after, e.other_la, '
            "e.placement, e.police_risk, c.child_id, c.name, c.responsible_la, c.social_worker")


def _recent_episodes(db, at: datetime, child_pk: int | None) -> list[dict]:
    since = (at - LOOKBACK).strftime(MINUTE_FORMAT)
    stamp = at.strftime(MINUTE_FORMAT)
    # A voided episode is no record, and one after the 18th birthday no child's (register.counting).
    only = (f" and {counting.live_sql('e')} and not {counting.adult_sql()}"
            + (" and e.child = :child" if child_pk is not None else ""))
    rows = {}
    for sql in (f"select {_EPISODE} from episodes e join children c on c.id = e.child "
                f"where e.start >= :since and e.start <= :at{only}",
                f'select {_EPISODE} from episodes e join children c on c.id = e.child where e."end" is null '
                f"and e.start <= :at{only}",
                f'select {_EPISODE} from episodes e join children c on c.id = e.child where e."end" >= :since '
                f"and e.start <= :at{only}"):
        for row in db.query(sql, {"since": since, "at": stamp, "child": child_pk}):
            rows[row["id"]] = row
    return sorted(rows.values(), key=lambda r: (r["start"], r["id"]))


def _action(kind: str, row: dict, deadline: datetime, at: datetime, **more) -> Action:
    return Action(key=f"{kind}:{row['episode_id']}", kind=kind, child_pk=row["child"], child_id=row["child_id"],
                  child_name=row["name"] or "", episode_id=row["episode_id"], deadline=deadline,
                  overdue=deadline < at, **more)


def due(db: sqlite_utils.Database, at: datetime | None = None, *, child_pk: int | None = None) -> list[Action]:
    """Every action due now (not yet recorded as done), soonest deadline first; one child's with ``child_pk``."""
    at = (at or now()).replace(microsecond=0)
    episodes = _recent_episodes(db, at, child_pk)
    candidates: list[Action] = []
    ours = []
    offered = _offered(db, [row["id"] for row in episodes if row["end"] and not row["other_la"]])
    for row in episodes:
        began = parse_minute(row["start"])
        if row["other_la"]:
            candidates.append(_action("notify_responsible", row, began + KINDS["notify_responsible"].within, at,
                                      to_whom=row["responsible_la"] or ""))
            if row["end"]:
                candidates.append(_action("ola_outcome", row, parse_minute(row["end"]) + KINDS["ola_outcome"].within,
                                          at, to_whom=row["responsible_la"] or ""))
            continue
        ours.append(row)
        if row["looked_after"] and row["placement"] in ("out_of_borough", "neighbouring"):
            candidates.append(_action("notify_host", row, began + KINDS["notify_host"].within, at,
                                      reason="placed " + ("out of borough" if row["placement"] == "out_of_borough"
                                                          else "in a neighbouring authority")))
            candidates.append(_action("notify_iro", row, began + KINDS["notify_iro"].within, at))
        if row["end"] and row["id"] not in offered:
            candidates.append(_action("rhi_offer", row, parse_minute(row["end"]) + RETURN_WINDOW, at))
    candidates += _strategy_actions(db, ours, at)
    candidates += _referral_actions(db, at, child_pk)
    keys = [a.key for a in candidates]
    done = set()
    for chunk in range(0, len(keys), 500):
        part = keys[chunk:chunk + 500]
        done |= {r["action_key"] for r in db.query(
            f"select action_key from actions_done where action_key in ({', '.join('?' * len(part))})", part)}
    result = [a for a in candidates if a.key not in done]
    result.sort(key=lambda a: (a.deadline, a.child_id, a.kind))
    return result


def _offered(db, episode_pks: list[int]) -> set[int]:
    """Of these episodes, the ones an interview covering them was offered for (or has an outcome)."""
    found: set[int] = set()
    for chunk in range(0, len(episode_pks), 500):
        part = episode_pks[chunk:chunk + 500]
        found |= {row[0] for row in db.conn.execute(
            "select distinct re.episode from rhi_episodes re join return_home_interviews r on r.id = re.rhi "
            f"where re.episode in ({', '.join('?' * len(part))}) "
            f"and ({counting.offered_sql('r')} or r.outcome is not null)", part)}
    return found


def _strategy_actions(db, episodes: list[dict], at: datetime) -> list[Action]:
    fired = triggers.fired(db, episodes, at)
    if not fired:
        return []
    by_pk = {e["id"]: e for e in episodes}
    held: dict[int, list[datetime]] = {}
    children = sorted({by_pk[pk]["child"] for pk in fired})
    for row in db.query(f"select child, done_at from actions_done where kind = 'strategy' "
                        f"and child in ({', '.join('?' * len(children))})", children):
        held.setdefault(row["child"], []).append(parse_minute(row["done_at"]))
    actions = []
    for pk, reasons in fired.items():
        row = by_pk[pk]
        meetings = held.get(row["child"], [])
        first = min(moment for _, moment in reasons)
        if any(m >= first for m in meetings):
            continue  # a strategy meeting after the trigger fired considered it
        if all(t.code == "repeat" for t, _ in reasons) and any(m >= first - REPEAT_WINDOW for m in meetings):
            continue  # the pattern was considered at a meeting in the 30 days before
        deadline = min(moment + t.within for t, moment in reasons)
        actions.append(_action("strategy", row, deadline, at,
                               reason="; ".join(t.text for t, _ in sorted(reasons, key=lambda r: r[1])),
                               extra={"triggers": [t.code for t, _ in reasons]}))
    return actions


def _referral_actions(db, at: datetime, child_pk: int | None) -> list[Action]:
    since = (at - LOOKBACK).strftime(MINUTE_FORMAT)
    only = " and r.child = :child" if child_pk is not None else ""
    actions = []
    for row in db.query(
            "select r.id, r.rhi_id, r.answers, r.signed_off_at, r.child, c.child_id, c.name, "
            "(select e.episode_id from rhi_episodes re join episodes e on e.id = re.episode where re.rhi = r.id "
            "order by e.start desc limit 1) as episode_id "
            "from return_home_interviews r join children c on c.id = r.child "
            f"where r.status = 'signed_off' and r.signed_off_at >= :since and r.answers like '%referrals%'{only}",
            {"since": since, "child": child_pk}):
        try:
            answers = json.loads(row["answers"] or "{}")
        except ValueError:
            continue
        codes = answers.get("referrals") if isinstance(answers, dict) else None
        codes = [codes] if isinstance(codes, str) else codes if isinstance(codes, list) else []
        made = {r["rhi_code"] for r in db.query("select rhi_code from referrals where rhi = ?", [row["id"]])}
        for code in codes:
            if code not in referrals.RHI_REFERRAL_KINDS or code in made:
                continue
            deadline = parse_minute(row["signed_off_at"][:16]) + KINDS["referral"].within
            actions.append(Action(
                key=f"referral:{row['rhi_id']}:{code}", kind="referral", child_pk=row["child"],
                child_id=row["child_id"], child_name=row["name"] or "", episode_id=row["episode_id"] or "",
                deadline=deadline, overdue=deadline < at, reason=REFERRALS.get(code, code),
                extra={"rhi_pk": row["id"], "rhi_id": row["rhi_id"], "code": code,
                       "referral_kind": referrals.RHI_REFERRAL_KINDS[code]}))
    return actions


def find(db: sqlite_utils.Database, key: str, at: datetime | None = None) -> Action | None:
    """The action due with this key, or None (done already, or never due)."""
    kind, _, rest = key.partition(":")
    if kind not in KINDS or not rest:
        return None
    if kind == "referral":
        rhi_id = rest.partition(":")[0]
        rows = list(db.query("select child from return_home_interviews where rhi_id = ?", [rhi_id]))
    else:
        rows = list(db.query("select child from episodes where episode_id = ?", [rest]))
    if not rows:
        return None
    return next((a for a in due(db, at, child_pk=rows[0]["child"]) if a.key == key), None)


def record_done(db: sqlite_utils.Database, key: str, *, done_at: str, done_by: str, how: str | None = None,
                to_whom: str | None = None, outcome: str | None = None, notes: str | None = None,
                by: str | None = None) -> dict:
    """Record that an action due was done (when, by whom, how, to whom; the outcome for an OLA child's
    interview); audited. The return home interview offer is recorded on the episode instead."""
    at = now()
    action = find(db, key, at)
    if action is None:
        raise ActionError("That action is not due: it may have been recorded already. Check the list again.")
    if not KINDS[action.kind].recorded_here:
        raise ActionError("Record the interview offer on the episode's page")
    done_at = _minute(done_at, "Enter the date and time it was done", "done_at")
    if parse_minute(done_at) > at:
        raise ActionError("The time it was done cannot be in the future", "done_at")
    done_by = (done_by or "").strip()
    if not done_by:
        raise ActionError("Enter who did it", "done_by")
    notes = (notes or "").strip() or None
    to_whom = (to_whom or "").strip() or None
    if action.kind in ("notify_responsible", "notify_host", "notify_iro"):
        if how not in NOTICE_METHODS:
            raise ActionError("Choose how they were told", "how")
        if not to_whom:
            raise ActionError("Enter who was told (name and council or service)", "to_whom")
    elif action.kind == "strategy":
        if how not in STRATEGY_FORMS:
            raise ActionError("Choose whether it was a strategy meeting or a discussion", "how")
    elif action.kind == "ola_outcome":
        if outcome not in OLA_OUTCOMES:
            raise ActionError("Choose the outcome the responsible council reported", "outcome")
    if action.kind == "referral":
        referral = referrals.record_referral(
            db, action.child_id, action.extra["referral_kind"], made_at=done_at, made_by=done_by,
            rhi_pk=action.extra["rhi_pk"], rhi_code=action.extra["code"], details=notes, by=by)
        return {"action_key": key, "kind": "referral", "referral": referral["id"]}
    episode = list(db.query("select id from episodes where episode_id = ?", [action.episode_id]))[0]
    with write_transaction(db):
        db.execute("insert into actions_done (action_key, kind, child, episode, done_at, done_by, how, to_whom, "
                   "outcome, notes, recorded_by, recorded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [key, action.kind, action.child_pk, episode["id"], done_at, done_by, how, to_whom, outcome,
                    notes, by, now_iso()])
        audit.record(db, "action.done", username=by, object_type="child", object_id=action.child_id,
                     detail={"action": key, "kind": action.kind, "done_at": done_at, "done_by": done_by,
                             "how": how, "to_whom": to_whom, "outcome": outcome,
                             "deadline": action.deadline.strftime(MINUTE_FORMAT), "late": parse_minute(done_at) >
                             action.deadline})
    return list(db.query("select * from actions_done where action_key = ?", [key]))[0]


def done_for_child(db: sqlite_utils.Database, child_pk: int) -> list[dict]:
    """The actions recorded as done for a child, newest first, with the episode's id."""
    rows = list(db.query("select d.*, e.episode_id from actions_done d left join episodes e on e.id = d.episode "
                         "where d.child = ? order by d.done_at desc, d.id desc", [child_pk]))
    for row in rows:
        row["label"] = KINDS[row["kind"]].label if row["kind"] in KINDS else row["kind"]
    return rows
