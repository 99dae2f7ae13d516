"""`python -m bot` killed with SIGKILL halfway through a broadcast, then started again.

Only rows that were 'sending' at the kill can reach someone twice: a request Telegram answered
whose 'sent' mark never committed. There are at most DEFAULT_MAX_IN_FLIGHT of them.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections import Counter
from pathlib import Path

from bot.sender import DEFAULT_MAX_IN_FLIGHT
from storage.db import Database
from storage.outbox import create_broadcast
from tests.fake_telegram import FakeTelegram
from tests.harness import ADMIN_ID
from tests.helpers import NOW
from tests.test_cli import module_env, start_module
from tests.test_outbox import PAYLOAD, registered_recipients

RECIPIENTS = 1000


async def seed(path: Path) -> list[int]:
    """A roster of registered people and a pending broadcast to all of them; their chats."""
    db = await Database.open(path)
    try:
        recipients = await registered_recipients(db, None, RECIPIENTS)
        await create_broadcast(
            db,
            kind="announcement",
            campaign_id=None,
            message=PAYLOAD,
            created_by=ADMIN_ID,
            progress_chat_id=ADMIN_ID,
            progress_message_id=None,
            recipients=recipients,
            now=NOW,
        )
    finally:
        await db.close()
    return [chat for _, chat in recipients]


def delivered(telegram: FakeTelegram) -> Counter[int]:
    return Counter(m.chat_id for m in telegram.sent if m.chat_id != ADMIN_ID)


def in_flight(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(
            conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'sending'").fetchone()[0]
        )
    finally:
        conn.close()


async def test_sigkill_halfway_then_restart(telegram: FakeTelegram, tmp_path: Path) -> None:
    env = module_env(telegram, tmp_path)
    env.update(BROADCAST_RATE="200", LOG_LEVEL="INFO")
    chats = await seed(Path(env["DATABASE_PATH"]))
    for chat in [*chats, ADMIN_ID]:
        telegram.user(chat)

    first = await start_module(env, tmp_path, "first.log")
    try:
        await telegram.wait_until(lambda: sum(delivered(telegram).values()) >= 500, timeout=20)
    finally:
        first.kill()  # SIGKILL: no clean-up of any kind
        await first.wait()
    at_kill = sum(delivered(telegram).values())
    sending = in_flight(Path(env["DATABASE_PATH"]))
    assert at_kill < RECIPIENTS, "the broadcast finished before the kill"

    second = await start_module(env, tmp_path, "second.log")
    try:
        await telegram.wait_until(
            lambda: any("Đã gửi xong:" in m.shown for m in telegram.messages_to(ADMIN_ID)),
            timeout=25,
        )
    finally:
        second.send_signal(signal.SIGINT)
        await asyncio.wait_for(second.wait(), 30)

    counts = delivered(telegram)
    twice = sorted(chat for chat, n in counts.items() if n > 1)
    print(
        f"killed after {at_kill} deliveries with {sending} rows 'sending'; "
        f"{len(twice)} recipients got the message twice (bound {DEFAULT_MAX_IN_FLIGHT})"
    )
    assert set(counts) == set(chats), "someone never got the message"
    assert max(counts.values()) <= 2
    assert len(twice) <= sending <= DEFAULT_MAX_IN_FLIGHT
    assert "Đã gửi 1.000 / 1.000 · lỗi 0 · chặn bot 0" in "\n".join(
        m.shown for m in telegram.messages_to(ADMIN_ID)
    )
    assert second.returncode == 0, (tmp_path / "second.log").read_text()
    assert "outbox rows were in flight" in (tmp_path / "second.log").read_text() or sending == 0
