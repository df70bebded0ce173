"""What RHI Desk is busy with in the background, so closing the window can ask first."""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager

_lock = threading.Lock()
_running: Counter[str] = Counter()


@contextmanager
def busy(what: str):
    """Mark ``what`` (a phrase: "an episode import") as running for the duration of the block."""
    with _lock:
        _running[what] += 1
    try:
        yield
    finally:
        with _lock:
            _running[what] -= 1
            if _running[what] <= 0:
                del _running[what]


def running() -> list[str]:
    """The phrases for what is running now, e.g. ["an episode import"]."""
    with _lock:
        return sorted(_running)
