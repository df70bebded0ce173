"""axe-core on every kind of page, found by following links in the demo as each kind of user, in Chromium.

Each area's browser tests run axe on their own journeys; this test makes sure no page is left out: it
signs in to the demo as the missing team, a social worker and an administrator, follows every link, and
runs axe once on each page kind (each Flask endpoint) it reaches.
"""
from __future__ import annotations

from collections import deque
from urllib.parse import urlsplit

import pytest
from conftest import assert_no_axe_violations, browser_sign_in
from werkzeug.exceptions import HTTPException

from rhi_desk import create_app
from rhi_desk.demo import fill as demo

pytestmark = pytest.mark.browser
NOT_FOLLOWED = ("/static/", "/assets/", "/sign-out", "/lock")


@pytest.fixture(scope="module")
def demo_server(demo_db_path):
    from rhi_desk.web.server import free_port, start_server

    app = create_app({"DATABASE": str(demo_db_path)})
    port = free_port()
    server = start_server(app, port)
    yield app, f"http://127.0.0.1:{port}"
    server.close()


@pytest.mark.parametrize("username", ["missing", "worker", "admin"])
def test_every_kind_of_page_a_user_reaches_has_no_accessibility_violations(demo_server, page, username):
    app, base = demo_server
    adapter = app.url_map.bind("127.0.0.1")
    browser_sign_in(page, base, username, demo.DEMO_PASSWORD)
    page.wait_for_load_state()
    checked: dict[str, str] = {}
    queue = deque([urlsplit(page.url).path])
    while queue:
        path = queue.popleft()
        try:
            endpoint = adapter.match(urlsplit(path).path, method="GET")[0]
        except HTTPException:
            continue
        if endpoint in checked or endpoint == "static":
            continue
        checked[endpoint] = path
        # Look before going: a download (a CSV, a sync file, an identity file) is not a page.
        if "text/html" not in page.request.get(base + path).headers.get("content-type", ""):
            continue
        response = page.goto(base + path)
        if response is None or response.status != 200:
            continue
        assert_no_axe_violations(page)
        for link in page.eval_on_selector_all("a[href^='/']", "links => links.map(a => a.getAttribute('href'))"):
            if not link.startswith(NOT_FOLLOWED):
                queue.append(link)
    assert len(checked) >= 5, f"{username} reached too few kinds of page: {sorted(checked)}"
