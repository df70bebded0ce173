"""Mapping a council's own export onto the episode register: which of its columns is which, and its values.

A case-management system's export (Liquidlogic LCS, Mosaic, Eclipse) or a spreadsheet kept by hand has
its own headers (``Date Missing``, ``LAC?``, ``MIS_START``...), its own dates (``31/01/2017 14:05``,
``2:05pm``, Excel date cells) and its own words (``Yes``, ``Out of area``). A :class:`Mapping` says, for
each register field, which header holds it, how day and month are ordered in its dates, and what its
placement, outcome and interviewer words mean. :func:`propose` suggests one from the headers it
recognises; the user confirms it on the mapping page and can save it by name for next month's file.

Each converter turns a value as people write it into the register CSV's own form; a value it cannot
read is passed through unchanged, so the register's one row check names it (in the user's own terms:
see :func:`user_error`).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.register.import_format import (
    COLUMNS,
    EPISODE_TYPES,
    OPTIONAL_COLUMNS,
    INTERVIEWER_TYPES,
    OUTCOMES,
    PLACEMENTS,
    RowError,
)

# What each register field is called on the mapping page, and whether a file must have it.
LABELS = {
    "episode_id": "Episode id", "child_id": "Child id", "date_of_birth": "Date of birth",
    "episode_type": "Missing or away", "start": "Start (went missing)", "end": "End (found or returned)",
    "looked_after": "Looked after", "other_la": "Looked after by another council (OLA)", "placement": "Placement",
    "rhi_offered_on": "RHI offered on", "rhi_outcome": "RHI outcome", "rhi_completed_on": "RHI completed on",
    "rhi_by": "RHI done by", "child_name": "Child's name",
}
REQUIRED = ("child_id", "date_of_birth", "episode_type", "start", "end", "looked_after")
# The register's columns, then the optional ones its import also takes (the child's name), in that order:
# a mapped row carries its values in this order.
FIELDS = tuple(COLUMNS) + tuple(OPTIONAL_COLUMNS)
DATE_FIELDS = ("date_of_birth", "rhi_offered_on", "rhi_completed_on")
MINUTE_FIELDS = ("start", "end")
YES_NO_FIELDS = ("looked_after", "other_la")
WORD_FIELDS = {"episode_type": EPISODE_TYPES, "placement": PLACEMENTS, "rhi_outcome": OUTCOMES,
               "rhi_by": INTERVIEWER_TYPES}
DATE_ORDERS = {"dmy": "day/month/year (31/01/2017)", "mdy": "month/day/year (01/31/2017)"}


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(header).lower())


# Headers recognised, written loosely: matched without case, spaces or punctuation. Common case-system
# names, DfE's SSDA903 names and ours.
_KNOWN = {
    "episode_id": ["episode_id", "episode id", "episode ref", "episode reference", "episode number", "episode no",
                   "missing episode id", "missing episode ref", "missing id", "event id", "episode"],
    "child_id": ["child_id", "CHILD", "child id", "child ref", "child reference", "person id", "person ref",
                 "person reference", "client id", "LCS id", "LCS number", "Mosaic id", "Eclipse id", "case id",
                 "child unique id", "person unique id", "subject id", "ID number"],
    "date_of_birth": ["date_of_birth", "DOB", "date of birth", "birth date", "person birth date", "child dob"],
    "episode_type": ["episode_type", "MISSING", "episode type", "missing type", "missing or away", "missing/away",
                     "type", "category", "absence type", "missing status"],
    "start": ["start", "MIS_START", "start date", "start date time", "start datetime", "date missing",
              "date went missing", "missing from", "missing start", "missing date", "episode start",
              "date last seen", "last seen", "start of episode", "reported missing"],
    "end": ["end", "MIS_END", "end date", "end date time", "end datetime", "date found", "date returned",
            "missing to", "missing end", "episode end", "found", "returned", "return date", "date found returned",
            "end of episode"],
    "looked_after": ["looked_after", "looked after", "LAC", "CLA", "looked after child", "in care", "LAC status",
                     "CLA status", "looked after during episode"],
    "other_la": ["other_la", "OLA", "other la", "other LA child", "looked after by another LA",
                 "other local authority", "placed by another LA", "OLA child"],
    "placement": ["placement", "placement location", "placement area", "in or out of borough",
                  "placement type", "placement distance"],
    "rhi_offered_on": ["rhi_offered_on", "rhi offered on", "rhi offered", "rhi offered date", "date rhi offered",
                       "return interview offered date", "date offered", "offer date", "RI offered date"],
    "rhi_outcome": ["rhi_outcome", "rhi outcome", "return interview outcome", "interview outcome", "outcome",
                    "RI outcome", "rhi status"],
    "rhi_completed_on": ["rhi_completed_on", "rhi completed on", "rhi completed", "rhi completed date",
                         "date rhi completed", "return interview date", "return interview completed",
                         "date completed", "interview date", "RI date"],
    "rhi_by": ["rhi_by", "rhi by", "interviewer type", "interviewer", "rhi completed by", "completed by",
               "conducted by", "rhi done by"],
    "child_name": ["child_name", "child name", "child's name", "name", "full name", "person name"],
}
KNOWN_HEADERS = {_key(name): f for f, names in _KNOWN.items() for name in names if f in FIELDS}

# Words people write for the register's values (matched like headers); anything else is asked on the page.
_WORDS = {
    "episode_type": {"m": "missing", "missing": "missing", "mis": "missing", "a": "away", "away": "away",
                     "absent": "away", "awayfromplacement": "away",
                     "awayfromplacementwithoutauthorisation": "away"},
    "placement": {"inborough": "in_borough", "inla": "in_borough", "insideborough": "in_borough",
                  "withinborough": "in_borough", "inarea": "in_borough", "local": "in_borough",
                  "neighbouring": "neighbouring", "neighbouringla": "neighbouring",
                  "neighbouringborough": "neighbouring", "adjacent": "neighbouring",
                  "outofborough": "out_of_borough", "outofarea": "out_of_borough", "ooa": "out_of_borough",
                  "outsideborough": "out_of_borough", "outsidela": "out_of_borough", "outofla": "out_of_borough"},
    "rhi_outcome": {"completed": "completed", "complete": "completed", "done": "completed", "held": "completed",
                    "declined": "declined", "refused": "declined", "unavailable": "unavailable",
                    "notseen": "unavailable", "couldnotbeseen": "unavailable", "notavailable": "unavailable",
                    "missingagain": "missing_again", "wentmissingagain": "missing_again"},
    "rhi_by": {"socialworker": "social_worker", "sw": "social_worker", "missingteam": "missing_team",
               "independent": "missing_team", "independentworker": "missing_team", "provider": "provider",
               "commissioned": "provider", "commissionedprovider": "provider"},
}
_YES = {"y": "Y", "yes": "Y", "1": "Y", "true": "Y", "t": "Y", "n": "N", "no": "N", "0": "N", "false": "N",
        "f": "N", "10": "Y", "00": "N"}


@dataclass
class Mapping:
    """Which header holds each register field, how dates are ordered, and what the file's words mean."""

    columns: dict[str, str] = field(default_factory=dict)  # register field -> the file's header
    date_order: str | None = None  # "dmy" or "mdy" for dates written with slashes; None until known
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {file's word: register value}
    sheet: str | None = None

    def to_json(self) -> str:
        """The mapping as JSON, as it is saved."""
        return json.dumps({"columns": self.columns, "date_order": self.date_order, "values": self.values,
                           "sheet": self.sheet}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Mapping":
        """A mapping from its saved JSON."""
        data = json.loads(text)
        return cls(dict(data.get("columns") or {}), data.get("date_order"),
                   {f: dict(v) for f, v in (data.get("values") or {}).items()}, data.get("sheet"))

    def is_identity(self) -> bool:
        """True when the file is the register CSV itself (our own headers and values)."""
        return self.columns == {c: c for c in COLUMNS} and not self.values

    def missing(self) -> list[str]:
        """Required fields no column is mapped to."""
        return [f for f in REQUIRED if not self.columns.get(f)]


def propose(headers: list[str]) -> Mapping:
    """A mapping from the headers RHI Desk recognises (each field to its first recognised header)."""
    columns: dict[str, str] = {}
    for header in headers:
        target = KNOWN_HEADERS.get(_key(header))
        if target and target not in columns and header not in columns.values():
            columns[target] = header
    return Mapping(columns)


# ---------------------------------------------------------------------------------------------
# Values as people write them

_SLASHED = re.compile(r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})")
_TIME = re.compile(r"(?:T|\s+)?(\d{1,2})(?:[:.](\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*([ap])?\.?(?:m\.?)?", re.I)
_EXCEL_EPOCH = datetime(1899, 12, 30)


def text(value) -> str:
    """A cell as text: numbers without a trailing .0 (an id typed as a number), spaces around removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "Y" if value else "N"
    return str(value).strip()


def _day(text_: str, order: str | None) -> tuple[str | None, str]:
    """(YYYY-MM-DD or None, the rest of the text) for a date written ISO or with slashes in ``order``."""
    match = _SLASHED.match(text_)
    if not match:
        return None, text_
    a, b, c = match.groups()
    if len(a) == 4:
        y, m, d = a, b, c
    elif len(c) == 4 and order in DATE_ORDERS:
        y, m, d = (c, b, a) if order == "dmy" else (c, a, b)
    else:
        return None, text_
    try:
        day = date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return None, text_
    return day, text_[match.end():]


def _clock(rest: str) -> str | None:
    """HH:MM for '14:05', '14:05:00', '2:05pm', '2:05 PM', '2pm'; '' for no time; None for anything else."""
    if not rest.strip():
        return ""
    match = _TIME.fullmatch(rest.rstrip())
    if not match:
        return None
    hour, minute, _, half = match.groups()
    hour, minute = int(hour), int(minute or 0)
    if match.group(2) is None and not half:
        return None  # a bare number is not a time
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def as_day(value, order: str | None) -> str:
    """A date cell or text as YYYY-MM-DD (a midnight time allowed), or the text unchanged if it is not one."""
    if isinstance(value, datetime):
        return value.date().isoformat()  # isoformat: several times faster than strftime, years padded
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and 1 < value < 100_000:
        return (_EXCEL_EPOCH + timedelta(days=int(value))).date().isoformat()
    raw = text(value)
    day, rest = _day(raw, order)
    if day is None or _clock(rest) not in ("", "00:00"):
        return raw
    return day


def as_minute(value, order: str | None) -> str:
    """A date-and-time cell or text as YYYY-MM-DD HH:MM (a date alone is midnight), or the text unchanged."""
    if isinstance(value, datetime):
        return value.isoformat(" ", "minutes")
    if isinstance(value, date):
        return value.isoformat() + " 00:00"
    if isinstance(value, float) and 1 < value < 100_000:
        return (_EXCEL_EPOCH + timedelta(minutes=round(value * 24 * 60))).isoformat(" ", "minutes")
    raw = text(value)
    if len(raw) == 16 and raw[10] == " " and raw[4] == "-" and raw[13] == ":":
        return raw  # the register's own form: its check tests the date
    if len(raw) == 16 and raw[2] == "/" and raw[5] == "/" and raw[10] == " " and raw[13] == ":" and order == "dmy":
        return f"{raw[6:10]}-{raw[3:5]}-{raw[0:2]} {raw[11:16]}"
    day, rest = _day(raw, order)
    if day is None:
        return raw
    clock = _clock(rest)
    return raw if clock is None else f"{day} {clock or '00:00'}"


def as_yes_no(value) -> str:
    """Y or N for Y/N, Yes/No, 1/0, TRUE/FALSE (and Excel's true/false cells); the text unchanged otherwise."""
    raw = text(value)
    return _YES.get(raw.lower(), raw)


def as_word(field_name: str, value, extra: dict[str, str]) -> str:
    """The register's word for a file's word (the user's value mapping first, then the words known)."""
    raw = text(value)
    if not raw:
        return ""
    mapped = extra.get(raw)
    if mapped is not None:
        return mapped
    if raw in WORD_FIELDS[field_name]:
        return raw
    return _WORDS[field_name].get(_key(raw), raw)


def unknown_word(field_name: str, raw: str) -> bool:
    """True for a non-blank word the register does not know without a value mapping."""
    return bool(raw) and raw not in WORD_FIELDS[field_name] and _key(raw) not in _WORDS[field_name]


CACHE = 100_000  # values remembered per column (a file repeats its dates of birth, days and words)


def _cached(fn):
    """``fn`` with a bounded memory of the values already converted (hashable cells only)."""
    cache: dict = {}
    get = cache.get

    def convert(value):
        found = get(value)
        if found is None:
            found = fn(value)
            if len(cache) < CACHE:
                cache[value] = found
        return found
    return convert


def _minute_fast(order):
    def convert(value):
        # The commonest shapes by slicing (a million rows); the register's check then tests the date.
        if value.__class__ is datetime:  # an Excel date cell
            return value.isoformat(" ", "minutes")
        if value.__class__ is str and len(value) == 16 and value[13] == ":" and value[10] == " ":
            if value[4] == "-":
                return value
            if order == "dmy" and value[2] == "/" and value[5] == "/":
                return f"{value[6:10]}-{value[3:5]}-{value[0:2]} {value[11:16]}"
        return as_minute(value, order)
    return convert


def _plain(value) -> str:
    return value.strip() if value.__class__ is str else text(value)


def converters(mapping: Mapping):
    """One function per register field (FIELDS order): a cell → the register CSV's text (fast, cached)."""
    order = mapping.date_order
    result = []
    for f in FIELDS:
        if f in DATE_FIELDS:
            result.append(_cached(lambda v, o=order: as_day(v, o)))
        elif f in MINUTE_FIELDS:
            result.append(_minute_fast(order))
        elif f in YES_NO_FIELDS:
            result.append(_cached(as_yes_no))
        elif f in WORD_FIELDS:
            result.append(_cached(lambda v, f=f, extra=mapping.values.get(f, {}): as_word(f, v, extra)))
        else:
            result.append(_plain)
    return result


def date_evidence(value) -> set[str]:
    """Which day/month orders a value rules in: {'dmy'} for 31/01/2017, {'mdy'} for 01/31/2017, else empty."""
    if not isinstance(value, str):
        return set()
    match = _SLASHED.match(value.strip())
    if not match or len(match.group(3)) != 4:
        return set()
    first, second = int(match.group(1)), int(match.group(2))
    if first > 12 >= second:
        return {"dmy"}
    if second > 12 >= first:
        return {"mdy"}
    return set()


def has_slashed_date(value) -> bool:
    """True for a date written with slashes (whose day/month order must be known)."""
    return isinstance(value, str) and bool(_SLASHED.match(value.strip())) and len(value.strip()) >= 8 \
        and not re.match(r"\d{4}", value.strip())


# ---------------------------------------------------------------------------------------------
# Problems in the user's own terms

_FORMATS = {"dmy": "dd/mm/yyyy", "mdy": "mm/dd/yyyy"}


def user_error(error: RowError, mapping: Mapping, raw: dict[str, str] | None) -> RowError:
    """A register problem restated with the file's own header and the value as the file wrote it."""
    if error.column is None or error.column not in mapping.columns:
        return error
    header = mapping.columns[error.column]
    problem, fix = error.problem, error.fix
    value = (raw or {}).get(error.column)
    if value is not None:
        converted = problem.split("'")[1] if problem.startswith("'") and problem.count("'") >= 2 else None
        if converted is not None and converted != value:
            problem = problem.replace(repr(converted), repr(value), 1)
    shown = _FORMATS.get(mapping.date_order or "", "dd/mm/yyyy")
    fix = (fix.replace("Write the date and time as YYYY-MM-DD HH:MM, for example 2017-04-30 18:45",
                       f"Write the date and time as {shown} HH:MM or yyyy-mm-dd HH:MM, for example "
                       + ("30/04/2017 18:45" if shown.startswith("dd") else "04/30/2017 18:45"))
           .replace("Write the date as YYYY-MM-DD, for example 2017-04-30",
                    f"Write the date as {shown} or yyyy-mm-dd, for example "
                    + ("30/04/2017" if shown.startswith("dd") else "04/30/2017"))
           .replace("is not Y or N", "is not yes or no"))
    problem = problem.replace("is not a date in the form YYYY-MM-DD", "is not a date")
    if mapping.date_order is None and value and has_slashed_date(value) and "is not a date" in problem:
        problem = f"{value!r} could be read day first or month first"
        fix = ("Choose how day and month are ordered on the mapping page: every date in the file could be read "
               "either way")
    if error.column in WORD_FIELDS and "is not" in problem:
        fix = fix + ". Or choose what it means on the mapping page"
    return RowError(error.row, header, problem, fix)


# ---------------------------------------------------------------------------------------------
# Saved mappings (the table is made by the register's migration 0070)

def save_mapping(db, name: str, mapping: Mapping, *, by: str | None) -> None:
    """Save (or replace) a mapping under ``name``; the saved mapping is audited."""
    name = " ".join(name.split())
    if not name or len(name) > 60:
        raise ValueError("Give the mapping a name of up to 60 characters")
    old = db.execute("SELECT mapping FROM import_mappings WHERE name = ?", [name]).fetchone()
    stamp = now_iso()
    db.execute("INSERT INTO import_mappings (name, mapping, saved_by, saved_at) VALUES (?, ?, ?, ?) "
               "ON CONFLICT (name) DO UPDATE SET mapping = excluded.mapping, saved_by = excluded.saved_by, "
               "saved_at = excluded.saved_at", [name, mapping.to_json(), by, stamp])
    audit.record(db, "import_mapping.saved", username=by, object_type="import_mapping", object_id=name,
                 detail={"mapping": json.loads(mapping.to_json()),
                         "replaced": json.loads(old[0]) if old else None})


def load_mapping(db, name: str) -> Mapping | None:
    """The mapping saved under ``name``, or None."""
    found = db.execute("SELECT mapping FROM import_mappings WHERE name = ?", [" ".join(name.split())]).fetchone()
    return Mapping.from_json(found[0]) if found else None


def saved_mappings(db) -> list[tuple[str, Mapping]]:
    """Every saved mapping, by name."""
    return [(name, Mapping.from_json(text_)) for name, text_ in
            db.execute("SELECT name, mapping FROM import_mappings ORDER BY name").fetchall()]


def saved_for(db, headers: list[str]) -> tuple[str, Mapping] | None:
    """A saved mapping whose columns are all among these headers (next month's file), newest first."""
    present = set(headers)
    for name, text_ in db.execute("SELECT name, mapping FROM import_mappings ORDER BY saved_at DESC").fetchall():
        mapping = Mapping.from_json(text_)
        if mapping.columns and set(mapping.columns.values()) <= present:
            return name, mapping
    return None
