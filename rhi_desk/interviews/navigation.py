"""Finding the way through an interview: which pages show, which are complete, the next and previous page, the task list."""
from __future__ import annotations

import json
from dataclasses import dataclass

from rhi_desk.interviews.questions import (
    COLUMN_KEYS,
    SECTION_OF,
    SECTIONS,
    Page,
    Question,
    Section,
)

# ---------------------------------------------------------------------------------------------
# Reading an RHI


def answers_of(rhi: dict) -> dict:
    """The RHI's answers as a dict (anything unreadable is treated as no answers)."""
    try:
        value = json.loads(rhi.get("answers") or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def facts(rhi: dict) -> dict:
    """Every answer of the RHI by question key: the answers JSON plus the offer and outcome columns."""
    values = answers_of(rhi)
    for key in COLUMN_KEYS:
        if rhi.get(key):
            values[key] = rhi[key]
    if not values.get("outcome") and rhi.get("outcome"):
        values["outcome"] = rhi["outcome"]
    if not values.get("not_done_code") and rhi.get("not_done_code"):
        values["not_done_code"] = rhi["not_done_code"]  # coded on the episode page (register.corrections)
    if values.get("outcome") != rhi.get("outcome"):
        # A new outcome chosen but its reason not yet given: the old reason no longer answers it.
        values.pop("outcome_reason", None)
        values.pop("attempts", None)
        values.pop("not_done_code", None)
    return values


def _holds(condition, values: dict) -> bool:
    if condition is None:
        return True
    key, op, expected = condition
    value = values.get(key)
    if op == "eq":
        return value == expected
    if op == "in":
        return value in expected
    if op == "nonempty":
        return bool(value) and value != ["none"]
    raise ValueError(op)


def visible_pages(rhi_or_values: dict) -> list[Page]:
    """The pages this interview asks, in order, given the answers so far (follow-ups only when called for)."""
    values = rhi_or_values if "rhi_id" not in rhi_or_values else facts(rhi_or_values)
    return [p for s in SECTIONS if _holds(s.show_if, values) for p in s.pages if _holds(p.show_if, values)]


def is_visible(rhi: dict, slug: str) -> bool:
    """Whether the page ``slug`` applies to this interview as answered so far."""
    return any(p.slug == slug for p in visible_pages(rhi))


def _answered(question: Question, values: dict) -> bool:
    if question.key not in values or values[question.key] is None:
        # The places, people and screening pages are optional: never in the way of signing off.
        return question.required is None and question.kind in ("rows", "checkboxes")
    value = values[question.key]
    if question.kind in ("checkboxes", "actions", "rows"):
        return isinstance(value, list)
    return value != "" or question.required is None


def page_complete(page_: Page, values: dict) -> bool:
    """True when every question on the page has been answered (optional ones at least seen)."""
    return all(_answered(q, values) for q in page_.questions)


def next_page(rhi: dict, slug: str | None) -> str | None:
    """The page after ``slug`` for this interview, or None when it is time to check answers."""
    pages = [p.slug for p in visible_pages(rhi)]
    if slug is None:
        return pages[0]
    if slug in pages:
        index = pages.index(slug)
        return pages[index + 1] if index + 1 < len(pages) else None
    # A page that no longer applies: carry on from the first unanswered page.
    return first_unanswered(rhi)


def previous_page(rhi: dict, slug: str) -> str | None:
    """The page before ``slug`` (for the back link), or None on the first page."""
    pages = [p.slug for p in visible_pages(rhi)]
    if slug in pages and pages.index(slug) > 0:
        return pages[pages.index(slug) - 1]
    return None


def first_unanswered(rhi: dict) -> str | None:
    """The first page still needing an answer, or None when everything is answered."""
    values = facts(rhi)
    for p in visible_pages(rhi):
        if not page_complete(p, values):
            return p.slug
    return None




@dataclass
class Task:
    """A line of the task list: a section and whether it is done."""

    section: Section
    status: str  # 'not_started', 'in_progress', 'completed'
    first_page: str
    resume_page: str

    @property
    def status_text(self) -> str:
        """Plain words for the status tag."""
        return {"not_started": "Not yet started", "in_progress": "In progress", "completed": "Completed"}[self.status]


def task_list(rhi: dict) -> list[Task]:
    """The sections this interview needs and which of them are done."""
    values = facts(rhi)
    pages = visible_pages(rhi)
    tasks = []
    for section in SECTIONS:
        mine = [p for p in pages if SECTION_OF[p.slug] is section]
        if not mine:
            continue
        done = [page_complete(p, values) for p in mine]
        touched = any(q.key in values for p in mine for q in p.questions)
        status = "completed" if all(done) else ("in_progress" if touched else "not_started")
        todo = next((p.slug for p, d in zip(mine, done) if not d), mine[0].slug)
        tasks.append(Task(section, status, mine[0].slug, todo))
    return tasks
