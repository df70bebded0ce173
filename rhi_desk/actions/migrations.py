"""The actions area's schema (migration numbers 0050-0059): actions done, trigger settings, referrals,
targeted interventions and the meetings with the actions they agreed."""
from sqlite_utils import Migrations

from rhi_desk.migrations import _script

migrations = Migrations("rhi_desk")  # the one set every area shares: names stay as shipped


@migrations(name="0050_actions_done")
def m0050_actions_done(db):
    # An action due is computed from the records (rhi_desk.actions.due); only its being done is
    # stored, once per action key, with when it was done and who did it (the audit log keeps who
    # recorded it and when).
    _script(db, """
CREATE TABLE actions_done (
    id INTEGER PRIMARY KEY,
    action_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    child INTEGER NOT NULL REFERENCES children (id),
    episode INTEGER REFERENCES episodes (id),
    done_at TEXT NOT NULL,
    done_by TEXT NOT NULL,
    how TEXT,
    to_whom TEXT,
    outcome TEXT,
    notes TEXT,
    recorded_by TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX actions_done_child ON actions_done (child, kind, done_at);
CREATE TABLE strategy_trigger_settings (
    code TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL DEFAULT 1,
    within_hours INTEGER,
    threshold INTEGER,
    changed_by TEXT,
    changed_at TEXT NOT NULL
)
""")


@migrations(name="0051_referrals_interventions")
def m0051_referrals_interventions(db):
    _script(db, """
CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    child INTEGER NOT NULL REFERENCES children (id),
    episode INTEGER REFERENCES episodes (id),
    rhi INTEGER REFERENCES return_home_interviews (id),
    rhi_code TEXT,
    meeting INTEGER,
    kind TEXT NOT NULL,
    made_at TEXT NOT NULL,
    made_by TEXT NOT NULL,
    details TEXT,
    outcome TEXT,
    outcome_at TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX referrals_child ON referrals (child, made_at);
CREATE INDEX referrals_rhi ON referrals (rhi, rhi_code);
CREATE TABLE interventions (
    id INTEGER PRIMARY KEY,
    child INTEGER NOT NULL REFERENCES children (id),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('offered', 'started', 'completed', 'declined')),
    offered_on TEXT NOT NULL,
    started_on TEXT,
    ended_on TEXT,
    notes TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX interventions_child ON interventions (child, offered_on)
""")


@migrations(name="0052_meetings")
def m0052_meetings(db):
    # A meeting keeps its list as it stood when it was saved (snapshot, JSON): later records never
    # change what a meeting saw. Its actions are agreed against a child, with an owner and a date.
    _script(db, """
CREATE TABLE meetings (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('daily', 'weekly', 'panel')),
    held_on TEXT NOT NULL,
    period TEXT,
    snapshot TEXT NOT NULL,
    notes TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (kind, period)
);
CREATE INDEX meetings_kind ON meetings (kind, held_on);
CREATE TRIGGER meetings_snapshot_kept BEFORE UPDATE OF snapshot ON meetings
BEGIN SELECT RAISE(ABORT, 'a meeting''s saved list is kept as it was'); END;
CREATE TABLE meeting_actions (
    id INTEGER PRIMARY KEY,
    meeting INTEGER NOT NULL REFERENCES meetings (id),
    child INTEGER REFERENCES children (id),
    action TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_on TEXT NOT NULL,
    done_on TEXT,
    done_by TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX meeting_actions_meeting ON meeting_actions (meeting);
CREATE INDEX meeting_actions_child ON meeting_actions (child)
""")


@migrations(name="0053_providers")
def m0053_providers(db):
    # Spot-purchased providers as records: the commissioner pays each at its agreed unit price per
    # interview held. An interview is the provider's when it is assigned to the provider's name (or to
    # the field install enrolled under that name).
    _script(db, """
CREATE TABLE providers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    contract TEXT,
    unit_price_pence INTEGER NOT NULL CHECK (unit_price_pence >= 0),
    active INTEGER NOT NULL DEFAULT 1,
    created_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
""")


@migrations(name="0054_actions_indexes")
def m0054_actions_indexes(db):
    # The referrals decided in interviews are looked for among the interviews signed off in the last
    # 90 days, on every Today: without this index that reads every interview ever held.
    _script(db, """
CREATE INDEX IF NOT EXISTS rhi_status_signed_off ON return_home_interviews (status, signed_off_at)
""")


@migrations(name="0055_drop_rhi_status_index")
def m0055_drop_rhi_status_index(db):
    # rhi_status (status, interviews 0030) is a prefix of rhi_status_signed_off (status, signed_off_at, 0054):
    # every lookup by status is served by the wider one (the same plans on Today and the child's page at
    # 1,000,000 episodes), and a million-row import built both (issue 18). Here, after both exist.
    _script(db, "DROP INDEX IF EXISTS rhi_status")


@migrations(name="0056_signed_off_and_draft_indexes")
def m0056_signed_off_and_draft_indexes(db):
    # rhi_status_signed_off (status, signed_off_at; 0054) held every interview ever recorded, a million after
    # importing a council's history, to serve lookups of two statuses only: the interviews signed off since a
    # day (Today's referrals decided in interviews, the high-risk list: "status = 'signed_off' and
    # signed_off_at >= :since"; the signs of exploitation in an episode's signed-off interviews) and the
    # interviews in draft (the missing team's "My interviews"). A partial index of each serves them alike or
    # better (EXPLAIN QUERY PLAN in tests/actions/test_signed_off_index.py) and holds a few thousand
    # interviews; an import writes neither status (its interviews are open), so a million-row import no
    # longer builds one (issue 18).
    _script(db, """
CREATE INDEX IF NOT EXISTS rhi_signed_off ON return_home_interviews (signed_off_at) WHERE status = 'signed_off';
CREATE INDEX IF NOT EXISTS rhi_in_draft ON return_home_interviews (id) WHERE status = 'draft';
DROP INDEX IF EXISTS rhi_status_signed_off
""")
