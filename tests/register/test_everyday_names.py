"""Imported children can be opened: a name from the file where it has one, the id as link text where not."""
from __future__ import annotations

import html
import re
from datetime import datetime

import pytest
import time_machine
from records_helpers import row, write_register

from rhi_desk import audit
from rhi_desk.register import children
from rhi_desk.register.episode_import import COLUMNS, import_episodes, validate_file

NOW = datetime(2018, 2, 1, 9, 0)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def links_to(page: str, child_id: str) -> list[str]:
    """The visible text of every link to the child's page."""
    found = re.findall(rf'<a [^>]*href="/children/{re.escape(child_id)}"[^>]*>(.*?)</a>', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", f)).strip() for f in found]


def test_an_imported_child_without_a_name_is_a_link_named_by_the_id(signed_in, hub_db, tmp_path):
    import_episodes(hub_db, write_register(tmp_path / "r.csv", [row("IMP-E-1", "IMP-C-002")]))
    c = signed_in("missing_team")
    for address in ("/children?q=IMP-C-002", "/children"):
        texts = links_to(c.get(address).get_data(as_text=True), "IMP-C-002")
        assert texts and all(t.startswith("IMP-C-002") for t in texts), (address, texts)
    child_page = c.get("/children/IMP-C-002").get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-l\">IMP-C-002" in child_page
    episode_page = c.get("/episodes/IMP-E-1").get_data(as_text=True)
    assert links_to(episode_page, "IMP-C-002")[0].startswith("IMP-C-002")


def test_the_import_carries_child_names_where_the_file_has_them(hub_db, tmp_path):
    children.create_child(hub_db, "C9", name="Kept Name", date_of_birth="2005-03-04")
    rows = [row("E1", "C1", child_name="Ava Nowak"), row("E2", "C1", start="2017-06-01 10:00", child_name=""),
            row("E3", "C2", start="2017-07-01 10:00"), row("E4", "C9", child_name="Other Name")]
    path = write_register(tmp_path / "named.csv", rows, columns=[*COLUMNS, "child_name"])
    assert validate_file(hub_db, path).ok
    import_episodes(hub_db, path, by="mo")
    names = dict(hub_db.execute("select child_id, name from children").fetchall())
    assert names == {"C1": "Ava Nowak", "C2": "", "C9": "Kept Name"}, "a name held is never overwritten"


def test_a_held_child_without_a_name_gets_the_name_and_it_is_audited(hub_db, tmp_path):
    import_episodes(hub_db, write_register(tmp_path / "a.csv", [row("E1", "C1")]))
    path = write_register(tmp_path / "b.csv", [row("E1", "C1", child_name="Ava Nowak")],
                          columns=[*COLUMNS, "child_name"])
    import_episodes(hub_db, path, by="mo")
    assert children.get_child(hub_db, "C1")["name"] == "Ava Nowak"
    entry = [e for e in audit.entries(hub_db, object_type="child") if e["action"] == "child.import_update"][-1]
    assert "Ava" not in str(entry["detail"]), "the audit log says a name came, not the name"


def test_an_unknown_column_is_still_refused(hub_db, tmp_path):
    path = write_register(tmp_path / "x.csv", [row("E1", "C1", nickname="A")], columns=[*COLUMNS, "nickname"])
    preview = validate_file(hub_db, path)
    assert not preview.ok and "'nickname' is not a column" in str(preview.errors[0])
