"""Start-up of RHI Desk's web server. Both the command line and the window call it.

Three ways to serve, chosen by :func:`plan`:

- **desktop** (the default): waitress on 127.0.0.1 only, plain HTTP, for the one person at this machine
  (the window and ``rhi-desk serve`` with no network options), exactly as it always was;
- **tls**: the hub for a whole team, served over HTTPS by cheroot (CherryPy's pure-Python WSGI server,
  which does TLS itself with Python's ``ssl`` and runs the same on Windows Server and Linux) on the
  address IT chooses, for browsers that reach it as ``https://NAME:PORT/``;
- **proxy**: plain HTTP on loopback for a reverse proxy (IIS, nginx) on the same server that terminates
  TLS; only that proxy's forwarded headers are trusted.

A network address with neither TLS nor a proxy is refused before anything listens.
"""
from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
# HSTS for a year once the hub has been reached over HTTPS.
HSTS = "max-age=31536000"
SERVER_THREADS = 32


class ServeRefused(Exception):
    """The serve options would weaken what protects the records; the message says what to do."""


@dataclass(frozen=True)
class ServePlan:
    """How this server listens, and what the app must trust."""

    mode: str  # desktop | tls | proxy
    host: str
    port: int
    server_name: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None

    @property
    def url(self) -> str:
        if self.mode == "tls":
            return f"https://{self.server_name or self.host}:{self.port}/"
        if self.mode == "proxy":
            return f"https://{self.server_name}/ (through the proxy; this server listens on " \
                   f"http://{_url_host(self.host)}:{self.port}/)"
        return f"http://127.0.0.1:{self.port}/"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1, localhost: addresses no other machine can reach."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plan(*, host: str = "127.0.0.1", port: int = 0, server_name: str | None = None,
         tls_cert: str | None = None, tls_key: str | None = None, behind_proxy: bool = False,
         install_role: str | None = None) -> ServePlan:
    """Check the serve options and say how to serve; raises ServeRefused with a sentence."""
    host = (host or "127.0.0.1").strip("[]")
    server_name = (server_name or "").strip().lower() or None
    network = bool(tls_cert or tls_key or behind_proxy or server_name) or not is_loopback(host)
    if network and install_role == "field":
        raise ServeRefused(
            "This is a field install: it holds no register and is never served to the network. "
            "Run 'rhi-desk serve' without network options, or serve the hub's database instead.")
    if bool(tls_cert) != bool(tls_key):
        raise ServeRefused("Give both --tls-cert and --tls-key (the certificate and its private key).")
    if tls_cert and behind_proxy:
        raise ServeRefused("Choose one: --tls-cert and --tls-key to serve HTTPS here, or --behind-proxy "
                           "for a reverse proxy that serves HTTPS in front of RHI Desk.")
    if behind_proxy:
        if not is_loopback(host):
            raise ServeRefused(
                f"With --behind-proxy RHI Desk listens on loopback only (127.0.0.1), for a proxy on the same "
                f"server: {host} would send children's records across the network unencrypted.")
        if not server_name:
            raise ServeRefused("Give --server-name: the name people type to reach the proxy, "
                               "for example --server-name rhi.council.local.")
        return ServePlan("proxy", host, port, server_name)
    if tls_cert:
        for label, path in (("certificate", tls_cert), ("private key", tls_key)):
            if not Path(path).is_file():
                raise ServeRefused(f"The TLS {label} file {path} does not exist.")
        try:
            tls_context(tls_cert, tls_key)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise ServeRefused(f"The TLS certificate and key could not be used ({exc}). Check that they "
                               f"are PEM files and that the key belongs to the certificate.") from None
        if not server_name and not is_loopback(host):
            raise ServeRefused("Give --server-name: the name in the certificate that people type to reach "
                               "the hub, for example --server-name rhi.council.local.")
        return ServePlan("tls", host, port, server_name, tls_cert, tls_key)
    if not is_loopback(host):
        raise ServeRefused(
            f"RHI Desk will not serve children's records to the network unencrypted: {host} is not a "
            f"loopback address. Give --tls-cert and --tls-key (and --server-name), or use --behind-proxy "
            f"behind a proxy that serves HTTPS.")
    if server_name:
        raise ServeRefused("--server-name is for the hub served over HTTPS: give --tls-cert and --tls-key too, "
                           "or --behind-proxy.")
    return ServePlan("desktop", "127.0.0.1", port)


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    """The server's TLS settings: TLS 1.2 or later, Python's default (modern) ciphers."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


def configure_app(app, serve_plan: ServePlan) -> None:
    """Tell ``app`` which names it answers to and whether it is reached over HTTPS."""
    hosts = {"127.0.0.1", "localhost"}
    if serve_plan.server_name:
        hosts.add(serve_plan.server_name)
    app.config["ALLOWED_HOSTS"] = hosts
    if serve_plan.mode == "desktop":
        return
    # The browser reaches the hub over HTTPS (here or at the proxy): the session cookie is sent over
    # HTTPS only, and with the __Host- prefix the browser refuses it from any other origin.
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["SESSION_COOKIE_NAME"] = "__Host-rhi_desk_session"
    app.config["PUBLIC_URL"] = f"https://{serve_plan.server_name or serve_plan.host}" + (
        f":{serve_plan.port}" if serve_plan.mode == "tls" else "")
    # The Referrer-Policy is no-referrer, so Flask-WTF's HTTPS referrer check would refuse every form;
    # the CSRF token, SameSite=Strict cookies and the Host check protect the forms instead.
    app.config["WTF_CSRF_SSL_STRICT"] = False
    if serve_plan.mode == "proxy":
        app.wsgi_app = TrustedProxy(app.wsgi_app)


class TrustedProxy:
    """Werkzeug's ProxyFix for one proxy, applied only to requests that come from loopback.

    The server listens on loopback only, so the proxy on the same machine is the one peer; a forwarded
    header arriving from anywhere else is ignored rather than believed.
    """

    def __init__(self, wsgi_app):
        from werkzeug.middleware.proxy_fix import ProxyFix

        self.plain = wsgi_app
        self.fixed = ProxyFix(wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)

    def __call__(self, environ, start_response):
        if is_loopback(environ.get("REMOTE_ADDR", "")):
            return self.fixed(environ, start_response)
        return self.plain(environ, start_response)


def free_port(host: str = "127.0.0.1") -> int:
    """A free TCP port on ``host`` (the loopback address by default)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
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


def network_server(app, serve_plan: ServePlan):
    """A cheroot server for the hub (TLS or behind a proxy), bound but not yet serving."""
    from cheroot import wsgi
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    server = wsgi.Server((serve_plan.host, serve_plan.port), app, numthreads=SERVER_THREADS,
                         server_name="RHI Desk", request_queue_size=64, timeout=30)
    if serve_plan.mode == "tls":
        adapter = BuiltinSSLAdapter(serve_plan.tls_cert, serve_plan.tls_key)
        adapter.context = tls_context(serve_plan.tls_cert, serve_plan.tls_key)
        server.ssl_adapter = adapter
    server.prepare()  # binds now, so a port in use is reported before "running at"
    return server


def start_network_server(app, serve_plan: ServePlan):
    """Serve the hub in a background thread (tests, the benchmark); returns the cheroot server."""
    server = network_server(app, serve_plan)
    thread = threading.Thread(target=server.serve, name="rhi-desk-hub", daemon=True)
    thread.start()
    return server


def bound_port(server) -> int:
    """The port a cheroot server is listening on (when it was asked for port 0)."""
    return server.bind_addr[1]


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
