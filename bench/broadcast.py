"""Broadcast to 5,000 recipients through the fake Bot API server, rate-limited to R a second.

The fake answers 429 (retry after 1 s) to any sending request, progress edits included, beyond R
in the last second, as Telegram's flood control does. The bot runs as in production, `python -m
bot` in its own process (sharing one process, and so one event loop's stalls, with the fake would
skew the arrival times the fake's limit is judged on).

BROADCAST_RATE is set the way the engine is meant to be configured against an allowed rate R:
a little below it, R × 0.98 by default (--share). The sender spaces requests evenly, so a
second holds R of them only while arrival jitter stays under the spare 2 % (20 ms at 30/s); the
office's progress edits (one every 2 s) come out of the same budget.

Timed from enqueue (a row inserted by this process; the bot notices within its 0.5 s poll) to
the last recipient's row marked. Prints achieved rate (delivered ÷ elapsed) ÷ allowed rate
(goal 0.95 or better), the 429s received and the recipients lost (goal 0).
Run: python bench/broadcast.py [--rate 30] [--recipients 5000]   (about 3 minutes at 30/s)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import signal
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.db import Database
from storage.outbox import create_broadcast
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.harness import ADMIN_ID
from tests.helpers import NOW
from tests.test_outbox import PAYLOAD, registered_recipients

ROOT = Path(__file__).resolve().parent.parent
UNFINISHED = (
    "SELECT COUNT(*) FROM outbox WHERE broadcast_id = ? AND status IN ('pending', 'sending')"
)


async def inject_429s(telegram: FakeTelegram, count: int) -> None:
    """Flood-control answers out of the blue (Telegram has its moods), one every 5 s."""
    for _ in range(count):
        await asyncio.sleep(5)
        telegram.inject_error("sendMessage", 429, retry_after=1)


async def run(rate: float, recipients_count: int, share: float, injected: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database_path = Path(tmp) / "bot.sqlite3"
        db = await Database.open(database_path)
        telegram = FakeTelegram()
        await telegram.start()
        telegram.rate_limit = rate
        recipients = await registered_recipients(db, telegram, recipients_count)
        telegram.user(ADMIN_ID)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": tmp,
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": telegram.api_url,
            "TELEGRAM_FILE_URL": telegram.file_url,
            "DATABASE_PATH": str(database_path),
            "BROADCAST_RATE": f"{rate * share:g}",
            "LOG_LEVEL": "WARNING",
        }
        log_path = Path(tmp) / "bot.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", env=env, cwd=tmp, stdout=log, stderr=log
            )
        try:
            await telegram.wait_until(lambda: bool(telegram.calls_of("getUpdates")), timeout=60)
            # The fake's clock judges the rate, so its own garbage-collector pauses (tens of ms
            # with 5,000 users and every call kept) must not bunch up the arrivals it stamps.
            # The bot's process is left alone.
            gc.freeze()
            gc.disable()
            started = datetime.now(UTC)
            broadcast_id = await create_broadcast(
                db,
                kind="announcement",
                campaign_id=None,
                message=PAYLOAD,
                created_by=ADMIN_ID,
                progress_chat_id=ADMIN_ID,
                progress_message_id=None,  # the sender posts it
                recipients=recipients,
                now=NOW,
            )
            injector = asyncio.create_task(inject_429s(telegram, injected))
            deadline = 3 * recipients_count / rate + 60
            while await db.fetchval(UNFINISHED, (broadcast_id,)):
                await asyncio.sleep(0.2)
                if (datetime.now(UTC) - started).total_seconds() > deadline:
                    sys.exit(f"the broadcast stalled; see {log_path}")
            injector.cancel()
            last_mark = await db.fetchval(
                "SELECT MAX(updated_at) FROM outbox WHERE broadcast_id = ?", (broadcast_id,)
            )
            elapsed = (datetime.fromisoformat(last_mark) - started).total_seconds()
            failed = await db.fetchval(
                "SELECT COUNT(*) FROM outbox WHERE broadcast_id = ? AND status != 'sent'",
                (broadcast_id,),
            )
            await telegram.wait_until(
                lambda: any("Đã gửi xong:" in m.shown for m in telegram.messages_to(ADMIN_ID)),
                timeout=30,
            )
        finally:
            gc.enable()
            process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), 30)
            await db.close()
            await telegram.stop()
        pauses = log_path.read_text(errors="replace").count("outbox paused")

    received = Counter(m.chat_id for m in telegram.sent if m.chat_id != ADMIN_ID)
    lost = sum(1 for _, chat in recipients if received[chat] != 1)
    delivered = sum(received.values())
    achieved = delivered / elapsed
    print(f"recipients:        {recipients_count}")
    print(f"allowed rate:      {rate:g}/s (the fake's limit, progress edits included)")
    print(f"BROADCAST_RATE:    {rate * share:g}/s ({share:g} × allowed)")
    print(f"elapsed:           {elapsed:.1f} s (enqueue → last row marked)")
    print(f"delivered:         {delivered} ({failed} rows not sent)")
    print(f"progress edits:    {len(telegram.calls_of('editMessageText'))}")
    print(f"achieved rate:     {achieved:.2f}/s")
    print(f"achieved/allowed:  {achieved / rate:.3f}")
    print(f"429s received:     {telegram.throttled} from the rate limit, {injected} injected")
    print(f"sender pauses:     {pauses}")
    print(f"lost:              {lost}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=30.0, help="the fake's limit, a second")
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--share", type=float, default=0.98, help="BROADCAST_RATE ÷ --rate")
    parser.add_argument("--inject-429", type=int, default=0, help="429s to inject, 5 s apart")
    args = parser.parse_args()
    asyncio.run(run(args.rate, args.recipients, args.share, args.inject_429))


if __name__ == "__main__":
    main()
