"""The fake Telegram server, driven by a real PTB `Bot` and `Application`."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
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

from tests.fake_telegram import NOT_MODIFIED, TOKEN, FakeTelegram

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
        await bot.send_message(LAN, "")
    with pytest.raises(BadRequest, match=r"(?i)text must be non-empty"):
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


# --- Telegram's rules, enforced like the real server (see "Telegram's rules" in the fake) ----


async def api(tg: FakeTelegram, method: str, **params: object) -> dict[str, object]:
    """One raw Bot API call with a JSON body; the whole answer."""
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{tg.api_url}{TOKEN}/{method}", json=params)
    body: dict[str, object] = response.json()
    assert response.status_code == (200 if body["ok"] else body["error_code"])
    return body


async def ok(tg: FakeTelegram, method: str, **params: object) -> Any:
    body = await api(tg, method, **params)
    assert body["ok"], body
    return body["result"]


async def refused(tg: FakeTelegram, method: str, description: str, **params: object) -> None:
    body = await api(tg, method, **params)
    assert (body["ok"], body.get("error_code"), body.get("description")) == (
        False,
        400,
        description,
    )


def button(text: str, data: str = "d") -> dict[str, str]:
    return {"text": text, "callback_data": data}


@pytest.mark.parametrize(
    "markup",
    [{}, "", "{}", {"inline_keyboard": []}, {"inline_keyboard": [[]]}, {"keyboard": []}],
)
async def test_reply_markup_without_a_keyboard_is_no_keyboard(
    tg: FakeTelegram, markup: object
) -> None:
    # Client::get_reply_markup: "" is no markup; an object with no rows makes none.
    result = await ok(tg, "sendMessage", chat_id=LAN, text="Chào", reply_markup=markup)
    assert "reply_markup" not in result
    assert tg.sent[-1].reply_markup is None


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        ("không phải JSON", "can't parse reply keyboard markup JSON object"),
        ([[button("A")]], "object expected as reply markup"),
        ({"inline_keyboard": {}}, 'field "inline_keyboard" must be of type Array'),
        ({"inline_keyboard": None}, 'field "inline_keyboard" must be of type Array'),
        (
            {"inline_keyboard": [button("A")]},
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays',
        ),
        (
            {"inline_keyboard": [["A"]]},
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object",
        ),
        (
            {"inline_keyboard": [[{"callback_data": "a"}]]},
            "can't parse inline keyboard button: Can't find field \"text\"",
        ),
        (
            {"inline_keyboard": [[{"text": ["A"], "callback_data": "a"}]]},
            'can\'t parse inline keyboard button: Field "text" must be of type String',
        ),
        (
            {"inline_keyboard": [[{"text": "A"}]]},
            "can't parse inline keyboard button: Text buttons are unallowed in the inline "
            "keyboard",
        ),
        (
            {"inline_keyboard": [[button("A", "")]]},  # an empty callback_data is none
            "can't parse inline keyboard button: Text buttons are unallowed in the inline "
            "keyboard",
        ),
        ({"inline_keyboard": [[button("\r")]]}, "inline keyboard button text must be non-empty"),
        ({"inline_keyboard": [[button("A", "d" * 65)]]}, "BUTTON_DATA_INVALID"),
        ({"inline_keyboard": [[button("A", "đ" * 33)]]}, "BUTTON_DATA_INVALID"),  # 66 bytes
        (
            {"inline_keyboard": [[{"text": "A", "url": "ftp://x.vn"}]]},
            "inline keyboard button URL 'ftp://x.vn' is invalid: Unsupported URL protocol",
        ),
        (
            {"inline_keyboard": [[{"text": "A", "url": "localhost"}]]},
            "inline keyboard button URL 'localhost' is invalid: Wrong HTTP URL",
        ),
        ({"keyboard": [{"text": "A"}]}, 'field "keyboard" must be an Array of Arrays'),
        (
            {"keyboard": [[{"text": "A", "request_contact": "true"}]]},
            'can\'t parse keyboard button: Field "request_contact" must be of type Boolean',
        ),
        (
            {"keyboard": [[1]]},
            "can't parse keyboard button: KeyboardButton must be a String or an Object",
        ),
        ({"remove_keyboard": 1}, 'field "remove_keyboard" must be of type Boolean'),
    ],
)
async def test_malformed_reply_markup_is_refused(
    tg: FakeTelegram, markup: object, description: str
) -> None:
    await refused(
        tg,
        "sendMessage",
        f"Bad Request: {description}",
        chat_id=LAN,
        text="x",
        reply_markup=markup,
    )
    assert tg.sent == []


async def test_reply_markup_kept_as_telegram_keeps_it(tg: FakeTelegram) -> None:
    row = [button(f"{n}", f"n:{n}") for n in range(13)]
    markup = {
        "inline_keyboard": [
            [button("", "skipped"), button("A", "đ" * 32), {"text": "B", "url": "x.vn/a b"}],
            [button("")],  # a row left empty is dropped
            row,  # 12 buttons a row at most: the 13th is dropped
            [{"text": "C", "url": "https://x.vn", "callback_data": "ignored", "unknown": 1}],
        ],
        "unknown_field": True,
    }
    result = await ok(tg, "sendMessage", chat_id=LAN, text="Chọn", reply_markup=markup)
    assert result["reply_markup"] == {
        "inline_keyboard": [
            [button("A", "đ" * 32), {"text": "B", "url": "http://x.vn/a%20b"}],
            row[:12],
            [{"text": "C", "url": "https://x.vn/"}],  # the url wins over callback_data
        ]
    }
    assert tg.sent[-1].buttons() == [["A", "B"], [str(n) for n in range(12)], ["C"]]


async def test_reply_keyboards_and_their_removal(tg: FakeTelegram, bot: Bot) -> None:
    contact = ReplyKeyboardMarkup(
        [[KeyboardButton("📱 Gửi số điện thoại", request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    sent = await bot.send_message(LAN, "Gửi số", reply_markup=contact)
    assert sent.reply_markup is None  # a reply keyboard is not part of the message
    assert tg.sent[-1].buttons() == [["📱 Gửi số điện thoại"]]
    assert tg.sent[-1].reply_markup is not None
    assert tg.sent[-1].reply_markup["keyboard"][0][0]["request_contact"] is True
    await bot.send_message(LAN, "Cảm ơn", reply_markup=ReplyKeyboardRemove())
    assert tg.sent[-1].reply_markup == {"remove_keyboard": True}
    await refused(
        tg,
        "editMessageReplyMarkup",
        "Bad Request: inline keyboard expected",
        chat_id=LAN,
        message_id=sent.message_id,
        reply_markup=contact.to_dict(),
    )


async def test_edit_keeps_only_what_is_sent(tg: FakeTelegram, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    sent = await bot.send_message(LAN, "Điểm: 5", reply_markup=keyboard)
    message = tg.sent[-1]
    # an edit without reply_markup drops the inline keyboard, so it is a change
    await bot.edit_message_text("Điểm: 5", LAN, sent.message_id)
    assert message.reply_markup is None
    await refused(
        tg,
        "editMessageText",
        NOT_MODIFIED,
        chat_id=LAN,
        message_id=sent.message_id,
        text="  Điểm: 5\n",  # trimmed like every text: the same text
        reply_markup={},
    )
    await ok(
        tg,
        "editMessageText",
        chat_id=LAN,
        message_id=sent.message_id,
        text="<b>Điểm</b>: 5",  # same letters, new entities
        parse_mode="HTML",
    )
    await refused(
        tg,
        "editMessageText",
        "Bad Request: MESSAGE_TOO_LONG",  # an edit gets the server's own code
        chat_id=LAN,
        message_id=sent.message_id,
        text="a" * 4097,
    )
    await refused(
        tg,
        "editMessageText",
        "Bad Request: inline keyboard expected",
        chat_id=LAN,
        message_id=sent.message_id,
        text="x",
        reply_markup={"remove_keyboard": True},
    )


async def test_text_rules(tg: FakeTelegram) -> None:
    async def send(text: str, **params: object) -> dict[str, Any]:
        result: dict[str, Any] = await ok(tg, "sendMessage", chat_id=LAN, text=text, **params)
        return result

    async def refuse(text: str, description: str, **params: object) -> None:
        await refused(
            tg, "sendMessage", f"Bad Request: {description}", chat_id=LAN, text=text, **params
        )

    await refuse("", "message text is empty")
    for blank in (" ", "\n \n", "\t", "\r\n"):  # control characters count as spaces
        await refuse(blank, "text must be non-empty")
    for empty in ("<b> </b>", "<b></b>", " &#32; "):
        await refuse(empty, "text must be non-empty", parse_mode="HTML")
    # 1-4096 characters after parsing and trimming, in code points (not UTF-16 units)
    assert len((await send("😀" * 4096))["text"]) == 4096
    await send(f"<b>{'a' * 4096}</b>\n\n", parse_mode="HTML")
    await refuse("a" * 4097, "message is too long")
    await refuse("a" * 32769, "text is too long")  # the raw text: at most 32 KB
    await refuse("x", "unsupported parse_mode", parse_mode="XML")
    result = await send("\n  <b>Chào</b> bạn \n\n", parse_mode="html")
    assert (result["text"], result["entities"]) == (
        "Chào bạn",
        [{"type": "bold", "offset": 0, "length": 4}],
    )
    assert tg.sent[-1].text == "\n  <b>Chào</b> bạn \n\n"  # as sent, for tests to read
    assert (await send("a\u2028b\rc"))["text"] == "abc"


async def test_caption_rules(tg: FakeTelegram, bot: Bot) -> None:
    file_id = tg.add_file(b"%PDF", "ke_hoach.pdf", "application/pdf")["file_id"]
    result = await ok(tg, "sendDocument", chat_id=LAN, document=file_id, caption="é" * 1024)
    assert len(result["caption"]) == 1024
    result = await ok(tg, "sendDocument", chat_id=LAN, document=file_id, caption=" \n ")
    assert "caption" not in result  # an empty caption is no caption
    await refused(
        tg,
        "sendDocument",
        "Bad Request: message caption is too long",
        chat_id=LAN,
        document=file_id,
        caption="<b>x</b>" + "é" * 1024,
        parse_mode="HTML",
    )
    await refused(
        tg, "sendDocument", "Bad Request: there is no document in the request", chat_id=LAN
    )
    await refused(
        tg,
        "editMessageCaption",
        "Bad Request: MEDIA_CAPTION_TOO_LONG",
        chat_id=LAN,
        message_id=tg.sent[-1].message_id,
        caption="é" * 1025,
    )
    sent = await bot.send_document(
        LAN, InputFile(b"x", filename="a.txt"), caption="<i>Tệp</i>", parse_mode="HTML"
    )
    assert sent.caption == "Tệp"
    photo = await bot.send_photo(BINH, tg.add_photo(b"jpg")[-1]["file_id"])
    assert photo.caption is None


async def test_files_sent_as_telegram_takes_them(tg: FakeTelegram, bot: Bot) -> None:
    """A file id is used as its own type (FileManager::from_persistent_id_v23); an uploaded
    file must have content (FileLoaderUtils.cpp) and at most 50 MB (the Bot API page)."""
    document = tg.add_file(b"%PDF-1.4", "ke_hoach.pdf", "application/pdf")["file_id"]
    photo = tg.add_photo(b"\xff\xd8 anh")[-1]["file_id"]
    assert (await bot.send_document(LAN, document)).document is not None
    assert (await bot.send_photo(LAN, photo)).photo
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type photo as document"):
        await bot.send_document(LAN, photo)
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type document as photo"):
        await bot.send_photo(LAN, document)
    with pytest.raises(BadRequest, match=r"(?i)file must be non-empty"):
        await bot.send_document(LAN, InputFile(b"", filename="trong.txt"))
    big = InputFile(b"\0" * (50 * 1024 * 1024 + 1), filename="lon.zip")
    with pytest.raises(NetworkError, match="Request Entity Too Large"):
        await bot.send_document(LAN, big)


@pytest.mark.parametrize(
    ("html_text", "detail"),
    [
        ("<b>đậm", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("dòng 1<br>dòng 2", 'Unsupported start tag "br" at byte offset 7'),
        ("x<br/>", 'Unsupported start tag "br/" at byte offset 1'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("ab<b", "Unclosed start tag at byte offset 2"),
        ('<a href="x.vn', "Unclosed start tag at byte offset 0"),
        ("<a href", 'Unclosed start tag "a" at byte offset 0'),
        ("<a href=https://x.vn>x</a>", "Unexpected end of name token at byte offset 8"),
        ("<b =x>y</b>", 'Empty attribute name in the tag "b" at byte offset 0'),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ('<tg-emoji emoji-id="x">👍</tg-emoji>', "Invalid custom emoji identifier specified"),
    ],
)
async def test_html_errors_are_telegrams(tg: FakeTelegram, html_text: str, detail: str) -> None:
    await refused(
        tg,
        "sendMessage",
        f"Bad Request: can't parse entities: {detail}",
        chat_id=LAN,
        text=html_text,
        parse_mode="HTML",
    )


@pytest.mark.parametrize(
    ("html_text", "text", "entities"),
    [
        ("&lt;b&gt; &amp; &quot;x&quot;", '<b> & "x"', []),
        ("&lt &amp &#8364 &#x20AC; &#X20AC;", "< & € € &#X20AC;", []),  # lax like Telegram
        ("a & b &nbsp; &#0; &copy;", "a & b &nbsp; &#0; &copy;", []),  # kept as they are
        ("<B>x</B> <b>y</>", "x y", [("bold", 0, 1), ("bold", 2, 1)]),  # </> closes any tag
        ("<b></b>x<i> </i>", "x", []),  # empty tags give nothing; the space is trimmed
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ('<span class="tg-spoiler">s</span>', "s", [("spoiler", 0, 1)]),
        ('<a href="javascript:alert(1)">x</a>', "x", []),  # a link Telegram refuses: no entity
        ("<code class='language-py'>c</code>", "c", [("code", 0, 1)]),
        ("<pre>p</pre>", "p", [("pre", 0, 1)]),
    ],
)
async def test_html_accepted_like_telegram(
    tg: FakeTelegram, html_text: str, text: str, entities: list[tuple[str, int, int]]
) -> None:
    result = await ok(tg, "sendMessage", chat_id=LAN, text=html_text, parse_mode="HTML")
    assert result["text"] == text
    got = [(e["type"], e["offset"], e["length"]) for e in result.get("entities", [])]
    assert got == entities


async def test_html_links_are_stored_as_telegram_stores_them(tg: FakeTelegram) -> None:
    result = await ok(
        tg,
        "sendMessage",
        chat_id=LAN,
        text="<a href=\"x.vn/tin tuc\">tin</a> <a href='HTTPS://X.VN'>X</a> <a>https://y.vn</a>",
        parse_mode="HTML",
    )
    assert [e["url"] for e in result["entities"]] == [
        "http://x.vn/tin%20tuc",
        "https://x.vn/",
        "https://y.vn/",
    ]


async def test_callback_answer_text_limit(tg: FakeTelegram, bot: Bot) -> None:
    lan = tg.user(LAN)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Bấm", callback_data="p")]])
    await bot.send_message(LAN, "Bấm đi", reply_markup=keyboard)
    await lan.press("Bấm")
    query_id = tg._updates[-1]["callback_query"]["id"]
    await refused(
        tg,
        "answerCallbackQuery",
        "Bad Request: MESSAGE_TOO_LONG",
        callback_query_id=query_id,
        text="ư" * 201,
    )
    assert await bot.answer_callback_query(query_id, "ư" * 200, show_alert=True)
    assert lan.answers[-1]["text"] == "ư" * 200
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)  # one answer per query


@pytest.mark.parametrize(
    ("commands", "params", "description"),
    [
        ([("Start", "Bắt đầu")], {}, "BOT_COMMAND_INVALID"),
        ([("bắt_đầu", "Bắt đầu")], {}, "BOT_COMMAND_INVALID"),
        ([("a" * 33, "x")], {}, "command length must not exceed 32"),
        ([("/", "x")], {}, "command must be non-empty"),
        ([("start", " ")], {}, "command description must be non-empty"),
        ([("start", "đ" * 257)], {}, "command description length must not exceed 256"),
        ([(f"c{n}", "x") for n in range(101)], {}, "BOT_COMMANDS_TOO_MUCH"),
        ([("start", "x")], {"language_code": "vie"}, "invalid language code specified"),
        (
            [("start", "x")],
            {"scope": {"type": "everyone"}},
            "can't parse BotCommandScope: Unsupported type specified",
        ),
        (
            [("start", "x")],
            {"scope": {"type": "chat"}},
            "can't parse BotCommandScope: Can't find field \"chat_id\"",
        ),
        ([("start", "x")], {"scope": "chat"}, "can't parse BotCommandScope JSON object"),
        ([("start", "x")], {"scope": {"type": "chat", "chat_id": 999}}, "chat not found"),
    ],
)
async def test_set_my_commands_rules(
    tg: FakeTelegram, commands: list[tuple[str, str]], params: dict[str, object], description: str
) -> None:
    listed = [{"command": c, "description": d} for c, d in commands]
    await refused(tg, "setMyCommands", f"Bad Request: {description}", commands=listed, **params)
    assert tg.commands_for() == []


async def test_set_my_commands_accepted(tg: FakeTelegram) -> None:
    listed = [{"command": " /start ", "description": " Bắt đầu "}]
    listed += [{"command": f"lenh_{n}", "description": "đ" * 256} for n in range(99)]
    await ok(tg, "setMyCommands", commands=listed, scope={"type": "chat", "chat_id": str(LAN)})
    commands = tg.commands_for(LAN)
    assert len(commands) == 100
    assert commands[0] == ("start", "Bắt đầu")  # trimmed, without the slash
    await refused(
        tg,
        "setMyCommands",
        "Bad Request: can't parse BotCommand: Can't find field \"description\"",
        commands=[{"command": "start"}],
    )
    await ok(tg, "setMyCommands", commands=[], scope={"type": "chat", "chat_id": LAN})
    assert tg.commands_for(LAN) == []


async def test_bot_descriptions(tg: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_my_description("Đ" * 512)
    assert await bot.set_my_short_description("Đ" * 120)
    assert await bot.set_my_description("Bot thi đua", language_code="vi")
    assert (await bot.get_my_description()).description == "Đ" * 512
    assert (await bot.get_my_description("vi")).description == "Bot thi đua"
    assert (await bot.get_my_short_description()).short_description == "Đ" * 120
    assert (tg.descriptions, tg.short_descriptions) == (
        {"": "Đ" * 512, "vi": "Bot thi đua"},
        {"": "Đ" * 120},
    )
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.set_my_description("Đ" * 513)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.set_my_short_description("Đ" * 121)
    with pytest.raises(BadRequest, match=r"(?i)invalid language code specified"):
        await bot.set_my_description("x", language_code="VI")
    assert await bot.set_my_description("")  # removes it
    assert (await bot.get_my_description()).description == ""


async def test_link_preview_options(tg: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(LAN, "https://x.vn", link_preview_options=LinkPreviewOptions(True))
    await refused(
        tg,
        "sendMessage",
        "Bad Request: can't parse link preview options JSON object",
        chat_id=LAN,
        text="x",
        link_preview_options="tắt",
    )
    await refused(
        tg,
        "sendMessage",
        'Bad Request: field "is_disabled" must be of type Boolean',
        chat_id=LAN,
        text="x",
        link_preview_options={"is_disabled": "true"},
    )
    assert len(tg.sent) == 1
