"""The fake Telegram server, driven by a real PTB `Bot` and `Application`."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fake_telegram import TOKEN, FakeTelegram

LAN = 1001
BINH = 2002


@pytest.fixture(autouse=True)
def _timedelta_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error here) when reading int-valued time attributes such as
    # RetryAfter.retry_after, which its own RetryAfter.__init__ does, unless this is set.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        server.user(LAN, "Lan", "Nguyễn", username="lan_nguyen")
        server.user(BINH, "Bình")
        yield server


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=tg.api_url, base_file_url=tg.file_url) as client:
        yield client


@asynccontextmanager
async def running(app: Application) -> AsyncIterator[Application]:
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def echo_app(tg: FakeTelegram, downloads: list[bytes]) -> Application:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Bấm", callback_data="pressed:1")]])
        await update.effective_message.reply_text(f"args={context.args}", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"got {query.data}")
        await query.edit_message_text(f"data={query.data}")

    async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.contact is not None
        await update.message.reply_text(f"contact user_id={update.message.contact.user_id}")

    async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.document is not None
        file = await context.bot.get_file(update.message.document.file_id)
        data = await file.download_as_bytearray()
        downloads.append(bytes(data))
        await update.message.reply_text(f"got {len(data)} bytes")

    app = ApplicationBuilder().token(TOKEN).base_url(tg.api_url).base_file_url(tg.file_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    return app


async def test_get_me(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456789
    assert me.is_bot
    assert me.username == "thidua_test_bot"
    assert me.can_join_groups is True
    assert tg.calls[-1].method == "getMe"
    assert tg.calls[-1].status == 200


async def test_send_message_with_inline_keyboard(tg: FakeTelegram, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Có", callback_data="yes")],
            [InlineKeyboardButton("Không", callback_data="no")],
        ]
    )
    sent = await bot.send_message(
        LAN, "Chào <b>Lan</b> &amp; bạn", parse_mode=ParseMode.HTML, reply_markup=keyboard
    )
    assert sent.text == "Chào Lan & bạn"
    assert sent.entities[0].type == "bold"
    assert (sent.entities[0].offset, sent.entities[0].length) == (5, 3)
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.chat.id == LAN
    assert sent.reply_markup == keyboard

    message = await tg.user(LAN).expect("Chào Lan & bạn")
    assert message.text == "Chào <b>Lan</b> &amp; bạn"
    assert message.parse_mode == "HTML"
    assert message.buttons() == [["Có"], ["Không"]]
    assert message.button_data("Không") == "no"
    with pytest.raises(KeyError):
        message.button_data("Có lẽ")
    assert tg.calls[-1].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
    assert tg.calls[-1].params["chat_id"] == LAN

    await bot.send_message(LAN, "Chọn", reply_markup=ReplyKeyboardMarkup([["Một", "Hai"]]))
    assert (await tg.user(LAN).expect()).buttons() == [["Một", "Hai"]]
    await tg.user(LAN).expect_nothing(0.05)
    with pytest.raises(AssertionError, match=r"no new message"):
        await tg.user(LAN).expect(timeout=0.05)
    assert [m.message_id for m in tg.messages_to(LAN)] == [1, 2]


async def test_application_command_and_callback(tg: FakeTelegram) -> None:
    lan = tg.user(LAN)
    async with running(echo_app(tg, [])):
        await lan.send("/start hello")
        reply = await lan.expect("args=['hello']")
        assert reply.buttons() == [["Bấm"]]

        await lan.press("Bấm")
        await tg.wait_until(lambda: reply.text == "data=pressed:1")
        assert lan.answers == [
            {
                "callback_query_id": lan.answers[0]["callback_query_id"],
                "text": "got pressed:1",
                "show_alert": False,
                "url": None,
                "cache_time": None,
            }
        ]
        assert reply.edits == ["args=['hello']"]
        assert reply.reply_markup is None  # editing without reply_markup drops the keyboard
        with pytest.raises(AssertionError, match=r"no message to .* has an inline button"):
            await lan.press("Bấm")

        await lan.send("/start@thidua_test_bot x y")
        await lan.expect("args=['x', 'y']")
        await lan.send("chỉ là chữ")
        await lan.expect_nothing(0.2)


async def test_application_contact_and_document(tg: FakeTelegram) -> None:
    lan = tg.user(LAN)
    downloads: list[bytes] = []
    content = "Họ tên,Điểm\nLan,10\n".encode() * 50
    async with running(echo_app(tg, downloads)):
        await lan.share_contact("+84901234567")
        await lan.expect("contact user_id=1001")
        await lan.share_contact("+84909999999", None, "Bình")
        await lan.expect("contact user_id=None")
        await lan.share_contact("+84908888888", BINH)
        await lan.expect(f"contact user_id={BINH}")

        await lan.send_document("diem.csv", content, "text/csv")
        await lan.expect(f"got {len(content)} bytes")
    assert downloads == [content]
    assert [c.method for c in tg.calls].count("downloadFile") == 1


async def test_user_document_downloaded_by_bot(tg: FakeTelegram, bot: Bot) -> None:
    lan = tg.user(LAN)
    await lan.send_document("bao_cao.pdf", b"%PDF-1.4 fake", "application/pdf", caption="Báo cáo")
    document = lan.outbox[-1]["document"]
    assert document["file_name"] == "bao_cao.pdf"
    data = await (await bot.get_file(document["file_id"])).download_as_bytearray()
    assert bytes(data) == b"%PDF-1.4 fake"

    big = tg.add_file(b"\0" * (20 * 1024 * 1024 + 1), "big.zip", "application/zip")
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(big["file_id"])
    same = tg.add_file(b"%PDF-1.4 fake", "copy.pdf", "application/pdf")
    assert same["file_unique_id"] == document["file_unique_id"]
    assert same["file_id"] != document["file_id"]


async def test_send_document_upload(tg: FakeTelegram, bot: Bot) -> None:
    content = b"PK\x03\x04 fake xlsx"
    sent = await bot.send_document(
        LAN,
        InputFile(content, filename="ket_qua.xlsx"),
        caption="Kết quả <i>tuần</i>",
        parse_mode=ParseMode.HTML,
    )
    assert sent.document is not None
    assert sent.document.file_name == "ket_qua.xlsx"
    assert sent.caption == "Kết quả tuần"
    assert tg.file_bytes(sent.document.file_id) == content

    message = await tg.user(LAN).expect("Kết quả")
    assert message.method == "sendDocument"
    assert message.document is not None
    assert message.document["file_size"] == len(content)

    again = await bot.send_document(BINH, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id
    photo = await bot.send_photo(LAN, b"\xff\xd8 jpeg", caption="Ảnh")
    assert tg.file_bytes(photo.photo[-1].file_id) == b"\xff\xd8 jpeg"
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(LAN, "no-such-file-id")


async def test_blocked_chat_is_forbidden(tg: FakeTelegram, bot: Bot) -> None:
    tg.blocked.add(BINH)
    with pytest.raises(Forbidden, match=r"bot was blocked by the user"):
        await bot.send_message(BINH, "Xin chào")
    assert tg.calls[-1].status == 403
    await bot.send_message(LAN, "Xin chào")
    assert [m.chat_id for m in tg.sent] == [LAN]


async def test_unknown_chat_and_invalid_text(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "Xin chào")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(LAN, "  ")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(LAN, "a" * 4097)
    await bot.send_message(LAN, "a" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(LAN, "dòng 1<br>dòng 2", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        long_data = InlineKeyboardButton("x", callback_data="d" * 65)
        await bot.send_message(LAN, "x", reply_markup=InlineKeyboardMarkup([[long_data]]))
    assert len(tg.sent) == 1


async def test_injected_429_raises_retry_after(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_error("sendmessage", 429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(LAN, "một")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    assert tg.calls[-1].description == "Too Many Requests: retry after 3"
    await bot.send_message(LAN, "hai")  # only the next call failed

    tg.inject_error("sendMessage", 400, "Bad Request: custom", chat_id=BINH, times=2)
    await bot.send_message(LAN, "ba")
    for _ in range(2):
        with pytest.raises(BadRequest, match=r"(?i)custom"):
            await bot.send_message(BINH, "bốn")
    await bot.send_message(BINH, "năm")
    assert [m.text for m in tg.sent] == ["hai", "ba", "năm"]


async def test_injected_502_raises_network_error(tg: FakeTelegram, bot: Bot) -> None:
    tg.inject_error("sendMessage", 502)
    with pytest.raises(NetworkError, match=r"Bad Gateway") as caught:
        await bot.send_message(LAN, "Xin chào")
    assert not isinstance(caught.value, BadRequest)
    assert tg.calls[-1].status == 502


async def test_wrong_token_raises_invalid_token(tg: FakeTelegram) -> None:
    bot = Bot("123456789:WRONG-token", base_url=tg.api_url, base_file_url=tg.file_url)
    try:
        with pytest.raises(InvalidToken):
            await bot.get_me()
        with pytest.raises(InvalidToken, match=r"rejected by the server"):
            await bot.initialize()
    finally:
        await bot.shutdown()
    assert {c.status for c in tg.calls} == {401}


async def test_edit_message_text_not_modified(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(LAN, "Điểm: 5")
    edited = await bot.edit_message_text("Điểm: 6", LAN, sent.message_id)
    assert not isinstance(edited, bool) and edited.text == "Điểm: 6"
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Điểm: 6", LAN, sent.message_id)
    message = tg.sent[0]
    assert message.text == "Điểm: 6"
    assert message.edits == ["Điểm: 5"]
    assert len(tg.user(LAN).messages()) == 1
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    await bot.edit_message_reply_markup(LAN, sent.message_id, reply_markup=keyboard)
    assert message.buttons() == [["OK"]]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", LAN, 99)
    assert await bot.delete_message(LAN, sent.message_id)
    assert message.deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(LAN, sent.message_id)


async def test_set_my_commands_with_chat_scope(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Bắt đầu")])
    await bot.set_my_commands(
        [BotCommand("start", "Bắt đầu"), BotCommand("admin", "Quản trị")],
        scope=BotCommandScopeChat(LAN),
    )
    assert tg.commands_for() == [("start", "Bắt đầu")]
    assert tg.commands_for(LAN) == [("start", "Bắt đầu"), ("admin", "Quản trị")]
    assert tg.commands_for(BINH) == []
    fetched = await bot.get_my_commands(scope=BotCommandScopeChat(LAN))
    assert [c.command for c in fetched] == ["start", "admin"]
    await bot.delete_my_commands(scope=BotCommandScopeChat(LAN))
    assert tg.commands_for(LAN) == []
    assert tg.commands_for() == [("start", "Bắt đầu")]
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.set_my_commands([BotCommand("a", "b")], scope=BotCommandScopeChat(999))


async def test_rate_limit(tg: FakeTelegram, bot: Bot) -> None:
    tg.rate_limit = 3
    results = await asyncio.gather(
        *(bot.send_message(LAN, f"tin {i}") for i in range(5)), return_exceptions=True
    )
    throttled = [r for r in results if isinstance(r, RetryAfter)]
    assert len(throttled) == 2
    assert tg.throttled == 2
    assert len(tg.sent) == 3
    assert await bot.send_chat_action(LAN, "typing")  # not a sending method


async def test_get_updates_long_poll_and_offset(tg: FakeTelegram, bot: Bot) -> None:
    lan = tg.user(LAN)
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=2))
    await asyncio.sleep(0.1)
    assert not poll.done()
    await lan.send("xin chào")
    updates = await poll
    assert time.monotonic() - started < 1.0
    assert [u.effective_message.text for u in updates if u.effective_message] == ["xin chào"]
    first = updates[0].update_id

    again = await bot.get_updates(timeout=0)  # not confirmed yet: delivered again
    assert [u.update_id for u in again] == [first]
    await lan.send("/start ABC")
    await lan.send_sticker()
    confirmed = await bot.get_updates(offset=first + 1, timeout=0)
    assert [u.update_id for u in confirmed] == [first + 1, first + 2]
    command = confirmed[0].message
    assert command is not None and command.entities[0].type == "bot_command"
    assert command.entities[0].length == len("/start")
    assert confirmed[1].message is not None and confirmed[1].message.sticker is not None
    assert (await bot.get_updates(offset=first + 3, timeout=0)) == ()


async def test_stop_releases_pending_long_poll() -> None:
    server = FakeTelegram()
    await server.start()
    async with Bot(TOKEN, base_url=server.api_url, base_file_url=server.file_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=2))
        await asyncio.sleep(0.2)
        assert not poll.done()
        started = time.monotonic()
        await server.stop()
        assert await poll == ()
        assert time.monotonic() - started < 0.5
    await server.stop()  # idempotent


async def test_raw_http_encodings(tg: FakeTelegram) -> None:
    base = f"{tg.api_url}{TOKEN}"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{base}/SENDMESSAGE", json={"chat_id": LAN, "text": "json", "reply_markup": markup}
        )
        assert response.status_code == 200
        assert response.json()["result"]["reply_markup"] == markup
        assert tg.calls[-1].method == "sendMessage"

        response = await client.post(
            f"{base}/sendMessage",
            data={"chat_id": str(LAN), "text": "123", "reply_markup": json.dumps(markup)},
        )
        assert response.json()["result"]["text"] == "123"
        assert tg.calls[-1].params == {"chat_id": LAN, "text": "123", "reply_markup": markup}

        response = await client.get(f"{base}/getme")
        assert response.json()["result"]["username"] == "thidua_test_bot"

        response = await client.post(f"{base}/noSuchMethod")
        assert response.status_code == 404
        assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

        response = await client.post(f"{tg.api_url}1:bad/getMe")
        assert response.status_code == 401
        assert response.json()["description"] == "Unauthorized"

        tg.inject_error("getMe", 429, retry_after=7)
        response = await client.post(f"{base}/getMe")
        assert response.status_code == 429
        assert response.json()["parameters"] == {"retry_after": 7}

    assert [m.text for m in tg.user(LAN).messages()] == ["json", "123"]


async def test_wait_until_reports_timeout(tg: FakeTelegram) -> None:
    with pytest.raises(AssertionError, match=r"not met within 0.05s"):
        await tg.wait_until(lambda: False, timeout=0.05)


async def test_copy_forward_and_caption_edit(tg: FakeTelegram, bot: Bot) -> None:
    lan, binh = tg.user(LAN), tg.user(BINH)
    await lan.send_document("minh_chung.jpg", b"jpeg bytes", "image/jpeg", caption="Minh chứng")
    source_id = lan.outbox[-1]["message_id"]
    copied = await bot.copy_message(
        BINH, LAN, source_id, caption="<b>Từ Lan</b>", parse_mode="HTML"
    )
    message = await binh.expect("Từ Lan")
    assert message.message_id == copied.message_id
    assert message.method == "copyMessage"
    assert message.document is not None
    assert tg.file_bytes(message.document["file_id"]) == b"jpeg bytes"

    forwarded = await bot.forward_message(BINH, LAN, source_id)
    assert forwarded.caption == "Minh chứng"
    assert forwarded.forward_origin is not None
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(BINH, LAN, 999)

    edited = await bot.edit_message_caption(BINH, copied.message_id, caption="Đã duyệt")
    assert not isinstance(edited, bool) and edited.caption == "Đã duyệt"
    assert message.edits == ["<b>Từ Lan</b>"]
    with pytest.raises(AssertionError, match="does not contain"):
        await binh.expect("Không có")


async def test_html_entities_like_telegram(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(
        LAN,
        '<a href="https://x.vn/?a=1&amp;b=2">Link</a> <pre><code class="language-python">'
        "x = 1</code></pre> 😀<i>nghiêng</i>",
        parse_mode=ParseMode.HTML,
    )
    assert sent.text == "Link x = 1 😀nghiêng"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("text_link", 0, 4),
        ("pre", 5, 5),
        ("italic", 13, 7),  # the emoji counts as two UTF-16 code units
    ]
    assert sent.entities[0].url == "https://x.vn/?a=1&b=2"
    assert sent.entities[1].language == "python"
    for broken in ("<b>đậm", "x</b>", "<b><i>x</b></i>", "a < b", "<span>x</span>"):
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(LAN, broken, parse_mode=ParseMode.HTML)
