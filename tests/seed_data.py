"""Build episode register CSV rows consistent with a KPI table like the seed report's.

Nothing here knows the seed's answers: ``build_register_rows`` takes the figures of each month
(children missing / offered / done, episodes, episodes done, and the LAC done rate) and makes
episodes, children and RHIs that give exactly those figures under DOMAIN.md's rules, plus noise
that must not count (OLA episodes, away episodes, episodes outside the months).

The seed does not print the LAC episode counts behind its LAC rate; ``lac_episode_counts``
finds counts by search: ``d_lac / n_lac`` rounds to the printed percentage, with ``d_lac`` no more
than the done episodes and ``n_lac - d_lac`` no more than the episodes not done.
"""
from __future__ import annotations

import calendar
import csv
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

COLUMNS = ["episode_id", "child_id", "date_of_birth", "episode_type", "start", "end", "looked_after",
           "other_la", "placement", "rhi_offered_on", "rhi_outcome", "rhi_completed_on", "rhi_by"]
ROW_KEYS = {
    "children missing": "children_missing",
    "children offered": "children_offered",
    "children RHI done": "children_rhi_done",
    "episodes": "episodes",
    "episodes RHI done": "episodes_rhi_done",
    "offer rate children": "offer_rate_children",
    "done % episodes": "rhi_done_rate_episodes",
    "done % episodes, LAC": "lac_rhi_done_rate_episodes",
}
INTERVIEWERS = ["social_worker", "missing_team", "provider"]
PLACEMENTS = ["in_borough", "neighbouring", "out_of_borough"]
NOT_DONE_OUTCOMES = ["declined", "unavailable", "missing_again", ""]


def parse_seed_table(text: str) -> dict[str, dict[str, str]]:
    """A markdown table (months as columns, 'Apr-17') → {'2017-04': {'children_missing': '79', ...}}."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip().startswith("|")]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    months = [datetime.strptime(h, "%b-%y").strftime("%Y-%m") for h in cells[0][1:]]
    table = {m: {} for m in months}
    for row in cells[1:]:
        if set(row[0]) <= set("-: ") and all(set(c) <= set("-: ") for c in row):
            continue
        key = ROW_KEYS[row[0]]
        for month, value in zip(months, row[1:]):
            table[month][key] = value
    return table


def percent(numerator: int, denominator: int) -> str:
    """'12.08%' (two decimals, half up); '' when the denominator is zero."""
    if not denominator:
        return ""
    value = (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{value}%"


def lac_episode_counts(episodes: int, done: int, printed: str) -> tuple[int, int]:
    """The fewest LAC episodes ``n`` and done LAC episodes ``d`` giving the printed percentage."""
    for n in range(1, episodes + 1):
        for d in range(0, min(n, done) + 1):
            if n - d <= episodes - done and percent(d, n) == printed:
                return n, d
    raise ValueError(f"No LAC episode counts within {episodes} episodes ({done} done) give {printed}")


def _month_start(month: str) -> datetime:
    return datetime.strptime(month + "-01", "%Y-%m-%d")


def _fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _dob(child_number: int) -> str:
    # Ages at 2017 from 9 to 17, so every age band appears; fixed per child.
    born = date(2000, 1, 15) + timedelta(days=(child_number * 397) % (9 * 365))
    return born.isoformat()


def build_register_rows(targets: dict[str, dict[str, str]], *, noise: bool = True) -> list[dict]:
    """Episode register rows giving exactly ``targets``' counts for each month (see module docstring)."""
    rows: list[dict] = []
    counter = {"episode": 0}

    def add(child: str, child_number: int, start: datetime, end: datetime | None, *, episode_type="missing",
            lac=False, other_la=False, offered: date | None = None, outcome="", completed: date | None = None,
            by="", placement=None):
        counter["episode"] += 1
        rows.append({
            "episode_id": f"EP{counter['episode']:05d}",
            "child_id": child,
            "date_of_birth": _dob(child_number),
            "episode_type": episode_type,
            "start": _fmt(start),
            "end": _fmt(end) if end else "",
            "looked_after": "Y" if lac else "N",
            "other_la": "Y" if other_la else "N",
            "placement": (placement or PLACEMENTS[counter["episode"] % 3]) if lac else "",
            "rhi_offered_on": offered.isoformat() if offered else "",
            "rhi_outcome": outcome,
            "rhi_completed_on": completed.isoformat() if completed else "",
            "rhi_by": by,
        })

    months = sorted(targets)
    for k, month in enumerate(months):
        t = {key: int(targets[month][key]) for key in
             ("children_missing", "children_offered", "children_rhi_done", "episodes", "episodes_rhi_done")}
        c, o, d, e, ed = (t["children_missing"], t["children_offered"], t["children_rhi_done"], t["episodes"],
                          t["episodes_rhi_done"])
        if not (d <= o <= c <= e and d <= ed <= e and e - ed >= c - d and (c == 0 or d > 0 or ed == 0)):
            raise ValueError(f"{month}: the figures cannot all hold together")
        n_lac, d_lac = lac_episode_counts(e, ed, targets[month]["lac_rhi_done_rate_episodes"]) \
            if targets[month].get("lac_rhi_done_rate_episodes") else (0, 0)

        # Children of the month: consecutive months share children, so a child is in two months.
        first_child = k * 60
        child_numbers = [first_child + j for j in range(c)]
        done_children = child_numbers[:d]
        offered_children = child_numbers[d:o]
        other_children = child_numbers[o:]

        # Each episode: (child number, kind) with kind 'done', 'offered' (offered, not done) or 'none'.
        plan = [(n, "done") for n in done_children]
        plan += [(done_children[i % d], "done") for i in range(ed - d)] if d else []
        plan += [(n, "offered") for n in offered_children]
        plan += [(n, "none") for n in other_children]
        extra = e - ed - (c - d)
        for i in range(extra):
            n = child_numbers[(i * 7) % c]
            # A second, not-done episode for an offered child may itself have been offered (declined).
            kind = "offered" if n not in other_children and i % 2 else "none"
            plan.append((n, kind))
        # LAC: the first d_lac done episodes and n_lac - d_lac of the others, spread through the month.
        done_idx = [i for i, (_, kind) in enumerate(plan) if kind == "done"]
        other_idx = [i for i, (_, kind) in enumerate(plan) if kind != "done"]
        lac_set = set(done_idx[::max(1, len(done_idx) // max(1, d_lac))][:d_lac]) if d_lac else set()
        if len(lac_set) < d_lac:
            lac_set |= set([i for i in done_idx if i not in lac_set][:d_lac - len(lac_set)])
        rest = n_lac - d_lac
        picked = other_idx[::max(1, len(other_idx) // max(1, rest))][:rest] if rest else []
        picked += [i for i in other_idx if i not in picked][:rest - len(picked)]
        lac_set |= set(picked)

        # Interleave the plan so a child's episodes are spread over the month.
        order = sorted(range(len(plan)), key=lambda i: ((i * 37) % len(plan), i))
        start_of_month = _month_start(month)
        days = calendar.monthrange(start_of_month.year, start_of_month.month)[1]
        spacing = ((days - 1) * 1440 - 360) // max(1, e)
        for q, i in enumerate(order):
            number, kind = plan[i]
            start = start_of_month + timedelta(minutes=360 + q * spacing)
            end = start + timedelta(hours=2)
            if q == len(order) - 1:
                # The month's last episode runs past midnight into the next month: it still
                # belongs to the month it started in.
                start = start_of_month + timedelta(days=days - 1, hours=22)
                end = start + timedelta(hours=6)
            by = INTERVIEWERS[(number + q) % 3]
            lac = i in lac_set
            if kind == "done":
                offered = end.date() + timedelta(days=q % 3)
                add(f"CH{number:04d}", number, start, end, lac=lac, offered=offered, outcome="completed",
                    completed=offered + timedelta(days=q % 2), by=by)
            elif kind == "offered":
                add(f"CH{number:04d}", number, start, end, lac=lac, offered=end.date() + timedelta(days=q % 4),
                    outcome=NOT_DONE_OUTCOMES[q % 4], by=by)
            else:
                # Not offered: sometimes an RHI was assigned but never offered.
                add(f"CH{number:04d}", number, start, end, lac=lac, by=by if q % 3 == 0 else "")
            if noise and q % 9 == 0 and q != len(order) - 1:
                # An away episode of the same child later that day, with a completed RHI: not counted.
                away = start + timedelta(minutes=150)
                add(f"CH{number:04d}", number, away, away + timedelta(minutes=20), episode_type="away",
                    lac=lac, offered=away.date(), outcome="completed", completed=away.date(), by=by)
        if noise:
            # Children looked after by another authority: logged, never counted.
            for j in range(4):
                number = 9000 + k * 10 + j
                start = start_of_month + timedelta(days=3 + j * 5, hours=10)
                add(f"OLA{number:04d}", number, start, start + timedelta(hours=5), other_la=True, lac=True,
                    offered=start.date(), outcome="completed" if j % 2 == 0 else "",
                    completed=start.date() if j % 2 == 0 else None, by="provider", placement="out_of_borough")
                if j == 0:
                    add(f"OLA{number:04d}", number, start + timedelta(days=1), start + timedelta(days=1, hours=3),
                        episode_type="away", other_la=True, lac=True, placement="out_of_borough")
    if noise and months:
        # Episodes of counted children outside the months: the month before the first and after the last.
        before = _month_start(months[0]) - timedelta(days=20)
        after_month = months[-1]
        after = _month_start(after_month) + timedelta(days=calendar.monthrange(
            _month_start(after_month).year, _month_start(after_month).month)[1] + 4)
        for j in range(5):
            for moment in (before + timedelta(hours=j * 30), after + timedelta(hours=j * 30)):
                add(f"CH{j:04d}", j, moment, moment + timedelta(hours=3), lac=j % 2 == 0,
                    offered=moment.date(), outcome="completed", completed=moment.date(), by="missing_team")
    return rows


def write_register_csv(path: Path, rows: list[dict]) -> Path:
    """Write ``rows`` as an episode register CSV with DOMAIN.md's header."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def month_of(text: str) -> str:
    """'2017-04-03 10:00' → '2017-04'."""
    return re.match(r"^(\d{4}-\d{2})", text).group(1)
