-- 结果回传: the outcome of a report pushed back to the system that sent it.
--
-- An integration account (the 12345 hotline) may have one callback URL. Each change
-- of an event it reported is queued here in the transaction that made the change
-- (an outbox), and a thread of the server posts it, signed with the callback's
-- secret, one delivery of a callback after another, retrying with a growing pause.
-- A delivery names its timeline row; what is sent is read from it when it is sent.
--
-- submitted_by is the account that sent the report (for a hotline report, the
-- hotline's account; the citizen is the reporter, by name), whose callback gets
-- the event's changes. external_ref is the reporting system's own number for the
-- matter (a 12345 ticket), given at intake and sent back with every delivery.
ALTER TABLE events ADD COLUMN submitted_by INTEGER REFERENCES users(id);
ALTER TABLE events ADD COLUMN external_ref TEXT;
-- The desk finds a ticket by its number (a search for the whole of it).
CREATE INDEX events_external_ref ON events(external_ref) WHERE external_ref IS NOT NULL;

CREATE TABLE callbacks (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL UNIQUE REFERENCES users(id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE callback_deliveries (
    id INTEGER PRIMARY KEY,
    callback_id INTEGER NOT NULL REFERENCES callbacks(id) ON DELETE CASCADE,
    event_id INTEGER NOT NULL REFERENCES events(id),
    timeline_id INTEGER NOT NULL REFERENCES event_timeline(id),
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status = 'pending' OR status = 'delivered' OR status = 'failed'),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    delivered_at INTEGER
);
-- A callback's deliveries newest first (the admin's list); by status, for the
-- counts, the filtered list and the queue (the oldest pending one goes next).
CREATE INDEX callback_deliveries_list ON callback_deliveries(callback_id, id);
CREATE INDEX callback_deliveries_status ON callback_deliveries(callback_id, status, id);
