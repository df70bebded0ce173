"""``rhi-desk move-out`` and ``rhi-desk move-in``: moving an install to a new laptop (docs/security.md)."""
from __future__ import annotations

from pathlib import Path

import click

from rhi_desk import audit
from rhi_desk.cli.common import db_path, open_db
from rhi_desk.db import connect
from rhi_desk.security import move


def _passphrase(passphrase_file: str | None, *, twice: bool) -> str:
    if passphrase_file:
        try:
            lines = Path(passphrase_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"The passphrase file {passphrase_file} could not be read "
                                       f"({getattr(exc, 'strerror', None) or exc}).") from None
        return lines[0] if lines else ""
    return click.prompt("Passphrase", hide_input=True, confirmation_prompt=twice)


def add_to(cli: click.Group) -> None:
    """Add ``move-out`` and ``move-in`` to the ``rhi-desk`` group."""

    @cli.command("move-out", with_appcontext=False)
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
                  help=f"The move file to write, for example rhi-desk{move.EXTENSION}.")
    @click.option("--passphrase-file", type=click.Path(dir_okay=False),
                  help="Read the passphrase from the first line of this file instead of asking for it.")
    def move_out(out, passphrase_file):
        """Write this install to one file protected by a passphrase, to move it to a new laptop."""
        db = open_db()
        passphrase = _passphrase(passphrase_file, twice=True)
        try:
            path = move.move_out(db, out, passphrase)
        except move.MoveRefused as exc:
            raise click.ClickException(str(exc)) from None
        audit.record(db, "install.move_out", username="command line", detail={"format": move.FORMAT_NAME})
        click.echo(f"Wrote {path}: every record of this install, encrypted with your passphrase.")
        click.echo(f"On the new laptop: rhi-desk move-in {path.name}. Keep the passphrase apart from the file, "
                   f"and delete the file once the new laptop works.")

    @cli.command("move-in", with_appcontext=False)
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--passphrase-file", type=click.Path(dir_okay=False),
                  help="Read the passphrase from the first line of this file instead of asking for it.")
    @click.option("--replace", is_flag=True,
                  help="Put the moved install in place of a database already here (kept beside it).")
    def move_in(file, passphrase_file, replace):
        """Open a move file made by 'rhi-desk move-out' as this laptop's install, under this account's key."""
        target = db_path()
        try:
            move.refuse_existing(target, replace)
            move.read_header(file)
        except move.MoveRefused as exc:
            raise click.ClickException(str(exc)) from None
        passphrase = _passphrase(passphrase_file, twice=False)
        try:
            moved = move.move_in(file, target, passphrase, replace=replace)
        except move.MoveRefused as exc:
            raise click.ClickException(str(exc)) from None
        db = connect(target)
        audit.record(db, "install.move_in", username="command line", detail={"format": move.FORMAT_NAME})
        db.conn.close()
        name = moved.install.get("name") or "the install"
        click.echo(f"Moved in {name} to {target}: it opens on this laptop under this account's own key.")
        if moved.replaced:
            click.echo(f"The database that was here is kept as {moved.replaced}.")
        click.echo("Everyone signs in again. Delete the move file once you have checked the records are here.")
