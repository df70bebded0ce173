"""The figures beyond the seed table: timeliness, why RHIs were not done, placements, repeat children, interviewers, and the drill-down behind each figure."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlite_utils

from rhi_desk.clock import now
from rhi_desk.register import counting
from rhi_desk.reports import month_cache
from rhi_desk.reports.kpi import (
    AGE_BANDS,
    CODED_REASONS,
    INTERVIEWER_TYPES,
    NO_FILTERS,
    NOT_DONE_REASONS,
    PLACEMENTS,
    REPEAT_DAYS,
    REPEAT_EPISODES,
    TIMELINESS_STATES,
    WHY_NOT_DONE,
    Filters,
    KPIError,
    _age_sql,
    _fast_reads,
    _month_row,
    _rhi_condition,
    _where,
    months_between,
    rate,
)
from rhi_desk.reports.kpi import tables as kpi_tables

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


def _code_number_sql() -> str:
    whens = " ".join(f"when '{code}' then {n}" for n, code in enumerate(CODED_REASONS, start=1))
    return f"case r.not_done_code {whens} else 0 end"


def _code_key_sql() -> str:
    # A coded reason counts only where the latest RHI is not completed (done is handled above).
    return " ".join(f"when latest_code % 8 = {n} then '{code}'" for n, code in enumerate(CODED_REASONS, start=1))


class Frame:
    """A temporary table of one base set of episodes (counted, away or OLA) with everything known about each.

    Use as a context manager; the table is dropped on exit. Columns: ``episode``, ``child``,
    ``month``, ``start``, ``end``, ``lac``, ``placement``, ``age_band``, ``offered``, ``done``,
    ``offer_state``, ``completion_state``, ``not_done_reason`` (by outcome), ``why_not_done`` (the coded reason
    where there is one, else the outcome), ``latest_rhi``.

    The ``lookback_days`` before the first month are there for the repeat-missing window only: their
    episodes carry no RHI columns (the RHIs are looked up for the months' episodes alone), and with
    ``rhis=False`` no episode does (the repeat-missing children are all that is counted).
    """

    def __init__(self, db: sqlite_utils.Database, first: str, last: str, filters: Filters = NO_FILTERS,
                 base: str = "counted", at: datetime | None = None, lookback_days: int = 0,
                 as_of: str | None = None, rhis: bool = True):
        self.db, self.first, self.last, self.filters, self.base = db, first, last, filters, base
        self.rhis = rhis
        self.as_of = as_of or filters.as_of
        self.params: dict = {}
        self.tables = kpi_tables(self.as_of, self.params)
        self.at = at or now()
        self.lookback_days = lookback_days
        self.table = f"temp.kpi_frame_{uuid.uuid4().hex[:12]}"

    def __enter__(self) -> "Frame":
        months_between(self.first, self.last)
        _fast_reads(self.db)
        params: dict = {"now": self.at.strftime("%Y-%m-%d %H:%M"), **self.params}
        t = self.tables
        params["now_day"] = self.db.execute("select julianday(?)", [params["now"]]).fetchone()[0]
        start_from = None
        if self.lookback_days:
            start_from = (datetime.strptime(self.first + "-01", "%Y-%m-%d")
                          - timedelta(days=self.lookback_days)).strftime("%Y-%m-%d")
        where, _ = _where(self.base, self.first, self.last, self.filters, params, start_from, rhi_filter=False)
        rhi = _rhi_condition(self.filters, params)
        params["start_from_real"] = f"{self.first}-01"
        # An episode of the look-back (or of a frame without RHIs) is joined to no RHI: SQLite checks
        # this before looking any up, which saves a third of a one-month count's look-ups. (A constant
        # "and 0" would not do: SQLite then reads the whole of rhi_episodes for every episode.)
        params["rhis_from"] = params["start_from_real"] if self.rhis else "9999"
        joined = " and e.start >= :rhis_from"
        # One pass over the records: each episode joined to every RHI covering it, folded back to
        # one row per episode. Grouping by (start, id), the order episodes_start reads them in,
        # lets SQLite fold as it reads instead of sorting first.
        inner = f"""
            select e.id as episode, e.child, substr(e.start, 1, 7) as month, e.start, e."end",
                   e.looked_after as lac, e.placement, {_age_sql()} as age_band, e.start >= :start_from_real as in_range,
                   julianday(e.start) as t, julianday(e."end") + 3 as deadline,
                   coalesce(max({counting.offered_sql("r")}), 0) as offered,
                   coalesce(max({counting.done_sql("r")}), 0) as done,
                   min(case when r.offered_at is not null then r.offered_at
                            when r.outcome = 'completed' then r.completed_at end) as first_offer,
                   min(case when r.outcome = 'completed' then r.completed_at end) as first_completed,
                   sum(r.outcome = 'completed' and r.completed_at is null) as completed_without_time,
                   max(r.id) as latest_rhi,
                   -- The latest RHI's outcome and coded reason without looking it up again: the largest
                   -- id * 64 + outcome * 8 + reason belongs to the latest RHI, and its last two digits in
                   -- base 8 are that RHI's outcome and the reason coded on it.
                   max(r.id * 64 + case r.outcome when 'declined' then 8 when 'unavailable' then 16
                                       when 'missing_again' then 24 else 0 end
                                 + {_code_number_sql()}) % 64 as latest_code
            from {t['episodes']} e join {t['children']} c on c.id = e.child
            left join {t['links']} re on re.episode = e.id{joined}
            left join {t['rhis']} r on r.id = re.rhi{rhi}
            where {where}
            group by e.start, e.id"""
        name = self.table.split('.')[1]
        self.db.execute(f"""
            create temp table {name} as
            select *, {_clock_state('first_offer', 'offered')} as offer_state,
                   {_clock_state('first_completed', "completed_without_time > 0")} as completion_state,
                   case when done then null when latest_rhi is null then 'no_rhi'
                        when latest_code / 8 = 1 then 'declined' when latest_code / 8 = 2 then 'unavailable'
                        when latest_code / 8 = 3 then 'missing_again' else 'awaiting_outcome' end as not_done_reason,
                   case when done then null when latest_rhi is null then 'no_rhi'
                        {_code_key_sql()}
                        when latest_code / 8 = 1 then 'declined' when latest_code / 8 = 2 then 'unavailable'
                        when latest_code / 8 = 3 then 'missing_again' else 'awaiting_outcome' end as why_not_done
            from ({inner})""", params)
        if self.lookback_days:
            self.db.execute(f"create index temp.{name}_child on {name} (child, t)")
        return self

    def __exit__(self, *exc) -> None:
        self.db.execute(f"drop table if exists {self.table}")

    def query(self, sql: str, params: dict | None = None) -> list[dict]:
        """Run ``sql`` with ``{frame}`` standing for the frame's table (episodes in the months only)."""
        view = f"(select * from {self.table} where in_range)"
        sql = (sql.replace("{frame}", view).replace("{all}", self.table)
                  .replace("{links}", self.tables["links"]).replace("{rhis}", self.tables["rhis"]))
        return list(self.db.query(sql, {**self.params, **(params or {})}))


def beyond_the_seed(db: sqlite_utils.Database, first: str, last: str, filters: Filters = NO_FILTERS,
                    at: datetime | None = None, as_of: str | None = None, also: tuple[str, ...] = ()) -> dict:
    """The wider figures: 72-hour timeliness, reasons not done, LAC by placement, age bands,
    repeat-missing children, interviews by interviewer type and provider, away and OLA episodes,
    and the seed table and the interviews held, per month.

    Today's figures for months whose records have not changed since they were last counted are
    read from :mod:`rhi_desk.reports.month_cache`; the rest are counted in one pass per run of months.
    A kept month whose repeat-missing window reaches back into a change has only its repeat-missing
    children counted again. ``also`` are further months (the headline's) counted in the same pass and
    kept; their seed-table rows are in ``rows_also``. An interview covering episodes in two months
    counts in each month's "who interviewed".
    """
    months = months_between(first, last)
    if at is not None or as_of is not None or filters.recorded_on:
        return _assemble(months, _count_months(db, first, last, filters, at, as_of))
    month_cache.forget_changed(db)
    key = month_cache.cache_key(filters.as_params())
    wanted = sorted(set(months) | {months_between(m, m)[0] for m in also})
    parts = {}
    for run_first, run_last in month_cache.runs(wanted):
        parts.update(month_cache.kept(db, key, months_between(run_first, run_last)))
    missing = [m for m in wanted if m not in parts]
    stale = [m for m in wanted if m in parts and parts[m].pop("repeat_stale", False)]
    counted_at = now().strftime("%Y-%m-%d %H:%M:%S")
    for run_first, run_last in month_cache.runs(missing):
        counted = _count_months(db, run_first, run_last, filters)
        month_cache.keep(db, key, counted, counted_at)
        parts.update(counted)
    for run_first, run_last in month_cache.runs(stale):
        recounted = {}
        for month, children in _repeat_children(db, run_first, run_last, filters).items():
            parts[month]["repeat"] = children
            recounted[month] = parts[month]
        month_cache.keep(db, key, recounted, counted_at)
    out = _assemble(months, parts)
    out["rows_also"] = [_month_row(m, parts[m]["row"]) for m in wanted if m not in months]
    return out


def _repeat_children(db, first: str, last: str, filters: Filters) -> dict[str, list]:
    """Each month's repeat-missing children alone, from the episodes without their RHIs."""
    out: dict[str, list] = {m: [] for m in months_between(first, last)}
    with Frame(db, first, last, filters, lookback_days=REPEAT_DAYS + 1, rhis=False) as frame:
        for row in frame.query(REPEAT_CHILDREN_SQL):
            out[row["month"]].append(row["child"])
    return out


def _count_months(db, first: str, last: str, filters: Filters, at: datetime | None = None,
                  as_of: str | None = None) -> dict[str, dict]:
    """Every wider figure of each month from ``first`` to ``last``, counted from the records in one frame."""
    months = months_between(first, last)
    parts: dict[str, dict] = {m: {"counts": {}, "repeat": [], "interviewers": {}, "providers": {},
                                  "reasons": [], "held": {"interviews": 0, "episodes": 0}} for m in months}
    with Frame(db, first, last, filters, at=at, lookback_days=REPEAT_DAYS + 1, as_of=as_of) as frame:
        counts = _episode_counts(frame, months)
        table, children_by_age = _children_counts(frame, months)
        for row in table:
            parts[row["month"]]["row"] = {k: v for k, v in row.items() if k in SEED_COUNT_KEYS}
        for part, keys in counts.items():
            for key, by_month in keys.items():
                for month, n in by_month.items():
                    parts[month]["counts"].setdefault(part, {})[key] = n
        for band, by_month in children_by_age.items():
            for month, n in by_month.items():
                parts[month]["counts"].setdefault("age_children", {})[band] = n
        for row in frame.query(REPEAT_CHILDREN_SQL):
            parts[row["month"]]["repeat"].append(row["child"])
        _interviewers_by_month(frame, parts)
        for row in frame.query("""
                select f.month, r.outcome, trim(r.outcome_reason) as reason, count(*) as n from {frame} f
                join return_home_interviews r on r.id = f.latest_rhi
                where not f.done and f.not_done_reason in ('declined', 'unavailable', 'missing_again')
                  and trim(coalesce(r.outcome_reason, '')) != ''
                group by f.month, r.outcome, trim(r.outcome_reason)"""):
            parts[row["month"]]["reasons"].append([row["outcome"], row["reason"], row["n"]])
        held_params: dict = {}
        for row in frame.query(f"""
                select f.month, count(distinct r.id) as interviews, count(distinct f.episode) as episodes
                from {{frame}} f join {{links}} re on re.episode = f.episode join {{rhis}} r on r.id = re.rhi
                where {counting.done_sql("r")}{_rhi_condition(frame.filters, held_params)} group by f.month""",
                held_params):
            parts[row["month"]]["held"] = {"interviews": row["interviews"], "episodes": row["episodes"]}
    away_ola = _away_ola(db, first, last, filters, months, as_of or filters.as_of)
    for month in months:
        parts[month]["away_ola"] = {base: {k: v[month] for k, v in table.items()} for base, table in away_ola.items()}
        states = parts[month]["counts"]
        # A month whose 72-hour clocks have all stopped changes only when its records do.
        parts[month]["stable"] = not (states["offer"]["pending"] or states["completion"]["pending"])
    return parts


SEED_COUNT_KEYS = ("children_missing", "children_offered", "children_rhi_done", "episodes", "episodes_rhi_done",
                   "lac_episodes", "lac_episodes_rhi_done")


def _interviewers_by_month(frame: Frame, parts: dict) -> None:
    params: dict = {}
    cover = ("{frame} f join {links} re on re.episode = f.episode "
             "join {rhis} r on r.id = re.rhi where f.latest_rhi is not null"
             + _rhi_condition(frame.filters, params))
    for row in frame.query(f"""
            select f.month, coalesce(r.interviewer_type, 'unknown') as interviewer_type,
                   count(distinct r.id) as interviews,
                   count(distinct case when {counting.offered_sql("r")} then r.id end) as offered,
                   count(distinct case when r.outcome = 'completed' then r.id end) as completed,
                   count(distinct f.episode) as episodes
            from {cover} group by 1, 2""", params):
        parts[row["month"]]["interviewers"][row["interviewer_type"]] = [
            row["interviews"], row["offered"], row["completed"], row["episodes"]]
    for row in frame.query(f"""
            select f.month, coalesce(nullif(trim(r.assigned_to), ''), 'Not named') as provider,
                   count(distinct r.id) as interviews,
                   count(distinct case when r.outcome = 'completed' then r.id end) as completed,
                   count(distinct f.episode) as episodes
            from {cover} and r.interviewer_type = 'provider' group by 1, 2""", params):
        parts[row["month"]]["providers"][row["provider"]] = [row["interviews"], row["completed"], row["episodes"]]


def _assemble(months: list[str], parts: dict[str, dict]) -> dict:
    """The wider figures of the months, put together from each month's."""
    counts: dict = {}
    for month in months:
        for part, keys in parts[month]["counts"].items():
            for key, n in keys.items():
                counts.setdefault(part, {}).setdefault(key, {})[month] = n
    out: dict = {"months": months, "table": [_month_row(m, parts[m]["row"]) for m in months]}
    out["timeliness"] = _timeliness(counts, months)
    reasons: dict = {}
    for month in months:
        for outcome, reason, n in parts[month]["reasons"]:
            reasons[(outcome, reason)] = reasons.get((outcome, reason), 0) + n
    top = sorted(reasons.items(), key=lambda item: (-item[1], item[0][1]))[:15]
    out["not_done"] = {"counts": counts["not_done"], "why": counts["why"],
                       "reasons": [{"outcome": o, "reason": r, "n": n} for (o, r), n in top],
                       "coded": any(any(counts["why"][code].values()) for code in CODED_REASONS)}
    out["placement"] = _placement(counts, months)
    out["age_bands"] = {"episodes": counts["age"], "children": counts["age_children"], "done": counts["age_done"]}
    repeat_total: set = set()
    for month in months:
        repeat_total.update(parts[month]["repeat"])
    out["repeat"] = {"children": {m: len(parts[m]["repeat"]) for m in months}, "total": len(repeat_total)}
    by_type: dict = {}
    by_provider: dict = {}
    for month in months:
        for kind, values in parts[month]["interviewers"].items():
            by_type[kind] = [a + b for a, b in zip(by_type.get(kind, [0, 0, 0, 0]), values)]
        for name, values in parts[month]["providers"].items():
            by_provider[name] = [a + b for a, b in zip(by_provider.get(name, [0, 0, 0]), values)]
    out["interviewers"] = {
        "by_type": sorted(({"interviewer_type": k, "interviews": v[0], "offered": v[1], "completed": v[2],
                            "episodes": v[3]} for k, v in by_type.items()), key=lambda r: -r["interviews"]),
        "by_provider": sorted(({"provider": k, "interviews": v[0], "completed": v[1], "episodes": v[2]}
                               for k, v in by_provider.items()), key=lambda r: (-r["completed"], r["provider"]))}
    out["away_ola"] = {base: {kind: {m: parts[m]["away_ola"][base][kind] for m in months}
                              for kind in ("episodes", "children")} for base in ("away", "ola")}
    out["held"] = [dict(month=m, **parts[m]["held"]) for m in months]
    return out


def _episode_counts(frame: Frame, months: list[str]) -> dict:
    """Every per-month episode count of the wider tables, in one pass over the frame."""
    columns = []
    for state in TIMELINESS_STATES:
        columns += [f"sum(offer_state = '{state}') as \"offer.{state}\"",
                    f"sum(completion_state = '{state}') as \"completion.{state}\""]
    columns += [f"sum(not_done_reason = '{reason}') as \"not_done.{reason}\"" for reason in NOT_DONE_REASONS]
    columns += [f"sum(why_not_done = '{reason}') as \"why.{reason}\"" for reason in WHY_NOT_DONE]
    for place in PLACEMENTS:
        where = f"lac and coalesce(placement, 'unknown') = '{place}'"
        columns += [f"sum({where}) as \"placement.{place}\"",
                    f"sum({where} and done) as \"placement_done.{place}\"",
                    f"sum({where} and offered) as \"placement_offered.{place}\""]
    columns += [f"sum(age_band = '{band}') as \"age.{band}\"" for band in AGE_BANDS]
    columns += [f"sum(age_band = '{band}' and done) as \"age_done.{band}\"" for band in AGE_BANDS]
    rows = frame.query(f"select month, {', '.join(columns)} from {{frame}} group by month")
    table: dict = {}
    for row in rows:
        for column, value in row.items():
            if column != "month":
                part, key = column.split(".")
                table.setdefault(part, {}).setdefault(key, {})[row["month"]] = value or 0
    for part, keys in (("offer", TIMELINESS_STATES), ("completion", TIMELINESS_STATES), ("not_done", NOT_DONE_REASONS),
                       ("why", WHY_NOT_DONE), ("placement", PLACEMENTS), ("placement_done", PLACEMENTS),
                       ("placement_offered", PLACEMENTS), ("age", AGE_BANDS), ("age_done", AGE_BANDS)):
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


def _placement(counts: dict, months: list[str]) -> dict:
    episodes, done = counts["placement"], counts["placement_done"]
    rates = {p: {m: rate(done[p][m], episodes[p][m]) for m in months} for p in episodes}
    return {"episodes": episodes, "done": done, "rate": rates, "offered": counts["placement_offered"]}


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
REPEAT_CHILDREN_SQL = REPEAT_SQL + f"""
    select month, child from ranked where in_window >= {REPEAT_EPISODES} group by month, child"""


def seed_table_from(frame: Frame) -> list[dict]:
    """The seed table computed from a frame (the dashboard builds one frame for everything)."""
    return _children_counts(frame, months_between(frame.first, frame.last))[0]


def _away_ola(db, first: str, last: str, filters: Filters, months: list[str], as_of: str | None = None) -> dict:
    params: dict = {}
    t = kpi_tables(as_of, params)
    # Away and OLA episodes are counted apart (in one pass), under the same LAC and age filters.
    plain = Filters(lac=filters.lac, age_band=filters.age_band, recorded_on=filters.recorded_on)
    result = {base: {"episodes": {m: 0 for m in months}, "children": {m: 0 for m in months}}
              for base in ("away", "ola")}
    where, needs_child = _where("away_or_ola", first, last, plain, params)
    # CROSS JOIN keeps the episodes (found by their start) outermost: left to itself, the planner
    # walks every child's episodes instead, three times slower over ten years.
    join = f" cross join {t['children']} c on c.id = e.child" if needs_child else ""
    rows = db.query(f"""select substr(e.start, 1, 7) as month, e.other_la, count(*) as episodes,
                               count(distinct e.child) as children
                        from {t['episodes']} e{join} where {where} group by month, e.other_la""", params)
    for row in rows:
        table = result["ola" if row["other_la"] else "away"]
        table["episodes"][row["month"]] = row["episodes"]
        table["children"][row["month"]] = row["children"]
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
    "offer_missed": Metric("episodes", "Episodes not offered an RHI within 72 hours of the return",
                           "g.offer_state in ('late', 'not_yet')"),
    "why_not_done": Metric("episodes", "Episodes without an RHI done, by the reason",
                           "not g.done and g.why_not_done = :key", keys=WHY_NOT_DONE),
    "placement_episodes": Metric("episodes", "Missing episodes of looked-after children by placement",
                                 "g.lac and coalesce(g.placement, 'unknown') = :key", keys=PLACEMENTS),
    "placement_done": Metric("episodes", "Missing episodes of looked-after children with an RHI done, by placement",
                             "g.lac and g.done and coalesce(g.placement, 'unknown') = :key", keys=PLACEMENTS),
    "placement_offered": Metric("episodes", "Missing episodes of looked-after children offered an RHI, by placement",
                                "g.lac and g.offered and coalesce(g.placement, 'unknown') = :key", keys=PLACEMENTS),
    "age_done": Metric("episodes", "Missing episodes with an RHI done, by age at the start",
                       "g.done and g.age_band = :key", keys=AGE_BANDS),
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
          key: str | None = None, at: datetime | None = None, as_of: str | None = None) -> Drill:
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
        filters = Filters(lac=filters.lac, age_band=filters.age_band, recorded_on=filters.recorded_on)
    params: dict = {"key": key}
    condition = spec.condition
    prefix = ""
    lookback = 0
    if metric == "repeat_children":
        prefix, lookback = REPEAT_SQL, REPEAT_DAYS + 1
    elif metric in ("interviewer_episodes", "provider_episodes"):
        condition = (f"exists (select 1 from {{links}} re join {{rhis}} r on r.id = re.rhi "
                     f"where re.episode = g.episode and {condition}{_rhi_condition(filters, params)})")
    if spec.keys:
        title = f"{spec.title}: {spec.keys[key].lower() if key != 'unknown' else spec.keys[key].lower()}"
    else:
        title = spec.title + (f": {key}" if key else "")
    result = Drill(metric, spec.unit, title, months)
    with Frame(db, first, last, filters, base=spec.base, at=at, lookback_days=lookback, as_of=as_of) as frame:
        if spec.unit == "episodes":
            sql = f"""{prefix}
                select e.episode_id, c.child_id, c.name, c.date_of_birth, e.episode_type, e.start, e."end",
                       e.looked_after, e.other_la, e.placement, g.age_band, g.offered, g.done, g.offer_state,
                       g.completion_state, g.not_done_reason, g.why_not_done, g.first_offer, g.first_completed
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
