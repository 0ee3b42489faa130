-- The red and unfinished events of a scope, for counting the inbox 超期督办.
--
-- The inbox's list walks events_overdue (0011) from the newest and stops at a page;
-- its count (GET /api/v1/events/boxes) must pass every red, open event in the
-- scope, and found each one's scope in its row: at 1,000,000 events (17,054 red
-- and open) a county's count took 0.3 s, a township's 0.11-0.15 s. Ordered by
-- scope, the index holds the answer itself: 0.2-11 ms. Like 0011 it costs an
-- intake nothing (a report arrives green). The count's SQL repeats this WHERE
-- (src/gov/events.c, box_clause).
CREATE INDEX events_overdue_scope ON events(scope_path, id)
    WHERE alert = 'red' AND state NOT IN ('closed', 'archived', 'rejected', 'void');
