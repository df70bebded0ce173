"""Team work: allocating an episode or an RHI to a named member of the team."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from rhi_desk.db import get_db
from rhi_desk.register import allocation
from rhi_desk.register.episodes import get_episode
from rhi_desk.register.rhi_tracking import episodes_of, get_rhi
from rhi_desk.register.rules import RegisterError
from rhi_desk.web.auth import roles_required

bp = Blueprint("team", __name__)


def _record(db, kind: str, record_id: str):
    """(the record, the episode page to return to) or 404."""
    if kind == "episode":
        record = get_episode(db, record_id)
        return (record, record_id) if record else abort(404)
    if kind == "rhi":
        record = get_rhi(db, record_id)
        if record is None:
            abort(404)
        covered = episodes_of(db, record["id"])
        return record, (covered[0]["episode_id"] if covered else None)
    abort(404)


@bp.route("/allocate/<kind>/<record_id>", methods=["GET", "POST"])
@roles_required(*allocation.TEAM_ROLES)
def allocate(kind, record_id):
    """Choose who in the team works on this episode or interview."""
    db = get_db()
    if g.install is None or g.install["role"] != "hub":
        abort(404)
    record, episode_id = _record(db, kind, record_id)
    members = allocation.team_members(db)
    error = None
    if request.method == "POST":
        chosen = request.form.get("allocated_to", "")
        try:
            allocation.allocate(db, kind, record_id, chosen or None, by=g.user["username"], by_role=g.user["role"])
        except RegisterError as exc:
            error = str(exc)
        else:
            names = {m["username"]: m["display_name"] for m in members}
            flash(f"Allocated to {names.get(chosen, chosen)}." if chosen else "Allocated to nobody.")
            if episode_id:
                return redirect(url_for("register.episode", episode_id=episode_id))
            return redirect(url_for("register.today"))
    can_move = g.user["role"] in allocation.REALLOCATE_ROLES or record["allocated_to"] in (None, g.user["username"])
    return render_template("team/allocate.html", kind=kind, record=record, record_id=record_id, members=members,
                           error=error, episode_id=episode_id, can_move=can_move)
