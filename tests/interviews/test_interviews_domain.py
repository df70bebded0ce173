"""The guided interview's domain without a browser: the answer keys other areas read, drafts, revisions."""
from __future__ import annotations

import json

import pytest
from interviews_support import make_rhi

from rhi_desk.demo import answers
from rhi_desk.interviews import navigation, questions, saving, sign_off
from rhi_desk.register import rhi_tracking

# Keys the KPI, high-risk list and sync read from a signed-off interview's answers.
SHARED_KEYS = {
    "held_at": "datetime", "place": "text", "interviewer_name": "text", "interviewer_type": "radios",
    "seen_alone": "radios", "confidentiality_explained": "radios", "where_went": "textarea", "where_area": "text",
    "who_with": "textarea", "travel": "textarea", "activities": "textarea", "felt_missing": "radios",
    "push_factors": "checkboxes", "pull_factors": "checkboxes", "in_their_words": "textarea",
    "harm_suffered": "textarea", "harm_indicators": "checkboxes", "police_involved": "radios",
    "risk_level": "radios", "what_would_help": "textarea", "stop_it_happening": "textarea",
    "anything_else": "textarea", "referrals": "checkboxes", "information_shared": "textarea",
    "follow_up_actions": "actions", "safety_advice_given": "radios", "carers_information": "textarea",
}


def test_every_shared_answer_key_is_asked_with_the_agreed_kind():
    assert {k: questions.QUESTIONS[k].kind for k in SHARED_KEYS} == SHARED_KEYS
    assert set(questions.QUESTIONS["harm_indicators"].choices) == set(questions.HARM_INDICATORS)
    assert set(questions.REFERRALS) == {"police_intelligence", "cse_cce_panel", "health", "early_help", "camhs",
                                         "substance_service", "none"}
    assert set(questions.QUESTIONS["risk_level"].choices) == {"low", "medium", "high"}
    assert set(questions.QUESTIONS["felt_missing"].choices) == {"yes", "no", "not_sure"}


def test_the_sections_come_in_the_order_of_the_form():
    assert [s.title for s in questions.SECTIONS] == [
        "About the interview", "While missing", "Why", "Harm and risk", "The child's voice", "Actions",
        "Information from carers"]


def test_the_pages_asked_depend_on_the_outcome_and_the_answers(hub_db):
    rhi = make_rhi(hub_db)
    assert [p.slug for p in navigation.visible_pages(rhi)] == ["offer", "outcome"]
    declined = [p.slug for p in navigation.visible_pages({"outcome": "declined"})]
    assert declined == ["offer", "outcome", "not_done", "carers"]
    done = [p.slug for p in navigation.visible_pages({"outcome": "completed", "harm_indicators": []})]
    assert "harm_details" not in done and "police_details" not in done and "carers" not in done
    flagged = [p.slug for p in navigation.visible_pages({"outcome": "completed", "harm_indicators": ["cse"],
                                                         "police_involved": "yes", "seen_alone": "no"})]
    assert {"harm_details", "police_details", "who_present"} <= set(flagged)


def test_a_draft_is_kept_apart_from_the_answers_until_the_page_is_saved(hub_db):
    rhi = make_rhi(hub_db)
    saving.autosave(hub_db, rhi["rhi_id"], "offer", {"offered_by": "Sam Wor"}, by="sam")
    saved = rhi_tracking.get_rhi(hub_db, rhi["rhi_id"])
    assert saved["status"] == "draft" and saved["resume_at"] == "offer" and saved["offered_by"] is None
    assert saving.form_values(hub_db, saved, "offer") == {"offered_by": ["Sam Wor"]}
    with pytest.raises(questions.InterviewError) as problem:
        saving.save_page(hub_db, rhi["rhi_id"], "offer", {"offered_by": "Sam Worker"}, by="sam")
    assert problem.value.errors["offered_at"] == "Enter the date the interview was offered"
    # The failed save kept what was typed.
    assert saving.form_values(hub_db, saved, "offer") == {"offered_by": ["Sam Worker"]}
    saving.save_page(hub_db, rhi["rhi_id"], "offer", {"offered_at": "2026-03-02 10:00", "offered_how": "text",
                                                          "offered_by": "Sam Worker"}, by="sam")
    assert saving.draft_for(hub_db, saved, "offer") is None


def test_a_correction_keeps_the_earlier_revision_whole(hub_db):
    rhi = make_rhi(hub_db)
    answers.complete_with_made_up_answers(hub_db, rhi["rhi_id"], by="sam")
    with pytest.raises(questions.InterviewError):
        saving.save_page(hub_db, rhi["rhi_id"], "risk_level", {"risk_level": "low"}, by="sam")
    with pytest.raises(questions.InterviewError):
        sign_off.correct(hub_db, rhi["rhi_id"], "", {"risk_level": "low"}, by="sam")
    sign_off.correct(hub_db, rhi["rhi_id"], "Risk agreed at supervision", {"risk_level": "low"}, by="lead")
    sign_off.correct(hub_db, rhi["rhi_id"], "Area was wrong", {"where_area": "Sutton"}, by="lead")
    history = sign_off.revisions(hub_db, rhi["rhi_id"])
    assert [r.number for r in history] == [3, 2, 1]
    assert [json.loads(r.record["answers"])["risk_level"] for r in history] == ["low", "low", "medium"]
    assert history[2].replaced_reason == "Risk agreed at supervision" and history[2].replaced_by == "lead"
    assert json.loads(history[0].record["answers"])["where_area"] == "Sutton"
    with pytest.raises(Exception):
        hub_db.execute("update rhi_revisions set reason = 'changed'")


def test_a_correction_that_calls_for_a_follow_up_needs_it_answered(hub_db):
    rhi = make_rhi(hub_db)
    answers.complete_with_made_up_answers(hub_db, rhi["rhi_id"], by="sam")
    sign_off.correct(hub_db, rhi["rhi_id"], "No police after all", {"police_involved": "no"}, by="sam")
    assert "police_details" not in json.loads(rhi_tracking.get_rhi(hub_db, rhi["rhi_id"])["answers"])
    with pytest.raises(questions.InterviewError) as problem:
        sign_off.correct(hub_db, rhi["rhi_id"], "Police were there", {"police_involved": "yes"}, by="sam")
    assert "police" in str(problem.value).lower()
    sign_off.correct(hub_db, rhi["rhi_id"], "Police were there",
                       {"police_involved": "yes", "police_details": "Brought home by PC Lee"}, by="sam")


def test_made_up_answers_sign_off_an_rhi_whose_offer_came_from_an_import(hub_db):
    """The demo's 'complete assigned' works on imported history, whose offer holds only the day."""
    rhi = make_rhi(hub_db)  # went missing 2026-03-01 18:00
    hub_db.execute("update return_home_interviews set offered_at = '2026-03-01 00:00' where id = ?", [rhi["id"]])
    done = answers.complete_with_made_up_answers(hub_db, rhi["rhi_id"], by="demo")
    assert done["status"] == "signed_off" and done["outcome"] == "completed"
    assert done["offered_at"] >= "2026-03-01 18:00" and done["offered_how"] and done["offered_by"]
