-- What a campaign's recipients receive, in its two versions (the encoding of
-- storage/outgoing.py): 'answer' for those with a round to answer (with «📝 Báo cáo»),
-- 'read' for those who only read it. Kept so that someone who registers after the launch
-- gets the version for their role. Campaigns launched before this table existed fall back to
-- their launch broadcast's payload (storage/newcomers.py).
CREATE TABLE campaign_messages (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    audience TEXT NOT NULL CHECK (audience IN ('answer', 'read')),
    payload TEXT NOT NULL,
    PRIMARY KEY (campaign_id, audience)
)
