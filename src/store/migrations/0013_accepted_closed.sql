-- 结案率 by cohort: of the events accepted (立案) on a day, how many have been
-- closed since, counted on the day of their acceptance.
--
-- The closure rate was the closures of a period over its acceptances, so a
-- village that closed in March what it had accepted in February showed 167%. A
-- closure now also counts on its event's acceptance day, and the rate of a period
-- is the share of its accepted events closed so far: never above 100%. The
-- counter is filled here from the events already closed.
ALTER TABLE stats_daily ADD COLUMN accepted_closed INTEGER NOT NULL DEFAULT 0;

WITH closed AS (
    SELECT grid_id, village_id, township_id, county_id,
           CAST(substr(scope_path, 2, instr(substr(scope_path, 2), '/') - 1) AS INTEGER) AS city_id,
           date(accepted_at / 1000 + 8 * 3600, 'unixepoch') AS day
    FROM events WHERE closed_at IS NOT NULL AND accepted_at IS NOT NULL
),
per_unit AS (
    SELECT grid_id AS unit_id, day FROM closed WHERE grid_id
    UNION ALL SELECT village_id, day FROM closed WHERE village_id
    UNION ALL SELECT township_id, day FROM closed WHERE township_id
    UNION ALL SELECT county_id, day FROM closed WHERE county_id
    UNION ALL SELECT city_id, day FROM closed WHERE city_id
)
INSERT INTO stats_daily(unit_id, day, accepted_closed)
SELECT unit_id, day, count(*) FROM per_unit WHERE true GROUP BY unit_id, day
ON CONFLICT(unit_id, day) DO UPDATE SET accepted_closed = excluded.accepted_closed;
