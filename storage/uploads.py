"""Roster files sent in the chat, waiting for the office's confirmation."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database


@dataclass(frozen=True)
class RosterUpload:
    id: int
    telegram_id: int
    file_name: str
    data: bytes
    status: str


async def save_upload(
    db: Database, telegram_id: int, file_name: str, data: bytes, now: datetime
) -> int:

    def work(conn: sqlite3.Connection) -> int:
        # Only the newest file of a person can be applied.
        conn.execute(
            "UPDATE roster_uploads SET status = 'dropped'"
            " WHERE telegram_id = ? AND status = 'pending'",
            (telegram_id,),
        )
        cursor = conn.execute(
            "INSERT INTO roster_uploads (telegram_id, file_name, data, created_at)"
            " VALUES (?, ?, ?, ?)",
            (telegram_id, file_name, data, now.isoformat()),
        )
        return cursor.lastrowid or 0

    return await db.transact(work)


async def get_upload(db: Database, upload_id: int) -> RosterUpload | None:
    row = await db.fetchone(
        "SELECT id, telegram_id, file_name, data, status FROM roster_uploads WHERE id = ?",
        (upload_id,),
    )
    if row is None:
        return None
    return RosterUpload(row[0], row[1], row[2], bytes(row[3]), row[4])


async def close_upload(db: Database, upload_id: int, status: str) -> bool:
    """Mark a pending upload applied or dropped; False if it was not pending any more."""
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
