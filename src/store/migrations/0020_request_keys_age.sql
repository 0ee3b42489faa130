-- Request keys are kept for a day.
--
-- The phone and the console now send a key with every report and action, so the
-- keys would grow with every write for ever. A retry comes within seconds (the
-- phone), or hours (a hotline system after an outage); after a day a key is let
-- go: each new key takes two expired ones with it, found by their age here.
CREATE INDEX request_keys_age ON request_keys(created_at);
