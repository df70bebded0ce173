"""Template filters: dates and times the way a council worker reads them."""
from __future__ import annotations

from datetime import datetime

from rhi_desk.clock import parse_minute


def init_app(app) -> None:
    """Register the filters on ``app``."""
    app.add_template_filter(when, "when")
    app.add_template_filter(day, "day")
    app.add_template_filter(label, "label")
    app.add_template_filter(person, "person")


def person(username: str | None) -> str:
    """A username as the person's name ('sam.w' → 'Sam Worker'); any other text (an organisation) as it is."""
    if not username:
        return ""
    from rhi_desk.db import get_db  # the per-request connection: filters run inside a request

    row = get_db().execute("select display_name from users where username = ?", [username]).fetchone()
    return row[0] if row else username


def when(value: str | None) -> str:
    """'2017-04-03 14:05' → '3 April 2017, 2:05pm'."""
    if not value:
        return ""
    try:
        moment = parse_minute(value)
    except ValueError:
        return value
    hour = moment.strftime("%I").lstrip("0") or "12"
    return f"{moment.day} {moment:%B %Y}, {hour}:{moment:%M}{moment.strftime('%p').lower()}"


def day(value: str | None) -> str:
    """'2017-04-03' → '3 April 2017'."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{moment.day} {moment:%B %Y}"


def label(value: str | None) -> str:
    """'out_of_borough' → 'Out of borough'."""
    if not value:
        return ""
    return value.replace("_", " ").capitalize()
