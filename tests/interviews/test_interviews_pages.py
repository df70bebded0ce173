"""The guided interview's pages through the Flask test client: validation, branching, sign-off, corrections."""
from __future__ import annotations

import html
import json
import re

import pytest
from conftest import add_user, sign_in
from interviews_support import make_child, make_episode, make_rhi

from rhi_desk import audit
from rhi_desk.db import connect
from rhi_desk.demo import answers as demo_answers
from rhi_desk.interviews import access, questions
from rhi_desk.interviews import summary as interviews_summary
from rhi_desk.register import rhi_tracking

OFFER = {"offered_at-day": "2", "offered_at-month": "3", "offered_at-year": "2026", "offered_at-time": "11:00",
         "offered_how": "phone", "offered_by": "Sam Worker"}
COMPLETED = {
    "offer": OFFER,
    "outcome": {"outcome": "completed"},
    "held": {"held_at-day": "3", "held_at-month": "3", "held_at-year": "2026", "held_at-time": "3:30pm",
             "place": "At school"},
    # "interviewer" is not asked: the signed-in user and the assignment answer it (test_everyday_interviewer.py)
    "seen_alone": {"seen_alone": "yes"},
    "confidentiality": {"confidentiality_explained": "yes"},
    "where": {"where_went": "A friend's flat", "where_area": "Croydon CR0"},
    "places": {"places-1-name": "The Crown", "places-1-area": "CR0", "places-1-kind": "shop"},
    "who_with": {"who_with": "Two friends"},
    "people": {"people-1-name": "Jay", "people-1-age": "about 20", "people-1-phone": "07700 900123"},
    "travel": {"travel": "Bus", "activities": "Stayed in"},
    "felt_missing": {"felt_missing": "not_sure"},
    "push": {"push_factors": ["home", "school"]},
    "pull": {"pull_factors": ["none"]},
    "in_their_words": {"in_their_words": "I needed space"},
    "harm_suffered": {"harm_suffered": "None"},
    "harm_indicators": {"harm_indicators": ["cse", "county_lines"]},
    "harm_details": {"harm_details": "An older man gave them a phone"},
    "screening": {"screening": ["older_associates", "phones"]},
    "police": {"police_involved": "no"},
    "risk_level": {"risk_level": "high"},
    "what_would_help": {"what_would_help": "Someone to talk to"},
    "stop_it_happening": {"stop_it_happening": "Fewer rows at home"},
    "anything_else": {"anything_else": ""},
    "referrals": {"referrals": ["police_intelligence", "cse_cce_panel"]},
    "information_shared": {"information_shared": "Police told about the older man"},
    "follow_up": {"action-1": "Strategy meeting", "owner-1": "Missing team", "due-1-day": "10",
                  "due-1-month": "3", "due-1-year": "2026"},
    "safety_advice": {"safety_advice_given": "yes"},
}


def url(rhi, slug=None, then=None):
    base = f"/interviews/{rhi['rhi_id']}"
    if slug is None:
        return base
    return f"{base}/page/{slug}" + (f"?then={then}" if then else "")


def walk(client, rhi, pages: dict) -> str:
    """Answer ``pages`` in order, checking each Continue leads to the next; returns the last redirect."""
    slugs = list(pages)
    location = None
    for index, slug in enumerate(slugs):
        response = client.post(url(rhi, slug), data=pages[slug])
        assert response.status_code == 302, (slug, _errors(response))
        location = response.location
        if index + 1 < len(slugs):
            assert location.endswith(url(rhi, slugs[index + 1])), (slug, location)
    return location


def _errors(response) -> list[str]:
    text = response.get_data(as_text=True)
    if "govuk-error-summary__list" not in text:
        return []
    return [html.unescape(m) for m in re.findall(r'<a href="#[^"]+">([^<]+)</a>',
                                                  text.split("govuk-error-summary__list")[1].split("</ul>")[0])]


@pytest.fixture
def rhi(hub_db):
    return make_rhi(hub_db, "practitioner")


@pytest.fixture
def worker(signed_in):
    return signed_in("practitioner")


def reload(db, rhi):
    return rhi_tracking.get_rhi(db, rhi["rhi_id"])


def test_a_whole_interview_page_by_page_then_sign_off(worker, rhi, hub_db):
    assert worker.get(url(rhi)).location.endswith(url(rhi, "offer"))
    last = walk(worker, rhi, COMPLETED)
    assert last.endswith(f"/interviews/{rhi['rhi_id']}/check")
    page = worker.get(last).get_data(as_text=True)
    for shown in ("A friend&#39;s flat", "Child sexual exploitation", "County lines", "None of these",
                  "Strategy meeting", "3 March 2026, 3:30pm", "High"):
        assert shown in page, shown
    assert page.count(">Change<") == sum(len(questions.PAGES[s].questions) for s in [*COMPLETED, "interviewer"])
    response = worker.post(f"/interviews/{rhi['rhi_id']}/sign-off", data={"declaration": "yes"})
    assert response.status_code == 302
    saved = reload(hub_db, rhi)
    assert saved["status"] == "signed_off" and saved["signed_off_by"] == "practitioner"
    assert saved["outcome"] == "completed" and saved["completed_at"] == "2026-03-03 15:30"
    assert saved["offered_at"] == "2026-03-02 11:00"
    answers = json.loads(saved["answers"])
    assert answers["harm_indicators"] == ["cse", "county_lines"]
    assert answers["pull_factors"] == [] and answers["push_factors"] == ["home", "school"]
    assert answers["follow_up_actions"] == [{"action": "Strategy meeting", "owner": "Missing team",
                                             "due": "2026-03-10", "done": False}]
    assert answers["held_at"] == "2026-03-03 15:30" and answers["seen_alone"] == "yes"
    record = worker.get(response.location).get_data(as_text=True)
    assert "read-only" in record and "Signed off by Practitioner" in record, "the person's name, not the username"
    report = worker.get(f"/interviews/{rhi['rhi_id']}/report").get_data(as_text=True)
    episode = rhi_tracking.episodes_of(hub_db, saved["id"])[0]["episode_id"]
    for shown in ("Jamie Test", "1 May 2010", episode, "2 March 2026, 9:30am", "Strategy meeting",
                  "Police intelligence form", "Signed off by", "print-report"):
        assert shown in report, shown


def test_errors_are_summarised_with_error_in_the_title(worker, rhi):
    response = worker.post(url(rhi, "offer"), data={})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error: " in text
    assert _errors(response) == ["Enter the date the interview was offered", "Choose how the interview was offered",
                                 "Enter who offered the interview"]
    bad_date = dict(OFFER, **{"offered_at-day": "31", "offered_at-month": "2"})
    assert _errors(worker.post(url(rhi, "offer"), data=bad_date)) == ["Enter a real date, for example 27 3 2026"]
    no_time = dict(OFFER, **{"offered_at-time": ""})
    assert _errors(worker.post(url(rhi, "offer"), data=no_time)) == ["Enter the time, for example 14:05"]
    future = dict(OFFER, **{"offered_at-year": "2099"})
    assert _errors(worker.post(url(rhi, "offer"), data=future)) == ["The date and time must be in the past"]
    before = dict(OFFER, **{"offered_at-day": "1", "offered_at-time": "09:00"})
    assert "before the child went missing" in _errors(worker.post(url(rhi, "offer"), data=before))[0]
    # What was typed stays on the page.
    assert 'value="Sam Worker"' in worker.post(url(rhi, "offer"), data=before).get_data(as_text=True)


def test_none_of_these_is_exclusive_and_choices_are_required(worker, rhi, hub_db):
    walk(worker, rhi, {k: COMPLETED[k] for k in list(COMPLETED)[:10]})
    assert _errors(worker.post(url(rhi, "push"), data={})) == ["Select what made them leave, or 'None of these'"]
    both = worker.post(url(rhi, "push"), data={"push_factors": ["home", "none"]})
    assert _errors(both) == ["Select 'None of these', or select the ones that apply, not both"]
    assert worker.post(url(rhi, "push"), data={"push_factors": ["none"]}).status_code == 302
    assert json.loads(reload(hub_db, rhi)["answers"])["push_factors"] == []
    referrals = worker.post(url(rhi, "referrals"), data={"referrals": ["none", "health"]})
    assert _errors(referrals) == ["Select 'No referrals', or select the ones that apply, not both"]


def test_follow_up_pages_appear_only_when_an_answer_calls_for_them(worker, rhi):
    walk(worker, rhi, {k: COMPLETED[k] for k in ("offer", "outcome", "held")})
    assert worker.post(url(rhi, "seen_alone"), data={"seen_alone": "no"}).location.endswith(url(rhi, "who_present"))
    assert _errors(worker.post(url(rhi, "who_present"), data={})) == [
        "Enter who else was there during the interview"]
    assert worker.post(url(rhi, "seen_alone"), data={"seen_alone": "yes"}).location.endswith(
        url(rhi, "confidentiality"))
    # A follow-up that no longer applies is not asked (it sends the practitioner on).
    assert worker.get(url(rhi, "who_present")).status_code == 302
    assert worker.post(url(rhi, "harm_indicators"), data={"harm_indicators": ["none"]}).location.endswith(
        url(rhi, "screening"))
    assert worker.post(url(rhi, "harm_indicators"), data={"harm_indicators": ["gangs"]}).location.endswith(
        url(rhi, "harm_details"))
    assert worker.post(url(rhi, "police"), data={"police_involved": "yes"}).location.endswith(
        url(rhi, "police_details"))
    assert worker.post(url(rhi, "police"), data={"police_involved": "no"}).location.endswith(url(rhi, "risk_level"))


def test_long_answers_have_a_character_count_and_a_limit(worker, rhi):
    walk(worker, rhi, {k: COMPLETED[k] for k in ("offer", "outcome")})
    page = worker.get(url(rhi, "where")).get_data(as_text=True)
    assert 'data-module="govuk-character-count"' in page and 'data-maxlength="3000"' in page
    response = worker.post(url(rhi, "where"), data={"where_went": "x" * 3001, "where_area": ""})
    assert _errors(response) == ["Where they went must be 3000 characters or fewer"]


def test_follow_up_actions_need_an_owner_and_a_due_date(worker, rhi, hub_db):
    walk(worker, rhi, {k: COMPLETED[k] for k in ("offer", "outcome")})
    partial = {"action-1": "Call school", "owner-1": "", "due-1-day": "", "due-1-month": "", "due-1-year": ""}
    assert _errors(worker.post(url(rhi, "follow_up"), data=partial)) == ["Enter who will do action 1"]
    no_date = dict(partial, **{"owner-1": "Sam"})
    assert _errors(worker.post(url(rhi, "follow_up"), data=no_date)) == [
        "Enter the date action 1 is due, with the day, month and year"]
    assert worker.post(url(rhi, "follow_up"), data={"action-1": ""}).status_code == 302
    assert json.loads(reload(hub_db, rhi)["answers"])["follow_up_actions"] == []


@pytest.mark.parametrize("outcome", ["declined", "unavailable", "missing_again"])
def test_an_interview_that_did_not_happen(worker, rhi, hub_db, outcome):
    walk(worker, rhi, {"offer": OFFER})
    assert worker.post(url(rhi, "outcome"), data={"outcome": outcome}).location.endswith(url(rhi, "not_done"))
    assert _errors(worker.post(url(rhi, "not_done"), data={})) == [
        "Choose why the interview did not happen", "Enter why the interview did not happen",
        "Enter the attempts made to see the child"]
    code = {"declined": "parent_carer_refused", "unavailable": "could_not_contact",
            "missing_again": "missing_again"}[outcome]
    wrong = "moved_out_of_area" if outcome != "unavailable" else "declined_by_child"
    mismatch = worker.post(url(rhi, "not_done"), data={"not_done_code": wrong, "outcome_reason": "Said no at the door",
                                                       "attempts": "Visit on 3 March"})
    assert "That reason does not fit what happened" in mismatch.get_data(as_text=True)
    response = worker.post(url(rhi, "not_done"), data={"not_done_code": code, "outcome_reason": "Said no at the door",
                                                       "attempts": "Visit on 3 March, call on 4 March"})
    assert response.location.endswith(url(rhi, "carers"))
    response = worker.post(url(rhi, "carers"), data={"carers_information": "Carer says they were at a cousin's"})
    assert response.location.endswith("/check")
    check = worker.get(response.location).get_data(as_text=True)
    assert "Said no at the door" in check and "cousin" in check
    assert "Where they went" not in check and "Harm and risk" not in check
    assert worker.post(f"/interviews/{rhi['rhi_id']}/sign-off", data={"declaration": "yes"}).status_code == 302
    saved = reload(hub_db, rhi)
    assert (saved["outcome"], saved["outcome_reason"], saved["status"]) == (outcome, "Said no at the door",
                                                                            "signed_off")
    assert saved["attempts"] == "Visit on 3 March, call on 4 March"
    assert json.loads(saved["answers"])["carers_information"] == "Carer says they were at a cousin's"
    assert saved["not_done_code"] == code  # the coded reason the KPIs and the dashboard count


def test_sign_off_needs_the_declaration_and_every_answer(worker, rhi, hub_db):
    walk(worker, rhi, {k: COMPLETED[k] for k in ("offer", "outcome", "held")})
    response = worker.post(f"/interviews/{rhi['rhi_id']}/sign-off", data={"declaration": "yes"})
    assert response.status_code == 400 and "Answer &#39;Was the child seen alone?&#39; before signing off" in \
        response.get_data(as_text=True)
    walk(worker, rhi, COMPLETED)
    response = worker.post(f"/interviews/{rhi['rhi_id']}/sign-off", data={})
    assert response.status_code == 400 and "<title>Error: " in response.get_data(as_text=True)
    assert reload(hub_db, rhi)["status"] == "draft"


def test_a_signed_off_interview_is_read_only(worker, rhi, hub_db):
    walk(worker, rhi, COMPLETED)
    worker.post(f"/interviews/{rhi['rhi_id']}/sign-off", data={"declaration": "yes"})
    before = reload(hub_db, rhi)
    assert worker.post(url(rhi, "risk_level"), data={"risk_level": "low"}).status_code == 409
    assert worker.post(f"/interviews/{rhi['rhi_id']}/autosave/risk_level",
                       data={"risk_level": "low"}).status_code == 409
    assert worker.post(f"/interviews/{rhi['rhi_id']}/sign-off", data={"declaration": "yes"}).status_code == 409
    assert reload(hub_db, rhi) == before
    # Pages of a signed-off interview lead to the read-only record, which has no Change links.
    assert worker.get(url(rhi, "risk_level")).location.endswith("/record")
    record = worker.get(f"/interviews/{rhi['rhi_id']}/record").get_data(as_text=True)
    assert ">Change<" not in record and "Correct" in record


def test_a_correction_makes_revision_2_and_keeps_revision_1_readable(worker, rhi, hub_db):
    walk(worker, rhi, COMPLETED)
    worker.post(f"/interviews/{rhi['rhi_id']}/sign-off", data={"declaration": "yes"})
    correct = f"/interviews/{rhi['rhi_id']}/correct/risk_level"
    assert "Why are you making this correction?" in worker.get(correct).get_data(as_text=True)
    assert _errors(worker.post(correct, data={"risk_level": "medium"})) == ["Enter why you are making this correction"]
    assert _errors(worker.post(correct, data={"risk_level": "high", "reason": "x"})) == [
        "Change at least one answer, or cancel the correction"]
    response = worker.post(correct, data={"risk_level": "medium", "reason": "Typed high by mistake"})
    assert response.status_code == 302
    saved = reload(hub_db, rhi)
    assert saved["revision"] == 2 and json.loads(saved["answers"])["risk_level"] == "medium"
    record = worker.get(response.location).get_data(as_text=True)
    assert "Revision 1" in record and "Revision 2" in record and "Typed high by mistake" in record
    old = worker.get(f"/interviews/{rhi['rhi_id']}/revisions/1").get_data(as_text=True)
    assert "This is revision 1" in old and ">High<" in old.replace("\n", "").replace("  ", "").replace("> ", ">")
    new = worker.get(f"/interviews/{rhi['rhi_id']}/report").get_data(as_text=True)
    assert "Medium" in new and "Typed high by mistake" in new
    actions = [e["action"] for e in audit.entries(hub_db, object_type="rhi", object_id=rhi["rhi_id"])]
    assert "rhi.correct" in actions and "rhi.sign_off" in actions


def test_others_cannot_open_an_interview_not_theirs(app, signed_in, hub_db):
    add_user(hub_db, "other_provider", "provider", organisation="Far Away Care")
    safe_steps = make_rhi(hub_db, "Safe Steps")
    far_away = make_rhi(hub_db, "Far Away Care")
    worker_own = make_rhi(hub_db, "practitioner")
    provider = signed_in("provider")
    assert provider.get(url(safe_steps, "offer")).status_code == 200
    for other in (far_away, worker_own):
        assert provider.get(url(other, "offer")).status_code == 404
        assert provider.get(f"/interviews/{other['rhi_id']}/report").status_code == 404
        assert provider.post(url(other, "offer"), data=OFFER).status_code == 404
        assert provider.post(f"/interviews/{other['rhi_id']}/autosave/offer", data=OFFER).status_code == 404
    listed = provider.get("/interviews").get_data(as_text=True)
    assert safe_steps["rhi_id"] in listed and far_away["rhi_id"] not in listed
    practitioner = signed_in("practitioner")
    assert practitioner.get(url(safe_steps, "offer")).status_code == 404
    team = signed_in("missing_team")
    assert team.get(url(far_away, "offer")).status_code == 200
    manager = signed_in("manager")
    assert manager.get(f"/interviews/{far_away['rhi_id']}/record").status_code == 200
    assert manager.post(url(far_away, "offer"), data=OFFER).status_code == 403
    assert rhi_tracking.get_rhi(hub_db, far_away["rhi_id"])["offered_at"] is None


def test_my_list_shows_the_child_episodes_and_hours_left(signed_in, hub_db, time_machine):
    time_machine.move_to("2026-03-03 09:30", tick=False)
    worker = signed_in("practitioner")
    mine = make_rhi(hub_db, "practitioner", start="2026-03-01 18:00", end="2026-03-02 09:30", name="Alex Own")
    make_rhi(hub_db, "someone_else", name="Blake Other")
    text = worker.get("/interviews").get_data(as_text=True)
    assert "Alex Own" in text and "Blake Other" not in text
    assert "48 hours left" in text
    episode = rhi_tracking.episodes_of(hub_db, mine["id"])[0]["episode_id"]
    assert episode in text and "Not started" in text


def test_my_interviews_on_a_field_install_lists_every_interview(field_db):
    make_rhi(field_db, "Safe Steps")
    make_rhi(field_db, None)
    user = {"role": "provider", "username": "pat", "display_name": "Pat", "organisation": "Safe Steps"}
    rows = access.my_interviews(field_db, user, {"role": "field"})
    assert len(rows) == 2 and all(r["clock"] and r["child"]["child_id"] for r in rows)


def test_what_is_typed_is_kept_in_the_background_and_resumed(worker, rhi, hub_db):
    walk(worker, rhi, {k: COMPLETED[k] for k in ("offer", "outcome", "held")})
    worker.post(url(rhi, "seen_alone"), data={"seen_alone": "no"})
    response = worker.post(f"/interviews/{rhi['rhi_id']}/autosave/who_present",
                           data={"who_present": "Half a na"})
    assert response.status_code == 204
    # A draft is not an answer: it is not on the record yet.
    assert "who_present" not in json.loads(reload(hub_db, rhi)["answers"])
    resumed = worker.get(url(rhi))
    assert resumed.location.endswith(url(rhi, "who_present"))
    assert 'Half a na' in worker.get(resumed.location).get_data(as_text=True)


def test_a_locked_session_mid_interview_loses_nothing(app, users, hub_db):
    rhi = make_rhi(hub_db, "practitioner")
    client = app.test_client()
    sign_in(client, "practitioner")
    walk(client, rhi, {"offer": OFFER, "outcome": {"outcome": "completed"}})
    client.post("/lock")
    typed = {"held_at-day": "3", "held_at-month": "3", "held_at-year": "2026", "held_at-time": "15:30",
             "place": "Typed while the screen was locked"}
    response = client.post(url(rhi, "held"), data=typed)
    assert response.status_code == 302 and "/sign-in" in response.location
    offered_back = sign_in(client, "practitioner").get_data(as_text=True)
    assert "Your answers have not been saved yet" in offered_back
    assert 'value="Typed while the screen was locked"' in offered_back
    action = re.search(r'<form method="post" action="(/interviews/[^"]+)"', offered_back).group(1)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', offered_back))
    fields.pop("csrf_token", None)
    assert client.post(action, data=fields).status_code == 302
    assert json.loads(reload(hub_db, rhi)["answers"])["place"] == "Typed while the screen was locked"


def test_the_missing_team_starts_an_interview_from_an_episode(signed_in, hub_db):
    child = make_child(hub_db, name="Casey Start")
    first = make_episode(hub_db, child, "2026-02-01 10:00", "2026-02-02 10:00")
    second = make_episode(hub_db, child, "2026-02-05 10:00", "2026-02-06 10:00")
    ids = {pk: hub_db.execute("select episode_id from episodes where id = ?", [pk]).fetchone()[0]
           for pk in (first, second)}
    team = signed_in("missing_team")
    start = f"/episodes/{ids[second]}/interview/start"
    page = team.get(start).get_data(as_text=True)
    assert ids[first] in page and ids[second] in page
    assert "Choose at least one episode" in team.post(start, data={}).get_data(as_text=True)
    response = team.post(start, data={"episodes": [ids[first], ids[second]]})
    assert response.status_code == 302 and response.location.endswith("/page/offer")
    rhi_id = response.location.split("/")[2]
    rhi = rhi_tracking.get_rhi(hub_db, rhi_id)
    assert [e["episode_id"] for e in rhi_tracking.episodes_of(hub_db, rhi["id"])] == [ids[first], ids[second]]
    assert signed_in("practitioner").get(start).status_code == 403


def test_every_page_renders_for_a_completed_interview(worker, rhi, hub_db):
    walk(worker, rhi, COMPLETED)
    for slug in COMPLETED:
        response = worker.get(url(rhi, slug))
        assert response.status_code == 200, slug
        assert "interviews-autosave.js" in response.get_data(as_text=True)
    tasks = worker.get(f"/interviews/{rhi['rhi_id']}/tasks").get_data(as_text=True)
    assert tasks.count("Completed") >= 6 and "Ready" in tasks


def test_made_up_answers_complete_and_sign_off(hub_db):
    rhi = make_rhi(hub_db, "worker")
    done = demo_answers.complete_with_made_up_answers(hub_db, rhi["rhi_id"], by="demo")
    assert done["status"] == "signed_off" and done["outcome"] == "completed" and done["offered_at"]
    answers = json.loads(done["answers"])
    assert set(answers) >= {"held_at", "where_went", "harm_indicators", "risk_level", "follow_up_actions"}
    assert interviews_summary.check_answers(done).ready
    declined = make_rhi(hub_db, "worker")
    rhi_tracking.record_offer(hub_db, declined["rhi_id"], "2026-03-02 10:00", "phone", "Sam")
    rhi_tracking.record_outcome(hub_db, declined["rhi_id"], "declined", reason="Said no")
    done = demo_answers.complete_with_made_up_answers(hub_db, declined["rhi_id"], by="demo")
    assert done["status"] == "signed_off" and done["outcome"] == "declined"


def test_demo_adds_drafts_and_signed_off_interviews(tmp_path):
    from rhi_desk.demo import fill as demo

    db = connect(tmp_path / "demo.db")
    summary = demo.fill(db)
    assert "interview" in summary
    statuses = {r["status"] for r in db.query("select status from return_home_interviews")}
    assert {"draft", "signed_off"} <= statuses


def test_a_background_save_after_the_session_locked_is_offered_back(app, users, hub_db):
    rhi = make_rhi(hub_db, "practitioner")
    client = app.test_client()
    sign_in(client, "practitioner")
    walk(client, rhi, {"offer": OFFER, "outcome": {"outcome": "completed"}})
    client.post("/lock")
    response = client.post(f"/interviews/{rhi['rhi_id']}/autosave/held", data={"place": "Half-typed pla"})
    assert "/sign-in" in response.location
    offered_back = sign_in(client, "practitioner").get_data(as_text=True)
    action = re.search(r'<form method="post" action="(/interviews/[^"]+)"', offered_back).group(1)
    response = client.post(action, data={"place": "Half-typed pla"}, headers={"Accept": "text/html"})
    assert response.status_code == 302 and response.location.endswith(url(rhi, "held"))
    assert 'value="Half-typed pla"' in client.get(response.location).get_data(as_text=True)


def test_the_practitioners_own_name_is_suggested(worker, rhi):
    assert 'value="Practitioner"' in worker.get(url(rhi, "offer")).get_data(as_text=True)


def test_typed_text_is_shown_as_text_never_as_markup(worker, rhi):
    walk(worker, rhi, {"offer": OFFER, "outcome": {"outcome": "declined"}})
    saved = worker.post(url(rhi, "not_done"), data={"not_done_code": "declined_by_child",
                                                    "outcome_reason": "<script>alert(1)</script>\nLine two",
                                                    "attempts": "One"})
    assert saved.status_code == 302, _errors(saved)
    check = worker.get(f"/interviews/{rhi['rhi_id']}/check").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in check
    assert re.search(r"&lt;script&gt;alert\(1\)&lt;/script&gt;\n\s*Line two", check)


def test_a_correction_asks_for_the_follow_up_it_calls_for(worker, rhi, hub_db):
    walk(worker, rhi, COMPLETED)
    worker.post(f"/interviews/{rhi['rhi_id']}/sign-off", data={"declaration": "yes"})
    correct = f"/interviews/{rhi['rhi_id']}/correct/police"
    assert "What did the police do?" in worker.get(correct).get_data(as_text=True)
    response = worker.post(correct, data={"police_involved": "yes", "police_details": "", "reason": "Police came"})
    assert _errors(response) == ["Enter what the police did"]
    response = worker.post(correct, data={"police_involved": "yes", "police_details": "Brought home by PC Lee",
                                          "reason": "Police came"})
    assert response.status_code == 302
    answers = json.loads(reload(hub_db, rhi)["answers"])
    assert (answers["police_involved"], answers["police_details"]) == ("yes", "Brought home by PC Lee")


def test_the_episode_page_leads_the_missing_team_to_the_interview_and_then_to_the_record(signed_in, hub_db):
    rhi = make_rhi(hub_db, None)  # the child's social worker is to interview
    episode = rhi_tracking.episodes_of(hub_db, rhi["id"])[0]["episode_id"]
    team = signed_in("missing_team")
    assert "Hold the interview now" not in team.get(f"/episodes/{episode}").get_data(as_text=True)
    hub_db.execute("update return_home_interviews set interviewer_type = 'missing_team'")
    page = team.get(f"/episodes/{episode}").get_data(as_text=True)
    assert f'href="/episodes/{episode}/interview/start"' in page and "Hold the interview now" in page
    assert team.get(f"/episodes/{episode}/interview/start").status_code == 200
    demo_answers.complete_with_made_up_answers(hub_db, rhi["rhi_id"], by="missing_team")
    page = team.get(f"/episodes/{episode}").get_data(as_text=True)
    assert f'href="/interviews/{rhi["rhi_id"]}/record"' in page and "Hold the interview now" not in page
    # A manager reads, but is not offered to hold the interview.
    rhi2 = make_rhi(hub_db, None, name="Other Child")
    hub_db.execute("update return_home_interviews set interviewer_type = 'missing_team' where id = ?", [rhi2["id"]])
    episode2 = rhi_tracking.episodes_of(hub_db, rhi2["id"])[0]["episode_id"]
    assert "Hold the interview now" in team.get(f"/episodes/{episode2}").get_data(as_text=True)
    assert "Hold the interview now" not in signed_in("manager").get(f"/episodes/{episode2}").get_data(as_text=True)


def test_the_missing_teams_list_holds_its_own_and_drafts_not_every_open_rhi(signed_in, hub_db, users):
    mine = make_rhi(hub_db, "missing_team", name="Alex Mine")
    make_rhi(hub_db, None, name="Blake Unassigned")
    text = signed_in("missing_team").get("/interviews").get_data(as_text=True)
    assert "Alex Mine" in text and "Blake Unassigned" not in text
    assert mine["rhi_id"] in text
