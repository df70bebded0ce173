"""Bulk import of episode history from the episode register CSV (see DOMAIN.md).

The file is read once, as text, into a temporary table on this connection; every check then runs
as SQL over that table (C speed, memory that does not grow with the file), and the write is a few
set-based statements inside ONE transaction. So:

* a file with any row that cannot be understood imports nothing, and every such row is reported
  with its row number (row 1 is the header, as in a spreadsheet), the column, what is wrong and
  what to do;
* a valid file is imported all-or-nothing;
* the same file twice changes nothing; a changed row for a known ``episode_id`` updates that
  episode and the change (old → new values) is written to the audit log.

How the RHI columns are stored: each row with any ``rhi_*`` value becomes one RHI record with the
stable id ``import-<episode_id>`` covering that one episode. The file holds dates only, so
``rhi_offered_on`` and ``rhi_completed_on`` are stored as the start of that day
(``YYYY-MM-DD 00:00``): an offer made on the day the 72-hour deadline falls counts as in time,
because the file does not say the hour. A re-import treats an offer or completion recorded in the
app at a time on the same day as unchanged. A ``completed`` outcome with no offer date still counts
as offered (the counting rule), and is listed on the data-quality page so the offer can be filled in.

Rows that are valid one by one but doubtful together (overlapping episodes, an RHI completed before
the return...) are imported and listed by :mod:`rhi_desk.data_quality`.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import sqlite_utils

from . import audit
from .clock import now_iso, now_minute
from .db import write_transaction

COLUMNS = (
    "episode_id", "child_id", "date_of_birth", "episode_type", "start", "end", "looked_after",
    "other_la", "placement", "rhi_offered_on", "rhi_outcome", "rhi_completed_on", "rhi_by",
)
EPISODE_TYPES = ("missing", "away")
PLACEMENTS = ("in_borough", "neighbouring", "out_of_borough")
OUTCOMES = ("completed", "declined", "unavailable", "missing_again")
INTERVIEWER_TYPES = ("social_worker", "missing_team", "provider")
RHI_ID_PREFIX = "import-"
BATCH = 20_000
IMPORT_CACHE_KIB = 65_536  # a fixed 64 MB page cache while importing: fast, and not growing with the file

STAGE = "temp.episode_import"


class ImportRefused(Exception):
    """The file was not imported (nothing changed); ``errors`` lists every problem found."""

    def __init__(self, errors: list["RowError"]):
        self.errors = errors
        rows = {e.row for e in errors if e.row and e.row > 1}
        if rows:
            what = f"{len(rows)} row{'s' if len(rows) != 1 else ''} cannot be understood"
        else:
            what = errors[0].problem if errors else "the file cannot be understood"
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
    errors: list[RowError] = field(default_factory=list)

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
        return len({e.row for e in self.errors if e.row and e.row > 1})


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


Progress = Callable[[str, float], None]


# ---------------------------------------------------------------------------------------------
# Public API


def validate_file(db: sqlite_utils.Database, path: str | os.PathLike) -> Preview:
    """Check the file and count what importing it would do; changes nothing."""
    path = Path(path)
    preview = Preview(file_name=path.name)
    started = not db.conn.in_transaction
    if started:
        db.conn.execute("BEGIN")
    try:
        _stage_and_check(db, path, preview, None)
        if preview.ok:
            _count(db, preview)
    finally:
        if started:
            db.conn.execute("ROLLBACK")  # also drops the temporary tables
        else:
            _drop_temp(db)
    return preview


def import_episodes(db: sqlite_utils.Database, path: str | os.PathLike, *, by: str | None = None,
                    progress: Progress | None = None) -> ImportResult:
    """Import the episode register CSV at ``path`` in one transaction; raises ImportRefused if any row is bad."""
    path = Path(path)
    result = ImportResult(file_name=path.name)
    report = progress or (lambda phase, fraction: None)
    old_cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        with write_transaction(db):
            try:
                _stage_and_check(db, path, result, report)
                if not result.ok:
                    raise ImportRefused(result.errors)
                report("Comparing with the records already held", 0.6)
                _count(db, result)
                _write(db, result, by, report)
                audit.record(db, "episodes.import", username=by, object_type="import", object_id=path.name,
                             detail={"rows": result.rows, "new_episodes": result.new_episodes,
                                     "changed_episodes": result.changed_episodes,
                                     "unchanged_episodes": result.unchanged_episodes,
                                     "new_children": result.new_children,
                                     "changed_children": result.changed_children})
            finally:
                _drop_temp(db)
    finally:
        db.execute(f"PRAGMA cache_size = {old_cache}")
    report("Finished", 1.0)
    return result


# ---------------------------------------------------------------------------------------------
# Reading the file


def _drop_temp(db) -> None:
    for name in ("episode_import", "episode_import_children", "episode_import_existing"):
        db.execute(f"DROP TABLE IF EXISTS temp.{name}")


def _stage_and_check(db, path: Path, preview: Preview, report: Progress | None) -> None:
    """Read the file into the temporary table and run every row check; fills preview.rows/errors."""
    errors = preview.errors
    try:
        size = max(path.stat().st_size, 1)
        raw = open(path, "rb")
    except OSError:
        errors.append(RowError(None, None, "The file could not be opened", "Check the file still exists and try again"))
        return
    with raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        reader = csv.reader(text)
        try:
            try:
                header = next(reader)
            except StopIteration:
                errors.append(RowError(None, None, "The file is empty",
                                       "Choose the episode register CSV file, with its header row"))
                return
            columns = _check_header(header, errors)
            if columns is None:
                return
            _drop_temp(db)
            db.execute(f"CREATE TABLE {STAGE} (row INTEGER PRIMARY KEY, "
                       + ", ".join(f'"{c}" TEXT' for c in columns) + ")")
            insert = (f"INSERT INTO {STAGE} (" + ", ".join(f'"{c}"' for c in columns) + ', "row") VALUES ('
                      + ", ".join("?" * (len(columns) + 1)) + ")")
            width = len(columns)
            batch = []
            rows = 0
            executemany = db.conn.executemany
            for number, record in enumerate(reader, start=2):
                if len(record) != width:
                    if not any(v.strip() for v in record):
                        continue  # a blank line (spreadsheets often leave some at the end)
                    errors.append(RowError(number, None, f"This row has {len(record)} values but the header has "
                                                         f"{width} columns",
                                           "Check for a missing or extra comma, or a value with a comma that "
                                           "is not in quotes"))
                    continue
                if not any(record):
                    continue
                record.append(number)
                batch.append(record)
                if len(batch) >= BATCH:
                    executemany(insert, batch)
                    rows += len(batch)
                    batch = []
                    if report:
                        report("Reading the file", 0.5 * raw.tell() / size)
            if batch:
                executemany(insert, batch)
                rows += len(batch)
        except UnicodeDecodeError:
            errors.clear()
            errors.append(RowError(None, None, "The file is not saved as UTF-8 text",
                                   "Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' and try again"))
            return
        except csv.Error as exc:
            errors.append(RowError(reader.line_num, None, f"The file is not a readable CSV file ({exc})",
                                   "Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' and try again"))
            return
    preview.rows = rows
    if report:
        report("Checking every row", 0.5)
    _check_rows(db, errors)
    _check_together(db, errors)
    errors.sort(key=lambda e: (e.row or 0, COLUMNS.index(e.column) if e.column in COLUMNS else -1))


def _check_header(header: list[str], errors: list[RowError]) -> list[str] | None:
    names = [h.strip() for h in header]
    expected = ", ".join(COLUMNS)
    seen = set()
    for name in names:
        if name in seen:
            errors.append(RowError(1, name or None, f"The column {name!r} appears more than once",
                                   "Keep one column with each name"))
        seen.add(name)
    for name in names:
        if name not in COLUMNS:
            errors.append(RowError(1, name or None,
                                   f"{name!r} is not a column of the episode register" if name
                                   else "A column has no name in the header row",
                                   f"Remove that column: the file must have exactly these columns: {expected}"))
    for name in COLUMNS:
        if name not in seen:
            errors.append(RowError(1, name, f"The column {name} is missing",
                                   f"Add it: the file must have exactly these columns: {expected}"))
    return None if errors else names


# Each check: column, SQL that is true when the (trimmed) value is wrong, the problem (may use
# {value}) and what to do. Column names in the SQL refer to trimmed values.
def _date_ok(c: str) -> str:
    return (f"({c} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date({c}, '+0 days') IS {c})")


def _minute_ok(c: str) -> str:
    return (f"(({c} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-2][0-9]:[0-5][0-9]' "
            f"OR {c} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]') "
            f"AND date(substr({c}, 1, 10), '+0 days') IS substr({c}, 1, 10) AND substr({c}, 12, 2) <= '23')")


def _minute(c: str) -> str:
    """SQL turning an accepted date-and-time into the stored ``YYYY-MM-DD HH:MM``."""
    return f"(substr({c}, 1, 10) || ' ' || substr({c}, 12, 5))"


def _one_of(values) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


END = '"end"'  # a keyword in SQL, so always quoted
DATE_FIX = "Write the date as YYYY-MM-DD, for example 2017-04-30"
MINUTE_FIX = "Write the date and time as YYYY-MM-DD HH:MM, for example 2017-04-30 18:45"
CHECKS = [
    ("episode_id", "episode_id = ''", "The episode id is blank", "Enter the council's id for the episode"),
    ("child_id", "child_id = ''", "The child id is blank", "Enter the council's id for the child"),
    ("date_of_birth", "date_of_birth = ''", "The date of birth is blank", "Enter the child's date of birth. " + DATE_FIX),
    ("date_of_birth", f"date_of_birth <> '' AND NOT {_date_ok('date_of_birth')}",
     "{value!r} is not a date in the form YYYY-MM-DD", DATE_FIX),
    ("date_of_birth", f"{_date_ok('date_of_birth')} AND date_of_birth > substr(:now, 1, 10)",
     "The date of birth {value} is in the future", "Check the child's date of birth"),
    ("episode_type", f"episode_type NOT IN {_one_of(EPISODE_TYPES)}",
     "{value!r} is not an episode type", "Write missing or away"),
    ("start", "start = ''", "The start is blank", "Enter when the child went missing or was last seen. " + MINUTE_FIX),
    ("start", f"start <> '' AND NOT {_minute_ok('start')}", "{value!r} is not a date and time", MINUTE_FIX),
    ("start", f"{_minute_ok('start')} AND {_minute('start')} > :now",
     "The start {value} is in the future", "Check when the child went missing"),
    ("end", f"\"end\" <> '' AND NOT {_minute_ok(END)}", "{value!r} is not a date and time",
     MINUTE_FIX + ", or leave it blank if the child is still missing"),
    ("end", f"{_minute_ok(END)} AND {_minute(END)} > :now",
     "The end {value} is in the future", "Check when the child was found or returned, or leave it blank "
                                         "if the child is still missing"),
    ("end", f"{_minute_ok(END)} AND {_minute_ok('start')} AND {_minute(END)} < {_minute('start')}",
     "The end {value} is before the start", "Check both times: the end is when the child was found or returned"),
    ("looked_after", "looked_after NOT IN ('Y', 'N')", "{value!r} is not Y or N",
     "Write Y if the child was looked after during this episode, or N if not"),
    ("other_la", "other_la NOT IN ('Y', 'N')", "{value!r} is not Y or N",
     "Write Y if another council looks after the child (OLA), or N if not"),
    ("other_la", "other_la = 'Y' AND looked_after = 'N'",
     "The child is marked as looked after by another council but not as looked after",
     "Write looked_after Y for a child looked after by another council, or other_la N"),
    ("placement", f"placement NOT IN {_one_of(PLACEMENTS + ('',))}", "{value!r} is not a placement",
     "Write in_borough, neighbouring or out_of_borough, or leave it blank for a child who is not looked after"),
    ("placement", f"placement IN {_one_of(PLACEMENTS)} AND looked_after = 'N'",
     "A placement is given for a child who was not looked after",
     "Leave placement blank when looked_after is N, or write looked_after Y"),
    ("rhi_offered_on", f"rhi_offered_on <> '' AND NOT {_date_ok('rhi_offered_on')}",
     "{value!r} is not a date in the form YYYY-MM-DD", DATE_FIX + ", or leave it blank if no RHI was offered"),
    ("rhi_offered_on", f"{_date_ok('rhi_offered_on')} AND rhi_offered_on > substr(:now, 1, 10)",
     "The RHI offer date {value} is in the future", "Check when the RHI was offered"),
    ("rhi_outcome", f"rhi_outcome NOT IN {_one_of(OUTCOMES + ('',))}", "{value!r} is not an RHI outcome",
     "Write completed, declined, unavailable or missing_again, or leave it blank if not known yet"),
    ("rhi_completed_on", f"rhi_completed_on <> '' AND NOT {_date_ok('rhi_completed_on')}",
     "{value!r} is not a date in the form YYYY-MM-DD", DATE_FIX + ", or leave it blank"),
    ("rhi_completed_on", f"{_date_ok('rhi_completed_on')} AND rhi_completed_on > substr(:now, 1, 10)",
     "The RHI completion date {value} is in the future", "Check when the RHI was completed"),
    ("rhi_completed_on", "rhi_completed_on <> '' AND rhi_outcome <> 'completed'",
     "A completion date is given but the outcome is not completed",
     "Write rhi_outcome completed, or leave rhi_completed_on blank"),
    ("rhi_by", f"rhi_by NOT IN {_one_of(INTERVIEWER_TYPES + ('',))}", "{value!r} is not an interviewer type",
     "Write social_worker, missing_team or provider, or leave it blank"),
]


def _trimmed(columns=COLUMNS) -> str:
    return "SELECT row, " + ", ".join(f'trim("{c}") AS "{c}"' for c in columns) + f" FROM {STAGE}"


def _check_rows(db, errors: list[RowError]) -> None:
    conditions = [f"({sql})" for _, sql, _, _ in CHECKS]
    sql = (f"WITH v AS ({_trimmed()}) SELECT row, "
           + ", ".join(f'"{c}"' for c in COLUMNS) + ", "
           + ", ".join(conditions)
           + " FROM v WHERE " + " OR ".join(conditions) + " ORDER BY row")
    width = len(COLUMNS)
    for found in db.execute(sql, {"now": now_minute()}):
        values = dict(zip(COLUMNS, found[1:1 + width]))
        for (column, _, problem, fix), bad in zip(CHECKS, found[1 + width:]):
            if bad:
                errors.append(RowError(found[0], column, problem.format(value=values[column]), fix))


def _check_together(db, errors: list[RowError]) -> None:
    """Checks across rows: an episode id used twice, a child with two dates of birth."""
    for episode_id, rows in db.execute(
            f"SELECT trim(episode_id), group_concat(row) FROM {STAGE} WHERE trim(episode_id) <> '' "
            f"GROUP BY trim(episode_id) HAVING count(*) > 1"):
        numbers = sorted(int(r) for r in rows.split(","))
        for number in numbers[1:]:
            errors.append(RowError(number, "episode_id", f"The episode id {episode_id} is also used on row {numbers[0]}",
                                   "Give each episode its own id, or remove the repeated row"))
    db.execute(f"CREATE TABLE temp.episode_import_children AS SELECT trim(child_id) AS child_id, "
               f"min(trim(date_of_birth)) AS dob, max(trim(date_of_birth)) AS dob_max, min(row) AS first_row "
               f"FROM {STAGE} WHERE trim(child_id) <> '' GROUP BY trim(child_id)")
    db.execute("CREATE UNIQUE INDEX temp.episode_import_children_id ON episode_import_children (child_id)")
    disagreeing = list(db.execute("SELECT child_id FROM temp.episode_import_children WHERE dob <> dob_max"))
    for (child_id,) in disagreeing:
        rows = list(db.execute(f"SELECT row, trim(date_of_birth) FROM {STAGE} WHERE trim(child_id) = ? ORDER BY row",
                               [child_id]))
        first_row, first_dob = rows[0]
        for number, dob in rows[1:]:
            if dob != first_dob:
                errors.append(RowError(number, "date_of_birth",
                                       f"The date of birth {dob} for child {child_id} differs from row {first_row} "
                                       f"({first_dob})", "Give the child the same date of birth on every row"))


# ---------------------------------------------------------------------------------------------
# Comparing with the records already held, and writing

# The file's values as they would be stored.
_NORMALISED = f"""
SELECT row, episode_id, child_id, date_of_birth, episode_type,
       {_minute('start')} AS start,
       CASE WHEN "end" = '' THEN NULL ELSE {_minute(END)} END AS "end",
       looked_after = 'Y' AS looked_after, other_la = 'Y' AS other_la, nullif(placement, '') AS placement,
       nullif(rhi_offered_on, '') AS rhi_offered_on, nullif(rhi_outcome, '') AS rhi_outcome,
       nullif(rhi_completed_on, '') AS rhi_completed_on, nullif(rhi_by, '') AS rhi_by,
       (rhi_offered_on <> '' OR rhi_outcome <> '' OR rhi_completed_on <> '' OR rhi_by <> '') AS has_rhi
FROM ({_trimmed()})
"""

EPISODE_FIELDS = ("child_id", "episode_type", "start", "end", "looked_after", "other_la", "placement")
RHI_FIELDS = ("rhi_offered_on", "rhi_outcome", "rhi_completed_on", "rhi_by")

# Existing episodes named in the file, with their stored values beside the file's.
_EXISTING = f"""
SELECT s.row, s.episode_id, e.id AS pk, r.id AS rhi_pk, s.has_rhi,
       c.child_id AS old_child_id, s.child_id,
       e.episode_type AS old_episode_type, s.episode_type,
       e.start AS old_start, s.start,
       e."end" AS old_end, s."end",
       e.looked_after AS old_looked_after, s.looked_after,
       e.other_la AS old_other_la, s.other_la,
       e.placement AS old_placement, s.placement,
       r.offered_at AS old_rhi_offered_on, s.rhi_offered_on,
       r.outcome AS old_rhi_outcome, s.rhi_outcome,
       r.completed_at AS old_rhi_completed_on, s.rhi_completed_on,
       r.interviewer_type AS old_rhi_by, s.rhi_by
FROM ({_NORMALISED}) s
JOIN episodes e ON e.episode_id = s.episode_id
JOIN children c ON c.id = e.child
LEFT JOIN return_home_interviews r ON r.rhi_id = '{RHI_ID_PREFIX}' || s.episode_id
"""

_CHANGED_WHERE = " OR ".join(
    [f'old_{f} IS NOT "{f}"' for f in EPISODE_FIELDS]
    + ["(rhi_pk IS NULL AND has_rhi)",
       "(rhi_pk IS NOT NULL AND NOT has_rhi)",
       "(rhi_pk IS NOT NULL AND (substr(old_rhi_offered_on, 1, 10) IS NOT rhi_offered_on "
       "OR old_rhi_outcome IS NOT rhi_outcome OR substr(old_rhi_completed_on, 1, 10) IS NOT rhi_completed_on "
       "OR old_rhi_by IS NOT rhi_by))"])


def _count(db, preview: Preview) -> None:
    """Fill the preview's counts by comparing the staged file with the records held."""
    db.execute(f"CREATE TABLE temp.episode_import_existing AS {_EXISTING}")
    existing, changed = db.execute(
        f"SELECT count(*), coalesce(sum({_CHANGED_WHERE}), 0) FROM temp.episode_import_existing").fetchone()
    preview.new_episodes = preview.rows - existing
    preview.changed_episodes = changed
    preview.unchanged_episodes = existing - changed
    preview.new_children = db.execute(
        "SELECT count(*) FROM temp.episode_import_children ic "
        "WHERE NOT EXISTS (SELECT 1 FROM children c WHERE c.child_id = ic.child_id)").fetchone()[0]
    preview.changed_children = db.execute(
        "SELECT count(*) FROM temp.episode_import_children ic JOIN children c ON c.child_id = ic.child_id "
        "WHERE c.date_of_birth IS NOT ic.dob").fetchone()[0]


def _write(db, result: ImportResult, by: str | None, report: Progress) -> None:
    stamp = now_iso()
    new_rows = "s.row NOT IN (SELECT row FROM temp.episode_import_existing)"

    # Children: new ones, then a corrected date of birth for known ones (audited).
    db.execute("INSERT INTO children (child_id, date_of_birth, created_at, updated_at) "
               "SELECT child_id, dob, :now, :now FROM temp.episode_import_children ic "
               "WHERE NOT EXISTS (SELECT 1 FROM children c WHERE c.child_id = ic.child_id) ORDER BY first_row",
               {"now": stamp})
    for pk, child_id, old, new in list(db.execute(
            "SELECT c.id, c.child_id, c.date_of_birth, ic.dob FROM temp.episode_import_children ic "
            "JOIN children c ON c.child_id = ic.child_id WHERE c.date_of_birth IS NOT ic.dob")):
        db.execute("UPDATE children SET date_of_birth = ?, updated_at = ? WHERE id = ?", [new, stamp, pk])
        audit.record(db, "child.import_update", username=by, object_type="child", object_id=child_id,
                     detail={"file": result.file_name, "changes": {"date_of_birth": [old, new]}})
    report("Adding new episodes", 0.65)

    # New episodes and their RHIs, set-based.
    db.execute(
        f"""INSERT INTO episodes (episode_id, child, episode_type, start, "end", looked_after, other_la,
                                  placement, created_at, updated_at)
            SELECT s.episode_id, c.id, s.episode_type, s.start, s."end", s.looked_after, s.other_la,
                   s.placement, :now, :now
            FROM ({_NORMALISED}) s JOIN children c ON c.child_id = s.child_id
            WHERE {new_rows} ORDER BY s.row""", {"now": stamp})
    report("Adding return home interviews", 0.8)
    db.execute(
        f"""INSERT OR IGNORE INTO return_home_interviews (rhi_id, child, interviewer_type, offered_at, outcome,
                                  completed_at, origin, created_at, updated_at)
            SELECT '{RHI_ID_PREFIX}' || s.episode_id, c.id, s.rhi_by, s.rhi_offered_on || ' 00:00', s.rhi_outcome,
                   s.rhi_completed_on || ' 00:00', 'import', :now, :now
            FROM ({_NORMALISED}) s JOIN children c ON c.child_id = s.child_id
            WHERE s.has_rhi AND {new_rows} ORDER BY s.row""", {"now": stamp})
    db.execute(
        f"""INSERT OR IGNORE INTO rhi_episodes (rhi, episode)
            SELECT r.id, e.id FROM ({_NORMALISED}) s
            JOIN episodes e ON e.episode_id = s.episode_id
            JOIN return_home_interviews r ON r.rhi_id = '{RHI_ID_PREFIX}' || s.episode_id
            WHERE s.has_rhi AND {new_rows}""")
    report("Updating changed episodes", 0.9)

    # Changed episodes, one by one, each audited with its old and new values.
    cursor = db.conn.cursor()
    cursor.execute(f"SELECT * FROM temp.episode_import_existing WHERE {_CHANGED_WHERE} ORDER BY row")
    names = [d[0] for d in cursor.description]
    while True:
        chunk = cursor.fetchmany(1000)
        if not chunk:
            break
        for values in chunk:
            _update_episode(db, dict(zip(names, values)), by, stamp, result.file_name)

    report("Updating each child's current status", 0.95)
    _refresh_child_status(db, by, stamp, result.file_name)


def _update_episode(db, row: dict, by: str | None, stamp: str, file_name: str) -> None:
    changes = {}
    for name in EPISODE_FIELDS:
        if row[f"old_{name}"] != row[name]:
            changes[name] = [row[f"old_{name}"], row[name]]
    if changes:
        child_pk = db.execute("SELECT id FROM children WHERE child_id = ?", [row["child_id"]]).fetchone()[0]
        db.execute('UPDATE episodes SET child = ?, episode_type = ?, start = ?, "end" = ?, looked_after = ?, '
                   'other_la = ?, placement = ?, updated_at = ? WHERE id = ?',
                   [child_pk, row["episode_type"], row["start"], row["end"], row["looked_after"],
                    row["other_la"], row["placement"], stamp, row["pk"]])
        if "episode_type" in changes:
            db.execute("INSERT INTO episode_type_changes (episode, from_type, to_type, changed_at, changed_by) "
                       "VALUES (?, ?, ?, ?, ?)",
                       [row["pk"], row["old_episode_type"], row["episode_type"], stamp, by or "import"])
    rhi_id = RHI_ID_PREFIX + row["episode_id"]
    if row["has_rhi"]:
        offered = row["rhi_offered_on"] and row["rhi_offered_on"] + " 00:00"
        completed = row["rhi_completed_on"] and row["rhi_completed_on"] + " 00:00"
        if row["rhi_pk"] is None:
            child_pk = db.execute("SELECT child FROM episodes WHERE id = ?", [row["pk"]]).fetchone()[0]
            db.execute("INSERT INTO return_home_interviews (rhi_id, child, interviewer_type, offered_at, outcome, "
                       "completed_at, origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'import', ?, ?)",
                       [rhi_id, child_pk, row["rhi_by"], offered, row["rhi_outcome"], completed, stamp, stamp])
            rhi_pk = db.execute("SELECT id FROM return_home_interviews WHERE rhi_id = ?", [rhi_id]).fetchone()[0]
            db.execute("INSERT OR IGNORE INTO rhi_episodes (rhi, episode) VALUES (?, ?)", [rhi_pk, row["pk"]])
            changes["rhi"] = [None, {f: row[f] for f in RHI_FIELDS}]
        else:
            rhi_changes = {}
            for name, column, new in (("rhi_offered_on", "offered_at", offered),
                                      ("rhi_outcome", "outcome", row["rhi_outcome"]),
                                      ("rhi_completed_on", "completed_at", completed),
                                      ("rhi_by", "interviewer_type", row["rhi_by"])):
                old = row[f"old_{name}"]
                same = (old or "")[:10] == (new or "")[:10] if column.endswith("_at") else old == new
                if not same:
                    rhi_changes[column] = (old, new)
                    changes[name] = [old, new]
            if rhi_changes:
                child_pk = db.execute("SELECT child FROM episodes WHERE id = ?", [row["pk"]]).fetchone()[0]
                db.execute("UPDATE return_home_interviews SET "
                           + ", ".join(f"{c} = ?" for c in rhi_changes) + ", child = ?, updated_at = ? WHERE id = ?",
                           [v[1] for v in rhi_changes.values()] + [child_pk, stamp, row["rhi_pk"]])
                db.execute("INSERT OR IGNORE INTO rhi_episodes (rhi, episode) VALUES (?, ?)",
                           [row["rhi_pk"], row["pk"]])
    elif row["rhi_pk"] is not None:
        # The file no longer records an RHI for this episode: clear what the import had set.
        old = {"offered_at": row["old_rhi_offered_on"], "outcome": row["old_rhi_outcome"],
               "completed_at": row["old_rhi_completed_on"], "interviewer_type": row["old_rhi_by"]}
        db.execute("UPDATE return_home_interviews SET offered_at = NULL, outcome = NULL, completed_at = NULL, "
                   "interviewer_type = NULL, updated_at = ? WHERE id = ?", [stamp, row["rhi_pk"]])
        changes["rhi"] = [old, None]
    if changes:
        audit.record(db, "episode.import_update", username=by, object_type="episode", object_id=row["episode_id"],
                     detail={"file": file_name, "changes": changes})


def _refresh_child_status(db, by: str | None, stamp: str, file_name: str) -> None:
    """Set each imported child's looked-after status, placement and OLA flag from their latest episode."""
    latest = """
        SELECT c.id, c.child_id, c.looked_after, c.other_la, c.placement, c.created_at,
               (SELECT json_array(e.looked_after, e.other_la, e.placement) FROM episodes e
                WHERE e.child = c.id ORDER BY e.start DESC, e.id DESC LIMIT 1) AS status
        FROM temp.episode_import_children ic JOIN children c ON c.child_id = ic.child_id
    """
    import json

    updates, audits = [], []
    for pk, child_id, looked_after, other_la, placement, created_at, status in db.execute(latest):
        if status is None:
            continue
        new = json.loads(status)
        old = [looked_after, other_la, placement]
        if new != old:
            updates.append((new[0], new[1], new[2], stamp, pk))
            if created_at != stamp:  # a child new in this import is covered by the import's own entry
                audits.append((child_id, dict(zip(("looked_after", "other_la", "placement"), zip(old, new)))))
    db.conn.executemany("UPDATE children SET looked_after = ?, other_la = ?, placement = ?, updated_at = ? "
                        "WHERE id = ?", updates)
    for child_id, changes in audits:
        changes = {k: list(v) for k, v in changes.items() if v[0] != v[1]}
        audit.record(db, "child.import_update", username=by, object_type="child", object_id=child_id,
                     detail={"file": file_name, "changes": changes})
