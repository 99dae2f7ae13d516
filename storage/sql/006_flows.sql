-- What a campaign's recipients receive, in its two versions (the encoding of
-- storage/outgoing.py): 'answer' for those with a round to answer (with «📝 Báo cáo»),
-- 'read' for those who only read it. Kept so that someone who registers after the launch
-- gets the version for their role. Campaigns launched before this table existed fall back to
-- their launch broadcast's payload (storage/audiences.py).
CREATE TABLE campaign_messages (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    audience TEXT NOT NULL CHECK (audience IN ('answer', 'read')),
    payload TEXT NOT NULL,
    PRIMARY KEY (campaign_id, audience)
)
;

-- A campaign's broadcasts: its launch, and one per person who registered after it (what a
-- registration looks up, in its transaction, to queue the campaigns the newcomer missed).
CREATE INDEX broadcasts_campaign ON broadcasts(campaign_id, kind)
