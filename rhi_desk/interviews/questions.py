"""The interview's questions as data: sections, pages and questions, with the conditions for follow-up pages.

Declared once (:data:`SECTIONS`); the pages, the summary, the printable report and the demo answers all read it.
"""
from __future__ import annotations

from dataclasses import dataclass

from rhi_desk.register import rhi_tracking
from rhi_desk.register.corrections import NOT_DONE_CODES
from rhi_desk.register.rhi_tracking import OFFER_METHODS, OUTCOMES

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
    "online": "Online exploitation or grooming",
}
# The places and people a child names, one row each (kept beside the child's own words, never instead).
PLACE_KINDS = {
    "home_address": "Home address",
    "friends_address": "Friend's address",
    "park": "Park or open space",
    "transport_hub": "Station, bus stop or other transport hub",
    "shop": "Shop or takeaway",
    "hotel": "Hotel or B&B",
    "another_town": "Another town",
    "other": "Somewhere else",
}
PLACE_COLUMNS = (("name", "Name of the place", None), ("area", "Postcode or area", None),
                 ("kind", "Kind of place", PLACE_KINDS), ("details", "What the child said about it", None))
PERSON_COLUMNS = (("name", "Name or nickname", None), ("age", "Approximate age", None),
                  ("relationship", "Who they are to the child", None), ("phone", "Phone number", None),
                  ("vehicle", "Vehicle", None), ("details", "What the child said about them", None))
# The exploitation screening's indicators (the shared list; each council sets the weights and the
# thresholds at the hub: see docs/intelligence.md).
SCREENING_INDICATORS = {
    "older_associates": "Spends time with older people or adults not known to the family",
    "gifts_money": "Has money, phones, clothes or gifts they cannot explain",
    "phones": "Has more than one phone, or is secretive about calls and messages",
    "out_of_area": "Was found out of the area, or cannot say how they got there",
    "travel_paid": "Someone else paid for or arranged their travel",
    "drugs": "Was carrying, holding or selling drugs",
    "weapons": "Was carrying a weapon or is linked to violence",
    "injuries": "Has injuries they cannot or will not explain",
    "older_partner": "Has a much older boyfriend or girlfriend, or sexual health worries",
    "online_contact": "Talks to people online they have not met",
    "fear": "Is frightened of someone, or of saying where they were",
    "debt": "Says they owe someone money or a debt (debt bondage)",
    "education": "Is missing school or college, or excluded",
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
    kind: str  # text, textarea, radios, checkboxes, datetime, actions, rows
    label: str
    hint: str | None = None
    required: str | None = None  # the message when it is left blank; None = optional
    choices: dict | None = None
    none_option: str | None = None  # checkboxes: the exclusive "none of these" choice
    none_stores: tuple = ()  # what "none of these" is stored as
    max_chars: int | None = None
    label_short: str | None = None  # for the check-answers page
    columns: tuple = ()  # rows: (name, label, choices or None) of each row's boxes

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
# The coded reasons the KPIs and the dashboard count (register.corrections), asked in the interview too.
NOT_DONE_REASONS = {code: label for code, (label, _outcome) in NOT_DONE_CODES.items()}

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
            _radios("not_done_code", "Which of these says why?", NOT_DONE_REASONS,
                    "Choose why the interview did not happen", short="Reason"),
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
        Page("places", "Places the child named", (
            Question("places", "rows", "Places the child named (optional)",
                     hint="One place a row, as much as the child said. Leave the rows blank if they named none.",
                     columns=PLACE_COLUMNS, label_short="Places named"),
        )),
        Page("who_with", "Who the child was with", (
            _long("who_with", "Who was the child with?", "Enter who the child was with, or 'Did not say'",
                  short="Who with"),
        )),
        Page("people", "People the child named", (
            Question("people", "rows", "People or groups the child named (optional)",
                     hint="One person or group a row. Write 'Unknown' or leave a box blank for what they did "
                          "not say.", columns=PERSON_COLUMNS, label_short="People named"),
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
        Page("screening", "Exploitation screening", (
            Question("screening", "checkboxes", "Which of these apply to the child now?",
                     hint="Select all that apply. The hub scores them to show whether a strategy meeting is needed.",
                     choices=SCREENING_INDICATORS, none_option="none", label_short="Screening indicators"),
        )),
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
ROWS_SPARE = 2


def page(slug: str) -> Page:
    """The page called ``slug``; raises InterviewError for an unknown page."""
    if slug not in PAGES:
        raise InterviewError("That page of the interview does not exist")
    return PAGES[slug]
