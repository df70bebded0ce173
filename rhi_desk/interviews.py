"""The guided return home interview: the questions, saving page by page, sign-off and corrections.

The questions are declared once, as data (:data:`SECTIONS`: section → pages → questions, with
conditions for follow-up pages). The pages, the check-answers summary, the printable report and
the made-up demo answers all read this one model. The offer and the outcome are recorded through
:mod:`rhi_desk.rhi_tracking`, so they mean the same here as on the register.

Answers live in ``return_home_interviews.answers`` (JSON, keys documented in :data:`ANSWER_KEYS`).
Text typed but not yet saved with Continue (the background save while typing) is kept apart in
``rhi_drafts``, so half-typed words never reach a report or another install.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlite_utils

from . import audit, rhi_tracking
from .clock import now, now_iso, now_minute, parse_time
from .db import write_transaction
from .rhi_tracking import OFFER_METHODS, OUTCOMES, RHIError

YES_NO = {"yes": "Yes", "no": "No"}
LONG_TEXT = 3000
SHORT_TEXT = 200
NOT_COMPLETED = ("declined", "unavailable", "missing_again")

PUSH_FACTORS = {
    "home": "Problems at home",
    "placement": "Unhappy in the placement",
    "school": "Problems at school or college",
    "bullying": "Bullying",
    "conflict": "Arguments or conflict with carers or family",
    "boundaries": "Rules or boundaries they did not agree with",
    "abuse": "Abuse or neglect",
    "mental_health": "Feeling low or their mental health",
    "other": "Something else",
}
PULL_FACTORS = {
    "friends": "To be with friends",
    "partner": "To be with a boyfriend or girlfriend",
    "family": "To see family",
    "parties": "Parties",
    "substances": "Drugs or alcohol",
    "money": "Money, gifts or things they were given",
    "adults": "Older people they met",
    "other": "Something else",
}
HARM_INDICATORS = {
    "cse": "Child sexual exploitation",
    "cce": "Child criminal exploitation",
    "county_lines": "County lines",
    "trafficking": "Trafficking",
    "gangs": "Gangs",
    "substance_misuse": "Substance misuse",
    "self_harm": "Self-harm",
    "mental_health": "Mental health",
}
RISK_LEVELS = {"low": "Low", "medium": "Medium", "high": "High"}
REFERRALS = {
    "police_intelligence": "Police intelligence form",
    "cse_cce_panel": "CSE or CCE panel",
    "health": "Health services",
    "early_help": "Early help",
    "camhs": "CAMHS",
    "substance_service": "Drug and alcohol service",
    "none": "No referrals",
}
FELT_MISSING = {"yes": "Yes", "no": "No", "not_sure": "Not sure"}
INTERVIEWER_TYPES = rhi_tracking.INTERVIEWER_TYPES


class InterviewError(Exception):
    """A problem with what was entered; ``errors`` maps each question's key to what to do."""

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message)
        self.errors = errors or {}


# ---------------------------------------------------------------------------------------------
# The question model


@dataclass(frozen=True)
class Question:
    """One question: its answer key, kind of input and what to say when it is missing."""

    key: str
    kind: str  # text, textarea, radios, checkboxes, datetime, actions
    label: str
    hint: str | None = None
    required: str | None = None  # the message when it is left blank; None = optional
    choices: dict | None = None
    none_option: str | None = None  # checkboxes: the exclusive "none of these" choice
    none_stores: tuple = ()  # what "none of these" is stored as
    max_chars: int | None = None
    label_short: str | None = None  # for the check-answers page

    @property
    def summary_label(self) -> str:
        """The question as shown on the check-answers page and the report."""
        return self.label_short or self.label


@dataclass(frozen=True)
class Page:
    """One page of the form: a question or a small group, shown when its condition holds."""

    slug: str
    title: str
    questions: tuple
    show_if: tuple | None = None  # (key, op, value): op 'eq', 'in', 'nonempty'
    hint: str | None = None


@dataclass(frozen=True)
class Section:
    """A group of pages on the task list."""

    slug: str
    title: str
    pages: tuple
    show_if: tuple | None = None


def _text(key, label, required=None, hint=None, short=None, max_chars=SHORT_TEXT):
    return Question(key, "text", label, hint=hint, required=required, max_chars=max_chars, label_short=short)


def _long(key, label, required=None, hint=None, short=None):
    return Question(key, "textarea", label, hint=hint, required=required, max_chars=LONG_TEXT, label_short=short)


def _radios(key, label, choices, required, hint=None, short=None):
    return Question(key, "radios", label, hint=hint, required=required, choices=choices, label_short=short)


COMPLETED = ("outcome", "eq", "completed")

SECTIONS: tuple[Section, ...] = (
    Section("about", "About the interview", (
        Page("offer", "The offer of an interview", (
            Question("offered_at", "datetime", "When was the interview offered?",
                     required="Enter the date the interview was offered", label_short="Offered"),
            _radios("offered_how", "How was it offered?", OFFER_METHODS, "Choose how the interview was offered",
                    short="How offered"),
            _text("offered_by", "Who offered it?", "Enter who offered the interview", short="Offered by"),
        )),
        Page("outcome", "What happened?", (
            _radios("outcome", "What happened?", OUTCOMES, "Choose what happened", short="Outcome"),
        )),
        Page("not_done", "Why the interview did not happen", (
            _long("outcome_reason", "Why did the interview not happen?", "Enter why the interview did not happen",
                  short="Why it did not happen"),
            _long("attempts", "What attempts were made to see the child?",
                  "Enter the attempts made to see the child",
                  hint="For example, dates of visits and calls", short="Attempts made"),
        ), show_if=("outcome", "in", NOT_COMPLETED)),
        Page("held", "When and where the interview was held", (
            Question("held_at", "datetime", "When was the interview held?",
                     required="Enter the date the interview was held", label_short="Held"),
            _text("place", "Where was it held?", "Enter where the interview was held",
                  hint="For example, at school, at home or at a café", short="Place"),
        ), show_if=COMPLETED),
        Page("interviewer", "Who held the interview", (
            _text("interviewer_name", "Interviewer's name", "Enter the interviewer's name"),
            _radios("interviewer_type", "Interviewer's role", INTERVIEWER_TYPES, "Choose the interviewer's role"),
        ), show_if=COMPLETED),
        Page("seen_alone", "Was the child seen alone?", (
            _radios("seen_alone", "Was the child seen alone?", YES_NO, "Choose yes if the child was seen alone"),
        ), show_if=COMPLETED),
        Page("who_present", "Who else was there?", (
            _text("who_present", "Who else was there?", "Enter who else was there during the interview"),
        ), show_if=("seen_alone", "eq", "no")),
        Page("confidentiality", "Confidentiality", (
            _radios("confidentiality_explained", "Did you explain confidentiality and when information is shared?",
                    YES_NO, "Choose yes if you explained confidentiality and information sharing",
                    short="Confidentiality explained"),
        ), show_if=COMPLETED),
    )),
    Section("while_missing", "While missing", (
        Page("where", "Where the child went", (
            _long("where_went", "Where did the child go?", "Enter where the child went",
                  hint="In their words if you can. Write 'Did not say' if they would not tell you.",
                  short="Where they went"),
            _text("where_area", "Area, borough or postcode district", hint="For example Croydon, or CR0",
                  short="Area"),
        )),
        Page("who_with", "Who the child was with", (
            _long("who_with", "Who was the child with?", "Enter who the child was with, or 'Did not say'",
                  short="Who with"),
        )),
        Page("travel", "Travel and what they did", (
            _long("travel", "How did they travel?", "Enter how the child travelled, or 'Did not say'",
                  short="Travel"),
            _long("activities", "What did they do?", "Enter what the child did, or 'Did not say'",
                  short="What they did"),
        )),
        Page("felt_missing", "Did they feel they were missing?", (
            _radios("felt_missing", "Did the child feel they were missing?", FELT_MISSING,
                    "Choose whether the child felt they were missing", short="Felt missing"),
        )),
    ), show_if=COMPLETED),
    Section("why", "Why", (
        Page("push", "What made them leave", (
            Question("push_factors", "checkboxes", "Did anything make them want to leave?",
                     hint="Select all that apply", required="Select what made them leave, or 'None of these'",
                     choices=PUSH_FACTORS, none_option="none", label_short="Push factors"),
        )),
        Page("pull", "What drew them away", (
            Question("pull_factors", "checkboxes", "Did anything draw them away?",
                     hint="Select all that apply", required="Select what drew them away, or 'None of these'",
                     choices=PULL_FACTORS, none_option="none", label_short="Pull factors"),
        )),
        Page("in_their_words", "In their words", (
            _long("in_their_words", "Why they went, in the child's own words",
                  "Enter why the child went, in their words", short="In their words"),
        )),
    ), show_if=COMPLETED),
    Section("harm", "Harm and risk", (
        Page("harm_suffered", "Harm", (
            _long("harm_suffered", "Was the child harmed while missing?",
                  "Enter any harm the child suffered, or 'None'",
                  hint="Describe any harm. Write 'None' if there was none.", short="Harm suffered"),
        )),
        Page("harm_indicators", "Signs of exploitation or risk", (
            Question("harm_indicators", "checkboxes", "Were there signs of any of these?",
                     hint="Select all that apply",
                     required="Select the signs you saw, or 'None of these'", choices=HARM_INDICATORS,
                     none_option="none", label_short="Signs of"),
        )),
        Page("harm_details", "About those signs", (
            _long("harm_details", "What did you find out about these concerns?",
                  "Enter what you found out about these concerns", short="About those signs"),
        ), show_if=("harm_indicators", "nonempty", None)),
        Page("police", "Police", (
            _radios("police_involved", "Were the police involved?", YES_NO,
                    "Choose yes if the police were involved", short="Police involved"),
        )),
        Page("police_details", "About the police involvement", (
            _long("police_details", "What did the police do?", "Enter what the police did",
                  hint="Include any crime reference number", short="What the police did"),
        ), show_if=("police_involved", "eq", "yes")),
        Page("risk_level", "Risk", (
            _radios("risk_level", "What is the risk to the child now?", RISK_LEVELS, "Choose the risk level",
                    short="Risk level"),
        )),
    ), show_if=COMPLETED),
    Section("voice", "The child's voice", (
        Page("what_would_help", "What would help", (
            _long("what_would_help", "What does the child say would help?", "Enter what the child says would help",
                  short="What would help"),
        )),
        Page("stop_it_happening", "Stopping it happening again", (
            _long("stop_it_happening", "What would stop it happening again?",
                  "Enter what the child says would stop it happening again", short="Stop it happening"),
        )),
        Page("anything_else", "Anything else", (
            _long("anything_else", "Is there anything else the child wants said? (optional)",
                  short="Anything else"),
        )),
    ), show_if=COMPLETED),
    Section("actions", "Actions", (
        Page("referrals", "Referrals", (
            Question("referrals", "checkboxes", "What referrals have you made?", hint="Select all that apply",
                     required="Select the referrals you made, or 'No referrals'",
                     choices={k: v for k, v in REFERRALS.items() if k != "none"}, none_option="none",
                     none_stores=("none",), label_short="Referrals"),
        )),
        Page("information_shared", "Information shared", (
            _long("information_shared", "What information have you shared, and with whom?",
                  "Enter what information you shared and with whom, or 'None'", short="Information shared"),
        )),
        Page("follow_up", "Follow-up actions", (
            Question("follow_up_actions", "actions", "Follow-up actions",
                     hint="Each action needs who will do it and by when. Leave a row blank if not needed.",
                     label_short="Follow-up actions"),
        )),
        Page("safety_advice", "Safety advice", (
            _radios("safety_advice_given", "Did you give safety advice and helpline numbers?", YES_NO,
                    "Choose yes if you gave safety advice", short="Safety advice given"),
        )),
    ), show_if=COMPLETED),
    Section("carers", "Information from carers", (
        Page("carers", "Information from carers instead", (
            _long("carers_information", "What did parents or carers tell you? (optional)",
                  hint="Where the child went, who with, any worries. Leave blank if nothing was given.",
                  short="Information from carers"),
        )),
    ), show_if=("outcome", "in", NOT_COMPLETED)),
)

PAGES: dict[str, Page] = {p.slug: p for s in SECTIONS for p in s.pages}
SECTION_OF: dict[str, Section] = {p.slug: s for s in SECTIONS for p in s.pages}
QUESTIONS: dict[str, Question] = {q.key: q for p in PAGES.values() for q in p.questions}
# Answers held in the RHI's own columns (via rhi_tracking), not in the answers JSON.
COLUMN_KEYS = ("offered_at", "offered_how", "offered_by", "outcome_reason", "attempts")
ANSWER_KEYS = tuple(k for k in QUESTIONS if k not in COLUMN_KEYS)
ACTION_ROWS_SPARE = 2


def page(slug: str) -> Page:
    """The page called ``slug``; raises InterviewError for an unknown page."""
    if slug not in PAGES:
        raise InterviewError("That page of the interview does not exist")
    return PAGES[slug]


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
    if values.get("outcome") != rhi.get("outcome"):
        # A new outcome chosen but its reason not yet given: the old reason no longer answers it.
        values.pop("outcome_reason", None)
        values.pop("attempts", None)
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
        return False
    value = values[question.key]
    if question.kind in ("checkboxes", "actions"):
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


def resume_page(db: sqlite_utils.Database, rhi: dict) -> str | None:
    """Where the practitioner carries on: the page they were typing on, else the next unanswered page."""
    if rhi["status"] == "signed_off":
        return None
    if rhi.get("resume_at") and rhi["resume_at"] in PAGES and is_visible(rhi, rhi["resume_at"]):
        if draft_for(db, rhi, rhi["resume_at"]) is not None:
            return rhi["resume_at"]
        if not page_complete(PAGES[rhi["resume_at"]], facts(rhi)):
            return rhi["resume_at"]
    return first_unanswered(rhi)


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
    if question.kind == "actions":
        if not value:
            return "None"
        return "\n".join(f"{a.get('action', '')} – {a.get('owner', '')}, by {_day(a.get('due'))}"
                         + (" (done)" if a.get("done") else "") for a in value)
    return str(value)


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


def clean_question(q: Question, fields: dict):
    """The answer to ``q`` from the posted ``fields``; raises ValueError with what to do."""
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


# ---------------------------------------------------------------------------------------------
# Saving


def _require(db, rhi_id: str) -> dict:
    rhi = rhi_tracking.get_rhi(db, rhi_id)
    if rhi is None:
        raise InterviewError("That interview could not be found; it may have been removed")
    return rhi


def _refuse_if_signed_off(rhi: dict) -> None:
    if rhi["status"] == "signed_off":
        raise InterviewError("This interview is signed off and read-only. Make a correction to change it.")


def _write_answers(db, rhi: dict, answers: dict, *, resume_at: str | None) -> None:
    db.execute("update return_home_interviews set answers = ?, resume_at = coalesce(?, resume_at), "
               "status = case when status = 'open' then 'draft' else status end, updated_at = ? where id = ?",
               [json.dumps(answers, ensure_ascii=False, sort_keys=True), resume_at, now_iso(), rhi["id"]])


def save_page(db: sqlite_utils.Database, rhi_id: str, page_slug: str, answers: dict, *, by: str | None) -> dict:
    """Check and save one page's answers (raw form fields), remembering it as the place to resume.

    Raises InterviewError (with ``errors`` by question) when something needs fixing; what was
    typed is then kept as a draft of the page so nothing is lost.
    """
    p = page(page_slug)
    rhi = _require(db, rhi_id)
    _refuse_if_signed_off(rhi)
    try:
        values = clean_page(p, answers)
        with write_transaction(db):
            _apply(db, rhi, p, values, by=by)
            db.execute("delete from rhi_drafts where rhi = ? and page = ?", [rhi["id"], p.slug])
    except InterviewError:
        autosave(db, rhi_id, page_slug, answers, by=by)
        raise
    except RHIError as exc:
        autosave(db, rhi_id, page_slug, answers, by=by)
        raise InterviewError(str(exc), {_field_for(p, str(exc)): str(exc)}) from None
    return rhi_tracking.get_rhi(db, rhi_id)


def _field_for(p: Page, message: str) -> str:
    text = message.lower()
    for q in p.questions:
        if q.kind == "datetime" and ("date" in text or "held" in text or "offer" in text):
            return q.key
    return p.questions[0].key


def _apply(db, rhi: dict, p: Page, values: dict, *, by: str | None) -> None:
    answers = answers_of(rhi)
    if p.slug == "offer":
        rhi_tracking.record_offer(db, rhi["rhi_id"], values["offered_at"], values["offered_how"],
                                  values["offered_by"], by=by)
    elif p.slug == "outcome":
        answers["outcome"] = values["outcome"]
        if values["outcome"] == "completed":
            held = answers.get("held_at")
            rhi_tracking.record_outcome(db, rhi["rhi_id"], "completed",
                                        completed_at=held if held and held >= (rhi["offered_at"] or "") else None,
                                        by=by)
    elif p.slug == "not_done":
        outcome = answers.get("outcome") or rhi["outcome"]
        if outcome not in NOT_COMPLETED:
            raise InterviewError("Choose what happened first", {"outcome_reason": "Choose what happened first"})
        rhi_tracking.record_outcome(db, rhi["rhi_id"], outcome, reason=values["outcome_reason"],
                                    attempts=values["attempts"], by=by)
    else:
        answers.update(values)
        if p.slug == "held":
            rhi_tracking.record_outcome(db, rhi["rhi_id"], "completed", completed_at=values["held_at"], by=by)
    fresh = rhi_tracking.get_rhi(db, rhi["rhi_id"])
    _write_answers(db, fresh, answers, resume_at=p.slug)
    audit.record(db, "rhi.save_page", username=by, object_type="rhi", object_id=rhi["rhi_id"],
                 detail={"page": p.slug})


def autosave(db: sqlite_utils.Database, rhi_id: str, page_slug: str, partial_answers: dict, *,
             by: str | None) -> None:
    """Keep what is typed on a page as a draft, unchecked (the background save while typing)."""
    if page_slug not in PAGES:
        raise InterviewError("That page of the interview does not exist")
    rhi = _require(db, rhi_id)
    _refuse_if_signed_off(rhi)
    fields = {k: (list(v) if isinstance(v, (list, tuple)) else [v]) for k, v in partial_answers.items()
              if k not in ("csrf_token", "submit", "_autosave") and not k.startswith("_")}
    with write_transaction(db):
        db.execute("insert into rhi_drafts (rhi, page, fields_json, saved_by, saved_at) values (?, ?, ?, ?, ?) "
                   "on conflict (rhi, page) do update set fields_json = excluded.fields_json, "
                   "saved_by = excluded.saved_by, saved_at = excluded.saved_at",
                   [rhi["id"], page_slug, json.dumps(fields, ensure_ascii=False), by, now_iso()])
        db.execute("update return_home_interviews set resume_at = ?, "
                   "status = case when status = 'open' then 'draft' else status end, updated_at = ? where id = ?",
                   [page_slug, now_iso(), rhi["id"]])


def draft_for(db: sqlite_utils.Database, rhi: dict, page_slug: str) -> dict | None:
    """What was typed on a page but not yet saved (field name → list of values), or None."""
    rows = list(db.query("select fields_json from rhi_drafts where rhi = ? and page = ?", [rhi["id"], page_slug]))
    return json.loads(rows[0]["fields_json"]) if rows else None


def form_values(db: sqlite_utils.Database, rhi: dict, page_slug: str) -> dict:
    """What to show in a page's boxes: the draft if one is waiting, else the saved answers as form fields."""
    draft = draft_for(db, rhi, page_slug)
    if draft is not None:
        return draft
    values = facts(rhi)
    fields: dict[str, list[str]] = {}
    for q in page(page_slug).questions:
        value = values.get(q.key)
        if value is None:
            continue
        if q.kind == "datetime":
            for part, text in datetime_parts(value).items():
                fields[f"{q.key}-{part}"] = [text]
        elif q.kind == "checkboxes":
            fields[q.key] = ([q.none_option] if value == list(q.none_stores) else list(value))
        elif q.kind == "actions":
            for n, a in enumerate(value or [], start=1):
                fields[f"action-{n}"] = [a.get("action", "")]
                fields[f"owner-{n}"] = [a.get("owner", "")]
                due = (a.get("due") or "").split("-")
                if len(due) == 3:
                    fields[f"due-{n}-year"], fields[f"due-{n}-month"], fields[f"due-{n}-day"] = (
                        [due[0]], [str(int(due[1]))], [str(int(due[2]))])
                if a.get("done"):
                    fields[f"done-{n}"] = ["1"]
        else:
            fields[q.key] = [str(value)]
    return fields


def action_rows(values: dict) -> int:
    """How many rows the follow-up actions page shows: those filled in plus two spare."""
    numbers = [int(m.group(1)) for name in values for m in [re.match(r"^action-(\d+)$", name)] if m]
    return max(numbers, default=0) + ACTION_ROWS_SPARE


# ---------------------------------------------------------------------------------------------
# Sign-off, corrections, revisions

DECLARATION = ("I confirm this is a true record of the interview (or of why it did not happen), "
               "written as soon as I could after it.")


def sign_off(db: sqlite_utils.Database, rhi_id: str, *, by: str, declaration: bool | str) -> dict:
    """Sign off the interview: records who and when; afterwards it is read-only."""
    rhi = _require(db, rhi_id)
    _refuse_if_signed_off(rhi)
    if not declaration or declaration in ("", "0", "no", "false"):
        message = "Confirm the declaration to sign off"
        raise InterviewError(message, {"declaration": message})
    summary = check_answers(rhi)
    if summary.missing:
        first = summary.missing[0]
        raise InterviewError(f"Answer '{first.title}' before signing off",
                             {"declaration": f"Answer '{first.title}' before signing off"})
    values = facts(rhi)
    if values.get("outcome") != rhi["outcome"]:
        raise InterviewError("Answer why the interview did not happen before signing off",
                             {"declaration": "Answer why the interview did not happen before signing off"})
    keep = {q.key for p in visible_pages(rhi) for q in p.questions if q.key not in COLUMN_KEYS}
    # Answers to follow-up questions that no longer apply are dropped, so the record says one thing.
    answers = {k: v for k, v in answers_of(rhi).items() if k in keep}
    stamp = now_minute()
    with write_transaction(db):
        db.execute("update return_home_interviews set answers = ?, status = 'signed_off', signed_off_by = ?, "
                   "signed_off_at = ?, resume_at = null, updated_at = ? where id = ?",
                   [json.dumps(answers, ensure_ascii=False, sort_keys=True), by, stamp, now_iso(), rhi["id"]])
        db.execute("delete from rhi_drafts where rhi = ?", [rhi["id"]])
        audit.record(db, "rhi.sign_off", username=by, object_type="rhi", object_id=rhi_id,
                     detail={"revision": rhi["revision"], "outcome": rhi["outcome"]})
    return rhi_tracking.get_rhi(db, rhi_id)


def correct(db: sqlite_utils.Database, rhi_id: str, reason: str, changes: dict, *, by: str) -> dict:
    """Correct a signed-off interview: a new revision with a reason; the earlier one kept read-only.

    ``changes`` holds answers by key (or the raw fields of one page). Only answers in the
    interview's own JSON can be corrected; the offer and outcome are changed on the register.
    """
    rhi = _require(db, rhi_id)
    if rhi["status"] != "signed_off":
        raise InterviewError("Only a signed-off interview is corrected; change the answers directly instead")
    values = facts(rhi)
    answers = answers_of(rhi)
    errors, cleaned = {}, {}
    # Every page, not only those asked so far: a corrected answer may call for a new follow-up.
    for p in PAGES.values():
        touched = [q for q in p.questions if q.key in changes or any(n.startswith(q.key + "-") for n in changes)
                   or (q.kind == "actions" and any(n.startswith("action-") for n in changes))]
        for q in touched:
            if q.key in COLUMN_KEYS or q.key == "outcome":
                errors[q.key] = "The offer and outcome cannot be corrected here; ask the missing team"
                continue
            try:
                cleaned[q.key] = clean_question(q, changes)
            except ValueError as exc:
                errors[q.key] = str(exc)
    # Follow-up answers count only where the corrected answers call for them.
    asked = {q.key for p in visible_pages(dict(rhi, answers=json.dumps(dict(answers, **cleaned))))
             for q in p.questions}
    errors = {k: v for k, v in errors.items() if k in asked or k in COLUMN_KEYS or k == "outcome"}
    cleaned = {k: v for k, v in cleaned.items() if k in asked}
    if not (reason or "").strip():
        errors["reason"] = "Enter why you are making this correction"
    if errors:
        raise InterviewError(next(iter(errors.values())), errors)
    changed = {k: v for k, v in cleaned.items() if values.get(k) != v}
    if not changed:
        raise InterviewError("Change at least one answer, or cancel the correction",
                             {next(iter(cleaned), "reason"): "Change at least one answer, or cancel the correction"})
    answers.update(changed)
    new_rhi = dict(rhi, answers=json.dumps(answers))
    keep = {q.key for p in visible_pages(new_rhi) for q in p.questions if q.key not in COLUMN_KEYS}
    missing = check_answers(new_rhi).missing
    if missing:
        raise InterviewError(f"Answer '{missing[0].title}' as well",
                             {missing[0].questions[0].key: f"Answer '{missing[0].title}' as well"})
    answers = {k: v for k, v in answers.items() if k in keep}
    stamp = now_iso()
    with write_transaction(db):
        db.execute("insert into rhi_revisions (rhi, revision, snapshot, reason, created_by, created_at) "
                   "values (?, ?, ?, ?, ?, ?)",
                   [rhi["id"], rhi["revision"], json.dumps(rhi, ensure_ascii=False, default=str),
                    reason.strip(), by, stamp])
        db.execute("update return_home_interviews set answers = ?, revision = revision + 1, updated_at = ? "
                   "where id = ?", [json.dumps(answers, ensure_ascii=False, sort_keys=True), stamp, rhi["id"]])
        audit.record(db, "rhi.correct", username=by, object_type="rhi", object_id=rhi_id,
                     detail={"revision": rhi["revision"] + 1, "reason": reason.strip(),
                             "changed": sorted(changed)})
    return rhi_tracking.get_rhi(db, rhi_id)


def follow_up_pages(slug: str) -> list[Page]:
    """Pages asked only because of an answer on page ``slug`` (corrected together with it)."""
    keys = {q.key for q in page(slug).questions}
    return [p for p in PAGES.values() if p.show_if and p.show_if[0] in keys]


@dataclass
class Revision:
    """One revision of a signed-off interview: the record as it was, and why it was replaced."""

    number: int
    record: dict
    current: bool
    replaced_reason: str | None = None
    replaced_by: str | None = None
    replaced_at: str | None = None


def revisions(db: sqlite_utils.Database, rhi_id: str) -> list[Revision]:
    """Every revision of the interview, newest first; the first is the current record."""
    rhi = _require(db, rhi_id)
    result = [Revision(rhi["revision"], rhi, True)]
    for row in db.query("select * from rhi_revisions where rhi = ? order by revision desc", [rhi["id"]]):
        try:
            record = json.loads(row["snapshot"])
        except ValueError:
            record = {}
        result.append(Revision(row["revision"], record, False, row["reason"], row["created_by"], row["created_at"]))
    return result


def revision(db: sqlite_utils.Database, rhi_id: str, number: int) -> Revision | None:
    """One revision of the interview by number, or None."""
    return next((r for r in revisions(db, rhi_id) if r.number == number), None)


# ---------------------------------------------------------------------------------------------
# The practitioner's list


def can_see(user: dict, rhi: dict, install: dict | None) -> bool:
    """Whether ``user`` may open this interview: their own, or any on a hub for the missing team."""
    if install and install["role"] == "field":
        return True
    role = user["role"]
    if role in ("admin", "missing_team", "manager"):
        return True
    mine = {(user["username"] or "").lower(), (user.get("display_name") or "").lower()}
    if role == "provider" and user.get("organisation"):
        mine.add(user["organisation"].lower())
    return (rhi.get("assigned_to") or "").lower() in mine - {""}


def can_change(user: dict, rhi: dict, install: dict | None) -> bool:
    """Whether ``user`` may fill in or correct this interview (managers only read)."""
    return user["role"] != "manager" and can_see(user, rhi, install)


def my_interviews(db: sqlite_utils.Database, user: dict, install: dict | None) -> list[dict]:
    """The interviews this user works on, most urgent first, each with child, episodes and the 72-hour clock."""
    where, params = [], []
    hub = install is not None and install["role"] == "hub"
    if hub and user["role"] in ("practitioner", "provider"):
        names = [user["username"], user.get("display_name") or user["username"]]
        if user["role"] == "provider" and user.get("organisation"):
            names.append(user["organisation"])
        where.append(f"lower(r.assigned_to) in ({','.join('?' * len(names))})")
        params += [n.lower() for n in names]
    elif hub:
        # The missing team's own interviews and any in progress: never the whole register's open RHIs,
        # which on a hub with years of imported history run to hundreds of thousands.
        where.append("r.status != 'signed_off' and (r.status = 'draft' or lower(r.assigned_to) in (?, ?))")
        params += [user["username"].lower(), (user.get("display_name") or user["username"]).lower()]
    sql = ("select r.*, c.child_id as child_ref, c.name as child_name, c.date_of_birth as child_dob "
           "from return_home_interviews r join children c on c.id = r.child")
    if where:
        sql += " where " + " and ".join(where)
    sql += " order by r.id"
    rows = list(db.query(sql, params))
    if not rows:
        return []
    episodes: dict[int, list[dict]] = {}
    ids = [r["id"] for r in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for e in db.query(f"select re.rhi, e.* from rhi_episodes re join episodes e on e.id = re.episode "
                          f"where re.rhi in ({','.join('?' * len(chunk))}) order by e.start", chunk):
            episodes.setdefault(e["rhi"], []).append(e)
    at = now()
    result = []
    for r in rows:
        covered = episodes.get(r["id"], [])
        ends = [e["end"] for e in covered if e["end"]]
        returned = max(ends) if ends else None
        clk = rhi_tracking.clock(returned, r["offered_at"], at=at)
        result.append({**r, "child": {"child_id": r["child_ref"], "name": r["child_name"],
                                      "date_of_birth": r["child_dob"]},
                       "episodes": covered, "returned": returned, "clock": clk,
                       "hours_left": clk.hours_left})
    order = {"draft": 0, "open": 1, "signed_off": 2}
    result.sort(key=lambda r: (order[r["status"]], r["clock"].deadline or datetime.max,
                               -(r["id"]) if r["status"] == "signed_off" else r["id"]))
    return result


# ---------------------------------------------------------------------------------------------
# Made-up answers (demo and sync tests)

_MADE_UP = {
    "place": "At the child's school, in a quiet room",
    "seen_alone": "yes",
    "confidentiality_explained": "yes",
    "where_went": "Stayed at a friend's flat in town and walked around the shopping centre (made up)",
    "where_area": "Croydon CR0",
    "who_with": "Two friends from school and an older boy they met that week (made up)",
    "travel": "By bus, using a pass an older boy bought",
    "activities": "Hung around the shopping centre, stayed up late at the flat",
    "felt_missing": "not_sure",
    "push_factors": ["conflict", "boundaries"],
    "pull_factors": ["friends", "adults"],
    "in_their_words": "\"I just needed a break from everyone telling me what to do.\" (made up)",
    "harm_suffered": "No physical harm described. Was tired and hungry. (made up)",
    "harm_indicators": ["cce", "substance_misuse"],
    "harm_details": "Was given cannabis and asked to carry a bag for the older boy (made up)",
    "police_involved": "yes",
    "police_details": "Police found the child and took them home; reference made up 01/2345",
    "risk_level": "medium",
    "what_would_help": "More time with their older sister; a say in house rules (made up)",
    "stop_it_happening": "Being listened to at home, and someone to talk to at school",
    "anything_else": "",
    "referrals": ["police_intelligence", "early_help"],
    "information_shared": "Police intelligence about the older boy shared with the local police team",
    "safety_advice_given": "yes",
}


def complete_with_made_up_answers(db: sqlite_utils.Database, rhi_id: str, *, by: str) -> dict:
    """Fill every section with plausible made-up answers, record the offer and outcome if missing, sign off."""
    rhi = _require(db, rhi_id)
    if rhi["status"] == "signed_off":
        return rhi
    episodes = rhi_tracking.episodes_of(db, rhi["id"])
    moment = now()
    returned = (max((e["end"] for e in episodes if e["end"]), default=None)
                or (episodes[-1]["start"] if episodes else (moment - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")))
    later = datetime.fromisoformat(returned) + timedelta(hours=20)
    offered = min(datetime.fromisoformat(returned) + timedelta(hours=2), moment)
    held = min(later, moment)
    offered_at = rhi["offered_at"] or offered.strftime("%Y-%m-%d %H:%M")
    if episodes:  # an imported offer holds the day only (00:00), which may fall before the child went missing
        offered_at = max(offered_at, min(e["start"] for e in episodes))
    held_at = max(held.strftime("%Y-%m-%d %H:%M"), offered_at[:16])
    with write_transaction(db):
        if not (rhi["offered_at"] and rhi["offered_how"] and rhi["offered_by"]):
            rhi_tracking.record_offer(db, rhi_id, offered_at, rhi["offered_how"] or "phone",
                                      rhi["offered_by"] or "Demo worker", by=by)
        completed = rhi["outcome"] in (None, "completed")
        answers = answers_of(rhi)
        if completed:
            rhi_tracking.record_outcome(db, rhi_id, "completed", completed_at=held_at, by=by)
            answers.update(_MADE_UP)
            answers.update({
                "outcome": "completed", "held_at": held_at,
                "interviewer_name": by if by and by != "demo" else "Demo Worker",
                "interviewer_type": rhi["interviewer_type"] or "social_worker",
                "follow_up_actions": [{"action": "Arrange a meeting with school about support (made up)",
                                       "owner": "Social worker",
                                       "due": (moment + timedelta(days=7)).strftime("%Y-%m-%d"), "done": False}],
            })
        else:
            answers.update({"outcome": rhi["outcome"],
                            "carers_information": "Carer says the child stayed with friends (made up)"})
            if not (rhi["outcome_reason"] and rhi["attempts"]):
                rhi_tracking.record_outcome(db, rhi_id, rhi["outcome"],
                                            reason=rhi["outcome_reason"] or "Made-up reason",
                                            attempts=rhi["attempts"] or "Two visits and a call (made up)", by=by)
        _write_answers(db, rhi_tracking.get_rhi(db, rhi_id), answers, resume_at=None)
        result = sign_off(db, rhi_id, by=by, declaration=True)
    return result
