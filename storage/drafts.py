"""Drafts of multi-step flows, one per person and flow, as JSON; written at every step.

A business action that ends a flow (a launch, an announcement, a send-back, a submitted
report) ends it inside its own transaction with `end_flow`: the draft is consumed, only if it
is still the one the person confirmed (its `token`), and the flow's conversation row goes with
it, so no state written afterwards can bring back a flow that is over.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database


class DraftGone(LookupError):
    """The draft a business action would end is not there any more (already launched or sent,
    cancelled, or replaced by a new one): the action did nothing."""


@dataclass(frozen=True)
class FlowEnd:
    """The end of a person's flow, committed with the action that ends it.

    `token`: the draft must still carry it (the token of the preview that was confirmed);
    `conversation`: the conversation row to end too, (handler name, key as stored by
    bot/persistence.py)."""

    telegram_id: int
    flow: str
    token: str | None = None
    conversation: tuple[str, str] | None = None


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
    """The draft, inside a caller's one-hop read (Database.read); None when there is none or
    it is not a JSON object."""
    row = conn.execute(
        "SELECT data FROM drafts WHERE telegram_id = ? AND flow = ?", (telegram_id, flow)
    ).fetchone()
    if row is None:
        return None
    try:
        data = json.loads(row[0])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def load_draft(db: Database, telegram_id: int, flow: str) -> dict[str, Any] | None:
    return await db.read(lambda conn: read_draft(conn, telegram_id, flow))


def remove_draft(conn: sqlite3.Connection, telegram_id: int, flow: str) -> None:
    """Delete the draft, inside a caller's transaction (Database.transact)."""
    conn.execute("DELETE FROM drafts WHERE telegram_id = ? AND flow = ?", (telegram_id, flow))


async def delete_draft(db: Database, telegram_id: int, flow: str) -> None:
    await db.transact(lambda conn: remove_draft(conn, telegram_id, flow))


def consume_draft(conn: sqlite3.Connection, end: FlowEnd) -> dict[str, Any]:
    """Take the draft and end the flow, inside the caller's transaction; returns the draft.
    `DraftGone` (which rolls the caller's transaction back) when there is no draft or it no
    longer carries `end.token`."""
    draft = read_draft(conn, end.telegram_id, end.flow)
    if draft is None or (end.token is not None and draft.get("token") != end.token):
        raise DraftGone(f"no {end.flow} draft of {end.telegram_id} with that token")
    end_flow(conn, end)
    return draft


def end_flow(conn: sqlite3.Connection, end: FlowEnd) -> None:
    """Delete the draft and the flow's conversation row (if named), whatever they hold,
    inside the caller's transaction."""
    remove_draft(conn, end.telegram_id, end.flow)
    if end.conversation is not None:
        conn.execute("DELETE FROM conversations WHERE name = ? AND key = ?", end.conversation)
