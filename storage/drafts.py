"""Drafts of multi-step flows, one per person and flow, as JSON; written at every step."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from storage.db import Database


async def save_draft(
    db: Database, telegram_id: int, flow: str, data: dict[str, Any], now: datetime
) -> None:
    await db.write(
        "INSERT INTO drafts (telegram_id, flow, data, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (telegram_id, flow) DO UPDATE SET data = excluded.data,"
        " updated_at = excluded.updated_at",
        (telegram_id, flow, json.dumps(data, ensure_ascii=False), now.isoformat()),
    )


def read_draft(conn: sqlite3.Connection, telegram_id: int, flow: str) -> dict[str, Any] | None:
    """The draft, inside a caller's one-hop read (Database.read)."""
    row = conn.execute(
        "SELECT data FROM drafts WHERE telegram_id = ? AND flow = ?", (telegram_id, flow)
    ).fetchone()
    return None if row is None else dict(json.loads(row[0]))


async def load_draft(db: Database, telegram_id: int, flow: str) -> dict[str, Any] | None:
    return await db.read(lambda conn: read_draft(conn, telegram_id, flow))


def remove_draft(conn: sqlite3.Connection, telegram_id: int, flow: str) -> None:
    """Delete the draft, inside a caller's transaction (Database.transact)."""
    conn.execute("DELETE FROM drafts WHERE telegram_id = ? AND flow = ?", (telegram_id, flow))


async def delete_draft(db: Database, telegram_id: int, flow: str) -> None:
    await db.transact(lambda conn: remove_draft(conn, telegram_id, flow))
