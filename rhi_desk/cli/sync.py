"""Command line for sync: identity files, enrolment, assigning, sending and receiving files."""
from __future__ import annotations

from pathlib import Path

import click

from rhi_desk.db import install
from rhi_desk.demo.answers import complete_assigned_rhis
from rhi_desk.sync import fileformat, inbox, keys, receive, send, status


def add_to(cli) -> None:
    """Add the sync commands to the ``rhi-desk`` group."""
    from rhi_desk.cli.common import open_db

    @cli.group("identity")
    def identity_group():
        """This install's identity file (public keys only), for enrolling it elsewhere."""

    @identity_group.command("export", with_appcontext=False)
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
                  help="Where to write the identity file, for example safe-steps.identity.json.")
    def identity_export(out):
        """Write this install's identity file: id, name, role, council and public keys."""
        db = open_db()
        text = keys.identity_json(db)
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        ident = keys.identity(db)
        click.echo(f"Wrote the identity of '{ident['name']}' to {path}.")
        click.echo(f"Fingerprint: {ident['fingerprint']}  (read it to the other side before they enrol it)")

    @cli.command("enrol", with_appcontext=False)
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--yes", is_flag=True, help="Enrol without asking (you have checked the fingerprint already).")
    def enrol_command(file, yes):
        """Enrol another install from its identity file (the hub enrols field installs; a field its hub).

        Shows the install's name, role and fingerprint first and asks before enrolling, unless --yes.
        """
        db = open_db()
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise click.ClickException(f"The file {file} could not be read ({exc.strerror or exc}).") from None
        try:
            seen = keys.check_enrolment(db, data)
        except keys.EnrolmentError as exc:
            raise click.ClickException(str(exc)) from None
        if not seen["already"]:
            click.echo(f"Install:     {seen['name']}")
            click.echo(f"Kind:        {'hub' if seen['role'] == 'hub' else 'field install'} ({seen['la_name']})")
            click.echo(f"Fingerprint: {seen['fingerprint']}")
            if not yes and not click.confirm("Does the fingerprint match the one they read to you? Enrol it",
                                             default=False):
                click.echo("Nothing was enrolled.")
                return
        try:
            row = keys.enrol(db, data, by="command line")
        except keys.EnrolmentError as exc:
            raise click.ClickException(str(exc)) from None
        if row["already"]:
            click.echo(f"{row['name']} was already enrolled; nothing changed.")
        else:
            click.echo(f"Enrolled {row['name']} ({row['role']}, {row['la_name']}). Fingerprint: {row['fingerprint']}")

    @cli.command("revoke", with_appcontext=False)
    @click.argument("name")
    def revoke_command(name):
        """Revoke an enrolled install: its files are refused from now on."""
        db = open_db()
        try:
            row = keys.revoke(db, name, by="command line")
        except keys.EnrolmentError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Revoked {row['name']}: files from it will be refused.")

    @cli.command("assign", with_appcontext=False)
    @click.option("--episode", "episode_id", required=True, help="The council's id for the episode.")
    @click.option("--to", "to", required=True, help="The name of an enrolled field install.")
    def assign_command(episode_id, to):
        """Assign an episode's RHI to an enrolled field install (hub)."""
        db = open_db()
        try:
            rhi = send.assign_episode(db, episode_id, to, by="command line")
        except fileformat.SyncError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"The interview for episode {episode_id} (RHI {rhi['rhi_id']}) is assigned to {rhi['assigned_to']}. "
                   f"Send it with: rhi-desk sync send --to \"{rhi['assigned_to']}\" --out FOLDER")

    @cli.group("sync")
    def sync_group():
        """Send and receive sync files between field installs and the hub."""

    @sync_group.command("send", with_appcontext=False)
    @click.option("--to", "to", required=True, help="The name of the enrolled install to send to.")
    @click.option("--out", "out", required=True, type=click.Path(file_okay=False),
                  help="The folder to write the file to.")
    def sync_send(to, out):
        """Make the next file for an install: a pack and receipts (hub) or a return bundle (field)."""
        db = open_db()
        try:
            made = send.send(db, to, out, by="command line")
        except fileformat.SyncError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(str(made.path))
        click.echo(made.message, err=True)

    @sync_group.command("receive", with_appcontext=False)
    @click.argument("file", type=click.Path(dir_okay=False))
    def sync_receive(file):
        """Import a sync file; says 'already imported' if it was, and why if it is refused."""
        db = open_db()
        try:
            result = receive.receive_path(db, file, by="command line")
        except fileformat.SyncRefused as refusal:
            raise click.ClickException(f"Refused: {refusal}") from None
        except fileformat.SyncError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(result.message)

    @sync_group.command("status", with_appcontext=False)
    def sync_status():
        """List enrolled installs, files that never arrived, conflicts and held returns."""
        db = open_db()
        for row in keys.list_enrolled(db):
            click.echo(f"{row['name']:<30} {row['role']:<6} {row['status']:<8} {row['fingerprint']}")
        for gap in status.sequence_gaps(db):
            click.echo(gap["message"])
        for c in status.conflicts(db):
            click.echo(f"Conflict: RHI {c['rhi_id']} revision {c['revision']} from {c['sender_name']}")
        for h in status.held(db):
            click.echo(f"Held: RHI {h['rhi_id']} from {h['sender_name']}: {h['reason']}")

    @sync_group.command("inbox", with_appcontext=False)
    @click.option("--folder", type=click.Path(file_okay=False), help="The folder to scan (default: the set one).")
    def sync_inbox(folder):
        """Import every .rhisync file in the inbox folder, moving each to processed/ or refused/."""
        db = open_db()
        try:
            results = inbox.scan_inbox(db, folder, by="command line")
        except fileformat.SyncError as exc:
            raise click.ClickException(str(exc)) from None
        for r in results:
            named = [receive.child_label(c) for c in receive.children_named(db, r.children)]
            click.echo(f"{r.file_name}: {r.message}" + (f" Children: {', '.join(named)}." if named else ""))
        if not results:
            click.echo("No files waiting.")

    demo_group = cli.commands.get("demo")
    if demo_group is not None:
        @demo_group.command("complete-assigned", with_appcontext=False)
        def complete_assigned():
            """Field install: fill every assigned interview with made-up answers and sign it off."""
            db = open_db()
            me = install(db)
            if me["role"] != "field":
                raise click.ClickException("This is for field installs: it completes the interviews assigned here.")
            done = complete_assigned_rhis(db, by="demo")
            click.echo(f"Completed and signed off {done} assigned interview{'s' if done != 1 else ''} "
                       "with made-up answers.")
