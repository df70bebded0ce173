"""The dashboard's charts: one for each question a manager asks, each with a sentence that says what it shows.

Every chart is built from the figures of :func:`rhi_desk.reports.figures.beyond_the_seed` (nothing is
counted twice), and every summary is worked out from the same figures, so the words and the bars agree.
A chart names the table that holds its figures and the drill-down behind it; the web layer adds the links.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rhi_desk.reports import kpi

# GOV.UK's colours, in an order that keeps neighbours apart for colour-blind readers.
COLOURS = ("#1d70b8", "#f47738", "#00703c", "#4c2c92", "#d4351c", "#505a5f", "#28a197", "#d53880",
           "#b58840", "#003078")


@dataclass
class Chart:
    """One chart: the question it answers, what to draw, the sentence saying it, its table and drill-down."""

    id: str
    question: str
    kind: str  # Chart.js type: 'bar' or 'line'
    labels: list[str]
    datasets: list[dict]
    summary: str
    table: str  # the name of the table holding its figures
    drill_metric: str | None = None
    drill_key: str | None = None
    drill_text: str = ""
    stacked: bool = False
    percent: bool = False
    horizontal: bool = False
    png: str = ""
    options: dict = field(default_factory=dict)
    drill_count: int | None = None  # how many records the drill-down lists, where known (0: no link)

    def as_json(self) -> dict:
        """What reports-charts.js draws."""
        return {"type": self.kind, "labels": self.labels, "stacked": self.stacked, "percent": self.percent,
                "horizontal": self.horizontal,
                "datasets": [dict(d, colour=d.get("colour") or COLOURS[n % len(COLOURS)])
                             for n, d in enumerate(self.datasets)]}


def _pct(numerator: int, denominator: int) -> str:
    return kpi.format_rate(kpi.rate(numerator, denominator), True)


def _lower_first(text: str) -> str:
    """'A spot-purchased RHI provider' → 'a spot-purchased RHI provider' (abbreviations keep their capitals)."""
    return text[:1].lower() + text[1:]


def _total(by_month: dict) -> int:
    return sum(by_month.values())


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def counts_chart(rows: list[dict]) -> Chart:
    """Children and missing episodes per month (the seed table's counts)."""
    labels = [kpi.month_heading(r["month"]) for r in rows]
    if not any(r["episodes"] for r in rows):
        summary = "There were no counted missing episodes in these months."
    else:
        most = max(rows, key=lambda r: r["episodes"])
        least = min(rows, key=lambda r: r["episodes"])
        summary = (f"Missing episodes ranged from {least['episodes']:,} in {kpi.month_name(least['month'])} to "
                   f"{most['episodes']:,} in {kpi.month_name(most['month'])}; children who went missing from "
                   f"{min(r['children_missing'] for r in rows):,} to {max(r['children_missing'] for r in rows):,} "
                   f"a month.")
    return Chart("chart-counts", "How many children went missing, and how often?", "bar", labels,
                 [{"label": "Children who went missing", "data": [r["children_missing"] for r in rows]},
                  {"label": "Missing episodes", "data": [r["episodes"] for r in rows]}],
                 summary, "seed", "episodes", None, "the missing episodes", png="children-and-missing-episodes.png")


def rates_chart(rows: list[dict]) -> Chart:
    """The offer and done rates per month (the seed table's rates)."""
    def series(key):
        return [float(r[key]) if r[key] is not None else None for r in rows]

    rated = [r for r in rows if r["offer_rate_children"] is not None]
    if rated:
        first, last = rated[0], rated[-1]
        summary = (f"The offer rate for children went from {kpi.format_rate(first['offer_rate_children'], True)} in "
                   f"{kpi.month_name(first['month'])} to {kpi.format_rate(last['offer_rate_children'], True)} in "
                   f"{kpi.month_name(last['month'])}; RHIs done as a share of episodes went from "
                   f"{kpi.format_rate(first['rhi_done_rate_episodes'], True)} to "
                   f"{kpi.format_rate(last['rhi_done_rate_episodes'], True)}.")
    else:
        summary = "No rate can be worked out for these months: no counted child went missing."
    return Chart("chart-rates", "Are more children offered an interview, and more interviews done?", "line",
                 [kpi.month_heading(r["month"]) for r in rows],
                 [{"label": "RHI offer rate for children", "data": series("offer_rate_children")},
                  {"label": "RHIs done % episodes", "data": series("rhi_done_rate_episodes"), "dash": [6, 3]},
                  {"label": "RHIs done % episodes, all LAC", "data": series("lac_rhi_done_rate_episodes"),
                   "dash": [2, 2]}],
                 summary, "seed", "episodes_rhi_done", None, "the episodes with an RHI done", percent=True,
                 png="offer-and-done-rates.png")


OFFER_CHART_STATES = ("within", "late", "not_yet", "pending", "not_measurable")


def offered_within_72_hours(beyond: dict) -> Chart:
    """Are interviews offered within 72 hours of the return? Episodes by where the clock stood, per month."""
    months = beyond["months"]
    counts = beyond["timeliness"]["offer"]["counts"]
    rates = beyond["timeliness"]["offer"]["rate"]
    within, late, not_yet = (_total(counts[s]) for s in ("within", "late", "not_yet"))
    measurable = within + late + not_yet
    if not measurable:
        summary = "No return in these months can be measured against the 72-hour clock yet."
    else:
        summary = (f"Of {_plural(measurable, 'return')} that can be measured, {within:,} ({_pct(within, measurable)}) "
                   f"were offered an RHI within 72 hours, {late:,} later and {not_yet:,} not yet.")
        rated = [m for m in months if rates[m] is not None]
        if len(rated) > 1:
            best = max(rated, key=lambda m: rates[m])
            worst = min(rated, key=lambda m: rates[m])
            summary += (f" The best month was {kpi.month_name(best)} ({kpi.format_rate(rates[best], True)}), "
                        f"the weakest {kpi.month_name(worst)} ({kpi.format_rate(rates[worst], True)}).")
    missed = late + not_yet
    return Chart("chart-offer-72h", "Are interviews offered within 72 hours?", "bar",
                 [kpi.month_heading(m) for m in months],
                 [{"label": kpi.TIMELINESS_STATES[s], "data": [counts[s][m] for m in months],
                   "colour": colour}
                  for s, colour in zip(OFFER_CHART_STATES, ("#00703c", "#f47738", "#d4351c", "#b1b4b6", "#505a5f"))],
                 summary, "offer", "offer_missed", None,
                 f"the {_plural(missed, 'episode')} not offered within 72 hours", stacked=True,
                 png="offered-within-72-hours.png", drill_count=missed)


def why_not_done(beyond: dict) -> Chart:
    """Why were interviews not done? Episodes without an RHI done, by the reason coded (else the outcome)."""
    part = beyond["not_done"]
    coded = part["coded"]
    labels_for = kpi.WHY_NOT_DONE if coded else kpi.NOT_DONE_REASONS
    totals = {key: _total(part["why"][key]) for key in labels_for}
    shown = sorted((k for k in totals if totals[k]), key=lambda k: (-totals[k], list(labels_for).index(k)))
    total = sum(totals.values())
    if not total:
        summary = "Every counted missing episode in these months had an RHI done."
    else:
        top = shown[0]
        summary = (f"{_plural(total, 'missing episode')} had no RHI done. The most common reason was "
                   f"“{labels_for[top]}” ({totals[top]:,}, {_pct(totals[top], total)} of them)")
        if len(shown) > 1:
            summary += f", then “{labels_for[shown[1]]}” ({totals[shown[1]]:,})"
        summary += "." + ("" if coded else " No reason was coded in these months, so the outcomes recorded are shown.")
    top = shown[0] if shown else None
    return Chart("chart-why-not-done", "Why were interviews not done?", "bar", [labels_for[k] for k in shown],
                 [{"label": "Missing episodes without an RHI done", "data": [totals[k] for k in shown]}],
                 summary, "why", "why_not_done" if top else None, top,
                 f"the {_plural(totals[top], 'episode')}: {_lower_first(labels_for[top])}" if top else "",
                 horizontal=True, png="why-interviews-were-not-done.png")


def placements(beyond: dict) -> Chart:
    """How do looked-after children placed away compare? Offer and done rates by placement."""
    part = beyond["placement"]
    keys = [k for k in kpi.PLACEMENTS if k != "unknown" or _total(part["episodes"][k])]
    episodes = {k: _total(part["episodes"][k]) for k in keys}
    offered = {k: _total(part["offered"][k]) for k in keys}
    done = {k: _total(part["done"][k]) for k in keys}
    words = {"in_borough": "in borough", "neighbouring": "in a neighbouring authority",
             "out_of_borough": "out of borough", "unknown": "with no placement recorded"}
    if not sum(episodes.values()):
        summary = "No looked-after child went missing in these months."
    else:
        parts = [f"placed {words[k]}, {_plural(episodes[k], 'episode')} with {_pct(done[k], episodes[k]) or 'no'} "
                 f"RHIs done" for k in keys if episodes[k]]
        summary = "Looked-after children " + "; ".join(parts) + "."
        ranked = [k for k in keys if episodes[k] and k != "unknown"]
        if len(ranked) > 1:
            low = min(ranked, key=lambda k: done[k] / episodes[k])
            high = max(ranked, key=lambda k: done[k] / episodes[k])
            if low != high:
                summary += f" The lowest rate is for children placed {words[low]}, the highest {words[high]}."
    def share(values):
        return [float(kpi.rate(values[k], episodes[k])) if episodes[k] else None for k in keys]

    return Chart("chart-placement", "How do looked-after children placed away compare?", "bar",
                 [kpi.PLACEMENTS[k] for k in keys],
                 [{"label": "% of episodes offered an RHI", "data": share(offered)},
                  {"label": "% of episodes with an RHI done", "data": share(done)}],
                 summary, "placement", "placement_episodes", "out_of_borough",
                 f"the {_plural(episodes.get('out_of_borough', 0), 'episode')} of children placed out of borough",
                 percent=True, png="looked-after-children-by-placement.png",
                 drill_count=episodes.get("out_of_borough", 0))


def ages(beyond: dict) -> Chart:
    """Which ages? Missing episodes by age band at the start, with and without an RHI done."""
    part = beyond["age_bands"]
    keys = [k for k in kpi.AGE_BANDS if k != "unknown" or _total(part["episodes"][k])]
    episodes = {k: _total(part["episodes"][k]) for k in keys}
    done = {k: _total(part["done"][k]) for k in keys}
    total = sum(episodes.values())
    if not total:
        summary = "There were no counted missing episodes in these months."
    else:
        most = max(keys, key=lambda k: episodes[k])
        oldest = episodes.get("17_half", 0)
        summary = (f"Most missing episodes were of children aged {kpi.AGE_BANDS[most].lower()} "
                   f"({episodes[most]:,}, {_pct(episodes[most], total)}). Children aged 17½ to 18 had "
                   f"{_plural(oldest, 'episode')} ({_pct(oldest, total)})"
                   + (f", {_pct(done['17_half'], oldest)} with an RHI done." if oldest else "."))
    return Chart("chart-ages", "Which ages go missing?", "bar", [kpi.AGE_BANDS[k] for k in keys],
                 [{"label": "With an RHI done", "data": [done[k] for k in keys], "colour": "#00703c"},
                  {"label": "Without an RHI done", "data": [episodes[k] - done[k] for k in keys],
                   "colour": "#f47738"}],
                 summary, "ages", "age_episodes", "17_half",
                 f"the {_plural(episodes.get('17_half', 0), 'episode')} of children aged 17½ to 18", stacked=True,
                 png="missing-episodes-by-age.png", drill_count=episodes.get("17_half", 0))


def interviewers(beyond: dict) -> Chart:
    """Who interviews? Interviews covering the months' episodes, by interviewer type."""
    rows = beyond["interviewers"]["by_type"]
    label = {**kpi.INTERVIEWER_TYPES, "unknown": "Not recorded"}
    total = sum(r["interviews"] for r in rows)
    if not total:
        summary = "No interview covers these months' missing episodes."
    else:
        parts = [f"{_lower_first(label[r['interviewer_type']])} {r['interviews']:,} ({_pct(r['interviews'], total)}, "
                 f"{_pct(r['completed'], r['interviews'])} completed)" for r in rows]
        summary = f"Of {_plural(total, 'interview')} covering these episodes: " + "; ".join(parts) + "."
    top = rows[0]["interviewer_type"] if rows else None
    return Chart("chart-interviewers", "Who interviews?", "bar", [label[r["interviewer_type"]] for r in rows],
                 [{"label": "Interviews", "data": [r["interviews"] for r in rows]},
                  {"label": "Completed", "data": [r["completed"] for r in rows]}],
                 summary, "interviewers", "interviewer_episodes" if top else None, top,
                 f"the episodes covered by {_lower_first(label[top])}" if top else "",
                 png="who-interviews.png")


def repeat_children(beyond: dict) -> Chart:
    """Repeat children: children missing 3 or more times within 30 days, per month."""
    months = beyond["months"]
    by_month = beyond["repeat"]["children"]
    total = beyond["repeat"]["total"]
    if not total:
        summary = (f"No child went missing {kpi.REPEAT_EPISODES} or more times within {kpi.REPEAT_DAYS} days "
                   f"in these months.")
    else:
        most = max(months, key=lambda m: by_month[m])
        summary = (f"{_plural(total, 'child', 'children')} went missing {kpi.REPEAT_EPISODES} or more times within "
                   f"{kpi.REPEAT_DAYS} days in these months; the most in one month was {by_month[most]:,}, in "
                   f"{kpi.month_name(most)}.")
    return Chart("chart-repeat", "Which children go missing again and again?", "bar",
                 [kpi.month_heading(m) for m in months],
                 [{"label": f"Children missing {kpi.REPEAT_EPISODES}+ times in {kpi.REPEAT_DAYS} days",
                   "data": [by_month[m] for m in months], "colour": "#4c2c92"}],
                 summary, "repeat", "repeat_children", None, f"the {_plural(total, 'child', 'children')}",
                 png="repeat-missing-children.png", drill_count=total)


def year_on_year(rows: list[dict], earlier: list[dict]) -> Chart:
    """Year on year: each month's missing episodes and offer rate beside the same month a year earlier."""
    this_total = sum(r["episodes"] for r in rows)
    then_total = sum(r["episodes"] for r in earlier)
    first, last = rows[0]["month"], rows[-1]["month"]
    summary = (f"{_plural(this_total, 'missing episode')} from {kpi.month_name(first)} to {kpi.month_name(last)}, "
               f"against {then_total:,} in the same months a year earlier")
    if then_total:
        change = kpi.rate(this_total - then_total, then_total)
        summary += f" ({'+' if change > 0 else ''}{kpi.format_rate(change, True)})"
    offered = sum(r["children_offered"] for r in rows)
    offered_then = sum(r["children_offered"] for r in earlier)
    summary += (f". Children offered an RHI, month by month: {offered:,} against {offered_then:,} a year earlier.")
    return Chart("chart-year-on-year", "Is it better or worse than a year ago?", "line",
                 [kpi.month_heading(r["month"]) for r in rows],
                 [{"label": f"Missing episodes, {kpi.month_name(first)} to {kpi.month_name(last)}",
                   "data": [r["episodes"] for r in rows]},
                  {"label": "Missing episodes, a year earlier", "data": [r["episodes"] for r in earlier],
                   "dash": [6, 3]},
                  {"label": "Children offered an RHI", "data": [r["children_offered"] for r in rows]},
                  {"label": "Children offered an RHI, a year earlier", "data": [r["children_offered"] for r in earlier],
                   "dash": [6, 3]}],
                 summary, "year_on_year", "episodes", None, "this period's missing episodes",
                 png="year-on-year.png")


def dashboard_charts(rows: list[dict], beyond: dict) -> list[Chart]:
    """Every chart of the dashboard, in the order a manager reads them."""
    return [counts_chart(rows), rates_chart(rows), offered_within_72_hours(beyond), why_not_done(beyond),
            placements(beyond), ages(beyond), interviewers(beyond), repeat_children(beyond)]
