"""The guided interview's schema additions (numbers 0030-0039)."""
from sqlite_utils import Migrations

from rhi_desk.migrations import _script

migrations = Migrations("rhi_desk")  # the one set every area shares: names stay as shipped


@migrations(name="0030_interview_drafts")
def m0030_interview_drafts(db):
    # What the practitioner has typed on a page but not yet saved with Continue (the background
    # save while typing). Kept apart from the answers so half-typed text never reaches a report,
    # a KPI or another install; removed when the page is saved or the interview signed off.
    _script(
        db,
        """
CREATE TABLE rhi_drafts (
    rhi INTEGER NOT NULL REFERENCES return_home_interviews (id) ON DELETE CASCADE,
    page TEXT NOT NULL,
    fields_json TEXT NOT NULL,
    saved_by TEXT,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (rhi, page)
) WITHOUT ROWID;
CREATE INDEX rhi_status ON return_home_interviews (status)
""",
    )


@migrations(name="0034_interview_confirmed_stub")
def m0034_interview_confirmed_stub(db):
    # On a field install, once the hub has confirmed an interview and its personal content is
    # removed, what is left is a stub: these say when the hub confirmed it and when it was removed,
    # so My interviews shows "sent to and confirmed by the hub on …" instead of an emptied record.
    _script(
        db,
        """
ALTER TABLE return_home_interviews ADD COLUMN hub_confirmed_at TEXT;
ALTER TABLE return_home_interviews ADD COLUMN purged_at TEXT
""",
    )


@migrations(name="0035_interview_offer_from_hub")
def m0035_interview_offer_from_hub(db):
    # On a field install: the offer came in the hub's pack (the missing team made it), so the
    # provider reads it but cannot change it there.
    _script(db, "ALTER TABLE return_home_interviews ADD COLUMN offer_from_hub INTEGER NOT NULL DEFAULT 0")


@migrations(name="0036_interview_assignee_ids")
def m0036_interview_assignee_ids(db):
    # Who may open an interview is decided by ids, never by matching free-text names at the moment of
    # looking: a provider whose display name equals a social worker's must not open the worker's interviews.
    # The name the missing team types ("assigned_to") is resolved once, when it is written, to a user's id
    # (their username, or a display name only one user has) or to a provider organisation; an ambiguous
    # name resolves to nobody, and only the hub's own roles then see that interview.
    resolve = """
        assigned_user = (SELECT CASE WHEN (SELECT count(*) FROM users u WHERE lower(u.username) = lower(return_home_interviews.assigned_to)) = 1
                                     THEN (SELECT u.id FROM users u WHERE lower(u.username) = lower(return_home_interviews.assigned_to))
                                     WHEN (SELECT count(*) FROM users u WHERE lower(u.display_name) = lower(return_home_interviews.assigned_to)) = 1
                                     THEN (SELECT u.id FROM users u WHERE lower(u.display_name) = lower(return_home_interviews.assigned_to))
                                END),
        assigned_org = (SELECT u.organisation FROM users u WHERE u.role = 'provider'
                        AND lower(u.organisation) = lower(return_home_interviews.assigned_to) LIMIT 1)
    """
    _script(
        db,
        f"""
ALTER TABLE return_home_interviews ADD COLUMN assigned_user INTEGER REFERENCES users (id);
ALTER TABLE return_home_interviews ADD COLUMN assigned_org TEXT;
UPDATE return_home_interviews SET {resolve} WHERE assigned_to IS NOT NULL;
CREATE INDEX rhi_assigned_user ON return_home_interviews (assigned_user) WHERE assigned_user IS NOT NULL;
CREATE TRIGGER rhi_assignee_on_insert AFTER INSERT ON return_home_interviews WHEN new.assigned_to IS NOT NULL
BEGIN UPDATE return_home_interviews SET {resolve} WHERE id = new.id; END;
CREATE TRIGGER rhi_assignee_on_update AFTER UPDATE OF assigned_to ON return_home_interviews
BEGIN UPDATE return_home_interviews SET {resolve} WHERE id = new.id; END;
CREATE TRIGGER users_take_their_assignments AFTER INSERT ON users
BEGIN UPDATE return_home_interviews SET assigned_user = new.id
      WHERE assigned_user IS NULL AND lower(assigned_to) = lower(new.username); END
""",
    )


@migrations(name="0037_interview_not_done_code")
def m0037_interview_not_done_code(db):
    # The interview asks why it did not happen from the coded list the KPIs count (register.corrections);
    # the answer is kept with the other answers, so a field install's return carries it in its answers,
    # and the database copies it into return_home_interviews.not_done_code whoever writes the answers (the
    # interview's own pages or a return imported by sync). A completed outcome clears it.
    codes = "('declined_by_child', 'parent_carer_refused', 'could_not_contact', 'missing_again', 'moved_out_of_area', 'other')"
    when = ("WHEN json_valid(new.answers) AND coalesce(json_extract(new.answers, '$.not_done_code'), '') IN "
            f"{codes} AND new.outcome IS NOT 'completed' "
            "AND new.not_done_code IS NOT json_extract(new.answers, '$.not_done_code') ")
    copy = ("BEGIN UPDATE return_home_interviews SET not_done_code = json_extract(new.answers, '$.not_done_code') "
            "WHERE id = new.id; END")
    db.execute("CREATE TRIGGER rhi_not_done_code_from_answers AFTER UPDATE OF answers, outcome "
               f"ON return_home_interviews {when}{copy}")
    db.execute(f"CREATE TRIGGER rhi_not_done_code_on_insert AFTER INSERT ON return_home_interviews {when}{copy}")
