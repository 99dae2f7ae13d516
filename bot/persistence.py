"""Conversation states in our SQLite database, so a flow survives a restart.

Only conversations are persisted: each flow keeps its own data in a draft row, and Services
(bot_data) is rebuilt at start-up. PTB reads conversations in `initialize()`, before our
post_init runs, so the bot's one connection is opened by whichever asks first (SharedDatabase);
a second connection would make the two wait on each other's write locks.
"""

from __future__ import annotations

import json
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, BasePersistence, PersistenceInput, TypeHandler
from telegram.ext._utils.types import ConversationDict, ConversationKey

from storage.db import SharedDatabase


def encode_key(key: ConversationKey) -> str:
    """A conversation's key (chat id, user id) as the `conversations` table stores it."""
    return json.dumps(list(key))


class SQLitePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], Any]):
    def __init__(self, database: SharedDatabase) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=False, callback_data=False
            ),
            update_interval=60,
        )
        self._database = database
        # What the table holds, so that a conversation staying in the same state (most
        # answers) costs no write: PTB reports every state a handler returns.
        self._stored: dict[tuple[str, str], str] = {}

    async def get_conversations(self, name: str) -> ConversationDict:
        db = await self._database.get()
        rows = await db.fetchall("SELECT key, state FROM conversations WHERE name = ?", (name,))
        for key, state in rows:
            self._stored[name, key] = state
        return {tuple(json.loads(row[0])): json.loads(row[1]) for row in rows}

    def forget(self, name: str, encoded_key: str) -> None:
        """A business action deleted the conversation's row in its own transaction
        (storage.drafts.end_flow): the table no longer holds it."""
        self._stored.pop((name, encoded_key), None)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        db = await self._database.get()
        encoded_key = encode_key(key)
        if new_state is None:
            if self._stored.pop((name, encoded_key), None) is not None:
                await db.write(
                    "DELETE FROM conversations WHERE name = ? AND key = ?", (name, encoded_key)
                )
            return
        encoded_state = json.dumps(new_state)
        if self._stored.get((name, encoded_key)) == encoded_state:
            return
        await db.write(
            "INSERT INTO conversations (name, key, state) VALUES (?, ?, ?)"
            " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
            (name, encoded_key, encoded_state),
        )
        self._stored[name, encoded_key] = encoded_state

    async def flush(self) -> None:
        return None  # every change is written as it happens; the application closes the db

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


def conversation_ended(application: Any, name: str, encoded_key: str) -> None:
    """Tell the persistence that a business action ended this conversation's row itself."""
    persistence = getattr(application, "persistence", None)
    if isinstance(persistence, SQLitePersistence):
        persistence.forget(name, encoded_key)


async def _save_states(update: Update, context: Any) -> None:
    await context.application.update_persistence()


def save_states_handler() -> BaseHandler[Update, Any, None]:
    """Registered in a group after every flow: PTB would otherwise save conversation states
    only every `update_interval` seconds, and a crash would lose the latest step."""
    return TypeHandler(Update, _save_states)
