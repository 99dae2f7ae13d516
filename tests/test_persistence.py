"""Conversation states in SQLite: written when they change, read back after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.persistence import SQLitePersistence
from storage.db import SharedDatabase


async def test_a_state_is_written_only_when_it_changes(tmp_path: Path) -> None:
    shared = SharedDatabase(tmp_path / "p.sqlite3")
    persistence = SQLitePersistence(shared)
    assert await persistence.get_conversations("baocao") == {}
    db = await shared.get()
    writes: list[str] = []
    original = db.write

    async def counting(sql: str, params: Any = ()) -> int:
        writes.append(sql.split()[0])
        return await original(sql, params)

    db.write = counting  # type: ignore[method-assign]
    await persistence.update_conversation("baocao", (1, 1), "answer")
    await persistence.update_conversation("baocao", (1, 1), "answer")  # most answers: no write
    assert writes == ["INSERT"]
    await persistence.update_conversation("baocao", (1, 1), "review")
    await persistence.update_conversation("baocao", (1, 1), None)
    await persistence.update_conversation("baocao", (1, 1), None)
    await persistence.update_conversation("baocao", (3, 3), None)  # never stored: nothing to do
    assert writes == ["INSERT", "INSERT", "DELETE"]
    await persistence.update_conversation("baocao", (2, 2), "pick")

    restarted = SQLitePersistence(shared)
    assert await restarted.get_conversations("baocao") == {(2, 2): "pick"}
    await restarted.update_conversation("baocao", (2, 2), "pick")  # known after the restart
    assert writes == ["INSERT", "INSERT", "DELETE", "INSERT"]
    await shared.close()
