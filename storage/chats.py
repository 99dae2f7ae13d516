"""Chats other than a person's private chat with the bot."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from storage.db import Database


async def first_word_in_group(db: Database, chat_id: int, now: datetime) -> bool:
    """True the first time this is asked for a group chat (the bot then says, once, that it
    works in private chats only); False ever after."""

    def work(conn: sqlite3.Connection) -> bool:
        cursor = conn.execute(
            "INSERT INTO group_notices (chat_id, told_at) VALUES (?, ?)"
            " ON CONFLICT (chat_id) DO NOTHING",
            (chat_id, now.isoformat()),
        )
        return cursor.rowcount == 1

    return await db.transact(work)
