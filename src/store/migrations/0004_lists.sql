-- 三张清单, event categories, routing subjects and the work calendar.
--
-- A unit's function says what kind of body it is, for routing: a module's type
-- (dangjian, jingji, pingan, gonggong), a department's type (zhifa, gongan ...),
-- 'command' for a command room, 'team' for an enforcement team. The names of
-- the types are data (subject_types), so renaming a module is an update.
ALTER TABLE units ADD COLUMN function TEXT;
CREATE INDEX units_function ON units(function, parent_id);

CREATE TABLE subject_types (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('module', 'department')),
    name TEXT NOT NULL,
    ordinal INTEGER NOT NULL
);
INSERT INTO subject_types(key, kind, name, ordinal) VALUES
    ('dangjian', 'module', '党建统领', 1),
    ('jingji', 'module', '经济生态', 2),
    ('pingan', 'module', '平安法治', 3),
    ('gonggong', 'module', '公共服务', 4),
    ('ziran', 'department', '自然资源和规划局', 11),
    ('nongye', 'department', '农业农村局', 12),
    ('zhujian', 'department', '住房和城乡建设局', 13),
    ('renshe', 'department', '人力资源和社会保障局', 14),
    ('shichang', 'department', '市场监督管理局', 15),
    ('shengtai', 'department', '生态环境分局', 16),
    ('zhifa', 'department', '综合行政执法局', 17),
    ('gongan', 'department', '公安局', 18),
    ('yingji', 'department', '应急管理局', 19),
    ('weijian', 'department', '卫生健康局', 20),
    ('jiaotong', 'department', '交通运输局', 21),
    ('xinfang', 'department', '信访局', 22);

-- List items keep their identity (code) across versions. A version is valid from
-- valid_from (inclusive) to valid_to (exclusive, NULL = still valid); a change
-- on day D closes the version in force at D and opens a new one at D, so the
-- list as of D-1 stays exactly as it was.
CREATE TABLE list_items (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE list_item_versions (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES list_items(id),
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    list TEXT NOT NULL CHECK (list IN ('power', 'service', 'territorial')),
    name TEXT NOT NULL,
    subject TEXT NOT NULL REFERENCES subject_types(key),
    cooperating TEXT NOT NULL DEFAULT '',
    legal_basis TEXT NOT NULL DEFAULT '',
    limit_amount INTEGER,
    limit_unit TEXT CHECK (limit_unit IN ('work_minutes', 'work_hours', 'work_days', 'natural_days')),
    process TEXT NOT NULL DEFAULT '',
    delegated INTEGER NOT NULL DEFAULT 0,
    enforcement INTEGER NOT NULL DEFAULT 0,
    retired INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    changed_by TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE INDEX list_item_versions_item ON list_item_versions(item_id, valid_from);
CREATE INDEX list_item_versions_current ON list_item_versions(valid_to, list);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES categories(id),
    accept_condition TEXT NOT NULL DEFAULT '',
    close_condition TEXT NOT NULL DEFAULT '',
    list_item_code TEXT,
    default_urgency TEXT NOT NULL DEFAULT 'normal'
        CHECK (default_urgency IN ('normal', 'urgent', 'critical')),
    active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX categories_parent ON categories(parent_id);

CREATE TABLE category_limits (
    category_id INTEGER NOT NULL REFERENCES categories(id),
    urgency TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'critical')),
    stage TEXT NOT NULL CHECK (stage IN ('dispatch', 'sign', 'handle', 'verify', 'total')),
    amount INTEGER NOT NULL CHECK (amount > 0),
    unit TEXT NOT NULL CHECK (unit IN ('work_minutes', 'work_hours', 'work_days', 'natural_days')),
    PRIMARY KEY (category_id, urgency, stage)
);

-- The work calendar: special days and working-hour schedules.
CREATE TABLE calendar_days (
    date TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT NOT NULL DEFAULT ''
);
CREATE TABLE calendar_schedules (
    id INTEGER PRIMARY KEY,
    from_mmdd TEXT NOT NULL,
    to_mmdd TEXT NOT NULL,
    mon TEXT NOT NULL DEFAULT '', tue TEXT NOT NULL DEFAULT '', wed TEXT NOT NULL DEFAULT '',
    thu TEXT NOT NULL DEFAULT '', fri TEXT NOT NULL DEFAULT '', sat TEXT NOT NULL DEFAULT '',
    sun TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT ''
);
INSERT INTO calendar_schedules(from_mmdd, to_mmdd, mon, tue, wed, thu, fri, note) VALUES
    ('01-01', '12-31', '08:30-12:00,14:00-17:30', '08:30-12:00,14:00-17:30',
     '08:30-12:00,14:00-17:30', '08:30-12:00,14:00-17:30', '08:30-12:00,14:00-17:30', '全年作息');
