from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.db import Database, SharedDatabase
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


def test_comments_may_hold_semicolons() -> None:
    sql = "-- a; b\nCREATE TABLE a (x);\n-- c;\nCREATE TABLE b (y)"
    assert _split_statements(sql) == ["CREATE TABLE a (x)", "CREATE TABLE b (y)"]


async def test_transact_commits_returns_and_rolls_back(db: Database) -> None:
    def insert(code: str) -> Callable[[sqlite3.Connection], int]:
        def work(conn: sqlite3.Connection) -> int:
            conn.execute(
                "INSERT INTO units (code, name, updated_at) VALUES (?, ?, 'now')", (code, code)
            )
            return int(conn.execute("SELECT COUNT(*) FROM units").fetchone()[0])

        return work

    assert await db.transact(insert("A")) == 1

    def fail(conn: sqlite3.Connection) -> None:
        insert("B")(conn)
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await db.transact(fail)
    assert await db.read(lambda conn: [r[0] for r in conn.execute("SELECT code FROM units")]) == [
        "A"
    ]


async def test_a_failed_commit_leaves_no_open_transaction(db: Database) -> None:
    def orphan(conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA defer_foreign_keys = ON")  # the check moves to COMMIT
        conn.execute("INSERT INTO people (full_name, phone, role, unit_id, updated_at)"
                     " VALUES ('A', '0912000009', 'teacher', 999, 'x')")  # fmt: skip

    with pytest.raises(sqlite3.IntegrityError):
        await db.transact(orphan)
    await db.write("INSERT INTO units (code, name, updated_at) VALUES ('U', 'U', 'x')")
    assert await db.fetchval("SELECT COUNT(*) FROM people") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM units") == 1


async def test_read_is_one_snapshot_and_keeps_no_writes(db: Database) -> None:
    def look(conn: sqlite3.Connection) -> tuple[int, int]:
        first = conn.execute("SELECT COUNT(*) FROM units").fetchone()[0]
        conn.execute("INSERT INTO units (code, name, updated_at) VALUES ('R', 'R', 'x')")
        return first, conn.execute("SELECT COUNT(*) FROM units").fetchone()[0]

    assert await db.read(look) == (0, 1)
    assert await db.fetchval("SELECT COUNT(*) FROM units") == 0  # read() keeps nothing


async def test_concurrent_transacts_are_each_atomic(db: Database) -> None:
    await db.write("INSERT INTO units (code, name, updated_at) VALUES ('C', '0', 'x')")

    def increment(conn: sqlite3.Connection) -> None:
        value = int(conn.execute("SELECT name FROM units WHERE code = 'C'").fetchone()[0])
        conn.execute("UPDATE units SET name = ? WHERE code = 'C'", (str(value + 1),))

    await asyncio.gather(*(db.transact(increment) for _ in range(300)))
    assert await db.fetchval("SELECT name FROM units WHERE code = 'C'") == "300"


async def test_shared_database_is_opened_once(tmp_path: Path) -> None:
    shared = SharedDatabase(tmp_path / "s.sqlite3")
    first, second = await asyncio.gather(shared.get(), shared.get())
    assert first is second
    await shared.close()
    await shared.close()  # closing twice is harmless (shutdown paths may overlap)
