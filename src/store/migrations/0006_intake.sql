-- Intake: the full-text index in batches, and the duplicate check from an index.
--
-- Events reach the full-text index once per write batch instead of through a
-- trigger: FTS5 flushes its pending terms to a new segment at every savepoint
-- after a write, and the writer opens one per job and per statement, so the
-- trigger made a segment (and merge work) per event. The index now follows
-- search_marks.last_id, advanced before each commit that created events
-- (gov/events.c), in the same transaction as the events.
DROP TRIGGER events_fts_insert;

CREATE TABLE search_marks (
    name TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO search_marks(name, last_id) VALUES ('events', coalesce((SELECT max(id) FROM events), 0));

-- The duplicate check (same category, within metres and hours) reads the point
-- from the index: without it every recent event of the category cost a table
-- lookup, and at a busy spot intake slowed with every report.
DROP INDEX events_dupes;
CREATE INDEX events_dupes ON events(category_code, created_at, lng, lat);
