"""Spot-purchased providers, for the commissioner who pays them: providers as records (name, contract, unit
price), and per provider per month the interviews assigned, offered within 72 hours, completed, declined, not
done and why, returned late, and the invoice list.

An interview is a provider's when it is assigned to the provider's name or to the field install enrolled under
that name. The month of the figures is the month the child returned; the invoice lists each interview held
in the month (dated by when it was held, not when the episode began), at the provider's agreed unit price.
An interview is *returned late* when it was signed off more than :data:`RETURN_DUE` after it was held.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal, InvalidOperation

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso, parse_minute
from rhi_desk.db import write_transaction
from rhi_desk.register.rhi_tracking import DEADLINE, OUTCOMES
from rhi_desk.register.rules import RegisterError
from rhi_desk.reports.kpi import months_between

RETURN_DUE = timedelta(days=5)


class ProviderError(RegisterError):
    """A problem with a provider's record; the message says what to do (``field`` names the question)."""


def price_pence(text: str | None) -> int:
    """'£185' or '185.50' → pence; a ProviderError for anything else."""
    try:
        value = Decimal((text or "").strip().lstrip("£").replace(",", ""))
    except InvalidOperation:
        raise ProviderError("Enter the unit price in pounds, for example 185 or 185.50", "unit_price") from None
    if value < 0 or value != value.quantize(Decimal("0.01")) or value > 100000:
        raise ProviderError("Enter the unit price in pounds, for example 185 or 185.50", "unit_price")
    return int(value * 100)


def pounds(pence: int | None) -> str:
    """12345 → '£123.45'."""
    return f"£{(pence or 0) / 100:,.2f}"


def save_provider(db: sqlite_utils.Database, name: str, *, contract: str | None, unit_price: str,
                  active: bool = True, provider_pk: int | None = None, by: str | None = None) -> dict:
    """Add a provider, or change one (``provider_pk``); audited."""
    name = (name or "").strip()
    if not name:
        raise ProviderError("Enter the provider's name", "name")
    if len(name) > 120:
        raise ProviderError("The provider's name must be 120 characters or fewer", "name")
    contract = (contract or "").strip()[:200] or None
    pence = price_pence(unit_price)
    stamp = now_iso()
    with write_transaction(db):
        same = list(db.query("select id from providers where name = ? collate nocase", [name]))
        if same and same[0]["id"] != provider_pk:
            raise ProviderError(f"There is already a provider called {name}", "name")
        if provider_pk is None:
            provider_pk = db.execute("insert into providers (name, contract, unit_price_pence, active, created_by, "
                                     "created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?)",
                                     [name, contract, pence, int(active), by, stamp, stamp]).lastrowid
            action = "provider.add"
        else:
            if get_provider(db, provider_pk) is None:
                raise ProviderError("That provider is not on the list")
            db.execute("update providers set name = ?, contract = ?, unit_price_pence = ?, active = ?, "
                       "updated_at = ? where id = ?", [name, contract, pence, int(active), stamp, provider_pk])
            action = "provider.change"
        audit.record(db, action, username=by, object_type="provider", object_id=provider_pk,
                     detail={"name": name, "contract": contract, "unit_price_pence": pence, "active": active})
    return get_provider(db, provider_pk)


def get_provider(db: sqlite_utils.Database, pk: int) -> dict | None:
    """One provider, or None."""
    rows = list(db.query("select * from providers where id = ?", [pk]))
    return rows[0] if rows else None


def providers(db: sqlite_utils.Database) -> list[dict]:
    """Every provider, by name."""
    return list(db.query("select * from providers order by active desc, name collate nocase"))


def _interviews(db, provider: dict) -> list[dict]:
    return list(db.query(
        "select r.id, r.rhi_id, r.offered_at, r.outcome, r.outcome_reason, r.completed_at, r.signed_off_at, "
        "c.child_id, c.name, (select max(e.\"end\") from rhi_episodes re join episodes e on e.id = re.episode "
        "where re.rhi = r.id) as returned, (select group_concat(e.episode_id, ' ') from rhi_episodes re "
        "join episodes e on e.id = re.episode where re.rhi = r.id) as episodes "
        "from return_home_interviews r join children c on c.id = r.child "
        "left join sync_installs s on s.install_id = r.assigned_install "
        "where r.interviewer_type = 'provider' and (r.assigned_to = :name collate nocase or s.name = :name "
        "collate nocase)", {"name": provider["name"]}))


def month_figures(db: sqlite_utils.Database, provider: dict, first: str, last: str) -> list[dict]:
    """The provider's figures for each month from ``first`` to ``last`` (month of the return)."""
    months = {m: {"month": m, "assigned": 0, "offered_in_72h": 0, "completed": 0, "declined": 0, "not_done": 0,
                  "not_done_why": Counter(), "returned_late": 0, "held": 0, "invoice_pence": 0}
              for m in months_between(first, last)}
    for r in _interviews(db, provider):
        month = (r["returned"] or "")[:7]
        if month in months:
            row = months[month]
            row["assigned"] += 1
            if r["offered_at"] and r["returned"] and parse_minute(r["offered_at"]) <= \
                    parse_minute(r["returned"]) + DEADLINE:
                row["offered_in_72h"] += 1
            if r["outcome"] == "completed":
                row["completed"] += 1
            elif r["outcome"] == "declined":
                row["declined"] += 1
            else:
                row["not_done"] += 1
                why = OUTCOMES.get(r["outcome"]) if r["outcome"] else "No outcome recorded yet"
                row["not_done_why"][f"{why}: {r['outcome_reason']}" if r["outcome_reason"] else why] += 1
        held = (r["completed_at"] or "")[:7] if r["outcome"] == "completed" else ""
        if held in months:
            months[held]["held"] += 1
            months[held]["invoice_pence"] += provider["unit_price_pence"]
            if r["signed_off_at"] and parse_minute(r["signed_off_at"][:16]) > \
                    parse_minute(r["completed_at"]) + RETURN_DUE:
                months[held]["returned_late"] += 1
    result = []
    for row in months.values():
        row["not_done_why"] = sorted(row["not_done_why"].items(), key=lambda kv: (-kv[1], kv[0]))
        result.append(row)
    return result


def invoice(db: sqlite_utils.Database, provider: dict, month: str) -> list[dict]:
    """One line per interview the provider held in ``month`` (by the date held), at its unit price."""
    months_between(month, month)
    lines = []
    for r in _interviews(db, provider):
        if r["outcome"] == "completed" and (r["completed_at"] or "")[:7] == month:
            lines.append({"held": r["completed_at"], "rhi_id": r["rhi_id"], "child_id": r["child_id"],
                          "episodes": r["episodes"] or "", "price_pence": provider["unit_price_pence"],
                          "returned_late": bool(r["signed_off_at"] and parse_minute(r["signed_off_at"][:16]) >
                                                parse_minute(r["completed_at"]) + RETURN_DUE)})
    return sorted(lines, key=lambda line: (line["held"], line["rhi_id"]))
