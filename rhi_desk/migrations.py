"""Numbered schema migrations, applied at start-up by :func:`rhi_desk.db.connect`.

Never edit a migration that has shipped: add the next number. Numbers are reserved by area so
parallel work does not collide: 0001-0009 foundation, 0010-0019 register, 0020-0029 KPIs,
0030-0039 guided interview, 0040-0049 sync.
"""
from sqlite_utils import Migrations

# The foundation's migrations. Each area keeps its own in rhi_desk/<area>/migrations.py, as a
# Migrations object of the same set ("rhi_desk"), so the names recorded in a database stay as shipped;
# rhi_desk.db applies the sets in number order.
migrations = Migrations("rhi_desk")



def _script(db, sql: str) -> None:
    """Run each statement of ``sql`` inside the migration's transaction."""
    for statement in sql.split(";\n"):
        if statement.strip():
            db.execute(statement)


@migrations(name="0001_initial")
def m0001_initial(db):
    _script(
        db,
        """
CREATE TABLE install (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    install_id TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('hub', 'field')),
    la_name TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    demo INTEGER NOT NULL DEFAULT 0,
    retention_days INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE app_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret_key TEXT NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'missing_team', 'manager', 'practitioner', 'provider')),
    organisation TEXT,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    last_sign_in_at TEXT
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    username TEXT,
    action TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT,
    detail TEXT
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE children (
    id INTEGER PRIMARY KEY,
    child_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    date_of_birth TEXT,
    sex TEXT CHECK (sex IN ('female', 'male', 'other', 'unknown') OR sex IS NULL),
    looked_after INTEGER NOT NULL DEFAULT 0,
    placement TEXT CHECK (placement IN ('in_borough', 'neighbouring', 'out_of_borough') OR placement IS NULL),
    other_la INTEGER NOT NULL DEFAULT 0,
    responsible_la TEXT,
    social_worker TEXT,
    risk_notes TEXT,
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX children_name ON children (name COLLATE NOCASE);
CREATE TABLE episodes (
    id INTEGER PRIMARY KEY,
    episode_id TEXT NOT NULL UNIQUE,
    child INTEGER NOT NULL REFERENCES children (id),
    episode_type TEXT NOT NULL CHECK (episode_type IN ('missing', 'away')),
    start TEXT NOT NULL,
    "end" TEXT,
    looked_after INTEGER NOT NULL DEFAULT 0,
    other_la INTEGER NOT NULL DEFAULT 0,
    placement TEXT CHECK (placement IN ('in_borough', 'neighbouring', 'out_of_borough') OR placement IS NULL),
    reported_by TEXT,
    police_reference TEXT,
    police_risk TEXT CHECK (police_risk IN ('no_apparent', 'low', 'medium', 'high') OR police_risk IS NULL),
    circumstances TEXT,
    found_where TEXT,
    found_by TEXT,
    found_how TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX episodes_child_start ON episodes (child, start);
CREATE INDEX episodes_start ON episodes (start);
CREATE INDEX episodes_open ON episodes ("end") WHERE "end" IS NULL;
CREATE INDEX episodes_end ON episodes ("end");
CREATE TABLE episode_type_changes (
    id INTEGER PRIMARY KEY,
    episode INTEGER NOT NULL REFERENCES episodes (id),
    from_type TEXT NOT NULL,
    to_type TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT
);
CREATE INDEX episode_type_changes_episode ON episode_type_changes (episode);
CREATE TABLE return_home_interviews (
    id INTEGER PRIMARY KEY,
    rhi_id TEXT NOT NULL UNIQUE,
    child INTEGER NOT NULL REFERENCES children (id),
    interviewer_type TEXT CHECK (interviewer_type IN ('social_worker', 'missing_team', 'provider') OR interviewer_type IS NULL),
    assigned_to TEXT,
    assigned_install TEXT,
    offered_at TEXT,
    offered_how TEXT,
    offered_by TEXT,
    outcome TEXT CHECK (outcome IN ('completed', 'declined', 'unavailable', 'missing_again') OR outcome IS NULL),
    outcome_reason TEXT,
    attempts TEXT,
    completed_at TEXT,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'draft', 'signed_off')),
    revision INTEGER NOT NULL DEFAULT 1,
    answers TEXT NOT NULL DEFAULT '{}',
    resume_at TEXT,
    signed_off_by TEXT,
    signed_off_at TEXT,
    origin TEXT NOT NULL DEFAULT 'local',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX rhi_child ON return_home_interviews (child);
CREATE INDEX rhi_outcome ON return_home_interviews (outcome);
CREATE TABLE rhi_episodes (
    rhi INTEGER NOT NULL REFERENCES return_home_interviews (id) ON DELETE CASCADE,
    episode INTEGER NOT NULL REFERENCES episodes (id),
    PRIMARY KEY (rhi, episode)
) WITHOUT ROWID;
CREATE INDEX rhi_episodes_episode ON rhi_episodes (episode, rhi);
CREATE TABLE rhi_revisions (
    id INTEGER PRIMARY KEY,
    rhi INTEGER NOT NULL REFERENCES return_home_interviews (id),
    revision INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    reason TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (rhi, revision)
);
CREATE TRIGGER rhi_revisions_no_update BEFORE UPDATE ON rhi_revisions
BEGIN SELECT RAISE(ABORT, 'an interview revision is read-only'); END
""",
    )


@migrations(name="0002_form_rescue")
def m0002_form_rescue(db):
    # Answers posted after a session locked or the app restarted are held here until the
    # practitioner signs in again, then offered back: nothing typed is silently lost.
    _script(
        db,
        """
CREATE TABLE form_rescue (
    id INTEGER PRIMARY KEY,
    rescue_key TEXT NOT NULL,
    path TEXT NOT NULL,
    form_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX form_rescue_key ON form_rescue (rescue_key)
""",
    )


@migrations(name="0003_sessions_that_end")
def m0003_sessions_that_end(db):
    # A session cookie carries its user's session generation; bumping it ends every copy of every
    # session of that user at once. A change of password, role or active flag bumps it by trigger,
    # so no code path (the pages, the command line, an administrator's tool) can forget to.
    # Rescued forms now belong to one user and are never kept for another; the old ones belonged
    # to a browser, not a user, and are dropped.
    _script(
        db,
        """
ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER users_end_sessions AFTER UPDATE OF password_hash, role, active ON users
WHEN old.password_hash IS NOT new.password_hash OR old.role IS NOT new.role OR old.active IS NOT new.active
BEGIN UPDATE users SET session_generation = session_generation + 1 WHERE id = new.id; END;
DELETE FROM form_rescue;
ALTER TABLE form_rescue ADD COLUMN user_id INTEGER REFERENCES users (id)
""",
    )


@migrations(name="0004_audit_log_gdpr_chain")
def m0004_audit_log_gdpr_chain(db):
    # The audit log keeps ids, actions and the names of changed fields, never personal values, and each
    # entry carries the hash of the one before. Existing entries are moved to that shape once (the only
    # time entries are ever rewritten, with the no-update trigger lifted inside this transaction) and
    # chained in id order, so the chain is verifiable from the first entry on. INSERT OR REPLACE, which
    # deletes without firing the delete trigger, is refused from now on.
    from rhi_desk.security import audit_chain

    _script(
        db,
        """
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
DROP TRIGGER audit_log_no_update
""",
    )
    prev = audit_chain.GENESIS
    rows = db.execute("select id, at, username, action, object_type, object_id, detail from audit_log "
                      "order by id").fetchall()
    for pk, at, username, action, object_type, object_id, detail in rows:
        row = {"id": pk, "at": at, "username": username, "action": action, "object_type": object_type,
               "object_id": object_id, "detail": audit_chain.reshape_stored(detail)}
        digest = audit_chain.entry_hash(prev, row)
        db.execute("update audit_log set detail = ?, prev_hash = ?, hash = ? where id = ?",
                   [row["detail"], prev, digest, pk])
        prev = digest
    _script(
        db,
        """
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
""",
    )


@migrations(name="0005_private_keys_sealed")
def m0005_private_keys_sealed(db):
    # The install's private sync keys were stored in clear; from now on they are sealed with a key derived
    # from this user's database key (rhi_desk.security.keystore), so the file alone never gives them away.
    # A fresh database has no sync_keys table yet (the sync area's migrations come later): nothing to do.
    from rhi_desk.security import keystore

    if "sync_keys" not in db.table_names():
        return
    for pk, signing, box in db.execute("select id, signing_private, box_private from sync_keys").fetchall():
        db.execute("update sync_keys set signing_private = ?, box_private = ? where id = ?",
                   [signing if keystore.is_sealed(signing) else keystore.seal(db.rhi_key, "sync private keys", signing),
                    box if keystore.is_sealed(box) else keystore.seal(db.rhi_key, "sync private keys", box), pk])


@migrations(name="0007_hub_network")
def m0007_hub_network(db):
    # The hub served to a team: every audit entry names the client address it came from, and sign-in
    # failures are counted per address as well as per account (guessing across many usernames from one
    # PC is slowed down too). Old entries have no address: they were all made at this machine.
    _script(
        db,
        """
ALTER TABLE audit_log ADD COLUMN client_address TEXT;
CREATE TABLE sign_in_addresses (
    address TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    last_failure_at TEXT NOT NULL,
    locked_until TEXT
) WITHOUT ROWID
""",
    )
