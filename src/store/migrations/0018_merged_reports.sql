-- 合并重复件: a report of a problem another open event already covers.
--
-- The intake links a possible duplicate (duplicate_of) and leaves the judgement to
-- the desk. When the desk finds it the same problem, the report ends as void with
-- merged_into naming the event it went into; its reporter is told then, and again
-- when that event is closed. The partial index finds the reports merged into an
-- event (few, and none for most).
ALTER TABLE events ADD COLUMN merged_into INTEGER REFERENCES events(id);
CREATE INDEX events_merged ON events(merged_into) WHERE merged_into IS NOT NULL;
