-- A round may carry a custom form (JSON of storage.forms.Form); NULL means its built-in form.
ALTER TABLE rounds ADD COLUMN form_json TEXT;

-- One report per round and subject: the unit (per-unit rounds, answered by the principal)
-- or the person (per-person rounds). `answers` is the last submitted version and `draft` the
-- working copy (JSON {question key: value}), written as each answer is given, so opening a
-- submitted report to correct it never un-submits it; `step` is the question the draft is at.
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    subject TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    person_id INTEGER REFERENCES people(id),
    author_id INTEGER NOT NULL REFERENCES people(id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned')),
    step INTEGER NOT NULL DEFAULT 0,
    answers TEXT NOT NULL DEFAULT '{}',
    draft TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    submitted_at TEXT,
    late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    return_reason TEXT,
    returned_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (round_id, subject)
);
CREATE INDEX submissions_round ON submissions(round_id, status);

-- Every submitted version, so a correction keeps what was there before.
CREATE TABLE submission_history (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    version INTEGER NOT NULL,
    author_id INTEGER NOT NULL REFERENCES people(id),
    answers TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    late INTEGER NOT NULL
);

-- Evidence kept on disk under FILES_DIR, once per distinct file (Telegram's file_unique_id).
CREATE TABLE evidence_files (
    id INTEGER PRIMARY KEY,
    file_unique_id TEXT NOT NULL UNIQUE,
    file_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    mime_type TEXT,
    size INTEGER,
    path TEXT,
    created_at TEXT NOT NULL
)
