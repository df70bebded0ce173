"""``rhi-desk intelligence ...``: read new interviews into the picture, themes by month, merges."""
from __future__ import annotations

import csv
import io

import click

from rhi_desk.cli.common import open_db
from rhi_desk.intelligence import places_people, refresh, themes
from rhi_desk.intelligence.places_people import IntelligenceError


def add_to(cli):
    """Add the intelligence commands to the ``rhi-desk`` group."""

    @cli.group("intelligence")
    def intelligence():
        """The intelligence picture: places and people linked across children, themes by month."""

    @intelligence.command("refresh")
    def refresh_command():
        """Read every changed interview into the places, people, themes and screening (the pages do it too)."""
        db = open_db()
        count = refresh.refresh(db)
        click.echo(f"Read {count} interview{'s' if count != 1 else ''} into the intelligence picture.")

    @intelligence.command("themes")
    @click.option("--from", "first", required=True, help="First month, YYYY-MM")
    @click.option("--to", "last", required=True, help="Last month, YYYY-MM")
    def themes_command(first, last):
        """Themes by month as CSV: children counted once per theme and month."""
        db = open_db()
        refresh.refresh(db)
        try:
            table = themes.by_month(db, first, last)
        except IntelligenceError as exc:
            raise click.ClickException(str(exc)) from None
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["theme", "group", *table["months"], "children in the period"])
        for row in table["rows"]:
            writer.writerow([row["label"], row["group"], *(row["counts"].get(m, 0) for m in table["months"]),
                             row["total"]])
        click.echo(out.getvalue(), nl=False)

    @intelligence.command("merge")
    @click.argument("merged", type=int)
    @click.argument("into", type=int)
    @click.option("--by", required=True, help="Your user name, for the audit log")
    def merge_command(merged, into, by):
        """Count place or person MERGED as the same as INTO (ids from the register's pages); undone on the page."""
        db = open_db()
        refresh.refresh(db)
        try:
            merge_id = places_people.merge(db, merged, into, by=by)
        except IntelligenceError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Merged (merge {merge_id}).")
