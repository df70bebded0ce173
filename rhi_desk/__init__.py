"""RHI Desk: record return home interviews with children who went missing, and report on them."""
from __future__ import annotations

import os
import uuid

from flask import Flask

__version__ = "0.1.0"

def create_app(config: dict | None = None) -> Flask:
    """Build the RHI Desk web app for the database named in ``config['DATABASE']``."""
    from rhi_desk import db as database
    from rhi_desk.installs import secret_key
    from rhi_desk.web import resource_dir

    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        static_url_path="/static",
    )
    app.config.update(
        DATABASE=os.environ.get("RHI_DESK_DB") or str(database.default_db_path()),
        IDLE_LOCK_MINUTES=15,
        # A form left open over lunch must still submit: tokens last as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_NAME="rhi_desk_session",
        MAX_CONTENT_LENGTH=512 * 1024 * 1024,
        # Each start of the app gets a new id; sessions from an earlier run are refused,
        # so closing the app ends every session.
        BOOT_ID=uuid.uuid4().hex,
        VERSION=__version__,  # for the About page (the web layer does not import the package root)
    )
    if config:
        app.config.update(config)

    # Migrate once at start-up, and take the session key from the database.
    startup_db = database.connect(app.config["DATABASE"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(startup_db)
    startup_db.conn.close()

    from rhi_desk import web

    web.init_app(app)
    _configure_logging(app)
    return app


def _configure_logging(app: Flask) -> None:
    """Full error details go to RHI Desk's rotating log (``web/logs.py``), never to the window."""
    if app.testing:
        return
    from rhi_desk.web import logs

    logs.configure()
