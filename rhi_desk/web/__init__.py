"""The web layer: blueprints, the sign-in guard, security headers and error pages.

Views are thin: read a form, call a domain function, redirect or re-render.
"""
from __future__ import annotations

from pathlib import Path

from flask import (
    Flask,
    abort,
    current_app,
    g,
    render_template,
    request,
    send_from_directory,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from rhi_desk import audit
from rhi_desk import db as database
from rhi_desk.web.server import HSTS

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # rhi_desk/


def resource_dir(name: str) -> Path:
    """Find ``templates`` or ``static``: inside the installed wheel, else at the repository root."""
    inside = PACKAGE_DIR / name
    if inside.is_dir():
        return inside
    return PACKAGE_DIR.parent / name


csrf = CSRFProtect()

# One blueprint per area; each module defines ``bp``.

GOVUK_FRONTEND = "6.3.0"
CHART_JS = "4.5.1"
ALLOWED_HOSTS = {"127.0.0.1", "localhost"}

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])


def init_app(app: Flask) -> None:
    """Wire the web layer into ``app``."""
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(app.template_folder),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    app.before_request(refuse_foreign_host)
    app.before_request(refuse_cross_origin)  # before the CSRF check, so a foreign form meets it first
    csrf.init_app(app)
    WTFormsHelpers(app)
    app.teardown_appcontext(database.close_db)
    app.teardown_request(lambda exc=None: audit.set_client_address(None))
    app.after_request(security_headers)

    from rhi_desk.web import auth, filters

    filters.init_app(app)
    app.before_request(auth.require_sign_in)
    app.context_processor(_template_globals)
    from rhi_desk.web import (about, actions, admin, corrections, home, imports, intelligence, interviews, meetings,
                              merges, police, providers, records, register, reports, sync, team)

    # One blueprint per area, each with its templates in templates/<area>/.
    for area in (auth, home, admin, register, records, imports, reports, interviews, sync, intelligence, about,
                 corrections, actions, meetings, police, providers, team, merges):
        app.register_blueprint(area.bp)

    assets = resource_dir("static") / "vendor" / f"govuk-frontend-{GOVUK_FRONTEND}" / "assets"

    @app.route("/assets/<path:filename>", endpoint="govuk_assets")
    def govuk_assets(filename):
        # GOV.UK Frontend's CSS asks for its images at /assets/.
        return send_from_directory(assets, filename)

    _register_error_pages(app)


def refuse_foreign_host():
    """Refuse any request not addressed to this server's own name (blocks DNS-rebinding attacks).

    The loopback names always; on the council's network also the one ``--server-name`` it serves as.
    The client's address goes into every audit entry this request writes.
    """
    audit.set_client_address(request.remote_addr)
    host = (request.host or "").rsplit(":", 1)[0] if not request.host.startswith("[") else request.host
    if host.lower() not in current_app.config.get("ALLOWED_HOSTS", ALLOWED_HOSTS):
        where = current_app.config.get("PUBLIC_URL", "http://127.0.0.1")
        abort(400, description=f"This address is not allowed. Open RHI Desk at {where}.")


STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def refuse_cross_origin():
    """Refuse a state-changing request sent by another site (defence in depth behind the CSRF token).

    Same origin or none: the browser's ``Sec-Fetch-Site`` must be ``same-origin`` (or ``none``: typed by
    the user), and an ``Origin`` header, when there is one, must be this app's own address. ``Origin:
    null`` (sent by pages with ``Referrer-Policy: no-referrer``, as ours are) is accepted only from a
    same-origin fetch.
    """
    if request.method not in STATE_CHANGING:
        return None
    fetch_site = request.headers.get("Sec-Fetch-Site")
    origin = request.headers.get("Origin")
    own = request.host_url.rstrip("/")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        refused = True
    elif origin is None:
        refused = False
    elif origin == "null":
        refused = fetch_site != "same-origin"
    else:
        refused = origin.rstrip("/") != own
    if refused:
        abort(403, description="This form was sent from another website, so RHI Desk did not act on it. "
                               "If you meant to do this, open RHI Desk yourself and do it there.")
    return None


def security_headers(response):
    """Strict headers on every response; pages holding personal data are never cached."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = HSTS
    if request.endpoint not in ("static", "govuk_assets"):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def _template_globals():
    return {
        "install": getattr(g, "install", None),
        "current_user": getattr(g, "user", None),
        "known_endpoints": current_app.view_functions,
        "govuk_frontend_path": f"vendor/govuk-frontend-{GOVUK_FRONTEND}",
        "chart_js_path": f"vendor/chart.js-{CHART_JS}/chart.umd.min.js",
    }


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        # Never echo what was posted with a fresh token: the request may have come from another site,
        # and sending it back ready to submit would carry its action out. A form of this app's own that
        # outlived its session goes through the rescue (web/auth.py), which checks the token first.
        return render_template("errors/error.html", title="That form could not be sent",
                               message="It was not sent from an open RHI Desk page, or the page had been "
                                       "open since before RHI Desk last started, so nothing was saved. Go "
                                       "back, reload the page and enter it again."), 400

    @app.errorhandler(400)
    def bad_request(error):
        return render_template("errors/error.html", title="Sorry, that request could not be handled",
                               message=getattr(error, "description", None)), 400

    @app.errorhandler(403)
    def forbidden(error):
        description = getattr(error, "description", "")
        if "another website" in (description or ""):
            return render_template("errors/error.html", title="That form could not be sent",
                                   message=description), 403
        return render_template("errors/error.html", title="You do not have access to this page",
                               message="Your role does not allow this. Ask your administrator if you need it."), 403

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/error.html", title="Page not found",
                               message="Check the address, or go back to the home page."), 404

    @app.errorhandler(413)
    def too_large(error):
        return render_template("errors/error.html", title="The file is too large",
                               message="Choose a file smaller than 512 MB."), 413

    @app.errorhandler(500)
    def server_error(error):
        app.logger.exception("Unhandled error on %s", request.path)
        return render_template("errors/error.html", title="Sorry, something went wrong",
                               message="Nothing you entered has been lost: go back and try again. "
                                       "If it happens again, tell your administrator; the details "
                                       "are in the RHI Desk log file."), 500
