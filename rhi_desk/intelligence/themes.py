"""Themes by month: exploitation, push and pull factors and the team's own themes, with drill-down.

A theme is counted in the month the child went missing (the episode's start), once per child: "3 children
in March named county lines". Built-in themes come from each interview's answers (kept in
``intel_theme_facts`` by :mod:`rhi_desk.intelligence.refresh`); the team's own ("Albanian-based
criminality") from an analyst's tag on an interview or on a place or person — a tagged place counts for
every child linked to it. Children placed here by other councils are counted too: their exploitation
happens here.
"""
from __future__ import annotations

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import write_transaction
from rhi_desk.intelligence.places_people import IntelligenceError
from rhi_desk.interviews.questions import HARM_INDICATORS, PULL_FACTORS, PUSH_FACTORS
from rhi_desk.register.counting import adult_sql, is_adult_episode, live_sql

# One meaning per word (register/counting.py): a voided episode, or one after the 18th birthday, counts nowhere.
_COUNTED = f"{live_sql('e')} and not {adult_sql('e.start', 'c.date_of_birth')}"

EXPLOITATION = ("cse", "cce", "county_lines", "gangs", "trafficking", "online")
GROUPS = (
    ("exploitation", "Exploitation"),
    ("harm", "Other signs of harm"),
    ("push", "Push factors (what made them leave)"),
    ("pull", "Pull factors (what drew them away)"),
    ("team", "The team's own themes"),
)


def builtin_themes() -> list[tuple[str, str, str]]:
    """(code, label, group) of every theme read from the answers, in the order shown."""
    themes = [(k, HARM_INDICATORS[k], "exploitation") for k in EXPLOITATION]
    themes += [(k, v, "harm") for k, v in HARM_INDICATORS.items() if k not in EXPLOITATION]
    themes += [(f"push:{k}", v, "push") for k, v in PUSH_FACTORS.items()]
    themes += [(f"pull:{k}", v, "pull") for k, v in PULL_FACTORS.items()]
    return themes


def all_themes(db) -> list[tuple[str, str, str]]:
    """Every theme, the team's own last."""
    return builtin_themes() + [(f"team:{r['id']}", r["label"], "team")
                               for r in db.query("select id, label from intel_team_themes order by label")]


def theme_label(db, code: str) -> str | None:
    """A theme's words, or None for an unknown code."""
    return next((label for c, label, _g in all_themes(db) if c == code), None)


def codes_in(answers: dict) -> list[str]:
    """The built-in theme codes an interview's answers hold."""
    def listed(key):
        value = answers.get(key)
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    codes = [c for c in listed("harm_indicators") if c in HARM_INDICATORS]
    codes += [f"push:{c}" for c in listed("push_factors") if c in PUSH_FACTORS]
    codes += [f"pull:{c}" for c in listed("pull_factors") if c in PULL_FACTORS]
    return list(dict.fromkeys(codes))


def index_interview(db, rhi: dict, answers: dict, episodes: list[dict]) -> None:
    """Replace an interview's theme facts with what its answers say now (inside the caller's transaction)."""
    db.execute("delete from intel_theme_facts where rhi = ?", [rhi["id"]])
    counted = [e for e in episodes if not e.get("voided_at")
               and not is_adult_episode(e.get("date_of_birth"), e["start"])]
    rows = [(rhi["id"], code, e["id"], e["start"][:7], rhi["child"]) for code in codes_in(answers) for e in counted]
    if rows:
        db.conn.executemany("insert or ignore into intel_theme_facts (rhi, theme, episode, month, child) "
                            "values (?, ?, ?, ?, ?)", rows)


# CROSS JOIN keeps SQLite's join order: from the few tags out, never from every episode in the months.
_TEAM_FACTS = """
    select 'team:' || t.theme as theme, substr(e.start, 1, 7) as month, e.child, e.id as episode, m.rhi as rhi
    from intel_theme_tags t cross join intel_entities te cross join intel_mentions m cross join episodes e
    where t.entity is not null and te.id = t.entity and m.entity = te.final and e.id = m.episode
      and e.start >= :start and e.start < :stop
    union
    select 'team:' || t.theme, substr(e.start, 1, 7), e.child, e.id, t.rhi
    from intel_theme_tags t cross join rhi_episodes re cross join episodes e
    where t.rhi is not null and re.rhi = t.rhi and e.id = re.episode and e.start >= :start and e.start < :stop"""


_FACTS = "select theme, month, child, episode, rhi from intel_theme_facts where month between :first and :last"


def _bounds(first: str, last: str) -> dict:
    if not (len(first) == 7 and len(last) == 7 and first <= last):
        raise IntelligenceError("Choose the months as YYYY-MM, the first no later than the last")
    year, month = int(last[:4]), int(last[5:7])
    stop = f"{year + (month == 12)}-{(month % 12) + 1:02d}"
    return {"start": first, "stop": stop, "first": first, "last": last}


def months(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (YYYY-MM)."""
    _bounds(first, last)
    found, year, month = [], int(first[:4]), int(first[5:7])
    while f"{year}-{month:02d}" <= last:
        found.append(f"{year}-{month:02d}")
        year, month = year + (month == 12), month % 12 + 1
    return found


def by_month(db: sqlite_utils.Database, first: str, last: str) -> dict:
    """Children per theme per month: {'months': [...], 'rows': [{code, label, group, counts, total}]}."""
    params = _bounds(first, last)
    counts: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    team = (f"select f.theme, f.month, f.child from ({_TEAM_FACTS}) f join episodes e on e.id = f.episode "
            f"join children c on c.id = f.child where {_COUNTED}")
    for counted in (_FACTS, team):  # the answers' facts hold counted episodes only
        for row in db.query(f"select theme, month, count(distinct child) as n from ({counted}) "
                            f"group by theme, month", params):
            counts.setdefault(row["theme"], {})[row["month"]] = row["n"]
        for row in db.query(f"select theme, count(distinct child) as n from ({counted}) group by theme", params):
            totals[row["theme"]] = row["n"]
    rows = [{"code": code, "label": label, "group": group, "counts": counts.get(code, {}),
             "total": totals.get(code, 0)} for code, label, group in all_themes(db)]
    return {"months": months(first, last), "rows": rows, "groups": GROUPS}


def drill(db: sqlite_utils.Database, code: str, first: str, last: str) -> list[dict]:
    """The children behind a theme's count in the months: each child with the episodes, newest first."""
    params = dict(_bounds(first, last), code=code)
    if code.startswith("team:"):
        source = f"select * from ({_TEAM_FACTS}) where theme = :code"
    else:
        source = "select * from intel_theme_facts where theme = :code and month between :first and :last"
    return list(db.query(
        f"select c.child_id, c.name, e.episode_id, e.start, e.\"end\", r.rhi_id from ({source}) f "
        f"join children c on c.id = f.child join episodes e on e.id = f.episode "
        f"left join return_home_interviews r on r.id = f.rhi where {_COUNTED} order by e.start desc, c.child_id",
        params))


def children_with(db, code: str, first: str, last: str) -> set[int]:
    """The children (database ids) a theme counts in the months: the network view's theme filter."""
    params = dict(_bounds(first, last), code=code)
    if code.startswith("team:"):
        sql = f"select distinct child from ({_TEAM_FACTS}) where theme = :code"
    else:
        sql = "select distinct child from intel_theme_facts where theme = :code and month between :first and :last"
    return {r[0] for r in db.execute(sql, params)}


# ---------------------------------------------------------------------------------------------
# The team's own themes


def add_team_theme(db: sqlite_utils.Database, label: str, description: str = "", *, by: str) -> int:
    """Add a theme the analysts count ("Albanian-based criminality"); returns its id."""
    label = " ".join((label or "").split())
    if not label:
        raise IntelligenceError("Enter the name of the theme")
    if len(label) > 80:
        raise IntelligenceError("The theme's name must be 80 characters or fewer")
    if any(label.lower() == existing.lower() for _c, existing, _g in all_themes(db)):
        raise IntelligenceError(f"There is already a theme called '{label}'")
    with write_transaction(db):
        cursor = db.execute("insert into intel_team_themes (label, description, created_by, created_at) "
                            "values (?, ?, ?, ?)", [label, (description or "").strip()[:500], by, now_iso()])
        audit.record(db, "intelligence.theme_added", username=by, object_type="theme", object_id=cursor.lastrowid,
                     detail={"label": label})
    return cursor.lastrowid


def team_themes(db) -> list[dict]:
    """The team's own themes with how many interviews and places or people carry each."""
    return list(db.query(
        "select t.*, (select count(*) from intel_theme_tags g where g.theme = t.id and g.rhi is not null) "
        "as interviews, (select count(*) from intel_theme_tags g where g.theme = t.id and g.entity is not null) "
        "as entities from intel_team_themes t order by t.label"))


def tag(db: sqlite_utils.Database, theme_id: int, *, rhi_id: str | None = None, entity_id: int | None = None,
        by: str, remove: bool = False) -> None:
    """Tag (or untag) an interview or a place or person with one of the team's themes; audited."""
    if not db.execute("select 1 from intel_team_themes where id = ?", [theme_id]).fetchone():
        raise IntelligenceError("Choose one of the team's themes")
    with write_transaction(db):
        if rhi_id is not None:
            row = db.execute("select id from return_home_interviews where rhi_id = ?", [rhi_id]).fetchone()
            if row is None:
                raise IntelligenceError("That interview is not on the register")
            column, value, object_type, object_id = "rhi", row[0], "rhi", rhi_id
        else:
            if not db.execute("select 1 from intel_entities where id = ?", [entity_id]).fetchone():
                raise IntelligenceError("That place or person is not on the register")
            column, value, object_type, object_id = "entity", entity_id, "entity", entity_id
        if remove:
            db.execute(f"delete from intel_theme_tags where theme = ? and {column} = ?", [theme_id, value])
        else:
            db.execute(f"insert or ignore into intel_theme_tags (theme, {column}, tagged_by, tagged_at) "
                       f"values (?, ?, ?, ?)", [theme_id, value, by, now_iso()])
        audit.record(db, "intelligence.untagged" if remove else "intelligence.tagged", username=by,
                     object_type=object_type, object_id=object_id, detail={"theme": theme_id})


def tags_of(db, *, rhi_pk: int | None = None, entity_id: int | None = None) -> list[dict]:
    """The team's themes on an interview or an entry."""
    column, value = ("rhi", rhi_pk) if rhi_pk is not None else ("entity", entity_id)
    return list(db.query(f"select t.id, t.label from intel_theme_tags g join intel_team_themes t on t.id = g.theme "
                         f"where g.{column} = ? order by t.label", [value]))
