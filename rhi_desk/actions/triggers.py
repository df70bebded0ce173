"""When a strategy meeting or discussion is due: the council's table of triggers.

Each trigger looks at the recent episodes of the council's own children (an OLA child's strategy
meeting is for the responsible council, which we tell) and says on which episode it fired and when.
The strategy meeting is then due within the trigger's ``within`` of that moment.

=================  ===================================================  =========  ==========
code               fires when                                           threshold  due within
=================  ===================================================  =========  ==========
repeat             the child's Nth missing episode in 30 days starts    3          72 hours
long_missing       an episode has lasted more than N hours              24         24 hours
police_high        the police grade the risk high                                  24 hours
lac_first          a looked-after child's first episode while in care              72 hours
exploitation       an interview covering the episode is signed off with            72 hours
                   signs of exploitation (CSE, CCE, county lines,
                   trafficking, gangs)
=================  ===================================================  =========  ==========

A council changes the table without code: ``rhi-desk triggers set CODE --off`` (or ``--on``,
``--within-hours N``, ``--threshold N``), kept in ``strategy_trigger_settings`` and audited. Another
area adds a trigger of its own with :func:`add_trigger` (the exploitation screening does).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable, Iterable

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso, parse_minute
from rhi_desk.db import write_transaction
from rhi_desk.register import counting

REPEAT_WINDOW = timedelta(days=counting.REPEAT_DAYS)

EXPLOITATION_SIGNS = ("cse", "cce", "county_lines", "trafficking", "gangs")

# find(db, episodes, at, threshold) → {episode pk: the moment the trigger fired}. ``episodes`` are the
# recent episodes of the council's own children (dicts with id, child, episode_type, start, end,
# looked_after, police_risk), every one of them seen by every trigger.
Finder = Callable[[sqlite_utils.Database, list, datetime, "int | None"], dict]


class TriggerError(Exception):
    """A problem with a change to the trigger table; the message says what to do."""


@dataclass(frozen=True)
class Trigger:
    """One reason a strategy meeting is due."""

    code: str
    label: str  # may hold {threshold}
    within: timedelta
    find: Finder
    threshold: int | None = None
    threshold_means: str = ""
    enabled: bool = True

    @property
    def text(self) -> str:
        """The trigger in words, with its threshold."""
        return self.label.format(threshold=self.threshold)


def _repeat(db, episodes, at, threshold) -> dict:
    # Repeat missing as register.counting defines it (missing episodes, not voided, before the 18th
    # birthday, in the rolling 30 days up to and including this one's start, both ends included); the
    # council may change the number of episodes.
    threshold = threshold or counting.REPEAT_EPISODES
    fired = {}
    children = sorted({e["child"] for e in episodes})
    if not children:
        return fired
    earliest = min(parse_minute(e["start"]) for e in episodes) - REPEAT_WINDOW
    starts: dict[int, list[datetime]] = {}
    for chunk in range(0, len(children), 500):
        part = children[chunk:chunk + 500]
        for row in db.query(
                f"select e.child, e.start from episodes e join children c on c.id = e.child "
                f"where {counting.repeat_sql()} and e.start >= ? and e.child in ({', '.join('?' * len(part))})",
                [earliest.strftime("%Y-%m-%d %H:%M"), *part]):
            starts.setdefault(row["child"], []).append(parse_minute(row["start"]))
    for e in episodes:
        if e["episode_type"] != "missing":
            continue
        began = parse_minute(e["start"])
        count = sum(1 for s in starts.get(e["child"], []) if began - REPEAT_WINDOW <= s <= began)
        if count >= threshold:
            fired[e["id"]] = began
    return fired


def _long_missing(db, episodes, at, threshold) -> dict:
    limit = timedelta(hours=threshold or 24)
    fired = {}
    for e in episodes:
        began = parse_minute(e["start"])
        ended = parse_minute(e["end"]) if e["end"] else at
        if ended - began > limit:
            fired[e["id"]] = began + limit
    return fired


def _police_high(db, episodes, at, threshold) -> dict:
    # It fires when the police first graded it high (the regrading history), or at the missing
    # notification when the grading came with it.
    high = [e for e in episodes if e["police_risk"] == "high"]
    first: dict[int, str] = {}
    for chunk in range(0, len(high), 500):
        part = [e["id"] for e in high[chunk:chunk + 500]]
        first.update(db.conn.execute(
            "select episode, min(graded_at) from police_risk_gradings where grade = 'high' "
            f"and episode in ({', '.join('?' * len(part))}) group by episode", part).fetchall())
    return {e["id"]: parse_minute(first.get(e["id"]) or e["start"]) for e in high}


def _lac_first(db, episodes, at, threshold) -> dict:
    fired = {}
    for e in episodes:
        if not e["looked_after"]:
            continue
        earlier = db.conn.execute("select 1 from episodes where child = ? and looked_after = 1 and start < ? "
                                  "and voided_at is null and id != ? limit 1",
                                  [e["child"], e["start"], e["id"]]).fetchone()
        if earlier is None:
            fired[e["id"]] = parse_minute(e["start"])
    return fired


def _exploitation(db, episodes, at, threshold) -> dict:
    fired = {}
    by_pk = [e["id"] for e in episodes]
    for chunk in range(0, len(by_pk), 500):
        part = by_pk[chunk:chunk + 500]
        for row in db.query(
                "select re.episode, r.answers, r.signed_off_at from rhi_episodes re "
                "join return_home_interviews r on r.id = re.rhi "
                f"where r.status = 'signed_off' and re.episode in ({', '.join('?' * len(part))})", part):
            try:
                answers = json.loads(row["answers"] or "{}")
            except ValueError:
                continue
            signs = answers.get("harm_indicators") if isinstance(answers, dict) else None
            signs = [signs] if isinstance(signs, str) else signs if isinstance(signs, list) else []
            if any(s in EXPLOITATION_SIGNS for s in signs) and row["signed_off_at"]:
                moment = parse_minute(row["signed_off_at"][:16])
                fired[row["episode"]] = min(moment, fired.get(row["episode"], moment))
    return fired


_TRIGGERS: list[Trigger] = [
    Trigger("repeat", "{threshold} or more missing episodes in 30 days", timedelta(hours=72), _repeat,
            threshold=counting.REPEAT_EPISODES, threshold_means="episodes"),
    Trigger("long_missing", "Missing longer than {threshold} hours", timedelta(hours=24), _long_missing,
            threshold=24, threshold_means="hours"),
    Trigger("police_high", "Police risk graded high", timedelta(hours=24), _police_high),
    Trigger("lac_first", "A looked-after child's first episode", timedelta(hours=72), _lac_first),
    Trigger("exploitation", "Exploitation indicated in a return home interview", timedelta(hours=72),
            _exploitation),
]


def add_trigger(trigger: Trigger) -> None:
    """Add a trigger to the table (another area's, such as the exploitation screening); its code must be new."""
    if any(t.code == trigger.code for t in _TRIGGERS):
        raise TriggerError(f"There is already a strategy-meeting trigger called {trigger.code}")
    _TRIGGERS.append(trigger)


def all_triggers(db: sqlite_utils.Database) -> list[Trigger]:
    """Every trigger as this council has set it (switched off ones included, with ``enabled`` False)."""
    settings = {row["code"]: row for row in db.query("select * from strategy_trigger_settings")}
    result = []
    for trigger in _TRIGGERS:
        setting = settings.get(trigger.code)
        if setting:
            trigger = replace(
                trigger, enabled=bool(setting["enabled"]),
                within=timedelta(hours=setting["within_hours"]) if setting["within_hours"] else trigger.within,
                threshold=setting["threshold"] if setting["threshold"] and trigger.threshold else trigger.threshold)
        result.append(trigger)
    return result


def active_triggers(db: sqlite_utils.Database) -> list[Trigger]:
    """The triggers switched on."""
    return [t for t in all_triggers(db) if t.enabled]


def fired(db: sqlite_utils.Database, episodes: list[dict], at: datetime) -> dict[int, list[tuple[Trigger, datetime]]]:
    """For each episode, the triggers that fired on it and when (up to ``at``)."""
    result: dict[int, list] = {}
    for trigger in active_triggers(db):
        for pk, moment in trigger.find(db, episodes, at, trigger.threshold).items():
            if moment <= at:
                result.setdefault(pk, []).append((trigger, moment))
    return result


def set_trigger(db: sqlite_utils.Database, code: str, *, enabled: bool | None = None,
                within_hours: int | None = None, threshold: int | None = None, by: str | None = None) -> Trigger:
    """Change one trigger for this council (switch it on or off, its deadline, its threshold); audited."""
    current = {t.code: t for t in all_triggers(db)}
    if code not in current:
        raise TriggerError(f"There is no strategy-meeting trigger called {code}. "
                           f"The triggers are: {', '.join(current)}")
    trigger = current[code]
    if within_hours is not None and not 1 <= within_hours <= 24 * 28:
        raise TriggerError("The deadline must be between 1 hour and 4 weeks (672 hours)")
    if threshold is not None:
        if trigger.threshold is None:
            raise TriggerError(f"The trigger {code} has no threshold to change")
        if not 1 <= threshold <= 1000:
            raise TriggerError("The threshold must be a whole number from 1 to 1000")
    new = {"enabled": trigger.enabled if enabled is None else enabled,
           "within_hours": int(trigger.within.total_seconds() // 3600) if within_hours is None else within_hours,
           "threshold": trigger.threshold if threshold is None else threshold}
    with write_transaction(db):
        db.execute("insert into strategy_trigger_settings (code, enabled, within_hours, threshold, changed_by, "
                   "changed_at) values (?, ?, ?, ?, ?, ?) on conflict (code) do update set enabled = excluded.enabled, "
                   "within_hours = excluded.within_hours, threshold = excluded.threshold, "
                   "changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                   [code, int(new["enabled"]), new["within_hours"], new["threshold"], by, now_iso()])
        audit.record(db, "strategy_trigger.change", username=by, object_type="strategy_trigger", object_id=code,
                     detail=new)
    return {t.code: t for t in all_triggers(db)}[code]


def describe(triggers: Iterable[Trigger]) -> list[str]:
    """One line per trigger for the command line: code, on/off, what fires it, its deadline."""
    lines = []
    for t in triggers:
        hours = int(t.within.total_seconds() // 3600)
        lines.append(f"{t.code:<14} {'on ' if t.enabled else 'off'}  {t.text}; strategy meeting due within "
                     f"{hours} hours")
    return lines
