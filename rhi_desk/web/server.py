"""Start-up of RHI Desk's web server: loopback only. Both the command line and the window call it."""
from __future__ import annotations

import socket
import threading


def free_port() -> int:
    """A free TCP port on the loopback address."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(app, port: int):
    """Serve ``app`` with waitress on 127.0.0.1 only, in a background thread; returns the server."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=port, threads=8, ident="RHI Desk")

    def run():
        try:
            server.run()
        except (OSError, ValueError):
            pass  # the server was closed (the window shut, or a test finished)

    thread = threading.Thread(target=run, name="rhi-desk-server", daemon=True)
    thread.start()
    return server
