"""Shared fixtures: a temp-file database per test, the app, clients, the CLI and a real browser.

Follows Flask's tutorial: ``app``, ``client``, ``runner``. Page tests use a temp *file*
database (``:memory:`` would give every connection an empty database).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from rhi_desk import accounts, create_app, installs
from rhi_desk.db import connect
from rhi_desk.demo import fill as demo

# The database key of this test run (docs/security.md): a key folder of its own, never the user's real one,
# and never the desktop's credential store. Subprocesses (the wheel, the CLI) inherit it.
os.environ.setdefault("RHI_DESK_KEY_DIR", tempfile.mkdtemp(prefix="rhi-desk-test-keys-"))
os.environ.setdefault("RHI_DESK_KEYRING", "0")

PASSWORD = "a-long-test-password"
CHROMIUM = "/usr/bin/chromium"
AXE = next((Path(__file__).parent / "vendor").glob("axe-core-*/axe.min.js"), None)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "rhi-desk.db"


@pytest.fixture
def hub_db(db_path):
    """An initialised hub database (Croydon's missing team)."""
    db = connect(db_path)
    installs.initialise(db, "hub", "Croydon", "Missing team")
    yield db
    db.conn.close()


@pytest.fixture
def field_db(tmp_path):
    """An initialised field database (a provider's install), in its own file."""
    db = connect(tmp_path / "field.db")
    installs.initialise(db, "field", "Croydon", "Safe Steps")
    yield db
    db.conn.close()


def add_user(db, username: str, role: str, organisation: str | None = None) -> dict:
    """Create a user with the shared test password."""
    return accounts.create_user(db, username, PASSWORD, role, display_name=username.title(),
                                organisation=organisation)


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory) -> Path:
    """A database filled as `rhi-desk demo` fills one, shared by the tests that look around it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db = connect(path)
    demo.fill(db)
    db.conn.close()
    return path


@pytest.fixture
def users(hub_db):
    """One user per role on the hub."""
    for role in accounts.ROLES:
        add_user(hub_db, role, role, organisation="Safe Steps" if role == "provider" else None)
    return {role: role for role in accounts.ROLES}


@pytest.fixture
def app(hub_db, db_path):
    """The app over the hub database, CSRF off (one test suite turns it on: test_security)."""
    return create_app({"DATABASE": str(db_path), "TESTING": True, "WTF_CSRF_ENABLED": False})


@pytest.fixture
def client(app):
    return app.test_client()


def sign_in(client, username: str, password: str = PASSWORD):
    """Sign ``client`` in; returns the response."""
    return client.post("/sign-in", data={"username": username, "password": password})


@pytest.fixture
def signed_in(app, users):
    """A factory: ``signed_in('missing_team')`` gives a test client signed in with that role."""

    def make(role: str):
        c = app.test_client()
        response = sign_in(c, role)
        assert response.status_code == 302, response.data
        return c

    return make


@pytest.fixture
def cli(db_path):
    """Run ``rhi-desk --db <temp> ARGS``; returns click's Result."""
    from rhi_desk.cli import cli as group

    runner = CliRunner()

    def run(*args, input=None, db=None):
        env = {"RHI_DESK_DB": str(db or db_path)}
        return runner.invoke(group, ["--db", str(db or db_path), *map(str, args)], input=input,
                             env=env, catch_exceptions=False)

    yield run
    os.environ.pop("RHI_DESK_DB", None)


@pytest.fixture
def live_server(hub_db, db_path, users):
    """The app served by waitress on 127.0.0.1 with CSRF on, as a user meets it; yields its URL."""
    from rhi_desk.web.server import free_port, start_server

    app = create_app({"DATABASE": str(db_path)})
    port = free_port()
    server = start_server(app, port)
    yield f"http://127.0.0.1:{port}"
    server.close()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def browser_sign_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real sign-in page."""
    page.goto(base_url + "/sign-in")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")
    page.wait_for_load_state()


def assert_no_axe_violations(page) -> None:
    """Run axe-core on the page (injected over the DevTools protocol, so the CSP still holds)."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    problems = [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: "
                f"{[n['target'] for n in v['nodes']][:3]})" for v in result["violations"]]
    assert not problems, f"axe found problems on {page.url}:\n" + "\n".join(problems)
