"""One aiosqlite connection, WAL mode, and every transaction in one call.

aiosqlite runs one thread per connection and every call is a hop into it and back. Under load
the hop, not SQLite, is the cost: the event loop holds the GIL, so the database thread waits
up to the interpreter's switch interval (5 ms) to run and again to hand back its result. So
work is handed over whole, as a synchronous function of the sqlite3 connection: `read(work)`
runs it in a read snapshot, `transact(work)` inside BEGIN IMMEDIATE … COMMIT. The thread runs
its queue in order, so two transactions never interleave and no asyncio lock is needed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from storage.migrations import apply_migrations

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")
Work = Callable[[sqlite3.Connection], T]


class Database:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._conn = connection

    @classmethod
    async def open(cls, path: Path | str) -> Database:
        """Open (creating folders and file as needed) and bring the schema up to date."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = aiosqlite.Row
        db = cls(conn)
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA busy_timeout = 5000")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await db.transact(apply_migrations)
        except BaseException:
            await conn.close()  # else aiosqlite's thread keeps the process alive
            raise
        return db

    async def close(self) -> None:
        await self._conn.close()

    async def read(self, work: Work[T]) -> T:
        """Run `work` (several SELECTs, say) in one snapshot, in one hop; nothing it might
        write is kept."""
        return await self._in_thread(partial(_in_snapshot, work))

    async def transact(self, work: Work[T]) -> T:
        """Run `work` inside BEGIN IMMEDIATE … COMMIT (rolled back if it raises), in one hop.

        No asyncio lock: a whole transaction is one item of the thread's queue. (A lock held
        across the hop's round trip, milliseconds under load, capped the bot at a few hundred
        writes a second.)"""
        return await self._in_thread(partial(_atomically, work))

    async def _in_thread(self, work: Work[T]) -> Any:
        # aiosqlite has no public call for "run this function in the connection's thread";
        # _execute is that call (every public method is built on it), and _conn is the
        # sqlite3 connection living in that thread. tests/test_storage.py pins the behaviour.
        raw = self._conn._conn
        return await self._conn._execute(work, raw)

    # A read is one call into aiosqlite's thread: with execute() then fetchall() as two hops,
    # another coroutine's write on this connection could land in between and leave the
    # cursor's statement undefined (seen as a NULL group in broadcast counts).
    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def write(self, sql: str, params: Params = ()) -> int:
        """One statement in its own transaction, in one hop; returns lastrowid."""
        return await self.transact(lambda conn: conn.execute(sql, params).lastrowid or 0)

    async def write_many(self, sql: str, rows: Iterable[Params]) -> None:
        batch = list(rows)
        await self.transact(lambda conn: conn.executemany(sql, batch))


def _in_snapshot(work: Work[T], conn: sqlite3.Connection) -> T:
    conn.execute("BEGIN")  # deferred: the first SELECT fixes what every later one sees
    try:
        return work(conn)
    finally:
        conn.execute("ROLLBACK")


def _atomically(work: Work[T], conn: sqlite3.Connection) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        # Also when COMMIT itself fails (a deferred constraint, a lock held too long by
        # another process): left open, the transaction would refuse every later BEGIN.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


class SharedDatabase:
    """The bot's one connection, opened by whichever part asks first and closed once.

    One connection, not one per part: two connections writing to the same file wait on each
    other's locks inside SQLite (busy_timeout sleeps), which stalls every coroutine behind them.
    """

    def __init__(self, path: Path | str) -> None:
        self._path = path
        self._db: Database | None = None
        self._opening = asyncio.Lock()

    async def get(self) -> Database:
        async with self._opening:
            if self._db is None:
                self._db = await Database.open(self._path)
            return self._db

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None
