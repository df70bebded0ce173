"""The whole dashboard printed by Chromium on A4 landscape, looked at as pictures (pdftoppm): the headline and
the seed table on page 1, every page landscape, nothing blank, nothing cut off at the right edge."""
from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from conftest import assert_no_axe_violations, browser_sign_in
from test_dashboard_charts import _fill

pytestmark = pytest.mark.browser


def read_grey_png(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of grey values (0 black to 255 white) of an 8-bit PNG, without Pillow."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, bpp = 8, b"", 0, 0, 1
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (0, 2), (depth, colour)
            bpp = 1 if colour == 0 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for x in range(stride):
            left = row[x - bpp] if x >= bpp else 0
            up, corner = previous[x], previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                row[x] = (row[x] + left) & 255
            elif kind == 2:
                row[x] = (row[x] + up) & 255
            elif kind == 3:
                row[x] = (row[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                row[x] = (row[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(row) if bpp == 1 else bytes(min(row[i:i + 3]) for i in range(0, stride, 3)))
        previous = row
    return width, height, rows


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils is not installed")
def test_the_dashboard_prints_on_a4_landscape_with_the_seed_table_on_page_one(live_server, hub_db, page, tmp_path):
    _fill(hub_db)
    browser_sign_in(page, live_server, "manager")
    page.goto(live_server + "/reports/?from_month=2016-12&to_month=2017-11")
    page.click("a:has-text('Print the whole dashboard')")
    page.wait_for_url("**/reports/print?**")
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length === 8")
    assert_no_axe_violations(page)
    pdf = tmp_path / "dashboard.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "November 2017 at a glance" in text and "No of children who went missing" in text
    assert "RHIs done % episodes – all LAC" in text, "the seed table is not whole on page 1"
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pictures = sorted(tmp_path.glob("page-*.png"))
    assert 2 <= len(pictures) <= 8, f"{len(pictures)} pages"
    for picture in pictures:
        width, height, rows = read_grey_png(picture)
        assert width > height, f"{picture.name} is not landscape"
        ink = sum(1 for row in rows for value in row if value < 200)
        assert ink > width * height * 0.01, f"{picture.name} is (nearly) blank"
        # Nothing runs off the paper: the right-hand margin (4 mm at 40 dpi) stays white.
        margin = int(4 / 25.4 * 40)
        assert all(min(row[width - margin:]) > 230 for row in rows), f"{picture.name} runs past the right edge"
    # The charts are on paper too: each question's title is printed, its table beside it.
    everything = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for question in ("Are interviews offered within 72 hours?", "Why were interviews not done?",
                     "How do looked-after children placed away compare?", "Which ages go missing?",
                     "Who interviews?", "Which children go missing again and again?"):
        assert question in " ".join(everything.split()), question
    shutil.copy(pictures[0], "/tmp/dashboard-print-page-1.png")
