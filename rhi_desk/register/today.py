"""The Today list: children missing now, returned and awaiting an offer, offers overdue, offers awaiting an outcome."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from rhi_desk.clock import MINUTE_FORMAT, now, parse_minute
from rhi_desk.register import counting, rhi_tracking
from rhi_desk.register.rules import (
    OLA_DUTY,
    OVERDUE_COUNT_LIMIT,
    OVERDUE_LOOKBACK,
    OVERDUE_SHOWN,
    RETURN_WINDOW,
    TODAY_LIMIT,
    describe_duration,
)

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
    awaiting: list[dict] = field(default_factory=list)  # offered, no outcome yet: days since the offer


# Not offered, as counting.offered_sql says; an outcome recorded without an offer (imported history)
# also takes the return off the chase list: someone has already been in touch.
_NOT_OFFERED = ("not exists (select 1 from rhi_episodes re join return_home_interviews r on r.id = re.rhi "
                f"where re.episode = e.id and ({counting.offered_sql('r')} or r.outcome is not null))")
_LIVE = counting.live_sql("e")
# The two lists of RHIs still waiting (for an offer; offered, for an outcome) read the partial indexes made
# for them. The register has no statistics (it is never ANALYZEd), and without them SQLite took the index of
# every RHI's outcome for "outcome IS NULL", or started from the episodes: after a council's history is
# imported, every old RHI whose outcome the case system never held is such a row (117,000 in the import
# benchmark's million episodes), and Today took 585 ms instead of 2 (issue 18). The RHIs waiting are read
# first (CROSS JOIN keeps them the outer loop): the chase list itself, never more.
_AWAITING_OFFER = "return_home_interviews r indexed by rhi_awaiting_offer"
_AWAITING_OUTCOME = "return_home_interviews r indexed by rhi_awaiting_outcome"
_ROW = ('e.id, e.episode_id, e.episode_type, e.start, e."end", e.other_la, e.looked_after, e.placement, '
        "e.police_risk, c.child_id, c.name, c.responsible_la, e.allocated_to")


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
        f'select {_ROW} from episodes e join children c on c.id = e.child where e."end" is null and {_LIVE} '
        f"order by e.start limit {TODAY_LIMIT}"))
    for row in missing_now:
        row["duration"] = describe_duration(at - parse_minute(row["start"]))
        row["clock_label"] = OLA_DUTY if row["other_la"] else None

    returned = list(db.query(
        f'select {_ROW} from episodes e join children c on c.id = e.child '
        f'where e."end" > ? and e."end" <= ? and {_LIVE} and {_NOT_OFFERED} order by e."end" limit {TODAY_LIMIT}',
        [cutoff, now_text]))
    for row in returned:
        _add_clock(row, at)

    overdue_sql = (
        # Recent returns with no RHI record at all (history imported without one)...
        f'select {_ROW} from episodes e join children c on c.id = e.child '
        f'where e."end" <= :cutoff and e."end" >= :lookback and e.other_la = 0 and {_LIVE} '
        "and not exists (select 1 from rhi_episodes re where re.episode = e.id) "
        "union "
        # ...and RHI records still waiting for an offer, however old (unless another RHI covering
        # the same return has one): read from the RHIs awaiting an offer (_AWAITING_OFFER).
        f"select {_ROW} from {_AWAITING_OFFER} cross join rhi_episodes re on re.rhi = r.id "
        "join episodes e on e.id = re.episode join children c on c.id = e.child "
        'where r.offered_at is null and r.outcome is null and e."end" <= :cutoff and e.other_la = 0 '
        f"and {_LIVE} "
        f"and {_NOT_OFFERED} "
        f'order by 5 limit {OVERDUE_COUNT_LIMIT}')
    overdue_all = list(db.query(overdue_sql, {"cutoff": cutoff, "lookback": lookback}))
    overdue, overdue_total = overdue_all[:overdue_shown], len(overdue_all)
    for row in overdue:
        _add_clock(row, at)

    # Repeat missing, as counting.repeat_sql defines it (the high-risk list reads the same function).
    repeat = counting.repeat_missing_children(db, at, limit=TODAY_LIMIT)
    return Today(at, missing_now, returned, overdue, overdue_total, repeat, awaiting_outcome(db, at))


def awaiting_outcome(db: sqlite_utils.Database, at: datetime | None = None) -> list[dict]:
    """Interviews offered in the last 90 days with no outcome yet, longest waiting first, with days since the offer.

    One row per interview (an RHI covering several episodes shows its latest return); OLA children are
    left out, as on the overdue list: their interview is their own council's duty.
    """
    at = (at or now()).replace(microsecond=0)
    lookback = (at - OVERDUE_LOOKBACK).strftime(MINUTE_FORMAT)
    rows = list(db.query(
        'select r.rhi_id, r.offered_at, r.assigned_to, r.interviewer_type, max(e."end") as "end", e.episode_id, '
        f"c.child_id, c.name from {_AWAITING_OUTCOME} cross join rhi_episodes re on re.rhi = r.id "
        "join episodes e on e.id = re.episode join children c on c.id = r.child "
        "where r.offered_at is not null and r.outcome is null and r.status != 'signed_off' "
        f"and r.offered_at >= ? and e.other_la = 0 and {_LIVE} "
        f"group by r.id order by r.offered_at limit {TODAY_LIMIT}", [lookback]))
    for row in rows:
        row["days_since_offer"] = max(0, (at - parse_minute(row["offered_at"])).days)
    return rows


def _add_clock(row: dict, at: datetime) -> None:
    if row["other_la"]:
        row["clock"] = None
        row["clock_label"] = OLA_DUTY
    else:
        row["clock"] = rhi_tracking.clock(row["end"], None, at=at)
        row["clock_label"] = row["clock"].label
