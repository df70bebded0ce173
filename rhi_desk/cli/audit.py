"""``rhi-desk audit verify``: walk the audit log's hash chain and report the first broken link."""
from __future__ import annotations

import click

from rhi_desk import audit
from rhi_desk.cli.common import open_db


def add_to(cli: click.Group) -> None:
    """Add the ``audit`` commands to the ``rhi-desk`` group."""

    @cli.group("audit")
    def audit_group():
        """Check the audit log."""

    @audit_group.command("verify", with_appcontext=False)
    def verify():
        """Check every entry of the audit log is unchanged and none was removed or slipped in."""
        db = open_db()
        result = audit.verify(db)
        if not result.ok:
            raise click.ClickException(
                f"The audit log has been tampered with: {result.problem}. {result.checked} entries before it "
                f"are intact. Keep this database as it is and tell your information security officer.")
        click.echo(f"The audit log is intact: {result.checked} entries, each linked to the one before.")
        click.echo(f"Newest link: {result.head}  (note it: removing entries from the end shows against it)")
