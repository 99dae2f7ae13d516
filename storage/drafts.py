"""Drafts of multi-step flows, one per person and flow, as JSON; written at every step."""

from __future__ import annotations

import json
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


async def load_draft(db: Database, telegram_id: int, flow: str) -> dict[str, Any] | None:
    raw = await db.fetchval(
        "SELECT data FROM drafts WHERE telegram_id = ? AND flow = ?", (telegram_id, flow)
    )
    return None if raw is None else dict(json.loads(raw))


async def delete_draft(db: Database, telegram_id: int, flow: str) -> None:
    await db.write("DELETE FROM drafts WHERE telegram_id = ? AND flow = ?", (telegram_id, flow))
