"""No workbook can take the app down: python-calamine builds a sheet as one grid sized from its furthest cell,
and a 1.6 KB file naming cell XFD1048576 makes it ask for 17 billion cells and abort the whole process (the
hub's every session with it). RHI Desk looks inside the package first and refuses such a file in a sentence,
while the workbooks councils really send (stray formatting far out included) still import."""
from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import zipfile
from datetime import datetime

import pytest
import time_machine
from records_helpers import table_counts

from rhi_desk.register import import_mapping as m
from rhi_desk.register import import_sources, workbook_limits
from rhi_desk.register.episode_import import import_episodes

NOW = datetime(2018, 2, 1, 9, 0)
HEADER = ["Person ID", "Date of Birth", "Missing/Away", "Date Missing", "Date Found", "LAC", "OLA"]
ROWS = [["100234", "04/03/2005", "M", "01/05/2017 14:05", "02/05/2017 09:30", "Yes", "No"],
        ["100777", "09/01/2003", "A", "13/06/2017 14:05", "", "Yes", "No"]]

_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_BOOK = ('<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
         'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
         '<sheet name="Episodes" sheetId="1" r:id="rId1"/></sheets></workbook>')
_BOOK_RELS = ('<?xml version="1.0"?><Relationships '
              'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
              'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
              'Target="worksheets/sheet1.xml"/></Relationships>')
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def cell(ref: str | None, text: str, p: str = "") -> str:
    where = f' r="{ref}"' if ref else ""
    return f'<{p}c{where} t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>'


def rows_xml(rows, named=True, p="") -> str:
    """The sheet's rows, each cell with its reference (A1, B1...) or, named=False, with none."""
    out = []
    for r, values in enumerate(rows, start=1):
        cells = "".join(cell(f"{workbook_limits.column_letters(c)}{r}" if named else None, v, p)
                        for c, v in enumerate(values, start=1) if v or not named)
        out.append(f'<{p}row r="{r}">{cells}</{p}row>' if named else f"<{p}row>{cells}</{p}row>")
    return "".join(out)


def workbook(path, sheet_data: str, p: str = "", shared_strings: bytes | None = None):
    """A workbook written part by part, as a case system's exporter might: ``sheet_data`` is the sheet's XML
    between <sheetData> and </sheetData>, ``p`` a namespace prefix (``x:``) used throughout."""
    ns = f'xmlns:{p[:-1]}="{_MAIN}"' if p else f'xmlns="{_MAIN}"'
    sheet = f'<?xml version="1.0"?><{p}worksheet {ns}><{p}sheetData>{sheet_data}</{p}sheetData></{p}worksheet>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _BOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared_strings is not None:
            z.writestr("xl/sharedStrings.xml", shared_strings)
    return path


def refusal(path) -> str:
    """What open_table says of the file, read in a process of its own: were the file ever given to calamine,
    only that process would die (and the test fail on its exit code, not take the test run down)."""
    code = textwrap.dedent(f"""
        from rhi_desk.register import import_sources
        try:
            import_sources.open_table({str(path)!r}).close()
            print("READ")
        except import_sources.TableError as exc:
            print("REFUSED", exc)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"the reading process died ({done.returncode}): {done.stderr[-500:]}"
    return done.stdout.strip()


GRID = rows_xml([HEADER] + ROWS)


def dmy_mapping() -> m.Mapping:
    mapping = m.propose(HEADER)
    mapping.date_order = "dmy"
    return mapping


@pytest.mark.parametrize("sheet_data, reach", [
    # two cells: A1 and the last cell Excel allows
    (cell("A1", "episode_id") + '</row><row r="1048576">' + cell("XFD1048576", "x"), "cell XFD1048576"),
    # a cell naming a row far below every row tag
    (GRID.replace(cell("G3", "No"), cell("ZZ900000", "No")), "cell ZZ900000"),
    # the furthest row written first, then the rows as usual
    ('<row r="1048576">' + cell("Z1048576", "x") + "</row>" + GRID, "cell Z1048576"),
    # cells with no reference of their own, 20,000 across one row
    (cell(None, "episode_id") * 20_000 + '</row><row r="1000">' + cell(None, "x"), "far beyond"),
], ids=["last cell", "row below its tag", "out of order", "no references"])
def test_a_workbook_naming_cells_far_out_is_refused_in_a_sentence(tmp_path, sheet_data, reach):
    if not sheet_data.startswith("<row"):
        sheet_data = '<row r="1">' + sheet_data + "</row>"
    said = refusal(workbook(tmp_path / "export.xlsx", sheet_data))
    assert said.startswith("REFUSED The sheet 'Episodes' reaches"), said
    assert reach in said and "16,000,000 cells" in said and "CSV UTF-8" in said


def test_a_prefixed_sheet_is_looked_inside_the_same(tmp_path):
    # Some exporters (.NET's Open XML SDK) write every element with a prefix: <x:row>, <x:c>.
    far = workbook(tmp_path / "far.xlsx", '<x:row r="1">' + cell("A1", "a", "x:") + '</x:row><x:row r="1048576">'
                   + cell("XFD1048576", "x", "x:") + "</x:row>", p="x:")
    assert "reaches cell XFD1048576" in refusal(far)
    fine = workbook(tmp_path / "fine.xlsx", rows_xml([HEADER] + ROWS, p="x:"), p="x:")
    workbook_limits.check(fine, "Episodes")  # not refused


def test_the_workbooks_councils_send_are_not_refused(hub_db, tmp_path):
    # Formatting far out (an empty styled cell, a formatted empty row at the sheet's last row) holds nothing,
    # so calamine's grid does not reach it and neither does the check; nor are cells without references.
    stray = (GRID + '<row r="5"><c r="XFD5" s="1"/></row><row r="1048576" s="1" customFormat="1"/>'
             '<row r="1048575" s="1"></row>')
    for name, data in (("stray.xlsx", stray), ("plain.xlsx", rows_xml([HEADER] + ROWS, named=False))):
        path = workbook(tmp_path / name, data)
        assert refusal(path) == "READ"
    result = import_episodes(hub_db, tmp_path / "stray.xlsx", mapping=dmy_mapping())
    assert (result.new_episodes, result.new_children) == (2, 2)
    assert import_episodes(hub_db, tmp_path / "plain.xlsx", mapping=dmy_mapping()).nothing_changed


def test_the_grid_limit_is_exact_at_its_edge(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_limits, "CELL_LIMIT", 7 * 3)  # the header and two rows of seven columns
    workbook_limits.check(workbook(tmp_path / "edge.xlsx", GRID), "Episodes")
    head, _ = GRID.rsplit("</row>", 1)
    over = workbook(tmp_path / "over.xlsx", head + cell("H3", "x") + "</row>")
    with pytest.raises(workbook_limits.WorkbookRefused, match="reaches cell H3, a grid of more than 21 cells"):
        workbook_limits.check(over, "Episodes")


def test_a_sheet_of_too_many_cells_in_one_place_is_refused(tmp_path, monkeypatch):
    # The same cell written over and over: a grid of one cell, but calamine holds every one while it reads.
    monkeypatch.setattr(workbook_limits, "CELL_LIMIT", 1_000)
    path = workbook(tmp_path / "same.xlsx", '<row r="1">' + cell("A1", "x") * 1_001 + "</row>")
    with pytest.raises(workbook_limits.WorkbookRefused, match="holds more than 1,000 cells"):
        workbook_limits.check(path, "Episodes")


def test_parts_that_unpack_too_big_are_refused_before_calamine_reads_them(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_limits, "PARTS_LIMIT", 1 << 20)
    strings = (f'<sst xmlns="{_MAIN}">' + "<si><t>x</t></si>" * 100_000 + "</sst>").encode()  # 1.7 MB, packed small
    path = workbook(tmp_path / "strings.xlsx", GRID, shared_strings=strings)
    assert path.stat().st_size < 100_000
    with pytest.raises(workbook_limits.WorkbookRefused, match="more than 1 MB of text and styles once unpacked"):
        workbook_limits.check(path)
    monkeypatch.setattr(workbook_limits, "SHEET_LIMIT", 1 << 10)
    monkeypatch.setattr(workbook_limits, "PARTS_LIMIT", 512 << 20)
    workbook_limits._checked.clear()
    with pytest.raises(workbook_limits.WorkbookRefused, match="holds more than 0 GB of cells once unpacked"):
        workbook_limits.check(path, "Episodes")


def test_old_and_unknown_workbooks_are_refused_plainly(tmp_path):
    old = tmp_path / "export.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    assert refusal(old) == "REFUSED " + workbook_limits.OLD_WORKBOOK
    other = tmp_path / "export.xlsx"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("content.xml", "<office:document-content/>")  # an OpenDocument spreadsheet, say
    assert refusal(other) == "REFUSED " + workbook_limits.NOT_A_WORKBOOK
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(workbook(tmp_path / "whole.xlsx", GRID).read_bytes()[:300])
    assert refusal(broken) == "REFUSED " + workbook_limits.NOT_A_WORKBOOK


def test_the_import_page_and_the_command_line_refuse_it_and_the_hub_carries_on(signed_in, hub_db, cli, tmp_path,
                                                                             app):
    app.config["RECORDS_UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    far = workbook(tmp_path / "far.xlsx", '<row r="1">' + cell("A1", "Person ID") + '</row><row r="1048576">'
                   + cell("XFD1048576", "x") + "</row>")
    client = signed_in("missing_team")
    before = table_counts(hub_db)
    response = client.post("/import", data={"register_file": (io.BytesIO(far.read_bytes()), "LCS export.xlsx")},
                           content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "reaches cell XFD1048576" in page
    assert client.get("/import").status_code == 200  # the hub is still serving
    result = cli("import-episodes", far)
    assert result.exit_code != 0 and "reaches cell XFD1048576" in result.output
    assert table_counts(hub_db) == before
    assert import_sources.open_table(workbook(tmp_path / "fine.xlsx", GRID)).header == HEADER


def test_workbooks_open_at_once_share_one_budget_and_give_it_back_on_closing(tmp_path, monkeypatch):
    # On the hub every user's upload is read in the one process: two large workbooks at once are within what
    # each may hold, but not both together. The second is asked to wait, and opens once the first is closed.
    monkeypatch.setattr(workbook_limits, "READING_LIMIT", 7 * 3 + 7 * 2)
    first = workbook(tmp_path / "first.xlsx", GRID)
    second = workbook(tmp_path / "second.xlsx", GRID)
    table = import_sources.open_table(first)
    with pytest.raises(import_sources.TableError) as refused:
        import_sources.open_table(second)
    assert str(refused.value) == workbook_limits.BUSY
    table.close()
    again = import_sources.open_table(second)
    assert again.header == HEADER and len(list(again.rows())) == 2
    again.close()
    dropped = import_sources.open_table(first)  # dropped without closing: its cells come back all the same
    del dropped
    import gc
    gc.collect()
    import_sources.open_table(second).close()
    assert workbook_limits._reading[0] == 0
