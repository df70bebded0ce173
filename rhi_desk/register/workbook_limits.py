"""Looking inside an Excel workbook before python-calamine reads it, so that no workbook can take the app down.

calamine builds a sheet as one dense grid, sized from the furthest cell the sheet's XML names. A workbook of
1.6 KB naming cells A1 and XFD1048576 asks it for 17 billion cells: the allocation fails inside Rust, which
aborts the whole process (on the hub, every user's session) with nothing Python can catch. So before calamine
opens a workbook, this module reads the package itself, a few megabytes at a time, and refuses in a plain
sentence:

- anything that is not an Office Open XML workbook (``.xlsx``/``.xlsm``), such as an old binary ``.xls``, which
  cannot be looked inside cheaply and is saved as ``.xlsx`` or CSV in a minute;
- a workbook whose parts unpack to more than :data:`PARTS_LIMIT` bytes (shared strings, styles: calamine
  loads them all when it opens the file), or whose chosen sheet unpacks to more than :data:`SHEET_LIMIT`;
- a sheet whose furthest cell makes a grid of more than :data:`CELL_LIMIT` cells (1,000,000 rows by 16 columns,
  about 0.9 GB in calamine, which holds 55 bytes a cell when it reads ``build/bench_import.py``'s workbook).

A CSV of any size is read row by row in flat memory, so every refusal says to save the sheet as CSV UTF-8.

The furthest cell is found without parsing every cell: rows' numbers are read from the row tags, and
cells' references are read only in the few megabytes where one names a column past the furthest so far or a
row past the furthest row tag so far (in a sheet Excel wrote, the first few megabytes only), or where a cell
has no reference of its own. Looking costs about half of
calamine's own reading of a sheet (0.5 s against 0.96 s at 100,000 rows), once for each file and sheet.
"""
from __future__ import annotations

import os
import re
import threading
import zipfile
import zlib
from pathlib import Path
from xml.etree import ElementTree

CELL_LIMIT = 16_000_000
SHEET_LIMIT = 1 << 30  # bytes of the chosen sheet's XML once unpacked (a million rows of 13 columns: 600 MB)
PARTS_LIMIT = 512 << 20  # bytes of every other XML part once unpacked, together
CHUNK = 4 << 20

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_STRICT = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
_REL_ID = ("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
           "{http://purl.oclc.org/ooxml/officeDocument/relationships}id")
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an Excel 97-2003 workbook (.xls)

SAVE_AS = "Save the sheet from Excel as CSV UTF-8 (a CSV of any size is read row by row) and import that"
NOT_A_WORKBOOK = ("The file is not an Excel workbook RHI Desk can read. Save it from Excel as .xlsx "
                  "(Excel Workbook) or as CSV UTF-8, and try again")
OLD_WORKBOOK = ("The file is an older Excel workbook (.xls), which RHI Desk does not read. Open it in Excel, "
                "save it as Excel Workbook (.xlsx) or as CSV UTF-8, and try again")


class WorkbookRefused(Exception):
    """The workbook is not read; the message says why and what to do."""


def column_letters(number: int) -> str:
    """1 → A, 27 → AA, 16384 → XFD."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


_checked: dict = {}  # (path, size, modified) → the sheets found; (path, size, modified, sheet) → its cells


def check(path: Path, sheet: str | None = None) -> int:
    """Refuse (WorkbookRefused) a workbook calamine should not open; with ``sheet``, that sheet too (the
    workbook's first sheet when ``sheet`` is ""), giving the cells calamine will hold for it at most (0 with
    no sheet). Looked inside once per file: the mapping page, the check of the whole file and the import open
    the same upload in turn."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise WorkbookRefused("The file could not be read. Choose it again") from None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if (*key, sheet) in _checked:
        return _checked[(*key, sheet)]
    if len(_checked) > 32:
        _checked.clear()
    with open(path, "rb") as f:
        if f.read(8) == _OLE2:
            raise WorkbookRefused(OLD_WORKBOOK)
    try:
        with zipfile.ZipFile(path) as package:
            sheets = _checked.get(key)
            if sheets is None:
                sheets = _check_package(package)
                _checked[key] = sheets
            cells = 0
            if sheet is not None:
                name = sheet or next(iter(sheets), None)
                if name not in sheets:
                    raise WorkbookRefused(NOT_A_WORKBOOK)  # a sheet calamine would read that is not looked at
                cells = _check_sheet(package, sheets[name], name)
            _checked[(*key, sheet)] = cells
            return cells
    except (zipfile.BadZipFile, zlib.error, EOFError, ElementTree.ParseError, KeyError, ValueError,
            NotImplementedError, RuntimeError):
        raise WorkbookRefused(NOT_A_WORKBOOK) from None


def _unpacked(package: zipfile.ZipFile, member: str, limit: int, too_big: str):
    """The member's bytes as unpacked, CHUNK at a time, refused once they pass ``limit``."""
    total = 0
    with package.open(member) as part:
        while chunk := part.read(CHUNK):
            total += len(chunk)
            if total > limit:
                raise WorkbookRefused(too_big)
            yield chunk


def _check_package(package: zipfile.ZipFile) -> dict[str, str]:
    """Check every XML part but the sheets, and give each sheet's name and part (in the workbook's order)."""
    names = set(package.namelist())
    if "xl/workbook.xml" not in names:
        raise WorkbookRefused(NOT_A_WORKBOOK)
    too_big = f"The workbook holds more than {PARTS_LIMIT >> 20} MB of text and styles once unpacked. {SAVE_AS}"
    left = PARTS_LIMIT
    kept = {}
    for member in sorted(names):
        if member.startswith("xl/worksheets/") or not member.endswith((".xml", ".rels")):
            continue  # a sheet is looked at when chosen; pictures and the like calamine never reads
        data = b"".join(_unpacked(package, member, left, too_big))
        left -= len(data)
        if member in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
            kept[member] = data
    targets = {}
    for rel in ElementTree.fromstring(kept.get("xl/_rels/workbook.xml.rels", b"<r/>")):
        target = rel.get("Target", "")
        target = target[1:] if target.startswith("/") else "xl/" + target
        targets[rel.get("Id")] = os.path.normpath(target).replace(os.sep, "/")
    sheets = {}
    for element in ElementTree.fromstring(kept["xl/workbook.xml"]).iter():
        if element.tag in (_MAIN + "sheet", _STRICT + "sheet"):
            rel_id = next((element.get(a) for a in _REL_ID if element.get(a)), None)
            sheets[element.get("name", "")] = targets.get(rel_id, "")
    return sheets


def _greater_than(number: int) -> bytes:
    """A regular expression for a whole number written in digits, then a quote, greater than ``number``:
    a longer number, or digit by digit as a tree (the first digit decides for most, so it is quick to try)."""
    digits = str(number)

    def after(i: int) -> bytes | None:
        if i == len(digits):
            return None
        options = []
        if digits[i] != "9":
            options.append(b'[%d-9][0-9]{%d}"' % (int(digits[i]) + 1, len(digits) - i - 1))
        deeper = after(i + 1)
        if deeper:
            options.append(digits[i].encode() + deeper)
        return b"(?:" + b"|".join(options) + b")" if options else None

    same_length = after(0)
    return b"(?:[0-9]{%d}" % (len(digits) + 1) + (b"|" + same_length if same_length else b"") + b")"


def _letters_greater(number: int) -> bytes:
    """A regular expression for a column's letters, then a digit, naming a column after column ``number``."""
    letters = column_letters(number)
    options = [b"[A-Z]{%d,}" % (len(letters) + 1)]
    for i, letter in enumerate(letters):
        if letter != "Z":
            options.append(letters[:i].encode() + b"[%s-Z]" % chr(ord(letter) + 1).encode()
                           + (b"[A-Z]{%d}" % (len(letters) - i - 1)))
    return b"(?:" + b"|".join(options) + b")[0-9]"


def _check_sheet(package: zipfile.ZipFile, member: str, name: str) -> int:
    """Refuse the sheet if its XML unpacks past SHEET_LIMIT or its furthest cell makes a grid past CELL_LIMIT;
    else give the cells calamine will hold for it at most (its grid, or the cells written if more)."""
    if member not in package.namelist():
        return 0  # a chart sheet, or a sheet calamine reports missing in its own words
    too_big = f"The sheet {name!r} holds more than {SHEET_LIMIT >> 30} GB of cells once unpacked. {SAVE_AS}"
    prefix = None
    last_row = 0  # the furthest row named so far
    last_column = 0  # the furthest column named so far
    unnamed_rows = 0  # rows with no number of their own: each is one past the one before
    unnamed_cells = 0  # the most cells in one row with no reference of their own, in the rows that have any
    count = 0  # cells (calamine holds each while it reads the sheet, then the grid)
    tail = b""
    patterns = None
    for chunk in _unpacked(package, member, SHEET_LIMIT, too_big):
        data = tail + chunk
        cut = data.rfind(b">") + 1
        data, tail = data[:cut], data[cut:]
        if prefix is None:
            found = re.search(rb"<([A-Za-z_][\w.-]*:)?worksheet\b", data)
            if not found:
                if len(tail) > CHUNK:
                    raise WorkbookRefused(NOT_A_WORKBOOK)
                tail = data + tail
                continue
            prefix_bytes = found.group(1) or b""
            prefix = re.escape(prefix_bytes)
            patterns = (
                # a row with cells (calamine leaves out rows and cells with nothing in them: <row .../>)
                re.compile(b"<" + prefix + rb'row\s[^>]*?\br="([0-9]+)"[^>]*(?<!/)>(?!</' + prefix + b"row>)"),
                re.compile(b"<" + prefix + rb"row(?:>|/>|\s(?![^>]*?\br=\"))"),
                re.compile(b"<" + prefix + rb'c(?:>|/>|\s(?!r="))'),
            )
        row_numbers, unnamed_row, odd_cell = patterns
        numbers = row_numbers.findall(data)
        if numbers:
            last_row = max(last_row, max(map(int, numbers)))
        unnamed_rows += len(unnamed_row.findall(data))
        if re.search(rb' r="(?:' + _letters_greater(last_column) + rb"|[A-Z]{1,3}+" + _greater_than(last_row)
                     + b")", data):
            # A cell naming a column or a row past every one so far: read every cell's reference in this chunk.
            found = re.findall(rb' r="([A-Z]+)([0-9]+)"[^>]*(?<!/)>', data)
            if found:
                letters, digits = zip(*found)
                last_column = max(last_column, *map(_column_number, set(letters)))
                last_row = max(last_row, *map(int, set(digits)))
        if not odd_cell.search(data):
            count += data.count(b"<" + prefix_bytes + b"c ")
        else:
            # A cell whose reference does not come first, or that has none: look at each row's cells.
            for row in re.split(b"<" + prefix + rb"row[\s>]", data):
                cells = re.findall(b"<" + prefix + rb"c[\s>/][^>]*", row)
                count += len(cells)
                named = [re.search(rb'\br="([A-Z]+)([0-9]+)"', c) for c in cells]
                unnamed_cells = max(unnamed_cells, sum(1 for n in named if n is None))
                for n in (n for n, c in zip(named, cells) if n and not c.endswith(b"/")):
                    last_column = max(last_column, _column_number(n.group(1)))
                    last_row = max(last_row, int(n.group(2)))
        if len(tail) > CHUNK:
            raise WorkbookRefused(NOT_A_WORKBOOK)  # one tag of megabytes: not a sheet Excel wrote
    if count > CELL_LIMIT:
        raise WorkbookRefused(f"The sheet {name!r} holds more than {CELL_LIMIT:,} cells, more than RHI Desk reads "
                              f"from a workbook. {SAVE_AS}")
    rows = last_row + unnamed_rows
    columns = last_column + unnamed_cells
    if rows * columns > CELL_LIMIT:
        reach = column_letters(columns) + str(rows) if columns <= 16384 and rows <= 1_048_576 else "far beyond"
        where = f"cell {reach}" if reach != "far beyond" else "cells far beyond the last Excel allows"
        raise WorkbookRefused(
            f"The sheet {name!r} reaches {where}, a grid of more than {CELL_LIMIT:,} cells, more than RHI Desk "
            f"reads from a workbook. If cells far below or to the right of the episodes hold something, delete "
            f"those rows and columns in Excel and save again; or {SAVE_AS[0].lower()}{SAVE_AS[1:]}")
    return max(rows * columns, count)


# ---------------------------------------------------------------------------------------------
# Workbooks open at once

READING_LIMIT = 2 * CELL_LIMIT  # cells of the workbooks open at once in one process (the hub: every user's)
BUSY = ("Other large workbooks are being read on this hub just now, and reading this one as well would take more "
        "memory than the hub keeps for workbooks. Try again in a few minutes, or " + SAVE_AS[0].lower() + SAVE_AS[1:])
_reading = [0]
_reading_lock = threading.Lock()


class Reservation:
    """Cells counted against READING_LIMIT while a workbook's sheet is open; released once, on closing."""

    def __init__(self, cells: int):
        with _reading_lock:
            if _reading[0] and _reading[0] + cells > READING_LIMIT:
                raise WorkbookRefused(BUSY)
            _reading[0] += cells
        self.cells = cells

    def release(self) -> None:
        with _reading_lock:
            cells, self.cells = self.cells, 0
            _reading[0] -= cells
