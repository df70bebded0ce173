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
