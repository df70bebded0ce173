"""The dashboard's headline tiles: the month's figures with the change on the previous month and on the same month last year."""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from rhi_desk.clock import now
from rhi_desk.register import counting
from rhi_desk.register.rules import OVERDUE_COUNT_LIMIT, OVERDUE_LOOKBACK, RETURN_WINDOW
from rhi_desk.reports import figures, kpi, month_cache

MINUS = "\u2212"


def months_back(month: str, n: int) -> str:
    """The month ``n`` months before ``month``."""
    year, mon = int(month[:4]), int(month[5:]) - n
    while mon < 1:
        year, mon = year - 1, mon + 12
    return f"{year:04d}-{mon:02d}"


def _change(now, then, kind: str) -> dict:
    """The change from ``then`` to ``now`` in words: '+12', '-3.40 points', 'no change', or blank if unknown."""
    if now is None or then is None:
        return {"value": None, "text": "not comparable"}
    delta = now - then
    sign = "+" if delta > 0 else MINUS
    if kind == "rate":
        text = "no change" if delta == 0 else f"{sign}{abs(delta):.2f} points"
    else:
        text = "no change" if delta == 0 else f"{sign}{abs(delta):,}"
    return {"value": delta, "text": text}


TILES = (
    ("children_missing", "Children who went missing", "count", "children_missing"),
    ("offer_rate_children", "Offer rate for children", "rate", "children_offered"),
    ("episodes_rhi_done", "Episodes with an RHI done", "count", "episodes_rhi_done"),
)


def headline(db: sqlite_utils.Database, month: str, filters: kpi.Filters = kpi.NO_FILTERS,
             at: datetime | None = None, known: list[dict] | None = None) -> dict:
    """The headline for ``month``: each tile's value, change on the previous month and on the same month a year ago.

    Also ``overdue_now``: RHIs overdue at ``at`` (Today's count), which has no month. ``known`` are
    seed-table rows already counted (the page's table): only the months missing from them are counted.
    """
    year_ago, previous_month = months_back(month, 12), months_back(month, 1)
    found = {row["month"]: row for row in known or []}
    for wanted in (year_ago, previous_month, month):
        if wanted not in found:
            # Today's figures come from the months already counted (reports/month_cache.py).
            found[wanted] = (kpi.monthly_table(db, wanted, wanted, filters)[0] if filters.recorded_on or at
                             else figures.beyond_the_seed(db, wanted, wanted, filters)["table"][0])
    current, previous, last_year = found[month], found[previous_month], found[year_ago]
    rows = [last_year, previous, current]
    tiles = []
    for key, label, kind, metric in TILES:
        value = current[key]
        tiles.append({
            "key": key, "label": label, "kind": kind, "metric": metric,
            "text": (kpi.format_rate(value, True) or "no rate") if kind == "rate" else f"{value:,}",
            "previous": _change(value, previous[key], kind), "year": _change(value, last_year[key], kind),
        })
    overdue = None
    if not filters.recorded_on:
        # Today's count now, and the same rule at the two month ends (kept once counted).
        moment = (at or now()).replace(microsecond=0)
        overdue = overdue_now(db, moment)
        then = overdue_at_month_ends(db, [previous["month"], year_ago], moment)
        # Beyond OVERDUE_COUNT_LIMIT the count stops, as Today's does: no change can be worked out.
        exact = [None if n is None or n > OVERDUE_COUNT_LIMIT else n for n in [overdue, *then]]
        overdue = {"value": overdue, "text": f"{overdue:,}" if exact[0] is not None
                   else f"over {OVERDUE_COUNT_LIMIT:,}",
                   "previous": _change(exact[0], exact[1], "count"), "year": _change(exact[0], exact[2], "count")}
    return {"month": month, "previous_month": previous["month"], "year_ago": year_ago, "tiles": tiles,
            "overdue_now": overdue, "rows": rows}


def month_end(month: str) -> datetime:
    """The last second of ``month``."""
    return datetime.strptime(kpi.next_month(month) + "-01", "%Y-%m-%d") - timedelta(seconds=1)


def overdue_now(db: sqlite_utils.Database, moment: datetime) -> int:
    """Today's count of returns overdue an RHI offer at ``moment``, counted without listing them.

    The same rule as :func:`overdue_at` (and Today), read from the RHIs still awaiting an offer and
    the recent returns with no RHI record, without the earlier moments' candidates.
    """
    kpi._fast_reads(db)
    cut = (moment - RETURN_WINDOW).strftime("%Y-%m-%d %H:%M:%S")
    back = (moment - OVERDUE_LOOKBACK).strftime("%Y-%m-%d %H:%M")
    live = counting.live_sql("e")
    settled = (f"({counting.offered_sql('r2')} or r2.outcome is not null)")
    # Like Today, counted exactly up to OVERDUE_COUNT_LIMIT: beyond it the count stops early.
    row = db.execute(f"""
        select (select count(*) from (
                  select distinct re.episode from return_home_interviews r indexed by rhi_awaiting_offer
                  cross join rhi_episodes re on re.rhi = r.id join episodes e on e.id = re.episode
                  where r.offered_at is null and r.outcome is null and e."end" <= :cut and e.other_la = 0 and {live}
                    and not exists (select 1 from rhi_episodes re2 join return_home_interviews r2 on r2.id = re2.rhi
                                    where re2.episode = e.id and {settled}) limit :cap)),
               (select count(*) from (
                  select 1 from episodes e where e."end" >= :back and e."end" <= :cut and e.other_la = 0
                    and {live} and not exists (select 1 from rhi_episodes re where re.episode = e.id) limit :cap))""",
                     {"cut": cut, "back": back, "cap": OVERDUE_COUNT_LIMIT + 1}).fetchone()
    return int(row[0] or 0) + int(row[1] or 0)


def overdue_at_month_ends(db: sqlite_utils.Database, months: list[str], moment: datetime) -> list[int | None]:
    """:func:`overdue_at` at the end of each of ``months``, kept once counted (reports/month_cache.py).

    A month end's count can change only when a record of that month or an earlier one changes, so a
    kept count is dropped with any change up to its month. A month not yet ended gives None.
    """
    month_cache.forget_changed(db)
    key = month_cache.cache_key({"figure": "overdue_at_month_end"})
    ended = [m for m in months if month_end(m) < moment]
    kept = {}
    for month in ended:
        kept.update(month_cache.kept(db, key, [month]))
    wanted = [m for m in ended if m not in kept]
    counted = dict(zip(wanted, overdue_at(db, [month_end(m) for m in wanted], cap=OVERDUE_COUNT_LIMIT + 1)))
    month_cache.keep(db, key, {m: {"overdue": n, "stable": True} for m, n in counted.items()},
                     moment.strftime("%Y-%m-%d %H:%M:%S"))
    values = {**{m: part["overdue"] for m, part in kept.items()}, **counted}
    return [values.get(m) for m in months]


def overdue_at(db: sqlite_utils.Database, moments: list[datetime], cap: int | None = None) -> list[int]:
    """How many returns were overdue an RHI offer at each of ``moments``, by the dates in today's records.

    Today's rule (register/today.py) at an earlier moment: a return more than 72 hours before it,
    of a child not looked after by another council, not voided, with no RHI covering it offered
    (an offer dated by then, or completed by then) or given another outcome; a return with no RHI
    record at all counts within the 90 days Today looks back. Outcomes other than completed carry
    no date, so they count as recorded from the start. At the present moment it gives Today's count.
    With ``cap``, counting stops there (as Today counts exactly up to OVERDUE_COUNT_LIMIT).
    """
    kpi._fast_reads(db)
    live = counting.live_sql("e")
    # When an RHI stopped being awaited: its offer's date; a completed one's date if it has no offer
    # date; any other outcome from the start ('0'); never (NULL) while it has neither.
    settled = """(case when {r}.offered_at is not null then {r}.offered_at
                       when {r}.outcome = 'completed' then coalesce({r}.completed_at, '0')
                       when {r}.outcome is not null then '0' end)"""
    not_settled = (f"not exists (select 1 from rhi_episodes s join return_home_interviews sr on sr.id = s.rhi "
                   f"where s.episode = e.id and {settled.format(r='sr')} <= :t)")
    awaiting = "{r}.offered_at is null and {r}.outcome is null"
    late = f"{settled.format(r='{r}')} > :t"
    # Each overdue return is counted once: through the first of its RHIs still awaiting an offer;
    # else through the first of its RHIs offered or completed after the moment; else (no RHI at all)
    # on its own. The parts never overlap, so the count can stop early at ``cap``. Each part with RHIs
    # starts from the RHIs it is about, through the index made for them (INDEXED BY, and CROSS JOIN to keep
    # them the outer loop): the register has no statistics, and without them SQLite started from every
    # episode ended before the moment, or from every completed RHI, which after a council's history is
    # imported is most of a million (the headline 8 s instead of a fraction of one, issue 18). The RHIs
    # offered or completed after the moment are two parts for that reason (offered after it; else
    # completed after it, with no offer date): between them the same RHIs as one part with an OR.
    late_part = f"""
            select 1 from return_home_interviews r indexed by {{index}}
            cross join rhi_episodes re on re.rhi = r.id join episodes e on e.id = re.episode
            where {{which}} and e."end" <= :cut and e.other_la = 0 and {live}
              and not exists (select 1 from rhi_episodes d join return_home_interviews dr on dr.id = d.rhi
                              where d.episode = e.id and ({awaiting.format(r='dr')}
                                                          or (dr.id < r.id and {late.format(r='dr')})))
              and {not_settled}"""
    sql = f"""
        select count(*) from (
            select 1 from return_home_interviews r indexed by rhi_awaiting_offer
            cross join rhi_episodes re on re.rhi = r.id join episodes e on e.id = re.episode
            where {awaiting.format(r='r')} and e."end" <= :cut and e.other_la = 0 and {live}
              and not exists (select 1 from rhi_episodes d join return_home_interviews dr on dr.id = d.rhi
                              where d.episode = e.id and dr.id < r.id and {awaiting.format(r='dr')})
              and {not_settled}
            union all
            {late_part.format(index="rhi_offered_at", which="r.offered_at > :t")}
            union all
            {late_part.format(index="rhi_completed_at",
                              which="r.offered_at is null and r.outcome = 'completed' and r.completed_at > :t")}
            union all
            select 1 from episodes e where e."end" >= :back and e."end" <= :cut and e.other_la = 0 and {live}
              and not exists (select 1 from rhi_episodes re where re.episode = e.id)
            {"limit :cap" if cap else ""})"""
    out = []
    for moment in moments:
        params = {"t": moment.strftime("%Y-%m-%d %H:%M:%S"),
                  "cut": (moment - RETURN_WINDOW).strftime("%Y-%m-%d %H:%M:%S"),
                  "back": (moment - OVERDUE_LOOKBACK).strftime("%Y-%m-%d %H:%M"), "cap": cap}
        out.append(int(db.execute(sql, params).fetchone()[0] or 0))
    return out
