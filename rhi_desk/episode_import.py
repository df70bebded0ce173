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
the return...) are imported and listed by :mod:`rhi_desk.data_quality`.
"""
from __future__ import annotations

import csv
import io
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Callable

import sqlite_utils

from . import audit
from .clock import now_iso, now_minute
from .db import write_transaction
from .register import ID_RULE, valid_id

COLUMNS = (
    "episode_id", "child_id", "date_of_birth", "episode_type", "start", "end", "looked_after",
    "other_la", "placement", "rhi_offered_on", "rhi_outcome", "rhi_completed_on", "rhi_by",
)
EPISODE_TYPES = ("missing", "away")
PLACEMENTS = ("in_borough", "neighbouring", "out_of_borough")
OUTCOMES = ("completed", "declined", "unavailable", "missing_again")
INTERVIEWER_TYPES = ("social_worker", "missing_team", "provider")
RHI_ID_PREFIX = "import-"
BATCH = 5_000
IMPORT_CACHE_KIB = 16_384  # a fixed 16 MB page cache while importing (64 MB and 256 MB were no faster)


class ImportRefused(Exception):
    """The file was not imported (nothing changed); ``errors`` lists every problem found."""

    def __init__(self, errors: list["RowError"]):
        self.errors = errors
        rows = {e.row for e in errors if e.row and e.row > 1}
        if rows:
            what = f"{len(rows)} row{'s' if len(rows) != 1 else ''} cannot be understood"
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
        db.conn.execute("BEGIN")  # one consistent view of the register while counting
    try:
        plan = _run(db, path, preview, write=False)
        if plan is not None:
            preview.errors.extend(_duplicates(db, path))
    finally:
        if started:
            db.conn.execute("ROLLBACK")
    _sort(preview.errors)
    return preview


def import_episodes(db: sqlite_utils.Database, path: str | os.PathLike, *, by: str | None = None,
                    progress: Progress | None = None) -> ImportResult:
    """Import the episode register CSV at ``path`` in one transaction; raises ImportRefused if any row is bad."""
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
            with _indexes_rebuilt_if_bulk(db, estimate):
                plan = _run(db, path, result, write=True, by=by, report=report)
                if not result.ok:
                    if plan is not None:
                        result.errors.extend(_duplicates(db, path))
                    raise ImportRefused(_sort(result.errors))
            report("Updating each child's current status", 0.97)
            _refresh_child_status(db, plan, by, result.file_name)
            audit.record(db, "episodes.import", username=by, object_type="import", object_id=path.name,
                         detail={"rows": result.rows, "new_episodes": result.new_episodes,
                                 "changed_episodes": result.changed_episodes,
                                 "unchanged_episodes": result.unchanged_episodes,
                                 "new_children": result.new_children,
                                 "changed_children": result.changed_children})
    except (sqlite3.IntegrityError, _Duplicate) as exc:
        # An episode id used twice in the file: find every such row (rare, so only looked for now).
        errors = _duplicates(db, path)
        if not errors:
            errors = [RowError(None, None, f"The file clashes with records already held ({exc})",
                               "Nothing was changed. Tell your administrator, with the file")]
        raise ImportRefused(_sort(errors)) from None
    finally:
        db.execute("DROP TABLE IF EXISTS temp.episode_import_held")
        db.execute("PRAGMA ignore_check_constraints = OFF")
        db.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        db.execute(f"PRAGMA cache_size = {old_cache}")
    report("Finished", 1.0)
    return result


BULK_TABLES = ("episodes", "return_home_interviews", "rhi_episodes")


@contextmanager
def _indexes_rebuilt_if_bulk(db, rows: int):
    """For an import at least as big as the register held, drop the secondary indexes and build them after.

    Building an index once from sorted rows is several times faster than updating it row by row.
    Inside the import's transaction, so a failed import leaves the indexes exactly as they were.
    """
    held = db.execute("SELECT count(*) FROM episodes").fetchone()[0]
    if rows < 20_000 or rows < held:
        yield
        return
    marks = ", ".join("?" * len(BULK_TABLES))
    indexes = db.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                         f"AND tbl_name IN ({marks})", BULK_TABLES).fetchall()
    for name, _ in indexes:
        db.execute(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        db.execute(sql)


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


def _open(path: Path):
    raw = open(path, "rb")
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    return raw, csv.reader(text)


def _rows(path: Path, plan: _Plan):
    """Yield (row number, stripped values in COLUMNS order) for each non-blank data row of a checked file."""
    pick = itemgetter(*plan.order)
    width = len(plan.order)
    strip = str.strip
    raw, reader = _open(path)
    with raw:
        next(reader)
        for number, record in enumerate(reader, start=2):
            if len(record) == width and any(record):
                yield number, tuple(map(strip, pick(record)))


def _run(db, path: Path, result: Preview, *, write: bool, by: str | None = None,
         report: Progress | None = None) -> _Plan | None:
    """Read the file once: check every row, count new/changed/unchanged, and (``write``) import.

    Writing stops at the first bad row but checking goes on, so every bad row is reported; the
    caller then rolls the transaction back.
    """
    errors = result.errors
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
            state = _Writer(db, result, write, by, plan)
            pick = itemgetter(*plan.order)
            width = len(names)
            strip = str.strip
            now = now_minute()
            today = now[:10]
            children = plan.children
            batch = []
            rows = 0
            for number, record in enumerate(reader, start=2):
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
                if problems:
                    errors.extend(RowError(number, column, problem, fix) for column, problem, fix in problems)
                elif not errors:
                    batch.append(values)
                    if len(batch) >= BATCH:
                        state.add(batch)
                        batch = []
                        report and report("Importing" if write else "Checking", 0.9 * raw.tell() / size)
            if batch and not errors:
                state.add(batch)
        except UnicodeDecodeError:
            errors.clear()
            errors.append(RowError(None, None, "The file is not saved as UTF-8 text",
                                   "Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' and try again"))
            return None
        except csv.Error as exc:
            errors.append(RowError(reader.line_num, None, f"The file is not a readable CSV file ({exc})",
                                   "Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' and try again"))
            return None
    result.rows = rows
    if not errors:
        state.finish()
    return plan


def _other_birth_date(values: tuple, seen: list) -> tuple:
    return ("date_of_birth", f"The date of birth {values[2]} for child {values[1]} differs from row "
                             f"{seen[1]} ({seen[0]})", "Give the child the same date of birth on every row")


class _Writer:
    """Pass the checked rows, a batch at a time, to the register: compare with what is held, and write."""

    # The new episodes and RHIs of one import share one stamp, written into the statements by __init__
    # rather than bound for each of a million rows.
    INSERT_EPISODE = ('INSERT INTO episodes (id, episode_id, child, episode_type, start, "end", looked_after, '
                      "other_la, placement, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, {stamps})")
    INSERT_RHI = ("INSERT INTO return_home_interviews (id, rhi_id, child, interviewer_type, offered_at, outcome, "
                  "completed_at, origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'import', {stamps})")
    INSERT_LINK = "INSERT INTO rhi_episodes (rhi, episode) VALUES (?, ?)"
    INSERT_CHILD = "INSERT INTO children (id, child_id, date_of_birth, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"

    def __init__(self, db, result: Preview, write: bool, by: str | None, plan: _Plan):
        self.db, self.result, self.write, self.by, self.fresh = db, result, write, by, plan.fresh
        self.stamp = now_iso()
        stamps = f"'{self.stamp}', '{self.stamp}'"  # YYYY-MM-DD HH:MM:SS from the clock, never from the file
        self.insert_episode = self.INSERT_EPISODE.format(stamps=stamps)
        self.insert_rhi = self.INSERT_RHI.format(stamps=stamps)
        self.max_episode = db.execute("SELECT coalesce(max(id), 0) FROM episodes").fetchone()[0]
        self.any_held = db.execute("SELECT 1 FROM episodes LIMIT 1").fetchone() is not None
        self.next_episode = self.max_episode + 1
        self.next_rhi = db.execute("SELECT coalesce(max(id), 0) FROM return_home_interviews").fetchone()[0] + 1
        self.next_child = db.execute("SELECT coalesce(max(id), 0) FROM children").fetchone()[0] + 1
        self.child_pks: dict[str, int] = {}
        self.corrected: list = []
        self.new = self.changed = 0
        if write and self.any_held:
            # Held episodes met so far: a second row for one of them is a repeated id.
            db.execute("DROP TABLE IF EXISTS temp.episode_import_held")
            db.execute("CREATE TABLE temp.episode_import_held (episode_id TEXT PRIMARY KEY) WITHOUT ROWID")

    def _children(self, batch: list[tuple]) -> None:
        """Look up (and, writing, add) the children of this batch not met before."""
        unknown = list({v[1]: v[2] for v in batch if v[1] not in self.child_pks}.items())
        if not unknown:
            return
        dobs = dict(unknown)
        held = _in_chunks(self.db, "SELECT child_id, id, date_of_birth FROM children WHERE child_id IN",
                          list(dobs))
        for child_id, pk, dob in held:
            self.child_pks[child_id] = pk
            if dob != dobs[child_id]:
                self.corrected.append((child_id, pk, dob, dobs[child_id]))
        fresh = []
        for child_id, dob in unknown:
            if child_id not in self.child_pks:
                self.child_pks[child_id] = self.next_child
                self.fresh[child_id] = ("", 0, 0, None)
                fresh.append((self.next_child, child_id, dob, self.stamp, self.stamp))
                self.next_child += 1
        self.result.new_children += len(fresh)
        if self.write and fresh:
            self.db.conn.executemany(self.INSERT_CHILD, fresh)

    def add(self, batch: list[tuple]) -> None:
        """Compare one batch of checked rows with the register and (writing) import it."""
        self._children(batch)
        child_pks, stamp, write, fresh = self.child_pks, self.stamp, self.write, self.fresh
        held = {}
        if self.any_held:
            held = {found[0]: found for found in _in_chunks(self.db, _LOOKUP, [v[0] for v in batch])}
            if write and held:
                # A repeated id fails this insert (the import then lists every repeated row).
                self.db.conn.executemany("INSERT INTO temp.episode_import_held VALUES (?)",
                                         [(v[0],) for v in batch if v[0] in held])
        episodes, rhis, links = [], [], []
        next_episode, next_rhi, new = self.next_episode, self.next_rhi, 0
        yes_no = _YES_NO
        for values in batch:
            old = held.get(values[0]) if held else None
            if old is None:
                new += 1
                if not write:
                    continue
                # The hot path (every row of a first import), kept inline: see _normalise.
                episode_id, child_id, _, kind, start, end, la, ola, placement, offered, outcome, completed, by = values
                if len(start) != 16 or start[10] != " ":
                    start = start[:10] + " " + start[11:16]
                if not end:
                    end = None
                elif len(end) != 16 or end[10] != " ":
                    end = end[:10] + " " + end[11:16]
                la, ola, placement = yes_no[la], yes_no[ola], placement or None
                child = child_pks[child_id]
                latest = fresh.get(child_id)
                if latest is not None and start >= latest[0]:
                    fresh[child_id] = (start, la, ola, placement)
                episodes.append((next_episode, episode_id, child, kind, start, end, la, ola, placement))
                if offered or outcome or completed or by:
                    rhis.append((next_rhi, RHI_ID_PREFIX + episode_id, child, by or None,
                                 offered + " 00:00" if offered else None, outcome or None,
                                 completed + " 00:00" if completed else None))
                    links.append((next_rhi, next_episode))
                    next_rhi += 1
                next_episode += 1
                continue
            values = _normalise(values)
            if write and old[1] > self.max_episode:
                raise _Duplicate(values[0])  # added earlier in this same import
            changes = _changes(old, values)
            if changes:
                self.changed += 1
                if write:
                    rhi_pk = None
                    if "rhi" in changes and old[9] is None:  # the held episode gains an RHI
                        rhi_pk, next_rhi = next_rhi, next_rhi + 1
                    _update_episode(self.db, old, values, changes, child_pks, self.by, stamp,
                                    self.result.file_name, rhi_pk)
        self.next_episode, self.next_rhi = next_episode, next_rhi
        self.new += new
        if episodes:
            executemany = self.db.conn.executemany
            executemany(self.insert_episode, episodes)
            if rhis:
                executemany(self.insert_rhi, rhis)
                executemany(self.INSERT_LINK, links)

    def finish(self) -> None:
        """Fill the counts and (writing) correct the dates of birth that changed."""
        result = self.result
        result.new_episodes = self.new
        result.changed_episodes = self.changed
        result.unchanged_episodes = result.rows - self.new - self.changed
        result.changed_children = len(self.corrected)
        if not self.write:
            return
        for child_id, pk, old, new in self.corrected:
            self.db.execute("UPDATE children SET date_of_birth = ?, updated_at = ? WHERE id = ?",
                            [new, self.stamp, pk])
            audit.record(self.db, "child.import_update", username=self.by, object_type="child", object_id=child_id,
                         detail={"file": self.result.file_name, "changes": {"date_of_birth": [old, new]}})


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


def _duplicates(db, path: Path) -> list[RowError]:
    """Every row whose episode id an earlier row already used (a temporary table keeps memory flat)."""
    errors = []
    raw, reader = _open(path)
    with raw:
        names = [h.strip() for h in next(reader)]
    plan = _Plan(tuple(names.index(c) for c in COLUMNS), {})
    conn = db.conn
    conn.execute("DROP TABLE IF EXISTS temp.episode_import_ids")
    conn.execute("CREATE TABLE temp.episode_import_ids (row INTEGER PRIMARY KEY, episode_id TEXT)")
    try:
        rows = ((number, values[0]) for number, values in _rows(path, plan) if values[0])
        conn.executemany("INSERT INTO temp.episode_import_ids VALUES (?, ?)", rows)
        for episode_id, numbers in conn.execute(
                "SELECT episode_id, group_concat(row) FROM temp.episode_import_ids GROUP BY episode_id "
                "HAVING count(*) > 1").fetchall():
            numbers = sorted(int(r) for r in numbers.split(","))
            for number in numbers[1:]:
                errors.append(RowError(number, "episode_id",
                                       f"The episode id {episode_id} is also used on row {numbers[0]}",
                                       "Give each episode its own id, or remove the repeated row"))
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.episode_import_ids")
    return errors


# ---------------------------------------------------------------------------------------------
# Comparing with the records held

_LOOKUP = f"""
SELECT e.episode_id, e.id, c.child_id, e.episode_type, e.start, e."end", e.looked_after, e.other_la, e.placement,
       r.id, r.offered_at, r.outcome, r.completed_at, r.interviewer_type
FROM episodes e JOIN children c ON c.id = e.child
LEFT JOIN return_home_interviews r ON r.rhi_id = '{RHI_ID_PREFIX}' || e.episode_id
WHERE e.episode_id IN
"""
_CHUNK = 500


def _in_chunks(db, sql: str, keys: list) -> list:
    found = []
    for i in range(0, len(keys), _CHUNK):
        part = keys[i:i + _CHUNK]
        found.extend(db.execute(sql + " (" + ", ".join("?" * len(part)) + ")", part).fetchall())
    return found


def _normalise(v: tuple) -> tuple:
    """A checked row as it is stored (same positions as COLUMNS)."""
    start, end = v[4], v[5]
    return (v[0], v[1], v[2], v[3],
            start if len(start) == 16 and start[10] == " " else start[:10] + " " + start[11:16],
            (end if len(end) == 16 and end[10] == " " else end[:10] + " " + end[11:16]) if end else None,
            _YES_NO[v[6]], _YES_NO[v[7]], v[8] or None, v[9] or None, v[10] or None, v[11] or None, v[12] or None)


_EPISODE_FIELDS = (("child_id", 2, 1), ("episode_type", 3, 3), ("start", 4, 4), ("end", 5, 5),
                   ("looked_after", 6, 6), ("other_la", 7, 7), ("placement", 8, 8))
_RHI_FIELDS = (("rhi_offered_on", "offered_at", 10, 9), ("rhi_outcome", "outcome", 11, 10),
               ("rhi_completed_on", "completed_at", 12, 11), ("rhi_by", "interviewer_type", 13, 12))


def _changes(old: tuple, new: tuple) -> dict:
    """What differs between a held episode (a _LOOKUP row) and the file's row: {column: [old, new]}."""
    changes = {name: [old[o], new[n]] for name, o, n in _EPISODE_FIELDS if old[o] != new[n]}
    has_rhi = new[9] or new[10] or new[11] or new[12]
    if old[9] is None:
        if has_rhi:
            changes["rhi"] = [None, {name: new[n] for name, _, _, n in _RHI_FIELDS}]
    elif has_rhi:
        for name, column, o, n in _RHI_FIELDS:
            stored = old[o]
            if column.endswith("_at"):
                # The file holds the day only: a time recorded in the app on the same day is the same.
                if (stored or "")[:10] != (new[n] or ""):
                    changes[name] = [stored, new[n] and new[n] + " 00:00"]
            elif stored != new[n]:
                changes[name] = [stored, new[n]]
    elif any(old[o] is not None for _, _, o, _ in _RHI_FIELDS):
        changes["rhi"] = [{column: old[o] for _, column, o, _ in _RHI_FIELDS}, None]
    return changes


def _update_episode(db, old: tuple, new: tuple, changes: dict, child_pks: dict, by, stamp, file_name,
                    new_rhi_pk: int | None = None) -> None:
    """Apply one changed row to a held episode and its imported RHI, and audit old → new."""
    pk, child = old[1], child_pks[new[1]]
    if any(name in changes for name, _, _ in _EPISODE_FIELDS):
        db.execute('UPDATE episodes SET child = ?, episode_type = ?, start = ?, "end" = ?, looked_after = ?, '
                   'other_la = ?, placement = ?, updated_at = ? WHERE id = ?',
                   [child, new[3], new[4], new[5], new[6], new[7], new[8], stamp, pk])
        if "episode_type" in changes:
            db.execute("INSERT INTO episode_type_changes (episode, from_type, to_type, changed_at, changed_by) "
                       "VALUES (?, ?, ?, ?, ?)", [pk, old[3], new[3], stamp, by or "import"])
    rhi_pk = old[9]
    if "rhi" in changes and rhi_pk is None:
        rhi_pk = new_rhi_pk  # given by the writer, which numbers this import's new RHIs
        db.execute("INSERT INTO return_home_interviews (id, rhi_id, child, interviewer_type, offered_at, outcome, "
                   "completed_at, origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'import', ?, ?)",
                   [rhi_pk, RHI_ID_PREFIX + new[0], child, new[12], new[9] and new[9] + " 00:00", new[10],
                    new[11] and new[11] + " 00:00", stamp, stamp])
        db.execute("INSERT OR IGNORE INTO rhi_episodes (rhi, episode) VALUES (?, ?)", [rhi_pk, pk])
    elif "rhi" in changes:
        db.execute("UPDATE return_home_interviews SET offered_at = NULL, outcome = NULL, completed_at = NULL, "
                   "interviewer_type = NULL, updated_at = ? WHERE id = ?", [stamp, rhi_pk])
    else:
        sets = {column: changes[name][1] for name, column, _, _ in _RHI_FIELDS if name in changes}
        if sets or "child_id" in changes:
            sets["child"] = child
            sets["updated_at"] = stamp
            db.execute("UPDATE return_home_interviews SET " + ", ".join(f"{c} = ?" for c in sets)
                       + " WHERE id = ?", [*sets.values(), rhi_pk])
    audit.record(db, "episode.import_update", username=by, object_type="episode", object_id=new[0],
                 detail={"file": file_name, "changes": changes})


def _refresh_child_status(db, plan: _Plan, by, file_name) -> None:
    """Set each imported child's looked-after status, placement and OLA flag from their latest episode."""
    stamp = now_iso()
    # Children added by this import: their latest episode was noted while importing.
    db.conn.executemany("UPDATE children SET looked_after = ?, other_la = ?, placement = ? WHERE child_id = ?",
                        [(la, ola, placement, child_id) for child_id, (_, la, ola, placement) in plan.fresh.items()
                         if (la, ola, placement) != (0, 0, None)])
    latest = """
        SELECT c.id, c.child_id, c.looked_after, c.other_la, c.placement, e.looked_after, e.other_la, e.placement
        FROM children c JOIN episodes e ON e.id = (SELECT id FROM episodes WHERE child = c.id
                                                   ORDER BY start DESC, id DESC LIMIT 1)
        WHERE c.child_id IN"""
    held = [child_id for child_id in plan.children if child_id not in plan.fresh]
    updates = []
    for pk, child_id, *old, la, ola, placement in _in_chunks(db, latest, held):
        new = [la, ola, placement]
        if old == new:
            continue
        updates.append((la, ola, placement, stamp, pk))
        audit.record(db, "child.import_update", username=by, object_type="child", object_id=child_id,
                     detail={"file": file_name, "changes": {
                         name: [o, n] for name, o, n in zip(("looked_after", "other_la", "placement"), old, new)
                         if o != n}})
    db.conn.executemany("UPDATE children SET looked_after = ?, other_la = ?, placement = ?, updated_at = ? "
                        "WHERE id = ?", updates)
