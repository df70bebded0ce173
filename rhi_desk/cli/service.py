"""Commands for running the hub as a service: backup and restore."""
from __future__ import annotations

import click

from rhi_desk.cli.common import db_path, open_db
from rhi_desk.service import backup as backups
from rhi_desk.service import governance


def add_to(cli: click.Group) -> None:
    """Add this area's commands to the ``rhi-desk`` group."""
    cli.add_command(backup_command)
    cli.add_command(restore_command)
    cli.add_command(subject_access_command)


@click.command("backup")
@click.option("--out", type=click.Path(dir_okay=False), help="The backup file to write.")
@click.option("--folder", type=click.Path(file_okay=False),
              help="Write a dated backup into this folder instead (for a scheduled task), keeping the newest --keep.")
@click.option("--keep", type=click.IntRange(min=1), default=backups.DEFAULT_KEEP, show_default=True,
              help="With --folder: how many dated backups to keep.")
def backup_command(out, folder, keep):
    """Copy the database, safely while RHI Desk is serving, and check the copy."""
    if bool(out) == bool(folder):
        raise click.ClickException("Give --out FILE for one backup, or --folder DIR for a dated one.")
    try:
        if out:
            info = backups.backup(db_path(), out, by="command line")
        else:
            info = backups.backup_to_folder(db_path(), folder, keep=keep, by="command line")
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up to {info.summary()}. Its integrity check is ok.")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def restore_command(source, yes):
    """Put a backup back as the database, after checking it. Stop the server first."""
    try:
        info = backups.check(source)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    path = db_path()
    click.echo(f"The backup holds {info.summary()}.")
    if not yes and not click.confirm(f"Replace everything in {path} with it? (a copy of what is there now is kept)"):
        raise click.ClickException("Nothing was restored.")
    try:
        info, kept = backups.restore(path, source, by="command line")
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Restored {path} from {source}." + (f" What it held before is kept in {kept}." if kept else ""))


@click.command("subject-access")
@click.argument("child_id")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="The JSON file to write.")
def subject_access_command(child_id, out):
    """Export everything held about one child into one file (a subject access request)."""
    import json
    from pathlib import Path

    db = open_db()
    try:
        export = governance.subject_access(db, child_id, by="command line")
    except governance.GovernanceError as exc:
        raise click.ClickException(str(exc)) from None
    Path(out).write_text(json.dumps(export, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    tables = ", ".join(f"{name} ({len(rows)})" for name, rows in export["records"].items())
    click.echo(f"Wrote {out}: {tables}; {len(export['audit_log'])} audit entries.")
