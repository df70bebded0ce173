"""The register's schema additions (numbers 0010-0019): indexes for the hub's busy pages."""
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
