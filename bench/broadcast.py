"""Broadcast to 5,000 recipients through the fake Bot API server, rate-limited to R a second.

The fake answers 429 (retry after 1 s) to any sending request, edits included, beyond R in the
last second, as Telegram's flood control does. The bot runs for real (tests/harness.py) with
BROADCAST_RATE configured the way it is meant to be against an allowed rate R: a little below it,
R × 0.98 by default (--share), because the sender spaces requests evenly and a second holds
30 of them only if their arrival jitter stays under the spare 2 %; the office's progress edits
(one every 2 s) come out of the same budget.

Timed from enqueue to the last recipient's row marked. Prints achieved rate (delivered ÷ elapsed)
÷ allowed rate (goal 0.95 or better), the 429s received and recipients lost (goal 0).
Run: python bench/broadcast.py [--rate 30] [--recipients 5000]   (about 3 minutes at 30/s)
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.outbox import broadcast_counts, create_broadcast
from tests.fake_telegram import FakeTelegram
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import NOW
from tests.test_outbox import PAYLOAD, registered_recipients


async def inject_429s(telegram: FakeTelegram, count: int) -> None:
    """Flood-control answers out of the blue (Telegram has its moods), one every 5 s."""
    for _ in range(count):
        await asyncio.sleep(5)
        telegram.inject_error("sendMessage", 429, retry_after=1)


async def run(rate: float, recipients_count: int, share: float, injected: int) -> None:
    telegram = FakeTelegram()
    await telegram.start()
    telegram.rate_limit = rate
    with tempfile.TemporaryDirectory() as tmp:
        bot = RunningBot(telegram, Path(tmp))
        bot.config = dataclasses.replace(bot.config, broadcast_rate=rate * share)
        await bot.start()
        try:
            recipients = await registered_recipients(bot.db, telegram, recipients_count)
            telegram.user(ADMIN_ID)
            assert bot.app is not None and bot.app.bot_data.sender is not None
            progress = await bot.app.bot.send_message(ADMIN_ID, "⏳")
            await asyncio.sleep(1.1)  # let the fake's one-second window forget that message
            throttled_before = telegram.throttled

            started = datetime.now(UTC)
            clock_start = time.perf_counter()
            broadcast_id = await create_broadcast(
                bot.db,
                kind="announcement",
                campaign_id=None,
                payload=PAYLOAD,
                created_by=ADMIN_ID,
                progress_chat_id=ADMIN_ID,
                progress_message_id=progress.message_id,
                recipients=recipients,
                now=NOW,
            )
            bot.app.bot_data.sender.wake()
            injector = asyncio.create_task(inject_429s(telegram, injected))
            while not (await broadcast_counts(bot.db, broadcast_id)).drained:
                await asyncio.sleep(0.2)
                if time.perf_counter() - clock_start > 3 * recipients_count / rate + 60:
                    sys.exit("the broadcast stalled")
            last_mark = await bot.db.fetchval(
                "SELECT MAX(updated_at) FROM outbox WHERE broadcast_id = ?", (broadcast_id,)
            )
            elapsed = (datetime.fromisoformat(last_mark) - started).total_seconds()
            counts = await broadcast_counts(bot.db, broadcast_id)
            injector.cancel()
        finally:
            await bot.stop()
            await telegram.stop()

    received = Counter(m.chat_id for m in telegram.sent if m.chat_id != ADMIN_ID)
    lost = sum(1 for _, chat in recipients if received[chat] != 1)
    delivered = sum(received.values())
    edits = telegram.calls_of("editMessageText")
    achieved = delivered / elapsed
    print(f"recipients:        {recipients_count}")
    print(f"allowed rate:      {rate:g}/s (fake server's limit, edits included)")
    print(f"BROADCAST_RATE:    {rate * share:g}/s ({share:g} × allowed)")
    print(f"elapsed:           {elapsed:.1f} s (enqueue → last row marked)")
    print(f"delivered:         {delivered} ({counts.sent} rows sent, {counts.failed} failed)")
    print(f"progress edits:    {len(edits)}")
    print(f"achieved rate:     {achieved:.2f}/s")
    print(f"achieved/allowed:  {achieved / rate:.3f}")
    throttled = telegram.throttled - throttled_before
    print(f"429s received:     {throttled} from the rate limit, {injected} injected")
    print(f"lost:              {lost}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=30.0, help="the fake's limit, a second")
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--share", type=float, default=0.98, help="BROADCAST_RATE ÷ --rate")
    parser.add_argument("--inject-429", type=int, default=0, help="429s to inject, 5 s apart")
    args = parser.parse_args()
    asyncio.run(run(args.rate, args.recipients, args.share, args.inject_429))


if __name__ == "__main__":
    main()
