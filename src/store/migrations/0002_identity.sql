-- Identity, access and audit.
--
-- units is the one tree of the organisation: territory (city, county, township,
-- village, grid, micro-grid) and the bodies inside it (departments, command
-- rooms, modules, institutions, teams). path holds the ids from the root
-- ("/1/7/130/"), so a unit's subtree is the range [path, path with its last
-- '/' turned into '0'), which an index answers without recursion.
CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('city', 'county', 'township', 'village', 'grid',
        'microgrid', 'department', 'command', 'module', 'institution', 'team')),
    parent_id INTEGER REFERENCES units(id),
    path TEXT NOT NULL UNIQUE,
    depth INTEGER NOT NULL,
    county_code TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX units_parent ON units(parent_id);
CREATE INDEX units_kind ON units(kind, path);

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    phone TEXT,
    id_number TEXT,
    role TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    password_hash TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    password_changed_at INTEGER,
    last_login_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX users_unit ON users(unit_id);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    prefix TEXT NOT NULL UNIQUE,
    key_hash BLOB NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at INTEGER
);
CREATE INDEX api_keys_user ON api_keys(user_id);

-- The audit chain: each row's hash covers the previous row's hash and its own
-- content, so changing any row breaks every hash from there on.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor_id INTEGER,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    ip TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
    detail TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX audit_actor ON audit_log(actor_id, seq);
CREATE INDEX audit_target ON audit_log(target_type, target_id, seq);
CREATE INDEX audit_action ON audit_log(action, seq);
