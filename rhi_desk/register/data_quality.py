"""Records that are valid one by one but doubtful together, for the missing team to fix.

Every condition DfE's SSDA903 validator (``lac_validator``, the Missing table) raises is caught
here first, at the minute rather than the day, so the annual return goes in clean:

=========  ======================================================================================
DfE rule   what this module lists
=========  ======================================================================================
1004       an episode start that is not a valid date and time
1005       an episode end that is not a valid date and time
1006       an episode type other than missing / away (DfE's M / A)
564        an episode type with no start
565        a start with no episode type
566        an end with no episode type
567        an end before the start
574        overlapping episodes of a child, and a new episode starting while an earlier one is open
586        an episode starting on or before the child's date of birth (DfE compares whole days)
=========  ======================================================================================

and beyond DfE: an RHI completed before the child returned (or while still missing), an RHI
completed or declined with no offer date (those outcomes imply an offer: ``counting.offered_sql``),
an RHI offered before the episode started, an RHI covering an episode that ended more than 30 days
before the interview, an episode starting on or after the child's 18th birthday (not a child's:
counted nowhere), and a looked-after child of ours with no date of birth (the 903 return needs one).
Voided episodes are left out of every check. RHI dates are compared by day,
because imported offers and completions carry a date only.

Each check is one query; the overlap checks read each child's episodes in the order they started (the
``episodes_child_start`` index) in one pass. The list is kept between visits (register migration 0075): the
register's triggers mark each child whose records change, and a visit checks only those children again, so
the list opens at once with years of history (a whole register is checked only on the first visit, after a
first import, and when a check changes: RULES_VERSION). ``find_issues_afresh`` checks everyone, as a test of
the kept list.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from rhi_desk.db import OperationalError, write_transaction
from rhi_desk.register import counting

# An interview held this long after the return is about a different time in the child's life: it
# probably should not count as the RHI for that episode.
STALE_COVER_DAYS = 30

# Change this whenever a check, its wording or what it reads changes: every child's issues are then found again.
RULES_VERSION = "2026-12-06.1"


@dataclass(frozen=True)
class Issue:
    """One doubtful record: what is wrong in plain words, and which child / episode to open."""

    check: str  # a short name, e.g. 'overlap'
    rule: str | None  # the DfE SSDA903 rule it would break, e.g. '574'
    description: str
    child_id: str
    episode_id: str | None = None
    rhi_id: str | None = None


CHECKS = {
    "invalid_start": ("1004", "Episode start is not a valid date and time"),
    "invalid_end": ("1005", "Episode end is not a valid date and time"),
    "invalid_type": ("1006", "Episode type is not missing or away"),
    "type_without_start": ("564", "Episode has a type but no start"),
    "start_without_type": ("565", "Episode has a start but no type"),
    "end_without_type": ("566", "Episode has an end but no type"),
    "end_before_start": ("567", "Episode ends before it starts"),
    "started_while_open": ("574", "A new episode started while an earlier one was still open"),
    "overlap": ("574", "Episodes of the same child overlap"),
    "before_birth": ("586", "Episode starts on or before the child's date of birth"),
    "adult_episode": (None, "Episode starts on or after the child's 18th birthday"),
    "no_date_of_birth": (None, "Looked-after child with no date of birth"),
    "rhi_completed_before_return": (None, "RHI completed before the child returned"),
    "rhi_completed_without_offer": (None, "RHI completed with no offer recorded"),
    "rhi_declined_without_offer": (None, "RHI declined with no offer date recorded"),
    "rhi_covers_old_episode": (None, f"RHI covers an episode that ended more than {STALE_COVER_DAYS} days before it"),
    "rhi_offered_before_start": (None, "RHI offered before the episode started"),
}

_VALID_MINUTE = """({col} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-2][0-9]:[0-5][0-9]*'
    AND date(substr({col}, 1, 10), '+0 days') IS substr({col}, 1, 10) AND substr({col}, 12, 2) <= '23')"""


def _when(text: str | None) -> str:
    return text or "no time recorded"


def find_issues(db: sqlite_utils.Database) -> list[Issue]:
    """Every data-quality issue in the register, ordered by child then episode.

    The kept list, with the children marked since checked again first; when someone else holds the write lock
    (a big import), those children are checked for this visit alone and the list is kept next time.
    """
    kept = _keep(db)
    if kept is None:
        with _reading(db):
            pending = "data_quality_pending"
            if not _rules_current(db):
                return _sorted(issue for _, issue in _check(db, None))
            kept = db.execute(f"SELECT {_KEPT_COLUMNS} FROM data_quality_issues WHERE child NOT IN "
                              f"(SELECT child FROM {pending})").fetchall()
            return _sorted([Issue(*row) for row in kept] + [issue for _, issue in _check(db, pending)])
    return _sorted(kept)


def find_issues_afresh(db: sqlite_utils.Database) -> list[Issue]:
    """Every issue, every child checked now (what the kept list must always equal)."""
    return _sorted(issue for _, issue in _check(db, None))


_KEPT_COLUMNS = "check_name, rule, description, child_id, episode_id, rhi_id"
QUICK_WAIT_MS = 200  # a visit waits this long for the write lock, then checks the changed children for itself


def _keep(db) -> list[Issue] | None:
    """Check the marked children again, keep their issues and read the whole kept list, in one transaction (a
    change committed meanwhile waits for it); None when the register is busy being written."""
    conn = db.conn
    if conn.in_transaction:
        return None  # inside someone else's transaction: read, never write
    waited = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    conn.execute(f"PRAGMA busy_timeout = {QUICK_WAIT_MS}")
    try:
        with write_transaction(db):
            if not _rules_current(db):
                db.execute("DELETE FROM data_quality_issues")
                db.execute("DELETE FROM data_quality_pending")
                found = _check(db, None)
                db.execute("UPDATE data_quality_state SET rules = ? WHERE id = 1", [RULES_VERSION])
            elif db.execute("SELECT EXISTS (SELECT 1 FROM data_quality_pending)").fetchone()[0]:
                db.execute("DELETE FROM data_quality_issues WHERE child IN (SELECT child FROM data_quality_pending)")
                found = _check(db, "data_quality_pending")
                db.execute("DELETE FROM data_quality_pending")
            else:
                found = []
            db.conn.executemany(
                "INSERT INTO data_quality_issues (child, check_name, rule, description, child_id, episode_id, "
                "rhi_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(child, i.check, i.rule, i.description, i.child_id, i.episode_id, i.rhi_id) for child, i in found])
            return [Issue(*row) for row in db.execute(f"SELECT {_KEPT_COLUMNS} FROM data_quality_issues")]
    except OperationalError as exc:
        if "locked" not in str(exc) and "busy" not in str(exc):
            raise
        return None
    finally:
        conn.execute(f"PRAGMA busy_timeout = {waited}")


class _reading:
    """One consistent view of the register for a read of several statements (joining a transaction open)."""

    def __init__(self, db):
        self.conn, self.began = db.conn, False

    def __enter__(self):
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")
            self.began = True

    def __exit__(self, *exc):
        if self.began:
            self.conn.execute("ROLLBACK")


def _rules_current(db) -> bool:
    return db.execute("SELECT rules FROM data_quality_state WHERE id = 1").fetchone() == (RULES_VERSION,)


def _sorted(issues) -> list[Issue]:
    order = {check: n for n, check in enumerate(CHECKS)}
    return sorted(issues, key=lambda i: (i.child_id, i.episode_id or "", order[i.check]))


def _check(db, only: str | None) -> list[tuple[int, Issue]]:
    """(child's row id, issue) for every child, or ``only`` those in that table (data_quality_pending)."""
    scope = _Scope(only)
    found: list[tuple[int, Issue]] = []
    found += _single_episode_issues(db, scope)
    found += _overlaps(db, scope)
    found += _rhi_issues(db, scope)
    found += _children_without_birth_date(db, scope)
    found += _adult_episodes(db, scope)
    found += _stale_covers(db, scope)
    return found


class _Scope:
    """The FROM clause each check starts from: every record, or only the records of the children in ``only``
    (read first, each child's records then found through the child's index)."""

    def __init__(self, only: str | None):
        def limited(table: str, column: str, index: str = "") -> str:
            if only is None:
                return f"{table}{index}"
            return f"{only} p CROSS JOIN {table}{index} ON {column} = p.child"

        self.episodes = limited("episodes e", "e.child")
        self.episodes_by_start = limited("episodes e", "e.child", " INDEXED BY episodes_child_start")
        self.rhis = limited("return_home_interviews r", "r.child")
        self.children = limited("children c", "c.id")


def counts(issues: list[Issue]) -> dict[str, int]:
    """How many issues of each check, in the order checks are listed."""
    found = {}
    for issue in issues:
        found[issue.check] = found.get(issue.check, 0) + 1
    return {check: found[check] for check in CHECKS if check in found}


def _issue(check: str, description: str, child: tuple, episode_id=None, rhi_id=None) -> tuple[int, Issue]:
    """``child``: the child's (row id, child_id)."""
    return child[0], Issue(check, CHECKS[check][0], description, child[1], episode_id, rhi_id)


def _single_episode_issues(db, scope: _Scope) -> list[tuple[int, Issue]]:
    valid_start = _VALID_MINUTE.format(col="e.start")
    valid_end = _VALID_MINUTE.format(col='e."end"')
    sql = f"""
        SELECT c.id, c.child_id, c.date_of_birth, e.episode_id, e.episode_type, e.start, e."end",
               coalesce(e.start, '') <> '' AND NOT {valid_start} AS bad_start,
               coalesce(e."end", '') <> '' AND NOT {valid_end} AS bad_end
        FROM {scope.episodes} JOIN children c ON c.id = e.child
        WHERE e.voided_at IS NULL AND (coalesce(e.start, '') = '' OR NOT {valid_start}
           OR (coalesce(e."end", '') <> '' AND NOT {valid_end})
           OR coalesce(e.episode_type, '') NOT IN ('missing', 'away')
           OR e."end" < e.start
           OR (c.date_of_birth IS NOT NULL AND substr(e.start, 1, 10) <= c.date_of_birth))
    """
    issues = []
    for pk, child_id, dob, episode_id, kind, start, end, bad_start, bad_end in db.execute(sql):
        child_id = (pk, child_id)
        kind = kind or ""
        if not kind:
            if start:
                issues.append(_issue("start_without_type", f"Episode {episode_id} has a start ({start}) but no type: "
                                                           f"record whether the child was missing or away", child_id,
                                     episode_id))
            if end:
                issues.append(_issue("end_without_type", f"Episode {episode_id} has an end ({end}) but no type: "
                                                         f"record whether the child was missing or away", child_id,
                                     episode_id))
        elif kind not in ("missing", "away"):
            issues.append(_issue("invalid_type", f"Episode {episode_id} has the type {kind!r}: record missing or away",
                                 child_id, episode_id))
        if not start:
            if kind:
                issues.append(_issue("type_without_start", f"Episode {episode_id} has no start: record when the child "
                                                           f"went missing or was last seen", child_id, episode_id))
        elif bad_start:
            issues.append(_issue("invalid_start", f"Episode {episode_id} starts at {start!r}, which is not a valid "
                                                  f"date and time: correct it", child_id, episode_id))
        if bad_end:
            issues.append(_issue("invalid_end", f"Episode {episode_id} ends at {end!r}, which is not a valid date "
                                                f"and time: correct it", child_id, episode_id))
        if start and end and not bad_start and not bad_end and end < start:
            issues.append(_issue("end_before_start", f"Episode {episode_id} ends ({end}) before it starts ({start}): "
                                                     f"check both times", child_id, episode_id))
        if dob and start and not bad_start and start[:10] <= dob:
            issues.append(_issue("before_birth", f"Episode {episode_id} starts on {start[:10]}, on or before the "
                                                 f"child's date of birth ({dob}): check the dates", child_id,
                                 episode_id))
    return issues


OPEN = "9999-12-31 23:59"  # an episode with no end is open: it overlaps whatever starts after it

# Each child's episodes in the order they started, read from the (child, start) index (the rowid breaks a
# tie, as it ends the index): one pass keeps the latest end so far, so memory stays flat. The same as a
# window function's running max (PARTITION BY child ORDER BY start, id), which took 5.8 s against 2.3 s on a
# register of a million imported episodes (tests/register/test_records_quality.py checks the two agree).
_BY_CHILD_AND_START = """
    SELECT c.id, c.child_id, e.episode_id, e.start, e."end" FROM {episodes}
    JOIN children c ON c.id = e.child
    WHERE e.voided_at IS NULL ORDER BY e.child, e.start, e.id
"""


def _overlaps(db, scope: _Scope) -> list[tuple[int, Issue]]:
    """Episodes starting before an earlier episode of the same child has ended (or while it is open)."""
    issues = []
    child = latest = previous_id = previous_end = None
    for pk, child_id, episode_id, start, end in db.execute(_BY_CHILD_AND_START.format(
            episodes=scope.episodes_by_start)):
        if pk != child:
            child, latest = pk, None
        elif start < latest and latest == OPEN:
            issues.append(_issue(
                "started_while_open",
                f"Episode {episode_id} starts ({start}) while an earlier episode"
                + (f" ({previous_id})" if previous_end is None else "")
                + " is still open: record when the child returned from the earlier one, or correct the start",
                (pk, child_id), episode_id))
        elif start < latest:
            issues.append(_issue(
                "overlap",
                f"Episode {episode_id} starts ({start}) before an earlier episode"
                + (f" ({previous_id}, ended {previous_end})" if previous_end and start < previous_end else "")
                + " ended: correct the times, or merge the episodes if they are one",
                (pk, child_id), episode_id))
        closes = end if end is not None else OPEN
        if latest is None or closes > latest:
            latest = closes
        previous_id, previous_end = episode_id, end
    return issues


def _rhi_issues(db, scope: _Scope) -> list[tuple[int, Issue]]:
    sql = f"""
        SELECT c.id, c.child_id, e.episode_id, r.rhi_id, r.outcome, r.offered_at, r.completed_at, e.start, e."end"
        FROM {scope.rhis}
        JOIN rhi_episodes re ON re.rhi = r.id
        JOIN episodes e ON e.id = re.episode
        JOIN children c ON c.id = r.child
        WHERE e.voided_at IS NULL AND ((r.outcome IN ('completed', 'declined') AND r.offered_at IS NULL)
           OR (r.outcome = 'completed' AND r.completed_at IS NOT NULL
               AND (e."end" IS NULL OR substr(r.completed_at, 1, 10) < substr(e."end", 1, 10)))
           OR (r.offered_at IS NOT NULL AND substr(r.offered_at, 1, 10) < substr(e.start, 1, 10)))
        ORDER BY c.child_id, e.start
    """
    issues = []
    reported_no_offer = set()
    for pk, child_id, episode_id, rhi_id, outcome, offered, completed, start, end in db.execute(sql):
        child_id = (pk, child_id)
        if outcome == "completed" and offered is None and rhi_id not in reported_no_offer:
            reported_no_offer.add(rhi_id)
            issues.append(_issue("rhi_completed_without_offer",
                                 f"The RHI for episode {episode_id} is completed but no offer is recorded: "
                                 f"record when it was offered", child_id, episode_id, rhi_id))
        if outcome == "declined" and offered is None and rhi_id not in reported_no_offer:
            reported_no_offer.add(rhi_id)
            issues.append(_issue("rhi_declined_without_offer",
                                 f"The RHI for episode {episode_id} was declined but no offer date is recorded "
                                 f"(a child can only decline an interview that was offered, so it counts as "
                                 f"offered): record when it was offered", child_id, episode_id, rhi_id))
        if outcome == "completed" and completed and (end is None or completed[:10] < end[:10]):
            issues.append(_issue("rhi_completed_before_return",
                                 f"The RHI for episode {episode_id} was completed on {completed[:10]}, "
                                 + ("but the child has not returned yet" if end is None
                                    else f"before the child returned ({end})")
                                 + ": check the dates", child_id, episode_id, rhi_id))
        if offered and offered[:10] < start[:10]:
            issues.append(_issue("rhi_offered_before_start",
                                 f"The RHI for episode {episode_id} was offered on {offered[:10]}, before the "
                                 f"episode started ({start}): check the dates", child_id, episode_id, rhi_id))
    return issues


def _children_without_birth_date(db, scope: _Scope) -> list[tuple[int, Issue]]:
    sql = f"""
        SELECT c.id, c.child_id FROM {scope.children}
        WHERE (c.date_of_birth IS NULL OR c.date_of_birth = '')
          AND EXISTS (SELECT 1 FROM episodes e WHERE e.child = c.id AND e.looked_after = 1 AND e.other_la = 0
                      AND e.voided_at IS NULL)
    """
    return [_issue("no_date_of_birth", f"Child {child_id} is looked after by us but has no date of birth, which "
                                       f"the DfE return needs: record it", (pk, child_id))
            for pk, child_id in db.execute(sql)]


def _adult_episodes(db, scope: _Scope) -> list[tuple[int, Issue]]:
    """Episodes on or after the 18th birthday: not a child's, so counted nowhere (``counting.adult_sql``)."""
    sql = f"""
        SELECT c.id, c.child_id, c.date_of_birth, e.episode_id, e.start FROM {scope.episodes}
        JOIN children c ON c.id = e.child
        WHERE e.voided_at IS NULL AND {counting.adult_sql()}
    """
    return [_issue("adult_episode", f"Episode {episode_id} starts on {start[:10]}, on or after the child's 18th "
                                    f"birthday (born {dob}), so it is not a child's missing episode and no figure "
                                    f"counts it: void it if it was recorded by mistake, or correct the date of birth",
                   (pk, child_id), episode_id)
            for pk, child_id, dob, episode_id, start in db.execute(sql)]


def _stale_covers(db, scope: _Scope) -> list[tuple[int, Issue]]:
    """Completed RHIs covering an episode that ended more than 30 days before the interview was held."""
    sql = f"""
        SELECT c.id, c.child_id, e.episode_id, r.rhi_id, e."end", r.completed_at
        FROM {scope.rhis} JOIN rhi_episodes re ON re.rhi = r.id
        JOIN episodes e ON e.id = re.episode JOIN children c ON c.id = r.child
        WHERE e.voided_at IS NULL AND r.outcome = 'completed' AND r.completed_at IS NOT NULL AND e."end" IS NOT NULL
          AND julianday(substr(r.completed_at, 1, 10)) - julianday(substr(e."end", 1, 10)) > {STALE_COVER_DAYS}
    """
    return [_issue("rhi_covers_old_episode",
                   f"The RHI held on {completed[:10]} covers episode {episode_id}, which ended on {end[:10]}, more "
                   f"than {STALE_COVER_DAYS} days before: check it really was about that episode, or take the "
                   f"episode off the interview", (pk, child_id), episode_id, rhi_id)
            for pk, child_id, episode_id, rhi_id, end, completed in db.execute(sql)]
