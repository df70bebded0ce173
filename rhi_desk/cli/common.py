"""What every command shares: which database it works on, and opening it with a clear refusal."""
from __future__ import annotations

import os
from pathlib import Path

import click

from rhi_desk.db import DatabaseKeyRefused, connect, default_db_path, install


def db_path() -> Path:
    """The database this command works on."""
    return Path(os.environ.get("RHI_DESK_DB") or default_db_path())


def open_db():
    """Open the chosen database, refusing clearly if it has not been initialised."""
    path = db_path()
    if not path.exists():
        raise click.ClickException(
            f"There is no RHI Desk database at {path}. Create one with: rhi-desk --db {path} init --role hub "
            f"--la NAME --name NAME")
    try:
        db = connect(path)
    except DatabaseKeyRefused as exc:
        raise click.ClickException(str(exc)) from None
    if install(db) is None:
        raise click.ClickException(f"The database at {path} is not initialised yet. Run: rhi-desk --db {path} init ...")
    return db
