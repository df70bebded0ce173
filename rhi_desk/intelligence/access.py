"""Who may see the intelligence picture: the missing team and managers see all of it (on the hub);
practitioners and providers only what concerns the children whose interviews are assigned to them."""
from __future__ import annotations

INTELLIGENCE_ROLES = ("missing_team", "manager")
CHANGE_ROLES = ("missing_team",)


def sees_all(user: dict, install: dict | None) -> bool:
    """Whether the user may open the register of places and people, the themes and the network."""
    return bool(install and install["role"] == "hub" and user["role"] in INTELLIGENCE_ROLES)


def may_change(user: dict, install: dict | None) -> bool:
    """Whether the user may merge, tag, add themes, set the screening and edit a Philomena profile."""
    return bool(install and install["role"] == "hub" and user["role"] in CHANGE_ROLES)


def own_children(db, user: dict) -> set[int]:
    """The children (database ids) with an interview assigned to this practitioner or provider."""
    names = {(user["username"] or "").lower(), (user.get("display_name") or "").lower()}
    if user["role"] == "provider" and user.get("organisation"):
        names.add(user["organisation"].lower())
    names.discard("")
    if not names:
        return set()
    return {r[0] for r in db.execute(
        f"select distinct child from return_home_interviews where lower(assigned_to) in "
        f"({','.join('?' * len(names))})", sorted(names))}


def may_see_child(db, user: dict, install: dict | None, child_pk: int) -> bool:
    """Whether the user may see one child's intelligence (their places, people, screening, profile)."""
    if sees_all(user, install):
        return True
    if not install or install["role"] != "hub" or user["role"] not in ("practitioner", "provider"):
        return False
    return child_pk in own_children(db, user)
