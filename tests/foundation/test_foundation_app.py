"""The application factory, migrations, first-run set-up and the layout of the installed package."""
from rhi_desk import create_app
from rhi_desk.db import DatabaseError, connect
from rhi_desk.migrations import migrations
from rhi_desk.web import resource_dir


def test_factory_uses_the_given_database(db_path):
    app = create_app({"DATABASE": str(db_path), "TESTING": True})
    assert app.config["DATABASE"] == str(db_path)
    assert db_path.exists()


def test_migrations_create_the_schema_once_and_are_recorded(db_path):
    db = connect(db_path)
    applied = [m.name for m in migrations.applied(db)]
    assert applied[:2] == ["0001_initial", "0002_form_rescue"]
    assert {"install", "users", "audit_log", "children", "episodes", "return_home_interviews",
            "rhi_episodes", "rhi_revisions"} <= set(db.table_names())
    db.conn.close()
    again = connect(db_path)  # a second start-up applies nothing new
    assert [m.name for m in migrations.applied(again)] == applied


def test_connection_settings(db_path):
    db = connect(db_path)
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert db.execute("pragma foreign_keys").fetchone()[0] == 1
    assert db.execute("pragma busy_timeout").fetchone()[0] >= 5000


def test_audit_log_cannot_be_changed_or_emptied(hub_db):
    hub_db.execute("insert into audit_log (at, action) values ('2026-01-01 00:00:00', 'x')")
    for statement in ("update audit_log set action = 'y'", "delete from audit_log"):
        try:
            hub_db.execute(statement)
        except DatabaseError as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{statement} was allowed")


def test_first_run_shows_set_up_then_sign_in(db_path):
    app = create_app({"DATABASE": str(db_path), "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 302 and response.location.endswith("/set-up")
    page = client.get("/set-up").get_data(as_text=True)
    assert "What is this install for?" in page
    response = client.post("/set-up", data={
        "role": "field", "la_name": "Croydon", "install_name": "Safe Steps", "display_name": "Ann Admin",
        "username": "ann", "password": "short", "confirm": "short"})
    assert "Enter a password of at least 10 characters" in response.get_data(as_text=True)
    response = client.post("/set-up", data={
        "role": "field", "la_name": "Croydon", "install_name": "Safe Steps", "display_name": "Ann Admin",
        "username": "ann", "password": "a-long-password", "confirm": "a-long-password"})
    assert response.status_code == 302 and response.location.endswith("/sign-in")
    # Set-up is closed once an administrator exists.
    assert client.get("/set-up").location.endswith("/sign-in")
    db = connect(db_path)
    assert db.execute("select role, la_name from install").fetchone() == ("field", "Croydon")
    assert db.execute("select role from users where username = 'ann'").fetchone() == ("admin",)


def test_templates_and_static_are_found():
    assert (resource_dir("templates") / "base.html").exists()
    assert (resource_dir("static") / "vendor" / "govuk-frontend-6.3.0" / "govuk-frontend.min.css").exists()
    assert list((resource_dir("static") / "vendor").glob("chart.js-4.*/chart.umd.min.js"))


def test_no_gov_uk_crown_or_transport_font():
    css = (resource_dir("static") / "vendor" / "govuk-frontend-6.3.0" / "govuk-frontend.min.css").read_text()
    assert "GDS Transport" not in css
    assert "/assets/fonts/" not in css
    assert "govuk-logo" not in (resource_dir("templates") / "base.html").read_text()
