"""The audit log's shape and hash chain, at the database layer so the migration that reshapes old entries
and the log itself (``rhi_desk.audit``) compute them the same way."""
from __future__ import annotations

import hashlib
import json
import re

GENESIS = "0" * 64
# Detail values kept as they are: operational words and ids, never a person's data. Numbers (counts) are
# kept too; anything else keeps only its name, under "fields".
KEPT_WORDS = {"reason", "role", "page", "rhi", "into", "episode", "interviewer_type", "assigned_install",
              "kind", "status", "outcome", "revision", "direction", "install", "sequence", "metric", "format",
              "fingerprint"}
KEPT_LISTS = {"episodes"}
KEPT_PERIODS = {"from", "to", "year", "month", "as_recorded_on"}
KEPT_SETTINGS = {"mapping"}  # an import's column mapping: the council's column names, no one's data
MONTH_OR_DAY = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def shape(detail: dict | str | None) -> str | None:
    """The detail as the log keeps it: ids, counts and the names of other fields, as sorted JSON."""
    if detail is None:
        return None
    if not isinstance(detail, dict):
        # A plain label or a page's path (ids only; a query string could hold what was typed).
        return json.dumps({"note": str(detail).split("?", 1)[0][:200]})
    kept: dict = {}
    fields: set[str] = set()
    for key, value in detail.items():
        if key == "changes" and isinstance(value, dict):
            fields.update(value)
        elif key == "fields" and isinstance(value, (list, tuple, set)):
            fields.update(map(str, value))
        elif isinstance(value, (bool, int, float)) or value is None:
            kept[key] = value
        elif key in KEPT_WORDS and isinstance(value, str) and len(value) <= 80:
            kept[key] = value
        elif key in KEPT_LISTS and isinstance(value, (list, tuple)) and all(isinstance(v, (str, int)) for v in value):
            kept[key] = list(value)
        elif key in KEPT_PERIODS and isinstance(value, str) and MONTH_OR_DAY.match(value):
            kept[key] = value
        elif key in KEPT_SETTINGS and isinstance(value, dict):
            kept[key] = value
        else:
            fields.add(key)
    if fields:
        kept["fields"] = sorted(fields)
    return json.dumps(kept, sort_keys=True, default=str)


def reshape_stored(detail: str | None) -> str | None:
    """An entry's detail as written by an earlier release (JSON or plain text), in today's shape."""
    if detail is None:
        return None
    try:
        parsed = json.loads(detail)
    except ValueError:
        parsed = detail
    return shape(parsed if isinstance(parsed, dict) else str(parsed))


def entry_hash(prev_hash: str, row: dict) -> str:
    """SHA-256 over the previous entry's hash and every column of this one.

    The client address (the hub served to a team) is hashed when the entry has one; entries made at this
    machine, and every entry written before addresses were kept, hash exactly as they always did.
    """
    fields = [prev_hash, row["id"], row["at"], row["username"], row["action"], row["object_type"],
              row["object_id"], row["detail"]]
    if row.get("client_address") is not None:
        fields.append(row["client_address"])
    body = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
