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

    from rhi_desk.web.server import free_port, start_server

    smoke = os.environ.get("RHI_DESK_WINDOW_SMOKE")
    if smoke:
        # Used by the window test: print every request the window makes, then close it once
        # the page has loaded. (evaluate_js cannot be used: our CSP forbids eval, as it should.)
        app.wsgi_app = _RequestPrinter(app.wsgi_app)
    # Exports (CSV, Excel, sync files) are downloads; pywebview blocks them unless allowed.
    webview.settings["ALLOW_DOWNLOADS"] = True
    webview.settings["ALLOW_FILE_URLS"] = False  # the window shows RHI Desk and nothing else
    port = free_port()
    server = start_server(app, port)
    url = f"http://127.0.0.1:{port}/"
    window = webview.create_window("RHI Desk", url, width=1200, height=850, min_size=(800, 600))
    if smoke:
        def close_soon():
            import time

            time.sleep(float(smoke) if smoke.replace(".", "").isdigit() else 2.0)
            print("WINDOW-LOADED", flush=True)
            window.destroy()

        window.events.loaded += close_soon
    try:
        gui = os.environ.get("RHI_DESK_GUI") or ("qt" if sys.platform.startswith("linux") else None)
        webview.start(private_mode=True, gui=gui)
    finally:
        server.close()
    sys.stdout.flush()


class _RequestPrinter:
    """WSGI middleware for the window smoke test: prints method, path and status of each request."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def recording_start_response(status, headers, exc_info=None):
            print(f"WINDOW-REQUEST: {environ['REQUEST_METHOD']} {environ.get('PATH_INFO')} "
                  f"{status.split()[0]} host={environ.get('HTTP_HOST')}", flush=True)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, recording_start_response)
