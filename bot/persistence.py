"""Conversation states in our SQLite database, so a flow survives a restart.

Only conversations are persisted: each flow keeps its own data in a draft row, and Services
(bot_data) is rebuilt at start-up. PTB reads conversations in `initialize()`, before our
post_init opens the database, so this class opens its own connection (WAL allows two).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, BasePersistence, PersistenceInput, TypeHandler
from telegram.ext._utils.types import ConversationDict, ConversationKey

from storage.db import Database


class SQLitePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], Any]):
    def __init__(self, path: Path) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=False, callback_data=False
            ),
            update_interval=60,
        )
        self._path = path
        self._db: Database | None = None

    async def _database(self) -> Database:
        if self._db is None:
            self._db = await Database.open(self._path)
        return self._db

    async def get_conversations(self, name: str) -> ConversationDict:
        db = await self._database()
        rows = await db.fetchall("SELECT key, state FROM conversations WHERE name = ?", (name,))
        return {tuple(json.loads(row[0])): json.loads(row[1]) for row in rows}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        db = await self._database()
        encoded_key = json.dumps(list(key))
        if new_state is None:
            await db.write(
                "DELETE FROM conversations WHERE name = ? AND key = ?", (name, encoded_key)
            )
            return
        await db.write(
            "INSERT INTO conversations (name, key, state) VALUES (?, ?, ?)"
            " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
            (name, encoded_key, json.dumps(new_state)),
        )

    async def flush(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    # Nothing else is persisted (see the module docstring).
    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> Any:
        return None

    async def get_callback_data(self) -> None:
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: Any) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: Any) -> None:
        return None


async def _save_states(update: Update, context: Any) -> None:
    await context.application.update_persistence()


def save_states_handler() -> BaseHandler[Update, Any, None]:
    """Registered in a group after every flow: PTB would otherwise save conversation states
    only every `update_interval` seconds, and a crash would lose the latest step."""
    return TypeHandler(Update, _save_states)
