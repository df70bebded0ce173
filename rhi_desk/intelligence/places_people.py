"""One register of the places and people children name: matching, the place or person page, merges.

A row a child's interview or found notification names (a *mention*) is matched to an entry of the
register by its words: a place by its name, a person by nickname, phone number or vehicle. What the
words cannot tell apart the missing team merges ("the Crown" and "Crown pub, CR0"): an audited merge that
is undone exactly, because each mention keeps the entry its own words matched (``raw_entity``).
"""
from __future__ import annotations

import json
import re

import sqlite_utils

from rhi_desk import audit
from rhi_desk.clock import now_iso
from rhi_desk.db import write_transaction
from rhi_desk.interviews.questions import PERSON_COLUMNS, PLACE_COLUMNS, PLACE_KINDS

KINDS = {"place": "Place", "person": "Person or group"}
COLUMNS = {"place": PLACE_COLUMNS, "person": PERSON_COLUMNS}
ANSWER_KEY = {"place": "places", "person": "people"}
UNKNOWN_WORDS = {"", "unknown", "not known", "dont know", "don t know", "did not say", "no name", "n a"}
_STOP = {"the", "a", "an"}


class IntelligenceError(Exception):
    """A problem with what was asked of the intelligence register, as a sentence."""


# ---------------------------------------------------------------------------------------------
# Matching words to an entry


def normal(text: str) -> str:
    """Words compared without case, punctuation or a leading 'the': 'The Crown!' → 'crown'."""
    words = re.sub(r"[^0-9a-z]+", " ", (text or "").lower().replace("'", "")).split()
    while words and words[0] in _STOP:
        words.pop(0)
    return " ".join(words)


def keys_for(kind: str, row: dict) -> list[str]:
    """The keys a row is matched by: a place's name (or only its area); a person's nickname, phone, vehicle."""
    name = normal(row.get("name", ""))
    keys = []
    if kind == "place":
        if name not in UNKNOWN_WORDS:
            keys.append(f"place:{name}")
        elif normal(row.get("area", "")):
            keys.append(f"place-area:{normal(row.get('area', ''))}")
        return keys
    if name not in UNKNOWN_WORDS:
        keys.append(f"person:{name}")
    digits = re.sub(r"\D", "", row.get("phone") or "")
    if digits.startswith("44") and len(digits) > 10:
        digits = "0" + digits[2:]
    if len(digits) >= 7:
        keys.append(f"phone:{digits}")
    vehicle = re.sub(r"[^0-9a-z]", "", (row.get("vehicle") or "").lower())
    if len(vehicle) >= 5 and any(c.isdigit() for c in vehicle):  # a registration, not "a black car"
        keys.append(f"vehicle:{vehicle}")
    return keys


def _resolve(db: sqlite_utils.Database, kind: str, row: dict, stamp: str) -> tuple[int, int] | None:
    """(raw entry, final entry) for a row: the entry one of its keys already names, else a new one."""
    keys = keys_for(kind, row)
    if not keys:
        return None
    raw = None
    for key in keys:
        found = db.execute("select entity from intel_entity_keys where key = ?", [key]).fetchone()
        if found:
            raw = found[0]
            break
    if raw is None:
        fields = {name: (row.get(name) or "").strip()[:200] for name, _label, _choices in COLUMNS[kind]
                  if name not in ("details", "kind")}
        if kind == "place":
            fields["place_kind"] = row.get("kind") or ""
        cursor = db.execute(
            f"insert into intel_entities (kind, {', '.join(fields)}, created_at) "
            f"values (?, {', '.join('?' * len(fields))}, ?)", [kind, *fields.values(), stamp])
        raw = cursor.lastrowid
        db.execute("update intel_entities set final = id where id = ?", [raw])
    for key in keys:
        db.execute("insert or ignore into intel_entity_keys (key, entity) values (?, ?)", [key, raw])
    final = db.execute("select final from intel_entities where id = ?", [raw]).fetchone()[0]
    return raw, final


def add_mentions(db, *, source: str, child: int, episode: int, seen_on: str, rhi: int | None,
                 places: list[dict], people: list[dict], by: str | None) -> int:
    """Record the rows a source named (inside the caller's transaction); returns how many were linked."""
    stamp = now_iso()
    count = 0
    for kind, rows in (("place", places), ("person", people)):
        for row in rows or []:
            if not isinstance(row, dict):
                continue
            resolved = _resolve(db, kind, row, stamp)
            if resolved is None:
                continue
            db.execute("insert into intel_mentions (source, rhi, episode, child, kind, raw_entity, entity, seen_on, "
                       "row_json, recorded_by, recorded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [source, rhi, episode, child, kind, *resolved, seen_on,
                        json.dumps(row, ensure_ascii=False), by, stamp])
            count += 1
    return count


def index_interview(db, rhi: dict, answers: dict, episodes: list[dict]) -> None:
    """Replace an interview's mentions with those its answers name now (inside the caller's transaction)."""
    db.execute("delete from intel_mentions where rhi = ? and source = 'interview'", [rhi["id"]])
    if not episodes:
        return
    last = max(episodes, key=lambda e: e["start"])
    add_mentions(db, source="interview", child=rhi["child"], episode=last["id"], seen_on=last["start"],
                 rhi=rhi["id"], places=answers.get("places") or [], people=answers.get("people") or [],
                 by=None)


def record_notification(db: sqlite_utils.Database, episode_id: str, places: list[dict], people: list[dict], *,
                        by: str) -> int:
    """The places and people a found notification named (replacing what it named before); audited."""
    with write_transaction(db):
        row = db.execute("select id, child, start from episodes where episode_id = ?", [episode_id]).fetchone()
        if row is None:
            raise IntelligenceError("That episode is not on the register")
        db.execute("delete from intel_mentions where episode = ? and source = 'notification'", [row[0]])
        count = add_mentions(db, source="notification", child=row[1], episode=row[0], seen_on=row[2], rhi=None,
                             places=places, people=people, by=by)
        audit.record(db, "intelligence.notification", username=by, object_type="episode", object_id=episode_id,
                     detail={"linked": count})
    return count


def notification_rows(db, episode_pk: int) -> dict[str, list[dict]]:
    """What a found notification named, as rows for its form."""
    rows = {"places": [], "people": []}
    for m in db.query("select kind, row_json from intel_mentions where episode = ? and source = 'notification' "
                      "order by id", [episode_pk]):
        rows[ANSWER_KEY[m["kind"]]].append(json.loads(m["row_json"]))
    return rows


# ---------------------------------------------------------------------------------------------
# The place or person page


def entity(db, entity_id: int) -> dict | None:
    """One entry of the register, with what it was merged into (if it was)."""
    rows = list(db.query("select * from intel_entities where id = ?", [entity_id]))
    if not rows:
        return None
    found = rows[0]
    found["kind_label"] = KINDS[found["kind"]]
    found["place_kind_label"] = PLACE_KINDS.get(found["place_kind"], "")
    return found


def title(entry: dict) -> str:
    """How an entry is named on a page: its name, else its phone, vehicle or area, else 'Unknown'."""
    return entry["name"] or entry["phone"] or entry["vehicle"] or entry["area"] or "Unknown"


PAGE = 200


def mention_count(db, entity_id: int) -> int:
    """How many times an entry was named (with those merged into it)."""
    return db.execute("select count(*) from intel_mentions where entity = ?", [entity_id]).fetchone()[0]


def mentions_of(db, entity_id: int, page: int = 1) -> list[dict]:
    """Every child and episode linked to an entry (and to those merged into it), newest first, a page at a time."""
    rows = list(db.query(
        "select m.id, m.source, m.seen_on, m.row_json, m.kind, c.child_id, c.name as child_name, "
        "e.episode_id, e.start, e.\"end\", r.rhi_id from intel_mentions m "
        "join children c on c.id = m.child join episodes e on e.id = m.episode "
        "left join return_home_interviews r on r.id = m.rhi where m.entity = ? order by m.seen_on desc, m.id "
        "limit ? offset ?", [entity_id, PAGE, (max(page, 1) - 1) * PAGE]))
    for row in rows:
        row["row"] = json.loads(row.pop("row_json"))
    return rows


def children_linked(db, entity_id: int, limit: int = 500) -> list[dict]:
    """The children linked to an entry (the ``limit`` most recent): how many times, first and last date."""
    # Read newest first along the (entity, seen_on) index until ``limit`` children are found, so an entry
    # named by thousands of children costs about what one named by a few hundred does.
    recent: list[int] = []
    seen: set[int] = set()
    for (child,) in db.execute("select child from intel_mentions where entity = ? order by seen_on desc",
                               [entity_id]):
        if child not in seen:
            seen.add(child)
            recent.append(child)
            if len(recent) == limit:
                break
    if not recent:
        return []
    rows = list(db.query(
        f"select c.child_id, c.name, count(*) as times, min(m.seen_on) as first_seen, max(m.seen_on) as last_seen "
        f"from intel_mentions m join children c on c.id = m.child where m.entity = ? "
        f"and m.child in ({','.join('?' * len(recent))}) group by m.child", [entity_id, *recent]))
    return sorted(rows, key=lambda r: r["last_seen"], reverse=True)


def children_count(db, entity_id: int) -> int:
    """How many children are linked to an entry."""
    return db.execute("select count(distinct child) from intel_mentions where entity = ?", [entity_id]).fetchone()[0]


def also_known_as(db, entity_id: int) -> list[dict]:
    """The entries merged into this one (their own names), each with its merge."""
    return list(db.query(
        "select e.*, g.id as merge_id, g.merged_by, g.merged_at from intel_entities e "
        "join intel_merges g on g.merged = e.id and g.into_entity = e.merged_into and g.undone_at is null "
        "where e.merged_into = ? order by e.id", [entity_id]))


def candidates(db, entity_id: int, limit: int = 10) -> list[dict]:
    """Entries that may be the same as this one: a shared word of their name, or the same area or phone."""
    entry = entity(db, entity_id)
    if entry is None:
        return []
    words = [w for w in normal(entry["name"]).split() if len(w) >= 3][:4]
    clauses, params = [], []
    for w in words:
        clauses.append("(' ' || lower(name) || ' ') like ?")
        params.append(f"% {w}%")
    for column in ("phone", "vehicle") if entry["kind"] == "person" else ("area",):
        if entry[column]:
            clauses.append(f"lower({column}) = lower(?)")
            params.append(entry[column])
    if not clauses:
        return []
    return list(db.query(
        f"select * from intel_entities where kind = ? and id != ? and merged_into is null and ({' or '.join(clauses)}) "
        f"order by name limit {int(limit)}", [entry["kind"], entity_id, *params]))


def search(db, kind: str | None, words: str, limit: int = 50) -> list[dict]:
    """Entries (not merged away) whose name, area, phone or vehicle holds the words, most linked first."""
    where, params = ["e.merged_into is null"], []
    if kind in KINDS:
        where.append("e.kind = ?")
        params.append(kind)
    text = (words or "").strip()
    if text:
        where.append("(e.name like ? or e.area like ? or e.phone like ? or e.vehicle like ?)")
        params += [f"%{text}%"] * 4
    return list(db.query(
        f"select e.*, (select count(distinct m.child) from intel_mentions m where m.entity = e.id) as children "
        f"from intel_entities e where {' and '.join(where)} order by children desc, e.name limit {int(limit)}",
        params))


# ---------------------------------------------------------------------------------------------
# Merges: audited, undone exactly


def _repoint(db, root: int) -> None:
    """Recompute ``final`` for ``root`` and every entry merged into it (at any depth), and their mentions."""
    final = root
    seen = {root}
    while True:
        parent = db.execute("select merged_into from intel_entities where id = ?", [final]).fetchone()[0]
        if parent is None or parent in seen:
            break
        seen.add(parent)
        final = parent
    tree, frontier = [root], [root]
    while frontier:
        frontier = [r[0] for r in db.execute(
            f"select id from intel_entities where merged_into in ({','.join('?' * len(frontier))})", frontier)]
        tree += frontier
    for start in range(0, len(tree), 500):
        chunk = tree[start:start + 500]
        marks = ",".join("?" * len(chunk))
        db.execute(f"update intel_entities set final = ? where id in ({marks})", [final, *chunk])
        db.execute(f"update intel_mentions set entity = ? where raw_entity in ({marks})", [final, *chunk])


def merge(db: sqlite_utils.Database, merged_id: int, into_id: int, *, by: str) -> int:
    """Count ``merged_id`` as the same place or person as ``into_id`` from now on; returns the merge's id."""
    with write_transaction(db):
        merged, into = entity(db, merged_id), entity(db, into_id)
        if merged is None or into is None:
            raise IntelligenceError("That place or person is not on the register")
        if merged["kind"] != into["kind"]:
            raise IntelligenceError("A place can only be merged with a place, and a person with a person")
        if merged_id == into_id or into["final"] == merged_id or merged["final"] == into["final"]:
            raise IntelligenceError("These are already counted as one")
        if merged["merged_into"] is not None:
            raise IntelligenceError(f"{title(merged)} is already merged into another entry; open that one instead")
        db.execute("update intel_entities set merged_into = ? where id = ?", [into["final"], merged_id])
        _repoint(db, merged_id)
        cursor = db.execute("insert into intel_merges (merged, into_entity, merged_by, merged_at) values (?, ?, ?, ?)",
                            [merged_id, into["final"], by, now_iso()])
        audit.record(db, "intelligence.merge", username=by, object_type=merged["kind"], object_id=str(merged_id),
                     detail={"merged": title(merged), "into": into["final"], "into_name": title(into)})
    return cursor.lastrowid


def undo_merge(db: sqlite_utils.Database, merge_id: int, *, by: str) -> int:
    """Separate a merged entry again, exactly as it was before; returns the entry's id."""
    with write_transaction(db):
        rows = list(db.query("select * from intel_merges where id = ?", [merge_id]))
        if not rows or rows[0]["undone_at"]:
            raise IntelligenceError("That merge has already been undone")
        merge_row = rows[0]
        merged = entity(db, merge_row["merged"])
        if merged["merged_into"] != merge_row["into_entity"]:
            raise IntelligenceError("That merge has already been undone")
        db.execute("update intel_entities set merged_into = null where id = ?", [merged["id"]])
        _repoint(db, merged["id"])
        db.execute("update intel_merges set undone_by = ?, undone_at = ? where id = ?", [by, now_iso(), merge_id])
        audit.record(db, "intelligence.merge_undone", username=by, object_type=merged["kind"],
                     object_id=str(merged["id"]), detail={"merge": merge_id, "from": merge_row["into_entity"]})
    return merged["id"]
