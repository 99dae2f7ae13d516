"""The broadcast engine end to end: the real Application drains the outbox into the fake server."""

from __future__ import annotations

import asyncio
import html
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from bot.sender import OutboxSender, summary_text
from formats.roster_file import read_roster
from messages import format_number
from storage.db import Database
from storage.outbox import (
    BroadcastCounts,
    Failure,
    broadcast_counts,
    create_broadcast,
)
from storage.outgoing import Button, OutgoingMessage
from storage.roster import apply_import
from storage.text import name_order_key
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import NOW, csv_file

CHAT_BASE = 500_000  # recipient chat id = CHAT_BASE + person id
GIVEN = ["An", "Bình", "Chi", "Dũng", "Đức", "Hà", "Hương", "Lan", "Minh", "Nam", "Oanh", "Ơn"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Ngô", "Dương"]
PAYLOAD = OutgoingMessage(
    text="📣 <b>Phát động</b> phong trào «Vì người nghèo – Không để ai bị bỏ lại phía sau»",
    buttons=((Button("✅ Đã nhận", callback_data="test:ack"),),),
    title="Vì người nghèo",
)


def roster_rows(people: int, schools: int = 20) -> list[tuple[str, ...]]:
    """A Sở, a Phòng and `schools` schools with `people` people between them."""
    rows: list[tuple[str, ...]] = [
        ("SGD", "Sở GD&ĐT Bình Phước", "", "", "", ""),
        ("PGD", "Phòng GD&ĐT Đồng Xoài", "SGD", "", "", ""),
    ]
    for index in range(people):
        school = index % schools
        name = f"{FAMILY[index % 10]} Văn {GIVEN[(index // 10) % 12]} {index}"
        role = "hiệu trưởng" if index < schools else "giáo viên"
        rows.append(
            (f"T{school:02d}", f"Trường số {school}", "PGD", name, role, f"09{index + 1:08d}")
        )
    return rows


async def registered_recipients(
    db: Database, telegram: FakeTelegram | None, people: int
) -> list[tuple[int, int]]:
    """Import the roster, give everyone a Telegram account, and return (person_id, chat_id)."""
    await apply_import(db, read_roster(csv_file(roster_rows(people))), NOW)
    await db.write("UPDATE people SET telegram_id = ? + id", (CHAT_BASE,))
    rows = await db.fetchall("SELECT id, telegram_id FROM people ORDER BY id")
    recipients = [(int(row[0]), int(row[1])) for row in rows]
    if telegram is not None:
        for _, chat_id in recipients:
            telegram.user(chat_id)
    return recipients


def sender_of(bot: RunningBot) -> OutboxSender:
    assert bot.app is not None and bot.app.bot_data.sender is not None
    return bot.app.bot_data.sender


def tune(bot: RunningBot, **settings: Any) -> OutboxSender:
    """Test-friendly delays (BROADCAST_RATE is already 1000 here), and any other settings."""
    sender = sender_of(bot)
    sender.retry_base_delay = 0.05
    sender.progress_interval = 0.1
    for name, value in settings.items():
        setattr(sender, name, value)
    return sender


async def office_progress(bot: RunningBot, telegram: FakeTelegram) -> SentMessage:
    """The message the office's launch flow posts before creating the broadcast."""
    telegram.user(ADMIN_ID)
    assert bot.app is not None
    await bot.app.bot.send_message(ADMIN_ID, "⏳")
    return telegram.messages_to(ADMIN_ID)[-1]


async def broadcast(
    bot: RunningBot,
    recipients: Sequence[tuple[int, int]],
    progress: SentMessage | None = None,
    payload: OutgoingMessage | None = None,
) -> int:
    broadcast_id = await create_broadcast(
        bot.db,
        kind="announcement",
        campaign_id=None,
        message=payload or PAYLOAD,
        created_by=ADMIN_ID,
        progress_chat_id=ADMIN_ID,
        progress_message_id=None if progress is None else progress.message_id,
        recipients=recipients,
        now=NOW,
    )
    sender_of(bot).wake()
    return broadcast_id


async def wait_for_status(bot: RunningBot, broadcast_id: int, status: str) -> None:
    for _ in range(200):
        value = await bot.db.fetchval(
            "SELECT status FROM broadcasts WHERE id = ?", (broadcast_id,)
        )
        if value == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"broadcast {broadcast_id} is not {status!r} after 10 s")


def summaries(telegram: FakeTelegram) -> list[SentMessage]:
    return [m for m in telegram.messages_to(ADMIN_ID) if "Đã gửi xong:" in m.shown]


async def wait_for_summary(telegram: FakeTelegram, timeout: float = 20.0) -> SentMessage:
    await telegram.wait_until(lambda: bool(summaries(telegram)), timeout=timeout)
    return summaries(telegram)[0]


def delivered(telegram: FakeTelegram) -> Counter[int]:
    return Counter(m.chat_id for m in telegram.sent if m.chat_id != ADMIN_ID)


def listed_by_unit(summary: SentMessage) -> dict[str, list[str]]:
    """The summary's failure list: unit heading, then '• name — reason' lines."""
    units: dict[str, list[str]] = {}
    unit = None
    lines = summary.shown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Chưa gửi được"))
    for line in lines[start + 1 :]:
        if line.startswith("• ") and unit is not None:
            units[unit].append(line[2:])
        elif line and not line.startswith(("…", "Người chặn bot")):
            unit = line
            units[unit] = []
    return units


async def test_thousand_recipients_with_blocks_429s_and_5xx(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    recipients = await registered_recipients(bot.db, telegram, 1000)
    chats = [chat for _, chat in recipients]
    blocked = {chat for index, chat in enumerate(chats) if index % 50 == 7}
    telegram.blocked.update(blocked)
    flaky = {chats[100]: (500, 2), chats[400]: (502, 1), chats[800]: (503, 3)}
    for chat, (status, times) in flaky.items():
        telegram.inject_error("sendMessage", status, times=times, chat_id=chat)
    progress = await office_progress(bot, telegram)
    tune(bot)

    broadcast_id = await broadcast(bot, recipients, progress)
    await telegram.wait_until(lambda: sum(delivered(telegram).values()) >= 300)
    telegram.inject_error("sendMessage", 429, retry_after=1, times=2)
    summary = await wait_for_summary(telegram)

    # Every recipient who did not block the bot has the message exactly once.
    counts = delivered(telegram)
    assert {chat: n for chat, n in counts.items() if n != 1} == {}
    assert set(counts) == set(chats) - blocked
    # A 403 is final: one call per blocked recipient, never retried.
    forbidden = Counter(c.params["chat_id"] for c in telegram.calls_of("sendMessage")
                        if c.status == 403)  # fmt: skip
    assert forbidden == Counter(blocked)
    # 5xx were retried until they went through.
    for chat, (status, times) in flaky.items():
        outcomes = [
            c.status for c in telegram.calls_of("sendMessage") if c.params.get("chat_id") == chat
        ]
        assert outcomes == [status] * times + [200]
    # The 429s were waited out once by the whole sender: nothing new went out for a second.
    calls = telegram.calls_of("sendMessage")
    flood = [c for c in calls if c.status == 429]
    assert len(flood) == 2
    resumed = [c.time for c in calls if c.time > flood[-1].time + 0.1]
    assert resumed and min(resumed) >= flood[0].time + 0.95
    assert await broadcast_counts(bot.db, broadcast_id) == BroadcastCounts(
        total=1000, sent=980, blocked=20
    )
    statuses = {
        row[0]: row[1]
        for row in await bot.db.fetchall(
            "SELECT chat_id, status FROM outbox WHERE broadcast_id = ?", (broadcast_id,)
        )
    }
    assert {chat for chat, status in statuses.items() if status == "blocked"} == blocked

    # The office watched it in place, and got a summary naming the blocked people by unit.
    assert progress.edits, "the progress message was never edited"
    assert "Đã gửi 980 / 1.000 · lỗi 0 · chặn bot 20" in progress.shown
    assert "Đã gửi xong." in progress.shown
    assert "Đã gửi 980 / 1.000 · lỗi 0 · chặn bot 20" in summary.shown
    expected: dict[str, list[str]] = {}
    for row in await bot.db.fetchall(
        "SELECT u.name, p.full_name, p.telegram_id FROM people p JOIN units u ON u.id = p.unit_id"
    ):
        if row[2] in blocked:
            expected.setdefault(row[0], []).append(row[1])
    listed = listed_by_unit(summary)
    assert sorted(listed) == sorted(expected)
    for unit, names in expected.items():
        ordered = sorted(names, key=name_order_key)
        assert listed[unit] == [f"{name} — chặn bot" for name in ordered]
    assert len(summaries(telegram)) == 1


async def test_permanent_errors_fail_with_their_reason(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    recipients = await registered_recipients(bot.db, telegram, 30)
    telegram.user(ADMIN_ID)
    unknown_person = recipients[3][0]
    recipients[3] = (unknown_person, 999_999)  # a chat the server never heard of: 400
    too_long, down = recipients[10][1], recipients[20][1]
    telegram.inject_error(
        "sendMessage", 400, "Bad Request: message is too long", times=5, chat_id=too_long
    )
    telegram.inject_error("sendMessage", 500, times=50, chat_id=down)
    tune(bot, max_attempts=5)

    broadcast_id = await broadcast(bot, recipients)
    summary = await wait_for_summary(telegram)

    def calls_to(chat: int) -> list[int]:
        return [c.status for c in telegram.calls_of("sendMessage") if c.params["chat_id"] == chat]

    assert calls_to(999_999) == [400]  # a 400 is not retried
    assert calls_to(too_long) == [400]
    assert calls_to(down) == [500] * 5  # retried with backoff, then given up
    rows = await bot.db.fetchall(
        "SELECT chat_id, status, error, attempts FROM outbox WHERE broadcast_id = ?"
        " AND status != 'sent' ORDER BY chat_id",
        (broadcast_id,),
    )
    assert [tuple(row) for row in rows] == [
        (too_long, "failed", "Message is too long", 1),
        (down, "failed", "Internal Server Error", 5),
        (999_999, "failed", "Chat not found", 1),
    ]
    assert "Đã gửi 27 / 30 · lỗi 3 · chặn bot 0" in summary.shown
    reasons = [
        line.split(" — ")[1] for lines in listed_by_unit(summary).values() for line in lines
    ]
    assert sorted(reasons) == [
        "lỗi: không tìm thấy cuộc trò chuyện với người này",
        "lỗi: máy chủ Telegram tạm thời lỗi",
        "lỗi: tin nhắn quá dài",
    ]
    # The sender posted the progress message itself (none was given) and finished it.
    progress = telegram.messages_to(ADMIN_ID)[0]
    assert progress.shown.startswith("✅ Vì người nghèo")
    assert "Đã gửi 27 / 30 · lỗi 3 · chặn bot 0" in progress.shown


async def test_restart_in_the_middle_resumes_without_loss(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    recipients = await registered_recipients(bot.db, telegram, 1000)
    progress = await office_progress(bot, telegram)
    tune(bot, rate=300)
    await broadcast(bot, recipients, progress)
    await telegram.wait_until(lambda: sum(delivered(telegram).values()) >= 300)

    await bot.restart()
    halfway = sum(delivered(telegram).values())
    assert 300 <= halfway < 1000
    tune(bot, rate=300)
    summary = await wait_for_summary(telegram)

    counts = delivered(telegram)
    assert set(counts) == {chat for _, chat in recipients}
    assert set(counts.values()) == {1}  # a clean stop lets requests in flight finish
    assert "Đã gửi 1.000 / 1.000 · lỗi 0 · chặn bot 0" in summary.shown
    assert "Đã gửi 1.000 / 1.000" in progress.shown


async def test_pacing_keeps_under_the_rate_limit_and_replies_get_through(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    recipients = await registered_recipients(bot.db, telegram, 300)
    telegram.rate_limit = 100
    tune(bot, rate=90, progress_interval=1.0)
    progress = await office_progress(bot, telegram)
    await broadcast(bot, recipients, progress)
    await telegram.wait_until(lambda: sum(delivered(telegram).values()) >= 100)

    # The office asks for help mid-broadcast: the reply shares the budget, it is not starved.
    office = telegram.user(ADMIN_ID)
    assert await office.expect() is progress
    await office.send("/help")
    await office.expect("/help", timeout=2.0)
    assert sum(delivered(telegram).values()) < 300, "the reply came after the broadcast"

    await wait_for_summary(telegram)
    assert telegram.throttled == 0
    assert set(delivered(telegram).values()) == {1}
    sends = [c.time for c in telegram.calls_of("sendMessage") if c.params["chat_id"] != ADMIN_ID]
    achieved = (len(sends) - 1) / (sends[-1] - sends[0])
    # Set to 90/s under a limit of 100/s: close to it, never over it. The floor leaves room
    # for a machine busy with other work (79.5/s was seen with other test runs alongside).
    assert 72 <= achieved <= 92, achieved


async def test_document_payload_and_a_row_of_its_own(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    recipients = await registered_recipients(bot.db, telegram, 3)
    plan = telegram.add_file(b"%PDF-1.4 ke hoach", "ke_hoach.pdf", "application/pdf")
    payload = replace(PAYLOAD, document=plan["file_id"])
    broadcast_id = await create_broadcast(
        bot.db,
        kind="campaign",
        campaign_id=None,
        message=payload,
        created_by=None,
        progress_chat_id=None,
        progress_message_id=None,
        recipients=recipients,
        now=NOW,
    )
    # A row written before messages carried a version: it still decodes.
    own = '{"text": "🔔 Nhắc riêng <b>bạn</b>", "buttons": [], "document": null, "title": "x"}'
    await bot.db.write(
        "UPDATE outbox SET payload = ? WHERE broadcast_id = ? AND person_id = ?",
        (own, broadcast_id, recipients[2][0]),
    )
    sender_of(bot).wake()
    await telegram.wait_until(lambda: len(telegram.sent) == 3)
    first, _, last = (telegram.messages_to(chat)[0] for _, chat in recipients)
    assert first.method == "sendDocument" and first.document is not None
    assert first.document["file_id"] == plan["file_id"]
    assert first.shown.startswith("📣 Phát động phong trào")
    assert first.buttons() == [["✅ Đã nhận"]]
    assert last.method == "sendMessage" and last.shown == "🔔 Nhắc riêng bạn"
    assert last.params["link_preview_options"] == {"is_disabled": True}
    # No progress chat: the broadcast finishes without telling anyone.
    await wait_for_status(bot, broadcast_id, "done")
    assert telegram.messages_to(ADMIN_ID) == []


def test_summary_is_cut_to_one_message() -> None:
    failures = [
        Failure(f"Trường số {i // 50}", f"Nguyễn Thị Hoa {i}", "failed", "Chat not found")
        for i in range(1000)
    ]
    text = summary_text(
        "Vì người nghèo", BroadcastCounts(total=5000, sent=4000, failed=1000), failures
    )
    shown = text.count("• ")
    assert 10 < shown < 1000
    assert f"… và {format_number(1000 - shown)} người khác" in text
    plain = html.unescape(re.sub(r"<[^>]*>", "", text))
    assert len(plain.encode("utf-16-le")) // 2 <= 4096
