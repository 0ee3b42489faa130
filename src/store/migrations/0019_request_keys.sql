-- An action sent again, too, is answered as the first one was, not done twice.
--
-- The keys of 0017 named reports only. A grid worker's phone on a weak signal
-- retries its 签收, 反馈 and 核查 as it retries its reports, so the same table now
-- keeps the key of any write that names an event: event_id is the event the
-- request made (a report) or acted on (a transition, a comment). The fingerprint
-- says which kind of request it was, so one key cannot serve two.
ALTER TABLE report_keys RENAME TO request_keys;
