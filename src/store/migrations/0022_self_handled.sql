-- 自行处置: a matter the grid worker who reported it fixed on the spot and closed.
-- Kept on the event so that its reporter, who was also its handler, is not the
-- one to rate it (回访): a self-rating would count in 满意率.
ALTER TABLE events ADD COLUMN self_handled INTEGER NOT NULL DEFAULT 0
    CHECK (self_handled = 0 OR self_handled = 1);

UPDATE events SET self_handled = 1
WHERE id IN (SELECT event_id FROM event_timeline WHERE action = 'self-close');
