"""Reading one page's form fields into answers, with a sentence for each problem."""
from __future__ import annotations

import re
from datetime import date, datetime

from rhi_desk.clock import now_minute, parse_time
from rhi_desk.interviews.questions import (
    LONG_TEXT,
    REFERRALS,
    SHORT_TEXT,
    InterviewError,
    Page,
    Question,
)

# ---------------------------------------------------------------------------------------------
# Cleaning what was typed


def _one(fields: dict, name: str) -> str:
    value = fields.get(name)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return "" if value is None else str(value)


def _many(fields: dict, name: str) -> list[str]:
    value = fields.get(name)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)] if value != "" else []


def _parse_date(day: str, month: str, year: str) -> date | None:
    try:
        year_n = int(year)
        if year_n < 1900:
            return None
        return date(year_n, int(month), int(day))
    except (TypeError, ValueError):
        return None


def datetime_parts(value: str | None) -> dict:
    """A stored 'YYYY-MM-DD HH:MM' split into the day, month, year and time boxes."""
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        return {"day": "", "month": "", "year": "", "time": ""}
    return {"day": str(moment.day), "month": str(moment.month), "year": str(moment.year),
            "time": moment.strftime("%H:%M")}


def _clean_datetime(q: Question, fields: dict) -> str:
    direct = _one(fields, q.key).strip()
    if direct:
        try:
            return datetime.fromisoformat(direct.replace("T", " ")).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            raise ValueError(f"{q.required or 'Enter the date'} as day, month and year") from None
    day, month, year = (_one(fields, f"{q.key}-{p}").strip() for p in ("day", "month", "year"))
    time_text = _one(fields, f"{q.key}-time").strip()
    if not (day or month or year or time_text):
        raise ValueError(q.required)
    if not (day and month and year):
        raise ValueError(f"{q.required}, with the day, month and year")
    moment = _parse_date(day, month, year)
    if moment is None:
        raise ValueError("Enter a real date, for example 27 3 2026")
    if not time_text:
        raise ValueError("Enter the time, for example 14:05")
    parsed = parse_time(time_text)
    if parsed is None:
        raise ValueError("Enter a real time, for example 14:05 or 2:05pm")
    value = f"{moment.isoformat()} {parsed}"
    if value > now_minute():
        raise ValueError("The date and time must be in the past")
    return value


def _clean_actions(q: Question, fields: dict) -> list[dict]:
    if isinstance(fields.get(q.key), list) and all(isinstance(a, dict) for a in fields[q.key]):
        rows = [dict(a) for a in fields[q.key]]
        for a in rows:
            if not (a.get("action") and a.get("owner") and a.get("due")):
                raise ValueError("Give each action, who will do it and by when")
            a["done"] = bool(a.get("done"))
        return rows
    rows = []
    numbers = sorted({int(m.group(1)) for name in fields for m in [re.match(r"^action-(\d+)$", name)] if m})
    for n in numbers:
        action = _one(fields, f"action-{n}").strip()
        owner = _one(fields, f"owner-{n}").strip()
        parts = [_one(fields, f"due-{n}-{p}").strip() for p in ("day", "month", "year")]
        if not (action or owner or any(parts)):
            continue
        if not action:
            raise ValueError(f"Enter what action {n} is")
        if not owner:
            raise ValueError(f"Enter who will do action {n}")
        if not all(parts):
            raise ValueError(f"Enter the date action {n} is due, with the day, month and year")
        due = _parse_date(*parts)
        if due is None:
            raise ValueError(f"Enter a real due date for action {n}, for example 27 3 2026")
        if len(action) > SHORT_TEXT * 2 or len(owner) > SHORT_TEXT:
            raise ValueError(f"Action {n} is too long; keep it to one sentence")
        rows.append({"action": action, "owner": owner, "due": due.isoformat(),
                     "done": _one(fields, f"done-{n}") in ("1", "true", "yes")})
    return rows


def _clean_rows(q: Question, fields: dict) -> list[dict]:
    """Rows of places or people: a row with any box filled is kept; every box is optional ("unknown")."""
    names = [name for name, _label, _choices in q.columns]
    if isinstance(fields.get(q.key), list) and all(isinstance(r, dict) for r in fields[q.key]):
        given = [{n: str(r.get(n) or "").strip() for n in names} for r in fields[q.key]]
    else:
        numbers = sorted({int(m.group(1)) for name in fields
                          for m in [re.match(rf"^{re.escape(q.key)}-(\d+)-", name)] if m})
        given = [{n: _one(fields, f"{q.key}-{k}-{n}").strip() for n in names} for k in numbers]
    rows = []
    for n, row in enumerate(given, start=1):
        if not any(row.values()):
            continue
        for name, label, choices in q.columns:
            if choices is not None and row[name] and row[name] not in choices:
                raise ValueError(f"Choose the {label.lower()} in row {n} from the list")
            limit = LONG_TEXT if name == "details" else SHORT_TEXT
            if len(row[name]) > limit:
                raise ValueError(f"{label} in row {n} must be {limit} characters or fewer")
        rows.append({k: v.replace("\r\n", "\n") for k, v in row.items()})
    return rows


def clean_question(q: Question, fields: dict):
    """The answer to ``q`` from the posted ``fields``; raises ValueError with what to do."""
    if q.kind == "rows":
        return _clean_rows(q, fields)
    if q.kind == "datetime":
        return _clean_datetime(q, fields)
    if q.kind == "actions":
        return _clean_actions(q, fields)
    if q.kind == "checkboxes":
        chosen = _many(fields, q.key)
        if not chosen:
            if q.required:
                raise ValueError(q.required)
            return []
        if q.none_option and q.none_option in chosen:
            if len(chosen) > 1:
                raise ValueError(f"Select '{_none_label(q)}', or select the ones that apply, not both")
            return list(q.none_stores)
        unknown = [c for c in chosen if c not in (q.choices or {})]
        if unknown:
            raise ValueError(q.required or "Select from the list")
        # Keep the order of the list, not the order clicked.
        return [c for c in q.choices if c in chosen]
    value = _one(fields, q.key).strip()
    if q.kind == "radios":
        if value not in (q.choices or {}):
            raise ValueError(q.required or "Choose one of the options")
        return value
    if not value:
        if q.required:
            raise ValueError(q.required)
        return ""
    if q.max_chars and len(value) > q.max_chars:
        raise ValueError(f"{q.summary_label} must be {q.max_chars} characters or fewer")
    return value.replace("\r\n", "\n")


def _none_label(q: Question) -> str:
    return REFERRALS["none"] if q.key == "referrals" else "None of these"


def none_label(q: Question) -> str:
    """The words of a checkbox question's exclusive 'none' choice."""
    return _none_label(q)


def clean_page(page_: Page, fields: dict) -> dict:
    """Every answer on ``page_`` from the posted ``fields``; raises InterviewError listing each problem."""
    values, errors = {}, {}
    for q in page_.questions:
        try:
            values[q.key] = clean_question(q, fields)
        except ValueError as exc:
            errors[q.key] = str(exc)
    if errors:
        raise InterviewError(next(iter(errors.values())), errors)
    return values
