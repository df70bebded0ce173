"""The ``rhi-desk`` command line: a thin shell over the same functions the pages call.

Built on Flask's CLI group, so Flask's own ``rhi-desk routes`` works. ``--db PATH`` (or
``RHI_DESK_DB``) chooses the database; the default lives in the user's data folder.
"""
from __future__ import annotations

import logging
import os
import re
import sys
import threading
import webbrowser
from pathlib import Path

import click
from flask.cli import FlaskGroup, routes_command, shell_command

from rhi_desk import __version__, accounts, create_app, installs
from rhi_desk.cli import audit as audit_commands
from rhi_desk.cli import actions as actions_commands
from rhi_desk.cli import intelligence as intelligence_commands
from rhi_desk.cli import register as register_commands
from rhi_desk.cli import reports as reports_commands
from rhi_desk.cli import security as security_commands
from rhi_desk.cli import service as service_commands
from rhi_desk.cli import sync as sync_commands
from rhi_desk.cli.common import db_path, open_db
from rhi_desk.db import connect
from rhi_desk.db import install as install_record
from rhi_desk.reports import warm_up
from rhi_desk.web.server import free_port


def _make_app():
    return create_app()


# Flask's own `routes` and `shell` are kept; its `run` is not: a development server that can listen on
# every address and turn on the interactive debugger has no place beside children's records.
@click.group(cls=FlaskGroup, create_app=_make_app, add_version_option=False, invoke_without_command=True,
             set_debug_flag=False, load_dotenv=False, add_default_commands=False,
             help="RHI Desk: record return home interviews and report on them. "
                  "With no command, opens the RHI Desk window.")
@click.version_option(__version__, "--version", prog_name="RHI Desk", message="%(prog)s %(version)s")
@click.option("--db", "db_option", envvar="RHI_DESK_DB", type=click.Path(dir_okay=False),
              help="The database file (default: RHI_DESK_DB, or a file in your data folder).",
              is_eager=True, expose_value=True)
@click.pass_context
def cli(ctx, db_option):
    if db_option:
        os.environ["RHI_DESK_DB"] = str(Path(db_option).resolve())
    if ctx.invoked_subcommand is None:
        ctx.invoke(window)


cli.add_command(routes_command)
cli.add_command(shell_command)


@cli.command("init", with_appcontext=False)
@click.option("--role", type=click.Choice(list(installs.INSTALL_ROLES)), required=True,
              help="hub for the missing team; field for a social worker's laptop or an RHI provider.")
@click.option("--la", "la_name", required=True, help="The council, for example Croydon.")
@click.option("--name", required=True, help="A name for this install, for example 'Missing team'.")
def init_command(role, la_name, name):
    """Create and initialise a database for a hub or a field install."""
    path = db_path()
    db = connect(path)
    try:
        record = installs.initialise(db, role, la_name, name)
    except installs.InstallError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Initialised {path} as the {record['role']} install '{record['name']}' for {record['la_name']}.")
    click.echo("Next: add the first user with 'rhi-desk users add USERNAME --role admin'.")


@cli.group("users")
def users_group():
    """Add and list the people who can sign in."""


@users_group.command("add", with_appcontext=False)
@click.argument("username")
@click.option("--role", type=click.Choice(list(accounts.ROLES)), required=True)
@click.option("--name", "display_name", help="The person's full name.")
@click.option("--organisation", help="For RHI providers: the organisation they work for.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_add(username, role, display_name, organisation, password_stdin):
    """Add a user; asks for the password unless --password-stdin is given."""
    db = open_db()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.create_user(db, username, password, role, display_name=display_name,
                             organisation=organisation, by="command line")
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Added {username} ({accounts.ROLES[role]}).")


@users_group.command("disable", with_appcontext=False)
@click.argument("username")
def users_disable(username):
    """Disable a user (a leaver): their sessions end at once and sign-in is refused."""
    _account_change(lambda db: accounts.set_active(db, username, False, by="command line"),
                    f"Disabled {username}: they cannot sign in, and any session they had open has ended.")


@users_group.command("enable", with_appcontext=False)
@click.argument("username")
def users_enable(username):
    """Let a disabled user sign in again."""
    _account_change(lambda db: accounts.set_active(db, username, True, by="command line"),
                    f"Enabled {username}: they can sign in again.")


@users_group.command("reset-password", with_appcontext=False)
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the temporary password from standard input.")
def users_reset_password(username, password_stdin):
    """Give a user a temporary password; they set their own at next sign-in."""
    temporary = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    made = _account_change(lambda db: accounts.reset_password(db, username, temporary, by="command line"), None)
    click.echo(f"Reset the password of {username}; any session they had open has ended.")
    if not password_stdin:
        click.echo(f"Temporary password: {made}")
    click.echo("They choose their own password when they next sign in.")


@users_group.command("set-role", with_appcontext=False)
@click.argument("username")
@click.argument("role", type=click.Choice(list(accounts.ROLES)))
def users_set_role(username, role):
    """Give a user another role."""
    _account_change(lambda db: accounts.change_role(db, username, role, by="command line"),
                    f"{username} is now {accounts.ROLES[role]}.")


def _account_change(change, message):
    db = open_db()
    try:
        result = change(db)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    if message:
        click.echo(message)
    return result


@users_group.command("list", with_appcontext=False)
def users_list():
    """List the users of this install."""
    db = open_db()
    rows = accounts.list_users(db)
    if not rows:
        click.echo("No users yet. Add one with 'rhi-desk users add USERNAME --role admin'.")
        return
    for user in rows:
        state = " (disabled)" if not user["active"] else " (locked)" if user["locked_until"] else ""
        click.echo(f"{user['username']:<20} {accounts.ROLES[user['role']]:<15} {user['display_name']}{state}")


@cli.command("serve", with_appcontext=False)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. Anything but loopback needs --tls-cert/--tls-key.")
@click.option("--port", type=int, default=0, help="The port (default: a free one).")
@click.option("--server-name", help="The hub's name on the council's network (the name in its certificate); "
                                    "the only Host besides loopback that is answered.")
@click.option("--tls-cert", type=click.Path(dir_okay=False), help="The server's TLS certificate (PEM, with any "
                                                                  "intermediate certificates after it).")
@click.option("--tls-key", type=click.Path(dir_okay=False), help="The certificate's private key (PEM).")
@click.option("--behind-proxy", is_flag=True, help="Plain HTTP on loopback for a reverse proxy on this server "
                                                   "(IIS, nginx) that serves HTTPS; trusts its forwarded headers.")
@click.option("--backup-folder", type=click.Path(file_okay=False),
              help="Back up the database into this folder every night while serving.")
@click.option("--backup-keep", type=click.IntRange(min=1), default=14, show_default=True,
              help="How many nightly backups to keep.")
@click.option("--backup-at", default="02:00", show_default=True, help="When the nightly backup runs (HH:MM).")
@click.option("--no-browser", is_flag=True, help="Do not open a web browser.")
def serve(host, port, server_name, tls_cert, tls_key, behind_proxy, backup_folder, backup_keep, backup_at,
          no_browser):
    """Run RHI Desk: on 127.0.0.1 for this machine, or over HTTPS for a whole team."""
    from rhi_desk.web import server as web_server

    _require_db()
    db = connect(db_path())
    role = (install_record(db) or {}).get("role")
    db.conn.close()
    try:
        serve_plan = web_server.plan(host=host, port=port, server_name=server_name, tls_cert=tls_cert,
                                     tls_key=tls_key, behind_proxy=behind_proxy, install_role=role)
    except web_server.ServeRefused as exc:
        raise click.ClickException(str(exc)) from None
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", backup_at):
        raise click.ClickException("Give --backup-at as a time of day, for example 02:00.")
    app = create_app()
    web_server.configure_app(app, serve_plan)
    if backup_folder:
        from rhi_desk.service.backup import start_nightly

        start_nightly(db_path(), backup_folder, keep=backup_keep, at=backup_at, log=app.logger)
        click.echo(f"A backup is written to {backup_folder} every night at {backup_at}; the newest "
                   f"{backup_keep} are kept.")
    if serve_plan.mode == "desktop":
        from waitress import serve as waitress_serve

        port = port or free_port()
        url = f"http://127.0.0.1:{port}/"
        click.echo(f"RHI Desk is running at {url}  (press Ctrl+C to stop)")
        if not no_browser:
            threading.Timer(1.0, webbrowser.open, [url]).start()
        warm_up.start(app.config["DATABASE"])
        waitress_serve(app, host="127.0.0.1", port=port, threads=8, ident="RHI Desk", _quiet=True)
        return
    if not serve_plan.port:
        serve_plan = web_server.ServePlan(**{**serve_plan.__dict__, "port": free_port(serve_plan.host)})
        web_server.configure_app(app, serve_plan)
    try:
        server = web_server.network_server(app, serve_plan)
    except OSError as exc:
        raise click.ClickException(f"RHI Desk could not listen on {serve_plan.host} port {serve_plan.port} "
                                   f"({exc.strerror or exc}). Choose another --port, or stop what uses it.")
    click.echo(f"RHI Desk is running at {serve_plan.url}  (press Ctrl+C to stop)")
    warm_up.start(app.config["DATABASE"])
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@cli.command("window", with_appcontext=False)
def window():
    """Open RHI Desk in its own desktop window (the default with no command)."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise click.ClickException(
            "There is no screen to open the RHI Desk window on. Use 'rhi-desk serve' and open the "
            "address it prints in a web browser.")
    _require_db(create=True)
    from rhi_desk.desktop import window as desktop

    try:
        status = desktop.run_window(create_app(), db_path())
    except desktop.WindowError as exc:
        logging.getLogger("rhi_desk.desktop").error("The window could not open: %s", exc)
        desktop.tell(desktop.failure_sentence(exc))
        sys.exit(1)
    if status:
        sys.exit(status)


def _require_db(create: bool = False) -> None:
    path = db_path()
    if not path.exists() and not create:
        raise click.ClickException(
            f"There is no RHI Desk database at {path}. Run 'rhi-desk --db {path} init ...' or "
            f"'rhi-desk --db {path} demo' first.")


@cli.group("demo", invoke_without_command=True)
@click.pass_context
def demo_group(ctx):
    """Fill a new database with made-up data so you can try RHI Desk."""
    if ctx.invoked_subcommand is not None:
        return
    from rhi_desk.demo import fill as demo

    path = db_path()
    db = connect(path)
    try:
        summary = demo.fill(db)
    except demo.DemoError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Demo data is in {path}: {summary}.")
    click.echo(demo.totals(db))
    click.echo(f"Sign in with one of these (made-up) accounts, password '{demo.DEMO_PASSWORD}':")
    for username, role, name, organisation in demo.DEMO_USERS:
        click.echo(f"  {username:<10} {accounts.ROLES[role]:<15} {name}{', ' + organisation if organisation else ''}")
    click.echo(f"Start it with: rhi-desk --db {path} serve")


for _area in (register_commands, reports_commands, sync_commands, intelligence_commands, audit_commands,
              actions_commands, security_commands, service_commands):
    _area.add_to(cli)


def main() -> None:
    """Entry point: run the CLI, turning unexpected failures into a sentence and a log entry."""
    from rhi_desk.web import logs

    if sys.stdout is None or sys.stderr is None:
        # A windowed build (no console): nothing may write to a missing stream, and failures need a dialog.
        sys._rhi_desk_no_console = True
        sys.stdout = sys.stdout or open(os.devnull, "w", encoding="utf-8")
        sys.stderr = sys.stderr or open(os.devnull, "w", encoding="utf-8")
    log = logs.configure()
    try:
        cli.main(prog_name="rhi-desk")
    except SystemExit:
        raise
    except Exception as exc:  # no traceback for the user; the details go to the log
        logging.getLogger("rhi_desk.cli").exception("Command failed")
        sentence = f"RHI Desk could not finish: {exc}"
        if log:
            sentence += f" The details are in {log}."
        if getattr(sys, "_rhi_desk_no_console", False):
            from rhi_desk.desktop import window as desktop

            desktop.show_message(sentence)
        else:
            click.echo(sentence, err=True)
        sys.exit(2)
