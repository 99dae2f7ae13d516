"""What fakegram tells whoever follows its chats (the sandbox's page): events, the chat as its
user sees it, dates by a given clock, pressing a button by its place."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)

from fakegram import TOKEN, ChatEvent, FakeTelegram

LAN = 1001
MOMENT = 1_796_000_000.0  # a Unix time


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(clock=lambda: MOMENT, keep_calls=10) as server:
        server.user(LAN, "Lan", "Nguyễn")
        yield server


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=tg.api_url, base_file_url=tg.file_url) as client:
        yield client


async def test_listeners_hear_every_change_in_a_chat(tg: FakeTelegram, bot: Bot) -> None:
    events: list[ChatEvent] = []
    tg.listeners.append(events.append)
    lan = tg.user(LAN)

    await lan.send("/start")
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Một", callback_data="1"),
                InlineKeyboardButton("Hai", url="https://example.com"),
            ]
        ]
    )
    sent = await bot.send_message(LAN, "<b>Chào</b>", parse_mode="HTML", reply_markup=keyboard)
    message = lan.messages()[-1]
    await lan.press_at(message, 0, 1)  # a URL button: nothing is sent to the bot
    with pytest.raises(AssertionError, match="no inline button at"):
        await lan.press_at(message, 1, 0)
    await lan.press_at(message, 0, 0)
    await tg.wait_until(lambda: bool(tg._pending_callbacks))
    [query_id] = tg._pending_callbacks
    await bot.answer_callback_query(query_id, "Đã bấm", show_alert=True)
    await bot.edit_message_text("Đã sửa", LAN, sent.message_id)
    await bot.set_my_commands([BotCommand("baocao", "Trả lời")], scope=BotCommandScopeChat(LAN))
    await bot.delete_message(LAN, sent.message_id)

    kinds = [(e.kind, e.chat_id, e.message_id) for e in events]
    assert kinds == [
        ("user", LAN, 1),
        ("sent", LAN, 2),
        ("answer", LAN, None),
        ("edited", LAN, 2),
        ("commands", LAN, None),
        ("deleted", LAN, 2),
    ]
    answer = events[2].answer
    assert answer is not None and answer["text"] == "Đã bấm" and answer["show_alert"] is True
    with pytest.raises(AssertionError, match="was deleted"):
        await lan.press_at(message, 0, 0)


async def test_history_dates_and_files(tg: FakeTelegram, bot: Bot) -> None:
    lan = tg.user(LAN)
    await lan.send("một")
    await bot.send_message(LAN, "hai")
    await lan.send_document("biên bản.txt", b"ba", "text/plain")
    await bot.send_message(LAN, "bốn")
    history = tg.history(LAN)
    assert [item.text if hasattr(item, "text") else item.get("text") for item in history] == [
        "một", "hai", None, "bốn",
    ]  # fmt: skip
    assert all(
        (item.date if hasattr(item, "date") else item["date"]) == int(MOMENT) for item in history
    )
    document = lan.outbox[-1]["document"]
    assert tg.file_info(document["file_id"]) == ("biên bản.txt", "text/plain", b"ba")
    await bot.delete_message(LAN, 2)
    assert len(tg.history(LAN)) == 3  # deleted messages are gone from the chat


async def test_a_long_running_server_keeps_only_recent_calls(tg: FakeTelegram, bot: Bot) -> None:
    for number in range(30):
        await bot.send_message(LAN, f"tin {number}")
    assert 10 <= len(tg.calls) <= 20
    assert tg.calls[-1].params["text"] == "tin 29"
