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


@migrations(name="0027_published_tables")
def m0027_published_tables(db):
    # A month's table as given to a meeting: who published it, when, for which meeting, and the
    # figures themselves, so the dashboard can show what has changed since (late write-ups).
    _script(db, """
CREATE TABLE published_tables (
    id INTEGER PRIMARY KEY,
    first_month TEXT NOT NULL,
    last_month TEXT NOT NULL,
    filters TEXT NOT NULL DEFAULT '{}',
    meeting TEXT NOT NULL,
    published_by TEXT,
    published_at TEXT NOT NULL,
    figures TEXT NOT NULL
);
CREATE INDEX published_tables_at ON published_tables (published_at)
""")
