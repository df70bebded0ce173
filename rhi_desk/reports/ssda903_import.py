"""Importing past DfE SSDA903 returns: the Missing table (with the Header and Episodes tables where given).

A council has sent DfE a 903 return every year. Its Missing tables hold every missing and away
episode of its own looked-after children (``CHILD, [DOB,] MISSING, MIS_START, MIS_END``, dates
``dd/mm/YYYY``); the Header table gives each child's ``DOB`` when the Missing table has none; the
Episodes table (``CHILD, DECOM, DEC`` and, where the file has it, ``PL_LOCATION`` IN/OUT) gives the
placement an episode started in. Several years are imported at once, as looked-after children's
episodes with no RHI detail:

* each episode's id is ``903-<CHILD>-<yyyymmdd of MIS_START>`` (``-2``, ``-3`` for a second or third
  episode starting that day), so a year imported twice changes nothing;
* years that overlap merge by child and start: the same episode in two files is one episode, and
  an end given in one file fills the blank (open at the year's end) in another; two different ends
  are a bad row;
* an episode the register already holds for that child starting that day (recorded in the app or
  imported from the case system) is the same episode and is left as it is;
* the rows go through the register's own import (all-or-nothing, every bad row named), with each
  problem named by file, row and 903 column.

Exporting a year that came in this way gives back the same Missing table (``ssda903.export_missing_table``).
"""
from __future__ import annotations

import csv
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from rhi_desk.register import episode_import
from rhi_desk.register.import_format import (
    MAX_COLUMNS,
    ImportRefused,
    ImportResult,
    Preview,
    ProblemList,
    RowError,
    more_sentence,
)
from rhi_desk.register.import_mapping import as_day
from rhi_desk.register.import_sources import TableError, open_table

MISSING_COLUMNS = {"CHILD", "MISSING", "MIS_START"}
HEADER_COLUMNS = {"CHILD", "DOB"}
EPISODE_COLUMNS = {"CHILD", "DECOM"}
__all__ = ["ImportRefused", "Preview", "check_903", "import_903", "more_sentence"]

ID_PREFIX = "903-"
DATE_FIX = "Write the date as dd/mm/yyyy, for example 30/04/2017"


@dataclass
class _Episode:
    child: str
    dob: str | None
    kind: str
    start: str  # YYYY-MM-DD
    end: str  # YYYY-MM-DD or ""
    where: tuple[str, int]  # (file name, row) it came from


def _kind(path: Path, header: list[str]) -> str | None:
    names = set(header)
    if MISSING_COLUMNS <= names:
        return "missing"
    if EPISODE_COLUMNS <= names:
        return "episodes"
    if HEADER_COLUMNS <= names:
        return "header"
    return None


def _read(paths: list[Path], names: list[str], errors: ProblemList):
    """The files' Missing rows, the children's dates of birth, and their placements, checked as read."""
    episodes: list[_Episode] = []
    births: dict[str, str] = {}
    placements: dict[str, list[tuple[str, str, str]]] = {}  # child -> [(from, to, placement)]
    missing_files = 0
    for path, name in zip(paths, names):
        try:
            table = open_table(path)
        except (TableError, OSError) as exc:
            errors.append(RowError(None, None, f"{name}: {str(exc).split('. ')[0]}", "Check the file and try again"))
            continue
        try:
            header = [h.upper() for h in table.header]
            if len(header) > MAX_COLUMNS:
                errors.append(RowError(1, None, f"{name} has far more columns than a 903 table",
                                       "Check this is the right file"))
                continue
            kind = _kind(path, header)
            if kind is None:
                errors.append(RowError(1, None, f"{name} is not a 903 Missing, Header or Episodes table (its "
                                                f"header is {', '.join(table.header[:8])})",
                                       "Choose the Missing table (CHILD, MISSING, MIS_START, MIS_END), and the "
                                       "Header and Episodes tables if you have them"))
                continue
            at = {h: i for i, h in enumerate(header)}

            def cell(cells, column):
                i = at.get(column)
                return (str(cells[i]).strip() if cells[i] is not None else "") if i is not None and i < len(cells) \
                    else ""

            if kind == "missing":
                missing_files += 1
            for number, cells in table.rows():
                if not any(str(c).strip() for c in cells if c is not None):
                    continue

                def bad(column, problem, fix=DATE_FIX):
                    errors.append(RowError(number, f"{column} in {name}", problem, fix))

                child = cell(cells, "CHILD")
                if not child:
                    bad("CHILD", "The child id is blank", "Enter the child's id as in the return")
                    continue
                if kind == "header":
                    dob = as_day(cell(cells, "DOB"), "dmy")
                    if _is_day(dob):
                        births.setdefault(child, dob)
                    elif cell(cells, "DOB"):
                        bad("DOB", f"{cell(cells, 'DOB')!r} is not a date")
                    continue
                if kind == "episodes":
                    begin, until = as_day(cell(cells, "DECOM"), "dmy"), as_day(cell(cells, "DEC"), "dmy")
                    where = {"IN": "in_borough", "OUT": "out_of_borough"}.get(cell(cells, "PL_LOCATION").upper())
                    if _is_day(begin) and where:
                        placements.setdefault(child, []).append((begin, until if _is_day(until) else "", where))
                    continue
                code = cell(cells, "MISSING").upper()
                start_text, end_text = cell(cells, "MIS_START"), cell(cells, "MIS_END")
                start, end = as_day(start_text, "dmy"), as_day(end_text, "dmy") if end_text else ""
                dob_text = cell(cells, "DOB")
                dob = as_day(dob_text, "dmy") if dob_text else None
                ok = True
                if code not in ("M", "A"):
                    bad("MISSING", f"{cell(cells, 'MISSING')!r} is not M or A" if code else "MISSING is blank",
                        "Write M for missing or A for away from placement without authorisation")
                    ok = False
                if not _is_day(start):
                    bad("MIS_START", f"{start_text!r} is not a date" if start_text else "MIS_START is blank")
                    ok = False
                if end_text and not _is_day(end):
                    bad("MIS_END", f"{end_text!r} is not a date", DATE_FIX + ", or leave it blank while open")
                    ok = False
                if dob_text and not _is_day(dob):
                    bad("DOB", f"{dob_text!r} is not a date")
                    ok = False
                if ok:
                    episodes.append(_Episode(child, dob, "missing" if code == "M" else "away", start, end,
                                             (name, number)))
        except (UnicodeDecodeError, csv.Error):
            errors.append(RowError(None, None, f"{name} is not a readable CSV file saved as UTF-8",
                                   "Save it as 'CSV UTF-8 (comma delimited)' and try again"))
        finally:
            table.close()
    if not missing_files and not errors:
        errors.append(RowError(None, None, "None of the files is a 903 Missing table",
                               "Choose the Missing table (CHILD, MISSING, MIS_START, MIS_END) of each year"))
    return episodes, births, placements


def _is_day(text: str | None) -> bool:
    return bool(text) and bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def _merge(episodes: list[_Episode], errors: ProblemList) -> dict[tuple[str, str, int], _Episode]:
    """One episode per child, start and type order: the same episode in two years' files is one."""
    merged: dict[tuple[str, str, int], _Episode] = {}
    seen_in_file: dict[tuple[str, str, str], int] = {}
    for e in episodes:
        # The n-th episode of a child starting that day in one file is the n-th in another.
        nth_key = (e.where[0], e.child, e.start)
        nth = seen_in_file.get(nth_key, 0) + 1
        seen_in_file[nth_key] = nth
        key = (e.child, e.start, nth)
        held = merged.get(key)
        if held is None:
            merged[key] = e
            continue
        if e.end and held.end and e.end != held.end:
            errors.append(RowError(e.where[1], f"MIS_END in {e.where[0]}",
                                   f"The episode of child {e.child} starting {_dmy(e.start)} ends {_dmy(e.end)} "
                                   f"here but {_dmy(held.end)} in {held.where[0]} row {held.where[1]}",
                                   "Correct the end in one of the files"))
            continue
        if e.kind != held.kind:
            errors.append(RowError(e.where[1], f"MISSING in {e.where[0]}",
                                   f"The episode of child {e.child} starting {_dmy(e.start)} is "
                                   f"{'M' if e.kind == 'missing' else 'A'} here but "
                                   f"{'M' if held.kind == 'missing' else 'A'} in {held.where[0]} row {held.where[1]}",
                                   "Correct the type in one of the files"))
            continue
        if e.end and not held.end:
            held.end = e.end
        held.dob = held.dob or e.dob
    return merged


def _dmy(day: str) -> str:
    return f"{day[8:10]}/{day[5:7]}/{day[:4]}"


def _placement(spans: list[tuple[str, str, str]], start: str) -> str:
    for begin, until, where in spans:
        if begin <= start and (not until or start <= until):
            return where
    return ""


def _held_starts(db, children: list[str]) -> set[tuple[str, str]]:
    """(child id, start day) of every held episode not itself from a 903 import."""
    found = set()
    for i in range(0, len(children), 500):
        part = children[i:i + 500]
        found.update(db.execute(
            "SELECT c.child_id, substr(e.start, 1, 10) FROM episodes e JOIN children c ON c.id = e.child "
            f"WHERE e.episode_id NOT LIKE '{ID_PREFIX}%' AND e.voided_at IS NULL AND c.child_id IN ({', '.join('?' * len(part))})",
            part).fetchall())
    return found


def _prepare(db, paths, names, folder: Path) -> tuple[Path, list, ProblemList, int]:
    """Read, merge and write the episodes as an episode register CSV; (its path, row origins, problems, merged)."""
    errors = ProblemList()
    episodes, births, placements = _read([Path(p) for p in paths], names, errors)
    merged = _merge(episodes, errors)
    held = _held_starts(db, sorted({e.child for e in merged.values()}))
    ends = _held_ends(db, [_episode_id(child, start, nth) for (child, start, nth), e in merged.items() if not e.end])
    out = folder / "ssda903-as-register.csv"
    origins: list[tuple[str, int]] = []
    already = 0
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(episode_import.COLUMNS)
        for (child, start, nth), e in merged.items():
            dob = e.dob or births.get(child)
            if not dob:
                errors.append(RowError(e.where[1], f"CHILD in {e.where[0]}",
                                       f"No date of birth is given for child {child}",
                                       "Add the DOB column, or choose that year's Header table too"))
                continue
            if (child, start) in held and nth == 1:
                already += 1  # the register holds this episode already (from the app or the case system)
                continue
            episode_id = _episode_id(child, start, nth)
            # A return blanks an end after its year's 31 March: a blank never undoes an end already known.
            end = e.end + " 00:00" if e.end else (ends.get(episode_id) or "")
            writer.writerow([episode_id, child, dob, e.kind, start + " 00:00", end,
                             "Y", "N", _placement(placements.get(child, []), start), "", "", "", ""])
            origins.append(e.where)
    return out, origins, errors, already


def _episode_id(child: str, start: str, nth: int) -> str:
    return f"{ID_PREFIX}{child}-{start.replace('-', '')}" + (f"-{nth}" if nth > 1 else "")


def _held_ends(db, episode_ids: list[str]) -> dict[str, str]:
    found = {}
    for i in range(0, len(episode_ids), 500):
        part = episode_ids[i:i + 500]
        found.update(db.execute(f'SELECT episode_id, "end" FROM episodes WHERE "end" IS NOT NULL AND episode_id IN '
                                f'({", ".join("?" * len(part))})', part).fetchall())
    return found


def _all_problems(db, out: Path, origins, errors: ProblemList, names: list[str]) -> ProblemList:
    """Problems found reading the files and those the register's check finds in the rest, in file and row order."""
    checked = episode_import.validate_file(db, out)
    found = list(errors) + list(_in_903_terms(checked.errors, origins))

    def order(e: RowError):
        file = (e.column or "").rpartition(" in ")[2]
        return (names.index(file) if file in names else -1, e.row or 0)

    result = ProblemList(sorted(found, key=order))
    result.more += errors.more + getattr(checked.errors, "more", 0)
    result.more_rows += errors.more_rows + getattr(checked.errors, "more_rows", 0)
    return result


_ROW = re.compile(r"\brow (\d+)\b")
_COLUMN_903 = {"episode_id": "CHILD", "child_id": "CHILD", "date_of_birth": "DOB", "episode_type": "MISSING",
               "start": "MIS_START", "end": "MIS_END"}


def _in_903_terms(errors, origins) -> ProblemList:
    """The register's problems with its temporary file, named by the 903 file, row and column."""
    def where(row):
        return origins[row - 2] if row and 2 <= row < len(origins) + 2 else None

    result = ProblemList()
    for e in errors:
        place = where(e.row)
        if place is None:
            result.append(e)
            continue
        problem = _ROW.sub(lambda m_: (lambda p: f"{p[0]} row {p[1]}" if p else m_.group(0))(where(int(m_.group(1)))),
                           e.problem)
        problem = re.sub(r"(\d{4})-(\d{2})-(\d{2})(?: 00:00)?", r"\3/\2/\1", problem)
        column = _COLUMN_903.get(e.column or "", e.column)
        result.append(RowError(place[1], f"{column} in {place[0]}" if column else place[0], problem,
                               e.fix.replace("YYYY-MM-DD HH:MM", "dd/mm/yyyy").replace("YYYY-MM-DD", "dd/mm/yyyy")))
    result.more += getattr(errors, "more", 0)
    result.more_rows += getattr(errors, "more_rows", 0)
    return result


def check_903(db: sqlite_utils.Database, paths: list, names: list[str] | None = None) -> Preview:
    """Check past 903 tables and count what importing them would do; changes nothing."""
    names = names or [Path(p).name for p in paths]
    with tempfile.TemporaryDirectory(prefix="rhi-903-") as folder:
        os.chmod(folder, 0o700)
        out, origins, errors, already = _prepare(db, paths, names, Path(folder))
        if errors:
            preview = Preview(file_name=", ".join(names))
            preview.errors = _all_problems(db, out, origins, errors, names)
            return preview
        preview = episode_import.validate_file(db, out)
        preview.errors = _in_903_terms(preview.errors, origins)
    preview.file_name = ", ".join(names)
    preview.rows += already
    preview.unchanged_episodes += already
    return preview


def import_903(db: sqlite_utils.Database, paths: list, *, by: str | None = None,
               names: list[str] | None = None, progress=None) -> ImportResult:
    """Import past 903 tables (several years at once) all-or-nothing; raises ImportRefused naming every bad row."""
    names = names or [Path(p).name for p in paths]
    with tempfile.TemporaryDirectory(prefix="rhi-903-") as folder:
        os.chmod(folder, 0o700)
        out, origins, errors, already = _prepare(db, paths, names, Path(folder))
        if errors:
            raise ImportRefused(_all_problems(db, out, origins, errors, names))
        try:
            result = episode_import.import_episodes(db, out, by=by, progress=progress)
        except ImportRefused as exc:
            raise ImportRefused(_in_903_terms(exc.errors, origins)) from None
    result.file_name = ", ".join(names)
    result.rows += already
    result.unchanged_episodes += already
    return result
