-- 督办 by people (人工督办): a leader, the county center or the township desk
-- names an open event and says what they want done, beside the supervisions the
-- timer makes when a stage runs out (0005).
--
-- supervisions gains the level 'manual' and who made it (by_user_id). A CHECK
-- cannot be widened by ALTER TABLE, and the table is small (one row per red
-- stage), so it is rebuilt: SQLite's documented twelve steps, of which nothing
-- here needs more than copy, drop, rename and index (no view, trigger or foreign
-- key points at it).
CREATE TABLE supervisions_new (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id),
    stage TEXT,
    level TEXT NOT NULL CHECK (level = 'yellow' OR level = 'red' OR level = 'manual'),
    at INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    unit_id INTEGER REFERENCES units(id),
    user_id INTEGER REFERENCES users(id),
    escalated_to INTEGER REFERENCES units(id),
    note TEXT NOT NULL DEFAULT '',
    by_user_id INTEGER REFERENCES users(id)
);
INSERT INTO supervisions_new(id, event_id, stage, level, at, deadline, unit_id, user_id,
                             escalated_to, note)
    SELECT id, event_id, stage, level, at, deadline, unit_id, user_id, escalated_to, note
    FROM supervisions;
DROP TABLE supervisions;
ALTER TABLE supervisions_new RENAME TO supervisions;
CREATE INDEX supervisions_event ON supervisions(event_id);

-- When an event was last supervised by a person: its lists mark it 督办 and can
-- be filtered to it. NULL for events nobody supervised.
ALTER TABLE events ADD COLUMN supervised_at INTEGER;
-- The supervised events, few among many, and nothing for an intake to write (a
-- report arrives unsupervised). Two indexes, as for the overdue (0011, 0012): by
-- id, for the lists (box=supervised, the filter supervised=1) walked from the
-- newest; by scope, for the inbox's count, which walks a scope's supervised events
-- instead of the scope's events (at 1,000,000 events a city's count took 4.5-12 s
-- through events_scope, 20-110 ms this way; the lists, without the index by id,
-- 0.55-0.8 s).
CREATE INDEX events_supervised ON events(id) WHERE supervised_at IS NOT NULL;
CREATE INDEX events_supervised_scope ON events(scope_path, id) WHERE supervised_at IS NOT NULL;
