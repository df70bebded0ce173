"""The desktop window: RHI Desk served on 127.0.0.1 and shown in a pywebview window.

pywebview must run on the main thread; the web server runs on a background thread. Closing the
window stops the app, which ends every session (sessions carry the app's start-up id).
"""
from __future__ import annotations

import os
import sys


def run_window(app) -> None:
    """Serve ``app`` on a free loopback port and block until the window is closed."""
    import webview

    from .cli import free_port, start_server

    port = free_port()
    server = start_server(app, port)
    url = f"http://127.0.0.1:{port}/"
    window = webview.create_window("RHI Desk", url, width=1200, height=850, min_size=(800, 600))
    smoke = os.environ.get("RHI_DESK_WINDOW_SMOKE")
    if smoke:
        # Used by the window test: report what the window shows, then close it.
        def report():
            title = window.evaluate_js("document.title")
            heading = window.evaluate_js("document.querySelector('h1') && document.querySelector('h1').innerText")
            print(f"WINDOW-TITLE: {title}", flush=True)
            print(f"WINDOW-H1: {heading}", flush=True)
            window.destroy()

        window.events.loaded += report
    try:
        webview.start(private_mode=True, gui=os.environ.get("RHI_DESK_GUI") or None)
    finally:
        server.close()
    sys.stdout.flush()
