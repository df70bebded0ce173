"""Helpers for the intelligence tests: children whose signed-off interviews name places and people."""
from __future__ import annotations

import json

from interviews_support import make_child, make_episode

from rhi_desk.demo import answers as demo_answers
from rhi_desk.interviews.saving import _write_answers
from rhi_desk.interviews.sign_off import sign_off
from rhi_desk.register import rhi_tracking


def interviewed_child(db, name: str, *, start: str, end: str, places=(), people=(), harm=("county_lines",),
                      screening=(), assigned_to="practitioner") -> dict:
    """A child back from an episode, with a completed, signed-off interview naming ``places`` and ``people``."""
    child = make_child(db, name=name)
    episode = make_episode(db, child, start, end)
    rhi = rhi_tracking.create_rhi(db, [episode], assigned_to=assigned_to, by="test")
    demo_answers.complete_with_made_up_answers(db, rhi["rhi_id"], by="test")
    rhi = rhi_tracking.get_rhi(db, rhi["rhi_id"])
    answers = json.loads(rhi["answers"])
    answers.update(places=[dict(p) for p in places], people=[dict(p) for p in people],
                   harm_indicators=list(harm), screening=list(screening))
    db.execute("update return_home_interviews set answers = ? where id = ?", [json.dumps(answers), rhi["id"]])
    return {"child": child, "episode": episode, "rhi": rhi_tracking.get_rhi(db, rhi["rhi_id"])}
