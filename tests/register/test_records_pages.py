"""Records pages and commands: import (upload, preview, confirm), data quality, exports; roles; field installs."""
from __future__ import annotations

import io
import time

import pytest
from records_helpers import row, table_counts, write_register

from rhi_desk import installs
from rhi_desk.db import connect
from rhi_desk.register import episode_import


def register_bytes(tmp_path, rows, name="register.csv") -> bytes:
    return write_register(tmp_path / name, rows).read_bytes()


def upload(client, data: bytes, name="register.csv"):
    return client.post("/import", data={"register_file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.fixture
def uploads(app, tmp_path):
    folder = tmp_path / "uploads"
    app.config["RECORDS_UPLOAD_FOLDER"] = str(folder)
    return folder


ROWS = [row("E1", "C1", start="2017-05-01 10:00", rhi_offered_on="2017-05-02", rhi_outcome="completed",
            rhi_completed_on="2017-05-03", rhi_by="provider"),
        row("E2", "C2", start="2017-06-01 10:00", end="", looked_after="N", placement="")]


def test_import_upload_preview_confirm(signed_in, hub_db, tmp_path, uploads):
    client = signed_in("missing_team")
    page = client.get("/import")
    assert page.status_code == 200 and b"episode_id" in page.data
    preview = upload(client, register_bytes(tmp_path, ROWS))
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert "Check the import" in text and "New episodes" in text and "Import the episodes" in text
    assert table_counts(hub_db)["episodes"] == 0, "the preview changes nothing"
    assert len(list(uploads.iterdir())) == 1
    done = client.post("/import/confirm")
    assert done.status_code == 200
    assert "2 new episodes" in done.get_data(as_text=True)
    assert table_counts(hub_db)["episodes"] == 2
    assert list(uploads.iterdir()) == [], "the uploaded file is deleted after import"
    # The same file again: nothing would change, and no confirm button.
    again = upload(client, register_bytes(tmp_path, ROWS)).get_data(as_text=True)
    assert "Nothing would change" in again and "Import the episodes" not in again
    assert list(uploads.iterdir()) == []


def test_bad_file_shows_every_bad_row_and_changes_nothing(signed_in, hub_db, tmp_path, uploads):
    client = signed_in("missing_team")
    bad = [dict(r) for r in ROWS] + [row("E3", "C3", start="2017-13-01 10:00"), row("E4", "C4", rhi_by="<b>x</b>")]
    before = table_counts(hub_db)
    response = upload(client, register_bytes(tmp_path, bad))
    text = response.get_data(as_text=True)
    assert "cannot be imported" in text and "2 rows cannot be understood" in text
    assert "govuk-error-summary" in text
    assert "<b>x</b>" not in text and "&lt;b&gt;x&lt;/b&gt;" in text
    for error in episode_import.validate_file(hub_db, tmp_path / "register.csv").errors:
        assert f"<td class=\"govuk-table__cell\">{error.row}</td>" in text
    assert "Import the episodes" not in text
    assert client.post("/import/confirm").status_code == 302  # nothing waiting: back to the upload page
    assert list(uploads.iterdir()) == []
    before["audit_log"] += 1  # the check itself is audited
    assert table_counts(hub_db) == before


def test_upload_without_a_file_or_not_csv_says_what_to_do(signed_in, uploads):
    client = signed_in("missing_team")
    response = client.post("/import", data={}, content_type="multipart/form-data")
    assert b"Choose the episode file" in response.data
    response = upload(client, b"hello", name="register.pdf")
    assert b"must be a CSV file or an Excel workbook" in response.data
    response = upload(client, b"hello", name="register.xlsx")  # named as a workbook but is not one
    assert response.status_code == 302
    page = client.get(response.location)
    assert page.status_code == 400 and b"not an Excel workbook RHI Desk can read" in page.data


def test_large_import_runs_in_the_background_with_progress(signed_in, hub_db, tmp_path, uploads, app, monkeypatch):
    from rhi_desk.web import records

    monkeypatch.setattr(records, "BACKGROUND_BYTES", 100)
    client = signed_in("missing_team")
    upload(client, register_bytes(tmp_path, ROWS))
    response = client.post("/import/confirm")
    assert response.status_code == 302 and "/import/jobs/" in response.location
    page = client.get(response.location)
    assert page.status_code == 200
    status_url = response.location + ".json"
    for _ in range(100):
        status = client.get(status_url).get_json()
        if status["state"] != "running":
            break
        time.sleep(0.05)
    assert status["state"] == "done" and status["percent"] == 100
    assert "2 new episodes" in status["message"]
    finished = client.get(response.location).get_data(as_text=True)
    assert "Import finished" in finished
    assert table_counts(hub_db)["episodes"] == 2
    assert list(uploads.iterdir()) == []
    # Another user cannot watch someone else's import.
    other = signed_in("admin")
    assert other.get(status_url).status_code == 404


def test_data_quality_page_links_each_issue(signed_in, hub_db, tmp_path):
    episode_import.import_episodes(hub_db, write_register(tmp_path / "r.csv", [
        row("E1", start="2017-05-01 10:00", end=""), row("E2", start="2017-05-03 10:00")]))
    text = signed_in("manager").get("/data-quality").get_data(as_text=True)
    assert "1 issue to look at" in text
    assert 'href="/children/C1"' in text and 'href="/episodes/E2"' in text
    assert "574" in text


def test_exports_download_csv(signed_in, hub_db, tmp_path):
    episode_import.import_episodes(hub_db, write_register(tmp_path / "r.csv", [row("E1", start="2017-05-01 10:00")]))
    client = signed_in("missing_team")
    assert client.get("/exports/903").status_code == 200
    response = client.post("/exports/903", data={"year": "2017-18"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "ssda903-missing-2017-18.csv" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).splitlines()[1] == "C1,04/03/2005,M,01/05/2017,01/05/2017"
    response = client.post("/exports/annex-a")
    assert response.mimetype == "text/csv" and response.get_data(as_text=True).startswith("Child ID,")


ACCESS = [
    ("practitioner", "/import", False), ("provider", "/import", False), ("manager", "/import", False),
    ("manager", "/data-quality", True), ("practitioner", "/data-quality", False),
    ("manager", "/exports/903", False), ("admin", "/exports/903", True), ("missing_team", "/exports/annex-a", True),
]


def test_roles(signed_in):
    clients = {}
    for role, path, allowed in ACCESS:
        client = clients.setdefault(role, signed_in(role))
        assert client.get(path).status_code == (200 if allowed else 403), (role, path)


def test_field_install_has_no_register_pages_or_commands(tmp_path, cli):
    from rhi_desk import accounts, create_app

    path = tmp_path / "field-only.db"
    db = connect(path)
    installs.initialise(db, "field", "Croydon", "Laptop")
    accounts.create_user(db, "sam", "a-long-test-password", "admin", display_name="Sam")
    db.conn.close()
    app = create_app({"DATABASE": str(path), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    client.post("/sign-in", data={"username": "sam", "password": "a-long-test-password"})
    assert client.get("/import").status_code == 404
    result = cli("import-episodes", write_register(tmp_path / "r.csv", ROWS), db=path)
    assert result.exit_code == 1 and "field install" in result.output


def test_import_command(cli, hub_db, tmp_path):
    good = write_register(tmp_path / "good.csv", ROWS)
    result = cli("import-episodes", good)
    assert result.exit_code == 0 and "2 new episodes" in result.output and "2 new children" in result.output
    result = cli("import-episodes", good)
    assert result.exit_code == 0 and "nothing changed" in result.output
    bad = write_register(tmp_path / "bad.csv", ROWS + [row("E3", "C3", looked_after="maybe"),
                                                       row("E4", "C4", start="soon")])
    before = table_counts(hub_db)
    result = cli("import-episodes", bad)
    assert result.exit_code == 1
    assert "Row 4, column looked_after" in result.output and "Row 5, column start" in result.output
    assert "Nothing was changed" in result.output
    assert table_counts(hub_db) == before
    result = cli("import-episodes", tmp_path / "nope.csv")
    assert result.exit_code == 1 and "There is no file" in result.output
    result = cli("import-episodes", "--dry-run", good)
    assert result.exit_code == 0 and "Nothing was changed (dry run)" in result.output
