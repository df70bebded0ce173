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


def _months_changed(select_months: str) -> str:
    """A trigger statement noting the months ``select_months`` gives (a column ``m``) and the month after each."""
    return ("INSERT OR IGNORE INTO report_months_changed (month) "
            f"SELECT m FROM ({select_months}) WHERE m IS NOT NULL "
            f"UNION SELECT strftime('%Y-%m', m || '-01', '+1 month') FROM ({select_months}) WHERE m IS NOT NULL;")


@migrations(name="0028_dashboard_month_figures")
def m0028_dashboard_month_figures(db):
    # The dashboard's figures for months whose records have not changed since they were counted
    # (reports/month_cache.py), and the months a change has touched since. A decade of figures then
    # costs a read, not a recount (build/bench_dashboard.py measures both).
    _script(db, """
CREATE TABLE report_month_figures (
    key TEXT NOT NULL,
    month TEXT NOT NULL,
    figures TEXT NOT NULL,
    counted_at TEXT NOT NULL,
    PRIMARY KEY (key, month)
) WITHOUT ROWID;
CREATE TABLE report_months_changed (month TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rhi_offered_at ON return_home_interviews (offered_at) WHERE offered_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS rhi_completed_at ON return_home_interviews (completed_at) WHERE outcome = 'completed'
""")
    new_episode = _months_changed("SELECT substr(new.start, 1, 7) AS m")
    old_episode = _months_changed("SELECT substr(old.start, 1, 7) AS m")
    covered = ("SELECT DISTINCT substr(e.start, 1, 7) AS m FROM rhi_episodes re JOIN episodes e ON e.id = re.episode "
               "WHERE re.rhi = {row}.id")
    link = "SELECT substr(e.start, 1, 7) AS m FROM episodes e WHERE e.id = {row}.episode"
    child = "SELECT DISTINCT substr(e.start, 1, 7) AS m FROM episodes e WHERE e.child = new.id"
    for statement in (
        f"CREATE TRIGGER report_months_episode_insert AFTER INSERT ON episodes BEGIN {new_episode} END",
        f"CREATE TRIGGER report_months_episode_update AFTER UPDATE ON episodes BEGIN {old_episode} {new_episode} END",
        f"CREATE TRIGGER report_months_episode_delete BEFORE DELETE ON episodes BEGIN {old_episode} END",
        f"CREATE TRIGGER report_months_rhi_update AFTER UPDATE ON return_home_interviews "
        f"BEGIN {_months_changed(covered.format(row='new'))} END",
        f"CREATE TRIGGER report_months_rhi_delete BEFORE DELETE ON return_home_interviews "
        f"BEGIN {_months_changed(covered.format(row='old'))} END",
        f"CREATE TRIGGER report_months_link_insert AFTER INSERT ON rhi_episodes "
        f"BEGIN {_months_changed(link.format(row='new'))} END",
        f"CREATE TRIGGER report_months_link_delete BEFORE DELETE ON rhi_episodes "
        f"BEGIN {_months_changed(link.format(row='old'))} END",
        f"CREATE TRIGGER report_months_child_update AFTER UPDATE OF date_of_birth ON children "
        f"BEGIN {_months_changed(child)} END",
    ):
        db.execute(statement)


@migrations(name="0029_cheaper_month_triggers")
def m0029_cheaper_month_triggers(db):
    # One row per change instead of two: the month after a changed month (whose repeat-missing window
    # reaches back into it) is now dropped when the changes are read (reports/month_cache.py), so an
    # import of a million episodes runs one small insert per row, not two selects and a union.
    def note(select_months: str) -> str:
        return f"INSERT OR IGNORE INTO report_months_changed (month) SELECT m FROM ({select_months}) WHERE m IS NOT NULL;"

    covered = ("SELECT DISTINCT substr(e.start, 1, 7) AS m FROM rhi_episodes re JOIN episodes e ON e.id = re.episode "
               "WHERE re.rhi = {row}.id")
    link = "SELECT substr(e.start, 1, 7) AS m FROM episodes e WHERE e.id = {row}.episode"
    child = "SELECT DISTINCT substr(e.start, 1, 7) AS m FROM episodes e WHERE e.child = new.id"
    new_start = "INSERT OR IGNORE INTO report_months_changed (month) SELECT substr(new.start, 1, 7) WHERE new.start IS NOT NULL;"
    old_start = "INSERT OR IGNORE INTO report_months_changed (month) SELECT substr(old.start, 1, 7) WHERE old.start IS NOT NULL;"
    for name, body in (
        ("report_months_episode_insert", f"AFTER INSERT ON episodes BEGIN {new_start} END"),
        ("report_months_episode_update", f"AFTER UPDATE ON episodes BEGIN {old_start} {new_start} END"),
        ("report_months_episode_delete", f"BEFORE DELETE ON episodes BEGIN {old_start} END"),
        ("report_months_rhi_update", f"AFTER UPDATE ON return_home_interviews BEGIN {note(covered.format(row='new'))} END"),
        ("report_months_rhi_delete", f"BEFORE DELETE ON return_home_interviews BEGIN {note(covered.format(row='old'))} END"),
        ("report_months_link_insert", f"AFTER INSERT ON rhi_episodes BEGIN {note(link.format(row='new'))} END"),
        ("report_months_link_delete", f"BEFORE DELETE ON rhi_episodes BEGIN {note(link.format(row='old'))} END"),
        ("report_months_child_update", f"AFTER UPDATE OF date_of_birth ON children BEGIN {note(child)} END"),
    ):
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
        db.execute(f"CREATE TRIGGER {name} {body}")
