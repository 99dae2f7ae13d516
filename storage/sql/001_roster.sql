-- Units form a tree: Sở → Phòng → trường.
CREATE TABLE units (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    parent_id INTEGER REFERENCES units(id),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    updated_at TEXT NOT NULL
);
CREATE INDEX units_parent ON units(parent_id);

-- phone is normalised to the 10-digit national form (0912345678).
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    full_name TEXT NOT NULL,
    phone TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('office', 'principal', 'teacher')),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    telegram_id INTEGER UNIQUE,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    updated_at TEXT NOT NULL
);
CREATE INDEX people_unit ON people(unit_id);

-- A personal invite code works once: used_at is set when it registers its person.
CREATE TABLE invites (
    code TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    created_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX invites_person ON invites(person_id);

CREATE TABLE registrations (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    telegram_id INTEGER NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('invite', 'contact')),
    registered_at TEXT NOT NULL
);
CREATE INDEX registrations_person ON registrations(person_id)
;

-- A roster file the office sent in the chat, kept until they apply or drop it, so a
-- confirmation survives a restart.
CREATE TABLE roster_uploads (
    id INTEGER PRIMARY KEY,
    telegram_id INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'dropped'))
)
