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
    @click.argument("csv_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--mapping", "mapping_name", metavar="NAME",
                  help="Read the file through the column mapping saved under NAME on the Import page.")
    @click.option("--sheet", metavar="SHEET", help="For an Excel workbook: the sheet to read (default: the first).")
    @click.option("--dry-run", is_flag=True, help="Check the file and show what would change, changing nothing.")
    def import_episodes_command(csv_file, mapping_name, sheet, dry_run):
        """Import episode history from the episode register CSV, or a council's own CSV or .xlsx (all-or-nothing)."""
        from rhi_desk.register import episode_import, import_mapping

        if not csv_file.exists():
            raise click.ClickException(f"There is no file at {csv_file}. Check the name and folder.")
        db = _hub_db()
        mapping = None
        if mapping_name:
            mapping = import_mapping.load_mapping(db, mapping_name)
            if mapping is None:
                names = [name for name, _ in import_mapping.saved_mappings(db)]
                raise click.ClickException(
                    f"There is no saved mapping called {mapping_name!r}. "
                    + (f"Saved mappings: {', '.join(names)}." if names else
                       "Map the file's columns once on the Import page and save the mapping by name."))
        options = {"mapping": mapping, "sheet": sheet}
        if dry_run:
            preview = episode_import.validate_file(db, csv_file, **options)
            if not preview.ok:
                _print_errors(preview.errors)
                _hint_mapping(preview.errors, mapping)
                raise click.ClickException(str(episode_import.ImportRefused(preview.errors)))
            click.echo(f"{preview.rows:,} rows: {preview.new_episodes:,} new episodes, "
                       f"{preview.changed_episodes:,} changed, {preview.unchanged_episodes:,} unchanged; "
                       f"{preview.new_children:,} new children. Nothing was changed (dry run).")
            return
        progress = _progress_line() if sys.stderr.isatty() else None
        try:
            result = episode_import.import_episodes(db, csv_file, by="command line", progress=progress, **options)
        except episode_import.ImportRefused as exc:
            if progress:
                click.echo(err=True)
            _print_errors(exc.errors)
            _hint_mapping(exc.errors, mapping)
            raise click.ClickException(str(exc)) from None
        if progress:
            click.echo(err=True)
        click.echo(result.summary())

    @cli.command("import-903", with_appcontext=False)
    @click.argument("files", metavar="FILE...", nargs=-1, required=True,
                    type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check the files and show what would change, changing nothing.")
    def import_903_command(files, dry_run):
        """Import past DfE SSDA903 returns: each year's Missing table, with its Header and Episodes tables if given."""
        from rhi_desk.register import episode_import
        from rhi_desk.reports import ssda903_import

        for path in files:
            if not path.exists():
                raise click.ClickException(f"There is no file at {path}. Check the name and folder.")
        db = _hub_db()
        if dry_run:
            preview = ssda903_import.check_903(db, list(files))
            if not preview.ok:
                _print_errors(preview.errors)
                raise click.ClickException(str(episode_import.ImportRefused(preview.errors)))
            click.echo(f"{preview.rows:,} episodes: {preview.new_episodes:,} new, {preview.changed_episodes:,} "
                       f"changed, {preview.unchanged_episodes:,} unchanged; {preview.new_children:,} new children. "
                       f"Nothing was changed (dry run).")
            return
        try:
            result = ssda903_import.import_903(db, list(files), by="command line")
        except episode_import.ImportRefused as exc:
            _print_errors(exc.errors)
            raise click.ClickException(str(exc)) from None
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
    @click.option("--as-recorded-on", "recorded_on", metavar="YYYY-MM-DD", default=None,
                  help="The table as the records stood at the end of that day (the return as it was sent).")
    def export_903_command(year, out, recorded_on):
        """Write the DfE SSDA903 Missing table for a collection year."""
        from rhi_desk.reports import kpi, ssda903

        try:
            as_of = kpi.as_recorded_on(recorded_on)
        except kpi.KPIError as exc:
            raise click.ClickException(str(exc)) from None
        db = _hub_db()
        try:
            count = ssda903.write_missing_table(db, out, year=year, as_of=as_of)
        except ssda903.ExportError as exc:
            raise click.ClickException(str(exc)) from None
        stood = f", as recorded on {recorded_on}" if recorded_on else ""
        click.echo(f"Wrote {count:,} episode{'s' if count != 1 else ''} of {year}{stood} to {out}.")

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


def _hint_mapping(errors, mapping) -> None:
    """A file with its own column names needs a mapping: say how to make one."""
    if mapping is None and any(e.row == 1 and "is not a column" in e.problem for e in errors):
        click.echo("This file has its own column names. Map them once on the Import page (Import episode "
                   "history), save the mapping by name, then run: rhi-desk import-episodes FILE --mapping NAME",
                   err=True)


def _print_errors(errors) -> None:
    """Every kept problem (at most MAX_PROBLEMS, as on the page), then how many more were only counted."""
    from rhi_desk.register.import_format import more_sentence

    for error in errors:
        click.echo(str(error), err=True)
    more = more_sentence(errors)
    if more:
        click.echo(more, err=True)
