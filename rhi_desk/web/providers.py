"""Spot-purchased providers for the commissioner: the providers (name, contract, unit price), each one's
figures month by month, and the invoice list (on screen and as CSV). Thin views over
:mod:`rhi_desk.actions.providers`."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxInput, GovSubmitInput, GovTextInput
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import InputRequired

from rhi_desk import audit
from rhi_desk.actions import providers as domain
from rhi_desk.db import get_db
from rhi_desk.register.rules import RegisterError
from rhi_desk.reports import kpi
from rhi_desk.web.auth import refuse_off_hub, roles_required
from rhi_desk.web.forms import show_error

bp = Blueprint("providers", __name__)
CHANGE_ROLES = ("missing_team",)
READ_ROLES = ("missing_team", "manager")


bp.before_request(refuse_off_hub)  # the hub's own pages


@bp.app_template_filter("pounds")
def pounds(pence) -> str:
    """12345 → '£123.45'."""
    return domain.pounds(pence)


class ProviderForm(FlaskForm):
    name = StringField("Provider's name", widget=GovTextInput(),
                       description="As interviews are assigned to it, or as its field install is enrolled",
                       validators=[InputRequired(message="Enter the provider's name")])
    contract = StringField("Contract (optional)", widget=GovTextInput(), description="Its reference and term")
    unit_price = StringField("Agreed price per interview held (£)", widget=GovTextInput(),
                             validators=[InputRequired(message="Enter the unit price in pounds, for example 185")])
    active = BooleanField("Currently commissioned", widget=GovCheckboxInput(), default=True)
    submit = SubmitField("Save provider", widget=GovSubmitInput())


@bp.route("/providers")
@roles_required(*READ_ROLES)
def index():
    """The providers, with a month's figures for each."""
    db = get_db()
    month = request.args.get("month") or kpi.default_range(1)[0]
    try:
        kpi.parse_month(month)
    except kpi.KPIError as exc:
        flash(str(exc))
        return redirect(url_for("providers.index"))
    rows = [{**p, "figures": domain.month_figures(db, p, month, month)[0]} for p in domain.providers(db)]
    return render_template("providers/index.html", providers=rows, month=month,
                           can_change=g.user["role"] in ("admin",) + CHANGE_ROLES)


def _form_page(provider_pk=None):
    db = get_db()
    provider = domain.get_provider(db, provider_pk) if provider_pk else None
    if provider_pk and provider is None:
        abort(404)
    data = None
    if request.method == "GET" and provider:
        data = {**provider, "unit_price": f"{provider['unit_price_pence'] / 100:.2f}", "active": bool(provider["active"])}
    form = ProviderForm(data=data)
    if form.validate_on_submit():
        try:
            saved = domain.save_provider(db, form.name.data, contract=form.contract.data,
                                         unit_price=form.unit_price.data, active=form.active.data,
                                         provider_pk=provider_pk, by=g.user["username"])
        except RegisterError as exc:
            show_error(form, exc, {"name": "name", "unit_price": "unit_price"}, "name")
        else:
            flash(f"{saved['name']} saved.")
            return redirect(url_for("providers.index"))
    return render_template("providers/form.html", form=form, provider=provider)


@bp.route("/providers/new", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def add():
    """Add a spot-purchased provider."""
    return _form_page()


@bp.route("/providers/<int:pk>/edit", methods=["GET", "POST"])
@roles_required(*CHANGE_ROLES)
def edit(pk):
    """Change a provider's record."""
    return _form_page(pk)


@bp.route("/providers/<int:pk>")
@roles_required(*READ_ROLES)
def provider(pk):
    """One provider: twelve months of figures and the month's invoice list."""
    db = get_db()
    record = domain.get_provider(db, pk)
    if record is None:
        abort(404)
    month = request.args.get("month") or kpi.default_range(1)[0]
    try:
        months = kpi.months_between(month, month)
        first = _back(month, 11)
    except kpi.KPIError as exc:
        flash(str(exc))
        return redirect(url_for("providers.provider", pk=pk))
    audit.record(db, "provider.report", username=g.user["username"], object_type="provider", object_id=pk,
                 detail={"month": months[0]})
    return render_template("providers/provider.html", provider=record, month=month,
                           figures=domain.month_figures(db, record, first, month),
                           lines=domain.invoice(db, record, month))


def _back(month: str, n: int) -> str:
    year, number = int(month[:4]), int(month[5:7])
    total = year * 12 + number - 1 - n
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


@bp.route("/providers/<int:pk>/invoice.csv")
@roles_required(*READ_ROLES)
def invoice_csv(pk):
    """The month's invoice list as CSV, one line per interview held."""
    db = get_db()
    record = domain.get_provider(db, pk)
    if record is None:
        abort(404)
    month = request.args.get("month") or ""
    try:
        lines = domain.invoice(db, record, month)
    except kpi.KPIError as exc:
        flash(str(exc))
        return redirect(url_for("providers.provider", pk=pk))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["provider", "interview_held", "rhi_id", "child_id", "episodes", "unit_price", "returned_late"])
    for line in lines:
        writer.writerow([record["name"], line["held"], line["rhi_id"], line["child_id"], line["episodes"],
                         f"{line['price_pence'] / 100:.2f}", "yes" if line["returned_late"] else "no"])
    writer.writerow(["total", "", "", "", f"{len(lines)} interviews",
                     f"{sum(line['price_pence'] for line in lines) / 100:.2f}", ""])
    audit.record(db, "provider.invoice", username=g.user["username"], object_type="provider", object_id=pk,
                 detail={"month": month, "lines": len(lines)})
    name = f"invoice-{record['name'].replace(' ', '-')}-{month}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
