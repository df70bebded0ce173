"""The missing team's register: children, their missing episodes, and the Today list.

Every missing and found notification is entered here, by one team, so recording is right the first
time: a child cannot have two open episodes, periods cannot overlap, and times cannot be in the
future or before the child was born. Recording a return opens the RHI for it (see
:mod:`rhi_desk.rhi_tracking`), except for another council's child (OLA), whose RHI is that council's
duty. Every read the hub's busy pages make is an indexed lookup, so Today and a child's page stay
fast with years of history.
"""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlite_utils

from . import audit, rhi_tracking
from .clock import MINUTE_FORMAT, now, now_iso, parse_minute
from .db import write_transaction

EPISODE_TYPES = {"missing": "Missing", "away": "Away from placement without authorisation"}
PLACEMENTS = {
    "in_borough": "In borough",
    "neighbouring": "In a neighbouring authority",
    "out_of_borough": "Out of borough",
}
SEXES = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Not known"}
POLICE_RISKS = {"no_apparent": "No apparent risk", "low": "Low", "medium": "Medium", "high": "High"}
OLA_DUTY = "Another council's duty (OLA)"
RETURN_WINDOW = timedelta(hours=72)
REPEAT_WINDOW = timedelta(days=30)
REPEAT_THRESHOLD = 3
# Returns with no RHI record at all (history imported without one) are chased for this long;
# an RHI record still waiting for its offer stays on the overdue list however old it is.
OVERDUE_LOOKBACK = timedelta(days=90)
TODAY_LIMIT = 200
OVERDUE_COUNT_LIMIT = 10_000  # counted exactly up to this many
OVERDUE_SHOWN = 50  # the longest overdue, for the meeting; the page can show all
SEARCH_LIMIT = 50
_EPISODE_ID = re.compile(r"^E-(\d{8})-(\d+)$")


class RegisterError(Exception):
    """A user-facing problem with a child or episode; the message says what to do.

    ``field`` names the form field the problem belongs to, so a page can show it in place.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------------------------------------
# Formatting helpers (plain words for messages; the web layer has its own filters)


def describe_time(value: str | None) -> str:
    """'2017-04-03 14:05' → '3 April 2017, 2:05pm'."""
    if not value:
        return ""
    moment = parse_minute(value)
    hour = moment.strftime("%I").lstrip("0") or "12"
    return f"{moment.day} {moment:%B %Y}, {hour}:{moment:%M}{moment.strftime('%p').lower()}"


def describe_duration(delta: timedelta) -> str:
    """A duration the way the daily meeting says it: '2 days 3 hours', '5 hours 10 minutes'."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days and (mins or not hours):
        parts.append(f"{mins} minute{'s' if mins != 1 else ''}")
    return " ".join(parts)


def _day(value: str) -> str:
    moment = date.fromisoformat(value)
    return f"{moment.day} {moment:%B %Y}"


def _her(child: dict) -> str:
    return {"female": "her", "male": "his"}.get(child.get("sex") or "", "their")


def _display_name(child: dict) -> str:
    return child.get("name") or f"Child {child['child_id']}"


def _minute(text: str | None, message: str, field_name: str) -> str:
    """Normalise a time to ``YYYY-MM-DD HH:MM`` or raise with ``message``."""
    try:
        return parse_minute((text or "").strip()).strftime(MINUTE_FORMAT)
    except (TypeError, ValueError):
        raise RegisterError(message, field_name) from None


def _now_minute() -> str:
    return now().strftime(MINUTE_FORMAT)


# ---------------------------------------------------------------------------------------------
# Children

CHILD_FIELDS = ("name", "date_of_birth", "sex", "looked_after", "placement", "other_la", "responsible_la",
                "social_worker", "risk_notes", "notes")


def _clean_child(values: dict) -> dict:
    clean = {}
    name = (values.get("name") or "").strip()
    if not name:
        raise RegisterError("Enter the child's name", "name")
    clean["name"] = name
    dob = (values.get("date_of_birth") or "").strip() or None
    if dob:
        try:
            born = date.fromisoformat(dob)
        except ValueError:
            raise RegisterError("Date of birth must be a real date", "date_of_birth") from None
        if born > now().date():
            raise RegisterError("Date of birth must be in the past", "date_of_birth")
        if born.year < 1990:
            raise RegisterError("Date of birth must be after 1990; check the year", "date_of_birth")
        dob = born.isoformat()
    clean["date_of_birth"] = dob
    sex = values.get("sex") or None
    if sex is not None and sex not in SEXES:
        raise RegisterError("Choose the child's sex, or 'Not known'", "sex")
    clean["sex"] = sex
    looked_after = bool(values.get("looked_after"))
    placement = values.get("placement") or None
    if placement is not None and placement not in PLACEMENTS:
        raise RegisterError("Choose where the child is placed", "placement")
    if looked_after and placement is None:
        raise RegisterError("Choose where the looked-after child is placed", "placement")
    clean["looked_after"] = int(looked_after)
    clean["placement"] = placement if looked_after else None
    other_la = bool(values.get("other_la"))
    responsible_la = (values.get("responsible_la") or "").strip() or None
    if other_la and not responsible_la:
        raise RegisterError("Enter the council responsible for the child", "responsible_la")
    clean["other_la"] = int(other_la)
    clean["responsible_la"] = responsible_la if other_la else None
    for name_ in ("social_worker", "risk_notes", "notes"):
        clean[name_] = (values.get(name_) or "").strip() or None
    return clean


# A child's or episode's id is part of its page address (/children/<id>, /episodes/<id>): no slashes
# or spaces. The forms and the episode register import both hold ids to this one rule.
valid_id = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}").fullmatch
ID_RULE = "up to 40 letters, numbers, dots, dashes and underscores, starting with a letter or number"


def create_child(db: sqlite_utils.Database, child_id: str, *, by: str | None = None, **values) -> dict:
    """Add a child to the register under the council's child id; returns the child."""
    child_id = (child_id or "").strip()
    if not child_id:
        raise RegisterError("Enter the council's id for the child", "child_id")
    if not valid_id(child_id):
        raise RegisterError(f"The child's id can use {ID_RULE}", "child_id")
    clean = _clean_child(values)
    stamp = now_iso()
    with write_transaction(db):
        if get_child(db, child_id) is not None:
            raise RegisterError(f"There is already a child with id {child_id}. Search for them instead.",
                                "child_id")
        columns = ["child_id", *clean, "created_at", "updated_at"]
        db.execute(f"insert into children ({', '.join(columns)}) values ({', '.join('?' * len(columns))})",
                   [child_id, *clean.values(), stamp, stamp])
        audit.record(db, "child.create", username=by, object_type="child", object_id=child_id,
                     detail={k: v for k, v in clean.items() if k not in ("risk_notes", "notes")})
    return get_child(db, child_id)


def update_child(db: sqlite_utils.Database, child_id: str, *, by: str | None = None, **values) -> dict:
    """Change a child's details; the audit log keeps which fields changed, from what to what."""
    child = require_child(db, child_id)
    clean = _clean_child(values)
    changes = {k: [child[k], v] for k, v in clean.items() if child[k] != v}
    if not changes:
        return child
    with write_transaction(db):
        sets = ", ".join(f"{k} = ?" for k in changes)
        db.execute(f"update children set {sets}, updated_at = ? where id = ?",
                   [v[1] for v in changes.values()] + [now_iso(), child["id"]])
        audit.record(db, "child.update", username=by, object_type="child", object_id=child_id,
                     detail={k: (v if k not in ("risk_notes", "notes") else "changed") for k, v in changes.items()})
    return get_child(db, child_id)


def get_child(db: sqlite_utils.Database, child_id: str) -> dict | None:
    """The child with the council's id ``child_id``, or None."""
    rows = list(db.query("select * from children where child_id = ?", [child_id]))
    return rows[0] if rows else None


def require_child(db: sqlite_utils.Database, child_id: str) -> dict:
    """The child with id ``child_id``; a RegisterError if there is none."""
    child = get_child(db, child_id)
    if child is None:
        raise RegisterError(f"No child has the id {child_id}. Check the id or search by name.", "child_id")
    return child


def search_children(db: sqlite_utils.Database, query: str, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Children whose id is ``query`` or whose name starts with it (then contains it), best first."""
    query = (query or "").strip()
    if not query:
        return recent_children(db, limit)
    found: dict[int, dict] = {}
    for row in db.query("select * from children where child_id = ?", [query]):
        found[row["id"]] = row
    # A name-prefix search walks the NOCASE name index; escape LIKE's wildcards in what was typed.
    pattern = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    for row in db.query("select * from children where name like ? escape '\\' order by name collate nocase "
                        "limit ?", [pattern + "%", limit]):
        found.setdefault(row["id"], row)
    if len(found) < limit:
        # Surnames: a word inside the name. This scans, but stops once it has enough.
        for row in db.query("select * from children where name like ? escape '\\' limit ?",
                            ["% " + pattern + "%", limit]):
            found.setdefault(row["id"], row)
    return list(found.values())[:limit]


def recent_children(db: sqlite_utils.Database, limit: int = SEARCH_LIMIT) -> list[dict]:
    """The children whose records changed most recently."""
    return list(db.query("select * from children order by updated_at desc limit ?", [limit]))


# ---------------------------------------------------------------------------------------------
# Episodes


def get_episode(db: sqlite_utils.Database, episode_id: str) -> dict | None:
    """The episode with id ``episode_id`` (the council's id or ours), with its child's id and name."""
    rows = list(db.query(
        "select e.*, c.child_id, c.name as child_name, c.date_of_birth, c.sex from episodes e "
        "join children c on c.id = e.child where e.episode_id = ?", [episode_id]))
    return rows[0] if rows else None


def require_episode(db: sqlite_utils.Database, episode_id: str) -> dict:
    """The episode ``episode_id``; a RegisterError if there is none."""
    episode = get_episode(db, episode_id)
    if episode is None:
        raise RegisterError(f"No episode has the id {episode_id}. Check the id or find the child first.")
    return episode


def next_episode_id(db: sqlite_utils.Database, start: str) -> str:
    """A readable new id, ``E-<yyyymmdd of the start>-<n>``, unique in the register."""
    prefix = "E-" + start[:10].replace("-", "") + "-"
    # A range on the unique index: '.' sorts just after '-'.
    highest = 0
    for row in db.query("select episode_id from episodes where episode_id >= ? and episode_id < ?",
                        [prefix, prefix[:-1] + "."]):
        match = _EPISODE_ID.match(row["episode_id"])
        if match:
            highest = max(highest, int(match.group(2)))
    return f"{prefix}{highest + 1}"


def _check_period(db, child: dict, start: str, end: str | None, *, exclude: int | None = None) -> None:
    """Refuse a period that is open alongside another, overlaps one, or is impossible in time."""
    who = _display_name(child)
    if start > _now_minute():
        raise RegisterError("The time last seen must be in the past", "start")
    if child.get("date_of_birth") and start[:10] < child["date_of_birth"]:
        raise RegisterError(f"The time last seen is before {who}'s date of birth "
                            f"({_day(child['date_of_birth'])}); check the date", "start")
    if end is not None:
        if end < start:
            raise RegisterError("The time found must be after the time last seen", "end")
        if end > _now_minute():
            raise RegisterError("The time found must be in the past", "end")
    params = {"child": child["id"], "exclude": exclude if exclude is not None else -1, "start": start}
    open_rows = list(db.query(
        'select episode_id, start from episodes where child = :child and "end" is null and id != :exclude',
        params))
    if open_rows and (end is None or end > open_rows[0]["start"]):
        raise RegisterError(
            f"{who} already has an open episode from {describe_time(open_rows[0]['start'])}. "
            f"Record {_her(child)} return before a new episode.", "start")
    # Periods touch but do not overlap when one ends the minute the next starts.
    clash_sql = ('select episode_id, start, "end" from episodes where child = :child and id != :exclude '
                 'and "end" is not null and "end" > :start')
    if end is not None:
        clash_sql += " and start < :end"
        params["end"] = end
    clash_sql += " order by start limit 1"
    clash = list(db.query(clash_sql, params))
    if clash:
        other = clash[0]
        raise RegisterError(
            f"{who} already has an episode from {describe_time(other['start'])} to "
            f"{describe_time(other['end'])}, which overlaps this one. Check the dates and times.", "start")


def record_missing(db: sqlite_utils.Database, child_id: str, *, start: str, episode_type: str = "missing",
                   reported_by: str | None = None, police_reference: str | None = None,
                   police_risk: str | None = None, circumstances: str | None = None,
                   episode_id: str | None = None, by: str | None = None) -> dict:
    """Record a missing notification: the child was last seen at ``start``; returns the open episode.

    The child's looked-after status, placement and OLA status are copied onto the episode: they
    are what held *during* the episode, whatever changes later.
    """
    if episode_type not in EPISODE_TYPES:
        raise RegisterError("Choose whether the child is missing or away from placement", "episode_type")
    if police_risk is not None and police_risk not in POLICE_RISKS:
        raise RegisterError("Choose the police risk grading", "police_risk")
    start = _minute(start, "Enter the date and time the child was last seen", "start")
    with write_transaction(db):
        child = require_child(db, child_id)
        _check_period(db, child, start, None)
        if episode_id:
            if get_episode(db, episode_id) is not None:
                raise RegisterError(f"There is already an episode with id {episode_id}", "episode_id")
        else:
            episode_id = next_episode_id(db, start)
        stamp = now_iso()
        db.execute(
            'insert into episodes (episode_id, child, episode_type, start, "end", looked_after, other_la, '
            "placement, reported_by, police_reference, police_risk, circumstances, created_at, updated_at) "
            "values (?, ?, ?, ?, null, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [episode_id, child["id"], episode_type, start, child["looked_after"], child["other_la"],
             child["placement"], _text(reported_by), _text(police_reference), police_risk,
             _text(circumstances), stamp, stamp])
        audit.record(db, "episode.missing", username=by, object_type="child", object_id=child["child_id"],
                     detail={"episode": episode_id, "type": episode_type, "start": start,
                             "police_risk": police_risk})
    return get_episode(db, episode_id)


def update_missing(db: sqlite_utils.Database, episode_id: str, *, start: str, reported_by: str | None = None,
                   police_reference: str | None = None, police_risk: str | None = None,
                   circumstances: str | None = None, by: str | None = None) -> dict:
    """Correct a missing notification's details (the time last seen is checked again)."""
    if police_risk is not None and police_risk not in POLICE_RISKS:
        raise RegisterError("Choose the police risk grading", "police_risk")
    start = _minute(start, "Enter the date and time the child was last seen", "start")
    with write_transaction(db):
        episode = require_episode(db, episode_id)
        child = require_child(db, episode["child_id"])
        _check_period(db, child, start, episode["end"], exclude=episode["id"])
        new = {"start": start, "reported_by": _text(reported_by), "police_reference": _text(police_reference),
               "police_risk": police_risk, "circumstances": _text(circumstances)}
        changes = {k: [episode[k], v] for k, v in new.items() if episode[k] != v}
        if changes:
            db.execute(f"update episodes set {', '.join(f'{k} = ?' for k in changes)}, updated_at = ? "
                       "where id = ?", [v[1] for v in changes.values()] + [now_iso(), episode["id"]])
            audit.record(db, "episode.update", username=by, object_type="child", object_id=child["child_id"],
                         detail={"episode": episode_id, "changes": changes})
    return get_episode(db, episode_id)


def record_found(db: sqlite_utils.Database, episode_id: str, *, end: str, found_where: str | None = None,
                 found_by: str | None = None, found_how: str | None = None, by: str | None = None) -> dict:
    """Record a found notification (the return at ``end``); opens the RHI for it unless OLA.

    Recording it again corrects the return; the RHI already opened stays.
    """
    end = _minute(end, "Enter the date and time the child was found or returned", "end")
    with write_transaction(db):
        episode = require_episode(db, episode_id)
        child = require_child(db, episode["child_id"])
        _check_period(db, child, episode["start"], end, exclude=episode["id"])
        db.execute('update episodes set "end" = ?, found_where = ?, found_by = ?, found_how = ?, updated_at = ? '
                   "where id = ?", [end, _text(found_where), _text(found_by), _text(found_how), now_iso(),
                                    episode["id"]])
        audit.record(db, "episode.found" if episode["end"] is None else "episode.found_corrected",
                     username=by, object_type="child", object_id=child["child_id"],
                     detail={"episode": episode_id, "end": end, "was": episode["end"]})
        if not episode["other_la"] and not list(db.query("select 1 from rhi_episodes where episode = ?",
                                                         [episode["id"]])):
            rhi_tracking.create_rhi(db, [episode["id"]], assigned_to=_assignee_default(child, episode), by=by)
    return get_episode(db, episode_id)


def _assignee_default(child: dict, episode: dict) -> str | None:
    # The social worker is named when the social worker is the default interviewer.
    if rhi_tracking.default_interviewer_type(episode["placement"]) == "social_worker":
        return child["social_worker"]
    return None


def change_type(db: sqlite_utils.Database, episode_id: str, new_type: str, *, by: str | None = None) -> dict:
    """Change an episode between missing and away, keeping the history of changes."""
    if new_type not in EPISODE_TYPES:
        raise RegisterError("Choose missing or away from placement", "episode_type")
    with write_transaction(db):
        episode = require_episode(db, episode_id)
        if episode["episode_type"] == new_type:
            raise RegisterError(f"This episode is already recorded as {new_type}", "episode_type")
        db.execute("update episodes set episode_type = ?, updated_at = ? where id = ?",
                   [new_type, now_iso(), episode["id"]])
        db.execute("insert into episode_type_changes (episode, from_type, to_type, changed_at, changed_by) "
                   "values (?, ?, ?, ?, ?)", [episode["id"], episode["episode_type"], new_type, _now_minute(), by])
        audit.record(db, "episode.type_change", username=by, object_type="child", object_id=episode["child_id"],
                     detail={"episode": episode_id, "from": episode["episode_type"], "to": new_type})
    return get_episode(db, episode_id)


def type_changes(db: sqlite_utils.Database, episode_id: str) -> list[dict]:
    """The episode's type changes, oldest first."""
    return list(db.query(
        "select t.* from episode_type_changes t join episodes e on e.id = t.episode "
        "where e.episode_id = ? order by t.id", [episode_id]))


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


# ---------------------------------------------------------------------------------------------
# RHIs seen from an episode, and clocks


def rhis_for_episodes(db: sqlite_utils.Database, episode_pks: list[int]) -> dict[int, list[dict]]:
    """The RHIs covering each of ``episode_pks`` (database ids), oldest first."""
    result: dict[int, list[dict]] = {pk: [] for pk in episode_pks}
    for chunk_start in range(0, len(episode_pks), 500):
        chunk = episode_pks[chunk_start:chunk_start + 500]
        rows = db.query(
            f"select re.episode as covered_episode, r.* from rhi_episodes re "
            f"join return_home_interviews r on r.id = re.rhi where re.episode in ({','.join('?' * len(chunk))}) "
            f"order by r.id", chunk)
        for row in rows:
            result[row.pop("covered_episode")].append(row)
    return result


def episode_clock(episode: dict, rhis: list[dict], at: datetime | None = None) -> rhi_tracking.Clock | None:
    """The 72-hour clock for an episode given the RHIs covering it; None for OLA (not our duty)."""
    if episode["other_la"]:
        return None
    offers = sorted(r["offered_at"] or r["completed_at"] for r in rhis
                    if r["offered_at"] or (r["outcome"] == "completed" and r["completed_at"]))
    return rhi_tracking.clock(episode["end"], offers[0] if offers else None, at=at)


def clock_label(episode: dict, clock: rhi_tracking.Clock | None) -> str:
    """The words shown for an episode's clock (OLA: another council's duty)."""
    return OLA_DUTY if episode["other_la"] or clock is None else clock.label


@dataclass
class TimelineEntry:
    """One episode on a child's page with the RHIs covering it and its 72-hour clock."""

    episode: dict
    rhis: list[dict]
    clock: rhi_tracking.Clock | None
    clock_label: str
    type_changes: list[dict] = field(default_factory=list)


def timeline(db: sqlite_utils.Database, child_id: str) -> list[TimelineEntry]:
    """A child's episodes, newest first, each with its RHIs and 72-hour clock."""
    child = require_child(db, child_id)
    episodes = list(db.query("select * from episodes where child = ? order by start desc", [child["id"]]))
    rhis = rhis_for_episodes(db, [e["id"] for e in episodes])
    changes: dict[int, list[dict]] = {}
    if episodes:
        for row in db.query("select t.* from episode_type_changes t join episodes e on e.id = t.episode "
                            "where e.child = ? order by t.id", [child["id"]]):
            changes.setdefault(row["episode"], []).append(row)
    at = now()
    entries = []
    for episode in episodes:
        clk = episode_clock(episode, rhis[episode["id"]], at)
        entries.append(TimelineEntry(episode, rhis[episode["id"]], clk, clock_label(episode, clk),
                                     changes.get(episode["id"], [])))
    return entries


def cover_episodes(db: sqlite_utils.Database, rhi_id: str, episode_pks: list[int], *, by: str | None = None) -> None:
    """Let one RHI cover more of the child's episodes.

    An untouched RHI opened automatically for one of those returns (no offer, no outcome, no
    answers, never sent to a field install) is folded in, so each return is tracked once.
    """
    if not episode_pks:
        raise RegisterError("Choose at least one episode", "episodes")
    with write_transaction(db):
        rhi = rhi_tracking.get_rhi(db, rhi_id)
        if rhi is None:
            raise RegisterError("That interview record could not be found; it may have been removed")
        rhi_tracking.add_episodes(db, rhi_id, episode_pks, by=by)
        placeholders = ",".join("?" * len(episode_pks))
        spare = list(db.query(
            f"select distinct r.id, r.rhi_id from return_home_interviews r join rhi_episodes re on re.rhi = r.id "
            f"where re.episode in ({placeholders}) and r.id != ? and r.offered_at is null and r.outcome is null "
            f"and r.status = 'open' and r.answers = '{{}}' and r.assigned_install is null "
            f"and not exists (select 1 from rhi_episodes o where o.rhi = r.id and o.episode not in ({placeholders}))",
            [*episode_pks, rhi["id"], *episode_pks]))
        for row in spare:
            try:
                with write_transaction(db):
                    db.execute("delete from rhi_episodes where rhi = ?", [row["id"]])
                    db.execute("delete from return_home_interviews where id = ?", [row["id"]])
            except sqlite3.IntegrityError:
                continue  # something else already refers to it: keep it rather than lose a link
            audit.record(db, "rhi.merged", username=by, object_type="rhi", object_id=row["rhi_id"],
                         detail={"into": rhi_id})


def child_episodes_for_rhi(db: sqlite_utils.Database, child_pk: int) -> list[dict]:
    """A child's closed episodes not yet covered by a completed RHI, newest first (for 'covers')."""
    return list(db.query(
        'select e.* from episodes e where e.child = ? and e."end" is not null and not exists ('
        "select 1 from rhi_episodes re join return_home_interviews r on r.id = re.rhi "
        "where re.episode = e.id and r.outcome = 'completed') order by e.start desc limit 100", [child_pk]))


# ---------------------------------------------------------------------------------------------
# Today


@dataclass
class Today:
    """The daily missing meeting's list."""

    at: datetime
    missing_now: list[dict]
    returned: list[dict]
    overdue: list[dict]
    overdue_total: int
    repeat: list[dict]


_NOT_OFFERED = ("not exists (select 1 from rhi_episodes re join return_home_interviews r on r.id = re.rhi "
                "where re.episode = e.id and (r.offered_at is not null or r.outcome is not null))")
_ROW = ('e.id, e.episode_id, e.episode_type, e.start, e."end", e.other_la, e.looked_after, e.placement, '
        "e.police_risk, c.child_id, c.name, c.responsible_la")


def today(db: sqlite_utils.Database, at: datetime | None = None, overdue_shown: int = OVERDUE_SHOWN) -> Today:
    """Children missing now, returns in the last 72 hours with no offer, overdue RHIs, repeat missing.

    The overdue list gives the ``overdue_shown`` longest overdue and the count of all of them.
    """
    at = (at or now()).replace(microsecond=0)
    now_text = at.strftime("%Y-%m-%d %H:%M:%S")
    # Stored times are minutes; comparing them with a time in seconds keeps SQL and the clock in step:
    # a return at 14:05 is overdue from 14:05:00 three days later, as rhi_tracking.clock says.
    cutoff = (at - RETURN_WINDOW).strftime("%Y-%m-%d %H:%M:%S")
    lookback = (at - OVERDUE_LOOKBACK).strftime(MINUTE_FORMAT)

    missing_now = list(db.query(
        f'select {_ROW} from episodes e join children c on c.id = e.child where e."end" is null '
        f"order by e.start limit {TODAY_LIMIT}"))
    for row in missing_now:
        row["duration"] = describe_duration(at - parse_minute(row["start"]))
        row["clock_label"] = OLA_DUTY if row["other_la"] else None

    returned = list(db.query(
        f'select {_ROW} from episodes e join children c on c.id = e.child '
        f'where e."end" > ? and e."end" <= ? and {_NOT_OFFERED} order by e."end" limit {TODAY_LIMIT}',
        [cutoff, now_text]))
    for row in returned:
        _add_clock(row, at)

    overdue_sql = (
        # Recent returns with no RHI record at all (history imported without one)...
        f'select {_ROW} from episodes e join children c on c.id = e.child '
        f'where e."end" <= :cutoff and e."end" >= :lookback and e.other_la = 0 '
        "and not exists (select 1 from rhi_episodes re where re.episode = e.id) "
        "union "
        # ...and RHI records still waiting for an offer, however old (unless another RHI covering
        # the same return has one).
        f"select {_ROW} from return_home_interviews r join rhi_episodes re on re.rhi = r.id "
        "join episodes e on e.id = re.episode join children c on c.id = e.child "
        'where r.offered_at is null and r.outcome is null and e."end" <= :cutoff and e.other_la = 0 '
        f"and {_NOT_OFFERED} "
        f'order by 5 limit {OVERDUE_COUNT_LIMIT}')
    overdue_all = list(db.query(overdue_sql, {"cutoff": cutoff, "lookback": lookback}))
    overdue, overdue_total = overdue_all[:overdue_shown], len(overdue_all)
    for row in overdue:
        _add_clock(row, at)

    since = (at - REPEAT_WINDOW).strftime(MINUTE_FORMAT)
    # Group the month's episodes first (on the start index), then look up just those children.
    repeat = list(db.query(
        "select c.child_id, c.name, c.other_la, c.responsible_la, n.episodes, n.latest from ("
        # INDEXED BY: left alone, the planner walks every child's episodes to skip a sort.
        "select child, count(*) as episodes, max(start) as latest from episodes indexed by episodes_start "
        f"where start >= ? and start <= ? group by child having count(*) >= {REPEAT_THRESHOLD}) n "
        f"cross join children c on c.id = n.child order by n.episodes desc, n.latest desc limit {TODAY_LIMIT}",
        [since, now_text]))
    return Today(at, missing_now, returned, overdue, overdue_total, repeat)


def _add_clock(row: dict, at: datetime) -> None:
    if row["other_la"]:
        row["clock"] = None
        row["clock_label"] = OLA_DUTY
    else:
        row["clock"] = rhi_tracking.clock(row["end"], None, at=at)
        row["clock_label"] = row["clock"].label
