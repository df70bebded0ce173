"""About RHI Desk: the version, where its data and log are, the database's size and the last sync.

What IT and the missing team ask when something looks wrong; every signed-in user can see it.
"""
from __future__ import annotations

import platform
import sys
from pathlib import Path

from flask import Blueprint, current_app, render_template

from rhi_desk.db import get_db
from rhi_desk.web import logs

bp = Blueprint("about", __name__)


def facts(db, database: Path, version: str) -> dict:
    """What the About page says, from the database and the files beside it (plain: no request needed)."""
    files = [database, database.with_name(database.name + "-wal")]
    size = sum(f.stat().st_size for f in files if f.exists())

    def latest(sql: str):
        try:
            row = db.execute(sql).fetchone()
        except Exception:  # a table this install does not have yet
            return None
        return row[0] if row and row[0] else None

    install = db.execute("select role, la_name, name from install where id = 1").fetchone()
    return {
        "version": version,
        "install": f"{install[2]} ({install[0]}, {install[1]})" if install else "Not set up yet",
        "database": str(database),
        "data_folder": str(database.parent),
        "size": _size(size),
        "last_sent": latest("select max(created_at) from sync_sent"),
        "last_received": latest("select max(imported_at) from sync_imports"),
        "log": str(logs.log_file()),
        "frozen": bool(getattr(sys, "frozen", False)),
        "platform": f"{platform.system()} {platform.release()}, Python {platform.python_version()}",
    }


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


@bp.route("/about")
def about():
    """About RHI Desk."""
    database = Path(current_app.config["DATABASE"]).resolve()
    return render_template("about/index.html", facts=facts(get_db(), database, current_app.config["VERSION"]))
