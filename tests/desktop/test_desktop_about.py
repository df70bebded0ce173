"""The About page: what IT asks first (version, where the data and the log are, size, last sync)."""
import re

from rhi_desk import __version__
from rhi_desk.web import about, logs


def test_about_says_the_version_the_data_folder_the_log_and_the_last_sync(signed_in, db_path, monkeypatch, tmp_path):
    monkeypatch.setenv("RHI_DESK_LOG_DIR", str(tmp_path / "logs"))
    for role in ("missing_team", "practitioner", "provider", "admin"):
        page = signed_in(role).get("/about").get_data(as_text=True)
        assert "<h1 class=\"govuk-heading-l\">About RHI Desk</h1>" in page
        assert __version__ in page and str(db_path.resolve().parent) in page
        assert str(logs.log_file()) in page
        assert "Last sync file received" in page and "None yet" in page
        assert re.search(r"\d+\.\d (KB|MB)", page)
        assert "no usage data" in page and "never checks for updates" in page
    assert 'href="/about"' in signed_in("manager").get("/today").get_data(as_text=True)


def test_the_facts_read_the_last_sync_from_the_database(hub_db, db_path):
    hub_db.execute("insert into sync_imports (sender, sequence, kind, file_sha256, file_name, counts, summary, "
                   "created_at, imported_at) values ('x', 1, 'return', 'abc', 'f', '{}', '{}', "
                   "'2026-11-01 09:00', '2026-11-02 10:30')")
    facts = about.facts(hub_db, db_path, "9.9")
    assert facts["version"] == "9.9"
    assert facts["last_received"] == "2026-11-02 10:30" and facts["last_sent"] is None
    assert facts["install"].endswith("(hub, Croydon)") or "hub" in facts["install"]


def test_about_needs_signing_in(client):
    assert client.get("/about").status_code == 302
