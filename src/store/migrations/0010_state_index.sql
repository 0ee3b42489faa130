-- The index of states ordered by event within each state, instead of by township
-- first.
--
-- A list filtered by state (`GET /api/v1/events?state=...`) is read newest first a
-- page at a time. Ordered (state, township_id, id), the index could only give a
-- state's events township by township, so SQLite walked every event from the
-- newest instead: at 1,000,000 events a list of 会商 (county_called, 119 events)
-- took 0.5-0.9 s. Ordered (state, id), it gives them newest first and the page
-- stops the walk. The inbox awaiting verification, the other user of the index,
-- reads its two states from it as before. One index either way, so an intake or a
-- transition writes no more than before.
DROP INDEX events_state;
CREATE INDEX events_state ON events(state, id);
