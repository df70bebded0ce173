"""The home page: each role lands where its work is."""
from flask import Blueprint, g, redirect, render_template, url_for

bp = Blueprint("home", __name__)

LANDING = {
    "missing_team": "register.today",
    "admin": "register.today",
    "manager": "reports.dashboard",
    "practitioner": "interviews.my_list",
    "provider": "interviews.my_list",
}


@bp.route("/")
def index():
    """Send each user to the page their role starts from."""
    endpoint = LANDING.get(g.user["role"])
    if g.install and g.install["role"] == "field":
        endpoint = "interviews.my_list"
    try:
        return redirect(url_for(endpoint))
    except Exception:  # an area not built yet: show a plain welcome instead of an error
        return render_template("home/index.html")
