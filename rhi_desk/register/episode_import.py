"""Bulk import of episode history from the episode register CSV (see DOMAIN.md).

The file is streamed, never held in memory: each row is checked as it is read (in Python, with
small caches of the dates already seen and a map of the file's children), and checked rows are
written in batches with ``executemany`` inside ONE transaction, looking up only those episodes the
file names that are already held. At the first bad row writing stops, checking goes on to the end,
and the transaction is rolled back. So:

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
the return...) are imported and listed by :mod:`rhi_desk.register.data_quality`.
"""
from __future__ import annotations

import csv
import hashlib
import logging
import os
import queue
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Callable

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_minute
from rhi_desk.db import IntegrityError, write_transaction
from rhi_desk.register.import_format import (
    _ID,
    COLUMNS,
    ID_FIX,
    MAX_PROBLEMS,
    ImportRefused,
    ImportResult,
    Preview,
    ProblemList,
    RowError,
    _check_header,
    _check_row,
    _Duplicate,
    _duplicates,
    _open,
    _Plan,
    _sort,
    more_sentence,
)
from rhi_desk.register.import_mapping import FIELDS as m_fields
from rhi_desk.register.import_mapping import Mapping, propose, user_error
from rhi_desk.register.import_sources import (
    TableError,
    cells_as_written,
    check_mapping,
    is_excel,
    mapped_rows,
    open_table,
)
from rhi_desk.register.import_writer import _name_children, _refresh_child_status, _Writer
from rhi_desk.register.migrations import NEXT_RHI_VERSION

__all__ = ["COLUMNS", "MAX_PROBLEMS", "ImportRefused", "ImportResult", "Preview", "ProblemList", "RowError",
           "import_episodes", "more_sentence", "validate_file"]

log = logging.getLogger(__name__)

BATCH = 5_000
BAD_IDS_HELD = 1_000  # checking: the bad rows' ids held before the writer takes them (memory flat)
IMPORT_CACHE_KIB = 65_536  # a fixed 64 MB page cache while importing: every index kept up row by row fits in it
                           # at a million rows (16 MB: 28.4 s, 32 MB: 26.5 s, 64 MB: 23.8 s, 96 MB: 24.2 s)


Progress = Callable[[str, float], None]


# ---------------------------------------------------------------------------------------------
# Public API


def validate_file(db: sqlite_utils.Database, path: str | os.PathLike, *, mapping: Mapping | None = None,
                  sheet: str | None = None) -> Preview:
    """Check the file (through ``mapping`` if it is a council's own) and count what importing it would do."""
    path = Path(path)
    preview = Preview(file_name=path.name)
    started = not db.conn.in_transaction
    if started:
        db.conn.execute("BEGIN")  # one consistent view of the register while counting
    try:
        plan = _run(db, path, preview, write=False, mapping=mapping, sheet=sheet)
        if plan is not None and plan.repeated_ids:
            # Every repeated row named: a second reading, needed only when the first met a repeated id
            # (checking goes on past bad rows, and their ids are looked at too: _Writer.note_ids).
            _merge(preview.errors, _find_duplicates(db, path, plan.mapping, sheet))
    finally:
        db.execute("DROP TABLE IF EXISTS temp.episode_import_seen")
        if started:
            db.conn.execute("ROLLBACK")
    _sort(preview.errors)
    return preview


def import_episodes(db: sqlite_utils.Database, path: str | os.PathLike, *, by: str | None = None,
                    progress: Progress | None = None, mapping: Mapping | None = None,
                    sheet: str | None = None) -> ImportResult:
    """Import the file at ``path`` in one transaction; raises ImportRefused if any row is bad.

    The file is the episode register CSV, or a council's own CSV or workbook read through ``mapping``.
    """
    path = Path(path)
    result = ImportResult(file_name=path.name)
    report = progress or (lambda phase, fraction: None)
    old_cache = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    # Every value is checked before it is written and every child id comes from the children just
    # looked up or written, so the per-row CHECK and foreign-key tests would only repeat that work
    # (they are a third of the time); both are back on before this function returns.
    foreign_keys = db.execute("PRAGMA foreign_keys").fetchone()[0]
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("PRAGMA ignore_check_constraints = ON")
    plan = None
    try:
        with write_transaction(db):
            estimate = path.stat().st_size // 80 if path.exists() else 0
            with _bulk_load(db, estimate) as loading:
                plan = _run(db, path, result, write=True, by=by, report=report, mapping=mapping, sheet=sheet,
                            loading=loading)
                if not result.ok:
                    if plan is not None:
                        _merge(result.errors, _find_duplicates(db, path, plan.mapping, sheet))
                    raise ImportRefused(_sort(result.errors))
            report("Updating each child's current status", 0.97)
            _refresh_child_status(db, plan, by, result.file_name)
            _name_children(db, plan, by, result.file_name)
            audit.record(db, "episodes.import", username=by, object_type="import", object_id=path.name,
                         detail={"rows": result.rows, "new_episodes": result.new_episodes,
                                 "changed_episodes": result.changed_episodes,
                                 "unchanged_episodes": result.unchanged_episodes,
                                 "new_children": result.new_children,
                                 "changed_children": result.changed_children})
    except (IntegrityError, _Duplicate) as exc:
        # An episode id used twice in the file: find every such row (rare, so only looked for now).
        errors = _find_duplicates(db, path, plan.mapping if plan else _resolve(path, mapping, sheet), sheet)
        if not errors:
            # SQLite's own words name tables and constraints, not the file: they go to the log, not the page.
            log.warning("An import of %s was refused on a constraint of the register: %s", path.name, exc)
            errors = ProblemList([RowError(None, None, "The file clashes with records already held",
                                           "Nothing was changed. Tell your administrator, with the file")])
        raise ImportRefused(_sort(errors)) from None
    finally:
        db.execute("DROP TABLE IF EXISTS temp.episode_import_held")
        db.execute("DROP TABLE IF EXISTS temp.episode_import_new")
        db.execute("PRAGMA ignore_check_constraints = OFF")
        db.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        db.execute(f"PRAGMA cache_size = {old_cache}")
    report("Finished", 1.0)
    return result


def _resolve(path: Path, mapping: Mapping | None, sheet: str | None) -> Mapping | None:
    """The mapping to read the file through: the one given, or for a workbook the one its headers suggest.

    Only for the rare paths that read the file again after a failed import: the import itself proposes
    the mapping from the table it has open (a workbook's sheet is read whole, so opening it twice costs
    as much again as reading it).
    """
    if mapping is not None or not is_excel(path):
        return mapping
    try:
        table = open_table(path, sheet)
    except (TableError, OSError):
        return None  # reading it again names the problem
    try:
        return propose(table.header)
    finally:
        table.close()


def _find_duplicates(db, path: Path, mapping: Mapping | None, sheet: str | None) -> ProblemList:
    """Rows repeating an episode id, for the register CSV or a file read through a mapping."""
    if mapping is None:
        return _duplicates(db, path)
    table = open_table(path, sheet or mapping.sheet)
    try:
        rows = ((number, values) for number, values, _ in mapped_rows(table, mapping, []))
        column = mapping.columns.get("episode_id") or "the child and start (no episode id column)"
        return _duplicates(db, path, rows, column)
    finally:
        table.close()


def _merge(errors: ProblemList, more: ProblemList) -> None:
    errors.extend(more)
    errors.more += more.more
    errors.more_rows += more.more_rows


BULK_ROWS = 20_000  # an import of at least this many rows (and at least as many as the register holds) is bulk
# The triggers that stamp a record added without its recorded_from (register migration 0071). The import
# stamps its own rows in its INSERT ... SELECT (import_writer.py), so they would only test each row and pass.
STAMP_TRIGGERS = ("episode_history_insert", "rhi_episode_history_insert", "child_history_insert")
# Other areas' triggers on a record added, run once per row (a third of a million-row import's time), and
# the same effect for every record the import added (ids above those held before: :episodes, :rhis), run
# once after the load. Each is set aside only while its SQL is the one this was written for (the
# fingerprint: sha256 of its words); a trigger changed since, or added later, stays and fires row by row.
# The four on an RHI's answers or assignee can only fire for an RHI added with either (RHI_CONTENT): the
# import writes neither, so one look for any such RHI stands for the four (each reads every RHI added).
SET_BASED = {
    # An RHI's current version, open in its history too (register migrations 0073, 0074). (The writer makes
    # this itself batch by batch, _Writer.HISTORY; this statement makes it after the load otherwise.)
    "rhi_history_insert": ("b72b11fcc0db", "INSERT INTO rhi_history (id, version, child, interviewer_type, "
                           "offered_at, outcome, completed_at, assigned_to, recorded_from) SELECT id, "
                           + NEXT_RHI_VERSION.format(row="return_home_interviews.id") + ", child, interviewer_type, "
                           "offered_at, outcome, completed_at, assigned_to, recorded_from "
                           "FROM return_home_interviews WHERE id > :rhis ORDER BY id"),
    # The dashboard's months to count again (reports/month_cache.py).
    "report_months_episode_insert": ("543a549678a4", "INSERT OR IGNORE INTO report_months_changed (month) "
                                     "SELECT DISTINCT substr(start, 1, 7) FROM episodes WHERE id > :episodes "
                                     "AND start IS NOT NULL"),
    # (A link to an episode the import added marks that episode's month, marked with the episode already.)
    "report_months_link_insert": ("ef461730a93c", "INSERT OR IGNORE INTO report_months_changed (month) "
                                  "SELECT DISTINCT substr(e.start, 1, 7) FROM rhi_episodes re JOIN episodes e "
                                  "ON e.id = re.episode WHERE re.rhi > :rhis AND re.episode <= :episodes "
                                  "AND e.start IS NOT NULL"),
    # The children whose data-quality issues are to be found again (register/data_quality.py, migration 0075).
    # (The writer marks every child the file names itself, _Writer.finish; these mark them after the load
    # otherwise.)
    "data_quality_episode_insert": ("ffbd103dd616", "INSERT OR IGNORE INTO data_quality_pending (child) "
                                    "SELECT DISTINCT child FROM episodes WHERE id > :episodes; "
                                    "DELETE FROM data_quality_issues WHERE child IN (SELECT child FROM "
                                    "data_quality_pending)"),
    "data_quality_rhi_insert": ("627c998423eb", "INSERT OR IGNORE INTO data_quality_pending (child) "
                                "SELECT DISTINCT child FROM return_home_interviews WHERE id > :rhis; "
                                "DELETE FROM data_quality_issues WHERE child IN (SELECT child FROM "
                                "data_quality_pending)"),
    "data_quality_link_insert": ("bcfdef436700", "INSERT OR IGNORE INTO data_quality_pending (child) "
                                 "SELECT DISTINCT r.child FROM rhi_episodes re JOIN return_home_interviews r "
                                 "ON r.id = re.rhi WHERE re.rhi > :rhis OR re.episode > :episodes; "
                                 "DELETE FROM data_quality_issues WHERE child IN (SELECT child FROM "
                                 "data_quality_pending)"),
    # Interviews to read into the picture (intelligence): none of the import's, whose answers are empty.
    "intel_rhi_added": ("34417611083b", "INSERT OR IGNORE INTO intel_pending (rhi) SELECT id FROM "
                        "return_home_interviews WHERE id > :rhis AND answers IS NOT NULL "
                        "AND answers NOT IN ('', '{}')"),
    "intel_rhi_episode_added": ("f134d9d17256", "INSERT OR IGNORE INTO intel_pending (rhi) SELECT r.id FROM "
                                "return_home_interviews r WHERE r.id > :rhis AND r.answers NOT IN ('', '{}') "
                                "AND EXISTS (SELECT 1 FROM rhi_episodes re WHERE re.rhi = r.id)"),
    # The coded reason in the answers, and the assignee's user: none of the import's RHIs carries either.
    "rhi_not_done_code_on_insert": ("325d7d9c3e1d", "UPDATE return_home_interviews SET not_done_code = "
                                    "json_extract(answers, '$.not_done_code') WHERE id > :rhis AND "
                                    "json_valid(answers) AND coalesce(json_extract(answers, '$.not_done_code'), '') "
                                    "IN ('declined_by_child', 'parent_carer_refused', 'could_not_contact', "
                                    "'missing_again', 'moved_out_of_area', 'other') AND outcome IS NOT 'completed' "
                                    "AND not_done_code IS NOT json_extract(answers, '$.not_done_code')"),
    "rhi_assignee_on_insert": ("d79a6a5d73c6", """UPDATE return_home_interviews SET
        assigned_user = (SELECT CASE WHEN (SELECT count(*) FROM users u WHERE lower(u.username) = lower(return_home_interviews.assigned_to)) = 1
                                     THEN (SELECT u.id FROM users u WHERE lower(u.username) = lower(return_home_interviews.assigned_to))
                                     WHEN (SELECT count(*) FROM users u WHERE lower(u.display_name) = lower(return_home_interviews.assigned_to)) = 1
                                     THEN (SELECT u.id FROM users u WHERE lower(u.display_name) = lower(return_home_interviews.assigned_to))
                                END),
        assigned_org = (SELECT u.organisation FROM users u WHERE u.role = 'provider'
                        AND lower(u.organisation) = lower(return_home_interviews.assigned_to) LIMIT 1)
     WHERE id > :rhis AND assigned_to IS NOT NULL"""),  # noqa: E501 (the trigger's own statement)
}


RHI_CONTENT = ("SELECT 1 FROM return_home_interviews WHERE id > :rhis AND (assigned_to IS NOT NULL "
               "OR answers NOT IN ('', '{}')) LIMIT 1")
ON_RHI_CONTENT = {"intel_rhi_added", "intel_rhi_episode_added", "rhi_not_done_code_on_insert",
                  "rhi_assignee_on_insert"}


def fingerprint(sql: str) -> str:
    """A trigger's SQL as SET_BASED knows it: the first 12 hex digits of the sha256 of its words."""
    return hashlib.sha256(" ".join(sql.split()).encode()).hexdigest()[:12]


@dataclass
class BulkLoad:
    """What a bulk load set aside (``set_aside``: trigger names), and which of their effects the writer has
    made itself, batch by batch (``done``: SET_BASED names), so that they are not made again after the load."""

    set_aside: set = field(default_factory=set)
    done: set = field(default_factory=set)


@contextmanager
def _bulk_load(db, rows: int):
    """For an import at least as big as the register held: other areas' triggers run after the load, once.

    One statement for every added record is faster than one trigger program per row (SET_BASED). The
    register's history is not written at all: a record added is its own current version, stamped by the
    import (register migration 0071). All inside the import's transaction, so a failed import leaves the
    schema exactly as it was.

    Every index stays and is kept up row by row, in the import's fixed page cache (IMPORT_CACHE_KIB), so
    memory is the same whatever the size of the file. (Dropping the indexes and building them after the
    load was 8% faster at a million rows, but SQLite sorts a new index in memory, in this build, which
    keeps its temporary files there because on disk they are not encrypted: 60 MB more for every million
    rows. docs/exports.md.)
    """
    held = db.execute("SELECT count(*) FROM episodes").fetchone()[0]
    if rows < BULK_ROWS or rows < held:
        yield None
        return
    names = list(STAMP_TRIGGERS) + list(SET_BASED)
    triggers = [(name, sql) for name, sql in db.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({', '.join('?' * len(names))})",
        names).fetchall() if name in STAMP_TRIGGERS or fingerprint(sql) == SET_BASED[name][0]]
    before = {"episodes": db.execute("SELECT coalesce(max(id), 0) FROM episodes").fetchone()[0],
              "rhis": db.execute("SELECT coalesce(max(id), 0) FROM return_home_interviews").fetchone()[0]}
    for name, _ in triggers:
        db.execute(f'DROP TRIGGER "{name}"')
    loading = BulkLoad({name for name, _ in triggers})
    yield loading
    todo = set(SET_BASED) - loading.done
    content = bool(todo & ON_RHI_CONTENT) and db.execute(RHI_CONTENT, before).fetchone() is not None
    for name, sql in triggers:
        if name in todo and (content or name not in ON_RHI_CONTENT):
            for statement in SET_BASED[name][1].split("; "):
                db.execute(statement, before)
        db.execute(sql)


def _run(db, path: Path, result: Preview, *, write: bool, by: str | None = None,
         report: Progress | None = None, mapping: Mapping | None = None, sheet: str | None = None,
         loading: BulkLoad | None = None) -> _Plan | None:
    """Read the file once: check every row, count new/changed/unchanged, and (``write``) import.

    Writing stops at the first bad row but checking goes on, so every bad row is reported; the
    caller then rolls the transaction back. Without a mapping the file is the register CSV itself
    (the fast path); with one (or for a workbook) each row is read through it first.
    """
    errors = result.errors
    if mapping is not None or is_excel(path):
        return _run_mapped(db, path, result, write=write, by=by, report=report, mapping=mapping, sheet=sheet,
                           loading=loading)
    try:
        size = max(path.stat().st_size, 1)
        raw, reader = _open(path)
    except OSError:
        errors.append(RowError(None, None, "The file could not be opened", "Check the file still exists and try again"))
        return None
    with raw:
        try:
            try:
                header = next(reader)
            except StopIteration:
                errors.append(RowError(None, None, "The file is empty",
                                       "Choose the episode register CSV file, with its header row"))
                return None
            names = _check_header(header, errors)
            if names is None:
                return None
            plan = _Plan(tuple(names.index(c) for c in COLUMNS), {})
            plan.name_at = names.index("child_name") if "child_name" in names else None
            _check_rows(db, plan, enumerate(reader, start=2), len(names), result, write, by, report,
                        lambda: raw.tell() / size, None, loading)
        except UnicodeDecodeError:
            errors.clear()
            errors.append(RowError(None, None, "The file is not saved as UTF-8 text",
                                   "Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' and try again"))
            return None
        except csv.Error as exc:
            errors.append(RowError(reader.line_num, None, f"The file is not a readable CSV file ({exc})",
                                   "Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' and try again"))
            return None
    return plan


def _run_mapped(db, path: Path, result: Preview, *, write: bool, by, report, mapping: Mapping | None,
                sheet: str | None, loading: BulkLoad | None = None) -> _Plan | None:
    """The council's own file (CSV or workbook) read through a mapping, then checked as the register's rows."""
    errors = result.errors
    try:
        table = open_table(path, sheet or (mapping.sheet if mapping else None))
    except OSError:
        errors.append(RowError(None, None, "The file could not be opened", "Check the file still exists and try again"))
        return None
    except TableError as exc:
        errors.append(RowError(None, None, *str(exc).split(". ", 1)) if ". " in str(exc)
                      else RowError(None, None, str(exc), "Check the file and try again"))
        return None
    try:
        if mapping is None:
            mapping = propose(table.header)
        problems = check_mapping(table.header, mapping)
        if problems:
            errors.extend(problems)
            return None
        plan = _Plan(tuple(range(len(COLUMNS))), {})
        plan.name_at = m_fields.index("child_name") if mapping.columns.get("child_name") else None
        current: dict = {}

        def numbered():
            for number, values, cells in mapped_rows(table, mapping, errors):
                current["cells"] = cells
                yield number, values

        def describe(error: RowError) -> RowError:
            raw = cells_as_written(current.get("cells") or [], table.header, mapping)
            return user_error(error, mapping, raw)

        done = [0]
        estimate = max(path.stat().st_size // 90, 1)

        def fraction() -> float:
            done[0] += BATCH
            return min(done[0] / estimate, 1.0)

        _check_rows(db, plan, numbered(), len(m_fields), result, write, by, report, fraction, describe, loading)
    except UnicodeDecodeError:
        errors.clear()
        errors.append(RowError(None, None, "The file is not saved as UTF-8 text",
                               "Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' and try again"))
        return None
    except csv.Error as exc:
        errors.append(RowError(None, None, f"The file is not a readable CSV file ({exc})",
                               "Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' and try again"))
        return None
    finally:
        table.close()
    plan.mapping = mapping
    return plan


def _check_rows(db, plan: _Plan, numbered, width: int, result: Preview, write: bool, by, report, fraction,
                describe, loading: BulkLoad | None = None) -> None:
    """Check each (row number, values) and pass the good ones to the writer in batches.

    The rows are read and checked on a second thread (:class:`_Ahead`) while this one writes the batch
    before: SQLite lets go of Python's lock while it inserts, so on two cores the checks of the next batch
    and the writing of the last overlap. Everything SQLite is done on this thread, the connection's own.
    """
    state = _Writer(db, result, write, by, plan, loading)
    phase = "Importing" if write else "Checking"
    ahead = _Ahead()
    state.overlap = ahead.overlap
    with ahead:
        for batch, done in ahead.run(_checked(plan, numbered, width, result, fraction, describe, ahead.gate,
                                              checking=not write)):
            state.add(batch)
            report and report(phase, 0.9 * done)
    if not write:
        state.note_ids([])  # the bad rows met after the last batch
    if not result.errors:
        state.finish()


def _checked(plan: _Plan, numbered, width: int, result: Preview, fraction, describe, gate, checking: bool = False):
    """The good rows in batches of BATCH, with how far through the file (the hot loop); every problem in
    ``result.errors``. Waits at ``gate`` (a row at a time) while the writer's thread needs Python's lock.

    Importing, the good rows stop at the first bad one (nothing will be written). ``checking`` (the preview,
    ``--dry-run``), they go on, and each bad row's episode id goes to ``plan.bad_ids``: a repeated id is then
    known from this one reading, and the file is read again only to name the rows that repeat one."""
    errors = result.errors
    pick = itemgetter(*plan.order)
    strip = str.strip
    now = now_minute()
    today = now[:10]
    children = plan.children
    name_at, child_names = plan.name_at, plan.names
    may_run, wait = gate.is_set, gate.wait
    bad_ids = plan.bad_ids
    batch = []
    rows = 0
    for number, record in numbered:
        if not may_run():
            wait()
        if len(record) != width:
            if any(v.strip() for v in record):
                errors.append(RowError(
                    number, None, f"This row has {len(record)} values but the header has {width} columns",
                    "Check for a missing or extra comma, or a value with a comma that is not in quotes"))
            continue
        if not any(record):
            continue
        rows += 1
        # Fast path: every check of _check_row is an exact match that no value with spaces
        # around it passes, so a row of a known child that passes unstripped needs no strip.
        values = pick(record)
        problems = _check_row(values, now, today)
        seen = children.get(values[1])
        if problems is not None or seen is None:
            values = tuple(map(strip, values))
            problems = _check_row(values, now, today)
            child_id, dob = values[1], values[2]
            if child_id and dob:
                seen = children.get(child_id)
                if seen is None:
                    children[child_id] = seen = [dob, number]
                    if not _ID(child_id):
                        problems = (problems or []) + [(
                            "child_id", f"{child_id!r} cannot be used as a child id", ID_FIX)]
                if seen[0] != dob:
                    problems = (problems or []) + [_other_birth_date(values, seen)]
        elif seen[0] != values[2]:
            problems = [_other_birth_date(values, seen)]
        if name_at is not None:
            child_name = record[name_at].strip()
            if child_name:
                child_names.setdefault(values[1].strip(), child_name)
        if problems:
            if describe is None:
                errors.extend(RowError(number, column, problem, fix) for column, problem, fix in problems)
            else:
                errors.extend(describe(RowError(number, column, problem, fix)) for column, problem, fix in problems)
            if checking and values[0]:
                bad_ids.append(values[0])
                if len(bad_ids) >= BAD_IDS_HELD:  # to the writer's table now, so that memory stays flat
                    yield batch, fraction()
                    batch = []
        elif checking or not errors:
            batch.append(values)
            if len(batch) >= BATCH:
                yield batch, fraction()
                batch = []
    result.rows = rows
    if batch and (checking or not errors):
        yield batch, 1.0


class _Ahead:
    """Run a generator of batches on a second thread, a couple of batches ahead of the thread writing them.

    Python runs one thread at a time: the checking thread runs only while the writing thread waits for a
    batch or is inside a long SQLite statement (``overlap``), and otherwise waits at ``gate``, so the
    writer never queues for Python's lock between its many short steps (executemany). Memory stays flat:
    at most QUEUED batches wait. An error on either thread stops both; the checker's is raised here.
    """

    QUEUED = 2
    # While both run, Python hands its lock over after this long (the default, 5 ms, made the writer wait that
    # long after each of its statements: 4 s in a million rows). Put back afterwards.
    SWITCH_SECONDS = 0.0002

    def __init__(self):
        self.gate = threading.Event()
        self.queue: queue.Queue = queue.Queue(maxsize=self.QUEUED)
        self.stopped = False
        self.thread: threading.Thread | None = None

    @contextmanager
    def overlap(self):
        """Let the checking thread run while this one is inside SQLite (which lets go of Python's lock)."""
        self.gate.set()
        try:
            yield
        finally:
            self.gate.clear()

    def _produce(self, batches) -> None:
        try:
            for item in batches:
                self.queue.put(item)
                if self.stopped:
                    return
        except BaseException as exc:  # raised again on the writing thread, in run()
            self.queue.put(exc)
        else:
            self.queue.put(None)

    def run(self, batches):
        self.thread = threading.Thread(target=self._produce, args=(batches,), name="rhi-import-check", daemon=True)
        self.thread.start()
        while True:
            with self.overlap():  # waiting for the next batch: the checker has the whole of Python
                item = self.queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def __enter__(self):
        self.switch = sys.getswitchinterval()
        sys.setswitchinterval(min(self.switch, self.SWITCH_SECONDS))
        return self

    def __exit__(self, *exc) -> None:
        sys.setswitchinterval(self.switch)
        if self.thread is None:
            return
        self.stopped = True
        self.gate.set()
        while self.thread.is_alive():  # take what it still puts, so it is never left waiting to
            try:
                self.queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self.thread.join()
        self.gate.clear()


def _other_birth_date(values: tuple, seen: list) -> tuple:
    return ("date_of_birth", f"The date of birth {values[2]} for child {values[1]} differs from row "
                             f"{seen[1]} ({seen[0]})", "Give the child the same date of birth on every row")
