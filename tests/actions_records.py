"""A register holding the issue's children: an OLA child just returned, our child placed out of borough just
returned, a child missing three times in 30 days, and a child with nothing due."""
from __future__ import annotations

from datetime import datetime

from rhi_desk.register import children, episodes, rhi_tracking

NOW = datetime(2017, 4, 10, 9, 0)


def add_child(db, child_id, name, **values):
    values.setdefault("date_of_birth", "2003-05-01")
    values.setdefault("sex", "female")
    return children.create_child(db, child_id, name=name, by="mo", **values)


def episode(db, child_id, start, end=None, **values):
    made = episodes.record_missing(db, child_id, start=start, by="mo", **values)
    if end:
        made = episodes.record_found(db, made["episode_id"], end=end, by="mo")
    return made


def offer(db, episode_id, at):
    rhi = list(db.query("select r.rhi_id from return_home_interviews r join rhi_episodes re on re.rhi = r.id "
                        "join episodes e on e.id = re.episode where e.episode_id = ?", [episode_id]))[0]
    rhi_tracking.record_offer(db, rhi["rhi_id"], at, "phone", "Mo", by="mo")


def the_issues_register(db):
    """The issue's 'done when' register (call with the clock at :data:`NOW` or later)."""
    add_child(db, "OLA1", "Olu Ade", other_la=True, responsible_la="Sutton")
    episode(db, "OLA1", "2017-04-09 20:00", "2017-04-10 08:00", episode_id="E-OLA1")
    add_child(db, "OOB1", "Pat Reed", looked_after=True, placement="out_of_borough")
    episode(db, "OOB1", "2017-04-09 22:00", "2017-04-10 07:30", episode_id="E-OOB1")
    add_child(db, "REP1", "Remi Cole")
    for n, (start, end) in enumerate([("2017-03-20 18:00", "2017-03-20 23:00"),
                                      ("2017-03-28 18:00", "2017-03-28 22:00"),
                                      ("2017-04-09 19:00", "2017-04-09 23:00")]):
        episode(db, "REP1", start, end, episode_id=f"E-REP1-{n}")
    offer(db, "E-REP1-0", "2017-03-21 10:00")
    offer(db, "E-REP1-1", "2017-03-29 10:00")
    offer(db, "E-REP1-2", "2017-04-10 08:30")
    add_child(db, "CALM1", "Cal Moss")
    episode(db, "CALM1", "2017-04-05 18:00", "2017-04-05 21:00", episode_id="E-CALM1")
    offer(db, "E-CALM1", "2017-04-06 10:00")


def complete_interview(db, episode_id, **answers) -> str:
    """Hold and sign off the episode's interview with made-up answers (``answers`` replacing some); its rhi_id."""
    import json

    from rhi_desk.demo.answers import complete_with_made_up_answers

    rhi = list(db.query("select r.id, r.rhi_id from return_home_interviews r join rhi_episodes re on re.rhi = r.id "
                        "join episodes e on e.id = re.episode where e.episode_id = ?", [episode_id]))[0]
    complete_with_made_up_answers(db, rhi["rhi_id"], by="mo")
    if answers:
        stored = json.loads(db.execute("select answers from return_home_interviews where id = ?",
                                       [rhi["id"]]).fetchone()[0])
        db.execute("update return_home_interviews set answers = ? where id = ?",
                   [json.dumps({**stored, **answers}), rhi["id"]])
    return rhi["rhi_id"]
