-- Quarterly nominations of good examples (điển hình tiên tiến), their review, publishing and
-- award dossiers.

-- One nomination: a unit puts forward an individual (from its roster, or typed) or a
-- collective for a quarter. It waits at `review_unit_id`, whose office decides (a school's
-- goes to its Phòng; what the Phòng approves goes up to the Sở: `stage` counts the levels
-- that approved it). status: pending (waiting at review_unit_id), returned (sent back for
-- additions), approved (by the top level), rejected, withdrawn (by the nominator, or
-- replaced by another nomination over the quota). `evidence` is a JSON list of
-- evidence_files ids. `nominee_key` is the folded name, to spot the same person twice.
CREATE TABLE nominations (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL CHECK (quarter BETWEEN 1 AND 4),
    kind TEXT NOT NULL CHECK (kind IN ('individual', 'collective')),
    person_id INTEGER REFERENCES people(id),
    nominee_name TEXT NOT NULL,
    nominee_key TEXT NOT NULL,
    position TEXT NOT NULL,
    field TEXT NOT NULL,
    summary TEXT NOT NULL,
    evidence TEXT NOT NULL DEFAULT '[]',
    campaign_id INTEGER REFERENCES campaigns(id),
    nominated_by INTEGER REFERENCES people(id),
    nominated_by_telegram INTEGER NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'returned', 'approved', 'rejected', 'withdrawn')),
    review_unit_id INTEGER NOT NULL REFERENCES units(id),
    stage INTEGER NOT NULL DEFAULT 0,
    queued_at TEXT NOT NULL,
    reason TEXT,
    returned_by INTEGER REFERENCES people(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX nominations_unit_quarter ON nominations(unit_id, year, quarter, status);
CREATE INDEX nominations_queue ON nominations(status, review_unit_id, queued_at);
CREATE INDEX nominations_nominee ON nominations(nominee_key, year, quarter);

-- Every change to a nomination, never updated or deleted: created, edited, withdrawn,
-- returned (sent back), approved, rejected, published; who (a roster person, or only the
-- Telegram id of an OFFICE_ADMIN_IDS admin off the roster), when, at which reviewing unit,
-- the reason given, and for a nomination withdrawn over the quota the one that replaced it.
CREATE TABLE nomination_history (
    id INTEGER PRIMARY KEY,
    nomination_id INTEGER NOT NULL REFERENCES nominations(id),
    event TEXT NOT NULL CHECK (event IN
        ('created', 'edited', 'withdrawn', 'returned', 'approved', 'rejected', 'published')),
    person_id INTEGER REFERENCES people(id),
    telegram_id INTEGER,
    unit_id INTEGER REFERENCES units(id),
    reason TEXT,
    replaced_by INTEGER REFERENCES nominations(id),
    at TEXT NOT NULL
);
CREATE INDEX nomination_history_nomination ON nomination_history(nomination_id, id);

-- What an office set for nominations under one campaign: its own quota per unit per quarter
-- (NULL: NOMINATION_QUOTA applies) and whether units file an award dossier for its final
-- round.
CREATE TABLE campaign_nomination_settings (
    campaign_id INTEGER PRIMARY KEY REFERENCES campaigns(id),
    quota INTEGER CHECK (quota IS NULL OR quota BETWEEN 1 AND 100),
    dossier INTEGER NOT NULL DEFAULT 0 CHECK (dossier IN (0, 1)),
    updated_by INTEGER,
    updated_at TEXT NOT NULL
);

-- A publication ("nhân rộng điển hình"): one broadcast of a quarter's approved examples.
-- `token` comes from the office's draft, so pressing «Gửi» twice sends once.
CREATE TABLE nomination_publications (
    id INTEGER PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    unit_id INTEGER REFERENCES units(id),
    year INTEGER NOT NULL,
    quarter INTEGER NOT NULL,
    campaign_id INTEGER REFERENCES campaigns(id),
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id),
    published_by INTEGER NOT NULL,
    published_at TEXT NOT NULL
);

-- An award dossier (hồ sơ đề nghị khen thưởng) of a unit for a campaign's final round, and
-- its files by part: to_trinh (tờ trình, tóm tắt thành tích), bien_ban (biên bản họp xét),
-- bao_cao (báo cáo thành tích kèm minh chứng).
CREATE TABLE award_dossiers (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES rounds(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (round_id, unit_id)
);

CREATE TABLE dossier_files (
    dossier_id INTEGER NOT NULL REFERENCES award_dossiers(id),
    part TEXT NOT NULL CHECK (part IN ('to_trinh', 'bien_ban', 'bao_cao')),
    evidence_id INTEGER NOT NULL REFERENCES evidence_files(id),
    added_by INTEGER REFERENCES people(id),
    added_at TEXT NOT NULL,
    PRIMARY KEY (dossier_id, part, evidence_id)
)
