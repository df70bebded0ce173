"""Time, in one place, so tests can freeze it (time-machine) and every module agrees on format.

Times are stored as local wall-clock text ``YYYY-MM-DD HH:MM`` (minutes are what the 72-hour
clock needs and what the episode register CSV carries); audit entries keep seconds.
"""
from __future__ import annotations

import re
from datetime import datetime

MINUTE_FORMAT = "%Y-%m-%d %H:%M"


def now() -> datetime:
    """The current local time, naive (the app runs on one laptop in one time zone)."""
    return datetime.now().replace(microsecond=0)


def now_iso() -> str:
    """The current time as ``YYYY-MM-DD HH:MM:SS`` for audit entries and timestamps."""
    return now().strftime("%Y-%m-%d %H:%M:%S")


def now_minute() -> str:
    """The current time as ``YYYY-MM-DD HH:MM``, the format episode and RHI times are stored in."""
    return now().strftime(MINUTE_FORMAT)


def parse_minute(text: str) -> datetime:
    """Parse a stored ``YYYY-MM-DD HH:MM`` (seconds tolerated) into a datetime."""
    return datetime.fromisoformat(text.replace("T", " "))


_TIME = re.compile(r"^(\d{1,2})(?:[:.]?(\d{2}))?\s*(am|pm)?$", re.IGNORECASE)


def parse_time(text: str | None) -> str | None:
    """A time of day as people type it: '14:05', '1405', '2:05pm', '2pm' → '14:05'; None if it is not one."""
    match = _TIME.match((text or "").strip())
    if not match:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"
