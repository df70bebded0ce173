"""The intelligence picture's pages: the register of places and people, a place or person, merges,
themes by month, the network, a child's intelligence, the screening settings and the Philomena profile.

Views are thin: the logic is in :mod:`rhi_desk.intelligence`. The register, the themes and the network
are for the missing team and managers on the hub (:func:`access.sees_all`); practitioners and providers
see only their own children's places, people, screening and profile; everyone else gets "Page not found"
or "Not allowed". Every page is audited.
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from rhi_desk import audit
from rhi_desk.clock import now
from rhi_desk.db import get_db
from rhi_desk.intelligence import access, network, philomena, places_people, refresh, screening, themes
from rhi_desk.intelligence.places_people import IntelligenceError
from rhi_desk.interviews.page_answers import clean_question
from rhi_desk.interviews.questions import PAGES, SCREENING_INDICATORS
from rhi_desk.interviews.saving import row_count

bp = Blueprint("intelligence", __name__)


@bp.before_request
def _read_new_interviews():
    """What the intelligence pages show is never behind the interviews: read any queued first."""
    if g.get("user") is not None and g.get("install") and g.install["role"] == "hub":
        db = get_db()
        if refresh.pending(db):
            refresh.refresh(db)


def _require_all() -> None:
    if g.get("install") is None or g.install["role"] != "hub":
        abort(404)
    if not access.sees_all(g.user, g.install):
        audit.record(get_db(), "access.refused", username=g.user["username"], detail=request.path)
        abort(403)


def _require_change() -> None:
    _require_all()
    if not access.may_change(g.user, g.install):
        audit.record(get_db(), "access.refused", username=g.user["username"], detail=request.path)
        abort(403)


def _view(page: str, object_type: str | None = None, object_id=None, **detail) -> None:
    audit.record(get_db(), "intelligence.view", username=g.user["username"], object_type=object_type,
                 object_id=object_id, detail={"page": page, **detail})


def _period() -> tuple[str, str]:
    """The months asked for (``from``, ``to`` as YYYY-MM), else the last 12 months."""
    today = now().date()
    last = f"{today.year}-{today.month:02d}"
    year, month = today.year - 1, today.month + 1
    if month == 13:
        year, month = year + 1, 1
    first = f"{year}-{month:02d}"
    asked_first, asked_last = request.args.get("from", "").strip(), request.args.get("to", "").strip()
    try:
        themes.months(asked_first or first, asked_last or last)
    except (IntelligenceError, ValueError):
        return first, last
    return asked_first or first, asked_last or last


def _child(child_id: str) -> dict:
    rows = list(get_db().query("select * from children where child_id = ?", [child_id]))
    if not rows or g.get("install") is None or g.install["role"] != "hub":
        abort(404)
    if not access.may_see_child(get_db(), g.user, g.install, rows[0]["id"]):
        audit.record(get_db(), "access.refused", username=g.user["username"], detail=request.path)
        abort(404)
    return rows[0]


def _entry(entity_id: int) -> dict:
    entry = places_people.entity(get_db(), entity_id)
    if entry is None:
        abort(404)
    return entry


# ---------------------------------------------------------------------------------------------
# The register of places and people


@bp.route("/intelligence")
def index():
    """The register of places and people: search, the most linked first, and what needs doing."""
    _require_all()
    db = get_db()
    kind = request.args.get("kind") if request.args.get("kind") in places_people.KINDS else None
    words = request.args.get("q", "")[:100]
    entries = places_people.search(db, kind, words)
    _view("register", q=words, kind=kind)
    return render_template("intelligence/index.html", entries=entries, kind=kind, words=words,
                           kinds=places_people.KINDS, title=places_people.title,
                           due=screening.strategy_meetings_due(db), can_change=access.may_change(g.user, g.install))


@bp.route("/intelligence/entries/<int:entity_id>")
def entry(entity_id):
    """A place or person: every child and episode linked, with dates; possible duplicates to merge."""
    _require_all()
    db = get_db()
    found = _entry(entity_id)
    if found["merged_into"]:
        flash(f"{places_people.title(found)} was merged into this entry.")
        return redirect(url_for(".entry", entity_id=found["final"]))
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    _view("entry", found["kind"], entity_id, page_number=page)
    return render_template("intelligence/entry.html", entry=found, title=places_people.title,
                           children=places_people.children_linked(db, entity_id),
                           mentions=places_people.mentions_of(db, entity_id, page), page=page,
                           mention_total=places_people.mention_count(db, entity_id), page_size=places_people.PAGE,
                           children_total=places_people.children_count(db, entity_id),
                           aliases=places_people.also_known_as(db, entity_id),
                           candidates=places_people.candidates(db, entity_id),
                           tags=themes.tags_of(db, entity_id=entity_id), team_themes=themes.team_themes(db),
                           can_change=access.may_change(g.user, g.install))


@bp.route("/intelligence/entries/<int:entity_id>/profile")
def entry_profile(entity_id):
    """The printable profile of a place or person for the weekly police meeting."""
    _require_all()
    db = get_db()
    found = _entry(entity_id)
    _view("profile", found["kind"], entity_id)
    return render_template("intelligence/profile.html", entry=found, title=places_people.title,
                           children=places_people.children_linked(db, found["final"]),
                           mentions=places_people.mentions_of(db, found["final"]),
                           aliases=places_people.also_known_as(db, found["final"]),
                           tags=themes.tags_of(db, entity_id=found["final"]), printed=now())


@bp.route("/intelligence/entries/<int:entity_id>/merge", methods=["POST"])
def merge(entity_id):
    """Merge another entry into this one (the same place or person)."""
    _require_change()
    try:
        other = int(request.form.get("merged", ""))
        places_people.merge(get_db(), other, entity_id, by=g.user["username"])
    except ValueError:
        flash("Choose the entry to merge into this one.")
    except IntelligenceError as exc:
        flash(f"Nothing was merged: {exc}.")
    else:
        flash("Merged. The children linked to both are now listed here; you can undo the merge below.")
    return redirect(url_for(".entry", entity_id=entity_id))


@bp.route("/intelligence/merges/<int:merge_id>/undo", methods=["POST"])
def undo_merge(merge_id):
    """Undo a merge: the entry stands on its own again, with exactly its own links."""
    _require_change()
    try:
        separated = places_people.undo_merge(get_db(), merge_id, by=g.user["username"])
    except IntelligenceError as exc:
        flash(f"Nothing was changed: {exc}.")
        return redirect(url_for(".index"))
    flash("The merge was undone.")
    return redirect(url_for(".entry", entity_id=separated))


@bp.route("/intelligence/entries/<int:entity_id>/themes", methods=["POST"])
def tag_entry(entity_id):
    """Tag (or untag) a place or person with one of the team's themes."""
    _require_change()
    _entry(entity_id)
    try:
        themes.tag(get_db(), int(request.form.get("theme") or 0), entity_id=entity_id, by=g.user["username"],
                   remove=bool(request.form.get("remove")))
    except (IntelligenceError, ValueError):
        flash("Choose one of the team's themes.")
    return redirect(url_for(".entry", entity_id=entity_id))


# ---------------------------------------------------------------------------------------------
# Themes by month


@bp.route("/intelligence/themes", methods=["GET", "POST"])
def themes_page():
    """Themes by month, children counted once per theme and month, each count a link to the children."""
    _require_all()
    db = get_db()
    error = None
    if request.method == "POST":
        _require_change()
        try:
            themes.add_team_theme(db, request.form.get("label", ""), request.form.get("description", ""),
                                  by=g.user["username"])
        except IntelligenceError as exc:
            error = str(exc)
        else:
            flash("Theme added. Tag interviews, places or people with it to count it.")
            return redirect(url_for(".themes_page"))
    first, last = _period()
    table = themes.by_month(db, first, last)
    _view("themes", first=first, last=last)
    return render_template("intelligence/themes.html", table=table, first=first, last=last, error=error,
                           team_themes=themes.team_themes(db), form={"errors": bool(error)},
                           can_change=access.may_change(g.user, g.install), printed=now()), 400 if error else 200


@bp.route("/intelligence/themes/<code>")
def theme_drill(code):
    """The children behind a theme's count: each child and episode, newest first."""
    _require_all()
    db = get_db()
    label = themes.theme_label(db, code)
    if label is None:
        abort(404)
    first, last = _period()
    month = request.args.get("month", "")
    if month:
        try:
            themes.months(month, month)
        except (IntelligenceError, ValueError):
            abort(404)
        first = last = month
    rows = themes.drill(db, code, first, last)
    _view("theme", "theme", code, first=first, last=last)
    return render_template("intelligence/theme_drill.html", label=label, code=code, rows=rows, first=first,
                           last=last, children=len({r["child_id"] for r in rows}))


# ---------------------------------------------------------------------------------------------
# The network


@bp.route("/intelligence/network")
def network_page():
    """The network of children, places and people, as a graph and as a table, by period and theme."""
    _require_all()
    db = get_db()
    first, last = _period()
    theme = request.args.get("theme") or None
    if theme and themes.theme_label(db, theme) is None:
        theme = None
    centre = None
    child_id, entry_id = request.args.get("child", "").strip(), request.args.get("entry", "").strip()
    if child_id:
        rows = list(db.query("select id, child_id, name from children where child_id = ?", [child_id]))
        if not rows:
            abort(404)
        centre = {"kind": "child", "label": rows[0]["name"] or child_id, "id": f"c{rows[0]['id']}"}
        graph = network.around_child(db, rows[0]["id"], first, last, theme)
    elif entry_id.isdigit():
        found = _entry(int(entry_id))
        centre = {"kind": found["kind"], "label": places_people.title(found), "id": f"e{found['final']}"}
        graph = network.around_entity(db, found["final"], first, last, theme)
    else:
        graph = network.overview(db, first, last, theme)
    for node in graph["nodes"]:
        node["href"] = (url_for(".child_page", child_id=node["ref"]) if node["type"] == "child"
                        else url_for(".entry", entity_id=node["ref"]))
    _view("network", first=first, last=last, theme=theme, child=child_id or None, entry=entry_id or None)
    return render_template("intelligence/network.html", graph=graph, centre=centre, first=first, last=last,
                           theme=theme, all_themes=themes.all_themes(db), child_id=child_id, entry_id=entry_id,
                           printed=now())


# ---------------------------------------------------------------------------------------------
# A child's intelligence, the screening and the strategy meetings


@bp.route("/children/<child_id>/intelligence")
def child_page(child_id):
    """A child's places and people, screening over time, strategy meetings and the Philomena profile."""
    child = _child(child_id)
    db = get_db()
    _view("child", "child", child_id)
    interviews = list(db.query("select id, rhi_id, status, completed_at, created_at from return_home_interviews "
                               "where child = ? order by id desc limit 50", [child["id"]]))
    for rhi in interviews:
        rhi["tags"] = themes.tags_of(db, rhi_pk=rhi["id"])
    return render_template("intelligence/child.html", child=child, linked=philomena.linked(db, child["id"]),
                           interviews=interviews, team_themes=themes.team_themes(db),
                           history=screening.history(db, child["id"]),
                           due=screening.strategy_meetings_due(db, child["id"]),
                           profile=philomena.profile(db, child["id"]), sees_all=access.sees_all(g.user, g.install),
                           can_change=access.may_change(g.user, g.install))


@bp.route("/interviews/<rhi_id>/themes", methods=["POST"])
def tag_interview(rhi_id):
    """Tag (or untag) an interview with one of the team's themes."""
    _require_change()
    db = get_db()
    row = db.execute("select c.child_id from return_home_interviews r join children c on c.id = r.child "
                     "where r.rhi_id = ?", [rhi_id]).fetchone()
    if row is None:
        abort(404)
    try:
        themes.tag(db, int(request.form.get("theme") or 0), rhi_id=rhi_id, by=g.user["username"],
                   remove=bool(request.form.get("remove")))
    except (IntelligenceError, ValueError):
        flash("Choose one of the team's themes.")
    return redirect(url_for(".child_page", child_id=row[0]))


@bp.route("/intelligence/strategy/<int:trigger_id>", methods=["POST"])
def strategy_handled(trigger_id):
    """Record what was done about a strategy meeting the screening called for."""
    _require_change()
    back = request.form.get("child_id", "")
    try:
        screening.mark_handled(get_db(), trigger_id, request.form.get("note", ""), by=g.user["username"])
    except IntelligenceError as exc:
        flash(f"Nothing was recorded: {exc}.")
    else:
        flash("Recorded what was done about the strategy meeting.")
    if back:
        return redirect(url_for(".child_page", child_id=back))
    return redirect(url_for(".index"))


@bp.route("/intelligence/screening", methods=["GET", "POST"])
def screening_settings():
    """The council's screening: each indicator's weight and the medium and high thresholds."""
    _require_all()
    db = get_db()
    error = None
    if request.method == "POST":
        _require_change()
        try:
            screening.configure(db, {k: request.form[f"weight-{k}"] for k in SCREENING_INDICATORS
                                     if f"weight-{k}" in request.form},
                                request.form.get("medium_from", ""), request.form.get("high_from", ""),
                                by=g.user["username"])
        except IntelligenceError as exc:
            error = str(exc)
        else:
            flash("Screening settings saved; every screening was scored again with them.")
            return redirect(url_for(".screening_settings"))
    _view("screening settings")
    return render_template("intelligence/screening.html", weights=screening.weights(db),
                           limits=screening.thresholds(db), indicators=SCREENING_INDICATORS, error=error,
                           form={"errors": bool(error)}, values=request.form if error else None,
                           can_change=access.may_change(g.user, g.install)), 400 if error else 200


# ---------------------------------------------------------------------------------------------
# The Philomena Protocol profile


@bp.route("/children/<child_id>/philomena", methods=["GET", "POST"])
def philomena_edit(child_id):
    """Write the child's Philomena Protocol profile: description, photo, phones, associates, places."""
    child = _child(child_id)
    if not access.may_change(g.user, g.install):
        abort(403)
    db = get_db()
    error = None
    values = philomena.profile(db, child["id"]) or {}
    if request.method == "POST":
        upload = request.files.get("photo")
        data = upload.read() if upload and upload.filename else None
        try:
            philomena.save(db, child["id"], request.form, by=g.user["username"], photo_bytes=data,
                           remove_photo=bool(request.form.get("remove_photo")))
        except IntelligenceError as exc:
            error = str(exc)
            values = request.form
        else:
            flash("Philomena Protocol profile saved.")
            return redirect(url_for(".philomena_print", child_id=child_id))
    else:
        _view("philomena edit", "child", child_id)
    return render_template("intelligence/philomena_form.html", child=child, values=values, error=error,
                           fields=philomena.TEXT_FIELDS, form={"errors": bool(error)},
                           has_photo=bool((philomena.profile(db, child["id"]) or {}).get("has_photo"))), \
        400 if error else 200


@bp.route("/children/<child_id>/philomena/print")
def philomena_print(child_id):
    """The printable Philomena Protocol profile for the police."""
    child = _child(child_id)
    db = get_db()
    _view("philomena", "child", child_id)
    return render_template("intelligence/philomena.html", child=child, profile=philomena.profile(db, child["id"]),
                           linked=philomena.linked(db, child["id"]), fields=philomena.TEXT_FIELDS, printed=now(),
                           can_change=access.may_change(g.user, g.install),
                           age=_age(child["date_of_birth"]))


def _age(dob: str | None) -> int | None:
    try:
        born = date.fromisoformat(dob or "")
    except ValueError:
        return None
    today = now().date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@bp.route("/children/<child_id>/philomena/photo")
def philomena_photo(child_id):
    """The child's photo, only to those allowed to see the child; never cached."""
    child = _child(child_id)
    found = philomena.photo(get_db(), child["id"])
    if found is None:
        abort(404)
    _view("philomena photo", "child", child_id)
    return Response(found[0], mimetype=found[1], headers={"Cache-Control": "no-store",
                                                          "Content-Disposition": "inline"})


# ---------------------------------------------------------------------------------------------
# The found notification's places and people


@bp.route("/episodes/<episode_id>/places-and-people", methods=["GET", "POST"])
def notification(episode_id):
    """The places and people the found notification named (optional; as many rows as needed)."""
    if g.get("install") is None or g.install["role"] != "hub":
        abort(404)
    _require_change()
    db = get_db()
    rows = list(db.query("select e.*, c.child_id, c.name as child_name from episodes e join children c "
                         "on c.id = e.child where e.episode_id = ?", [episode_id]))
    if not rows:
        abort(404)
    episode = rows[0]
    questions = (PAGES["places"].questions[0], PAGES["people"].questions[0])
    errors, values = {}, None
    if request.method == "POST":
        fields = request.form.to_dict(flat=False)
        cleaned = {}
        for q in questions:
            try:
                cleaned[q.key] = clean_question(q, fields)
            except ValueError as exc:
                errors[q.key] = str(exc)
        if not errors:
            count = places_people.record_notification(db, episode_id, cleaned["places"], cleaned["people"],
                                                      by=g.user["username"])
            if request.form.get("more_rows"):
                return redirect(url_for(".notification", episode_id=episode_id))
            flash(f"Saved: {count} {'place or person' if count == 1 else 'places and people'} linked.")
            return redirect(url_for("register.episode", episode_id=episode_id))
        values = fields
    else:
        _view("notification", "episode", episode_id)
    if values is None:
        values = {}
        for q in questions:
            for n, row in enumerate(places_people.notification_rows(db, episode["id"])[q.key], start=1):
                for name, _label, _choices in q.columns:
                    values[f"{q.key}-{n}-{name}"] = [row.get(name, "")]
    return render_template("intelligence/notification.html", episode=episode, questions=questions, values=values,
                           errors=errors, form={"errors": bool(errors)}, helpers={"row_count": row_count})
