"""Schema changes for the KPI reports (migration numbers 0025-0029)."""
from .migrations import _script, migrations


@migrations(name="0025_kpi_covering_index")
def m0025_kpi_covering_index(db):
    # The seed table reads only these columns of an episode: with them all in one index a month's
    # counts come from the index alone, without touching the table (build/bench_kpi.py measures it).
    _script(db, """
CREATE INDEX IF NOT EXISTS episodes_kpi ON episodes (episode_type, other_la, start, child, looked_after)
""")
