"""The guided return home interview: my list, offer, outcome, the interview page by page, sign-off.

Views are thin: the questions, their checks and the saving live in :mod:`rhi_desk.interviews`.
Every page saves on Continue; ``static/js/interviews-autosave.js`` also keeps a draft of what
is being typed, so closing the window or the laptop dying loses only the last few seconds.
Practitioners and providers open only their own interviews (others get "Page not found");
the missing team and administrators see all of them on a hub; managers only read.
"""
from __future__ import annotations

from types import SimpleNamespace

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from rhi_desk import audit
from rhi_desk.db import get_db
from rhi_desk.interviews import (
    access,
    navigation,
    page_answers,
    questions,
    saving,
    summary,
)
from rhi_desk.interviews import sign_off as interviews_sign_off
from rhi_desk.interviews.questions import InterviewError
from rhi_desk.register import episodes, rhi_tracking, rules
from rhi_desk.register.rhi_tracking import RHIError
from rhi_desk.sync import briefing as sync_briefing
from rhi_desk.sync import status as sync_status
from rhi_desk.web.auth import roles_required

bp = Blueprint("interviews", __name__)

# What the interview templates call: the outcomes, the facts of an RHI, the action rows, "none" labels.
TEMPLATE_HELPERS = SimpleNamespace(OUTCOMES=questions.OUTCOMES, action_rows=saving.action_rows,
                                   row_count=saving.row_count,
                                   facts=navigation.facts, none_label=page_answers.none_label)

WORK_ROLES = ("practitioner", "provider", "missing_team")
INTERVIEWER_OF_ROLE = {"practitioner": "social_worker", "provider": "provider", "missing_team": "missing_team"}
READ_ROLES = WORK_ROLES + ("manager",)


def _load(rhi_id: str, *, change: bool = False) -> dict:
    """The RHI if this user may see it (404 otherwise, so others' records stay invisible)."""
    db = get_db()
    rhi = rhi_tracking.get_rhi(db, rhi_id)
    if rhi is None or not access.can_see(g.user, rhi, g.install):
        abort(404)
    if change and not access.can_change(g.user, rhi, g.install):
        abort(403)
    return rhi


def _context(rhi: dict, *, with_briefing: bool = False) -> dict:
    db = get_db()
    child = list(db.query("select * from children where id = ?", [rhi["child"]]))[0]
    # The briefing is for whoever holds the interview, while it is being held (not on the signed-off record).
    shown = with_briefing and rhi["status"] != "signed_off" and not access.is_stub(rhi)
    return {"rhi": rhi, "child": child, "episodes": rhi_tracking.episodes_of(db, rhi["id"]),
            "can_change": access.can_change(g.user, rhi, g.install),
            "briefing": sync_briefing.for_rhi(db, rhi) if shown else None}


def _audit_view(rhi: dict, page: str) -> None:
    db = get_db()
    child_ref = db.execute("select child_id from children where id = ?", [rhi["child"]]).fetchone()[0]
    audit.record(db, "child.view", username=g.user["username"], object_type="child", object_id=child_ref,
                 detail={"page": f"interview {page}", "rhi": rhi["rhi_id"]})


def _read_only():
    return render_template("errors/error.html", title="This interview is signed off",
                           message="A signed-off interview is read-only, so nothing was changed. "
                                   "To change an answer, open the interview and make a correction."), 409


def _fields() -> dict:
    return {k: v for k, v in request.form.to_dict(flat=False).items() if k != "csrf_token"}


@bp.route("/interviews")
@roles_required(*READ_ROLES)
def my_list():
    """The interviews assigned to me: not started, in progress and recently signed off."""
    rows = access.my_interviews(get_db(), g.user, g.install)
    groups = {"draft": [], "open": [], "signed_off": [], "confirmed": []}
    for row in rows:
        groups["confirmed" if access.is_stub(row) else row["status"]].append(row)
    return render_template("interviews/my_list.html", groups=groups, total=len(rows))


@bp.route("/episodes/<episode_id>/interview/start", methods=["GET", "POST"])
@roles_required("missing_team")
def start(episode_id):
    """Hub: start an interview from an episode, choosing which of the child's episodes it covers."""
    db = get_db()
    if not g.install or g.install["role"] != "hub":
        abort(404)
    episode = episodes.get_episode(db, episode_id)
    if episode is None:
        abort(404)
    child = list(db.query("select * from children where id = ?", [episode["child"]]))[0]
    choices = episodes.child_episodes_for_rhi(db, child["id"])
    error = None
    chosen = [episode["episode_id"]]
    if request.method == "POST":
        chosen = request.form.getlist("episodes")
        pks = [e["id"] for e in choices if e["episode_id"] in chosen]
        if not pks:
            error = "Choose at least one episode for the interview to cover"
        else:
            try:
                rhi = _open_rhi_for(db, pks)
            except (RHIError, rules.RegisterError) as exc:
                error = str(exc)
            else:
                audit.record(db, "child.view", username=g.user["username"], object_type="child",
                             object_id=child["child_id"], detail={"page": "interview start", "rhi": rhi["rhi_id"]})
                return redirect(url_for(".question", rhi_id=rhi["rhi_id"], slug="offer"))
    chosen_pks = [e["id"] for e in choices if e["episode_id"] in chosen] or [episode["id"]]
    return render_template("interviews/start.html", episode=episode, child=child, choices=choices,
                           chosen=chosen, error=error, form={"errors": bool(error)},
                           briefing=sync_briefing.build(db, child["id"], chosen_pks))


def _open_rhi_for(db, pks: list[int]) -> dict:
    """The unfinished RHI already covering one of these episodes (extended to all), else a new one."""
    placeholders = ",".join("?" * len(pks))
    existing = list(db.query(
        f"select r.rhi_id from return_home_interviews r join rhi_episodes re on re.rhi = r.id "
        f"where re.episode in ({placeholders}) and r.status != 'signed_off' "
        f"and (r.outcome is null or r.outcome = 'completed') order by r.id limit 1", pks))
    if existing:
        rhi_id = existing[0]["rhi_id"]
        episodes.cover_episodes(db, rhi_id, pks, by=g.user["username"])
        rhi = rhi_tracking.get_rhi(db, rhi_id)
        if not rhi["assigned_to"]:
            rhi_tracking.assign(db, rhi_id, "missing_team", g.user["username"], by=g.user["username"])
        return rhi_tracking.get_rhi(db, rhi_id)
    return rhi_tracking.create_rhi(db, pks, interviewer_type="missing_team", assigned_to=g.user["username"],
                                   by=g.user["username"])


@bp.route("/interviews/<rhi_id>")
@roles_required(*READ_ROLES)
def resume(rhi_id):
    """Carry on where I left off (or read the record once signed off)."""
    rhi = _load(rhi_id)
    if rhi["status"] == "signed_off" or access.is_stub(rhi) or not access.can_change(g.user, rhi, g.install):
        return redirect(url_for(".record", rhi_id=rhi_id))
    slug = saving.resume_page(get_db(), rhi)
    if slug == "interviewer":  # answered from the assignment, then on to the first page still unanswered
        rhi, _ = _past_the_interviewer(get_db(), rhi, slug)
        slug = saving.resume_page(get_db(), rhi)
    if slug is None:
        return redirect(url_for(".check", rhi_id=rhi_id))
    return redirect(url_for(".question", rhi_id=rhi_id, slug=slug))


def _past_the_interviewer(db, rhi: dict, slug: str | None) -> tuple[dict, str | None]:
    """Who held the interview comes from the assignment and the signed-in user: not asked again.

    When the next page would be "interviewer", it is answered from those and skipped if that answers it.
    """
    if slug != "interviewer":
        return rhi, slug
    saving.fill_interviewer(db, rhi["rhi_id"], g.user["display_name"],
                            rhi["interviewer_type"] or INTERVIEWER_OF_ROLE.get(g.user["role"]), by=g.user["username"])
    rhi = rhi_tracking.get_rhi(db, rhi["rhi_id"])
    if navigation.page_complete(questions.PAGES["interviewer"], navigation.facts(rhi)):
        return rhi, navigation.next_page(rhi, "interviewer")
    return rhi, slug


@bp.route("/interviews/<rhi_id>/tasks")
@roles_required(*READ_ROLES)
def tasks(rhi_id):
    """The task list: which sections are done."""
    rhi = _load(rhi_id)
    if rhi["status"] == "signed_off":
        return redirect(url_for(".record", rhi_id=rhi_id))
    _audit_view(rhi, "tasks")
    return render_template("interviews/tasks.html", tasks=navigation.task_list(rhi),
                           summary=summary.check_answers(rhi), **_context(rhi, with_briefing=True))


@bp.route("/interviews/<rhi_id>/page/<slug>", methods=["GET", "POST"])
@roles_required(*WORK_ROLES)
def question(rhi_id, slug):
    """One page of the interview: show it, or save it and move on."""
    db = get_db()
    if access.is_stub(_load(rhi_id)):
        return redirect(url_for(".record", rhi_id=rhi_id))
    rhi = _load(rhi_id, change=True)
    if slug not in questions.PAGES:
        abort(404)
    if rhi["status"] == "signed_off":
        if request.method == "POST":
            return _read_only()
        return redirect(url_for(".record", rhi_id=rhi_id))
    if not navigation.is_visible(rhi, slug):
        return redirect(url_for(".resume", rhi_id=rhi_id))
    errors = {}
    values = None
    if request.method == "POST" and slug == "offer" and rhi["offer_from_hub"]:
        # The hub's offer is shown, not asked: Continue moves on without changing it.
        return redirect(url_for(".question", rhi_id=rhi_id, slug=navigation.next_page(rhi, slug) or "outcome"))
    if request.method == "POST":
        fields = _fields()
        try:
            rhi = saving.save_page(db, rhi_id, slug, fields, by=g.user["username"])
        except InterviewError as exc:
            errors = exc.errors or {questions.PAGES[slug].questions[0].key: str(exc)}
            values = {k: v if isinstance(v, list) else [v] for k, v in fields.items()}
        else:
            if request.form.get("more_rows"):  # places or people: saved, the same page with more rows
                return redirect(url_for(".question", rhi_id=rhi_id, slug=slug, then=request.args.get("then")))
            nxt = navigation.next_page(rhi, slug)
            rhi, nxt = _past_the_interviewer(db, rhi, nxt)
            if request.args.get("then") == "check":
                # From "Change": back to the summary, unless the new answer calls for a follow-up.
                if nxt and not navigation.page_complete(questions.PAGES[nxt], navigation.facts(rhi)):
                    return redirect(url_for(".question", rhi_id=rhi_id, slug=nxt, then="check"))
                return redirect(url_for(".check", rhi_id=rhi_id))
            if nxt is None:
                return redirect(url_for(".check", rhi_id=rhi_id))
            return redirect(url_for(".question", rhi_id=rhi_id, slug=nxt))
    else:
        _audit_view(rhi, slug)
    if values is None:
        values = saving.form_values(db, rhi, slug)
        _suggest(values, rhi, slug)
    page = questions.PAGES[slug]
    back = navigation.previous_page(rhi, slug)
    return render_template("interviews/page.html", page=page, values=values, errors=errors,
                           form={"errors": bool(errors)}, section=questions.SECTION_OF[slug],
                           back_url=url_for(".question", rhi_id=rhi_id, slug=back) if back
                           else url_for(".tasks", rhi_id=rhi_id),
                           then=request.args.get("then"), helpers=TEMPLATE_HELPERS,
                           **_context(rhi, with_briefing=True))


def _suggest(values: dict, rhi: dict, slug: str) -> None:
    """Fill in what we already know (the practitioner's own name and role) on a first visit."""
    if slug == "offer" and not values:
        values["offered_by"] = [g.user["display_name"]]
    if slug == "interviewer" and not values:
        values["interviewer_name"] = [g.user["display_name"]]
        if rhi["interviewer_type"]:
            values["interviewer_type"] = [rhi["interviewer_type"]]


@bp.route("/interviews/<rhi_id>/autosave/<slug>", methods=["POST"])
@roles_required(*WORK_ROLES)
def autosave(rhi_id, slug):
    """Background save of what is being typed (from interviews-autosave.js); no checks, no errors."""
    rhi = _load(rhi_id, change=True)
    if slug not in questions.PAGES:
        abort(404)
    try:
        saving.autosave(get_db(), rhi_id, slug, _fields(), by=g.user["username"])
    except InterviewError:
        return ("", 409)
    if request.headers.get("Sec-Fetch-Mode") == "navigate" or "text/html" in request.headers.get("Accept", ""):
        # Answers offered back after signing in again: saved; show the page they belong to.
        flash("Your answers were saved. Check them and continue.")
        return redirect(url_for(".question", rhi_id=rhi["rhi_id"], slug=slug))
    return ("", 204)


@bp.route("/interviews/<rhi_id>/check")
@roles_required(*READ_ROLES)
def check(rhi_id):
    """Check answers, with a Change link for each, and sign off."""
    rhi = _load(rhi_id)
    if rhi["status"] == "signed_off":
        return redirect(url_for(".record", rhi_id=rhi_id))
    _audit_view(rhi, "check answers")
    return render_template("interviews/check.html", summary=summary.check_answers(rhi), errors={},
                           declaration=interviews_sign_off.DECLARATION, form={"errors": False}, **_context(rhi))


@bp.route("/interviews/<rhi_id>/sign-off", methods=["POST"])
@roles_required(*WORK_ROLES)
def sign_off(rhi_id):
    """Sign off the interview; it is read-only afterwards."""
    db = get_db()
    rhi = _load(rhi_id, change=True)
    if rhi["status"] == "signed_off":
        return _read_only()
    try:
        interviews_sign_off.sign_off(db, rhi_id, by=g.user["username"], declaration=request.form.get("declaration"))
    except InterviewError as exc:
        return render_template("interviews/check.html", summary=summary.check_answers(rhi),
                               errors=exc.errors or {"declaration": str(exc)}, declaration=interviews_sign_off.DECLARATION,
                               form={"errors": True}, **_context(rhi)), 400
    flash("Interview signed off. It is now read-only.")
    return redirect(url_for(".record", rhi_id=rhi_id))


@bp.route("/interviews/<rhi_id>/record")
@roles_required(*READ_ROLES)
def record(rhi_id):
    """The interview as recorded (read-only once signed off), with its earlier revisions."""
    rhi = _load(rhi_id)
    if access.is_stub(rhi):
        return render_template("interviews/stub.html", **_context(rhi))
    _audit_view(rhi, "record")
    # On a field install, a signed-off interview the hub has not confirmed is offered for sending.
    send_return = bool(g.install and g.install["role"] == "field" and g.user["role"] in ("admin", "practitioner",
                                                                                         "provider")
                       and sync_status.awaiting_hub(get_db(), rhi_id))
    return render_template("interviews/record.html", summary=summary.check_answers(rhi), send_return=send_return,
                           revisions=interviews_sign_off.revisions(get_db(), rhi_id), **_context(rhi))


@bp.route("/interviews/<rhi_id>/report")
@bp.route("/interviews/<rhi_id>/revisions/<int:number>")
@roles_required(*READ_ROLES)
def report(rhi_id, number=None):
    """The printable interview report for the child's file (any revision)."""
    rhi = _load(rhi_id)
    if access.is_stub(rhi):
        return redirect(url_for(".record", rhi_id=rhi_id))
    shown = rhi
    revision = None
    if number is not None:
        revision = interviews_sign_off.revision(get_db(), rhi_id, number)
        if revision is None:
            abort(404)
        shown = dict(rhi, **{k: v for k, v in revision.record.items() if k in rhi})
    _audit_view(rhi, f"report revision {shown['revision']}")
    return render_template("interviews/report.html", shown=shown, revision=revision,
                           summary=summary.check_answers(shown),
                           revisions=interviews_sign_off.revisions(get_db(), rhi_id),
                           answers=navigation.facts(shown), **_context(rhi))


@bp.route("/interviews/<rhi_id>/correct/<slug>", methods=["GET", "POST"])
@roles_required(*WORK_ROLES)
def correct(rhi_id, slug):
    """Correct answers of a signed-off interview: a new revision, with a reason."""
    db = get_db()
    rhi = _load(rhi_id)
    if access.is_stub(rhi):
        return redirect(url_for(".record", rhi_id=rhi_id))
    rhi = _load(rhi_id, change=True)
    if rhi["status"] != "signed_off":
        return redirect(url_for(".question", rhi_id=rhi_id, slug=slug))
    if slug not in questions.PAGES or slug in ("offer", "outcome", "not_done") \
            or not navigation.is_visible(rhi, slug):
        abort(404)
    page = questions.PAGES[slug]
    pages = [page, *interviews_sign_off.follow_up_pages(slug)]
    errors, values, reason = {}, None, ""
    if request.method == "POST":
        fields = _fields()
        reason = request.form.get("reason", "")
        changes = {k: v for k, v in fields.items() if k != "reason"}
        for q in page.questions:
            if q.kind == "checkboxes":
                changes.setdefault(q.key, [])
        try:
            interviews_sign_off.correct(db, rhi_id, reason, changes, by=g.user["username"])
        except InterviewError as exc:
            errors = exc.errors or {"reason": str(exc)}
            values = {k: v if isinstance(v, list) else [v] for k, v in fields.items()}
        else:
            flash("Correction saved as a new revision. The earlier revision is kept below.")
            return redirect(url_for(".record", rhi_id=rhi_id))
    else:
        _audit_view(rhi, f"correct {slug}")
    if values is None:
        values = {}
        for shown in pages:
            values.update(saving.form_values(db, rhi, shown.slug))
    return render_template("interviews/correct.html", page=page, pages=pages, values=values, errors=errors,
                           reason=reason,
                           form={"errors": bool(errors)}, helpers=TEMPLATE_HELPERS, **_context(rhi))
