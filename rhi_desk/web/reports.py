"""Reports: the KPI dashboard, drill-downs, exports, the printable monthly report and the high-risk list.

Thin views over :mod:`rhi_desk.reports`; every figure on a page links to the children or episodes behind it.
"""
from __future__ import annotations

import csv
import io
import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextInput
from wtforms import HiddenField, SelectField, StringField, SubmitField

from rhi_desk import audit
from rhi_desk.clock import now
from rhi_desk.db import get_db
from rhi_desk.reports import charts, figures, headline, kpi, published, themes
from rhi_desk.reports import high_risk as reports_high_risk
from rhi_desk.web import report_panels
from rhi_desk.web.auth import roles_required

bp = Blueprint("reports", __name__, url_prefix="/reports")

REPORT_ROLES = ("missing_team", "manager")


class RangeForm(FlaskForm):
    """The month range and filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    from_month = StringField("From", widget=GovTextInput(), description="Year and month, for example 2017-04")
    to_month = StringField("To", widget=GovTextInput(), description="Year and month, for example 2017-11")
    lac = SelectField("Looked-after status", widget=GovSelect(),
                      choices=[("", "All children")] + list(kpi.LAC_FILTERS.items()))
    age = SelectField("Age at the start of the episode", widget=GovSelect(),
                      choices=[("", "All ages")] + list(kpi.AGE_BANDS.items()))
    interviewer = SelectField("Who interviewed", widget=GovSelect(),
                              choices=[("", "Anyone")] + list(kpi.INTERVIEWER_TYPES.items()))
    collection_year = SelectField("Or a collection year", widget=GovSelect(), validate_choice=False,
                                  description="April to March, as DfE counts it (this replaces the months above)")
    view = SelectField("Show", widget=GovSelect(), choices=[("", "The months chosen"),
                                                            ("year_on_year", "Each month beside the same month a "
                                                                             "year earlier (year on year)")])
    as_recorded_on = StringField("As recorded on (optional)", widget=GovTextInput(),
                                 description="The figures as they stood at the end of that day, for example "
                                             "2017-12-31. Leave blank for today's records.")
    submit = SubmitField("Show figures", widget=GovSubmitInput())


def _read_range(max_months: int = 1200):
    """The form, the months and the filters asked for; a bad entry falls back to the last 12 months."""
    form = RangeForm(formdata=request.args)
    first, last = kpi.default_range()
    years = collection_years()
    form.collection_year.choices = [("", "None: the months above")] + [(y, f"{y[:4]} to 20{y[5:]}") for y in years]
    if form.collection_year.data and form.collection_year.data not in years:
        form.collection_year.errors = ["Choose a collection year from the list"]
        form.collection_year.data = ""
    if form.collection_year.data:
        start = int(form.collection_year.data[:4])
        first, last = f"{start:04d}-04", f"{start + 1:04d}-03"
        form.from_month.data, form.to_month.data = first, last
    elif not request.args.get("from_month") and not request.args.get("to_month"):
        form.from_month.data, form.to_month.data = first, last
    else:
        for name, what in (("from_month", "first month"), ("to_month", "last month")):
            field = getattr(form, name)
            try:
                field.data = kpi.parse_month(field.data or "", what)
            except kpi.KPIError as exc:
                field.errors = [str(exc)]
        if not form.from_month.errors and not form.to_month.errors:
            try:
                months = kpi.months_between(form.from_month.data, form.to_month.data)
                if len(months) > max_months:
                    raise kpi.KPIError(f"Choose at most {max_months} months")
                first, last = form.from_month.data, form.to_month.data
            except kpi.KPIError as exc:
                form.to_month.errors = [str(exc)]
    recorded_on = (form.as_recorded_on.data or "").strip() or None
    try:
        kpi.as_recorded_on(recorded_on)
    except kpi.KPIError as exc:
        form.as_recorded_on.errors = [str(exc)]
        recorded_on = None
    if form.view.data not in ("", "year_on_year", None):
        form.view.errors = ["Choose an option from the list"]
        form.view.data = ""
    filters = kpi.Filters(lac=_choice(form.lac, kpi.LAC_FILTERS), age_band=_choice(form.age, kpi.AGE_BANDS),
                          interviewer_type=_choice(form.interviewer, kpi.INTERVIEWER_TYPES), recorded_on=recorded_on)
    return form, first, last, filters


def collection_years(years: int = 15) -> list[str]:
    """The collection years a dashboard can show ('2017-18' runs April 2017 to March 2018), newest first."""
    today = now().date()
    current = today.year if today.month >= 4 else today.year - 1
    return [f"{y:04d}-{(y + 1) % 100:02d}" for y in range(current, current - years, -1)]


def _choice(field, allowed: dict) -> str | None:
    value = field.data or None
    if value is not None and value not in allowed:
        field.errors = ["Choose an option from the list"]
        field.data = ""
        return None
    return value


def _range_args(first: str, last: str, filters: kpi.Filters) -> dict:
    return {"from_month": first, "to_month": last, **filters.as_params()}


def drill_url(metric: str, first: str, last: str, filters: kpi.Filters, key: str | None = None) -> str:
    """The address of the list behind one number."""
    # A decade's dashboard links about 8,000 numbers: the address is built once per figure and row (with
    # stand-ins for the months, which url_for writes as %00F and %00L and no other value can give, '%'
    # itself being written %25), and each month put in. A month (YYYY-MM) needs no escaping.
    cache = g.setdefault("drill_urls", {})
    shape = (metric, key, tuple(filters.as_params().items()))
    if shape not in cache:
        args = _range_args("\x00F", "\x00L", filters)
        if key is not None:
            args["key"] = key
        cache[shape] = url_for("reports.drill", metric=metric, **args)
    return cache[shape].replace("%00F", first, 1).replace("%00L", last, 1)


def _cell(text, metric: str | None, first: str, last: str, filters: kpi.Filters, key: str | None = None) -> dict:
    return {"text": text, "href": drill_url(metric, first, last, filters, key) if metric else None}


def seed_table_view(rows: list[dict], filters: kpi.Filters) -> list[dict]:
    """The seed table for a template: one row per KPI, a linked cell per month."""
    out = []
    for key, label_text, kind, metric in kpi.SEED_ROWS:
        cells = []
        for row in rows:
            text = kpi.format_rate(row[key], percent=True) if kind == "rate" else f"{row[key]:,}"
            cells.append(_cell(text, metric, row["month"], row["month"], filters) if text else {"text": ""})
        out.append({"label": label_text, "cells": cells, "rate": kind == "rate"})
    return out


def _month_rows(months, table: dict, labels: dict, metric: str, filters, fmt=lambda v: f"{v:,}") -> list[dict]:
    rows = []
    for key, label_text in labels.items():
        values = table.get(key, {})
        if key == "unknown" and not any(values.values()):
            continue
        rows.append({"label": label_text,
                     "cells": [_cell(fmt(values.get(m, 0)), metric, m, m, filters, key) for m in months]})
    return rows


def beyond_view(beyond: dict, filters: kpi.Filters) -> dict:
    """The wider tables for a template, every number linked to its drill-down."""
    months = beyond["months"]
    first, last = months[0], months[-1]
    view = {}
    for name, metric, words in (("offer", "offer_state", "offered"), ("completion", "completion_state", "completed")):
        part = beyond["timeliness"][name]
        rows = _month_rows(months, part["counts"], kpi.TIMELINESS_STATES, metric, filters)
        rows.append({"label": f"% {words} within 72 hours (of the measurable)", "rate": True,
                     "cells": [_cell(kpi.format_rate(part["rate"][m], True), metric, m, m, filters, "within")
                               if part["rate"][m] is not None else {"text": ""} for m in months]})
        view[name] = rows
    view["not_done"] = _month_rows(months, beyond["not_done"]["counts"], kpi.NOT_DONE_REASONS, "not_done", filters)
    view["reasons"] = [dict(r, href=drill_url("not_done", first, last, filters, r["outcome"]),
                            outcome_text=kpi.NOT_DONE_REASONS[r["outcome"]])
                       for r in beyond["not_done"]["reasons"]]
    why = beyond["not_done"]
    why_labels = kpi.WHY_NOT_DONE if why["coded"] else kpi.NOT_DONE_REASONS
    view["why"] = [row for row in _month_rows(months, why["why"], why_labels, "why_not_done", filters)
                   if any(cell["text"] != "0" for cell in row["cells"])]
    placement = []
    for key, label_text in kpi.PLACEMENTS.items():
        episodes = beyond["placement"]["episodes"].get(key, {})
        if key == "unknown" and not any(episodes.values()):
            continue
        done = beyond["placement"]["done"][key]
        rates = beyond["placement"]["rate"][key]
        placement.append({"label": f"{label_text}: episodes",
                          "cells": [_cell(f"{episodes[m]:,}", "placement_episodes", m, m, filters, key)
                                    for m in months]})
        offered = beyond["placement"]["offered"][key]
        placement.append({"label": f"{label_text}: offered an RHI",
                          "cells": [_cell(f"{offered[m]:,}", "placement_offered", m, m, filters, key)
                                    for m in months]})
        placement.append({"label": f"{label_text}: RHI done",
                          "cells": [_cell(f"{done[m]:,}", "placement_done", m, m, filters, key) for m in months]})
        placement.append({"label": f"{label_text}: % done", "rate": True,
                          "cells": [_cell(kpi.format_rate(rates[m], True), "placement_episodes", m, m, filters, key)
                                    if rates[m] is not None else {"text": ""} for m in months]})
    view["placement"] = placement
    ages = beyond["age_bands"]
    view["age_episodes"] = _month_rows(months, ages["episodes"], kpi.AGE_BANDS, "age_episodes", filters)
    view["age_children"] = _month_rows(months, ages["children"], kpi.AGE_BANDS, "age_children", filters)
    done_labels = {k: f"{v}: RHI done" for k, v in kpi.AGE_BANDS.items()}
    view["age_episodes"] += _month_rows(months, ages["done"], done_labels, "age_done", filters)
    view["repeat"] = [{"label": f"Children missing {kpi.REPEAT_EPISODES}+ times in {kpi.REPEAT_DAYS} days",
                       "cells": [_cell(f"{beyond['repeat']['children'][m]:,}", "repeat_children", m, m, filters)
                                 for m in months]}]
    view["repeat_total"] = _cell(f"{beyond['repeat']['total']:,}", "repeat_children", first, last, filters)
    view["interviewers"] = [
        dict(r, label=kpi.INTERVIEWER_TYPES.get(r["interviewer_type"], "Not recorded"),
             href=drill_url("interviewer_episodes", first, last, filters, r["interviewer_type"]))
        for r in beyond["interviewers"]["by_type"]]
    view["providers"] = [dict(r, href=drill_url("provider_episodes", first, last, filters, r["provider"]))
                         for r in beyond["interviewers"]["by_provider"]]
    away, ola = beyond["away_ola"]["away"], beyond["away_ola"]["ola"]
    view["away_ola"] = [
        {"label": "Away episodes", "cells": [_cell(f"{away['episodes'][m]:,}", "away_episodes", m, m, filters)
                                             for m in months]},
        {"label": "Children with away episodes",
         "cells": [_cell(f"{away['children'][m]:,}", "away_children", m, m, filters) for m in months]},
        {"label": "OLA episodes (missing or away)",
         "cells": [_cell(f"{ola['episodes'][m]:,}", "ola_episodes", m, m, filters) for m in months]},
        {"label": "OLA children", "cells": [_cell(f"{ola['children'][m]:,}", "ola_children", m, m, filters)
                                            for m in months]},
    ]
    return view


def seed_subtable(table: list[dict], keys: tuple[str, ...]) -> list[dict]:
    """Some rows of the seed table (for the charts drawn from them)."""
    labels = {label_text for key, label_text, *_ in kpi.SEED_ROWS if key in keys}
    return [row for row in table if row["label"] in labels]


SEED_COUNTS = ("children_missing", "episodes")
SEED_RATES = ("offer_rate_children", "rhi_done_rate_episodes", "lac_rhi_done_rate_episodes")


def _report_context(with_beyond: bool = True, headline_months: bool = False) -> dict:
    form, first, last, filters = _read_range()
    db = get_db()
    range_args = _range_args(first, last, filters)
    if form.view.data == "year_on_year":
        range_args["view"] = "year_on_year"
    context = {"form": form, "first": first, "last": last, "filters": filters, "range_args": range_args}
    if with_beyond:
        # The headline's months (the previous month, the same month a year earlier) in the same pass.
        also = (headline.months_back(last, 1), headline.months_back(last, 12)) if headline_months else ()
        beyond = figures.beyond_the_seed(db, first, last, filters, also=also)
        rows = beyond["table"]
        context["beyond_figures"] = beyond
        context["beyond"] = beyond_view(beyond, filters)
    else:
        rows = kpi.monthly_table(db, first, last, filters)
    context["months"] = [r["month"] for r in rows]
    context.update(rows=rows, table=seed_table_view(rows, filters),
                   headings=[kpi.month_heading(m) for m in context["months"]])
    seed_tables = {"seed_counts": {"name": "seed_counts", "caption": "Children and missing episodes per month",
                                   "headings": context["headings"], "label_heading": "",
                                   "rows": seed_subtable(context["table"], SEED_COUNTS)},
                   "seed_rates": {"name": "seed_rates", "caption": "Offer and RHI done rates per month",
                                  "headings": context["headings"], "label_heading": "",
                                  "rows": seed_subtable(context["table"], SEED_RATES)}}
    context["tables"] = seed_tables
    counts, rates = charts.counts_chart(rows), charts.rates_chart(rows)
    counts.table, rates.table = "seed_counts", "seed_rates"
    context["seed_panels"] = report_panels.chart_panels(context, [counts, rates])
    return context


def dashboard_context() -> dict:
    """Everything the dashboard shows: headline, seed table, every chart with its table, in one pass."""
    context = _report_context(headline_months=True)
    db = get_db()
    first, last, filters = context["first"], context["last"], context["filters"]
    known = context["rows"] + context["beyond_figures"].get("rows_also", [])
    context["headline"] = headline.headline(db, last, filters, known=known)
    held = [dict(h, per_interview=kpi.per_interview(h["episodes"], h["interviews"]))
            for h in context["beyond_figures"]["held"]]
    context["held"] = [
        {"label": "Interviews held (completed RHIs)", "cells": [{"text": f"{h['interviews']:,}"} for h in held]},
        {"label": "Missing episodes they cover", "cells": [
            _cell(f"{h['episodes']:,}", "episodes_rhi_done", h["month"], h["month"], filters) for h in held]},
        {"label": "Episodes per interview", "cells": [{"text": f"{h['per_interview']}" if h["per_interview"] else ""}
                                                      for h in held]},
    ]
    chart_list = charts.dashboard_charts(context["rows"], context["beyond_figures"])[2:]
    if context["form"].view.data == "year_on_year":
        earlier = kpi.monthly_table(db, headline.months_back(first, 12), headline.months_back(last, 12), filters)
        context["year_on_year"] = report_panels.year_on_year_rows(context["rows"], earlier, filters, drill_url)
        chart_list.insert(0, charts.year_on_year(context["rows"], earlier))
    context["tables"].update(report_panels.dashboard_tables(context))
    context["panels"] = report_panels.chart_panels(context, chart_list)
    today = now().date()
    start_year = today.year if today.month >= 4 else today.year - 1
    context["collection_year"] = f"{start_year:04d}-{(start_year + 1) % 100:02d}"
    context["year_earlier"] = (headline.months_back(first, 12), headline.months_back(last, 12))
    context["ten_years"] = (headline.months_back(last, 119), last)
    return context


@bp.route("/")
@roles_required(*REPORT_ROLES)
def dashboard():
    """The KPI dashboard: headline, the scrutiny committee's table, a chart for each question, every number drillable."""
    context = dashboard_context()
    context["published"] = published.list_published(get_db(), limit=5)
    context["publish_form"] = PublishForm(first=context["first"], last=context["last"],
                                          filters=json.dumps(context["filters"].as_params()))
    return render_template("reports/dashboard.html", printing=False, **context)


@bp.route("/print")
@roles_required(*REPORT_ROLES)
def dashboard_print():
    """The whole dashboard laid out for A4 landscape paper: every chart with its table open."""
    context = dashboard_context()
    context["generated"] = now()
    audit.record(get_db(), "report.print", username=g.user["username"], object_type="report",
                 object_id="dashboard", detail=context["range_args"])
    return render_template("reports/dashboard.html", printing=True, **context)


@bp.route("/tables/<name>.<fmt>")
@roles_required(*REPORT_ROLES)
def export_table(name: str, fmt: str):
    """One of the dashboard's tables as CSV or an Excel workbook, exactly as shown."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    context = dashboard_context()
    table = context["tables"].get(name)
    if table is None:
        return render_template("errors/error.html", title="That table cannot be downloaded",
                               message="That is not one of the dashboard's tables; go back to the dashboard and "
                                       "choose a download link under a chart."), 404
    first, last, filters = context["first"], context["last"], context["filters"]
    audit.record(get_db(), "report.export", username=g.user["username"], object_type="report",
                 object_id=f"{name}.{fmt}", detail={"from": first, "to": last, **filters.as_params()})
    filename = f"rhi-{name.replace('_', '-')}-{first}-to-{last}.{fmt}"
    if fmt == "csv":
        return Response(report_panels.table_csv(table), mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename={filename}"})
    period = f"{kpi.month_name(first)} to {kpi.month_name(last)}"
    data = report_panels.table_xlsx(table, period, filters.describe(), g.install["la_name"] if g.install else "")
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={filename}"})


class PublishForm(FlaskForm):
    """Publish the table on screen for a meeting."""

    meeting = StringField("Which meeting is this table for?", widget=GovTextInput(),
                          description="For example, Scrutiny committee, 6 February 2018")
    first = HiddenField()
    last = HiddenField()
    filters = HiddenField()
    submit = SubmitField("Publish this table", widget=GovSubmitInput())


@bp.route("/publish", methods=["POST"])
@roles_required(*REPORT_ROLES)
def publish():
    """Publish the table for a meeting: its figures are kept, and what changes later is shown beside them."""
    form = PublishForm()
    try:
        params = json.loads(form.filters.data or "{}")
        filters = kpi.Filters(lac=params.get("lac"), age_band=params.get("age"),
                              interviewer_type=params.get("interviewer"), recorded_on=params.get("as_recorded_on"))
        kpi.months_between(form.first.data or "", form.last.data or "")
        if not form.validate_on_submit():
            raise kpi.KPIError("The form has expired; reload the dashboard and publish again")
        table = published.publish(get_db(), form.first.data, form.last.data, filters, meeting=form.meeting.data,
                                  by=g.user["username"])
    except (kpi.KPIError, ValueError, AttributeError) as exc:
        message = str(exc) if isinstance(exc, kpi.KPIError) else "Reload the dashboard and publish again"
        return render_template("errors/error.html", title="The table was not published", message=message), 400
    flash(f"Published for {table.meeting}. Changes from now on are shown beside these figures.")
    return redirect(url_for("reports.published_table", pk=table.id))


@bp.route("/published/<int:pk>")
@roles_required(*REPORT_ROLES)
def published_table(pk: int):
    """A published table beside today's figures, with every change one click from the records behind it."""
    table = published.get_published(get_db(), pk)
    if table is None:
        abort(404)
    rows = published.changes_since(get_db(), table)
    view = []
    for row in rows:
        cells = []
        for cell in row["cells"]:
            fmt = (lambda v: kpi.format_rate(v, True)) if row["kind"] == "rate" else (lambda v: f"{v:,}")
            href = (url_for("reports.published_changes", pk=pk, metric=cell["metric"], month=cell["month"])
                    if cell["changed"] and cell["metric"] else None)
            cells.append(dict(cell, published_text=fmt(cell["published"]), today_text=fmt(cell["today"]), href=href))
        view.append(dict(row, cells=cells))
    return render_template("reports/published.html", table=table, rows=view,
                           headings=[kpi.month_heading(r["month"]) for r in table.rows],
                           changed=sum(c["changed"] for r in rows for c in r["cells"]))


@bp.route("/published/<int:pk>/changes")
@roles_required(*REPORT_ROLES)
def published_changes(pk: int):
    """The children or episodes added to, or dropped from, one figure since it was published."""
    table = published.get_published(get_db(), pk)
    if table is None:
        abort(404)
    try:
        result = published.changed_records(get_db(), table, request.args.get("metric", ""),
                                           request.args.get("month", ""))
    except kpi.KPIError as exc:
        return render_template("errors/error.html", title="That list cannot be shown", message=str(exc)), 404
    return render_template("reports/published_changes.html", table=table, result=result,
                           month=request.args.get("month"))


@bp.route("/wider")
@roles_required(*REPORT_ROLES)
def wider():
    """The wider figures (72 hours, reasons, placements, ages, repeats, interviewers, away and OLA).

    ``?part=1`` gives just the section, for the dashboard to place under its charts.
    """
    context = _report_context()
    if request.args.get("part"):
        return render_template("reports/_beyond.html", **context)
    return render_template("reports/wider.html", **context)


@bp.route("/drill")
@roles_required(*REPORT_ROLES)
def drill():
    """The children or episodes behind one number on a report."""
    form, first, last, filters = _read_range()
    metric = request.args.get("metric", "")
    try:
        result = figures.drill(get_db(), metric, first, last, filters, key=request.args.get("key") or None)
    except kpi.KPIError as exc:
        return render_template("errors/error.html", title="That list cannot be shown", message=str(exc)), 404
    audit.record(get_db(), "report.drill", username=g.user["username"], object_type="report", object_id=metric,
                 detail={"from": first, "to": last, "key": request.args.get("key"), **filters.as_params(),
                         "count": result.count})
    period = kpi.month_name(first) if first == last else f"{kpi.month_name(first)} to {kpi.month_name(last)}"
    return render_template("reports/drill.html", result=result, period=period, filters=filters,
                           back=url_for("reports.dashboard", **_range_args(*_wider_range(first, last), filters)),
                           timeliness=kpi.TIMELINESS_STATES, reasons=kpi.NOT_DONE_REASONS, why=kpi.WHY_NOT_DONE,
                           age_bands=kpi.AGE_BANDS, placements=kpi.PLACEMENTS)


def _wider_range(first: str, last: str) -> tuple[str, str]:
    # A one-month drill goes back to a dashboard of the 12 months ending then.
    if first != last:
        return first, last
    year, month = int(last[:4]), int(last[5:]) - 11
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}", last


@bp.route("/kpi.csv")
@roles_required(*REPORT_ROLES)
def export_csv():
    """The KPI table as CSV: one row per month, the same columns as ``rhi-desk kpi --format csv``."""
    _, first, last, filters = _read_range()
    rows = kpi.monthly_table(get_db(), first, last, filters)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(kpi.csv_rows(rows))
    audit.record(get_db(), "report.export", username=g.user["username"], object_type="report",
                 object_id="kpi.csv", detail={"from": first, "to": last, **filters.as_params()})
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=rhi-kpis-{first}-to-{last}.csv"})


@bp.route("/kpi.xlsx")
@roles_required(*REPORT_ROLES)
def export_xlsx():
    """The KPI table as an Excel workbook in the seed's layout (months across, the seed's row words)."""
    _, first, last, filters = _read_range()
    rows = kpi.monthly_table(get_db(), first, last, filters)
    data = workbook_bytes(rows, filters, g.install["la_name"] if g.install else "")
    audit.record(get_db(), "report.export", username=g.user["username"], object_type="report",
                 object_id="kpi.xlsx", detail={"from": first, "to": last, **filters.as_params()})
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=rhi-kpis-{first}-to-{last}.xlsx"})


def workbook_bytes(rows: list[dict], filters: kpi.Filters, council: str) -> bytes:
    """An .xlsx file: the seed table (counts as numbers, rates as percentages, blank when undefined)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "KPIs"
    sheet["A1"] = f"Return home interviews: monthly KPIs{', ' + council if council else ''}"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = (f"{kpi.month_name(rows[0]['month'])} to {kpi.month_name(rows[-1]['month'])}. "
                   f"{filters.describe()}. Produced by RHI Desk on {now():%d %B %Y at %H:%M}.")
    header_row = 4
    sheet.cell(header_row, 1, "")
    for column, row in enumerate(rows, start=2):
        cell = sheet.cell(header_row, column, kpi.month_heading(row["month"]))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="right")
    for offset, (key, label_text, kind, _) in enumerate(kpi.SEED_ROWS, start=1):
        sheet.cell(header_row + offset, 1, label_text)
        for column, row in enumerate(rows, start=2):
            value = row[key]
            if kind == "rate":
                cell = sheet.cell(header_row + offset, column, float(value) / 100 if value is not None else None)
                cell.number_format = "0.00%"
            else:
                sheet.cell(header_row + offset, column, value)
    sheet.column_dimensions["A"].width = 40
    for column in range(2, len(rows) + 2):
        sheet.column_dimensions[get_column_letter(column)].width = 10
    notes = book.create_sheet("Notes")
    for number, text in enumerate([
        "How the figures are counted",
        "An episode belongs to the month in which it started.",
        "Only missing episodes count (not away episodes); children looked after by another authority (OLA), "
        "voided episodes and episodes starting on or after the child's 18th birthday are left out of every figure.",
        "An episode is offered when an RHI covering it records an offer date or was completed or declined (only "
        "an offered interview can be); done when an RHI covering it was completed.",
        *([filters.base_note()] if filters.base_note() else []),
        "Percentages are to two decimals; a blank means there was nothing to divide by.",
    ], start=1):
        notes.cell(number, 1, text).font = Font(bold=number == 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@bp.route("/monthly")
@roles_required(*REPORT_ROLES)
def monthly_report():
    """The printable report for the panel: KPI table and charts, the cohort, interview themes, providers."""
    context = _report_context()
    db = get_db()
    context["themes"] = themes.interview_themes(db, context["first"], context["last"], context["filters"])
    context["age_bands"] = kpi.AGE_BANDS
    context["generated"] = now()
    audit.record(db, "report.monthly", username=g.user["username"], object_type="report", object_id="monthly",
                 detail=context["range_args"])
    return render_template("reports/monthly.html", **context)


@bp.route("/high-risk")
@roles_required(*REPORT_ROLES)
def high_risk():
    """The weekly high-risk list for senior managers (printable)."""
    db = get_db()
    result = reports_high_risk.high_risk(db)
    audit.record(db, "report.high_risk", username=g.user["username"], object_type="report", object_id="high_risk")
    return render_template("reports/high_risk.html", result=result, age_on=reports_high_risk.age_on,
                           today=result["at"].strftime("%Y-%m-%d"))


@bp.app_template_filter("month_name")
def month_name(value: str) -> str:
    """'2017-04' → 'April 2017'."""
    return kpi.month_name(value)


@bp.app_template_filter("chart_json")
def chart_json(value) -> str:
    """JSON safe to place inside a ``<script type="application/json">`` block."""
    return (json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@bp.app_template_global()
def hours_text(hours: float | None) -> str:
    """'2 days 5 hours' for how long a child has been missing."""
    if hours is None:
        return ""
    hours = max(0, int(hours))
    days, rest = divmod(hours, 24)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {rest} hour{'s' if rest != 1 else ''}"
    return f"{rest} hour{'s' if rest != 1 else ''}"
