-- A table for the write probe (POST /api/v1/_probe/writes): one row per
-- acknowledged write, so benchmarks and crash tests can check durability.
CREATE TABLE probe_writes (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
