"""Who an interview can be assigned to: a user of this hub or an enrolled field install, chosen from a list.

A name typed freely could match nobody (an interview then invisible to everyone, with no error), so an
assignment names a *key* from :func:`choices` and nothing else is accepted. Assigning away from a field
install that was already sent the interview withdraws it from that install in the next file it is sent
(see :mod:`rhi_desk.sync.send`).
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from rhi_desk.register import rhi_tracking
from rhi_desk.sync.fileformat import SyncError

# Each role that interviews, with the interviewer type an RHI assigned to it gets.
ROLE_TYPES = {"practitioner": "social_worker", "missing_team": "missing_team", "provider": "provider"}
GROUPS = {"practitioner": "Social workers", "missing_team": "Missing team", "provider": "RHI providers",
          "install": "Field installs (sent in the next file)"}


@dataclass(frozen=True)
class Assignee:
    """One entry of the list: ``key`` is what a form sends back."""

    key: str
    label: str
    group: str
    interviewer_type: str | None
    username: str | None = None
    install_id: str | None = None


def choices(db: sqlite_utils.Database) -> list[Assignee]:
    """Every active user who interviews, and every active enrolled field install, grouped, by name."""
    found = []
    for u in db.query("select username, display_name, role, organisation from users where active = 1 "
                      "and role in ('practitioner', 'missing_team', 'provider') "
                      "order by display_name collate nocase, username"):
        label = u["display_name"] + (f", {u['organisation']}" if u["organisation"] else "")
        found.append(Assignee(f"user:{u['username']}", label, GROUPS[u["role"]], ROLE_TYPES[u["role"]],
                              username=u["username"]))
    for i in db.query("select install_id, name from sync_installs where role = 'field' and status = 'active' "
                      "order by name collate nocase"):
        found.append(Assignee(f"install:{i['install_id']}", i["name"], GROUPS["install"], None,
                              install_id=i["install_id"]))
    return found


def current_key(db: sqlite_utils.Database, rhi: dict) -> str | None:
    """The list entry this RHI is assigned to now, if it is one of them."""
    if rhi.get("assigned_install"):
        return f"install:{rhi['assigned_install']}"
    assigned = (rhi.get("assigned_to") or "").lower()
    for a in choices(db):
        if a.username and assigned == a.username.lower():
            return a.key
    return None


def sent_to(db: sqlite_utils.Database, rhi_id: str) -> dict | None:
    """The field install holding a copy of this interview (sent, not withdrawn): its name and when it went."""
    rows = list(db.query(
        "select i.name, i.install_id, f.created_at as sent_at from sync_assigned s "
        "join sync_installs i on i.install_id = s.recipient "
        "left join sync_sent f on f.recipient = s.recipient and f.sequence = s.sent_in "
        "where s.rhi_id = ? and s.withdrawn_in is null", [rhi_id]))
    return rows[0] if rows else None


@dataclass
class Assigned:
    """What an assignment did: to whom, and which install will be told to drop its copy."""

    assignee: Assignee
    withdrawn_from: str | None = None

    def sentence(self) -> str:
        """What the missing team is told."""
        text = f"Interview assigned to {self.assignee.label}."
        if self.assignee.install_id:
            text += f" It goes to {self.assignee.label} in the next file you send it."
        if self.withdrawn_from:
            text += (f" {self.withdrawn_from} had been sent it: the next file you send {self.withdrawn_from} "
                     f"tells it to remove its copy.")
        return text


def assign(db: sqlite_utils.Database, rhi_id: str, key: str | None, *, by: str | None = None) -> Assigned:
    """Assign the RHI to the list entry ``key``; a key that names nobody is refused with a sentence."""
    assignee = next((a for a in choices(db) if a.key == key), None)
    if assignee is None:
        raise SyncError("Choose who should interview from the list. If they are not there, ask an "
                        "administrator to add them as a user, or enrol their field install.")
    rhi = rhi_tracking.get_rhi(db, rhi_id)
    if rhi is None:
        raise SyncError(f"There is no interview {rhi_id}.")
    holder = sent_to(db, rhi_id)
    interviewer_type = assignee.interviewer_type or (
        rhi["interviewer_type"] if rhi["interviewer_type"] in ("social_worker", "provider") else "provider")
    try:
        rhi_tracking.assign(db, rhi_id, interviewer_type, assignee.username or assignee.label,
                            assigned_install=assignee.install_id, by=by)
    except rhi_tracking.RHIError as exc:
        raise SyncError(str(exc)) from None
    moved = holder and holder["install_id"] != assignee.install_id
    return Assigned(assignee, holder["name"] if moved else None)

