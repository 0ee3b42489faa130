-- The ids of the events reported on a day, kept beside the day's counts.
--
-- A list filtered by report time (from, to) walked every event newer than the
-- period, looking for its end: a city leader's October at 1,000,000 events took
-- 0.5 s, an export of it more. The events reported on the days of the period lie
-- between the smallest first_event_id and the largest last_event_id of those days'
-- rows, whatever order the clock gave them, so the list walks that id range only.
-- Kept by the intake's own upsert of "reported" (ev_bump_report), at no extra
-- statement; filled here from the events already reported. Only the rows with
-- reports carry them.
ALTER TABLE stats_daily ADD COLUMN first_event_id INTEGER;
ALTER TABLE stats_daily ADD COLUMN last_event_id INTEGER;

WITH reported AS (
    SELECT id, grid_id, village_id, township_id, county_id,
           CAST(substr(scope_path, 2, instr(substr(scope_path, 2), '/') - 1) AS INTEGER) AS city_id,
           date(created_at / 1000 + 8 * 3600, 'unixepoch') AS day
    FROM events
),
per_unit AS (
    SELECT grid_id AS unit_id, day, id FROM reported WHERE grid_id
    UNION ALL SELECT village_id, day, id FROM reported WHERE village_id
    UNION ALL SELECT township_id, day, id FROM reported WHERE township_id
    UNION ALL SELECT county_id, day, id FROM reported WHERE county_id
    UNION ALL SELECT city_id, day, id FROM reported WHERE city_id
)
INSERT INTO stats_daily(unit_id, day, first_event_id, last_event_id)
SELECT unit_id, day, min(id), max(id) FROM per_unit WHERE true GROUP BY unit_id, day
ON CONFLICT(unit_id, day) DO UPDATE SET first_event_id = excluded.first_event_id,
    last_event_id = excluded.last_event_id;
