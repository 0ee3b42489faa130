-- 返工率 by cohort: a failed verification counts on the day of the feedback it
-- sends back, like the feedback itself.
--
-- Reworks counted on the day of the verification could outnumber a period's
-- feedbacks (a feedback on the 31st failed on the 1st), and the rate pass 100%.
-- Counted on the feedback's day, each feedback has at most one rework: the rate
-- of any period is the share of its feedbacks sent back. The counter is counted
-- again here from the timeline.
UPDATE stats_daily SET reworks = 0 WHERE reworks != 0;

WITH sent_back AS (
    SELECT e.grid_id, e.village_id, e.township_id, e.county_id,
           CAST(substr(e.scope_path, 2, instr(substr(e.scope_path, 2), '/') - 1) AS INTEGER)
               AS city_id,
           date((SELECT max(f.at) FROM event_timeline f WHERE f.event_id = v.event_id AND
                 f.action = 'feedback' AND f.id < v.id) / 1000 + 8 * 3600, 'unixepoch') AS day
    FROM event_timeline v JOIN events e ON e.id = v.event_id
    WHERE v.action = 'verify' AND v.from_state = 'feedback' AND v.to_state = 'handling'
),
per_unit AS (
    SELECT grid_id AS unit_id, day FROM sent_back WHERE grid_id
    UNION ALL SELECT village_id, day FROM sent_back WHERE village_id
    UNION ALL SELECT township_id, day FROM sent_back WHERE township_id
    UNION ALL SELECT county_id, day FROM sent_back WHERE county_id
    UNION ALL SELECT city_id, day FROM sent_back WHERE city_id
)
INSERT INTO stats_daily(unit_id, day, reworks)
SELECT unit_id, day, count(*) FROM per_unit WHERE day IS NOT NULL GROUP BY unit_id, day
ON CONFLICT(unit_id, day) DO UPDATE SET reworks = excluded.reworks;
