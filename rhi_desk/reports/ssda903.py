"""Exports in the formats DfE and Ofsted ask for: the SSDA903 Missing table and Annex A list 8.

SSDA903 Missing table (the annual return on looked-after children):
    the council's OWN looked-after children's episodes (``episodes.looked_after = 1`` and
    ``other_la = 0``; both ``missing`` → ``M`` and ``away`` → ``A``) that START in the collection
    year (1 April to 31 March), one row each, ordered by child then start. Header
    ``CHILD,DOB,MISSING,MIS_START,MIS_END``; dates ``dd/mm/YYYY``; an open episode has a blank
    ``MIS_END``, and so does one that ended after 31 March (it was open at the year's end; DfE's
    rule 571 rejects an end after the collection year). Episodes of other councils' children (OLA) and of children not looked after are
    left out, and so are voided episodes and episodes starting on or after the child's 18th
    birthday (``register.counting``: not a child's episode). Run ``rhi-desk check`` first: it lists, at the minute, everything DfE's validator
    would reject.

Ofsted ILACS Annex A, list 8 items: see :func:`annex_a_list8`.
"""
from __future__ import annotations

import csv
import io
import os
import re
from datetime import date, datetime, timedelta

import sqlite_utils

from rhi_desk.clock import now
from rhi_desk.register import counting

MISSING_HEADER = ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"]
MISSING_CODES = {"missing": "M", "away": "A"}
ANNEX_A_HEADER = [
    "Child ID", "Date of birth", "Missing episodes in the last 6 months", "Away episodes in the last 6 months",
    "Start of last missing episode", "RHI offered after last missing episode",
    "RHI accepted after last missing episode",
]
RHI_DEADLINE = timedelta(hours=72)


class ExportError(Exception):
    """An export cannot be made; the message says what to do."""


def collection_year(year: str) -> tuple[str, str]:
    """'2017-18' → ('2017-04-01', '2018-03-31'): the first and last day of a DfE collection year."""
    match = re.fullmatch(r"\s*(\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*", year or "")
    if match:
        first = int(match.group(1))
        second = match.group(2)
        if (second == f"{(first + 1) % 100:02d}" or second == str(first + 1)) and 1990 <= first <= 2100:
            return f"{first:04d}-04-01", f"{first + 1:04d}-03-31"
    raise ExportError(f"{year!r} is not a collection year. Write it like 2017-18 (1 April 2017 to 31 March 2018).")


def _dmy(text: str | None) -> str:
    if not text:
        return ""
    return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"


def export_missing_table(db: sqlite_utils.Database, year: str = "2017-18", as_of: str | None = None) -> list[dict]:
    """The SSDA903 Missing table rows for a collection year (own looked-after children's episodes starting in it).

    ``as_of`` (from ``kpi.as_recorded_on``) gives the table as the records stood at the end of that day,
    from the same history the KPI table reads: an episode recorded later, voided later or corrected later
    is shown as it was then, so a return sent to DfE can be made again exactly.
    """
    from rhi_desk.reports import kpi

    first, last = collection_year(year)
    params = {"first": first, "after": (date.fromisoformat(last) + timedelta(days=1)).isoformat()}
    t = kpi.tables(as_of, params)
    rows = db.execute(
        """SELECT c.child_id, ch.date_of_birth, e.episode_type, e.start, e."end"
           FROM {episodes} e JOIN children c ON c.id = e.child JOIN {children} ch ON ch.id = e.child
           WHERE e.looked_after = 1 AND e.other_la = 0 AND e.start >= :first AND e.start < :after
             AND {live} AND NOT {adult}
           ORDER BY c.child_id, e.start, e.id""".format(
            episodes=t["episodes"], children=t["children"], live=counting.live_sql("e"),
            adult=counting.adult_sql(dob="ch.date_of_birth")),
        params)
    # The return describes the year as at 31 March: an episode that ended after it was still open
    # then, so its end is blank (DfE rule 571 rejects an end after the collection year).
    return [{"CHILD": child_id, "DOB": _dmy(dob), "MISSING": MISSING_CODES.get(kind, kind),
             "MIS_START": _dmy(start), "MIS_END": _dmy(end) if end and end[:10] <= last else ""}
            for child_id, dob, kind, start, end in rows]


def missing_table_csv(db: sqlite_utils.Database, year: str = "2017-18", as_of: str | None = None) -> str:
    """The SSDA903 Missing table as CSV text (``as_of``: as the records stood, see :func:`export_missing_table`)."""
    return _csv(MISSING_HEADER, export_missing_table(db, year, as_of))


def write_missing_table(db: sqlite_utils.Database, out: str | os.PathLike, year: str = "2017-18",
                        as_of: str | None = None) -> int:
    """Write the SSDA903 Missing table to ``out``; returns the number of episodes written."""
    rows = export_missing_table(db, year, as_of)
    _write(out, MISSING_HEADER, rows)
    return len(rows)


def annex_a_list8(db: sqlite_utils.Database, at: datetime | None = None) -> list[dict]:
    """Ofsted Annex A list 8 items: per looked-after child, RHI offered / accepted after the last missing episode.

    Who is listed: every child with at least one episode, as our own looked-after child
    (``looked_after = 1``, ``other_la = 0``), starting in the six months before ``at`` (default now).
    The counts are of those episodes, missing and away separately. The *last missing episode* is the
    latest-starting of them with type ``missing``; a child with only away episodes has blank answers.

    Voided episodes and episodes on or after the 18th birthday are left out (``register.counting``).

    RHI offered after the last missing episode (the KPIs' *offered*, ``counting.offered_sql``):
      * Yes: an RHI covering it records an offer (``offered_at``), or its outcome is completed or
        declined (a child can only take part in, or decline, an interview that was offered);
      * No: an RHI record covers it, the child returned more than 72 hours ago, and no offer is
        recorded (no offer date; outcome blank, unavailable or missing_again);
      * Unknown: the child is still missing, or returned less than 72 hours ago and the offer is
        still due, or the register holds no RHI record for the episode at all (for example history
        imported without RHI columns), so we cannot say.

    RHI accepted after the last missing episode:
      * Yes: an RHI covering it is completed (the KPIs' *done*, ``counting.done_sql``);
      * No: the child declined it, or it was not offered (offered is No);
      * Unknown: anything else (offered but no outcome yet, child could not be seen, went missing
        again before it could happen, or offered is Unknown).
    """
    at = at or now()
    since = _months_before(at, 6).strftime("%Y-%m-%d %H:%M")
    until = at.strftime("%Y-%m-%d %H:%M")
    rows = db.execute(
        """WITH recent AS (
               SELECT e.*, row_number() OVER (PARTITION BY e.child, e.episode_type = 'missing'
                                              ORDER BY e.start DESC, e.id DESC) AS recency
               FROM episodes e JOIN children c ON c.id = e.child
               WHERE e.looked_after = 1 AND e.other_la = 0 AND e.start >= ? AND e.start <= ?
                 AND {live} AND NOT {adult}
           )
           SELECT c.child_id, c.date_of_birth,
                  sum(r.episode_type = 'missing') AS missing_count,
                  sum(r.episode_type = 'away') AS away_count,
                  max(CASE WHEN r.episode_type = 'missing' AND r.recency = 1 THEN r.id END) AS last_id
           FROM recent r JOIN children c ON c.id = r.child
           GROUP BY c.id ORDER BY c.child_id""".format(live=counting.live_sql("e"), adult=counting.adult_sql()),
        [since, until]).fetchall()
    result = []
    for child_id, dob, missing_count, away_count, last_id in rows:
        offered = accepted = last_start = ""
        if last_id is not None:
            last_start, offered, accepted = _last_episode_answers(db, last_id, at)
        result.append({
            "Child ID": child_id, "Date of birth": _dmy(dob),
            "Missing episodes in the last 6 months": missing_count or 0,
            "Away episodes in the last 6 months": away_count or 0,
            "Start of last missing episode": _dmy(last_start[:10]) if last_start else "",
            "RHI offered after last missing episode": offered,
            "RHI accepted after last missing episode": accepted,
        })
    return result


def _last_episode_answers(db, episode_pk: int, at: datetime) -> tuple[str, str, str]:
    start, end = db.execute('SELECT start, "end" FROM episodes WHERE id = ?', [episode_pk]).fetchone()
    rhis = db.execute(
        """SELECT r.offered_at, r.outcome FROM return_home_interviews r
           JOIN rhi_episodes re ON re.rhi = r.id WHERE re.episode = ?""", [episode_pk]).fetchall()
    rhis = [{"offered_at": offered_at, "outcome": outcome} for offered_at, outcome in rhis]
    outcomes = {rhi["outcome"] for rhi in rhis}
    if any(counting.is_offered(rhi) for rhi in rhis):
        offered = "Yes"
    elif rhis and end and datetime.fromisoformat(end) + RHI_DEADLINE <= at:
        offered = "No"
    else:
        offered = "Unknown"
    if any(counting.is_done(rhi) for rhi in rhis):
        accepted = "Yes"
    elif "declined" in outcomes or offered == "No":
        accepted = "No"
    else:
        accepted = "Unknown"
    return start, offered, accepted


def annex_a_csv(db: sqlite_utils.Database, at: datetime | None = None) -> str:
    """Annex A list 8 items as CSV text."""
    return _csv(ANNEX_A_HEADER, annex_a_list8(db, at))


def write_annex_a(db: sqlite_utils.Database, out: str | os.PathLike, at: datetime | None = None) -> int:
    """Write Annex A list 8 items to ``out``; returns the number of children written."""
    rows = annex_a_list8(db, at)
    _write(out, ANNEX_A_HEADER, rows)
    return len(rows)


def _months_before(moment: datetime, months: int) -> datetime:
    year, month = moment.year, moment.month - months
    while month < 1:
        month += 12
        year -= 1
    day = min(moment.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
                           31, 31, 30, 31, 30, 31][month - 1])
    return moment.replace(year=year, month=month, day=day)


def _csv(header: list[str], rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _write(out, header: list[str], rows: list[dict]) -> None:
    try:
        # The export names children: readable by this user alone (0600).
        with os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", newline="",
                       encoding="utf-8") as f:
            f.write(_csv(header, rows))
    except OSError as exc:
        raise ExportError(f"The file {out} could not be written ({exc.strerror}). Check the folder exists and "
                          f"you can save there.") from None
