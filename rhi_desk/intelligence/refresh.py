"""Reading changed interviews into the intelligence picture: places and people, themes, screening.

A trigger queues every interview whose answers or episodes change (saved pages, sign-off, corrections,
sync imports, the personal content removed at a deletion) in ``intel_pending``; :func:`refresh` reads
the queue. The intelligence pages call it first, so what they show is never behind the interviews.
"""
from __future__ import annotations

import json

import sqlite_utils

from rhi_desk.db import write_transaction
from rhi_desk.intelligence import places_people, screening, themes

BATCH = 2000


def _answers(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def pending(db) -> int:
    """How many interviews wait to be read."""
    return db.execute("select count(*) from intel_pending").fetchone()[0]


def refresh(db: sqlite_utils.Database, limit: int | None = None) -> int:
    """Read the queued interviews (all, or up to ``limit``); returns how many were read."""
    done = 0
    with write_transaction(db):
        # Interviews with no answers that never named anything: nothing to read.
        db.execute("""delete from intel_pending where rhi in (
            select p.rhi from intel_pending p left join return_home_interviews r on r.id = p.rhi
            where (r.id is null or r.answers is null or r.answers in ('', '{}'))
              and not exists (select 1 from intel_mentions m where m.rhi = p.rhi)
              and not exists (select 1 from intel_theme_facts f where f.rhi = p.rhi)
              and not exists (select 1 from intel_screenings s where s.rhi = p.rhi))""")
    while limit is None or done < limit:
        size = BATCH if limit is None else min(BATCH, limit - done)
        with write_transaction(db):
            rows = list(db.query("select r.id, r.child, r.answers from intel_pending p "
                                 "join return_home_interviews r on r.id = p.rhi order by p.rhi limit ?", [size]))
            if not rows:
                db.execute("delete from intel_pending")  # only interviews since deleted remain
                break
            for rhi in rows:
                answers = _answers(rhi["answers"])
                episodes = list(db.query("select e.id, e.start, e.\"end\", e.voided_at, c.date_of_birth "
                                         "from rhi_episodes re join episodes e on e.id = re.episode "
                                         "join children c on c.id = e.child where re.rhi = ?", [rhi["id"]]))
                places_people.index_interview(db, rhi, answers, episodes)
                themes.index_interview(db, rhi, answers, episodes)
                screening.index_interview(db, rhi, answers, episodes)
            db.conn.executemany("delete from intel_pending where rhi = ?", [(r["id"],) for r in rows])
        done += len(rows)
    return done
