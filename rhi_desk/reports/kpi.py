"""The seed report's monthly KPI table (the scrutiny committee's table), with its filters, months and rates.

The counting rules are in docs/DOMAIN.md; every figure is computed from the records, never stored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlite_utils

from rhi_desk.clock import now
from rhi_desk.register import counting
from rhi_desk.register.counting import AGE_BANDS, REPEAT_DAYS, REPEAT_EPISODES  # noqa: F401 (the reports' words)

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

# Why an episode had no RHI done: the reason coded on its latest RHI (register/corrections.py) where
# there is one, else what its outcome says (NOT_DONE_REASONS). Codes are numbered in this order in the frame.
CODED_REASONS = {
    "declined_by_child": "Declined by the child",
    "parent_carer_refused": "Parent or carer refused",
    "could_not_contact": "Could not be contacted",
    "missing_again": "Went missing again before it could happen",
    "moved_out_of_area": "Moved out of the area",
    "other": "Another reason (recorded in words)",
}
WHY_NOT_DONE = {
    **CODED_REASONS,
    "declined": "Declined, no reason coded",
    "unavailable": "Could not be seen, no reason coded",
    "awaiting_outcome": NOT_DONE_REASONS["awaiting_outcome"],
    "no_rhi": NOT_DONE_REASONS["no_rhi"],
}


class KPIError(Exception):
    """A user-facing problem with a report request; the message says what to do."""


@dataclass(frozen=True)
class Filters:
    """Which episodes a report looks at, beyond the counting rules (None = all)."""

    lac: str | None = None
    age_band: str | None = None
    interviewer_type: str | None = None
    recorded_on: str | None = None  # YYYY-MM-DD: the figures as the records stood at the end of that day

    def __post_init__(self):
        if self.lac not in (None, *LAC_FILTERS):
            raise KPIError("Choose a looked-after status from the list")
        if self.age_band not in (None, *AGE_BANDS):
            raise KPIError("Choose an age band from the list")
        if self.interviewer_type not in (None, *INTERVIEWER_TYPES):
            raise KPIError("Choose an interviewer type from the list")
        if self.recorded_on:
            as_recorded_on(self.recorded_on)

    @property
    def as_of(self) -> str | None:
        """The instant the figures stand at (see :func:`as_recorded_on`), or None for today's records."""
        return as_recorded_on(self.recorded_on) if self.recorded_on else None

    def as_params(self) -> dict:
        """The filters as query-string parameters (only those set)."""
        return {k: v for k, v in (("lac", self.lac), ("age", self.age_band),
                                  ("interviewer", self.interviewer_type), ("as_recorded_on", self.recorded_on)) if v}

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
        text = "; ".join(parts) or "All children"
        if self.recorded_on:
            text += f"; as recorded at the end of {datetime.strptime(self.recorded_on, '%Y-%m-%d'):%-d %B %Y}"
        return text

    def base_note(self) -> str | None:
        """What the base of the rates is when who interviewed is chosen (None otherwise)."""
        if not self.interviewer_type:
            return None
        return counting.interviewer_base_note(INTERVIEWER_TYPES[self.interviewer_type])


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
# The records as they stood: live tables, or those with their history (register migrations 0012, 0071)

DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
LIVE_TABLES = {"episodes": "episodes", "rhis": "return_home_interviews", "links": "rhi_episodes",
               "children": "children"}


def _as_recorded(columns: str, table: str, history: str) -> str:
    """``table`` as it stood at :as_of: the current versions recorded before then, and the replaced versions
    (``history``) recorded before then and not replaced until then (recorded_from < :as_of <= recorded_to)."""
    return (f"(select {columns} from {table} where recorded_from < :as_of union all "
            f"select {columns} from {history} where recorded_from < :as_of and recorded_to >= :as_of)")


HISTORY_TABLES = {
    "episodes": _as_recorded('id, child, episode_type, start, "end", looked_after, other_la, placement, voided_at',
                             "episodes", "episode_history"),
    # The coded reason an RHI was not done has no history: as recorded, the reasons are the outcomes. Every
    # version of an RHI is in its history, the current one open (register migration 0073): a union here is
    # built whole inside each episode's count, 3.4x the plain table's time instead of 1.3x.
    "rhis": ("(select id, child, interviewer_type, offered_at, outcome, completed_at, assigned_to, "
             "null as not_done_code from rhi_history "
             "where recorded_from < :as_of and (recorded_to is null or recorded_to >= :as_of))"),
    "links": _as_recorded("rhi, episode", "rhi_episodes", "rhi_episode_history"),
    "children": _as_recorded("id, date_of_birth", "children", "child_history"),
}


def as_recorded_on(day: str | None) -> str | None:
    """Check a ``YYYY-MM-DD`` day and return the instant just after it ends (the next midnight), or None.

    Figures "as recorded on" a day are those the records gave at the end of that day: every fact
    recorded or changed up to 23:59:59 that day, nothing recorded later.
    """
    if day is None or not str(day).strip():
        return None
    match = DAY_RE.match(str(day).strip())
    try:
        moment = datetime(int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None
    except ValueError:
        moment = None
    if moment is None:
        raise KPIError("Enter the 'as recorded on' date as a year, month and day, for example 2017-12-31")
    if moment.date() > now().date():
        raise KPIError("The 'as recorded on' date must be today or in the past")
    return (moment + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")


def tables(as_of: str | None, params: dict) -> dict:
    """The tables a report reads: today's records, or (``as_of`` from :func:`as_recorded_on`) those as they stood."""
    if as_of is None:
        return LIVE_TABLES
    params["as_of"] = as_of
    return HISTORY_TABLES


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
    return counting.age_band_sql(start, dob)


def _fast_reads(db) -> None:
    # Memory-mapped reads halve the cost of the random look-ups a report makes (children by id,
    # RHIs by episode); SQLite falls back to ordinary reads where mapping is not possible.
    if db.execute("pragma mmap_size").fetchone()[0] < MMAP_BYTES:
        db.execute(f"pragma mmap_size = {MMAP_BYTES}")
    # Under SQLCipher every page read from disk is decrypted again unless it stays in the page cache:
    # a report's random look-ups (a child by id, an RHI by episode) revisit the same pages, and a
    # 128 MB cache (filled only as pages are read) cut a first count of 12 months by about 40%
    # (build/bench_dashboard.py, 1,000,000 episodes).
    if db.execute("pragma cache_size").fetchone()[0] > -CACHE_KIB:
        db.execute(f"pragma cache_size = -{CACHE_KIB}")


MMAP_BYTES = 1 << 30
CACHE_KIB = 128 * 1024


def _rhi_condition(filters: Filters, params: dict) -> str:
    if filters.interviewer_type:
        params["interviewer_type"] = filters.interviewer_type
        return " and r.interviewer_type = :interviewer_type"
    return ""


OFFERED = counting.offered_sql("r")
DONE = counting.done_sql("r")


def _where(base: str, first: str, last: str, filters: Filters, params: dict,
           start_from: str | None = None, rhi_filter: bool = True) -> tuple[str, bool]:
    """The WHERE clause for ``base`` episodes starting in the months; True if children must be joined."""
    params["start_from"] = start_from or f"{first}-01"
    params["start_to"] = f"{next_month(last)}-01"
    # Every base leaves out voided episodes and episodes after the 18th birthday (counting.py).
    if base == "counted":
        clauses = [counting.counted_sql("e", "c")]
    elif base == "away":
        clauses = ["e.episode_type = 'away'", "e.other_la = 0"]
    elif base == "ola":
        clauses = ["e.episode_type in ('missing', 'away')", "e.other_la = 1"]
    elif base == "away_or_ola":  # both in one pass: e.other_la tells them apart
        clauses = ["(e.episode_type = 'away' and e.other_la = 0 "
                   "or e.episode_type in ('missing', 'away') and e.other_la = 1)"]
    else:
        raise ValueError(base)
    if base != "counted":
        clauses += [counting.live_sql("e"), f"not {counting.adult_sql()}"]
    clauses += ["e.start >= :start_from", "e.start < :start_to"]
    if filters.lac == "lac":
        clauses.append("e.looked_after = 1")
    elif filters.lac == "not_lac":
        clauses.append("e.looked_after = 0")
    elif filters.lac:
        clauses.append("e.looked_after = 1 and e.placement = :placement")
        params["placement"] = filters.lac
    needs_child = True
    if filters.age_band:
        clauses.append(f"{_age_sql()} = :age_band")
        params["age_band"] = filters.age_band
    # Who interviewed never narrows the episodes (counting.interviewer_base_note): it narrows only
    # which RHIs make an episode offered or done.
    return " and ".join(clauses), needs_child


# ---------------------------------------------------------------------------------------------
# The seed table


def monthly_table(db: sqlite_utils.Database, first: str, last: str,
                  filters: Filters = NO_FILTERS, as_of: str | None = None) -> list[dict]:
    """The seed table's eight rows for each month from ``first`` to ``last``, oldest first.

    Each month is a dict with ``month`` and the keys of :data:`SEED_ROWS` (rates as Decimal or None).
    ``as_of`` (from :func:`as_recorded_on`) gives the table as the records stood then.
    """
    months = months_between(first, last)
    _fast_reads(db)
    params: dict = {}
    t = tables(as_of or filters.as_of, params)
    where, needs_child = _where("counted", first, last, filters, params, rhi_filter=False)
    join = f" join {t['children']} c on c.id = e.child" if needs_child else ""
    # One probe per episode gives 0 (no offer), 1 (offered) or 2 (done; a completed RHI is also
    # offered); NULL when no RHI covers it. MATERIALIZED keeps SQLite from re-running the probe
    # for every aggregate that reads it.
    sql = f"""
        with counted as materialized (
            select substr(e.start, 1, 7) as month, e.child, e.looked_after as lac,
                   (select max(case when {DONE} then 2 when {OFFERED} then 1 else 0 end)
                    from {t['links']} re join {t['rhis']} r on r.id = re.rhi
                    where re.episode = e.id{_rhi_condition(filters, params)}) as code
            from {t['episodes']} e{join}
            where {where}
        ),
        per_child as (
            select month, child, count(*) as episodes, max(code >= 1) as offered, max(code = 2) as done,
                   sum(code = 2) as episodes_done, sum(lac) as lac_episodes, sum(lac and code = 2) as lac_done
            from counted
            group by month, child
        )
        select month, count(*) as children_missing, sum(offered) as children_offered,
               sum(done) as children_rhi_done, sum(episodes) as episodes, sum(episodes_done) as episodes_rhi_done,
               sum(lac_episodes) as lac_episodes, sum(lac_done) as lac_episodes_rhi_done
        from per_child group by month"""
    found = {row["month"]: row for row in db.query(sql, params)}
    return [_month_row(month, found.get(month, {})) for month in months]


def interviews_held(db: sqlite_utils.Database, first: str, last: str, filters: Filters = NO_FILTERS,
                    as_of: str | None = None) -> list[dict]:
    """Interviews held beside the episodes they cover, per month: one completed RHI can cover several episodes.

    ``interviews`` is the number of completed RHIs covering at least one counted episode that started
    in the month, ``episodes`` the counted episodes they cover (the seed table's "RHIs done
    episodes"), and ``per_interview`` episodes per interview (blank when none were held).
    """
    months = months_between(first, last)
    params: dict = {}
    t = tables(as_of or filters.as_of, params)
    where, _ = _where("counted", first, last, filters, params, rhi_filter=False)
    rows = db.query(f"""
        select substr(e.start, 1, 7) as month, count(distinct r.id) as interviews, count(distinct e.id) as episodes
        from {t['episodes']} e join {t['children']} c on c.id = e.child
        join {t['links']} re on re.episode = e.id join {t['rhis']} r on r.id = re.rhi
        where {where} and {DONE}{_rhi_condition(filters, params)} group by month""", params)
    found = {row["month"]: row for row in rows}
    out = []
    for month in months:
        row = found.get(month, {})
        interviews, episodes = int(row.get("interviews") or 0), int(row.get("episodes") or 0)
        out.append({"month": month, "interviews": interviews, "episodes": episodes,
                    "per_interview": per_interview(episodes, interviews)})
    return out


def per_interview(episodes: int, interviews: int) -> Decimal | None:
    """Episodes covered per interview held, to two decimals; None when none were held."""
    return (Decimal(episodes) / Decimal(interviews)).quantize(Decimal("0.01"), ROUND_HALF_UP) if interviews else None


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
