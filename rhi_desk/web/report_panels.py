"""The dashboard's tables and chart panels for the templates, and each table as CSV or an Excel workbook.

Every table on the dashboard has a name (its address: ``/reports/tables/<name>.csv``), a caption, headings
and rows of cells (text and the address of the records behind it). A chart panel joins a chart of
:mod:`rhi_desk.reports.charts` to its table, its drill-down and its downloads.
"""
from __future__ import annotations

import csv
import io
import re

from flask import url_for

from rhi_desk.clock import now
from rhi_desk.reports import charts, kpi


def _cell(text, href=None) -> dict:
    return {"text": text, "href": href}


def interviewer_rows(beyond_view: dict) -> list[dict]:
    """Who interviewed as rows of cells (interviews, offered, completed, episodes covered)."""
    return [{"label": r["label"], "cells": [_cell(f"{r[k]:,}", r["href"]) for k in
                                            ("interviews", "offered", "completed", "episodes")]}
            for r in beyond_view["interviewers"]]


def provider_rows(beyond_view: dict) -> list[dict]:
    """Spot-purchased providers as rows of cells."""
    return [{"label": r["provider"], "cells": [_cell(f"{r[k]:,}", r["href"]) for k in
                                               ("interviews", "completed", "episodes")]}
            for r in beyond_view["providers"]]


def dashboard_tables(context: dict) -> dict:
    """Every table of the dashboard by name: caption, headings, rows and the heading of the label column."""
    headings, view = context["headings"], context["beyond"]
    monthly = {
        "seed": ("Return home interviews: the scrutiny committee’s table", context["table"]),
        "held": ("Interviews held and the episodes they cover", context["held"]),
        "offer": ("When the RHI was offered", view["offer"]),
        "completion": ("When the RHI was completed", view["completion"]),
        "why": ("Missing episodes without a completed RHI, by the reason", view["why"]),
        "placement": ("Missing episodes of looked-after children, offers and RHIs done, by placement",
                      view["placement"]),
        "ages": ("Missing episodes by age at the start of the episode", view["age_episodes"]),
        "ages_children": ("Children who went missing, by age at the start of the episode", view["age_children"]),
        "repeat": ("Repeat-missing children", view["repeat"]),
        "away_ola": ("Away and OLA episodes", view["away_ola"]),
    }
    tables = {name: {"name": name, "caption": caption, "headings": headings, "rows": rows, "label_heading": ""}
              for name, (caption, rows) in monthly.items()}
    tables["interviewers"] = {"name": "interviewers", "label_heading": "Interviewer",
                              "caption": "Interviews covering these months’ missing episodes, by interviewer type",
                              "headings": ["Interviews", "Offered", "Completed", "Episodes covered"],
                              "rows": interviewer_rows(view)}
    tables["providers"] = {"name": "providers", "label_heading": "Provider", "caption": "Spot-purchased providers",
                           "headings": ["Interviews", "Completed", "Episodes covered"], "rows": provider_rows(view)}
    if context.get("year_on_year"):
        tables["year_on_year"] = {"name": "year_on_year", "label_heading": "",
                                  "caption": "Each month beside the same month a year earlier",
                                  "headings": headings, "rows": context["year_on_year"]}
    return tables


def chart_panels(context: dict, chart_list: list[charts.Chart]) -> list[dict]:
    """Each chart with its table, drill-down address and downloads."""
    tables, args = context["tables"], context["range_args"]
    panels = []
    for chart in chart_list:
        drill = None
        if chart.drill_metric and chart.drill_count != 0:
            drill_args = dict(args, metric=chart.drill_metric)
            if chart.drill_key:
                drill_args["key"] = chart.drill_key
            drill = url_for("reports.drill", **drill_args)
        panels.append({"chart": chart, "json": chart.as_json(), "table": tables[chart.table], "drill": drill,
                       "csv": url_for("reports.export_table", name=chart.table, fmt="csv", **args),
                       "xlsx": url_for("reports.export_table", name=chart.table, fmt="xlsx", **args)})
    return panels


def table_rows(table: dict) -> list[list[str]]:
    """A table as plain rows of text: the headings, then one row per figure."""
    out = [[table["label_heading"] or ""] + list(table["headings"])]
    for row in table["rows"]:
        out.append([row["label"]] + [cell["text"] for cell in row["cells"]])
    return out


def table_csv(table: dict) -> str:
    """A table as CSV text (with a byte-order mark, so Excel reads the £ and ½ right)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(table_rows(table))
    return "\ufeff" + out.getvalue()


NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")
PERCENT = re.compile(r"^-?[\d,]+(\.\d+)?%$")


def _value(text: str):
    """A cell's text as Excel should hold it: a count as a number, a rate as a percentage, blank as empty."""
    if text is None or text == "":
        return None, None
    if PERCENT.match(text):
        return float(text[:-1].replace(",", "")) / 100, "0.00%"
    if NUMBER.match(text):
        number = float(text.replace(",", ""))
        return (int(number), "#,##0") if number.is_integer() and "." not in text else (number, "0.00")
    return text, None


def table_xlsx(table: dict, period: str, description: str, council: str) -> bytes:
    """A table as an Excel workbook: title, what it covers, then the figures (numbers as numbers)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = (re.sub(r"[^A-Za-z0-9 ]", "", table["caption"])[:31] or "Table").strip()
    sheet["A1"] = table["caption"] + (f", {council}" if council else "")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = f"{period}. {description}. Produced by RHI Desk on {now():%d %B %Y at %H:%M}."
    rows = table_rows(table)
    first_row = 4
    for column, heading in enumerate(rows[0], start=1):
        cell = sheet.cell(first_row, column, heading)
        cell.font = Font(bold=True)
        if column > 1:
            cell.alignment = Alignment(horizontal="right")
    for offset, row in enumerate(rows[1:], start=1):
        sheet.cell(first_row + offset, 1, row[0])
        for column, text in enumerate(row[1:], start=2):
            value, number_format = _value(text)
            cell = sheet.cell(first_row + offset, column, value)
            if number_format:
                cell.number_format = number_format
    sheet.column_dimensions["A"].width = max(20, min(60, max(len(str(r[0])) for r in rows) + 2))
    for column in range(2, len(rows[0]) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 12
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def year_on_year_rows(rows: list[dict], earlier: list[dict], filters: kpi.Filters, drill_url) -> list[dict]:
    """Each month's figures beside the same month a year earlier, and the change."""
    out = []
    for key, label, kind, metric in (("episodes", "Missing episodes", "count", "episodes"),
                                     ("children_missing", "Children who went missing", "count", "children_missing"),
                                     ("offer_rate_children", "RHI % offer rate for children", "rate",
                                      "children_missing"),
                                     ("rhi_done_rate_episodes", "RHIs done % episodes", "rate", "episodes")):
        def text(value):
            return kpi.format_rate(value, True) if kind == "rate" else f"{value:,}"

        out.append({"label": label, "cells": [_cell(text(r[key]), drill_url(metric, r["month"], r["month"], filters))
                                              for r in rows]})
        out.append({"label": f"{label}, a year earlier",
                    "cells": [_cell(text(r[key]), drill_url(metric, r["month"], r["month"], filters))
                              for r in earlier]})
        changes = []
        for now_row, then_row in zip(rows, earlier):
            if now_row[key] is None or then_row[key] is None:
                changes.append(_cell(""))
            else:
                delta = now_row[key] - then_row[key]
                sign = "+" if delta > 0 else ""
                changes.append(_cell(f"{sign}{kpi.format_rate(delta)} points" if kind == "rate"
                                     else f"{sign}{delta:,}"))
        out.append({"label": f"{label}: change", "cells": changes})
    return out
