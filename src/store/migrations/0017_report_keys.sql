-- A report sent again is answered with the event it already made.
--
-- A grid worker's phone on a weak signal, or a hotline system whose call timed
-- out, cannot tell whether its report arrived, and sends it again. With the
-- request's Idempotency-Key the intake finds the event the first request made
-- and answers with it instead of writing a second one. The key belongs to the
-- account that sent it; the fingerprint (SHA-256 of the report's fields) tells a
-- repeat from another report under a key already used, which is refused.
CREATE TABLE report_keys (
    user_id INTEGER NOT NULL REFERENCES users(id),
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
