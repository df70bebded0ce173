"""The network of children, places and people: one child's (or one entry's) two-step neighbourhood,
or the whole picture for a period, filtered by theme. Nodes and links for the graph and its table."""
from __future__ import annotations

import sqlite_utils

from rhi_desk.intelligence import themes
from rhi_desk.intelligence.places_people import title

MAX_ENTRIES = 150
CHILDREN_PER_ENTRY = 30  # the most recent; the entry's own page lists every child


def _period(first: str | None, last: str | None) -> tuple[str, list]:
    sql, params = "", []
    if first:
        sql += " and m.seen_on >= ?"
        params.append(first)
    if last:
        bounds = themes._bounds(last, last)
        sql += " and m.seen_on < ?"
        params.append(bounds["stop"])
    return sql, params


def _graph(db, links: list[dict], children_allowed: set[int] | None) -> dict:
    """Nodes and links from (child, entity) pairs, each with its count and dates."""
    if children_allowed is not None:
        links = [link for link in links if link["child"] in children_allowed]
    child_ids = sorted({link["child"] for link in links})
    entity_ids = sorted({link["entity"] for link in links})
    nodes = []
    for start in range(0, len(child_ids), 500):
        chunk = child_ids[start:start + 500]
        for c in db.query(f"select id, child_id, name from children where id in ({','.join('?' * len(chunk))})",
                          chunk):
            nodes.append({"id": f"c{c['id']}", "type": "child", "label": c["name"] or c["child_id"],
                          "ref": c["child_id"]})
    for start in range(0, len(entity_ids), 500):
        chunk = entity_ids[start:start + 500]
        for e in db.query(f"select * from intel_entities where id in ({','.join('?' * len(chunk))})", chunk):
            nodes.append({"id": f"e{e['id']}", "type": e["kind"], "label": title(e), "ref": e["id"]})
    labels = {n["id"]: n["label"] for n in nodes}
    edges = [{"source": f"c{link['child']}", "target": f"e{link['entity']}", "times": link["times"],
              "first_seen": link["first_seen"], "last_seen": link["last_seen"],
              "child_label": labels.get(f"c{link['child']}", ""), "entity_label": labels.get(f"e{link['entity']}", "")}
             for link in links]
    return {"nodes": nodes, "edges": edges}


def _links(db, where: str, params: list, keep_child: int | None = None) -> list[dict]:
    """(child, entry) links, at most the CHILDREN_PER_ENTRY most recent children of each entry (and ``keep_child``)."""
    return list(db.query(
        f"select child, entity, times, first_seen, last_seen from ("
        f"select m.child, m.entity, count(*) as times, min(m.seen_on) as first_seen, max(m.seen_on) as last_seen, "
        f"row_number() over (partition by m.entity order by max(m.seen_on) desc) as rank "
        f"from intel_mentions m where {where} group by m.entity, m.child) "
        f"where rank <= {CHILDREN_PER_ENTRY} or child = ?", [*params, keep_child]))


def _recent_links(db, entries: list[int], period: str, params: list, keep_child: int) -> list[dict]:
    """Each entry's links to its most recent children (read newest first along the index, so a place named by
    thousands costs no more than one named by thirty), and always the centre child's own."""
    pairs: set[tuple[int, int]] = set()
    for entity in entries:
        recent: list[int] = []
        for (child,) in db.execute(f"select m.child from intel_mentions m where m.entity = ?{period} "
                                   f"order by m.seen_on desc limit {CHILDREN_PER_ENTRY * 10}", [entity, *params]):
            if child not in recent:
                recent.append(child)
                if len(recent) == CHILDREN_PER_ENTRY:
                    break
        pairs.update((entity, child) for child in recent)
        pairs.add((entity, keep_child))
    links = []
    for entity, child in sorted(pairs):
        row = db.execute(f"select count(*), min(m.seen_on), max(m.seen_on) from intel_mentions m "
                         f"where m.entity = ? and m.child = ?{period}", [entity, child, *params]).fetchone()
        if row[0]:
            links.append({"child": child, "entity": entity, "times": row[0], "first_seen": row[1],
                          "last_seen": row[2]})
    return links


def _theme_children(db, theme: str | None, first: str | None, last: str | None) -> set[int] | None:
    if not theme:
        return None
    return themes.children_with(db, theme, first or "1900-01", last or "2999-12")


def around_child(db: sqlite_utils.Database, child_pk: int, first: str | None = None, last: str | None = None,
                 theme: str | None = None) -> dict:
    """A child's two-step neighbourhood: the places and people they named, and the other children who named them."""
    period, params = _period(first, last)
    entries = [r[0] for r in db.execute(
        f"select distinct m.entity from intel_mentions m where m.child = ?{period} limit {MAX_ENTRIES}",
        [child_pk, *params])]
    if not entries:
        return _graph(db, [], None)
    allowed = _theme_children(db, theme, first, last)
    if allowed is not None:
        allowed.add(child_pk)
    return _graph(db, _recent_links(db, entries, period, params, child_pk), allowed)


def around_entity(db: sqlite_utils.Database, entity_id: int, first: str | None = None, last: str | None = None,
                  theme: str | None = None) -> dict:
    """An entry's two-step neighbourhood: the children linked to it, and the other places and people they named."""
    period, params = _period(first, last)
    allowed = _theme_children(db, theme, first, last)
    children = [r[0] for r in db.execute(
        f"select m.child from intel_mentions m where m.entity = ?{period} group by m.child "
        f"order by max(m.seen_on) desc", [entity_id, *params])]
    if allowed is not None:
        children = [c for c in children if c in allowed]
    children = children[:CHILDREN_PER_ENTRY * 2]
    if not children:
        return _graph(db, [], None)
    marks = ",".join("?" * len(children))
    return _graph(db, _links(db, f"m.child in ({marks}){period}", [*children, *params]), None)


def overview(db: sqlite_utils.Database, first: str | None = None, last: str | None = None,
             theme: str | None = None) -> dict:
    """Places and people that link two or more children in the period (the most linked first), with the children."""
    period, params = _period(first, last)
    allowed = _theme_children(db, theme, first, last)
    candidates = list(db.execute(
        f"select m.entity, count(distinct m.child) as n from intel_mentions m where 1 = 1{period} "
        f"group by m.entity having n >= 2 order by n desc limit {MAX_ENTRIES * 4}", params))
    entries = [r[0] for r in candidates][:MAX_ENTRIES * 4]
    if not entries:
        return _graph(db, [], None)
    marks = ",".join("?" * len(entries))
    links = _links(db, f"m.entity in ({marks}){period}", [*entries, *params])
    if allowed is not None:
        links = [link for link in links if link["child"] in allowed]
        counts: dict[int, set] = {}
        for link in links:
            counts.setdefault(link["entity"], set()).add(link["child"])
        keep = {e for e, kids in counts.items() if len(kids) >= 2}
        links = [link for link in links if link["entity"] in keep]
    keep = set(sorted({link["entity"] for link in links},
                      key=lambda e: -sum(1 for link in links if link["entity"] == e))[:MAX_ENTRIES])
    return _graph(db, [link for link in links if link["entity"] in keep], None)
