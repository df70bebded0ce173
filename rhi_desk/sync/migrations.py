"""Schema for sync between installs: keys, enrolled installs, files sent and imported, and what is kept aside.

Numbers 0040-0049 are reserved for sync.
"""
from sqlite_utils import Migrations

from rhi_desk.migrations import _script

migrations = Migrations("rhi_desk")  # the one set every area shares: names stay as shipped


@migrations(name="0040_sync")
def m0040_sync(db):
    _script(
        db,
        """
CREATE TABLE sync_keys (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    signing_private TEXT NOT NULL,
    signing_public TEXT NOT NULL,
    box_private TEXT NOT NULL,
    box_public TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE sync_installs (
    id INTEGER PRIMARY KEY,
    install_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('hub', 'field')),
    la_name TEXT NOT NULL,
    signing_public TEXT NOT NULL,
    box_public TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    enrolled_at TEXT NOT NULL,
    enrolled_by TEXT,
    revoked_at TEXT,
    revoked_by TEXT
);
CREATE TABLE sync_sent (
    id INTEGER PRIMARY KEY,
    recipient TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    counts TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    UNIQUE (recipient, sequence)
);
CREATE TABLE sync_imports (
    id INTEGER PRIMARY KEY,
    sender TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    kind TEXT NOT NULL,
    file_sha256 TEXT NOT NULL UNIQUE,
    file_name TEXT,
    counts TEXT NOT NULL,
    summary TEXT NOT NULL,
    created_at TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT,
    UNIQUE (sender, sequence)
);
CREATE TABLE sync_receipts_due (
    id INTEGER PRIMARY KEY,
    sender TEXT NOT NULL,
    rhi_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    digest TEXT NOT NULL,
    received_at TEXT NOT NULL,
    sent_in INTEGER,
    UNIQUE (sender, rhi_id, digest)
);
CREATE TABLE sync_rhi_state (
    rhi_id TEXT PRIMARY KEY,
    sent_digest TEXT,
    sent_at TEXT,
    confirmed_digest TEXT,
    confirmed_at TEXT,
    purge_after TEXT,
    purged_at TEXT
);
CREATE TABLE sync_conflicts (
    id INTEGER PRIMARY KEY,
    rhi_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    sender TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    file_sequence INTEGER NOT NULL,
    local_record TEXT NOT NULL,
    incoming_record TEXT NOT NULL,
    created_at TEXT NOT NULL,
    resolved_at TEXT,
    resolved_by TEXT,
    resolution TEXT
);
CREATE TABLE sync_held (
    id INTEGER PRIMARY KEY,
    rhi_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    file_sequence INTEGER NOT NULL,
    record TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    released_at TEXT,
    released_by TEXT
);
CREATE TABLE sync_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    inbox_folder TEXT
)
""",
    )


@migrations(name="0041_sync_assigned")
def m0041_sync_assigned(db):
    # Which interviews the hub has sent to which field install, so one taken back (reassigned)
    # can be withdrawn from the install that no longer needs that child's details.
    _script(
        db,
        """
CREATE TABLE sync_assigned (
    recipient TEXT NOT NULL,
    rhi_id TEXT NOT NULL,
    sent_in INTEGER NOT NULL,
    withdrawn_in INTEGER,
    PRIMARY KEY (recipient, rhi_id)
)
""",
    )


@migrations(name="0042_sync_purged_stubs")
def m0042_sync_purged_stubs(db):
    # Interviews removed after a receipt before 0034 existed: mark their stubs from the sync state.
    _script(
        db,
        """
UPDATE return_home_interviews SET
    purged_at = (SELECT s.purged_at FROM sync_rhi_state s WHERE s.rhi_id = return_home_interviews.rhi_id),
    hub_confirmed_at = (SELECT s.confirmed_at FROM sync_rhi_state s WHERE s.rhi_id = return_home_interviews.rhi_id)
WHERE rhi_id IN (SELECT rhi_id FROM sync_rhi_state WHERE purged_at IS NOT NULL)
""",
    )


@migrations(name="0043_sync_briefings")
def m0043_sync_briefings(db):
    # Field install: the briefing the hub sent with an assignment (placement, social worker, the episode's
    # circumstances, police reference and risk, earlier episodes and interviews, known risks). Removed as
    # soon as the hub confirms the interview, withdraws it or its details are purged.
    _script(
        db,
        """
CREATE TABLE sync_briefings (
    rhi_id TEXT PRIMARY KEY,
    briefing TEXT NOT NULL,
    received_at TEXT NOT NULL
)
""",
    )
