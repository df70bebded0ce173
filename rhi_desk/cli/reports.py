"""``rhi-desk kpi``: the monthly KPI table on the command line."""
from __future__ import annotations

import csv
import io
import json

import click

from rhi_desk.reports import kpi


def render_table(rows: list[dict]) -> str:
    """The seed's layout as plain text: months as columns ('Apr-17'), rows in the seed's words."""
    grid = kpi.seed_layout(rows, percent=True)
    widths = [max(len(line[i]) for line in grid) for i in range(len(grid[0]))]
    lines = []
    for number, line in enumerate(grid):
        cells = [line[0].ljust(widths[0])] + [cell.rjust(widths[i]) for i, cell in enumerate(line) if i]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_csv(rows: list[dict]) -> str:
    """One line per month, oldest first, with the header of :data:`kpi.CSV_COLUMNS`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(kpi.csv_rows(rows))
    return out.getvalue()


def render_json(rows: list[dict]) -> str:
    """The months as a JSON list; rates as numbers with two decimals, null when undefined."""
    return json.dumps(kpi.json_ready(rows), indent=2)


def add_to(cli):
    """Add the reports commands to the ``rhi-desk`` group."""

    @cli.command("kpi", with_appcontext=False)
    @click.option("--from", "first", required=True, metavar="YYYY-MM", help="The first month, for example 2017-04.")
    @click.option("--to", "last", required=True, metavar="YYYY-MM", help="The last month, for example 2017-11.")
    @click.option("--format", "output", type=click.Choice(["table", "csv", "json"]), default="table",
                  show_default=True, help="table for people; csv or json for other programs.")
    @click.option("--as-recorded-on", "recorded_on", metavar="YYYY-MM-DD", default=None,
                  help="The figures as the records stood at the end of that day (late records left out).")
    def kpi_command(first, last, output, recorded_on):
        """Print the monthly RHI KPIs (the scrutiny committee's table) for a range of months."""
        from rhi_desk.cli.common import open_db

        try:
            kpi.months_between(first, last)
            as_of = kpi.as_recorded_on(recorded_on)
        except kpi.KPIError as exc:
            raise click.ClickException(str(exc)) from None
        db = open_db()
        try:
            rows = kpi.monthly_table(db, first, last, as_of=as_of)
        finally:
            db.conn.close()
        if output == "csv":
            click.echo(render_csv(rows), nl=False)
        elif output == "json":
            click.echo(render_json(rows))
        else:
            click.echo(render_table(rows))
            click.echo("\nEpisodes are counted in the month they started; only missing (not away) episodes; "
                       "children looked after by other authorities are left out. A blank rate has nothing to "
                       "divide by.")
            if recorded_on:
                click.echo(f"As recorded at the end of {recorded_on}: anything recorded or changed later is "
                           f"left out.")
