-- Reminders, overdue notices, digests, absences and days off (issue 12; written as 005, renumbered
-- after main's 005–007 at the merge).

-- A round's own reminder offsets, in seconds before the deadline, comma-separated
-- ("604800,259200,86400,0"); NULL: REMINDER_OFFSETS.
ALTER TABLE rounds ADD COLUMN reminder_offsets TEXT;
-- Everything scheduled for the round (reminder offsets, the overdue notices) whose moment
-- is at or before this instant has been handled; NULL: nothing since the launch. Set back to
-- NULL when the deadline moves, so the new deadline's reminders are worked out afresh.
ALTER TABLE rounds ADD COLUMN reminded_through TEXT;

-- Every scheduled message, written in the same transaction that queues it in the outbox, so
-- a restart, a crash or two start-ups racing never send it twice: the UNIQUE key is taken
-- with INSERT … ON CONFLICT DO NOTHING, and only the one who took it sends. kind: what it is
-- ('reminder', 'reminder_day', 'overdue', 'overdue_staff', 'digest', 'digest_eval', 'manual',
-- …); ref: the round or campaign (0: none); subject: who ('person:12', 'unit:3'); slot: which
-- one (the offset and deadline, 'day:2026-12-18', …). broadcast_id is NULL for a record that
-- sent nothing (covered by an earlier message of the day, a digest with no change).
CREATE TABLE sent_once (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ref INTEGER NOT NULL DEFAULT 0,
    subject TEXT NOT NULL,
    slot TEXT NOT NULL,
    broadcast_id INTEGER REFERENCES broadcasts(id),
    data TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (kind, ref, subject, slot)
);

-- A person away for a date range (both days included, local dates): neither reminded nor
-- counted as missing. Cancelled absences stay, marked.
CREATE TABLE absences (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    reason TEXT NOT NULL
        CHECK (reason IN ('leave', 'sick', 'maternity', 'business', 'other')),
    note TEXT NOT NULL DEFAULT '',
    date_from TEXT NOT NULL,
    date_to TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    cancelled_at TEXT,
    cancelled_by INTEGER,
    CHECK (date_from <= date_to)
);
CREATE INDEX absences_person ON absences(person_id, date_to);
CREATE INDEX absences_until ON absences(date_to);

-- Days off an office declares for its unit and everything under it (unit_id NULL: everyone,
-- declared by an OFFICE_ADMIN_IDS admin): nothing scheduled is sent to them on those days.
CREATE TABLE days_off (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER REFERENCES units(id),
    name TEXT NOT NULL,
    date_from TEXT NOT NULL,
    date_to TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    cancelled_at TEXT,
    CHECK (date_from <= date_to)
);
CREATE INDEX days_off_until ON days_off(date_to)
