"""The check-answers summary and the printable record: each answer in words."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from rhi_desk.interviews.navigation import facts, page_complete, visible_pages
from rhi_desk.interviews.questions import REFERRALS, SECTION_OF, Page, Question

# ---------------------------------------------------------------------------------------------
# Showing answers


def display(question: Question, value) -> str:
    """An answer in plain words ('' when not answered)."""
    if value is None or value == "":
        return ""
    if question.kind == "datetime":
        return _when(value)
    if question.kind == "radios":
        return (question.choices or {}).get(value, str(value))
    if question.kind == "checkboxes":
        if not isinstance(value, list):
            return str(value)
        if not value or list(value) == list(question.none_stores):
            return REFERRALS["none"] if question.key == "referrals" else "None of these"
        return "\n".join((question.choices or {}).get(v, v) for v in value)
    if question.kind == "rows":
        if not value:
            return "None named"
        return "\n".join(row_in_words(question, row) for row in value)
    if question.kind == "actions":
        if not value:
            return "None"
        return "\n".join(f"{a.get('action', '')} – {a.get('owner', '')}, by {_day(a.get('due'))}"
                         + (" (done)" if a.get("done") else "") for a in value)
    return str(value)


def row_in_words(question: Question, row: dict) -> str:
    """One place or person as a line: 'Crown pub (CR0, shop or takeaway): sold them cigarettes'."""
    named = {name: (choices or {}).get(row.get(name), row.get(name) or "") for name, _l, choices in question.columns}
    first = named.get("name") or "Unknown"
    rest = [v for k, v in named.items() if k not in ("name", "details") and v]
    line = first + (f" ({', '.join(rest)})" if rest else "")
    return line + (f": {named['details']}" if named.get("details") else "")


def _when(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    hour = moment.strftime("%I").lstrip("0") or "12"
    return f"{moment.day} {moment:%B %Y}, {hour}:{moment:%M}{moment.strftime('%p').lower()}"


def _day(value: str | None) -> str:
    try:
        moment = date.fromisoformat(value or "")
    except ValueError:
        return value or ""
    return f"{moment.day} {moment:%B %Y}"


@dataclass
class SummaryRow:
    """One answer on the check-answers page."""

    key: str
    label: str
    value: str
    page: str


@dataclass
class SummarySection:
    """A section's answers on the check-answers page."""

    title: str
    rows: list[SummaryRow] = field(default_factory=list)


@dataclass
class CheckAnswers:
    """What the check-answers page shows: every answer by section, and what is still missing."""

    sections: list[SummarySection]
    missing: list[Page]

    @property
    def ready(self) -> bool:
        """True when every required answer is given and the interview can be signed off."""
        return not self.missing


def check_answers(rhi: dict) -> CheckAnswers:
    """Every answer of the interview, section by section, with the pages still needing answers."""
    values = facts(rhi)
    sections: dict[str, SummarySection] = {}
    missing = []
    for p in visible_pages(rhi):
        section = SECTION_OF[p.slug]
        block = sections.setdefault(section.slug, SummarySection(section.title))
        for q in p.questions:
            block.rows.append(SummaryRow(q.key, q.summary_label, display(q, values.get(q.key)), p.slug))
        if not page_complete(p, values):
            missing.append(p)
    return CheckAnswers(list(sections.values()), missing)
