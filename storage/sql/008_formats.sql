-- Roster files superseded by a newer one were marked dropped but kept their bytes: a file
-- is kept only while it can still be applied (storage/uploads.py).
UPDATE roster_uploads SET data = X'' WHERE status <> 'pending'
