"""The monthly numbers the council reports, computed in one place from the records.

Counting rules (DOMAIN.md, docs/ARCHITECTURE.md "Counting rules"):

- an episode belongs to the month in which it **started**;
- only ``missing`` episodes count, and never an OLA episode (``episodes.other_la = 1``);
- an episode is **offered** when an RHI covering it has ``offered_at`` set or ``outcome = 'completed'``;
  it is **done** when an RHI covering it has ``outcome = 'completed'``;
- the LAC row counts episodes with ``episodes.looked_after = 1`` (the status during the episode);
- percentages have two decimals, rounded half up; a zero denominator gives None (a blank cell).

Every count is a SQL ``GROUP BY`` over indexed columns; Python only formats the answers. The
dashboard's wider figures ("beyond the seed") are computed from a per-episode frame built once
per request in a temporary table, so seven tables do not scan the records seven times.
"""
from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlite_utils

from .clock import now
from .interviews import HARM_INDICATORS  # the interview's own words for each sign of harm

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")

# The seed table's rows: key, the seed's words, what the number counts, and the drill-down behind it.
SEED_ROWS = [
    ("children_missing", "No of children who went missing", "count", "children_missing"),
    ("children_offered", "No of children where RHI was offered", "count", "children_offered"),
    ("children_rhi_done", "No of children with RHI done", "count", "children_rhi_done"),
    ("episodes", "No of missing episodes", "count", "episodes"),
    ("episodes_rhi_done", "No of RHIs done episodes", "count", "episodes_rhi_done"),
    ("offer_rate_children", "RHI % offer rate for children", "rate", "children_missing"),
    ("rhi_done_rate_episodes", "RHIs done % episodes", "rate", "episodes"),
    ("lac_rhi_done_rate_episodes", "RHIs done % episodes \u2013 all LAC", "rate", "lac_episodes"),
]
CSV_COLUMNS = ["month"] + [key for key, *_ in SEED_ROWS]

LAC_FILTERS = {
    "lac": "Looked-after children (any placement)",
    "not_lac": "Not looked after",
    "in_borough": "Looked after, placed in borough",
    "neighbouring": "Looked after, placed in a neighbouring authority",
    "out_of_borough": "Looked after, placed out of borough",
}
AGE_BANDS = {
    "under_13": "Under 13",
    "13_15": "13 to 15",
    "16": "16",
    "17_plus": "17 and over",
    "unknown": "Date of birth not known",
}
INTERVIEWER_TYPES = {
    "social_worker": "The child's social worker",
    "missing_team": "A missing team worker",
    "provider": "A spot-purchased RHI provider",
}
PLACEMENTS = {
    "in_borough": "In borough",
    "neighbouring": "Neighbouring authority",
    "out_of_borough": "Out of borough",
    "unknown": "Placement not recorded",
}
TIMELINESS_STATES = {
    "within": "Within 72 hours",
    "late": "After 72 hours",
    "not_yet": "Not yet, and 72 hours have passed",
    "pending": "Not yet, clock still running",
    "still_missing": "Child still missing",
    "not_measurable": "Not measurable (no usable times)",
}
NOT_DONE_REASONS = {
    "declined": "Declined by the child",
    "unavailable": "Child could not be seen",
    "missing_again": "Went missing again before it could happen",
    "awaiting_outcome": "Offered or assigned, no outcome yet",
    "no_rhi": "No RHI record",
}
REPEAT_EPISODES = 3
REPEAT_DAYS = 30


class KPIError(Exception):
    """A user-facing problem with a report request; the message says what to do."""


@dataclass(frozen=True)
class Filters:
    """Which episodes a report looks at, beyond the counting rules (None = all)."""

    lac: str | None = None
    age_band: str | None = None
    interviewer_type: str | None = None

    def __post_init__(self):
        if self.lac not in (None, *LAC_FILTERS):
            raise KPIError("Choose a looked-after status from the list")
        if self.age_band not in (None, *AGE_BANDS):
            raise KPIError("Choose an age band from the list")
        if self.interviewer_type not in (None, *INTERVIEWER_TYPES):
            raise KPIError("Choose an interviewer type from the list")

    def as_params(self) -> dict:
        """The filters as query-string parameters (only those set)."""
        return {k: v for k, v in (("lac", self.lac), ("age", self.age_band),
                                  ("interviewer", self.interviewer_type)) if v}

    def describe(self) -> str:
        """The filters in words, for headings and exports."""
        parts = []
        if self.lac:
            parts.append(LAC_FILTERS[self.lac])
        if self.age_band:
            parts.append(f"aged {AGE_BANDS[self.age_band].lower()}" if self.age_band != "unknown"
                         else AGE_BANDS["unknown"].lower())
        if self.interviewer_type:
            parts.append(f"interviews by {INTERVIEWER_TYPES[self.interviewer_type].lower()}")
        return "; ".join(parts) or "All children"


NO_FILTERS = Filters()


# ---------------------------------------------------------------------------------------------
# Months


def parse_month(text: str, what: str = "month") -> str:
    """Check a ``YYYY-MM`` month and return it; raises KPIError with a sentence otherwise."""
    match = MONTH_RE.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise KPIError(f"Enter the {what} as a year and month, for example 2017-04")
    return match.group(0)


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive, as ``YYYY-MM``."""
    first, last = parse_month(first, "first month"), parse_month(last, "last month")
    if first > last:
        raise KPIError("The first month must not be after the last month")
    year, month = int(first[:4]), int(first[5:])
    months = []
    while True:
        text = f"{year:04d}-{month:02d}"
        months.append(text)
        if text == last:
            return months
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        if len(months) > 1200:
            raise KPIError("Choose a range of at most 100 years")


def next_month(month: str) -> str:
    """The month after ``month``."""
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + 1:04d}-01" if mon == 12 else f"{year:04d}-{mon + 1:02d}"


def month_heading(month: str) -> str:
    """'2017-04' → 'Apr-17', the seed's column heading."""
    return datetime.strptime(month, "%Y-%m").strftime("%b-%y")


def month_name(month: str) -> str:
    """'2017-04' → 'April 2017'."""
    return datetime.strptime(month, "%Y-%m").strftime("%B %Y")


def default_range(months: int = 12, at: datetime | None = None) -> tuple[str, str]:
    """The last ``months`` months up to and including the current one."""
    today = (at or now()).date()
    last = f"{today.year:04d}-{today.month:02d}"
    year, mon = today.year, today.month - (months - 1)
    while mon < 1:
        year, mon = year - 1, mon + 12
    return f"{year:04d}-{mon:02d}", last


# ---------------------------------------------------------------------------------------------
# Rates


def rate(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` as a percentage to two decimals (half up); None if undefined."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def format_rate(value: Decimal | None, percent: bool = False) -> str:
    """'32.91' (or '32.91%'), blank when the rate is undefined."""
    if value is None:
        return ""
    return f"{value:.2f}%" if percent else f"{value:.2f}"


# ---------------------------------------------------------------------------------------------
# The SQL every figure is built from


def _age_sql(start: str = "e.start", dob: str = "c.date_of_birth") -> str:
    # YYYYMMDD(start) - YYYYMMDD(birth) is the age in whole years times 10000 plus less than
    # 10000: one subtraction instead of comparing years, months and days separately.
    gap = (f"(cast(replace(substr({start}, 1, 10), '-', '') as integer)"
           f" - cast(replace(substr({dob}, 1, 10), '-', '') as integer))")
    return (f"case when {dob} is null or length({dob}) < 10 then 'unknown' "
            f"when {gap} < 130000 then 'under_13' when {gap} < 160000 then '13_15' "
            f"when {gap} < 170000 then '16' else '17_plus' end")


def _fast_reads(db) -> None:
    # Memory-mapped reads halve the cost of the random look-ups a report makes (children by id,
    # RHIs by episode); SQLite falls back to ordinary reads where mapping is not possible.
    if db.execute("pragma mmap_size").fetchone()[0] < MMAP_BYTES:
        db.execute(f"pragma mmap_size = {MMAP_BYTES}")


MMAP_BYTES = 1 << 30


def _rhi_condition(filters: Filters, params: dict) -> str:
    if filters.interviewer_type:
        params["interviewer_type"] = filters.interviewer_type
        return " and r.interviewer_type = :interviewer_type"
    return ""


def _flag_sql(condition: str, filters: Filters, params: dict) -> str:
    """1 when an RHI covering episode ``e`` meets ``condition``."""
    return (f"exists (select 1 from rhi_episodes re join return_home_interviews r on r.id = re.rhi "
            f"where re.episode = e.id and ({condition}){_rhi_condition(filters, params)})")


OFFERED = "r.offered_at is not null or r.outcome = 'completed'"
DONE = "r.outcome = 'completed'"


def _where(base: str, first: str, last: str, filters: Filters, params: dict,
           start_from: str | None = None, rhi_filter: bool = True) -> tuple[str, bool]:
    """The WHERE clause for ``base`` episodes starting in the months; True if children must be joined."""
    params["start_from"] = start_from or f"{first}-01"
    params["start_to"] = f"{next_month(last)}-01"
    if base == "counted":
        clauses = ["e.episode_type = 'missing'", "e.other_la = 0"]
    elif base == "away":
        clauses = ["e.episode_type = 'away'", "e.other_la = 0"]
    elif base == "ola":
        clauses = ["e.episode_type in ('missing', 'away')", "e.other_la = 1"]
    else:
        raise ValueError(base)
    clauses += ["e.start >= :start_from", "e.start < :start_to"]
    if filters.lac == "lac":
        clauses.append("e.looked_after = 1")
    elif filters.lac == "not_lac":
        clauses.append("e.looked_after = 0")
    elif filters.lac:
        clauses.append("e.looked_after = 1 and e.placement = :placement")
        params["placement"] = filters.lac
    needs_child = False
    if filters.age_band:
        clauses.append(f"{_age_sql()} = :age_band")
        params["age_band"] = filters.age_band
        needs_child = True
    if filters.interviewer_type and rhi_filter:
        clauses.append(_flag_sql("1", filters, params))
    return " and ".join(clauses), needs_child


# ---------------------------------------------------------------------------------------------
# The seed table


def monthly_table(db: sqlite_utils.Database, first: str, last: str,
                  filters: Filters = NO_FILTERS) -> list[dict]:
    """The seed table's eight rows for each month from ``first`` to ``last``, oldest first.

    Each month is a dict with ``month`` and the keys of :data:`SEED_ROWS` (rates as Decimal or None).
    """
    months = months_between(first, last)
    _fast_reads(db)
    params: dict = {}
    where, needs_child = _where("counted", first, last, filters, params, rhi_filter=False)
    join = " join children c on c.id = e.child" if needs_child else ""
    # One probe per episode gives 0 (no offer), 1 (offered) or 2 (done; a completed RHI is also
    # offered); NULL when no RHI covers it. MATERIALIZED keeps SQLite from re-running the probe
    # for every aggregate that reads it.
    sql = f"""
        with counted as materialized (
            select substr(e.start, 1, 7) as month, e.child, e.looked_after as lac,
                   (select max(case when {DONE} then 2 when {OFFERED} then 1 else 0 end)
                    from rhi_episodes re join return_home_interviews r on r.id = re.rhi
                    where re.episode = e.id{_rhi_condition(filters, params)}) as code
            from episodes e{join}
            where {where}
        ),
        per_child as (
            select month, child, count(*) as episodes, max(code >= 1) as offered, max(code = 2) as done,
                   sum(code = 2) as episodes_done, sum(lac) as lac_episodes, sum(lac and code = 2) as lac_done
            from counted {"where code is not null" if filters.interviewer_type else ""}
            group by month, child
        )
        select month, count(*) as children_missing, sum(offered) as children_offered,
               sum(done) as children_rhi_done, sum(episodes) as episodes, sum(episodes_done) as episodes_rhi_done,
               sum(lac_episodes) as lac_episodes, sum(lac_done) as lac_episodes_rhi_done
        from per_child group by month"""
    found = {row["month"]: row for row in db.query(sql, params)}
    return [_month_row(month, found.get(month, {})) for month in months]


def _month_row(month: str, counts: dict) -> dict:
    row = {"month": month}
    for key in ("children_missing", "children_offered", "children_rhi_done", "episodes",
                "episodes_rhi_done", "lac_episodes", "lac_episodes_rhi_done"):
        row[key] = int(counts.get(key) or 0)
    row["offer_rate_children"] = rate(row["children_offered"], row["children_missing"])
    row["rhi_done_rate_episodes"] = rate(row["episodes_rhi_done"], row["episodes"])
    row["lac_rhi_done_rate_episodes"] = rate(row["lac_episodes_rhi_done"], row["lac_episodes"])
    return row


def csv_rows(rows: list[dict]) -> list[list[str]]:
    """The table as CSV rows: the header of :data:`CSV_COLUMNS`, then one row per month."""
    out = [list(CSV_COLUMNS)]
    for row in rows:
        out.append([row["month"]] + [format_rate(row[key]) if kind == "rate" else str(row[key])
                                     for key, _, kind, _ in SEED_ROWS])
    return out


def seed_layout(rows: list[dict], percent: bool = True) -> list[list[str]]:
    """The seed's layout: a heading row of months ('Apr-17'), then one row per KPI in the seed's words."""
    out = [[""] + [month_heading(r["month"]) for r in rows]]
    for key, label_text, kind, _ in SEED_ROWS:
        out.append([label_text] + [format_rate(r[key], percent) if kind == "rate" else str(r[key])
                                   for r in rows])
    return out


def json_ready(rows: list[dict]) -> list[dict]:
    """The rows with rates as numbers (or null), for JSON."""
    return [{k: (float(v) if isinstance(v, Decimal) else v) for k, v in row.items()} for row in rows]


# ---------------------------------------------------------------------------------------------
# The per-episode frame behind the wider figures and every drill-down


def _clock_state(column: str, unusable: str = "0") -> str:
    """SQL for where an episode's 72-hour clock stands against the time in ``column``.

    The clock runs from the episode's end. A time recorded only as a date is usable when the
    whole day falls on one side of the deadline; otherwise the case is not measurable, and a
    not-measurable case is never counted as a breach.
    """
    t = column
    return f"""case
        when "end" is null then 'still_missing'
        when length("end") < 16 or deadline is null then 'not_measurable'
        when {t} is null and {unusable} then 'not_measurable'
        when {t} is null then case when :now_day > deadline then 'not_yet' else 'pending' end
        when julianday({t}) is null then 'not_measurable'
        when length({t}) >= 16 then case when julianday({t}) <= deadline then 'within' else 'late' end
        when julianday({t}) + 1 <= deadline then 'within'
        when julianday({t}) > deadline then 'late'
        else 'not_measurable' end"""


class Frame:
    """A temporary table of one base set of episodes (counted, away or OLA) with everything known about each.

    Use as a context manager; the table is dropped on exit. Columns: ``episode``, ``child``,
    ``month``, ``start``, ``end``, ``lac``, ``placement``, ``age_band``, ``offered``, ``done``,
    ``offer_state``, ``completion_state``, ``not_done_reason``, ``latest_rhi``.
    """

    def __init__(self, db: sqlite_utils.Database, first: str, last: str, filters: Filters = NO_FILTERS,
                 base: str = "counted", at: datetime | None = None, lookback_days: int = 0):
        self.db, self.first, self.last, self.filters, self.base = db, first, last, filters, base
        self.at = at or now()
        self.lookback_days = lookback_days
        self.table = f"temp.kpi_frame_{uuid.uuid4().hex[:12]}"

    def __enter__(self) -> "Frame":
        months_between(self.first, self.last)
        _fast_reads(self.db)
        params: dict = {"now": self.at.strftime("%Y-%m-%d %H:%M")}
        params["now_day"] = self.db.execute("select julianday(?)", [params["now"]]).fetchone()[0]
        start_from = None
        if self.lookback_days:
            start_from = (datetime.strptime(self.first + "-01", "%Y-%m-%d")
                          - timedelta(days=self.lookback_days)).strftime("%Y-%m-%d")
        where, _ = _where(self.base, self.first, self.last, self.filters, params, start_from, rhi_filter=False)
        rhi = _rhi_condition(self.filters, params)
        params["start_from_real"] = f"{self.first}-01"
        # One pass over the records: each episode joined to every RHI covering it, folded back to
        # one row per episode. Grouping by (start, id), the order episodes_start reads them in,
        # lets SQLite fold as it reads instead of sorting first.
        inner = f"""
            select e.id as episode, e.child, substr(e.start, 1, 7) as month, e.start, e."end",
                   e.looked_after as lac, e.placement, {_age_sql()} as age_band, e.start >= :start_from_real as in_range,
                   julianday(e.start) as t, julianday(e."end") + 3 as deadline,
                   coalesce(max(r.offered_at is not null or r.outcome = 'completed'), 0) as offered,
                   coalesce(max(r.outcome = 'completed'), 0) as done,
                   min(case when r.offered_at is not null then r.offered_at
                            when r.outcome = 'completed' then r.completed_at end) as first_offer,
                   min(case when r.outcome = 'completed' then r.completed_at end) as first_completed,
                   sum(r.outcome = 'completed' and r.completed_at is null) as completed_without_time,
                   max(r.id) as latest_rhi,
                   -- The latest RHI's outcome without looking it up again: the largest id * 8 + code
                   -- belongs to the latest RHI, and its last digit in base 8 is that RHI's outcome.
                   max(r.id * 8 + case r.outcome when 'declined' then 1 when 'unavailable' then 2
                                      when 'missing_again' then 3 else 0 end) % 8 as latest_outcome
            from episodes e join children c on c.id = e.child
            left join rhi_episodes re on re.episode = e.id
            left join return_home_interviews r on r.id = re.rhi{rhi}
            where {where}
            group by e.start, e.id{" having count(r.id) > 0" if rhi else ""}"""
        name = self.table.split('.')[1]
        self.db.execute(f"""
            create temp table {name} as
            select *, {_clock_state('first_offer')} as offer_state,
                   {_clock_state('first_completed', "completed_without_time > 0")} as completion_state,
                   case when done then null when latest_rhi is null then 'no_rhi'
                        when latest_outcome = 1 then 'declined' when latest_outcome = 2 then 'unavailable'
                        when latest_outcome = 3 then 'missing_again' else 'awaiting_outcome' end as not_done_reason
            from ({inner})""", params)
        if self.lookback_days:
            self.db.execute(f"create index temp.{name}_child on {name} (child, t)")
        return self

    def __exit__(self, *exc) -> None:
        self.db.execute(f"drop table if exists {self.table}")

    def query(self, sql: str, params: dict | None = None) -> list[dict]:
        """Run ``sql`` with ``{frame}`` standing for the frame's table (episodes in the months only)."""
        view = f"(select * from {self.table} where in_range)"
        sql = sql.replace("{frame}", view).replace("{all}", self.table)
        return list(self.db.query(sql, params or {}))


def beyond_the_seed(db: sqlite_utils.Database, first: str, last: str, filters: Filters = NO_FILTERS,
                    at: datetime | None = None) -> dict:
    """The wider figures: 72-hour timeliness, reasons not done, LAC by placement, age bands,
    repeat-missing children, interviews by interviewer type and provider, away and OLA episodes."""
    months = months_between(first, last)
    out: dict = {"months": months}
    with Frame(db, first, last, filters, at=at, lookback_days=REPEAT_DAYS + 1) as frame:
        counts = _episode_counts(frame, months)
        out["table"], children_by_age = _children_counts(frame, months)
        out["timeliness"] = _timeliness(counts, months)
        out["not_done"] = _not_done(frame, counts)
        out["placement"] = _placement(counts, months)
        out["age_bands"] = {"episodes": counts["age"], "children": children_by_age}
        out["repeat"] = _repeat(frame, months)
        out["interviewers"] = _interviewers(frame)
    out["away_ola"] = _away_ola(db, first, last, filters, months)
    return out


def _episode_counts(frame: Frame, months: list[str]) -> dict:
    """Every per-month episode count of the wider tables, in one pass over the frame."""
    columns = []
    for state in TIMELINESS_STATES:
        columns += [f"sum(offer_state = '{state}') as \"offer.{state}\"",
                    f"sum(completion_state = '{state}') as \"completion.{state}\""]
    columns += [f"sum(not_done_reason = '{reason}') as \"not_done.{reason}\"" for reason in NOT_DONE_REASONS]
    for place in PLACEMENTS:
        columns += [f"sum(lac and coalesce(placement, 'unknown') = '{place}') as \"placement.{place}\"",
                    f"sum(lac and done and coalesce(placement, 'unknown') = '{place}') as \"placement_done.{place}\""]
    columns += [f"sum(age_band = '{band}') as \"age.{band}\"" for band in AGE_BANDS]
    rows = frame.query(f"select month, {', '.join(columns)} from {{frame}} group by month")
    table: dict = {}
    for row in rows:
        for column, value in row.items():
            if column != "month":
                part, key = column.split(".")
                table.setdefault(part, {}).setdefault(key, {})[row["month"]] = value or 0
    for part, keys in (("offer", TIMELINESS_STATES), ("completion", TIMELINESS_STATES), ("not_done", NOT_DONE_REASONS),
                       ("placement", PLACEMENTS), ("placement_done", PLACEMENTS), ("age", AGE_BANDS)):
        table.setdefault(part, {})
        for key in keys:
            table[part][key] = {m: table[part].get(key, {}).get(m, 0) for m in months}
    return table


def _children_counts(frame: Frame, months: list[str]) -> tuple[list[dict], dict]:
    """The seed table and children by age band, from one pass over the frame grouped by month and child."""
    bands = ", ".join(f"max(age_band = '{band}') as \"b.{band}\"" for band in AGE_BANDS)
    band_sums = ", ".join(f"sum(\"b.{band}\") as \"b.{band}\"" for band in AGE_BANDS)
    rows = frame.query(f"""
        select month, count(*) as children_missing, sum(offered) as children_offered,
               sum(done) as children_rhi_done, sum(n) as episodes, sum(n_done) as episodes_rhi_done,
               sum(n_lac) as lac_episodes, sum(n_lac_done) as lac_episodes_rhi_done, {band_sums}
        from (select month, child, count(*) as n, max(offered) as offered, max(done) as done,
                     sum(done) as n_done, sum(lac) as n_lac, sum(lac and done) as n_lac_done, {bands}
              from {{frame}} group by month, child)
        group by month""")
    found = {row["month"]: row for row in rows}
    table = [_month_row(month, found.get(month, {})) for month in months]
    children = {band: {m: (found.get(m) or {}).get(f"b.{band}", 0) or 0 for m in months} for band in AGE_BANDS}
    return table, children


def _timeliness(counts: dict, months: list[str]) -> dict:
    result = {}
    for name in ("offer", "completion"):
        table = counts[name]
        rates = {}
        for month in months + ["total"]:
            pick = (lambda s: table[s][month]) if month != "total" else (lambda s: sum(table[s].values()))
            measurable = pick("within") + pick("late") + pick("not_yet")
            rates[month] = rate(pick("within"), measurable)
        result[name] = {"counts": table, "rate": rates}
    return result


def _not_done(frame: Frame, counts: dict) -> dict:
    reasons = frame.query("""
        select r.outcome, trim(r.outcome_reason) as reason, count(*) as n from {frame} f
        join return_home_interviews r on r.id = f.latest_rhi
        where not f.done and f.not_done_reason in ('declined', 'unavailable', 'missing_again')
          and trim(coalesce(r.outcome_reason, '')) != ''
        group by r.outcome, trim(r.outcome_reason) order by n desc, reason limit 15""")
    return {"counts": counts["not_done"], "reasons": reasons}


def _placement(counts: dict, months: list[str]) -> dict:
    episodes, done = counts["placement"], counts["placement_done"]
    rates = {p: {m: rate(done[p][m], episodes[p][m]) for m in months} for p in episodes}
    return {"episodes": episodes, "done": done, "rate": rates}


# An episode that is at least the third of its child's within 30 days (counting itself) makes
# the child "repeat missing" in that episode's month. The frame holds the 30 days before the
# first month too, and an index on (child, t), so each probe reads a handful of index entries.
REPEAT_SQL = f"""
    with ranked as (
        select g.episode, g.child, g.month, g.in_range,
               (select count(*) from {{all}} h where h.child = g.child
                 and h.t between g.t - {REPEAT_DAYS} and g.t) as in_window
        from {{all}} g where g.in_range
    )"""


def _repeat(frame: Frame, months: list[str]) -> dict:
    rows = frame.query(REPEAT_SQL + f"""
        select month, count(distinct child) as n from ranked
        where in_window >= {REPEAT_EPISODES} group by month""")
    total = frame.query(REPEAT_SQL + f"""
        select count(distinct child) as n from ranked where in_window >= {REPEAT_EPISODES}""")
    by_month = {m: 0 for m in months}
    for row in rows:
        by_month[row["month"]] = row["n"]
    return {"children": by_month, "total": total[0]["n"]}


def _interviewers(frame: Frame) -> dict:
    params: dict = {}
    cover = ("{frame} f join rhi_episodes re on re.episode = f.episode "
             "join return_home_interviews r on r.id = re.rhi where f.latest_rhi is not null"
             + _rhi_condition(frame.filters, params))
    by_type = frame.query(f"""
        select coalesce(r.interviewer_type, 'unknown') as interviewer_type, count(distinct r.id) as interviews,
               count(distinct case when r.offered_at is not null or r.outcome = 'completed' then r.id end) as offered,
               count(distinct case when r.outcome = 'completed' then r.id end) as completed,
               count(distinct f.episode) as episodes
        from {cover} group by 1 order by interviews desc""", params)
    by_provider = frame.query(f"""
        select coalesce(nullif(trim(r.assigned_to), ''), 'Not named') as provider, count(distinct r.id) as interviews,
               count(distinct case when r.outcome = 'completed' then r.id end) as completed,
               count(distinct f.episode) as episodes
        from {cover} and r.interviewer_type = 'provider'
        group by 1 order by completed desc, provider""", params)
    return {"by_type": by_type, "by_provider": by_provider}


def seed_table_from(frame: Frame) -> list[dict]:
    """The seed table computed from a frame (the dashboard builds one frame for everything)."""
    return _children_counts(frame, months_between(frame.first, frame.last))[0]


def _away_ola(db, first: str, last: str, filters: Filters, months: list[str]) -> dict:
    params: dict = {}
    # Away and OLA episodes are counted separately, under the same LAC and age filters.
    plain = Filters(lac=filters.lac, age_band=filters.age_band)
    result = {}
    for base in ("away", "ola"):
        where, needs_child = _where(base, first, last, plain, params)
        join = " join children c on c.id = e.child" if needs_child else ""
        rows = db.query(f"""select substr(e.start, 1, 7) as month, count(*) as episodes,
                                   count(distinct e.child) as children
                            from episodes e{join} where {where} group by month""", params)
        table = {"episodes": {m: 0 for m in months}, "children": {m: 0 for m in months}}
        for row in rows:
            table["episodes"][row["month"]] = row["episodes"]
            table["children"][row["month"]] = row["children"]
        result[base] = table
    return result


# ---------------------------------------------------------------------------------------------
# Drill-down: the children or episodes behind any number


@dataclass(frozen=True)
class Metric:
    """A number on a report and the episodes or children it counts."""

    unit: str  # 'children' or 'episodes'
    title: str
    condition: str  # SQL over the frame's columns; ':key' is the drill-down's key, if any
    base: str = "counted"
    keys: dict | None = None  # allowed keys and their words


METRICS = {
    "children_missing": Metric("children", "Children who went missing", "1"),
    "children_offered": Metric("children", "Children offered an RHI", "g.offered"),
    "children_rhi_done": Metric("children", "Children with an RHI done", "g.done"),
    "episodes": Metric("episodes", "Missing episodes", "1"),
    "episodes_rhi_done": Metric("episodes", "Missing episodes with an RHI done", "g.done"),
    "lac_episodes": Metric("episodes", "Missing episodes of looked-after children", "g.lac"),
    "lac_episodes_rhi_done": Metric("episodes", "Missing episodes of looked-after children with an RHI done",
                                    "g.lac and g.done"),
    "offer_state": Metric("episodes", "Episodes by when the RHI was offered", "g.offer_state = :key",
                          keys=TIMELINESS_STATES),
    "completion_state": Metric("episodes", "Episodes by when the RHI was completed",
                               "g.completion_state = :key", keys=TIMELINESS_STATES),
    "not_done": Metric("episodes", "Episodes without an RHI done", "not g.done and g.not_done_reason = :key",
                       keys=NOT_DONE_REASONS),
    "placement_episodes": Metric("episodes", "Missing episodes of looked-after children by placement",
                                 "g.lac and coalesce(g.placement, 'unknown') = :key", keys=PLACEMENTS),
    "placement_done": Metric("episodes", "Missing episodes of looked-after children with an RHI done, by placement",
                             "g.lac and g.done and coalesce(g.placement, 'unknown') = :key", keys=PLACEMENTS),
    "age_episodes": Metric("episodes", "Missing episodes by age at the start", "g.age_band = :key", keys=AGE_BANDS),
    "age_children": Metric("children", "Children who went missing, by age at the start", "g.age_band = :key",
                           keys=AGE_BANDS),
    "repeat_children": Metric("children", f"Children missing {REPEAT_EPISODES} or more times in "
                                          f"{REPEAT_DAYS} days",
                              f"g.child in (select child from ranked where in_range and in_window >= {REPEAT_EPISODES})"),
    "interviewer_episodes": Metric("episodes", "Episodes covered by interviews, by interviewer type",
                                   "coalesce(r.interviewer_type, 'unknown') = :key",
                                   keys={**INTERVIEWER_TYPES, "unknown": "Not recorded"}),
    "provider_episodes": Metric("episodes", "Episodes covered by interviews of a provider",
                                "r.interviewer_type = 'provider' and "
                                "coalesce(nullif(trim(r.assigned_to), ''), 'Not named') = :key"),
    "away_episodes": Metric("episodes", "Away episodes (not counted in the KPIs)", "1", base="away"),
    "away_children": Metric("children", "Children with away episodes (not counted in the KPIs)", "1", base="away"),
    "ola_episodes": Metric("episodes", "Episodes of children looked after by other authorities "
                                       "(not counted in the KPIs)", "1", base="ola"),
    "ola_children": Metric("children", "Children looked after by other authorities (not counted in the KPIs)",
                           "1", base="ola"),
}


@dataclass
class Drill:
    """The children or episodes behind one number."""

    metric: str
    unit: str
    title: str
    months: list[str]
    rows: list[dict] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many children or episodes (the number the link was on)."""
        return len(self.rows)


def drill(db: sqlite_utils.Database, metric: str, first: str, last: str, filters: Filters = NO_FILTERS,
          key: str | None = None, at: datetime | None = None) -> Drill:
    """The children or episodes behind a number: ``metric`` (a key of :data:`METRICS`) over the months.

    Pass ``first == last`` for one month's cell. ``key`` picks the row of a wider table (an age band,
    a placement, a timeliness state, an interviewer type or a provider's name).
    """
    spec = METRICS.get(metric)
    if spec is None:
        raise KPIError("That figure is not one the reports know; go back to the dashboard and choose again")
    if spec.keys is not None and key not in spec.keys:
        raise KPIError("Choose a row of the table to see the records behind it")
    months = months_between(first, last)
    if spec.base != "counted":
        # Away and OLA episodes are counted under the LAC and age filters only (as in the table).
        filters = Filters(lac=filters.lac, age_band=filters.age_band)
    params: dict = {"key": key}
    condition = spec.condition
    prefix = ""
    lookback = 0
    if metric == "repeat_children":
        prefix, lookback = REPEAT_SQL, REPEAT_DAYS + 1
    elif metric in ("interviewer_episodes", "provider_episodes"):
        condition = (f"exists (select 1 from rhi_episodes re join return_home_interviews r on r.id = re.rhi "
                     f"where re.episode = g.episode and {condition}{_rhi_condition(filters, params)})")
    if spec.keys:
        title = f"{spec.title}: {spec.keys[key].lower() if key != 'unknown' else spec.keys[key].lower()}"
    else:
        title = spec.title + (f": {key}" if key else "")
    result = Drill(metric, spec.unit, title, months)
    with Frame(db, first, last, filters, base=spec.base, at=at, lookback_days=lookback) as frame:
        if spec.unit == "episodes":
            sql = f"""{prefix}
                select e.episode_id, c.child_id, c.name, c.date_of_birth, e.episode_type, e.start, e."end",
                       e.looked_after, e.other_la, e.placement, g.age_band, g.offered, g.done, g.offer_state,
                       g.completion_state, g.not_done_reason, g.first_offer, g.first_completed
                from {{frame}} g join episodes e on e.id = g.episode join children c on c.id = e.child
                where {condition} order by e.start, c.child_id"""
        else:
            sql = f"""{prefix}
                select c.child_id, c.name, c.date_of_birth, count(*) as episodes,
                       max(g.offered) as offered, max(g.done) as done, max(g.lac) as lac,
                       min(g.start) as first_start, max(g.start) as last_start
                from {{frame}} g join children c on c.id = g.child
                where {condition} group by c.id order by c.child_id"""
        result.rows = frame.query(sql, params)
    return result


# ---------------------------------------------------------------------------------------------
# Interviews: themes for the monthly report


def _answers(text: str | None) -> dict:
    """An interview's answers, read defensively: anything but a JSON object is treated as empty."""
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _codes(value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [v.strip() for v in value if isinstance(v, str) and v.strip()]


def interview_themes(db: sqlite_utils.Database, first: str, last: str, filters: Filters = NO_FILTERS) -> dict:
    """Themes from completed interviews covering counted episodes in the months: where children went,
    exploitation and harm concerns, push and pull factors, risk levels."""
    months_between(first, last)
    params: dict = {}
    where, _ = _where("counted", first, last, filters, params)
    rows = db.query(f"""
        select distinct r.id, r.answers from episodes e join children c on c.id = e.child
        join rhi_episodes re on re.episode = e.id join return_home_interviews r on r.id = re.rhi
        where {where} and r.outcome = 'completed'{_rhi_condition(filters, params)}""", params)
    areas, harms, push, pull, risk = Counter(), Counter(), Counter(), Counter(), Counter()
    interviews = 0
    for row in rows:
        interviews += 1
        answers = _answers(row["answers"])
        area = answers.get("where_area")
        if isinstance(area, str) and area.strip():
            areas[area.strip().upper() if len(area.strip()) <= 5 else area.strip().title()] += 1
        harms.update(set(_codes(answers.get("harm_indicators"))))
        push.update(set(_codes(answers.get("push_factors"))))
        pull.update(set(_codes(answers.get("pull_factors"))))
        level = answers.get("risk_level")
        if level in ("low", "medium", "high"):
            risk[level] += 1
    return {"interviews": interviews, "areas": areas.most_common(10),
            "harm": [(HARM_INDICATORS.get(k, k.replace("_", " ").capitalize()), n) for k, n in harms.most_common()],
            "push": [(k.replace("_", " ").capitalize(), n) for k, n in push.most_common(8)],
            "pull": [(k.replace("_", " ").capitalize(), n) for k, n in pull.most_common(8)],
            "risk": [(level, risk[level]) for level in ("high", "medium", "low")]}


# ---------------------------------------------------------------------------------------------
# The weekly high-risk list


CONCERN_DAYS = 28
ACTIONS_DUE_DAYS = 7


def high_risk(db: sqlite_utils.Database, at: datetime | None = None) -> dict:
    """The weekly high-risk list: repeat missing, missing now, exploitation concerns from interviews
    signed off in the last 28 days, and follow-up actions due within a week or overdue."""
    at = at or now()
    stamp = at.strftime("%Y-%m-%d %H:%M")
    since = (at - timedelta(days=REPEAT_DAYS)).strftime("%Y-%m-%d %H:%M")
    repeat = list(db.query("""
        select c.child_id, c.name, c.date_of_birth, max(e.looked_after) as lac, max(e.other_la) as other_la,
               count(*) as episodes, max(e.start) as last_start,
               max(e."end" is null) as missing_now
        from episodes e join children c on c.id = e.child
        where e.episode_type = 'missing' and e.start >= :since and e.start <= :now
        group by c.id having count(*) >= :n order by episodes desc, last_start desc""",
        {"since": since, "now": stamp, "n": REPEAT_EPISODES}))
    missing_now = list(db.query("""
        select c.child_id, c.name, c.date_of_birth, e.episode_id, e.episode_type, e.start, e.looked_after,
               e.other_la, e.placement, e.police_risk
        from episodes e join children c on c.id = e.child
        where e."end" is null order by e.start""", {}))
    for row in missing_now:
        try:
            hours = (at - datetime.fromisoformat(row["start"].replace("T", " "))).total_seconds() / 3600
        except ValueError:
            hours = None
        row["hours_missing"] = hours
    signed_since = (at - timedelta(days=CONCERN_DAYS)).strftime("%Y-%m-%d")
    concerns = []
    for row in db.query("""
        select r.rhi_id, r.signed_off_at, r.interviewer_type, r.assigned_to, r.answers, c.child_id, c.name
        from return_home_interviews r join children c on c.id = r.child
        where r.status = 'signed_off' and r.signed_off_at >= :since order by r.signed_off_at desc""",
                        {"since": signed_since}):
        answers = _answers(row.pop("answers"))
        harms = [HARM_INDICATORS.get(k, k) for k in _codes(answers.get("harm_indicators"))]
        level = answers.get("risk_level") if answers.get("risk_level") in ("low", "medium", "high") else None
        if harms or level == "high":
            area = answers.get("where_area") if isinstance(answers.get("where_area"), str) else ""
            concerns.append({**row, "harm": harms, "risk_level": level, "where_area": area.strip()})
    actions = []
    due_by = (at + timedelta(days=ACTIONS_DUE_DAYS)).strftime("%Y-%m-%d")
    today = at.strftime("%Y-%m-%d")
    for row in db.query("""
        select r.rhi_id, r.answers, c.child_id, c.name from return_home_interviews r
        join children c on c.id = r.child where r.answers like '%follow_up_actions%'""", {}):
        items = _answers(row["answers"]).get("follow_up_actions")
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict) or item.get("done") is True:
                continue
            due = item.get("due")
            if not isinstance(due, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", due) or due > due_by:
                continue
            actions.append({"rhi_id": row["rhi_id"], "child_id": row["child_id"], "name": row["name"],
                            "action": str(item.get("action") or "").strip() or "(no description)",
                            "owner": str(item.get("owner") or "").strip(), "due": due,
                            "overdue": due < today})
    actions.sort(key=lambda a: (a["due"], a["child_id"]))
    return {"at": at, "repeat": repeat, "missing_now": missing_now, "concerns": concerns, "actions": actions}


def age_on(date_of_birth: str | None, on: str) -> int | None:
    """A child's age in whole years on the date ``on`` (``YYYY-MM-DD...``), or None if unknown."""
    try:
        born = date.fromisoformat((date_of_birth or "")[:10])
        day = date.fromisoformat(on[:10])
    except ValueError:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
