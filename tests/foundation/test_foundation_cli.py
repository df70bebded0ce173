"""The rhi-desk command line: plain messages, non-zero exit on failure, no tracebacks."""
import subprocess
import sys

from rhi_desk.db import connect


def test_init_creates_a_hub_and_refuses_to_run_twice(cli, db_path):
    result = cli("init", "--role", "hub", "--la", "Croydon", "--name", "Missing team")
    assert result.exit_code == 0, result.output
    assert "Initialised" in result.output and "hub" in result.output
    again = cli("init", "--role", "field", "--la", "Other", "--name", "X")
    assert again.exit_code != 0
    assert "already initialised" in again.output
    assert connect(db_path).execute("select role, la_name from install").fetchone() == ("hub", "Croydon")


def test_init_refuses_an_unknown_role(cli):
    result = cli("init", "--role", "spoke", "--la", "Croydon", "--name", "X")
    assert result.exit_code != 0
    assert "'spoke' is not one of 'hub', 'field'" in result.output


def test_users_add_and_list(cli):
    cli("init", "--role", "hub", "--la", "Croydon", "--name", "Missing team")
    result = cli("users", "add", "mo", "--role", "missing_team", "--name", "Mo Khan", "--password-stdin",
                 input="a-long-password\n")
    assert result.exit_code == 0, result.output
    short = cli("users", "add", "bo", "--role", "manager", "--password-stdin", input="short\n")
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    dup = cli("users", "add", "MO", "--role", "manager", "--password-stdin", input="a-long-password\n")
    assert dup.exit_code != 0 and "already a user called" in dup.output
    listing = cli("users", "list")
    assert "mo" in listing.output and "Missing team" in listing.output and "Mo Khan" in listing.output
    assert "bo" not in listing.output.split()


def test_users_add_asks_for_the_password(cli):
    cli("init", "--role", "hub", "--la", "Croydon", "--name", "Missing team")
    result = cli("users", "add", "ann", "--role", "admin", input="a-long-password\na-long-password\n")
    assert result.exit_code == 0, result.output


def test_commands_on_a_missing_database_say_what_to_do(cli, tmp_path):
    result = cli("users", "list", db=tmp_path / "nowhere.db")
    assert result.exit_code != 0
    assert "There is no RHI Desk database" in result.output


def test_flask_routes_command_works(cli):
    cli("init", "--role", "hub", "--la", "Croydon", "--name", "Missing team")
    result = cli("routes")
    assert result.exit_code == 0
    assert "auth.sign_in" in result.output and "/sign-in" in result.output


def test_demo_fills_a_new_database_and_prints_sign_in_details(cli, db_path):
    result = cli("demo")
    assert result.exit_code == 0, result.output
    assert "password 'demo-password'" in result.output and "missing" in result.output
    db = connect(db_path)
    assert db.execute("select demo from install").fetchone() == (1,)
    assert db.execute("select count(*) from users").fetchone()[0] >= 5


def test_demo_never_touches_a_real_install(cli, db_path):
    cli("init", "--role", "hub", "--la", "Croydon", "--name", "Missing team")
    cli("users", "add", "ann", "--role", "admin", "--password-stdin", input="a-long-password\n")
    result = cli("demo")
    assert result.exit_code != 0
    assert "will not touch it" in result.output
    assert connect(db_path).execute("select count(*) from users").fetchone()[0] == 1
    assert connect(db_path).execute("select count(*) from children").fetchone()[0] == 0


def test_window_without_a_display_points_to_serve(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RHI_DESK_DB": str(tmp_path / "x.db")}
    result = subprocess.run([sys.executable, "-m", "rhi_desk"], env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "no screen" in result.stderr and "rhi-desk serve" in result.stderr
    assert "Traceback" not in result.stderr


def _command_paths(group, prefix=()):
    import click
    for name, command in group.commands.items():
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from _command_paths(command, prefix + (name,))


def test_every_command_is_in_the_readme_and_there_is_no_development_server():
    """A newcomer finds every command in the README; Flask's `run` (debugger, any address) is not offered."""
    from pathlib import Path

    from rhi_desk.cli import cli

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    paths = sorted(_command_paths(cli))
    assert ("serve",) in paths and ("sync", "send") in paths
    missing = [" ".join(p) for p in paths if f"`rhi-desk {' '.join(p)}" not in readme]
    assert missing == [], f"commands not in the README: {missing}"
    assert ("run",) not in paths
