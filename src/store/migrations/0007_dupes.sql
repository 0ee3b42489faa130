-- The duplicate check (same category, within metres and hours) by place first.
--
-- With the index ordered by time, the check scanned every report of the category
-- in the window, so its cost grew with the rate of reports: at a thousand an hour
-- a category has thousands in a day. Ordered by latitude, it reads only the
-- reports in a band of the radius' height across the county (a few per thousand),
-- and the longitude and time are checked in the index entry.
DROP INDEX events_dupes;
CREATE INDEX events_dupes ON events(category_code, lat, lng, created_at);
