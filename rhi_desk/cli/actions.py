"""``rhi-desk due`` (the actions due, one line each) and ``rhi-desk triggers`` (the strategy-meeting table)."""
from __future__ import annotations

import click

from rhi_desk.cli.common import open_db


def add_to(cli):
    """Add the actions commands to the ``rhi-desk`` group."""

    @cli.command("due", with_appcontext=False)
    @click.option("--overdue", is_flag=True, help="Only the actions past their deadline.")
    def due_command(overdue):
        """List the actions due, one line each: the kind of action, the child, the episode and the deadline."""
        from rhi_desk.actions import due

        db = open_db()
        try:
            actions = [a for a in due.due(db) if a.overdue or not overdue]
        finally:
            db.conn.close()
        for action in actions:
            click.echo(action.line())
        late = sum(a.overdue for a in actions)
        click.echo(f"{len(actions)} action{'s' if len(actions) != 1 else ''} due, {late} overdue."
                   if actions else "No action is due.")

    @cli.group("triggers")
    def triggers_group():
        """The triggers for a strategy meeting or discussion, as this council has set them."""

    @triggers_group.command("list", with_appcontext=False)
    def triggers_list():
        """List the triggers: code, on or off, what fires it, the deadline."""
        from rhi_desk.actions import triggers

        db = open_db()
        try:
            for line in triggers.describe(triggers.all_triggers(db)):
                click.echo(line)
        finally:
            db.conn.close()

    @triggers_group.command("set", with_appcontext=False)
    @click.argument("code")
    @click.option("--on/--off", "enabled", default=None, help="Switch the trigger on or off.")
    @click.option("--within-hours", type=int, help="The strategy meeting is due this many hours after it fires.")
    @click.option("--threshold", type=int, help="Episodes (repeat) or hours (long_missing) that fire it.")
    def triggers_set(code, enabled, within_hours, threshold):
        """Change one trigger for this council (audited)."""
        from rhi_desk.actions import triggers

        db = open_db()
        try:
            trigger = triggers.set_trigger(db, code, enabled=enabled, within_hours=within_hours,
                                           threshold=threshold, by="command line")
        except triggers.TriggerError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            db.conn.close()
        click.echo("Changed: " + triggers.describe([trigger])[0])
