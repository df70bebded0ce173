"""The intelligence picture's schema (numbers 0060-0069)."""
from sqlite_utils import Migrations

from rhi_desk.migrations import _script

migrations = Migrations("rhi_desk")  # the one set every area shares: names stay as shipped


@migrations(name="0060_intelligence_register")
def m0060_intelligence_register(db):
    # One register of places and people at the hub. A mention is one row a child's interview or found
    # notification named; ``raw_entity`` is the entry its own words matched (never changes), ``entity`` the
    # one it counts under after merges (kept equal to raw_entity's ``final``), so a merge is undone exactly.
    # Interviews' answers are read into mentions lazily: a trigger queues each changed interview in
    # intel_pending and the intelligence pages (or `rhi-desk intelligence refresh`) read the queue.
    _script(
        db,
        """
CREATE TABLE intel_entities (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('place', 'person')),
    name TEXT NOT NULL DEFAULT '',
    area TEXT NOT NULL DEFAULT '',
    place_kind TEXT NOT NULL DEFAULT '',
    age TEXT NOT NULL DEFAULT '',
    relationship TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    vehicle TEXT NOT NULL DEFAULT '',
    merged_into INTEGER REFERENCES intel_entities (id),
    final INTEGER,
    created_at TEXT NOT NULL
);
CREATE INDEX intel_entities_final ON intel_entities (final);
CREATE INDEX intel_entities_merged ON intel_entities (merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX intel_entities_name ON intel_entities (kind, name COLLATE NOCASE);
CREATE TABLE intel_entity_keys (
    key TEXT PRIMARY KEY,
    entity INTEGER NOT NULL REFERENCES intel_entities (id)
) WITHOUT ROWID;
CREATE INDEX intel_entity_keys_entity ON intel_entity_keys (entity);
CREATE TABLE intel_mentions (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL CHECK (source IN ('interview', 'notification')),
    rhi INTEGER REFERENCES return_home_interviews (id) ON DELETE CASCADE,
    episode INTEGER NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
    child INTEGER NOT NULL REFERENCES children (id),
    kind TEXT NOT NULL CHECK (kind IN ('place', 'person')),
    raw_entity INTEGER NOT NULL REFERENCES intel_entities (id),
    entity INTEGER NOT NULL REFERENCES intel_entities (id),
    seen_on TEXT NOT NULL,
    row_json TEXT NOT NULL,
    recorded_by TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX intel_mentions_entity ON intel_mentions (entity, seen_on);
CREATE INDEX intel_mentions_entity_child ON intel_mentions (entity, child, seen_on);
CREATE INDEX intel_mentions_child ON intel_mentions (child, entity);
CREATE INDEX intel_mentions_rhi ON intel_mentions (rhi) WHERE rhi IS NOT NULL;
CREATE INDEX intel_mentions_episode ON intel_mentions (episode, source);
CREATE INDEX intel_mentions_raw ON intel_mentions (raw_entity);
CREATE TABLE intel_merges (
    id INTEGER PRIMARY KEY,
    merged INTEGER NOT NULL REFERENCES intel_entities (id),
    into_entity INTEGER NOT NULL REFERENCES intel_entities (id),
    merged_by TEXT NOT NULL,
    merged_at TEXT NOT NULL,
    undone_by TEXT,
    undone_at TEXT
);
CREATE INDEX intel_merges_entities ON intel_merges (merged, into_entity);
CREATE TABLE intel_pending (rhi INTEGER PRIMARY KEY);
CREATE TRIGGER intel_rhi_added AFTER INSERT ON return_home_interviews
WHEN new.answers IS NOT NULL AND new.answers NOT IN ('', '{}')
BEGIN INSERT OR IGNORE INTO intel_pending (rhi) VALUES (new.id); END;
CREATE TRIGGER intel_rhi_answers AFTER UPDATE OF answers ON return_home_interviews
WHEN new.answers IS NOT old.answers
BEGIN INSERT OR IGNORE INTO intel_pending (rhi) VALUES (new.id); END;
CREATE TRIGGER intel_rhi_episode_added AFTER INSERT ON rhi_episodes
WHEN (SELECT answers FROM return_home_interviews WHERE id = new.rhi) NOT IN ('', '{}')
BEGIN INSERT OR IGNORE INTO intel_pending (rhi) VALUES (new.rhi); END;
CREATE TRIGGER intel_rhi_episode_removed AFTER DELETE ON rhi_episodes
BEGIN INSERT OR IGNORE INTO intel_pending (rhi) VALUES (old.rhi); END;
INSERT INTO intel_pending (rhi)
    SELECT id FROM return_home_interviews WHERE answers IS NOT NULL AND answers NOT IN ('', '{}')
""",
    )


@migrations(name="0061_intelligence_themes")
def m0061_intelligence_themes(db):
    # Themes by month: what each interview's answers say (harm indicators, push and pull factors), one
    # row per theme and *counted* episode covered (not voided, not after the 18th birthday: the triggers
    # queue the interviews again when an episode is voided or a date of birth corrected), kept by the same queue; and the team's own themes, tagged by an
    # analyst on an interview or on a place or person.
    _script(
        db,
        """
CREATE TABLE intel_theme_facts (
    rhi INTEGER NOT NULL REFERENCES return_home_interviews (id) ON DELETE CASCADE,
    theme TEXT NOT NULL,
    episode INTEGER NOT NULL,
    month TEXT NOT NULL,
    child INTEGER NOT NULL,
    PRIMARY KEY (rhi, theme, episode)
) WITHOUT ROWID;
CREATE INDEX intel_theme_facts_month ON intel_theme_facts (month, theme, child);
CREATE TABLE intel_team_themes (
    id INTEGER PRIMARY KEY,
    label TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE intel_theme_tags (
    id INTEGER PRIMARY KEY,
    theme INTEGER NOT NULL REFERENCES intel_team_themes (id),
    rhi INTEGER REFERENCES return_home_interviews (id) ON DELETE CASCADE,
    entity INTEGER REFERENCES intel_entities (id),
    tagged_by TEXT NOT NULL,
    tagged_at TEXT NOT NULL,
    CHECK ((rhi IS NULL) != (entity IS NULL))
);
CREATE UNIQUE INDEX intel_theme_tags_rhi ON intel_theme_tags (theme, rhi) WHERE rhi IS NOT NULL;
CREATE UNIQUE INDEX intel_theme_tags_entity ON intel_theme_tags (theme, entity) WHERE entity IS NOT NULL;
CREATE TRIGGER intel_episode_changed AFTER UPDATE OF voided_at, start ON episodes
BEGIN INSERT OR IGNORE INTO intel_pending (rhi) SELECT rhi FROM rhi_episodes WHERE episode = new.id; END;
CREATE TRIGGER intel_child_born AFTER UPDATE OF date_of_birth ON children
BEGIN INSERT OR IGNORE INTO intel_pending (rhi) SELECT id FROM return_home_interviews WHERE child = new.id; END
""",
    )


@migrations(name="0062_intelligence_screening_philomena")
def m0062_intelligence_screening_philomena(db):
    # The exploitation screening's score per interview (weights and thresholds set by the council), the
    # strategy meetings it calls for, and the Philomena Protocol profile of a looked-after child (the
    # photo kept in the database, shown only to those allowed).
    _script(
        db,
        """
CREATE TABLE intel_screening_weights (
    indicator TEXT PRIMARY KEY,
    weight INTEGER NOT NULL CHECK (weight BETWEEN 0 AND 10),
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE intel_screening_thresholds (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    medium_from INTEGER NOT NULL,
    high_from INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (0 < medium_from AND medium_from < high_from)
);
CREATE TABLE intel_screenings (
    rhi INTEGER PRIMARY KEY REFERENCES return_home_interviews (id) ON DELETE CASCADE,
    child INTEGER NOT NULL REFERENCES children (id),
    screened_on TEXT NOT NULL,
    indicators TEXT NOT NULL,
    score INTEGER NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('low', 'medium', 'high'))
);
CREATE INDEX intel_screenings_child ON intel_screenings (child, screened_on);
CREATE TABLE intel_strategy_triggers (
    id INTEGER PRIMARY KEY,
    child INTEGER NOT NULL REFERENCES children (id),
    rhi INTEGER REFERENCES return_home_interviews (id) ON DELETE SET NULL,
    score INTEGER NOT NULL,
    raised_at TEXT NOT NULL,
    handled_at TEXT,
    handled_by TEXT,
    handled_note TEXT
);
CREATE UNIQUE INDEX intel_strategy_triggers_rhi ON intel_strategy_triggers (rhi) WHERE rhi IS NOT NULL;
CREATE INDEX intel_strategy_triggers_open ON intel_strategy_triggers (child) WHERE handled_at IS NULL;
CREATE TABLE intel_philomena (
    child INTEGER PRIMARY KEY REFERENCES children (id),
    description TEXT NOT NULL DEFAULT '',
    phones TEXT NOT NULL DEFAULT '',
    associates TEXT NOT NULL DEFAULT '',
    places TEXT NOT NULL DEFAULT '',
    photo BLOB,
    photo_type TEXT CHECK (photo_type IN ('image/jpeg', 'image/png') OR photo_type IS NULL),
    photo_added_at TEXT,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
)
""",
    )
