"""Schema changes for the KPI reports (migration numbers 0025-0029)."""
from sqlite_utils import Migrations

from rhi_desk.migrations import _script

migrations = Migrations("rhi_desk")  # the one set every area shares: names stay as shipped


@migrations(name="0025_kpi_covering_index")
def m0025_kpi_covering_index(db):
    # The seed table reads only these columns of an episode: with them all in one index a month's
    # counts come from the index alone, without touching the table (build/bench_kpi.py measures it).
    _script(db, """
CREATE INDEX IF NOT EXISTS episodes_kpi ON episodes (episode_type, other_la, start, child, looked_after)
""")


@migrations(name="0026_drop_kpi_covering_index")
def m0026_drop_kpi_covering_index(db):
    # Measured with build/bench_kpi.py (1,000,000 episodes): the 12-month table and the wider
    # figures took the same time with or without episodes_kpi, because the look-ups of the RHIs
    # covering each episode dominate, and episodes_start already finds a month's episodes. An
    # index that does not pay for itself only slows every write, so it goes.
    _script(db, "DROP INDEX IF EXISTS episodes_kpi")
