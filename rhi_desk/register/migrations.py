"""The register's schema additions (numbers 0010-0019 and 0070-0079): the register's own tables, their history
and the indexes of the hub's busy pages."""
from sqlite_utils import Migrations

from rhi_desk.migrations import _script

migrations = Migrations("rhi_desk")  # the one set every area shares: names stay as shipped


@migrations(name="0010_register_indexes")
def m0010_register_indexes(db):
    # The children list opens on the most recently changed records; RHIs waiting for an offer
    # feed Today's overdue list, so that list never scans years of finished interviews.
    _script(
        db,
        """
CREATE INDEX IF NOT EXISTS children_updated ON children (updated_at);
CREATE INDEX IF NOT EXISTS rhi_awaiting_offer ON return_home_interviews (id)
    WHERE offered_at IS NULL AND outcome IS NULL
""",
    )


@migrations(name="0011_corrections")
def m0011_corrections(db):
    # A duplicate or mistaken episode is voided, never deleted: it stays on the child's page,
    # struck through, with who voided it and why, and is counted nowhere. Why an RHI was not done
    # is recorded from a coded list (the reasons chart reads the code, the text says more).
    _script(
        db,
        """
ALTER TABLE episodes ADD COLUMN voided_at TEXT;
ALTER TABLE episodes ADD COLUMN voided_by TEXT;
ALTER TABLE episodes ADD COLUMN void_reason TEXT;
ALTER TABLE return_home_interviews ADD COLUMN not_done_code TEXT
    CHECK (not_done_code IN ('declined_by_child', 'parent_carer_refused', 'could_not_contact', 'missing_again',
                             'moved_out_of_area', 'other') OR not_done_code IS NULL)
""",
    )


# What the KPIs read, with when each value was recorded and when it was replaced, so a month's
# table can be given again exactly as it stood at the end of any day (reports.kpi, as_recorded_on).
# Each row is one version: valid from recorded_from (inclusive) until recorded_to (exclusive; NULL
# while current). Triggers keep them, so every writer (the pages, the import, sync, the demo) is
# covered; the time comes from rhi_desk_now(), which rhi_desk.db registers on every connection so
# that a frozen clock in tests freezes history too.
_HISTORY_COLUMNS = {
    "episodes": ("episode_history", ["child", "episode_type", "start", '"end"', "looked_after", "other_la",
                                     "placement", "voided_at"]),
    "return_home_interviews": ("rhi_history", ["child", "interviewer_type", "offered_at", "outcome",
                                               "completed_at", "assigned_to"]),
    "children": ("child_history", ["date_of_birth"]),
}


def _history_triggers(table: str) -> list[str]:
    """The three triggers keeping ``table``'s history, one statement each (bodies hold semicolons)."""
    history, columns = _HISTORY_COLUMNS[table]
    names = ", ".join(columns)
    new_values = ", ".join(f"new.{c}" for c in columns)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
    close = f"UPDATE {history} SET recorded_to = rhi_desk_now() WHERE id = {{row}}.id AND recorded_to IS NULL;"
    insert = f"INSERT INTO {history} (id, {names}, recorded_from) VALUES (new.id, {new_values}, rhi_desk_now());"
    return [
        f"CREATE TRIGGER {history}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        (f"CREATE TRIGGER {history}_update AFTER UPDATE ON {table} WHEN {changed} "
         f"BEGIN {close.format(row='new')} {insert} END"),
        f"CREATE TRIGGER {history}_delete AFTER DELETE ON {table} BEGIN {close.format(row='old')} END",
    ]


@migrations(name="0012_recorded_history")
def m0012_recorded_history(db):
    # History starts here: what a database already holds is taken as recorded when it was created.
    _script(
        db,
        """
CREATE TABLE episode_history (
    version INTEGER PRIMARY KEY,
    id INTEGER NOT NULL,
    child INTEGER NOT NULL,
    episode_type TEXT NOT NULL,
    start TEXT NOT NULL,
    "end" TEXT,
    looked_after INTEGER NOT NULL,
    other_la INTEGER NOT NULL,
    placement TEXT,
    voided_at TEXT,
    recorded_from TEXT NOT NULL,
    recorded_to TEXT
);
-- Covering indexes: an 'as recorded on' table reads each version from the index alone, so it costs
-- little more than today's (build/bench_kpi.py measures both in one run).
CREATE INDEX episode_history_start ON episode_history (start, recorded_from, recorded_to, episode_type, other_la,
                                                       voided_at, child, looked_after, id);
CREATE INDEX episode_history_current ON episode_history (id) WHERE recorded_to IS NULL;
CREATE TABLE rhi_history (
    version INTEGER PRIMARY KEY,
    id INTEGER NOT NULL,
    child INTEGER NOT NULL,
    interviewer_type TEXT,
    offered_at TEXT,
    outcome TEXT,
    completed_at TEXT,
    assigned_to TEXT,
    recorded_from TEXT NOT NULL,
    recorded_to TEXT
);
CREATE INDEX rhi_history_id ON rhi_history (id, recorded_from, recorded_to, outcome, offered_at, interviewer_type);
CREATE TABLE rhi_episode_history (
    version INTEGER PRIMARY KEY,
    rhi INTEGER NOT NULL,
    episode INTEGER NOT NULL,
    recorded_from TEXT NOT NULL,
    recorded_to TEXT
);
CREATE INDEX rhi_episode_history_episode ON rhi_episode_history (episode, rhi, recorded_from, recorded_to);
CREATE TABLE child_history (
    version INTEGER PRIMARY KEY,
    id INTEGER NOT NULL,
    date_of_birth TEXT,
    recorded_from TEXT NOT NULL,
    recorded_to TEXT
);
CREATE INDEX child_history_id ON child_history (id, recorded_from, recorded_to, date_of_birth);
INSERT INTO episode_history (id, child, episode_type, start, "end", looked_after, other_la, placement, voided_at,
                             recorded_from)
    SELECT id, child, episode_type, start, "end", looked_after, other_la, placement, voided_at, created_at
    FROM episodes ORDER BY start, id;
INSERT INTO rhi_history (id, child, interviewer_type, offered_at, outcome, completed_at, assigned_to, recorded_from)
    SELECT id, child, interviewer_type, offered_at, outcome, completed_at, assigned_to, created_at
    FROM return_home_interviews;
INSERT INTO rhi_episode_history (rhi, episode, recorded_from)
    SELECT re.rhi, re.episode, r.created_at FROM rhi_episodes re JOIN return_home_interviews r ON r.id = re.rhi;
INSERT INTO child_history (id, date_of_birth, recorded_from) SELECT id, date_of_birth, created_at FROM children
""",
    )
    triggers = [
        ("CREATE TRIGGER rhi_episode_history_insert AFTER INSERT ON rhi_episodes BEGIN INSERT INTO "
         "rhi_episode_history (rhi, episode, recorded_from) VALUES (new.rhi, new.episode, rhi_desk_now()); END"),
        ("CREATE TRIGGER rhi_episode_history_delete AFTER DELETE ON rhi_episodes BEGIN UPDATE rhi_episode_history "
         "SET recorded_to = rhi_desk_now() WHERE rhi = old.rhi AND episode = old.episode AND recorded_to IS NULL; END"),
    ]
    for table in _HISTORY_COLUMNS:
        triggers += _history_triggers(table)
    for statement in triggers:
        db.execute(statement)
@migrations(name="0018_police_fields")
def m0018_police_fields(db):
    # Police data as police use it: the police reference (or CAD number) stays in police_reference; the
    # crime reference and the COMPACT record have their own fields; where the child was missing from and
    # where found are structured (place or postcode, and the type of place) beside the free text.
    for column in ("crime_reference", "compact_reference", "missing_from_place", "missing_from_postcode",
                   "missing_from_type", "found_place", "found_postcode", "found_type"):
        db.execute(f"ALTER TABLE episodes ADD COLUMN {column} TEXT")


@migrations(name="0019_police_risk_gradings")
def m0019_police_risk_gradings(db):
    # Every grading and regrading of the police risk, as the police gave it (College of Policing levels:
    # very low, low, medium, high). episodes.police_risk holds the latest; its 'no_apparent' is the
    # level the College of Policing now calls 'very low'.
    _script(db, """
CREATE TABLE police_risk_gradings (
    id INTEGER PRIMARY KEY,
    episode INTEGER NOT NULL REFERENCES episodes (id),
    grade TEXT NOT NULL CHECK (grade IN ('very_low', 'low', 'medium', 'high')),
    graded_at TEXT NOT NULL,
    graded_by TEXT,
    reason TEXT,
    recorded_by TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX police_risk_gradings_episode ON police_risk_gradings (episode, graded_at)
""")


@migrations(name="0014_users_password_reset")
def m0014_users_password_reset(db):
    # An administrator's password reset: the user signs in once with the temporary password and must
    # set their own before anything else opens. (Kept in the register's numbers, the block this work
    # was given; the column belongs to the foundation's users table.)
    _script(db, "ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0")


@migrations(name="0015_register_awaiting_outcome")
def m0015_register_awaiting_outcome(db):
    # Today's "offered, awaiting the interview or its outcome": offers with no outcome, by offer time,
    # so the list never scans years of finished interviews.
    _script(
        db,
        """
CREATE INDEX IF NOT EXISTS rhi_awaiting_outcome ON return_home_interviews (offered_at)
    WHERE offered_at IS NOT NULL AND outcome IS NULL
""",
    )


@migrations(name="0070_import_mappings")
def m0070_import_mappings(db):
    # A council's export mapped once onto the register (its headers, date order and words), saved by
    # name for next month's file. Saving one is audited (rhi_desk/register/import_mapping.py).
    _script(
        db,
        """
CREATE TABLE IF NOT EXISTS import_mappings (
    name TEXT PRIMARY KEY,
    mapping TEXT NOT NULL,
    saved_by TEXT,
    saved_at TEXT NOT NULL
)
""",
    )


@migrations(name="0016_record_versions")
def m0016_record_versions(db):
    # Two people on the hub can open the same record: each child, episode and RHI carries a version,
    # raised by the database on every change whoever makes it (a page, the import, a sync file), so a
    # save made from an older version is caught instead of silently overwriting the other person's.
    statements = []
    for table in ("children", "episodes", "return_home_interviews"):
        statements.append(f"ALTER TABLE {table} ADD COLUMN version INTEGER NOT NULL DEFAULT 1")
        statements.append(
            f"CREATE TRIGGER {table}_version AFTER UPDATE ON {table} WHEN NEW.version = OLD.version "
            f"BEGIN UPDATE {table} SET version = OLD.version + 1 WHERE id = NEW.id; END")
    for statement in statements:
        db.execute(statement)


@migrations(name="0017_allocation")
def m0017_allocation(db):
    # Who in the missing team works on an episode or an RHI (a username): shown on Today and in
    # My interviews. Separate from assigned_to, which names who holds the interview itself.
    _script(
        db,
        """
ALTER TABLE episodes ADD COLUMN allocated_to TEXT;
ALTER TABLE return_home_interviews ADD COLUMN allocated_to TEXT;
CREATE INDEX episodes_allocated ON episodes (allocated_to) WHERE allocated_to IS NOT NULL;
CREATE INDEX rhi_allocated ON return_home_interviews (allocated_to) WHERE allocated_to IS NOT NULL
""",
    )


@migrations(name="0013_merges")
def m0013_merges(db):
    # Duplicates merged (register/merges.py): a merged child record stays, pointing at the kept one; each
    # merge writes down what it moved, so an administrator can undo exactly that.
    _script(
        db,
        """
ALTER TABLE children ADD COLUMN merged_into INTEGER REFERENCES children (id);
CREATE TABLE register_merges (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('child', 'episode')),
    kept TEXT NOT NULL,
    merged TEXT NOT NULL,
    moved TEXT NOT NULL,
    reason TEXT NOT NULL,
    merged_at TEXT NOT NULL,
    merged_by TEXT,
    undone_at TEXT,
    undone_by TEXT
);
CREATE INDEX children_name_birth ON children (date_of_birth) WHERE merged_into IS NULL
""",
    )


# The register's history as a system-versioned temporal table (as SQL Server's and MariaDB's are): the
# current version of each record lives only in its own table, with the time it was recorded from
# (``recorded_from``); the history tables hold only the versions since replaced (``recorded_to`` always set).
# So adding a record writes no history at all; a change writes one closed row (the old values, from their
# recorded_from to now) and moves the record's recorded_from to now; a delete writes the old row closed now.
# Figures as recorded on a day read the record tables and the history tables together (reports.kpi).
_KEYS = {"episodes": ("id",), "return_home_interviews": ("id",), "children": ("id",),
         "rhi_episodes": ("rhi", "episode")}
_HISTORY = {"episodes": "episode_history", "return_home_interviews": "rhi_history", "children": "child_history",
            "rhi_episodes": "rhi_episode_history"}


def _temporal_triggers(table: str) -> list[str]:
    """The triggers keeping ``table``'s current version stamped and its replaced versions in its history."""
    history = _HISTORY[table]
    columns = list(_KEYS[table]) + ([] if table == "rhi_episodes" else _HISTORY_COLUMNS[table][1])
    names = ", ".join(columns)
    old_values = ", ".join(f"old.{c}" for c in columns)
    where = " AND ".join(f"{k} = new.{k}" for k in _KEYS[table])
    closed = (f"INSERT INTO {history} ({names}, recorded_from, recorded_to) "
              f"VALUES ({old_values}, coalesce(old.recorded_from, rhi_desk_now()), rhi_desk_now());")
    # The new version starts exactly when the old one ends (the time just written, not the clock again).
    ended = f"(SELECT recorded_to FROM {history} WHERE version = last_insert_rowid())"
    statements = [
        # Whoever adds a record (a page, sync, a merge, the demo) need not stamp it; the import stamps its own.
        (f"CREATE TRIGGER {history}_insert AFTER INSERT ON {table} WHEN new.recorded_from IS NULL "
         f"BEGIN UPDATE {table} SET recorded_from = rhi_desk_now() WHERE {where}; END"),
        f"CREATE TRIGGER {history}_delete AFTER DELETE ON {table} BEGIN {closed} END",
    ]
    if table != "rhi_episodes":  # a link is added or removed, never changed
        changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns[1:])
        statements.append(
            f"CREATE TRIGGER {history}_update AFTER UPDATE ON {table} WHEN {changed} BEGIN {closed} "
            f"UPDATE {table} SET recorded_from = {ended} WHERE {where} AND recorded_from IS NOT {ended}; END")
    return statements


@migrations(name="0071_current_versions_in_main_tables")
def m0071_current_versions_in_main_tables(db):
    # Issue 18: the import wrote every record twice (the record and its open history row) and kept one
    # more index for the open rows. From here on a record's current version is only the record itself.
    for table, history in _HISTORY.items():
        # Every trigger on the table is set aside while recorded_from is filled in, so filling it raises no
        # record's version and marks no month's figures as changed; all but the old history ones come back.
        kept = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                          [table]).fetchall()
        for name, _ in kept:
            db.execute(f'DROP TRIGGER "{name}"')
        match = " AND ".join(f"h.{k} = {table}.{k}" for k in _KEYS[table])
        if table == "rhi_episodes":  # a link has no time of its own: its RHI's, as migration 0012 took it
            fallback = "(SELECT r.created_at FROM return_home_interviews r WHERE r.id = rhi_episodes.rhi)"
        else:
            fallback = "created_at"
        db.execute(f"ALTER TABLE {table} ADD COLUMN recorded_from TEXT")
        db.execute(f"UPDATE {table} SET recorded_from = coalesce((SELECT h.recorded_from FROM {history} h "
                   f"WHERE {match} AND h.recorded_to IS NULL ORDER BY h.version DESC LIMIT 1), {fallback})")
        # An open version of a record no longer held (none should exist) ends now instead of standing forever.
        orphan = " AND ".join(f"t.{k} = {history}.{k}" for k in _KEYS[table])
        db.execute(f"UPDATE {history} SET recorded_to = rhi_desk_now() WHERE recorded_to IS NULL "
                   f"AND NOT EXISTS (SELECT 1 FROM {table} t WHERE {orphan})")
        db.execute(f"DELETE FROM {history} WHERE recorded_to IS NULL")
        for statement in _temporal_triggers(table):
            db.execute(statement)
        for name, sql in kept:
            if name in {f"{history}_insert", f"{history}_update", f"{history}_delete"}:
                continue
            if name == f"{table}_version":
                # A record's version (issue 11's optimistic locking, migration 0016) is raised by a change
                # people make, never by the history triggers stamping recorded_from.
                sql = (f"CREATE TRIGGER {table}_version AFTER UPDATE ON {table} WHEN NEW.version = OLD.version "
                       f"AND NEW.recorded_from IS OLD.recorded_from "
                       f"BEGIN UPDATE {table} SET version = OLD.version + 1 WHERE id = NEW.id; END")
            db.execute(sql)
    db.execute("DROP INDEX IF EXISTS episode_history_current")


@migrations(name="0072_drop_episodes_open_index")
def m0072_drop_episodes_open_index(db):
    # episodes_open ("end", only where "end" IS NULL) is served by episodes_end ("end"): "missing now" on
    # Today reads the same few rows through either (0.3-0.4 ms at 1,000,000 episodes), and a million-row
    # import built both (issue 18).
    _script(db, "DROP INDEX IF EXISTS episodes_open")


# An RHI's history keeps every version again, the current one open (as migration 0012 kept it), beside the
# RHI's own recorded_from. The tables as recorded on a day find each episode's RHIs by their id inside a
# per-episode count (reports.kpi); SQLite cannot take a UNION of the RHIs and their replaced versions into
# that count, so it built the whole union first: 2.2 s instead of 0.64 s at 1,000,000 episodes. The links
# and the episodes, read by a union SQLite handles well, keep only their replaced versions (0071).
_RHI_COLUMNS = ["id"] + _HISTORY_COLUMNS["return_home_interviews"][1]


def _rhi_every_version_triggers(numbered: bool = False) -> list[str]:
    """The triggers keeping every version of an RHI in its history; ``numbered``: each RHI's versions numbered
    from 1 (migration 0074; before, the version was the history's rowid)."""
    names = ", ".join(_RHI_COLUMNS)
    new_values = ", ".join(f"new.{c}" for c in _RHI_COLUMNS)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in _RHI_COLUMNS[1:])
    close = "UPDATE rhi_history SET recorded_to = rhi_desk_now() WHERE id = {row}.id AND recorded_to IS NULL;"
    if numbered:
        names, new_values = f"version, {names}", f"{NEXT_RHI_VERSION.format(row='new.id')}, {new_values}"
    opened = (f"INSERT INTO rhi_history ({names}, recorded_from) VALUES ({new_values}, "
              f"(SELECT recorded_from FROM return_home_interviews WHERE id = new.id));")
    stamp = ("UPDATE return_home_interviews SET recorded_from = rhi_desk_now() "
             "WHERE id = new.id AND recorded_from IS NULL;")
    ended = ("(SELECT recorded_to FROM rhi_history WHERE id = new.id AND recorded_to IS NOT NULL "
             "ORDER BY version DESC LIMIT 1)")
    return [
        f"CREATE TRIGGER rhi_history_insert AFTER INSERT ON return_home_interviews BEGIN {stamp} {opened} END",
        (f"CREATE TRIGGER rhi_history_update AFTER UPDATE ON return_home_interviews WHEN {changed} "
         f"BEGIN {close.format(row='new')} UPDATE return_home_interviews SET recorded_from = {ended} "
         f"WHERE id = new.id AND recorded_from IS NOT {ended}; {opened} END"),
        f"CREATE TRIGGER rhi_history_delete AFTER DELETE ON return_home_interviews BEGIN {close.format(row='old')} END",
    ]


@migrations(name="0073_rhi_history_every_version")
def m0073_rhi_history_every_version(db):
    names = ", ".join(_RHI_COLUMNS)
    for kind in ("insert", "update", "delete"):
        db.execute(f"DROP TRIGGER IF EXISTS rhi_history_{kind}")
    db.execute(f"INSERT INTO rhi_history ({names}, recorded_from) SELECT {names}, recorded_from "
               f"FROM return_home_interviews ORDER BY id")
    for statement in _rhi_every_version_triggers():
        db.execute(statement)


# An RHI's history clustered by RHI: a WITHOUT ROWID table keyed by (id, version), each RHI's versions numbered
# from 1. It was a rowid table (version the rowid, counted across every RHI) with a covering index of most of
# its columns by id, the two the same size: 162 MB at 1,000,000 episodes, now 89 MB, and a million-row import
# writes 53 MB fewer. Every reader finds an RHI's versions by id, as through the index (the 12-month table as
# recorded on a day: 838-851 ms before, 824-843 ms after, the same figures; docs/exports.md).
_RHI_HISTORY_BY_RHI = """
CREATE TABLE rhi_history (
    id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    child INTEGER NOT NULL,
    interviewer_type TEXT,
    offered_at TEXT,
    outcome TEXT,
    completed_at TEXT,
    assigned_to TEXT,
    recorded_from TEXT NOT NULL,
    recorded_to TEXT,
    PRIMARY KEY (id, version)
) WITHOUT ROWID"""
# The version a new row of an RHI's history takes: one after the RHI's latest (an id can be used again once
# the RHI that had it is deleted, and its closed versions stay).
NEXT_RHI_VERSION = "coalesce((SELECT max(h.version) FROM rhi_history h WHERE h.id = {row}), 0) + 1"


@migrations(name="0074_rhi_history_by_rhi")
def m0074_rhi_history_by_rhi(db):
    values = ", ".join(_RHI_COLUMNS[1:])
    for kind in ("insert", "update", "delete"):
        db.execute(f"DROP TRIGGER IF EXISTS rhi_history_{kind}")
    db.execute("ALTER TABLE rhi_history RENAME TO rhi_history_by_version")
    db.execute(_RHI_HISTORY_BY_RHI)
    db.execute(f"INSERT INTO rhi_history (id, version, {values}, recorded_from, recorded_to) "
               f"SELECT id, row_number() OVER (PARTITION BY id ORDER BY version), {values}, "
               f"recorded_from, recorded_to FROM rhi_history_by_version ORDER BY id, version")
    db.execute("DROP TABLE rhi_history_by_version")  # and its index, rhi_history_id
    for statement in _rhi_every_version_triggers(numbered=True):
        db.execute(statement)


# The data-quality list kept between visits (register/data_quality.py): each child's issues as last found,
# and the children whose records changed since, found again on the next visit. At 1,000,000 episodes finding
# every issue afresh reads the whole register (8-13 s); a visit now checks only the children changed since.
# Every record a check reads marks its child: an episode (its own child before and after, and the children
# of the RHIs covering it), an RHI, a link between the two (the RHI's child) and a child themself; the mark
# also forgets the child's kept issues. A first import marks its children itself (episode_import.SET_BASED).
# The rules' version is NULL here, so the first visit finds every child's issues.
_QUALITY_MARKS = {
    "data_quality_episode_insert": "AFTER INSERT ON episodes BEGIN {mark_new} END",
    "data_quality_episode_update": "AFTER UPDATE ON episodes BEGIN {mark_old} {mark_new} {covered_new} END",
    "data_quality_episode_delete": "BEFORE DELETE ON episodes BEGIN {mark_old} {covered_old} END",
    "data_quality_rhi_insert": "AFTER INSERT ON return_home_interviews BEGIN {mark_new} END",
    "data_quality_rhi_update": "AFTER UPDATE ON return_home_interviews BEGIN {mark_old} {mark_new} END",
    "data_quality_rhi_delete": "BEFORE DELETE ON return_home_interviews BEGIN {mark_old} END",
    "data_quality_link_insert": "AFTER INSERT ON rhi_episodes BEGIN {rhi_new} END",
    "data_quality_link_delete": "BEFORE DELETE ON rhi_episodes BEGIN {rhi_old} END",
    "data_quality_child_update": "AFTER UPDATE ON children BEGIN {child_old} {child_new} END",
    "data_quality_child_delete": "BEFORE DELETE ON children BEGIN {child_old} END",
}


def _quality_mark(select: str) -> str:
    """Mark the children ``select`` gives, and forget their kept issues at once: what is kept is only ever
    about records unchanged since (a record deleted or purged leaves nothing of itself in the list)."""
    return (f"INSERT OR IGNORE INTO data_quality_pending (child) {select}; "
            f"DELETE FROM data_quality_issues WHERE child IN ({select});")


@migrations(name="0075_data_quality_kept")
def m0075_data_quality_kept(db):
    _script(db, """
CREATE TABLE data_quality_issues (
    child INTEGER NOT NULL,
    check_name TEXT NOT NULL,
    rule TEXT,
    description TEXT NOT NULL,
    child_id TEXT NOT NULL,
    episode_id TEXT,
    rhi_id TEXT
);
CREATE INDEX data_quality_issues_child ON data_quality_issues (child);
CREATE TABLE data_quality_pending (child INTEGER PRIMARY KEY);
CREATE TABLE data_quality_state (id INTEGER PRIMARY KEY CHECK (id = 1), rules TEXT);
INSERT INTO data_quality_state (id, rules) VALUES (1, NULL)
""")
    covered = ("SELECT r.child FROM rhi_episodes re JOIN return_home_interviews r ON r.id = re.rhi "
               "WHERE re.episode = {row}.id")
    parts = {
        "mark_new": _quality_mark("SELECT new.child"),
        "mark_old": _quality_mark("SELECT old.child"),
        "covered_new": _quality_mark(covered.format(row="new")),
        "covered_old": _quality_mark(covered.format(row="old")),
        "rhi_new": _quality_mark("SELECT child FROM return_home_interviews WHERE id = new.rhi"),
        "rhi_old": _quality_mark("SELECT child FROM return_home_interviews WHERE id = old.rhi"),
        "child_new": _quality_mark("SELECT new.id"),
        "child_old": _quality_mark("SELECT old.id"),
    }
    for name, body in _QUALITY_MARKS.items():
        db.execute(f"CREATE TRIGGER {name} {body.format(**parts)}")
