"""The overdue tile on random registers: now it is Today's count; at an earlier moment it is Today's rule
applied to the dates in the records (an offer dated later did not stop a return being overdue then)."""
from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kpi_records import add_child, add_episode, add_rhi, clear

from rhi_desk.register import today
from rhi_desk.reports import headline

BASE = datetime(2017, 1, 1)
FMT = "%Y-%m-%d %H:%M"
RHI = st.one_of(st.none(), st.tuples(st.sampled_from([None, "completed", "declined", "unavailable", "missing_again"]),
                                     st.one_of(st.none(), st.sampled_from(range(1, 400, 7)))))
EPISODE = st.tuples(st.sampled_from(range(0, 200 * 24, 11)), st.booleans(), st.booleans(), RHI, RHI)


def _settled(rhi):
    outcome, offered, completed = rhi
    if offered:
        return offered
    if outcome == "completed":
        return completed or "0"
    return "0" if outcome else None


def _reference(rows, moment: datetime) -> int:
    t, cut = moment.strftime("%Y-%m-%d %H:%M:%S"), (moment - timedelta(hours=72)).strftime("%Y-%m-%d %H:%M:%S")
    back = (moment - timedelta(days=90)).strftime(FMT)
    count = 0
    for end, ola, voided, rhis in rows:
        if ola or voided or end > cut or (not rhis and end < back):
            continue
        settles = [s for s in (_settled(r) for r in rhis) if s is not None]
        if not any(s <= t for s in settles):
            count += 1
    return count


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(EPISODE, max_size=25), st.sampled_from(range(20, 230, 9)), st.sampled_from(range(5, 200, 13)))
def test_overdue_now_and_at_earlier_moments(hub_db, raw, now_day, then_day):
    clear(hub_db)
    child = add_child(hub_db, "C1", "2004-01-01")
    rows = []
    for i, (hours, ola, voided, first, second) in enumerate(raw):
        start = BASE + timedelta(hours=hours)
        end = (start + timedelta(hours=5)).strftime(FMT)
        pk = add_episode(hub_db, f"E{i}", child, start.strftime(FMT), end, other_la=ola)
        if voided:
            hub_db.execute("update episodes set voided_at = '2017-01-01 00:00:00' where id = ?", [pk])
        rhis = []
        for n, rhi in enumerate((first, second)):
            if rhi is None:
                continue
            outcome, offset = rhi
            offered = (start + timedelta(hours=offset)).strftime(FMT) if offset and outcome != "unavailable" else None
            completed = (start + timedelta(hours=(offset or 3) + 2)).strftime(FMT) if outcome == "completed" else None
            add_rhi(hub_db, f"R{i}-{n}", child, [pk], offered_at=offered, outcome=outcome, completed_at=completed)
            rhis.append((outcome, offered, completed))
        rows.append((end, ola, voided, rhis))
    # Nothing is recorded in the future: the register and the import refuse a start, end, offer or completion
    # later than the moment it is entered, so "now" is never before the last moment in the records.
    moments = [m for end, _, _, rhis in rows for m in (end, *(t for r in rhis for t in r[1:] if t))]
    now = max([BASE + timedelta(days=now_day, hours=9)] + [datetime.strptime(m, FMT) for m in moments])
    then = min(now, BASE + timedelta(days=then_day, hours=23, minutes=59))
    assert headline.overdue_now(hub_db, now) == today.today(hub_db, at=now).overdue_total == _reference(rows, now)
    assert headline.overdue_at(hub_db, [then, now]) == [_reference(rows, then), _reference(rows, now)]
    assert headline.overdue_at(hub_db, [then], cap=2) == [min(2, _reference(rows, then))]
