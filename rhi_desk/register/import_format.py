"""The episode register CSV: its columns, the result of a check, and the check of each row and header."""
from __future__ import annotations

import csv
import io
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from datetime import date
from operator import itemgetter
from pathlib import Path

from rhi_desk.register.children import ID_RULE, valid_id

COLUMNS = (
    "episode_id", "child_id", "date_of_birth", "episode_type", "start", "end", "looked_after",
    "other_la", "placement", "rhi_offered_on", "rhi_outcome", "rhi_completed_on", "rhi_by",
)
# Columns a file may have as well; the import reads them where present.
OPTIONAL_COLUMNS = ("child_name",)


EPISODE_TYPES = ("missing", "away")


PLACEMENTS = ("in_borough", "neighbouring", "out_of_borough")


OUTCOMES = ("completed", "declined", "unavailable", "missing_again")


INTERVIEWER_TYPES = ("social_worker", "missing_team", "provider")


RHI_ID_PREFIX = "import-"

# Bounds that keep an import's memory and output flat whatever the file holds.
MAX_PROBLEMS = 1_000  # problems kept to show (page and command line alike); the rest are only counted
MAX_COLUMNS = 200  # a header wider than this is refused at once (real exports have a few dozen)
MAX_LINE = 64 * 1024  # characters of one line read at a time: a longer line is read in pieces, never whole


class ProblemList(list):
    """The problems found, keeping the first MAX_PROBLEMS and counting the rest (and their rows)."""

    def __init__(self, *args):
        super().__init__()
        self.more = 0  # problems past the cap
        self.more_rows = 0  # rows with a problem past the cap and none among the kept problems
        self._rows: set = set()  # rows of the kept problems (at most MAX_PROBLEMS)
        self._last = None
        self.extend(args[0] if args else ())

    def append(self, error: "RowError") -> None:
        if len(self) < MAX_PROBLEMS:
            super().append(error)
            self._rows.add(error.row)
            return
        self.more += 1
        # Problems arrive row by row, so a new row is one unlike the last (memory stays flat).
        if error.row and error.row > 1 and error.row != self._last and error.row not in self._rows:
            self.more_rows += 1
        self._last = error.row

    def extend(self, errors) -> None:
        for error in errors:
            self.append(error)

    def clear(self) -> None:
        super().clear()
        self.more = self.more_rows = 0
        self._rows = set()
        self._last = None

    @property
    def total(self) -> int:
        """Every problem found, shown or not."""
        return len(self) + self.more


def more_sentence(errors) -> str | None:
    """'…and 12,345 more problems in 6,789 more rows, not listed.' when the list was cut, else None."""
    more = getattr(errors, "more", 0)
    if not more:
        return None
    rows = getattr(errors, "more_rows", 0)
    return (f"The first {len(errors):,} problems are listed; there {'is' if more == 1 else 'are'} {more:,} more"
            + (f" in {rows:,} more row{'s' if rows != 1 else ''}" if rows else "")
            + ". Correct these and check the file again to see the rest.")


class ImportRefused(Exception):
    """The file was not imported (nothing changed); ``errors`` lists every problem found."""

    def __init__(self, errors: list["RowError"]):
        self.errors = errors
        rows = len({e.row for e in errors if e.row and e.row > 1}) + getattr(errors, "more_rows", 0)
        if rows:
            what = f"{rows:,} row{'s' if rows != 1 else ''} cannot be understood"
        else:
            what = (errors[0].problem[:1].lower() + errors[0].problem[1:]) if errors else "the file cannot be understood"
        super().__init__(f"The file was not imported because {what}. Nothing was changed. "
                         f"Correct the file and import it again.")


@dataclass(frozen=True)
class RowError:
    """One problem in the file: where it is, what is wrong and what to do."""

    row: int | None  # 1 is the header row; None for the file as a whole
    column: str | None
    problem: str
    fix: str

    def __str__(self) -> str:
        where = []
        if self.row:
            where.append(f"Row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        prefix = (", ".join(where) + ": ") if where else ""
        return f"{prefix}{self.problem}. {self.fix}"


@dataclass
class Preview:
    """What importing the file would do, or why it cannot be imported."""

    file_name: str
    rows: int = 0
    new_episodes: int = 0
    changed_episodes: int = 0
    unchanged_episodes: int = 0
    new_children: int = 0
    changed_children: int = 0
    errors: list[RowError] = field(default_factory=ProblemList)

    @property
    def ok(self) -> bool:
        """True when the file can be imported."""
        return not self.errors

    @property
    def nothing_to_change(self) -> bool:
        """True when importing would change nothing (for example the same file again)."""
        return self.ok and not (self.new_episodes or self.changed_episodes or self.new_children
                                or self.changed_children)

    @property
    def bad_rows(self) -> int:
        """How many rows have at least one problem."""
        return (len({e.row for e in self.errors if e.row and e.row > 1})
                + getattr(self.errors, "more_rows", 0))


@dataclass
class ImportResult(Preview):
    """What an import did."""

    @property
    def nothing_changed(self) -> bool:
        """True when the import changed nothing."""
        return self.nothing_to_change

    def summary(self) -> str:
        """One sentence a missing team worker can read."""
        if self.nothing_changed:
            return (f"Read {_n(self.rows, 'row')} from {self.file_name}: nothing changed, "
                    f"every episode was already recorded exactly as in the file.")
        return (f"Read {_n(self.rows, 'row')} from {self.file_name}: {_n(self.new_episodes, 'new episode')}, "
                f"{_n(self.changed_episodes, 'changed episode')}, {self.unchanged_episodes} unchanged; "
                f"{_n(self.new_children, 'new child', 'new children')}"
                + (f", {_n(self.changed_children, 'child', 'children')} updated" if self.changed_children else "")
                + ".")


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _open(path: Path):
    raw = open(path, "rb")
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    # Lines are read at most MAX_LINE characters at a time, so no line, however long, is held whole.
    return raw, csv.reader(iter(partial(text.readline, MAX_LINE), ""))


def _rows(reader, plan: _Plan, width: int):
    """Yield (row number, stripped values in COLUMNS order) for each non-blank data row of a checked file
    (``reader`` past its header of ``width`` columns: the register's, and child_name or others it adds)."""
    pick = itemgetter(*plan.order)
    strip = str.strip
    for number, record in enumerate(reader, start=2):
        if len(record) == width and any(record):
            yield number, tuple(map(strip, pick(record)))


# ---------------------------------------------------------------------------------------------
# Reading and checking the file (pass 1)

END = 5  # positions in a row tuple, in COLUMNS order
DATE_FIX = "Write the date as YYYY-MM-DD, for example 2017-04-30"
MINUTE_FIX = "Write the date and time as YYYY-MM-DD HH:MM, for example 2017-04-30 18:45"
_TIMES = frozenset(f"{h:02d}:{m:02d}" for h in range(24) for m in range(60))
_SECONDS = frozenset(f":{s:02d}" for s in range(60))
_DIGITS = frozenset("0123456789")
_YES_NO = {"Y": 1, "N": 0}
_ID = valid_id  # the register's rule: ids are part of page addresses
ID_FIX = "Use " + ID_RULE
_valid_dates: dict[str, bool] = {}
_known_date = _valid_dates.get  # True for a date already seen valid; the slow path is _is_date


class _Duplicate(Exception):
    """An episode id met twice while writing."""


@dataclass
class _Plan:
    order: tuple[int, ...]  # file column index for each of COLUMNS
    children: dict  # child_id -> [date_of_birth, first row number]
    # children added by this import -> (start, looked_after, other_la, placement) of their latest episode
    fresh: dict = field(default_factory=dict)
    mapping: object = None  # the Mapping the file was read through, if it is not the register CSV itself
    names: dict = field(default_factory=dict)  # child_id -> the first child_name the file gives
    name_at: int | None = None  # the child_name column of a register CSV that has one
    repeated_ids: bool = False  # checking without writing: an episode id met on two rows
    # Checking without writing: the episode ids of bad rows, passed from the checking thread to the writer's,
    # which looks for a repeated id among every row's (a deque: appended on one thread, emptied on the other).
    bad_ids: deque = field(default_factory=deque)


def _sort(errors: list[RowError]) -> list[RowError]:
    errors.sort(key=lambda e: (e.row or 0, COLUMNS.index(e.column) if e.column in COLUMNS else -1))
    return errors


def _is_date(text: str) -> bool:
    """True for a real date written YYYY-MM-DD (results cached: a file repeats its dates)."""
    known = _valid_dates.get(text)
    if known is not None:
        return known
    ok = (len(text) == 10 and text[4] == "-" and text[7] == "-"
          and set(text[:4] + text[5:7] + text[8:]) <= _DIGITS)
    if ok:
        try:
            date.fromisoformat(text)
        except ValueError:
            ok = False
    if len(_valid_dates) < 200_000:
        _valid_dates[text] = ok
    return ok


def _minute(text: str) -> str | None:
    """``YYYY-MM-DD HH:MM`` for an accepted date and time, or None when it is not one."""
    n = len(text)
    if n == 16 and text[10] == " ":  # the usual form, first
        day = text[:10]
        return text if text[11:16] in _TIMES and (_known_date(day) or _is_date(day)) else None
    # YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS (seconds dropped)
    if text[10:11] != "T" or not (n == 16 or (n == 19 and text[16:] in _SECONDS)):
        return None
    day = text[:10]
    if text[11:16] not in _TIMES or not (_known_date(day) or _is_date(day)):
        return None
    return day + " " + text[11:16]




_TYPES = frozenset(EPISODE_TYPES)
_PLACEMENTS = frozenset(PLACEMENTS + ("",))
_OUTCOMES = frozenset(OUTCOMES + ("",))
_INTERVIEWERS = frozenset(INTERVIEWER_TYPES + ("",))


def _check_row(v: tuple, now: str, today: str) -> list | None:
    """The problems in one row as (column, problem, fix), or None (the common case, kept fast)."""
    episode_id, child_id, dob, kind, start, end, looked_after, other_la, placement, offered, outcome, completed, by = v
    start_m = _minute(start)
    end_m = _minute(end) if end else None
    if (_ID(episode_id) and child_id and _known_date(dob) and dob <= today and kind in _TYPES and start_m
            and start_m <= now and (not end or (end_m and start_m <= end_m <= now))
            and looked_after in _YES_NO and other_la in _YES_NO and placement in _PLACEMENTS
            and outcome in _OUTCOMES and by in _INTERVIEWERS
            and (not offered or (_known_date(offered) and offered <= today))
            and (not completed or (_known_date(completed) and completed <= today and outcome == "completed"))
            and not (other_la == "Y" and looked_after == "N")
            and not (placement and looked_after == "N")):
        return None
    p = []
    if not episode_id:
        p.append(("episode_id", "The episode id is blank", "Enter the council's id for the episode"))
    elif not _ID(episode_id):
        p.append(("episode_id", f"{episode_id!r} cannot be used as an episode id", ID_FIX))
    if not child_id:
        p.append(("child_id", "The child id is blank", "Enter the council's id for the child"))
    if not dob:
        p.append(("date_of_birth", "The date of birth is blank", "Enter the child's date of birth. " + DATE_FIX))
    elif not _is_date(dob):
        p.append(("date_of_birth", f"{dob!r} is not a date in the form YYYY-MM-DD", DATE_FIX))
    elif dob > today:
        p.append(("date_of_birth", f"The date of birth {dob} is in the future", "Check the child's date of birth"))
    if kind not in _TYPES:
        p.append(("episode_type", f"{kind!r} is not an episode type", "Write missing or away"))
    if not start:
        p.append(("start", "The start is blank", "Enter when the child went missing or was last seen. " + MINUTE_FIX))
    elif not start_m:
        p.append(("start", f"{start!r} is not a date and time", MINUTE_FIX))
    elif start_m > now:
        p.append(("start", f"The start {start} is in the future", "Check when the child went missing"))
    if end and not end_m:
        p.append(("end", f"{end!r} is not a date and time", MINUTE_FIX + ", or leave it blank if the child is "
                                                                      "still missing"))
    elif end_m and end_m > now:
        p.append(("end", f"The end {end} is in the future",
                  "Check when the child was found or returned, or leave it blank if the child is still missing"))
    elif end_m and start_m and end_m < start_m:
        p.append(("end", f"The end {end} is before the start {start}",
                  "Check both times: the end is when the child was found or returned"))
    if looked_after not in _YES_NO:
        p.append(("looked_after", f"{looked_after!r} is not Y or N",
                  "Write Y if the child was looked after during this episode, or N if not"))
    if other_la not in _YES_NO:
        p.append(("other_la", f"{other_la!r} is not Y or N",
                  "Write Y if another council looks after the child (OLA), or N if not"))
    elif other_la == "Y" and looked_after == "N":
        p.append(("other_la", "The child is marked as looked after by another council but not as looked after",
                  "Write looked_after Y for a child looked after by another council, or other_la N"))
    if placement not in _PLACEMENTS:
        p.append(("placement", f"{placement!r} is not a placement",
                  "Write in_borough, neighbouring or out_of_borough, or leave it blank for a child who is not "
                  "looked after"))
    elif placement and looked_after == "N":
        p.append(("placement", "A placement is given for a child who was not looked after",
                  "Leave placement blank when looked_after is N, or write looked_after Y"))
    if offered and not _is_date(offered):
        p.append(("rhi_offered_on", f"{offered!r} is not a date in the form YYYY-MM-DD",
                  DATE_FIX + ", or leave it blank if no RHI was offered"))
    elif offered and offered > today:
        p.append(("rhi_offered_on", f"The RHI offer date {offered} is in the future", "Check when the RHI was offered"))
    if outcome not in _OUTCOMES:
        p.append(("rhi_outcome", f"{outcome!r} is not an RHI outcome",
                  "Write completed, declined, unavailable or missing_again, or leave it blank if not known yet"))
    if completed and not _is_date(completed):
        p.append(("rhi_completed_on", f"{completed!r} is not a date in the form YYYY-MM-DD",
                  DATE_FIX + ", or leave it blank"))
    elif completed and completed > today:
        p.append(("rhi_completed_on", f"The RHI completion date {completed} is in the future",
                  "Check when the RHI was completed"))
    elif completed and outcome != "completed":
        p.append(("rhi_completed_on", "A completion date is given but the outcome is not completed",
                  "Write rhi_outcome completed, or leave rhi_completed_on blank"))
    if by not in _INTERVIEWERS:
        p.append(("rhi_by", f"{by!r} is not an interviewer type",
                  "Write social_worker, missing_team or provider, or leave it blank"))
    return p


def too_wide(header: list, errors: list[RowError]) -> bool:
    """True (and the problem noted) for a header of absurd width, refused before any row is read."""
    if len(header) <= MAX_COLUMNS:
        return False
    errors.append(RowError(1, None, f"The header row has {len(header):,} columns or more, far more than an episode "
                                    f"file has (at most {MAX_COLUMNS} are read)",
                           "Check this is the right file, saved as CSV with one row per episode"))
    return True


def _check_header(header: list[str], errors: list[RowError]) -> list[str] | None:
    if too_wide(header, errors):
        return None
    names = [h.strip() for h in header]
    expected = ", ".join(COLUMNS)
    seen = set()
    for name in names:
        if name in seen:
            errors.append(RowError(1, name or None, f"The column {name!r} appears more than once",
                                   "Keep one column with each name"))
        seen.add(name)
    for name in names:
        if name not in COLUMNS and name not in OPTIONAL_COLUMNS:
            errors.append(RowError(1, name or None,
                                   f"{name!r} is not a column of the episode register" if name
                                   else "A column has no name in the header row",
                                   f"Remove that column: the file must have exactly these columns: {expected} "
                                   f"(and may have {', '.join(OPTIONAL_COLUMNS)})"))
    for name in COLUMNS:
        if name not in seen:
            errors.append(RowError(1, name, f"The column {name} is missing",
                                   f"Add it: the file must have exactly these columns: {expected}"))
    return None if errors else names


def _duplicates(db, path: Path, rows=None, column: str = "episode_id") -> list[RowError]:
    """Every row whose episode id an earlier row already used (a temporary table keeps memory flat).

    ``rows`` gives (row number, register row) for a file read through a mapping; ``column`` is how
    the file names the episode id.
    """
    if rows is None:  # the register CSV, read once: its header, then its rows
        raw, reader = _open(path)
        with raw:
            names = [h.strip() for h in next(reader)]
            plan = _Plan(tuple(names.index(c) for c in COLUMNS), {})
            return _repeated(db, _rows(reader, plan, len(names)), column)
    return _repeated(db, rows, column)


def _repeated(db, rows, column: str) -> list[RowError]:
    """The rows (row number, register row) whose episode id an earlier one used, named in ``column``'s words."""
    errors = ProblemList()
    conn = db.conn
    conn.execute("DROP TABLE IF EXISTS temp.episode_import_ids")
    conn.execute("CREATE TABLE temp.episode_import_ids (row INTEGER PRIMARY KEY, episode_id TEXT)")
    try:
        ids = ((number, values[0]) for number, values in rows if values[0])
        conn.executemany("INSERT INTO temp.episode_import_ids VALUES (?, ?)", ids)
        for episode_id, numbers in conn.execute(
                "SELECT episode_id, group_concat(row) FROM temp.episode_import_ids GROUP BY episode_id "
                "HAVING count(*) > 1 LIMIT ?", [MAX_PROBLEMS + 1]).fetchall():
            numbers = sorted(int(r) for r in numbers.split(","))
            for number in numbers[1:]:
                errors.append(RowError(number, column,
                                       f"The episode id {episode_id} is also used on row {numbers[0]}",
                                       "Give each episode its own id, or remove the repeated row"))
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.episode_import_ids")
    return errors


























