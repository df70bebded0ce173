"""One RHI Desk window per database.

The first copy locks ``<database>.lock`` for as long as it runs and writes into it the loopback port
and a one-off token with which a second copy can ask it to bring its window forward. The operating
system drops the lock when the process ends, however it ends, so a copy that crashed never blocks the
next start: its lock file is simply taken over.
"""
from __future__ import annotations

import json
import secrets
import urllib.request
from pathlib import Path

from rhi_desk.web.locks import HeldLock, read_lock, try_lock

RAISE_PATH = "/_desktop/bring-forward"


def lock_path(database: Path) -> Path:
    database = Path(database).resolve()
    return database.with_name(database.name + ".lock")


def already_open_message(database: Path) -> str:
    return (f"RHI Desk is already open on this database ({Path(database).resolve()}): "
            "use the window that is open (closing it first if you want to start again).")


class Instance:
    """The lock this copy holds on its database, and the token for "bring your window forward"."""

    def __init__(self, lock: HeldLock):
        self.lock = lock
        self.token = secrets.token_urlsafe(24)

    def announce(self, port: int) -> None:
        self.lock.write(json.dumps({"port": port, "token": self.token}))

    def release(self) -> None:
        self.lock.release()


def claim(database: Path) -> Instance | None:
    """This copy's claim on ``database``, or None when another running copy holds it."""
    lock = try_lock(lock_path(database))
    return Instance(lock) if lock is not None else None


def ask_first_copy_to_come_forward(database: Path) -> bool:
    """Ask the running copy to bring its window forward; True if it answered."""
    try:
        holder = json.loads(read_lock(lock_path(database)) or "{}")
        request = urllib.request.Request(f"http://127.0.0.1:{int(holder['port'])}{RAISE_PATH}", method="POST",
                                         headers={"X-RHI-Desk-Token": str(holder["token"])}, data=b"")
        with urllib.request.urlopen(request, timeout=3) as response:
            return response.status == 204
    except (OSError, ValueError, KeyError, TypeError):
        return False


class BringForward:
    """WSGI middleware in front of the app: answers the second copy's POST with the right token."""

    def __init__(self, wsgi_app, instance: Instance, bring_forward):
        self.wsgi_app = wsgi_app
        self.instance = instance
        self.bring_forward = bring_forward

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == RAISE_PATH and environ.get("REQUEST_METHOD") == "POST":
            sent = environ.get("HTTP_X_RHI_DESK_TOKEN", "")
            if secrets.compare_digest(sent.encode(), self.instance.token.encode()):
                try:
                    self.bring_forward()
                finally:
                    start_response("204 No Content", [("Content-Length", "0")])
                return [b""]
            start_response("403 Forbidden", [("Content-Type", "text/plain"), ("Content-Length", "0")])
            return [b""]
        return self.wsgi_app(environ, start_response)
