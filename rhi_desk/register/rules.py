"""The register's words and limits: episode types, placements, the 72-hour and repeat windows, and how times are described."""
from __future__ import annotations

import re
from datetime import date, timedelta

from rhi_desk.clock import MINUTE_FORMAT, now, parse_minute

EPISODE_TYPES = {"missing": "Missing", "away": "Away from placement without authorisation"}
PLACEMENTS = {
    "in_borough": "In borough",
    "neighbouring": "In a neighbouring authority",
    "out_of_borough": "Out of borough",
}
SEXES = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Not known"}
# The College of Policing levels; "no_apparent" is the lowest, which the College now calls "very low".
POLICE_RISKS = {"no_apparent": "Very low (no apparent risk)", "low": "Low", "medium": "Medium", "high": "High"}
OLA_DUTY = "Another council's duty (OLA)"
RETURN_WINDOW = timedelta(hours=72)
REPEAT_WINDOW = timedelta(days=30)
REPEAT_THRESHOLD = 3
# Returns with no RHI record at all (history imported without one) are chased for this long;
# an RHI record still waiting for its offer stays on the overdue list however old it is.
OVERDUE_LOOKBACK = timedelta(days=90)
TODAY_LIMIT = 200
OVERDUE_COUNT_LIMIT = 10_000  # counted exactly up to this many
OVERDUE_SHOWN = 50  # the longest overdue, for the meeting; the page can show all
SEARCH_LIMIT = 50
_EPISODE_ID = re.compile(r"^E-(\d{8})-(\d+)$")


class RegisterError(Exception):
    """A user-facing problem with a child or episode; the message says what to do.

    ``field`` names the form field the problem belongs to, so a page can show it in place.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# ---------------------------------------------------------------------------------------------
# Formatting helpers (plain words for messages; the web layer has its own filters)


def describe_time(value: str | None) -> str:
    """'2017-04-03 14:05' → '3 April 2017, 2:05pm'."""
    if not value:
        return ""
    moment = parse_minute(value)
    hour = moment.strftime("%I").lstrip("0") or "12"
    return f"{moment.day} {moment:%B %Y}, {hour}:{moment:%M}{moment.strftime('%p').lower()}"


def describe_duration(delta: timedelta) -> str:
    """A duration the way the daily meeting says it: '2 days 3 hours', '5 hours 10 minutes'."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days and (mins or not hours):
        parts.append(f"{mins} minute{'s' if mins != 1 else ''}")
    return " ".join(parts)


def _day(value: str) -> str:
    moment = date.fromisoformat(value)
    return f"{moment.day} {moment:%B %Y}"


def _her(child: dict) -> str:
    return {"female": "her", "male": "his"}.get(child.get("sex") or "", "their")


def _display_name(child: dict) -> str:
    return child.get("name") or f"Child {child['child_id']}"


def _minute(text: str | None, message: str, field_name: str) -> str:
    """Normalise a time to ``YYYY-MM-DD HH:MM`` or raise with ``message``."""
    try:
        return parse_minute((text or "").strip()).strftime(MINUTE_FORMAT)
    except (TypeError, ValueError):
        raise RegisterError(message, field_name) from None


def _now_minute() -> str:
    return now().strftime(MINUTE_FORMAT)
