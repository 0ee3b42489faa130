-- The event loop: 受理交办、处置反馈、督办考核.
--
-- An event's territory (grid, village, township, county) and its scope_path (the
-- grid's unit path) are fixed at intake; every list filters on scope_path ranges.
-- stage/stage_deadline/next_alert_at drive the timer: next_alert_at is the next
-- instant something must happen (yellow at 80% of the stage, red at 100%), and
-- the timer only ever reads the smallest one through its index.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('reported', 'verifying', 'accepted', 'dispatched',
        'county_called', 'handling', 'suspended', 'feedback', 'closed', 'archived', 'rejected',
        'void')),
    source TEXT NOT NULL CHECK (source IN ('grid_patrol', 'resident', 'hotline', 'department',
        'higher_level', 'sensor')),
    category_code TEXT NOT NULL,
    urgency TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'critical')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    lng REAL,
    lat REAL,
    grid_id INTEGER NOT NULL REFERENCES units(id),
    village_id INTEGER NOT NULL REFERENCES units(id),
    township_id INTEGER NOT NULL REFERENCES units(id),
    county_id INTEGER NOT NULL REFERENCES units(id),
    scope_path TEXT NOT NULL,
    county_code TEXT NOT NULL,
    reporter_user_id INTEGER REFERENCES users(id),
    reporter_name TEXT,
    reporter_phone TEXT,
    out_of_list INTEGER NOT NULL DEFAULT 0,
    routing_note TEXT NOT NULL DEFAULT '',
    list_item_code TEXT,
    suggested_unit_id INTEGER REFERENCES units(id),
    assignee_unit_id INTEGER REFERENCES units(id),
    assignee_user_id INTEGER REFERENCES users(id),
    called_unit_id INTEGER REFERENCES units(id),
    duplicate_of INTEGER REFERENCES events(id),
    verified INTEGER NOT NULL DEFAULT 0,
    pending TEXT,               -- awaiting approval: 'extension', 'suspend', 'void'
    pending_detail TEXT,        -- JSON of the request
    stage TEXT,                 -- 'dispatch', 'verify', 'sign', 'handle', or NULL
    stage_started_at INTEGER,
    stage_deadline INTEGER,
    stage_left_ms INTEGER,      -- time left in the stage while suspended
    alert TEXT NOT NULL DEFAULT 'green' CHECK (alert IN ('green', 'yellow', 'red')),
    next_alert_at INTEGER,
    due_at INTEGER,             -- total deadline, from acceptance
    due_counted INTEGER NOT NULL DEFAULT 0,
    overdue INTEGER NOT NULL DEFAULT 0,
    escalated_at INTEGER,
    returns INTEGER NOT NULL DEFAULT 0,
    reworks INTEGER NOT NULL DEFAULT 0,
    extensions INTEGER NOT NULL DEFAULT 0,
    satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    handle_minutes INTEGER,     -- working minutes from acceptance to closure
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    accepted_at INTEGER,
    dispatched_at INTEGER,
    signed_at INTEGER,
    feedback_at INTEGER,
    closed_at INTEGER,
    archived_at INTEGER
);
CREATE INDEX events_scope ON events(scope_path, id);
CREATE INDEX events_state ON events(state, township_id, id);
CREATE INDEX events_assignee_unit ON events(assignee_unit_id, state);
CREATE INDEX events_assignee_user ON events(assignee_user_id, state);
CREATE INDEX events_called ON events(called_unit_id, state);
CREATE INDEX events_alert ON events(next_alert_at) WHERE next_alert_at IS NOT NULL;
CREATE INDEX events_dupes ON events(category_code, created_at);
CREATE INDEX events_reporter ON events(reporter_user_id, id);

CREATE TABLE event_counters (
    township_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (township_id, day)
);

-- One row per transition (and per comment or alert): who, when, from, to, note.
CREATE TABLE event_timeline (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id),
    at INTEGER NOT NULL,
    actor_id INTEGER,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    note TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX event_timeline_event ON event_timeline(event_id, id);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    mime TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('before', 'after', 'near', 'far', 'other')),
    lng REAL,
    lat REAL,
    taken_at INTEGER,
    uploaded_by INTEGER REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX attachments_event ON attachments(event_id);
CREATE INDEX attachments_sha ON attachments(sha256);

-- 督办: made when a stage runs out.
CREATE TABLE supervisions (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id),
    stage TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('yellow', 'red')),
    at INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    unit_id INTEGER REFERENCES units(id),
    user_id INTEGER REFERENCES users(id),
    escalated_to INTEGER REFERENCES units(id),
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX supervisions_event ON supervisions(event_id);

-- 乡呼县应: the township calls a county department.
CREATE TABLE county_calls (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(id),
    township_id INTEGER NOT NULL REFERENCES units(id),
    department_id INTEGER NOT NULL REFERENCES units(id),
    reason TEXT NOT NULL,
    called_at INTEGER NOT NULL,
    sign_deadline INTEGER NOT NULL,
    signed_at INTEGER,
    responded_at INTEGER
);
CREATE INDEX county_calls_department ON county_calls(department_id, called_at);
CREATE INDEX county_calls_event ON county_calls(event_id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    event_id INTEGER REFERENCES events(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, id);
CREATE INDEX notifications_unread ON notifications(user_id, read_at);

-- Rollups, updated in the same transaction as the events they count, so a
-- summary reads a handful of rows whatever the history. unit_id is the grid,
-- village, township, county and city of the event; day is Asia/Shanghai.
CREATE TABLE stats_daily (
    unit_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    reported INTEGER NOT NULL DEFAULT 0,
    accepted INTEGER NOT NULL DEFAULT 0,
    dispatched INTEGER NOT NULL DEFAULT 0,
    dispatched_on_time INTEGER NOT NULL DEFAULT 0,
    closed INTEGER NOT NULL DEFAULT 0,
    due INTEGER NOT NULL DEFAULT 0,
    closed_on_time INTEGER NOT NULL DEFAULT 0,
    feedbacks INTEGER NOT NULL DEFAULT 0,
    reworks INTEGER NOT NULL DEFAULT 0,
    returns INTEGER NOT NULL DEFAULT 0,
    overdue INTEGER NOT NULL DEFAULT 0,
    handle_minutes INTEGER NOT NULL DEFAULT 0,
    rated INTEGER NOT NULL DEFAULT 0,
    satisfied INTEGER NOT NULL DEFAULT 0,
    rating_sum INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, day)
);

CREATE TABLE stats_departments (
    department_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    calls INTEGER NOT NULL DEFAULT 0,
    signed INTEGER NOT NULL DEFAULT 0,
    signed_on_time INTEGER NOT NULL DEFAULT 0,
    sign_minutes INTEGER NOT NULL DEFAULT 0,
    responded INTEGER NOT NULL DEFAULT 0,
    response_minutes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (department_id, day)
);

-- Chinese full-text search: trigrams for three characters and more; shorter
-- queries fall back to instr() over the same columns.
CREATE VIRTUAL TABLE events_fts USING fts5(
    number, title, description, address, content = 'events', content_rowid = 'id',
    tokenize = 'trigram'
);
CREATE TRIGGER events_fts_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts(rowid, number, title, description, address)
    VALUES (new.id, new.number, new.title, new.description, new.address);
END;
