"""Every page answers every role without an error: on an empty install, and crawled link by link on the demo.

A page that breaks on empty data, or on data a newcomer's demo holds, would show a user an error page;
these tests follow what each role can reach, as a person clicking around would.
"""
from __future__ import annotations

import html
import re
from collections import deque

import pytest
from conftest import add_user, sign_in

from rhi_desk import accounts, create_app
from rhi_desk.demo import fill as demo

LINK = re.compile(r'href="(/[^"#]*)"')
ANSWERS = (200, 302, 403, 404)
NOT_FOLLOWED = ("/static/", "/assets/", "/sign-out", "/lock")


def get_routes(app):
    return [rule.rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"]


PER_PAGE_KIND = 4


def crawl(client, start: str = "/", limit: int = 120) -> dict[str, int]:
    """Follow every link from ``start`` (breadth first, at most ``limit`` pages): {path: status}."""
    seen: dict[str, int] = {}
    per_page: dict[str, int] = {}
    queue = deque([start])
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        # A few of each page (the dashboard links one drill-down per month and chart): every kind is reached.
        kind = path.split("?", 1)[0]
        if per_page.get(kind, 0) >= PER_PAGE_KIND:
            continue
        per_page[kind] = per_page.get(kind, 0) + 1
        response = client.get(path)
        seen[path] = response.status_code
        if response.status_code == 302 and response.location.startswith("/"):
            queue.append(response.location)
        if response.mimetype == "text/html":
            for link in LINK.findall(response.get_data(as_text=True)):
                link = html.unescape(link)
                if not link.startswith(NOT_FOLLOWED) and link not in seen:
                    queue.append(link)
    return seen


@pytest.mark.parametrize("role", list(accounts.ROLES))
def test_every_page_answers_every_role_on_an_empty_hub(app, signed_in, role):
    client = signed_in(role)
    for path in get_routes(app):
        status = client.get(path).status_code
        assert status in ANSWERS, f"{role} opening {path} on an empty hub got {status}"


@pytest.mark.parametrize("role", ["admin", "practitioner", "provider"])
def test_every_page_answers_every_role_on_an_empty_field_install(field_db, tmp_path, role):
    add_user(field_db, role, role, organisation="Safe Steps" if role == "provider" else None)
    app = create_app({"DATABASE": str(tmp_path / "field.db"), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert sign_in(client, role).status_code == 302
    for path in get_routes(app):
        status = client.get(path).status_code
        assert status in ANSWERS, f"{role} opening {path} on an empty field install got {status}"


@pytest.fixture(scope="module")
def demo_app(demo_db_path):
    return create_app({"DATABASE": str(demo_db_path), "TESTING": True, "WTF_CSRF_ENABLED": False})


@pytest.mark.parametrize("username", [u for u, _, _, _ in demo.DEMO_USERS])
def test_crawling_the_demo_as_each_user_meets_no_error(demo_app, username):
    client = demo_app.test_client()
    assert sign_in(client, username, demo.DEMO_PASSWORD).status_code == 302
    pages = crawl(client)
    broken = {path: status for path, status in pages.items() if status not in ANSWERS}
    assert broken == {}, f"{username} met errors: {broken}"
    reached = [path for path, status in pages.items() if status == 200]
    assert len(reached) >= 5, f"{username} reached too little of the demo: {reached}"
    if username in ("missing", "manager", "admin"):
        assert any(p.startswith("/children/") for p in reached), "a child's page is reached from the lists"
