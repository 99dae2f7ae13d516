-- Campaigns (phong trào) launched by an office, their targets, audience and reporting rounds.
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    plan_number TEXT NOT NULL DEFAULT '',
    issuer_unit_id INTEGER REFERENCES units(id),
    period_from TEXT,
    period_to TEXT,
    summary TEXT NOT NULL DEFAULT '',
    audience_all INTEGER NOT NULL DEFAULT 1 CHECK (audience_all IN (0, 1)),
    audience_roles TEXT NOT NULL,
    document_file_id TEXT,
    document_name TEXT,
    document_path TEXT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'launched', 'closed')),
    created_by INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    launched_at TEXT
);

CREATE TABLE campaign_targets (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    value REAL,
    value_unit TEXT
);
CREATE INDEX campaign_targets_campaign ON campaign_targets(campaign_id);

-- The units chosen when the audience is not "all units in scope".
CREATE TABLE campaign_units (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    include_children INTEGER NOT NULL DEFAULT 1 CHECK (include_children IN (0, 1)),
    PRIMARY KEY (campaign_id, unit_id)
);

-- Reporting rounds (đợt báo cáo): per unit (the principal answers) or per person.
CREATE TABLE rounds (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('unit', 'person')),
    deadline TEXT NOT NULL,
    form TEXT NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1))
);
CREATE INDEX rounds_campaign ON rounds(campaign_id);

CREATE TABLE acknowledgements (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES people(id),
    acknowledged_at TEXT NOT NULL,
    PRIMARY KEY (campaign_id, person_id)
);

-- One message to many people. payload is JSON: {"text": HTML, "buttons": [[{"text",
-- "callback_data"}]], "document": file id or null}; the office's progress message is edited
-- in place while the outbox drains.
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('campaign', 'announcement', 'reminder')),
    campaign_id INTEGER REFERENCES campaigns(id),
    payload TEXT NOT NULL,
    created_by INTEGER,
    progress_chat_id INTEGER,
    progress_message_id INTEGER,
    status TEXT NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'done')),
    created_at TEXT NOT NULL,
    finished_at TEXT
);

-- One row per recipient: the persistent outbox. A row is 'sending' only while its request is
-- in flight, so after a crash only those rows can have been delivered without being marked.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    chat_id INTEGER NOT NULL,
    payload TEXT,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'blocked')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    error TEXT,
    message_id INTEGER,
    updated_at TEXT NOT NULL,
    UNIQUE (broadcast_id, person_id)
);
CREATE INDEX outbox_queue ON outbox(status, next_attempt_at, id);
CREATE INDEX outbox_broadcast ON outbox(broadcast_id, status);

-- A flow's draft (one per person and flow), JSON of that flow's draft dataclass.
CREATE TABLE drafts (
    telegram_id INTEGER NOT NULL,
    flow TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (telegram_id, flow)
);

-- ConversationHandler states, so a conversation survives a restart.
CREATE TABLE conversations (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (name, key)
)
