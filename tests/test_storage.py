from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage.db import Database
from storage.migrations import _split_statements, migration_scripts


async def test_fresh_database_gets_every_migration(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.sqlite3")
    assert await db.fetchval("PRAGMA user_version") == len(migration_scripts())
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    await db.close()
    again = await Database.open(tmp_path / "a.sqlite3")  # reopening applies nothing twice
    assert await again.fetchval("PRAGMA user_version") == len(migration_scripts())
    await again.close()


async def test_newer_database_is_refused_without_hanging(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "a.sqlite3")
    await db.write("PRAGMA user_version = 999")
    await db.close()
    with pytest.raises(RuntimeError, match="newer than this code"):
        await asyncio.wait_for(Database.open(tmp_path / "a.sqlite3"), 5)


async def test_a_failed_transaction_rolls_back(db: Database) -> None:
    with pytest.raises(ZeroDivisionError):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO units (code, name, updated_at) VALUES ('X', 'X', 'now')"
            )
            raise ZeroDivisionError
    assert await db.fetchval("SELECT COUNT(*) FROM units") == 0


def test_comments_may_hold_semicolons() -> None:
    sql = "-- a; b\nCREATE TABLE a (x);\n-- c;\nCREATE TABLE b (y)"
    assert _split_statements(sql) == ["CREATE TABLE a (x)", "CREATE TABLE b (y)"]
