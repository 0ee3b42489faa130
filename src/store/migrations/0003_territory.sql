-- Territory, organisation and people.
--
-- scope_path is the path of the unit's territorial anchor: itself for city,
-- county, township, village, grid and micro-grid; for a department its county,
-- for a command room or module its township. A user's data scope is the subtree
-- of their unit's scope_path.
ALTER TABLE units ADD COLUMN scope_path TEXT NOT NULL DEFAULT '';
UPDATE units SET scope_path = path;
CREATE INDEX units_name ON units(name);
--
-- The units tree (0002) holds every body; this adds what each kind carries.
-- territory: township class, points, grid polygons and their households.
CREATE TABLE territory (
    unit_id INTEGER PRIMARY KEY REFERENCES units(id),
    township_class TEXT CHECK (township_class IN ('经济型', '生态型', '复合型', '城区型', '城郊型')),
    is_central INTEGER NOT NULL DEFAULT 0,
    lng REAL,
    lat REAL,
    households INTEGER,
    population INTEGER,
    geometry TEXT,          -- GeoJSON Polygon or MultiPolygon (grids)
    area_m2 REAL,
    min_lng REAL, min_lat REAL, max_lng REAL, max_lat REAL
);

-- Posts (岗位) inside a unit: 指挥长, 值班员, 模块长 ...
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    name TEXT NOT NULL,
    duty TEXT NOT NULL DEFAULT '',
    headcount INTEGER NOT NULL DEFAULT 1,
    active INTEGER NOT NULL DEFAULT 1,
    UNIQUE (unit_id, name)
);

-- People who work in the system. A dispatched cadre (派驻干部) works in a
-- township unit but comes from a county department (home_unit_id); 双锁定 locks
-- both the staffing quota and the person to the township.
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT,
    id_number TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('township_cadre', 'dispatched_cadre', 'grid_worker',
        'department_staff', 'command_staff')),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    post_id INTEGER REFERENCES posts(id),
    home_unit_id INTEGER REFERENCES units(id),
    quota_locked INTEGER NOT NULL DEFAULT 0,
    person_locked INTEGER NOT NULL DEFAULT 0,
    user_id INTEGER UNIQUE REFERENCES users(id),
    active INTEGER NOT NULL DEFAULT 1,
    since TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX people_unit ON people(unit_id);
CREATE INDEX people_home ON people(home_unit_id);
CREATE INDEX people_kind ON people(kind, unit_id);

-- Staffing quotas (编制) per unit and kind.
CREATE TABLE quotas (
    unit_id INTEGER NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL CHECK (kind IN ('administrative', 'institutional')),
    approved INTEGER NOT NULL CHECK (approved >= 0),
    used INTEGER NOT NULL CHECK (used >= 0),
    PRIMARY KEY (unit_id, kind)
);

-- Quotas moved down (下沉) from a county body to a township.
CREATE TABLE quota_transfers (
    id INTEGER PRIMARY KEY,
    from_unit_id INTEGER NOT NULL REFERENCES units(id),
    to_unit_id INTEGER NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL CHECK (kind IN ('administrative', 'institutional')),
    count INTEGER NOT NULL CHECK (count > 0),
    effective_on TEXT NOT NULL,
    document TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX quota_transfers_to ON quota_transfers(to_unit_id);

-- 1+X: a central township's enforcement team covers named neighbours.
CREATE TABLE team_coverage (
    team_unit_id INTEGER NOT NULL REFERENCES units(id),
    township_unit_id INTEGER NOT NULL REFERENCES units(id),
    PRIMARY KEY (team_unit_id, township_unit_id)
);
CREATE INDEX team_coverage_township ON team_coverage(township_unit_id);
