"""A council's own export imports: its headers mapped (proposed, confirmed, saved by name), its values read as
people write them, every bad row named in the file's own terms; CSV and Excel alike; page and command line."""
from __future__ import annotations

import io
import json
import re
from datetime import date, datetime

import openpyxl
import pytest
import time_machine
from records_helpers import table_counts

from rhi_desk import audit
from rhi_desk.register import import_mapping as m
from rhi_desk.register.episode_import import ImportRefused, import_episodes, validate_file

NOW = datetime(2018, 2, 1, 9, 0)

LCS_HEADER = ["Person ID", "Date of Birth", "Missing/Away", "Date Missing", "Date Found", "LAC", "OLA",
              "Placement Location", "RHI Offered Date", "RHI Outcome", "RHI Completed Date", "Interviewer"]
LCS_ROWS = [
    ["100234", "04/03/2005", "M", "01/05/2017 14:05", "02/05/2017 09:30", "Yes", "No", "Out of area",
     "03/05/2017", "Completed", "04/05/2017", "Missing team"],
    ["100234", "04/03/2005", "A", "13/06/2017 2:05pm", "13/06/2017 6:00 PM", "Yes", "No", "In borough",
     "", "", "", ""],
    ["100777", "09/01/2003", "Missing", "01/07/2017", "", "No", "No", "", "", "", "", ""],
    ["100888", "2004-11-30", "Away", "2017-08-01 22:00", "2017-08-02 01:15", "1", "0", "Neighbouring LA",
     "2017-08-03", "Refused", "", "Social Worker"],
]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def write_csv(path, header, rows):
    import csv
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def lcs_mapping(header=LCS_HEADER) -> m.Mapping:
    mapping = m.propose(header)
    mapping.date_order = "dmy"
    return mapping


def test_recognised_headers_are_proposed():
    mapping = m.propose(LCS_HEADER + ["Notes"])
    assert mapping.columns == {
        "child_id": "Person ID", "date_of_birth": "Date of Birth", "episode_type": "Missing/Away",
        "start": "Date Missing", "end": "Date Found", "looked_after": "LAC", "other_la": "OLA",
        "placement": "Placement Location", "rhi_offered_on": "RHI Offered Date", "rhi_outcome": "RHI Outcome",
        "rhi_completed_on": "RHI Completed Date", "rhi_by": "Interviewer"}
    assert m.propose(["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"]).columns == {
        "child_id": "CHILD", "date_of_birth": "DOB", "episode_type": "MISSING", "start": "MIS_START",
        "end": "MIS_END"}
    assert m.propose(["Child name"]).columns == {"child_name": "Child name"}
    assert m.propose(["Full Name"]).columns == {"child_name": "Full Name"}


@pytest.mark.parametrize("text,order,expected", [
    ("01/05/2017 14:05", "dmy", "2017-05-01 14:05"),
    ("01/05/2017 14:05", "mdy", "2017-01-05 14:05"),
    ("1/5/2017 2:05pm", "dmy", "2017-05-01 14:05"),
    ("13/06/2017 12:30 AM", "dmy", "2017-06-13 00:30"),
    ("13/06/2017 6 PM", "dmy", "2017-06-13 18:00"),
    ("2017-06-13 18:00:59", None, "2017-06-13 18:00"),
    ("2017-06-13T18:00", None, "2017-06-13 18:00"),
    ("13/06/2017", "dmy", "2017-06-13 00:00"),
    ("01/05/2017", None, "01/05/2017"),  # the order is not known: never guessed
    # Not real dates: the commonest shape is only rearranged, and the register's check names it (in the
    # file's own words: see test_bad_rows_are_named_by_row_and_header_in_the_users_own_terms).
    ("31/02/2017 10:00", "dmy", "2017-02-31 10:00"),
    ("13/06/2017 25:00", "dmy", "2017-06-13 25:00"),
    ("31/02/2017 1:00", "dmy", "31/02/2017 1:00"),
    ("01/05/17 10:00", "dmy", "01/05/17 10:00"),  # a two-digit year is not read
])
def test_dates_and_times_as_people_write_them(text, order, expected):
    assert m.as_minute(text, order) == expected


def test_excel_cells_and_yes_no_words():
    assert m.as_minute(datetime(2017, 5, 1, 14, 5), None) == "2017-05-01 14:05"
    assert m.as_day(datetime(2005, 3, 4), None) == "2005-03-04"
    assert m.as_day(date(2005, 3, 4), None) == "2005-03-04"
    assert m.as_day("04/03/2005 00:00", "dmy") == "2005-03-04"
    assert [m.as_yes_no(v) for v in ("Y", "yes", "YES", "1", "TRUE", "true", True, 1.0)] == ["Y"] * 8
    assert [m.as_yes_no(v) for v in ("N", "No", "0", "FALSE", False, 0.0)] == ["N"] * 6
    assert m.as_yes_no("maybe") == "maybe"
    assert m.text(100234.0) == "100234"


def test_lcs_style_export_imports_and_the_same_file_twice_changes_nothing(hub_db, tmp_path):
    path = write_csv(tmp_path / "lcs.csv", LCS_HEADER, LCS_ROWS)
    mapping = lcs_mapping()
    preview = validate_file(hub_db, path, mapping=mapping)
    assert preview.ok, preview.errors
    assert (preview.new_episodes, preview.new_children) == (4, 3)
    result = import_episodes(hub_db, path, mapping=mapping, by="mo")
    assert result.new_episodes == 4
    episodes = hub_db.execute('SELECT episode_id, episode_type, start, "end", looked_after, other_la, placement '
                              "FROM episodes ORDER BY start").fetchall()
    assert episodes == [
        ("100234-201705011405", "missing", "2017-05-01 14:05", "2017-05-02 09:30", 1, 0, "out_of_borough"),
        ("100234-201706131405", "away", "2017-06-13 14:05", "2017-06-13 18:00", 1, 0, "in_borough"),
        ("100777-201707010000", "missing", "2017-07-01 00:00", None, 0, 0, None),
        ("100888-201708012200", "away", "2017-08-01 22:00", "2017-08-02 01:15", 1, 0, "neighbouring"),
    ]
    rhis = hub_db.execute("SELECT rhi_id, offered_at, outcome, completed_at, interviewer_type "
                          "FROM return_home_interviews ORDER BY rhi_id").fetchall()
    assert rhis == [("import-100234-201705011405", "2017-05-03 00:00", "completed", "2017-05-04 00:00",
                     "missing_team"),
                    ("import-100888-201708012200", "2017-08-03 00:00", "declined", None, "social_worker")]
    before = table_counts(hub_db)
    assert import_episodes(hub_db, path, mapping=mapping).nothing_changed
    after = table_counts(hub_db)
    assert after["audit_log"] == before["audit_log"] + 1
    assert {k: v for k, v in after.items() if k != "audit_log"} == {k: v for k, v in before.items()
                                                                    if k != "audit_log"}


def test_bad_rows_are_named_by_row_and_header_in_the_users_own_terms(hub_db, tmp_path):
    rows = [list(r) for r in LCS_ROWS]
    rows[1][3] = "31/02/2017 10:00"  # row 3: no such day
    rows[2][5] = "Perhaps"  # row 4
    rows[3][7] = "Abroad"  # row 5: a word with no meaning chosen
    path = write_csv(tmp_path / "lcs.csv", LCS_HEADER, rows)
    before = table_counts(hub_db)
    with pytest.raises(ImportRefused) as refused:
        import_episodes(hub_db, path, mapping=lcs_mapping())
    found = [(e.row, e.column) for e in refused.value.errors]
    assert found == [(3, "Date Missing"), (4, "LAC"), (5, "Placement Location")], refused.value.errors
    by_row = {e.row: e for e in refused.value.errors}
    assert "'31/02/2017 10:00'" in by_row[3].problem and "dd/mm/yyyy" in by_row[3].fix
    assert "'Perhaps'" in by_row[4].problem
    assert "'Abroad'" in by_row[5].problem and "mapping page" in by_row[5].fix
    assert table_counts(hub_db) == before


def test_a_value_mapping_gives_the_councils_words_their_meaning(hub_db, tmp_path):
    rows = [list(r) for r in LCS_ROWS]
    rows[3][7] = "Abroad"
    path = write_csv(tmp_path / "lcs.csv", LCS_HEADER, rows)
    mapping = lcs_mapping()
    mapping.values = {"placement": {"Abroad": "out_of_borough"}}
    import_episodes(hub_db, path, mapping=mapping)
    assert hub_db.execute("SELECT placement FROM episodes WHERE episode_id LIKE '100888-%'").fetchone() == (
        "out_of_borough",)


def test_dates_without_a_known_day_month_order_are_not_guessed(hub_db, tmp_path):
    from rhi_desk.register import import_sources

    rows = [["C1", "04/03/2005", "M", "01/05/2017 10:00", "02/05/2017 11:00", "Y", "N"]]
    header = ["Child", "DOB", "Type", "Start date", "End date", "LAC", "OLA"]
    path = write_csv(tmp_path / "ambiguous.csv", header, rows)
    mapping = m.propose(header)
    analysis = import_sources.analyse(path, mapping)
    assert analysis.slashed and analysis.order_known is None
    with pytest.raises(ImportRefused) as refused:
        import_episodes(hub_db, path, mapping=mapping)
    assert {e.column for e in refused.value.errors} == {"DOB", "Start date", "End date"}
    assert all("day" in e.problem or "day" in e.fix for e in refused.value.errors), refused.value.errors
    mapping.date_order = "mdy"
    import_episodes(hub_db, path, mapping=mapping)
    assert hub_db.execute("SELECT start FROM episodes").fetchone() == ("2017-01-05 10:00",)
    rows.append(["C1", "04/03/2005", "M", "25/05/2017 10:00", "", "Y", "N"])
    assert import_sources.analyse(write_csv(tmp_path / "clear.csv", header, rows), mapping).order_known == "dmy"


def test_an_excel_workbook_with_date_cells_imports_from_a_chosen_sheet(hub_db, tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Cover"
    book.active.append(["This export was made by LCS"])
    sheet = book.create_sheet("Episodes")
    sheet.append(LCS_HEADER)
    sheet.append([100234, datetime(2005, 3, 4), "M", datetime(2017, 5, 1, 14, 5), datetime(2017, 5, 2, 9, 30),
                  True, False, "Out of area", datetime(2017, 5, 3), "Completed", datetime(2017, 5, 4),
                  "Missing team"])
    sheet.append([])
    sheet.append([100777, "09/01/2003", "A", "13/06/2017 2:05pm", None, "Yes", "No", "In borough", None, None,
                  None, None])
    path = tmp_path / "lcs.xlsx"
    book.save(path)
    mapping = lcs_mapping()
    mapping.sheet = "Episodes"
    result = import_episodes(hub_db, path, mapping=mapping)
    assert (result.new_episodes, result.new_children) == (2, 2)
    assert hub_db.execute('SELECT episode_id, start, "end" FROM episodes ORDER BY id').fetchall() == [
        ("100234-201705011405", "2017-05-01 14:05", "2017-05-02 09:30"),
        ("100777-201706131405", "2017-06-13 14:05", None)]
    assert import_episodes(hub_db, path, mapping=mapping).nothing_changed
    sheet.cell(row=4, column=4, value="someday")
    book.save(path)
    with pytest.raises(ImportRefused) as refused:
        import_episodes(hub_db, path, mapping=mapping)
    assert [(e.row, e.column) for e in refused.value.errors] == [(4, "Date Missing")]  # the sheet's own row


def test_saved_mappings_are_audited_and_found_for_next_months_file(hub_db):
    mapping = lcs_mapping()
    m.save_mapping(hub_db, "LCS monthly", mapping, by="mo")
    assert m.load_mapping(hub_db, "LCS monthly") == mapping
    assert m.saved_for(hub_db, LCS_HEADER + ["Extra"])[0] == "LCS monthly"
    assert m.saved_for(hub_db, LCS_HEADER[1:]) is None
    entry = audit.entries(hub_db, object_type="import_mapping", object_id="LCS monthly")[0]
    assert entry["action"] == "import_mapping.saved" and entry["username"] == "mo"
    assert json.loads(entry["detail"])["mapping"]["columns"]["start"] == "Date Missing"


def test_the_command_line_imports_through_a_saved_mapping(hub_db, cli, tmp_path):
    path = write_csv(tmp_path / "lcs.csv", LCS_HEADER, LCS_ROWS)
    refused = cli("import-episodes", path)
    assert refused.exit_code == 1 and "--mapping NAME" in refused.output
    assert "no saved mapping called 'LCS'" in cli("import-episodes", path, "--mapping", "LCS").output
    m.save_mapping(hub_db, "LCS", lcs_mapping(), by="mo")
    result = cli("import-episodes", path, "--mapping", "LCS")
    assert result.exit_code == 0, result.output
    assert "4 new episodes" in result.output
    assert "nothing changed" in cli("import-episodes", path, "--mapping", "LCS").output


def _form_fields(html: str) -> dict:
    """The selected value of every select and the hidden inputs of the mapping form."""
    fields = {}
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        fields[name] = chosen.group(1) if chosen else ""
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        fields[name] = value
    return fields


def test_the_mapping_page_proposes_previews_saves_and_imports(signed_in, hub_db, tmp_path, app):
    app.config["RECORDS_UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    client = signed_in("missing_team")
    rows = [list(r) for r in LCS_ROWS]
    rows[3][7] = "Abroad"
    data = write_csv(tmp_path / "lcs.csv", LCS_HEADER, rows).read_bytes()
    response = client.post("/import", data={"register_file": (io.BytesIO(data), "LCS export.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.location.endswith("/import/mapping")
    page = client.get("/import/mapping").get_data(as_text=True)
    assert "Match the columns of LCS export.csv" in page
    fields = _form_fields(page)
    assert fields["col_0"] == "child_id" and fields["col_3"] == "start" and fields["date_order"] == "dmy"
    assert "&#39;Abroad&#39; in Placement Location" in page  # a word to give a meaning
    assert "2017-05-01 14:05" in page and "out_of_borough" in page  # the first rows as read
    fields.update(check="Check the whole file", save_as="LCS monthly", val_placement_0="out_of_borough")
    preview = client.post("/import/mapping", data=fields).get_data(as_text=True)
    assert "Check the import" in preview and "Import the episodes" in preview, preview
    assert m.load_mapping(hub_db, "LCS monthly").values == {"placement": {"Abroad": "out_of_borough"}}
    done = client.post("/import/confirm").get_data(as_text=True)
    assert "4 new episodes" in done
    assert hub_db.execute("SELECT count(*) FROM episodes WHERE placement = 'out_of_borough'").fetchone() == (2,)
    # Next month's file: matched as saved.
    client.post("/import", data={"register_file": (io.BytesIO(data), "LCS export.csv")},
                content_type="multipart/form-data")
    page = client.get("/import/mapping").get_data(as_text=True)
    assert "saved mapping" in page and "LCS monthly" in page
    assert _form_fields(page)["val_placement_0"] == "out_of_borough"


def test_the_mapping_page_asks_what_it_cannot_tell(signed_in, tmp_path, app):
    app.config["RECORDS_UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    client = signed_in("missing_team")
    header = ["Ref", "Child", "DOB", "Type", "Start date", "End date", "LAC"]
    data = write_csv(tmp_path / "a.csv", header, [["X1", "C1", "04/03/2005", "M", "01/05/2017 10:00", "", "Y"]]
                     ).read_bytes()
    client.post("/import", data={"register_file": (io.BytesIO(data), "a.csv")}, content_type="multipart/form-data")
    fields = _form_fields(client.get("/import/mapping").get_data(as_text=True))
    assert fields["col_0"] == "" and "date_order" not in fields  # "Ref" is not recognised; order unknown
    fields.update(col_0="episode_id", col_1="episode_id", check="Check the whole file")
    page = client.post("/import/mapping", data=fields).get_data(as_text=True)
    assert "Error: Match the columns" in page and "for one column only" in page
    fields.update(col_1="child_id")
    page = client.post("/import/mapping", data=fields).get_data(as_text=True)
    assert "Error: Match the columns" in page and "Choose how day and month are ordered" in page
    fields.update(date_order="dmy")
    assert "Check the import" in client.post("/import/mapping", data=fields).get_data(as_text=True)


def test_a_mapped_file_carries_the_childs_name_and_never_overwrites_one_held(hub_db, tmp_path):
    from rhi_desk.register import children

    children.create_child(hub_db, "100888", name="Kept Name", date_of_birth="2004-11-30")
    header = LCS_HEADER + ["Full Name"]
    names = ["Ava Nowak", "", "Sam Okafor", "Other Name"]
    path = write_csv(tmp_path / "named.csv", header, [r + [n] for r, n in zip(LCS_ROWS, names)])
    mapping = lcs_mapping(header)
    assert mapping.columns["child_name"] == "Full Name"
    assert validate_file(hub_db, path, mapping=mapping).ok
    import_episodes(hub_db, path, mapping=mapping, by="mo")
    held = dict(hub_db.execute("select child_id, name from children").fetchall())
    assert held == {"100234": "Ava Nowak", "100777": "Sam Okafor", "100888": "Kept Name"}


def test_the_mapping_page_offers_the_childs_name(signed_in, hub_db, tmp_path, app):
    app.config["RECORDS_UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    client = signed_in("missing_team")
    header = LCS_HEADER + ["Forename Surname"]  # not a header RHI Desk recognises: chosen by hand
    data = write_csv(tmp_path / "lcs.csv", header, [LCS_ROWS[0] + ["Ava Nowak"]]).read_bytes()
    client.post("/import", data={"register_file": (io.BytesIO(data), "LCS export.csv")},
                content_type="multipart/form-data")
    page = client.get("/import/mapping").get_data(as_text=True)
    assert '<option value="child_name">Child&#39;s name</option>' in page
    fields = _form_fields(page)
    last = f"col_{len(header) - 1}"
    assert fields[last] == ""
    fields.update({last: "child_name", "refresh": "Update the preview"})
    page = client.post("/import/mapping", data=fields).get_data(as_text=True)
    assert "Ava Nowak" in page, "the preview shows the name as read"
    fields.pop("refresh")
    fields.update(check="Check the whole file", date_order="dmy")  # every day in this file is 12 or less
    assert "Check the import" in client.post("/import/mapping", data=fields).get_data(as_text=True)
    assert "1 new episode" in client.post("/import/confirm").get_data(as_text=True)
    assert hub_db.execute("select name from children where child_id = '100234'").fetchone() == ("Ava Nowak",)


def test_the_mapping_page_parses_a_workbook_once_a_visit(signed_in, tmp_path, app, monkeypatch):
    # A workbook's sheet is parsed whole when opened (a 100,000-row sheet takes most of a second): the
    # page reads the header and the first rows from one opening, and checking adds one reading of the file.
    from rhi_desk.register import episode_import, import_sources

    app.config["RECORDS_UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    client = signed_in("missing_team")
    book = openpyxl.Workbook()
    book.active.append(LCS_HEADER)
    for row in LCS_ROWS:
        book.active.append(list(row))
    data = io.BytesIO()
    book.save(data)
    opened = []
    real = import_sources.open_table

    def counted(path, sheet=None):
        opened.append(sheet)
        return real(path, sheet)

    monkeypatch.setattr(import_sources, "open_table", counted)
    monkeypatch.setattr(episode_import, "open_table", counted)
    response = client.post("/import", data={"register_file": (io.BytesIO(data.getvalue()), "LCS export.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.location.endswith("/import/mapping")
    page = client.get("/import/mapping").get_data(as_text=True)
    assert "Match the columns of LCS export.xlsx" in page and "2017-05-01 14:05" in page
    assert len(opened) == 1
    fields = _form_fields(page)
    fields.update(check="Check the whole file")
    opened.clear()
    preview = client.post("/import/mapping", data=fields).get_data(as_text=True)
    assert "Check the import" in preview and "Import the episodes" in preview, preview
    assert len(opened) == 2  # the page's own reading, and the check of every row
