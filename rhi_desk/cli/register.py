"""Register commands on the hub: import episode history, check data quality, and the DfE/Ofsted exports."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from rhi_desk.cli.common import open_db


def _hub_db():
    """Open the database, refusing on a field install (the register lives on the hub)."""
    db = open_db()
    row = db.execute("select role from install where id = 1").fetchone()
    if row is None or row[0] != "hub":
        raise click.ClickException(
            "This is a field install. The episode register, its import, checks and exports are on the "
            "missing team's hub install: run this command there.")
    return db


def add_to(cli):
    """Add the register's commands to the ``rhi-desk`` group."""

    @cli.command("import-episodes", with_appcontext=False)
    @click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check the file and show what would change, changing nothing.")
    def import_episodes_command(csv_file, dry_run):
        """Import episode history from an episode register CSV (all-or-nothing)."""
        from rhi_desk.register import episode_import

        if not csv_file.exists():
            raise click.ClickException(f"There is no file at {csv_file}. Check the name and folder.")
        db = _hub_db()
        if dry_run:
            preview = episode_import.validate_file(db, csv_file)
            if not preview.ok:
                _print_errors(preview.errors)
                raise click.ClickException(str(episode_import.ImportRefused(preview.errors)))
            click.echo(f"{preview.rows:,} rows: {preview.new_episodes:,} new episodes, "
                       f"{preview.changed_episodes:,} changed, {preview.unchanged_episodes:,} unchanged; "
                       f"{preview.new_children:,} new children. Nothing was changed (dry run).")
            return
        progress = _progress_line() if sys.stderr.isatty() else None
        try:
            result = episode_import.import_episodes(db, csv_file, by="command line", progress=progress)
        except episode_import.ImportRefused as exc:
            if progress:
                click.echo(err=True)
            _print_errors(exc.errors)
            raise click.ClickException(str(exc)) from None
        if progress:
            click.echo(err=True)
        click.echo(result.summary())

    @cli.command("check", with_appcontext=False)
    def check_command():
        """List records that are valid one by one but doubtful together, for the missing team to fix."""
        from rhi_desk.register import data_quality

        db = _hub_db()
        issues = data_quality.find_issues(db)
        for issue in issues:
            target = f"child {issue.child_id}" + (f", episode {issue.episode_id}" if issue.episode_id else "")
            click.echo(f"{target}: {issue.description}")
        if issues:
            click.echo(f"{len(issues):,} data-quality issue{'s' if len(issues) != 1 else ''} to look at.")
        else:
            click.echo("No data-quality issues found.")

    @cli.command("export-903", with_appcontext=False)
    @click.option("--year", required=True, help="The collection year, for example 2017-18 (1 April to 31 March).")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The CSV file to write.")
    def export_903_command(year, out):
        """Write the DfE SSDA903 Missing table for a collection year."""
        from rhi_desk.reports import ssda903

        db = _hub_db()
        try:
            count = ssda903.write_missing_table(db, out, year=year)
        except ssda903.ExportError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Wrote {count:,} episode{'s' if count != 1 else ''} of {year} to {out}.")

    @cli.command("export-annex-a", with_appcontext=False)
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The CSV file to write.")
    def export_annex_a_command(out):
        """Write Ofsted Annex A list 8 items: RHI offered / accepted after each child's last missing episode."""
        from rhi_desk.reports import ssda903

        db = _hub_db()
        try:
            count = ssda903.write_annex_a(db, out)
        except ssda903.ExportError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Wrote {count:,} child{'ren' if count != 1 else ''} to {out}.")


def _progress_line():
    """A one-line progress report for a terminal (large files take a minute)."""
    def report(phase: str, fraction: float) -> None:
        click.echo(f"\r{phase}: {int(fraction * 100)}%".ljust(60), nl=False, err=True)
    return report


def _print_errors(errors) -> None:
    """Every kept problem (at most MAX_PROBLEMS, as on the page), then how many more were only counted."""
    from rhi_desk.register.import_format import more_sentence

    for error in errors:
        click.echo(str(error), err=True)
    more = more_sentence(errors)
    if more:
        click.echo(more, err=True)
