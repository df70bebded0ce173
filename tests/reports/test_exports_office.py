"""The exports open in LibreOffice Calc (Debian's `libreoffice-calc-nogui`), not only in Python.

A scrutiny committee clerk opens the KPI workbook; the missing team opens CSVs in a spreadsheet.
Each test hands the file to a real headless LibreOffice and reads back what Calc made of it:
the seed's figures in the right cells, percentages as percentages, every column where it belongs.
"""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path

import pytest
import time_machine
from openpyxl import load_workbook
from seed_data import build_register_rows, write_register_csv
from test_kpi_seed import SEED

from rhi_desk.register import episode_import
from rhi_desk.reports import ssda903

pytestmark = pytest.mark.office
RANGE = "from_month=2017-04&to_month=2017-11"
MONTHS = sorted(SEED)
# Comma separated, double quotes, UTF-8 (76), from line 1, default column types, English (UK) (2057):
# how a council's Calc, set up for the UK, opens a CSV; dates are then day/month/year.
UK_CSV = "CSV:44,34,76,1,,2057"


def calc_convert(files: list[Path], to: str, out: Path, profile: Path, infilter: str | None = None) -> None:
    """Convert with a headless LibreOffice, as a user opening and saving the file would."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is needed: apt-get install libreoffice-calc-nogui (build/install-test-deps.sh)"
    command = [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
               "--convert-to", to, "--outdir", str(out)]
    if infilter:
        command.append(f"--infilter={infilter}")
    done = subprocess.run(command + [str(f) for f in files], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def seeded(hub_db, tmp_path):
    rows = build_register_rows(SEED)
    episode_import.import_episodes(hub_db, write_register_csv(tmp_path / "register.csv", rows))
    return rows


def test_kpi_workbook_and_csv_open_in_libreoffice_with_the_seed_figures(signed_in, seeded, tmp_path):
    client = signed_in("manager")
    workbook = tmp_path / "kpis.xlsx"
    workbook.write_bytes(client.get(f"/reports/kpi.xlsx?{RANGE}").data)
    table = tmp_path / "kpis.csv"
    table.write_bytes(client.get(f"/reports/kpi.csv?{RANGE}").data)
    profile = tmp_path / "lo-profile"

    # The workbook, as Calc shows it (its first sheet saved as text, formatted as displayed).
    calc_convert([workbook], 'csv:Text - txt - csv (StarCalc):44,34,76,1', tmp_path / "from-xlsx", profile)
    shown = list(csv.reader(io.StringIO((tmp_path / "from-xlsx" / "kpis.csv").read_text(encoding="utf-8"))))
    by_label = {row[0]: row[1:1 + len(MONTHS)] for row in shown if row}
    assert shown[3][1:1 + len(MONTHS)] == ["Apr-17", "May-17", "Jun-17", "Jul-17", "Aug-17", "Sep-17", "Oct-17",
                                          "Nov-17"]
    assert by_label["No of children who went missing"] == [SEED[m]["children_missing"] for m in MONTHS]
    assert by_label["RHI % offer rate for children"] == [SEED[m]["offer_rate_children"] for m in MONTHS]

    # The CSV, opened in Calc as UTF-8 with commas, then saved as a workbook: numbers are numbers.
    calc_convert([table], "xlsx", tmp_path / "from-csv", profile, infilter=UK_CSV)
    sheet = load_workbook(tmp_path / "from-csv" / "kpis.xlsx").active
    grid = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = grid[0]
    assert header[0] == "month", "the byte order mark must not leak into the first heading"
    months = [row[header.index("month")] for row in grid[1:]]
    assert months == MONTHS
    missing = [row[header.index("children_missing")] for row in grid[1:]]
    assert missing == [int(SEED[m]["children_missing"]) for m in MONTHS]


def test_dfe_and_ofsted_csvs_open_in_libreoffice_column_by_column(hub_db, seeded, tmp_path):
    missing = tmp_path / "missing.csv"
    missing.write_text(ssda903.missing_table_csv(hub_db, "2017-18"), encoding="utf-8")
    annex = tmp_path / "annex-a-list8.csv"
    with time_machine.travel("2017-12-01 09:00", tick=False):  # the inspection looks back six months
        annex.write_text(ssda903.annex_a_csv(hub_db), encoding="utf-8")
    calc_convert([missing, annex], "xlsx", tmp_path / "out", tmp_path / "lo-profile", infilter=UK_CSV)
    for source in (missing, annex):
        expected = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8-sig"))))
        assert len(expected) > 50, "the seed gives many rows to open"
        sheet = load_workbook(tmp_path / "out" / (source.stem + ".xlsx")).active
        assert sheet.max_row == len(expected) and sheet.max_column == len(expected[0])
        assert [c.value for c in sheet[1]] == expected[0]
        # Every child id lands in the first column, as text the validator and Ofsted can read.
        assert [str(sheet.cell(r, 1).value) for r in range(2, sheet.max_row + 1)] == [row[0] for row in expected[1:]]

    # DfE's dd/mm/YYYY dates are read as the days they are (1 April, not 4 January).
    sheet = load_workbook(tmp_path / "out" / "missing.xlsx").active
    expected = list(csv.reader(io.StringIO(missing.read_text(encoding="utf-8"))))
    header = expected[0]
    for number, row in enumerate(expected[1:], start=2):
        cell = sheet.cell(number, header.index("MIS_START") + 1).value
        assert cell.strftime("%d/%m/%Y") == row[header.index("MIS_START")]
