"""Missing and found notifications (episodes), their 72-hour clock, the child's timeline, and which episodes an RHI covers."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now, now_iso
from rhi_desk.db import IntegrityError, write_transaction
from rhi_desk.register import counting, rhi_tracking
from rhi_desk.register.children import require_child
from rhi_desk.register.rules import (
    _EPISODE_ID,
    EPISODE_TYPES,
    OLA_DUTY,
    POLICE_RISKS,
    RegisterError,
    _day,
    _display_name,
    _her,
    _minute,
    _now_minute,
    describe_time,
)

# ---------------------------------------------------------------------------------------------
# Episodes


def get_episode(db: sqlite_utils.Database, episode_id: str) -> dict | None:
    """The episode with id ``episode_id`` (the council's id or ours), with its child's id and name."""
    rows = list(db.query(
        "select e.*, c.child_id, coalesce(nullif(c.name, ''), c.child_id) as child_name, c.date_of_birth, c.sex "
        "from episodes e join children c on c.id = e.child where e.episode_id = ?", [episode_id]))
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
    if counting.is_adult_episode(child.get("date_of_birth"), start):
        raise RegisterError(f"{who} was 18 or over on {_day(start[:10])} (born {_day(child['date_of_birth'])}). "
                            f"RHI Desk records children's missing episodes only: check the date, or the date of "
                            f"birth on {_her(child)} record", "start")
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
            except IntegrityError:
                continue  # something else already refers to it: keep it rather than lose a link
            audit.record(db, "rhi.merged", username=by, object_type="rhi", object_id=row["rhi_id"],
                         detail={"into": rhi_id})


def child_episodes_for_rhi(db: sqlite_utils.Database, child_pk: int) -> list[dict]:
    """A child's closed episodes not yet covered by a completed RHI, newest first (for 'covers')."""
    return list(db.query(
        'select e.* from episodes e where e.child = ? and e."end" is not null and not exists ('
        "select 1 from rhi_episodes re join return_home_interviews r on r.id = re.rhi "
        "where re.episode = e.id and r.outcome = 'completed') order by e.start desc limit 100", [child_pk]))
