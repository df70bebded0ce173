"""At the window's size on a 1280x720 laptop, no page needs scrolling sideways."""
import shutil

import pytest

from rhi_desk import create_app
from rhi_desk.desktop import geometry
from tests.conftest import browser_sign_in

PAGES = {
    "missing": ["/today", "/children", "/reports/", "/reports/monthly", "/reports/high-risk", "/import",
                "/data-quality", "/sync/", "/about"],
    "admin": ["/admin/users", "/admin/audit"],
}


@pytest.fixture
def demo_server(demo_db_path, tmp_path):
    from rhi_desk.web.server import free_port, start_server

    database = tmp_path / "demo.db"
    shutil.copy(demo_db_path, database)
    app = create_app({"DATABASE": str(database), "SYNC_INBOX_WATCH": False})
    port = free_port()
    server = start_server(app, port)
    yield f"http://127.0.0.1:{port}"
    server.close()


@pytest.mark.browser
def test_no_page_scrolls_sideways_in_the_window_on_a_1280x720_screen(browser, demo_server):
    width, height = geometry.first_size(1280, 720)
    context = browser.new_context(viewport={"width": width - 16, "height": height})  # less a scroll bar
    page = context.new_page()
    try:
        wide = {}
        for username, paths in PAGES.items():
            browser_sign_in(page, demo_server, username, "demo-password")
            for path in paths:
                response = page.goto(demo_server + path)
                if response.status == 404:
                    continue
                page.wait_for_load_state("networkidle")
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                if overflow > 0:
                    wide[path] = overflow
            page.goto(demo_server + "/sign-in")
            page.context.clear_cookies()
        assert not wide, f"pages wider than the window (pixels too wide): {wide}"
    finally:
        context.close()
