"""Finding children: ids in any case, names that forgive a typo or a hyphen, filters, pages with a count.

A worker at the daily meeting types what they heard: "imp-c-002", "Sam Social Worker" for
"Sam Social-Worker", "Jonse" for "Jones". Ids match in any letter case through the id index. Names
are compared word by word after folding case, hyphens and apostrophes: each word typed must begin a
word of the name, or be within one edit of one (two for long words; a swap of two letters is one
edit). The database first narrows the names to those with a word starting with the same letter as
a word typed, so the comparison in Python stays small.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlite_utils

from rhi_desk.register.rules import PLACEMENTS

PER_PAGE = 25
STATUSES = {"looked_after": "Looked after by us", "ola": "Looked after by another council (OLA)",
            "not_looked_after": "Not looked after"}
_WORD = re.compile(r"[^\w]+")


@dataclass
class Filters:
    """What the list is narrowed to (None: any)."""

    status: str | None = None  # one of STATUSES
    placement: str | None = None  # one of PLACEMENTS
    missing_now: bool = False  # has an open episode
    social_worker: str | None = None  # the allocated worker, as recorded on the child

    def sql(self) -> tuple[list[str], list]:
        """WHERE clauses on children ``c`` and their parameters."""
        where, params = [], []
        if self.status == "looked_after":
            where.append("c.looked_after = 1 and c.other_la = 0")
        elif self.status == "ola":
            where.append("c.other_la = 1")
        elif self.status == "not_looked_after":
            where.append("c.looked_after = 0")
        if self.placement in PLACEMENTS:
            where.append("c.placement = ?")
            params.append(self.placement)
        if self.missing_now:
            where.append('exists (select 1 from episodes e where e.child = c.id and e."end" is null '
                         "and e.voided_at is null)")
        if self.social_worker:
            where.append("c.social_worker = ? collate nocase")
            params.append(self.social_worker)
        return where, params

    @property
    def any(self) -> bool:
        """True when at least one filter is set."""
        return bool(self.status or self.placement or self.missing_now or self.social_worker)


@dataclass
class Found:
    """One page of children found, and how many there are in all."""

    children: list[dict]
    total: int
    page: int = 1
    per_page: int = PER_PAGE
    query: str = ""
    filters: Filters = field(default_factory=Filters)

    @property
    def pages(self) -> int:
        """How many pages the results fill."""
        return max(1, -(-self.total // self.per_page))


def words(text: str | None) -> list[str]:
    """A name as lower-case words: hyphens, apostrophes and punctuation separate words."""
    return [w for w in _WORD.split((text or "").replace("'", "").replace("’", "").lower()) if w]


def _allowed(word: str) -> int:
    return 0 if len(word) <= 3 else 1 if len(word) <= 7 else 2


def distance(a: str, b: str, limit: int) -> int:
    """Edits (insert, delete, change, swap two neighbours) from a to b, or limit + 1 once over the limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if prev2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        prev2, prev = prev, row
    return prev[-1]


def name_score(typed: list[str], name: str) -> int | None:
    """How far the name is from what was typed (0: every word begins a word of the name), or None: no match."""
    name_words = words(name)
    if not name_words:
        return None
    joined = "".join(name_words)
    score = 0
    for w in typed:
        if any(n.startswith(w) for n in name_words) or (len(w) > 3 and w in joined):
            continue
        limit = _allowed(w)
        best = min(min(distance(w, n, limit), distance(w, n[:len(w)], limit) + 1) for n in name_words)
        if best > limit:
            return None
        score += best
    return score


def find_children(db: sqlite_utils.Database, query: str = "", filters: Filters | None = None, *,
                  page: int = 1, per_page: int = PER_PAGE) -> Found:
    """Children whose id is ``query`` (any case) or whose name matches it, narrowed by ``filters``, one page."""
    query = (query or "").strip()
    filters = filters or Filters()
    where, params = filters.sql()
    by_id_extra = (" and " + " and ".join(where)) if where else ""
    where = ["c.merged_into is null", *where]  # a merged record is found by its id only (it points on)
    page = max(1, page)
    if not query:
        clause = (" where " + " and ".join(where)) if where else ""
        total = db.execute(f"select count(*) from children c{clause}", params).fetchone()[0]
        rows = list(db.query(f"select c.* from children c{clause} order by c.updated_at desc, c.id desc "
                             f"limit ? offset ?", [*params, per_page, (page - 1) * per_page]))
        return Found(rows, total, page, per_page, query, filters)
    ranked: dict[int, tuple] = {}
    by_id = dict.fromkeys([query, query.upper(), query.lower()])
    extra = (" and " + " and ".join(where)) if where else ""
    for row in db.query(f"select c.id from children c where c.child_id in ({','.join('?' * len(by_id))}){by_id_extra}",
                        [*by_id, *params]):
        ranked[row["id"]] = (-1, "")
    typed = words(query)
    if typed:
        starts = sorted({w[0] for w in typed})
        likes = " or ".join(["c.name like ?", "c.name like ?", "c.name like ?"] * len(starts))
        like_params = [p for s in starts for p in (f"{s}%", f"% {s}%", f"%-{s}%")]
        for row in db.query(f"select c.id, c.name from children c where ({likes}){extra}", [*like_params, *params]):
            if row["id"] in ranked:
                continue
            score = name_score(typed, row["name"])
            if score is not None:
                ranked[row["id"]] = (score, row["name"].lower())
    order = sorted(ranked, key=lambda pk: ranked[pk])
    shown = order[(page - 1) * per_page: page * per_page]
    rows = {r["id"]: r for r in db.query(f"select * from children where id in ({','.join('?' * len(shown))})",
                                          shown)} if shown else {}
    return Found([rows[pk] for pk in shown], len(order), page, per_page, query, filters)


def social_workers(db: sqlite_utils.Database) -> list[str]:
    """The allocated workers named on children's records, for the filter."""
    return [r[0] for r in db.execute("select distinct social_worker from children where social_worker is not null "
                                     "and social_worker != '' order by social_worker collate nocase limit 500")]
