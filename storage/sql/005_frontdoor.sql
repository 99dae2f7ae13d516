-- Group chats (and channels) the bot has told that it works in private chats only: it says
-- so once per chat, also across restarts, and never answers anything else there.
CREATE TABLE group_notices (
    chat_id INTEGER PRIMARY KEY,
    told_at TEXT NOT NULL
)
