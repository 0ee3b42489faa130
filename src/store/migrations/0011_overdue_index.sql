-- The events in the red and not finished, the inbox 超期督办, in an index of their own.
--
-- The inbox was read by walking every event from the newest until a page of red,
-- unfinished ones in the caller's scope had passed: at 1,000,000 events (17,054 of
-- them red and open) a township desk's took 106-211 ms, a township module's
-- 292-450 ms and a grid worker's 1.4-1.7 s. A partial index holds only those events,
-- newest last, so the walk passes nothing else: 4-66 ms. A report arrives green, so
-- an intake writes nothing to it; an event enters when its time limit turns red and
-- leaves when it is finished. The inbox's SQL repeats this WHERE (src/gov/events.c,
-- box_clause), which is how SQLite knows the index covers it.
CREATE INDEX events_overdue ON events(id)
    WHERE alert = 'red' AND state NOT IN ('closed', 'archived', 'rejected', 'void');
