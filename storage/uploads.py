"""Roster files sent in the chat, waiting for the office's confirmation.

A file's bytes are kept only while it can still be applied: applying or dropping it, a newer
file from the same person, or a day without an answer (`UPLOAD_TTL`) clears them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.db import Database

UPLOAD_TTL = timedelta(days=1)


@dataclass(frozen=True)
class RosterUpload:
    id: int
    telegram_id: int
    file_name: str
    data: bytes
    status: str


def _expire(conn: sqlite3.Connection, now: datetime) -> int:
    """Drop pending files older than UPLOAD_TTL, and their bytes (times compared as moments:
    they were written in whatever zone the clock gave)."""
    pending = conn.execute("SELECT id, created_at FROM roster_uploads WHERE status = 'pending'")
    stale = [(row[0],) for row in pending if datetime.fromisoformat(row[1]) < now - UPLOAD_TTL]
    conn.executemany(
        "UPDATE roster_uploads SET status = 'dropped', data = X'' WHERE id = ?", stale
    )
    return len(stale)


async def save_upload(
    db: Database, telegram_id: int, file_name: str, data: bytes, now: datetime
) -> int:

    def work(conn: sqlite3.Connection) -> int:
        # Only the newest file of a person can be applied: the older ones' bytes go.
        conn.execute(
            "UPDATE roster_uploads SET status = 'dropped', data = X''"
            " WHERE telegram_id = ? AND status = 'pending'",
            (telegram_id,),
        )
        _expire(conn, now)
        cursor = conn.execute(
            "INSERT INTO roster_uploads (telegram_id, file_name, data, created_at)"
            " VALUES (?, ?, ?, ?)",
            (telegram_id, file_name, data, now.isoformat()),
        )
        return cursor.lastrowid or 0

    return await db.transact(work)


async def expire_uploads(db: Database, now: datetime) -> int:
    """Files nobody confirmed or dropped within a day (run at start-up): how many went."""
    return await db.transact(lambda conn: _expire(conn, now))


async def get_upload(db: Database, upload_id: int, now: datetime) -> RosterUpload | None:
    """The upload; one left pending past UPLOAD_TTL reads as dropped (its bytes go at the next
    upload or start-up)."""
    row = await db.fetchone(
        "SELECT id, telegram_id, file_name, data, status, created_at FROM roster_uploads"
        " WHERE id = ?",
        (upload_id,),
    )
    if row is None:
        return None
    status = row[4]
    if status == "pending" and datetime.fromisoformat(row[5]) < now - UPLOAD_TTL:
        status = "dropped"
    return RosterUpload(row[0], row[1], row[2], bytes(row[3]), status)


async def close_upload(db: Database, upload_id: int, status: str) -> bool:
    """Mark a pending upload applied or dropped, clearing its bytes; False if it was not
    pending any more."""
    changed = await db.transact(
        lambda conn: (
            conn.execute(
                "UPDATE roster_uploads SET status = ?, data = X''"
                " WHERE id = ? AND status = 'pending'",
                (status, upload_id),
            ).rowcount
        )
    )
    return changed == 1


async def upload_status(db: Database, upload_id: int) -> str | None:
    """'pending', 'applied' or 'dropped' (None: no such upload), without reading the file."""
    status = await db.fetchval("SELECT status FROM roster_uploads WHERE id = ?", (upload_id,))
    return None if status is None else str(status)
