-- 即将超期 (the inbox due_soon): open events past 80% of their stage's time (the
-- yellow light), read from partial indexes of their own like the overdue ones
-- (migrations 0011 and 0012; the inbox repeats this WHERE word for word). Reports
-- come in green, so intake does not write to them.
CREATE INDEX events_due_soon ON events(id)
    WHERE alert = 'yellow' AND state NOT IN ('closed', 'archived', 'rejected', 'void');
CREATE INDEX events_due_soon_scope ON events(scope_path, id)
    WHERE alert = 'yellow' AND state NOT IN ('closed', 'archived', 'rejected', 'void');
