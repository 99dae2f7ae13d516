-- Who sent a report back for additions (an office person; NULL for an OFFICE_ADMIN_IDS admin
-- who is not on the roster, and for reports returned before this was recorded): the notice
-- to the person names them, and they are told when the report comes back.
ALTER TABLE submissions ADD COLUMN returned_by INTEGER REFERENCES people(id);

-- How Telegram holds an evidence file: a photo's file id can only be sent back as a photo,
-- a document's as a document. Earlier photos were stored as "anh_<file_unique_id>.jpg".
ALTER TABLE evidence_files ADD COLUMN kind TEXT NOT NULL DEFAULT 'document'
    CHECK (kind IN ('document', 'photo'));
UPDATE evidence_files SET kind = 'photo'
    WHERE file_name = 'anh_' || file_unique_id || '.jpg' AND mime_type = 'image/jpeg'
