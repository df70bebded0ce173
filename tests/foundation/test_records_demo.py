"""The demo register: loaded through the real import, with something on every list."""
from __future__ import annotations

from datetime import datetime, timedelta

import time_machine

from rhi_desk.db import connect
from rhi_desk.demo import fill as demo
from rhi_desk.demo import register as demo_register
from rhi_desk.register import data_quality


def test_demo_fills_through_the_import_with_every_kind_of_record(tmp_path):
    moment = datetime(2026, 3, 10, 14, 30)
    with time_machine.travel(moment, tick=False):
        db = connect(tmp_path / "demo.db")
        summary = demo.fill(db)
        assert "150 children" in summary and "imported from an episode register CSV" in summary
        q = lambda sql, *p: db.execute(sql, p).fetchall()  # noqa: E731
        assert q("select count(*) from children where child_id like 'DC0%' and name = ''") == [(0,)]
        assert q("select count(*) from audit_log where action = 'episodes.import' and object_id = 'demo-episode-register.csv'") == [(1,)]
        types = dict(q("select episode_type, count(*) from episodes where episode_id like 'DE0%' group by 1"))
        assert types["missing"] > 3 * types["away"] > 0
        assert q("select count(*) from episodes where other_la = 1")[0][0] > 0
        assert q("select count(*) from episodes where \"end\" is null")[0][0] >= 2
        first = q("select min(start) from episodes where episode_id like 'DE0%'")[0][0]
        assert first >= (moment - timedelta(days=310)).strftime("%Y-%m-%d")
        since = (moment - timedelta(hours=72)).strftime("%Y-%m-%d %H:%M")
        returned_no_offer = q(
            "select count(*) from episodes e join rhi_episodes re on re.episode = e.id "
            "join return_home_interviews r on r.id = re.rhi where e.\"end\" >= ? and r.offered_at is null", since)
        assert returned_no_offer[0][0] >= 1
        overdue = q("select count(*) from episodes e join rhi_episodes re on re.episode = e.id "
                    "join return_home_interviews r on r.id = re.rhi "
                    "where e.\"end\" < ? and r.offered_at is null and r.outcome is null", since)
        assert overdue[0][0] >= 1
        outcomes = {o for (o,) in q("select distinct outcome from return_home_interviews")}
        assert {"completed", "declined", "unavailable", "missing_again"} <= outcomes
        kinds = {k for (k,) in q("select distinct interviewer_type from return_home_interviews")}
        assert {"social_worker", "missing_team", "provider"} <= kinds
        assert q("select count(*) from return_home_interviews where assigned_to = 'worker' "
                 "and interviewer_type = 'social_worker'")[0][0] >= 1
        assert q("select count(*) from return_home_interviews where assigned_to = 'Safe Steps' "
                 "and interviewer_type = 'provider'")[0][0] >= 1
        repeaters = q("select count(*) from (select child from episodes group by child having count(*) >= 4)")
        assert repeaters[0][0] >= 5
        assert [i for i in data_quality.find_issues(db) if i.episode_id and i.episode_id.startswith("DE0")] == []


def test_demo_rows_are_relative_to_now():
    at = datetime(2030, 1, 1, 8, 0)
    rows, names = demo_register.build_rows(at)
    assert len(names) == demo_register.CHILDREN
    assert all(r["start"] < at.strftime("%Y-%m-%d %H:%M") for r in rows)
    assert all(not r["end"] or r["end"] < at.strftime("%Y-%m-%d %H:%M") for r in rows)
