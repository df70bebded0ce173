"""Reading what councils hold: a CSV or an Excel workbook (.xlsx, first sheet or a chosen one), row by row.

A :class:`Table` gives the header and the rows as read (row numbers as the user's spreadsheet shows
them: the header is row 1 of a CSV, and an Excel sheet's own row numbers); :func:`mapped_rows` turns
each into a register row through a :class:`~rhi_desk.register.import_mapping.Mapping`; :func:`analyse`
reads a file once for the mapping page (a preview of the first rows, the day/month order its dates
show, the words it uses that need a value mapping).
"""
from __future__ import annotations

import csv
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from rhi_desk.register import import_mapping as m
from rhi_desk.register import workbook_limits
from rhi_desk.register.children import valid_id
from rhi_desk.register.import_format import MAX_COLUMNS, RowError, _open

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")  # an .xls is refused in a sentence (workbook_limits)
PREVIEW_ROWS = 5
MAX_WORDS = 40  # distinct unknown words listed per column on the mapping page


class TableError(Exception):
    """The file cannot be read as a table; the message says what to do."""


def is_excel(path: Path) -> bool:
    """True for an Excel workbook (by its name, or a zip's signature for an upload named otherwise)."""
    if Path(path).suffix.lower() in EXCEL_SUFFIXES:
        return True
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def sheet_names(path: Path) -> list[str]:
    """The workbook's sheet names (empty for a CSV)."""
    if not is_excel(path):
        return []
    return _workbook(path).sheet_names


def _workbook(path: Path):
    """The workbook opened by calamine, once workbook_limits has looked inside its package (open_table then
    has it look inside the chosen sheet): calamine is never given a workbook it would build too big."""
    from python_calamine import CalamineWorkbook

    _within_limits(path)
    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine's errors name zip and XML internals: say it plainly
        raise TableError(workbook_limits.NOT_A_WORKBOOK) from None


def _within_limits(path: Path, sheet: str | None = None) -> workbook_limits.Reservation | None:
    """Refuse the workbook (TableError) if calamine should not read it; with ``sheet``, the cells its grid
    will hold, counted against the workbooks open at once (released when the table is closed)."""
    try:
        cells = workbook_limits.check(path, sheet)
        return workbook_limits.Reservation(cells) if sheet is not None else None
    except workbook_limits.WorkbookRefused as refused:
        raise TableError(str(refused)) from None


@dataclass
class Table:
    """A file's header and its rows, as (row number, cells) pairs."""

    path: Path
    sheet: str | None = None
    header: list[str] = field(default_factory=list)
    _rows: object = None
    _close: object = None

    def rows(self):
        """(row number, cells) for every row after the header."""
        return self._rows

    def close(self) -> None:
        """Release the file (once: closing again does nothing)."""
        if self._close:
            self._close, close = None, self._close
            close()


def open_table(path: Path, sheet: str | None = None) -> Table:
    """Open a CSV or a workbook's sheet (the first if none is named); raises TableError in plain words."""
    path = Path(path)
    if is_excel(path):
        book = _workbook(path)
        names = book.sheet_names
        if sheet and sheet not in names:
            raise TableError(f"The workbook has no sheet called {sheet!r}. Its sheets are: {', '.join(names)}")
        chosen = sheet or names[0]
        try:
            reservation = _within_limits(path, chosen)
        except TableError:
            book.close()
            raise

        def close():
            book.close()
            reservation.release()

        try:
            grid = book.get_sheet_by_name(chosen)
            first_row = grid.start[0] if grid.start else 0
            cells = iter(grid.iter_rows())
            header = next(cells, None)
        except BaseException:
            close()
            raise
        if header is None:
            close()
            raise TableError(f"The sheet {chosen!r} is empty. Choose the sheet with the episodes")
        numbered = ((first_row + i, row) for i, row in enumerate(cells, start=2))
        table = Table(path, chosen, [m.text(h) for h in header[:MAX_COLUMNS + 1]], numbered, close)
        weakref.finalize(table, reservation.release)  # a table dropped without closing gives its cells back too
        return table
    raw, reader = _open(path)
    try:
        header = next(reader)
    except StopIteration:
        raw.close()
        raise TableError("The file is empty. Choose the file with the episodes, with its header row") from None
    except UnicodeDecodeError:
        raw.close()
        raise TableError("The file is not saved as UTF-8 text. Save it from your spreadsheet as "
                         "'CSV UTF-8 (comma delimited)' and try again") from None
    except csv.Error as exc:
        raw.close()
        raise TableError(f"The file is not a readable CSV file ({exc}). Save it from your spreadsheet as "
                         f"'CSV UTF-8 (comma delimited)' and try again") from None
    return Table(path, None, [h.strip() for h in header], enumerate(reader, start=2), raw.close)


def check_mapping(header: list[str], mapping: m.Mapping) -> list[RowError]:
    """Problems with a mapping for this header: a required field unmapped, a header the file lacks."""
    errors = []
    if len(header) > MAX_COLUMNS:
        errors.append(RowError(1, None, f"The header row has more than {MAX_COLUMNS} columns, far more than an "
                                        f"episode file has", "Check this is the right file"))
        return errors
    for f in mapping.missing():
        errors.append(RowError(1, None, f"No column is chosen for {m.LABELS[f].lower()}",
                               "Choose the column that holds it"))
    for f, h in mapping.columns.items():
        if h and h not in header:
            errors.append(RowError(1, h, f"The file has no column {h!r} (for {m.LABELS[f].lower()})",
                                   "Check the file, or choose its column again"))
    return errors


def mapped_rows(table: Table, mapping: m.Mapping, errors: list):
    """(row number, register row in FIELDS order, the row's cells) for each non-blank row of the file.

    The row holds the register's COLUMNS and then its optional columns (the child's name), blank where
    the mapping leaves them out.

    An episode id, when the file has none, is made from the child and the start (the same file
    twice gives the same ids). A row with values past the header's last column is a bad row.
    """
    header = table.header
    width = len(header)
    where = {h: i for i, h in enumerate(header)}
    convert = m.converters(mapping)
    picks = [where.get(mapping.columns.get(f) or "", None) for f in m.FIELDS]
    active = [(i, pick, fn) for i, (pick, fn) in enumerate(zip(picks, convert)) if pick is not None]
    blank = [{"other_la": "N"}.get(f, "") for f in m.FIELDS]
    make_id = picks[0] is None
    text = m.text
    for number, cells in table.rows():
        if len(cells) != width:
            if len(cells) > width and any(text(c) for c in cells[width:]):
                errors.append(RowError(number, None, f"This row has values past the last column ({header[-1]!r})",
                                       "Remove them, or give their column a header"))
                continue
            cells = list(cells[:width]) + [""] * (width - len(cells))
        if not any(cells):
            continue
        values = blank.copy()
        for i, pick, fn in active:
            values[i] = fn(cells[pick])
        if make_id:
            # A row whose child or start is bad is named for those; its made-up id only stands in.
            start = values[4]
            values[0] = (f"{values[1]}-{start[:10].replace('-', '')}{start[11:13]}{start[14:16]}"
                         if values[1] and valid_id(values[1]) and len(start) == 16 and start[4] == "-"
                         and start[10] == " " else f"row{number}")
        yield number, values, cells


def cells_as_written(cells, header: list[str], mapping: m.Mapping) -> dict[str, str]:
    """Each mapped field's cell as the file wrote it (for naming a bad row in the file's own terms)."""
    where = {h: i for i, h in enumerate(header)}
    found = {}
    for f, h in mapping.columns.items():
        i = where.get(h)
        if i is not None and i < len(cells):
            cell = cells[i]
            found[f] = str(cell) if hasattr(cell, "strftime") else m.text(cell)
    return found


@dataclass
class Analysis:
    """What the mapping page shows about a file read once through a mapping."""

    header: list[str]
    sheet: str | None
    sheets: list[str]
    preview: list[tuple[int, list[str]]] = field(default_factory=list)
    orders: set = field(default_factory=set)  # day/month orders the file's dates show
    slashed: bool = False  # some date is written with slashes (its day/month order matters)
    words: dict[str, list[str]] = field(default_factory=dict)  # field -> words needing a value mapping
    rows: int = 0

    @property
    def order_known(self) -> str | None:
        """The day/month order the file shows, if it shows exactly one."""
        return next(iter(self.orders)) if len(self.orders) == 1 else None


def analyse(path: Path, mapping: m.Mapping, sheet: str | None = None, *, table: Table | None = None) -> Analysis:
    """Read the file once through ``mapping``: the first rows as read, its date order, its unknown words.

    ``table``: the file already opened (its header read to choose the mapping), read on and closed here; a
    workbook's sheet is parsed whole when opened, so opening it again would cost as much as the reading.
    """
    table = table or open_table(path, sheet)
    result = Analysis(table.header, table.sheet, sheet_names(path))
    if check_mapping(table.header, mapping):
        table.close()
        return result
    where = {h: i for i, h in enumerate(table.header)}
    date_columns = [where[mapping.columns[f]] for f in m.DATE_FIELDS + m.MINUTE_FIELDS
                    if mapping.columns.get(f) in where]
    word_columns = [(f, where[mapping.columns[f]]) for f in m.WORD_FIELDS if mapping.columns.get(f) in where]
    words = {f: {} for f, _ in word_columns}
    try:
        for number, cells in table.rows():
            if not any(c not in ("", None) and m.text(c) for c in cells):
                continue
            result.rows += 1
            for i in date_columns:
                if i < len(cells) and isinstance(cells[i], str):
                    cell = cells[i]
                    if len(result.orders) < 2:
                        result.orders |= m.date_evidence(cell)
                    if not result.slashed and m.has_slashed_date(cell):
                        result.slashed = True
            for f, i in word_columns:
                word = m.text(cells[i]) if i < len(cells) else ""
                seen = words[f]
                if word and word not in seen and len(seen) < MAX_WORDS and m.unknown_word(f, word):
                    seen[word] = True
            if len(result.preview) < PREVIEW_ROWS:
                result.preview.append((number, cells))
    except (UnicodeDecodeError, csv.Error):
        pass  # the check of the file names this plainly
    finally:
        table.close()
    result.words = {f: list(seen) for f, seen in words.items() if seen}
    return result


def preview(analysis: Analysis, mapping: m.Mapping) -> list[tuple[int, list[str]]]:
    """The first rows as RHI Desk reads them through ``mapping``: (row number, values in FIELDS order)."""
    probe = m.Mapping(mapping.columns, mapping.date_order or analysis.order_known, mapping.values, mapping.sheet)
    convert = m.converters(probe)
    where = {h: i for i, h in enumerate(analysis.header)}
    pick = [where.get(mapping.columns.get(f) or "", None) for f in m.FIELDS]
    return [(number, [fn(cells[i]) if i is not None and i < len(cells) else "" for i, fn in zip(pick, convert)])
            for number, cells in analysis.preview]
