"""The words the figures and lists count by, each defined once: offered, done, counted, a child, repeat missing.

Every KPI, the dashboard and its drill-downs, Today, the high-risk list, Ofsted Annex A, the DfE 903
export and data quality call these functions (SQL fragments for the queries, plain Python for the
rest), so a word means one thing wherever it is read. The rules are also in docs/DOMAIN.md
("One meaning per word"); tests/reports/test_one_meaning.py checks every list against them on random
registers.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlite_utils

# The outcomes that can only follow an offer: a child can take part in, or decline, only an
# interview that was offered. "Could not be seen" and "missing again" can happen before any offer.
OFFER_IMPLYING_OUTCOMES = ("completed", "declined")
ADULT_AGE = 18
REPEAT_EPISODES = 3
REPEAT_DAYS = 30


# ---------------------------------------------------------------------------------------------
# offered, done


def offered_sql(r: str = "r") -> str:
    """SQL: the RHI ``r`` is *offered*.

    Rule: an RHI is offered when it records an offer date, or when its outcome is completed or
    declined (those outcomes can only follow an offer). An RHI with no offer date whose outcome is
    blank, unavailable or missing again is not offered. An episode is offered when any RHI covering
    it is offered. ``rhi-desk check`` lists the RHIs whose outcome implies an offer but have no offer
    date, so the team can complete them.
    """
    return f"({r}.offered_at is not null or {r}.outcome in ('completed', 'declined'))"


def is_offered(rhi: dict) -> bool:
    """Python twin of :func:`offered_sql` for one RHI (a dict with ``offered_at`` and ``outcome``)."""
    return bool(rhi.get("offered_at")) or rhi.get("outcome") in OFFER_IMPLYING_OUTCOMES


def done_sql(r: str = "r") -> str:
    """SQL: the RHI ``r`` is *done*.

    Rule: an RHI is done when its outcome is completed (whether or not it is signed off yet). An
    episode is done when any RHI covering it is done; a done RHI is always an offered one.
    """
    return f"({r}.outcome = 'completed')"


def is_done(rhi: dict) -> bool:
    """Python twin of :func:`done_sql`."""
    return rhi.get("outcome") == "completed"


# ---------------------------------------------------------------------------------------------
# a child


def age_gap_sql(start: str = "e.start", dob: str = "c.date_of_birth") -> str:
    """SQL: YYYYMMDD of ``start`` minus YYYYMMDD of ``dob``: whole years of age times 10000, plus less than 10000."""
    return (f"(cast(replace(substr({start}, 1, 10), '-', '') as integer)"
            f" - cast(replace(substr({dob}, 1, 10), '-', '') as integer))")


def adult_sql(start: str = "e.start", dob: str = "c.date_of_birth") -> str:
    """SQL: the episode starting at ``start`` is *not a child's* (it starts on or after the 18th birthday).

    Rule: an episode that starts on or after the child's 18th birthday is not a child's missing
    episode. New episodes like that are refused at entry; any in the register (imported history, or
    a date of birth corrected later) are named by ``rhi-desk check`` and left out of every KPI and
    list that counts children. An episode of a child whose date of birth is not known is counted.
    """
    return (f"({dob} is not null and length({dob}) >= 10 and {age_gap_sql(start, dob)} >= {ADULT_AGE}0000)")


def is_adult_episode(date_of_birth: str | None, start: str) -> bool:
    """Python twin of :func:`adult_sql`: True when ``start`` is on or after the 18th birthday."""
    try:
        born = date.fromisoformat((date_of_birth or "")[:10])
        day = date.fromisoformat(start[:10])
    except ValueError:
        return False
    return (day.year - born.year - ((day.month, day.day) < (born.month, born.day))) >= ADULT_AGE


def age_months_sql(start: str = "e.start", dob: str = "c.date_of_birth") -> str:
    """SQL: the child's age in whole months on the day ``start``."""
    return (f"((cast(substr({start}, 1, 4) as integer) * 12 + cast(substr({start}, 6, 2) as integer))"
            f" - (cast(substr({dob}, 1, 4) as integer) * 12 + cast(substr({dob}, 6, 2) as integer))"
            f" - (substr({start}, 9, 2) < substr({dob}, 9, 2)))")


# The age bands, in months, at the start of the episode. 17 splits at 17 and a half: the seed
# report worries about children about to leave care with many episodes.
AGE_BANDS = {
    "under_13": "Under 13",
    "13_15": "13 to 15",
    "16": "16",
    "17": "17 to 17\u00bd",
    "17_half": "17\u00bd to 18",
    "unknown": "Date of birth not known",
}
_BAND_LIMITS = (("under_13", 156), ("13_15", 192), ("16", 204), ("17", 210), ("17_half", 216))
_ADULT_MONTHS = _BAND_LIMITS[-1][1]
_BAND_LETTERS = "".join(letter * (limit - lower) for letter, lower, limit in
                        zip("abcde", [0] + [limit for _, limit in _BAND_LIMITS[:-1]],
                            [limit for _, limit in _BAND_LIMITS])) + "f"


def age_band_sql(start: str = "e.start", dob: str = "c.date_of_birth") -> str:
    """SQL: the age band (a key of :data:`AGE_BANDS`) of the episode starting at ``start``.

    Rule: the age on the day the episode starts, in whole months: under 13, 13 to 15, 16, 17 to
    17½, 17½ to 18; ``unknown`` when the date of birth is not recorded. (An episode at 18 or over
    is not a child's and is counted nowhere; see :func:`adult_sql`.)
    """
    # The age in months is worked out once per episode (not once per band): it picks a letter of
    # _BAND_LETTERS (one per month of age, 0 to 216; younger counts as 0, older as 216), which names the band.
    months = age_months_sql(start, dob)
    whens = " ".join(f"when '{letter}' then '{band}'" for letter, (band, _) in zip("abcde", _BAND_LIMITS))
    return (f"case when {dob} is null or length({dob}) < 10 then 'unknown' "
            f"else case substr('{_BAND_LETTERS}', max(min({months}, {_ADULT_MONTHS}), 0) + 1, 1) {whens} "
            f"else 'adult' end end")


def age_band(date_of_birth: str | None, start: str) -> str:
    """Python twin of :func:`age_band_sql`."""
    try:
        born = date.fromisoformat((date_of_birth or "")[:10])
        day = date.fromisoformat(start[:10])
    except ValueError:
        return "unknown"
    months = (day.year * 12 + day.month) - (born.year * 12 + born.month) - (day.day < born.day)
    for band, limit in _BAND_LIMITS:
        if months < limit:
            return band
    return "adult"


# ---------------------------------------------------------------------------------------------
# counted episodes


def live_sql(e: str = "e") -> str:
    """SQL: the episode ``e`` is a record at all (not voided as a duplicate or an error).

    Rule: a voided episode is kept, shown struck through on the child's page, and counted nowhere:
    not in a KPI, a list, an export or a data-quality check.
    """
    return f"{e}.voided_at is null"


def counted_sql(e: str = "e", c: str = "c") -> str:
    """SQL: the episode ``e`` (its child ``c`` joined) is *counted* in the KPIs.

    Rule: a counted episode is of type missing (away episodes are shown separately), of a child
    who is not looked after by another council (OLA: shown separately), not voided, and started
    before the child's 18th birthday. It belongs to the month it started in.
    """
    return (f"{e}.episode_type = 'missing' and {e}.other_la = 0 and {live_sql(e)} "
            f"and not {adult_sql(e + '.start', c + '.date_of_birth')}")


# ---------------------------------------------------------------------------------------------
# repeat missing


def repeat_sql(e: str = "e", c: str = "c") -> str:
    """SQL: the episode ``e`` counts towards *repeat missing*.

    Rule: a child is repeat missing at a moment when :data:`REPEAT_EPISODES` (3) or more of their
    episodes of type missing started in the :data:`REPEAT_DAYS` (30) days up to that moment
    (a rolling window, both ends included). Away episodes, voided episodes and episodes after the
    18th birthday do not count. Children looked after by another council (OLA) are listed on Today
    and the high-risk list, marked OLA (the team tells their council), and left out of the
    dashboard's count like every KPI. The dashboard counts a child in a month when, at the start of
    one of their episodes in that month, the rule held.
    """
    return f"{e}.episode_type = 'missing' and {live_sql(e)} and not {adult_sql(e + '.start', c + '.date_of_birth')}"


def repeat_missing_children(db: sqlite_utils.Database, at: datetime, limit: int | None = None) -> list[dict]:
    """The children repeat missing at ``at`` (see :func:`repeat_sql`), most episodes first.

    Each row: ``child`` (database id), ``child_id``, ``name``, ``date_of_birth``, ``other_la``,
    ``responsible_la``, ``lac`` (looked after in any of the episodes), ``episodes``, ``latest``
    (the latest start) and ``missing_now``. Today and the high-risk list both read this.
    """
    since = (at - timedelta(days=REPEAT_DAYS)).strftime("%Y-%m-%d %H:%M")
    until = at.strftime("%Y-%m-%d %H:%M")
    # Group the window's episodes first (on the start index), then look up just those children.
    sql = (
        "select c.id as child, c.child_id, c.name, c.date_of_birth, c.other_la, c.responsible_la, "
        "n.lac, n.episodes, n.latest, n.missing_now from ("
        "select e.child, count(*) as episodes, max(e.start) as latest, max(e.looked_after) as lac, "
        'max(e."end" is null) as missing_now '
        # INDEXED BY: left alone, the planner walks every child's episodes to skip a sort.
        "from episodes e indexed by episodes_start join children c on c.id = e.child "
        f"where e.start >= :since and e.start <= :until and {repeat_sql()} "
        f"group by e.child having count(*) >= {REPEAT_EPISODES}) n "
        "cross join children c on c.id = n.child order by n.episodes desc, n.latest desc, c.child_id"
        + (f" limit {int(limit)}" if limit else ""))
    return list(db.query(sql, {"since": since, "until": until}))


def repeat_in_window(starts: list[str], at: str) -> bool:
    """Python twin of the rule: True when 3 or more of ``starts`` fall in the 30 days up to ``at``."""
    moment = datetime.fromisoformat(at)
    since = moment - timedelta(days=REPEAT_DAYS)
    return sum(1 for s in starts if since <= datetime.fromisoformat(s) <= moment) >= REPEAT_EPISODES


# ---------------------------------------------------------------------------------------------
# the base a filter keeps


def interviewer_base_note(interviewer_label: str) -> str:
    """The words a table filtered by who interviewed shows above it.

    Rule: choosing who interviewed filters the numerators only (children offered or interviewed,
    episodes done, by that interviewer); the children who went missing and the episodes stay all
    of them, so the base does not change and the rates read as "of all children who went missing,
    the share offered an interview by ...".
    """
    return (f"Offers and interviews by {interviewer_label.lower()} only; children who went missing and "
            f"episodes are all of them, so the rates are shares of everyone who went missing.")
