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
