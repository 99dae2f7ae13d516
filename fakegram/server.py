"""A stand-in for the Telegram Bot API on 127.0.0.1: the tests' server and the sandbox's.

`FakeTelegram` is a small aiohttp server that speaks enough of the Bot API for a real
python-telegram-bot ``Bot`` / ``Application`` to run against it::

    async with FakeTelegram() as tg:
        app = (
            ApplicationBuilder()
            .token(TOKEN)
            .base_url(tg.api_url)
            .base_file_url(tg.file_url)
            .build()
        )
        ...
        lan = tg.user(1001, "Lan")
        await lan.send("/start")
        reply = await lan.expect("Chào")
        await lan.press("Đồng ý", reply)

The tests drive it through `FakeUser` (send, press, expect…) and break it on purpose
(`inject_error`, `fail_randomly`, `blocked`, `rate_limit`); `python -m bot sandbox` plays the
roster's people through the same `FakeUser` methods from a browser page, and follows what
happens in the chats through `FakeTelegram.listeners` (`ChatEvent`). A `clock` given to the
server dates messages, so chats read in the bot's (the sandbox's) time.

Everything runs on one event loop, without locks. Requests are decoded the way
Telegram decodes them (form-urlencoded, multipart/form-data or JSON; nested objects are
JSON strings inside the form) and answered with Telegram's response shapes and status codes,
so PTB raises the same exceptions it would raise in production.

Telegram's own rules are enforced for every parameter the bot uses, no stricter and no looser,
with Telegram's error texts: the code under "Telegram's rules for texts, keyboards and links"
ports the open-source Bot API server (tdlib/telegram-bot-api) and TDLib (tdlib/td), and says
where each rule comes from. ``parse_mode="HTML"`` is parsed as TDLib parses it; texts are then
cleaned and trimmed, and counted in Unicode code points, as Telegram does.

Simplifications: private chats (`FakeTelegram.user`) and, minimally, group chats
(`FakeTelegram.group`: a member's message in it and what the bot posts there);
Markdown parse modes are stored unparsed; explicit ``entities`` are taken as given; an HTML
<tg-time> gives no entity and a tg://user?id= link stays a text_link (Telegram makes a
text_mention); uploads are not size-checked.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import ipaddress
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any, Final, Literal

from aiohttp import BodyPartReader, web

JSON = dict[str, Any]

TOKEN: Final = "123456789:TEST-token_abcdefghijklmnopqrstuv"

# Telegram's limits (Bot API page, core.telegram.org/bots/api, and the sources cited below).
# Texts are counted after entity parsing and trimming, in Unicode code points (TDLib's
# utf8_length in MessageContent.cpp), not in UTF-16 units.
MAX_TEXT_LENGTH: Final = 4096  # sendMessage text: 1-4096 characters
MAX_CAPTION_LENGTH: Final = 1024  # captions: 0-1024 characters
MAX_RAW_TEXT_BYTES: Final = 1 << 15  # Client::get_formatted_text: "Text is too long"
MAX_DOWNLOAD_SIZE: Final = 20 * 1024 * 1024  # getFile: up to 20 MB
MAX_UPLOAD_SIZE: Final = 50 * 1024 * 1024  # the Bot API page: "files of any type of up to 50 MB"
# td's FileType of what a file id names (td/telegram/files/FileType.cpp): a photo's id cannot
# be sent as a document nor the reverse (FileManager::from_persistent_id_v23).
_FILE_TYPES: Final = {"documents": "Document", "photos": "Photo", "stickers": "Sticker"}
MAX_CALLBACK_DATA: Final = 64  # InlineKeyboardButton.callback_data: 1-64 bytes
MAX_CALLBACK_ANSWER: Final = 200  # answerCallbackQuery text: 0-200 characters
MAX_DESCRIPTION: Final = 512  # setMyDescription: 0-512 characters
MAX_SHORT_DESCRIPTION: Final = 120  # setMyShortDescription: 0-120 characters
MAX_COMMANDS: Final = 100  # setMyCommands: at most 100 commands
LONG_POLL_CAP: Final = 2.0

NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)

_DEFAULT_DESCRIPTIONS: Final[dict[int, str]] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

# Methods counted by `FakeTelegram.rate_limit`.
SENDING_METHODS: Final = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
    }
)

# Form fields that are plain strings even when they look like JSON (numbers, true/false).
_STRING_KEYS: Final = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "document",
        "photo",
        "video",
        "audio",
        "voice",
        "animation",
        "sticker",
        "thumbnail",
        "url",
        "action",
        "language_code",
        "description",
        "short_description",
        "name",
        "title",
        "emoji",
        "query",
        "first_name",
        "last_name",
        "phone_number",
        "vcard",
        "address",
        "question",
        "explanation",
        "business_connection_id",
        "message_effect_id",
        "secret_token",
        "ip_address",
        "custom_emoji_id",
        "payload",
        "currency",
        "start_parameter",
        "next_offset",
    }
)

_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# Keys of a message that carry its content (copied by copyMessage / forwardMessage).
_CONTENT_KEYS: Final = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "document",
    "photo",
    "sticker",
    "contact",
    "location",
    "audio",
    "video",
    "voice",
)


class ApiError(Exception):
    """An error answer of the Bot API (raised inside method handlers)."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass
class ApiCall:
    """One request the fake server received."""

    method: str
    params: JSON
    time: float
    status: int = 0
    result: Any = None
    description: str | None = None

    def __str__(self) -> str:
        shown = {k: v for k, v in self.params.items() if k != "reply_markup"}
        text = json.dumps(shown, ensure_ascii=False, default=str)
        if len(text) > 120:
            text = text[:117] + "..."
        outcome = str(self.status) + (f" {self.description}" if self.description else "")
        return f"{self.method}({text}) -> {outcome}"


@dataclass
class SentMessage:
    """A message the bot created (sendMessage, sendDocument, sendPhoto, copyMessage...).

    `text` is the text (or caption for media) as the bot sent it (for HTML still with tags);
    `plain_text` is what the user sees, after parse_mode was applied.
    """

    message_id: int
    chat_id: int
    method: str
    text: str | None = None
    parse_mode: str | None = None
    reply_markup: JSON | None = None
    document: JSON | None = None
    edits: list[str] = field(default_factory=list)
    deleted: bool = False
    photo: list[JSON] | None = None
    plain_text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    date: int = 0
    edit_date: int | None = None
    reply_to_message_id: int | None = None
    params: JSON = field(default_factory=dict)
    extra: JSON = field(default_factory=dict)

    @property
    def is_media(self) -> bool:
        return self.document is not None or self.photo is not None or bool(self.extra)

    def buttons(self) -> list[list[str]]:
        """Inline keyboard button texts by row (or the reply keyboard's texts)."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [
            [button if isinstance(button, str) else str(button.get("text")) for button in row]
            for row in rows
        ]

    def inline_buttons(self) -> list[JSON]:
        markup = self.reply_markup or {}
        return [button for row in markup.get("inline_keyboard") or [] for button in row]

    def button_data(self, text: str) -> str:
        """callback_data of the inline button with that text; KeyError if there is none."""
        for button in self.inline_buttons():
            if button.get("text") == text and "callback_data" in button:
                return str(button["callback_data"])
        raise KeyError(f"no inline callback button {text!r}; buttons: {self.buttons()}")

    def has_button(self, text: str) -> bool:
        return any(b.get("text") == text and "callback_data" in b for b in self.inline_buttons())

    @property
    def shown(self) -> str:
        """What the user sees (markup applied); empty for media without a caption."""
        return self.plain_text or ""

    def contains(self, fragment: str) -> bool:
        """In the text now or in any earlier version: a message the bot edits quickly (a
        "checking…" note turned into the result) still said what it said, and a test that
        looks a moment late must not fail for it."""
        versions = [self.text or "", self.plain_text or "", *self.edits]
        return any(fragment in version for version in versions)


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str
    mime_type: str
    file_path: str

    def document(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }

    def photo_sizes(self) -> list[JSON]:
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": len(self.content),
                "width": 1280,
                "height": 960,
            }
        ]


@dataclass
class _Upload:
    filename: str
    content: bytes
    content_type: str


@dataclass
class _Injection:
    method: str
    status: int
    description: str
    retry_after: int | None
    times: int
    chat_id: int | None
    text_contains: str | None = None


@dataclass
class _RandomFaults:
    rate: float
    kinds: tuple[int | str, ...]  # HTTP statuses, "before", "after" (when the connection drops)
    methods: frozenset[str] | None
    seed: int
    times: int | None  # faults left; None: no end
    seen: dict[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatEvent:
    """Something that happened in a chat, for `FakeTelegram.listeners`: the bot "sent",
    "edited" or "deleted" a message, the user wrote one ("user"), a button press was answered
    ("answer", with the answer in `answer`), or the chat's command menu changed ("commands";
    chat_id 0 for the default menu)."""

    kind: Literal["sent", "edited", "deleted", "user", "answer", "commands"]
    chat_id: int
    message_id: int | None = None
    answer: JSON | None = None


class _Own(enum.Enum):
    OWN = "own"


OWN: Final = _Own.OWN
"""Sentinel for `FakeUser.share_contact`: the contact is the sender's own."""


class FakeUser:
    """A Telegram user talking to the bot in a private chat (chat id == user id)."""

    def __init__(
        self,
        tg: FakeTelegram,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
    ) -> None:
        self.tg = tg
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = "vi"
        self.answers: list[JSON] = []
        self.outbox: list[JSON] = []  # raw messages this user sent
        self._cursor = 0

    def __repr__(self) -> str:
        return f"FakeUser({self.id}, {self.first_name!r})"

    def to_dict(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        data["language_code"] = self.language_code
        return data

    def chat(self) -> JSON:
        data: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        return data

    # --- things the user does -------------------------------------------------------------

    async def send(
        self, text: str, *, reply_to: SentMessage | None = None, chat: FakeGroup | None = None
    ) -> None:
        """A text message; a leading /command gets a bot_command entity like Telegram adds.
        `chat`: written in that group instead of the private chat."""
        content: JSON = {"text": text}
        command = re.match(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)", text)
        if command:
            content["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command.group(0))}
            ]
        if reply_to is not None:
            reply = self.tg._message_dict(reply_to.chat_id, reply_to.message_id)
            if reply is not None:
                content["reply_to_message"] = reply
        await self.tg._user_message(self, content, chat)

    async def edit(self, message: JSON, text: str) -> None:
        """Edit a message this user sent (one of `outbox`) to say `text`: Telegram sends the
        bot an edited_message update with the same message_id."""
        edited: JSON = {**message, "text": text, "edit_date": int(self.tg._time())}
        edited.pop("entities", None)
        self.tg._user_messages[(message["chat"]["id"], message["message_id"])] = edited
        self.tg._push_update({"edited_message": edited})
        self.tg._notify("user", message["chat"]["id"], message["message_id"])
        await asyncio.sleep(0)

    async def share_contact(
        self,
        phone: str,
        user_id: int | _Own | None = OWN,
        first_name: str | None = None,
    ) -> None:
        """A contact message. By default it is the sender's own contact (contact.user_id is
        the sender's id); pass another id, or None for a contact without user_id."""
        contact: JSON = {"phone_number": phone, "first_name": first_name or self.first_name}
        if user_id is OWN:
            contact["user_id"] = self.id
            if self.last_name is not None and first_name is None:
                contact["last_name"] = self.last_name
        elif user_id is not None:
            contact["user_id"] = user_id
        await self.tg._user_message(self, {"contact": contact})

    async def send_document(
        self,
        file_name: str,
        content: bytes,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
    ) -> None:
        stored = self.tg._register_file(content, file_name, mime_type, "documents")
        message: JSON = {"document": stored.document()}
        if caption is not None:
            message["caption"] = caption
        await self.tg._user_message(self, message)

    async def send_photo(self, content: bytes, caption: str | None = None) -> None:
        stored = self.tg._register_file(content, "photo.jpg", "image/jpeg", "photos")
        message: JSON = {"photo": stored.photo_sizes()}
        if caption is not None:
            message["caption"] = caption
        await self.tg._user_message(self, message)

    async def send_sticker(self, emoji: str = "👍") -> None:
        stored = self.tg._register_file(b"RIFF-sticker", "sticker.webp", "image/webp", "stickers")
        sticker: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(stored.content),
        }
        await self.tg._user_message(self, {"sticker": sticker})

    async def press(self, button_text: str, message: SentMessage | None = None) -> None:
        """Press the inline button with that text on `message`, or else on the latest
        message to this chat that has such a button."""
        if message is None:
            for candidate in reversed(self.messages()):
                if not candidate.deleted and candidate.has_button(button_text):
                    message = candidate
                    break
            else:
                available = [
                    (m.message_id, m.buttons()) for m in self.messages() if m.inline_buttons()
                ]
                raise AssertionError(
                    f"no message to {self!r} has an inline button {button_text!r}; "
                    f"inline keyboards (message_id, rows): {available}"
                )
        elif message.deleted:
            raise AssertionError(f"message {message.message_id} was deleted; cannot press")
        try:
            data = message.button_data(button_text)
        except KeyError:
            raise AssertionError(
                f"message {message.message_id} has no inline button {button_text!r}; "
                f"buttons: {message.buttons()}"
            ) from None
        await self.tg._callback_query(self, message, data)

    async def press_at(self, message: SentMessage, row: int, column: int) -> None:
        """Press the inline button at that place on `message`, as a client does: a button with
        callback_data sends a callback query; other kinds (a URL…) do nothing here."""
        if message.deleted:
            raise AssertionError(f"message {message.message_id} was deleted; cannot press")
        markup = message.reply_markup or {}
        rows = markup.get("inline_keyboard") or []
        try:
            button = rows[row][column]
        except (IndexError, TypeError):
            raise AssertionError(
                f"message {message.message_id} has no inline button at ({row}, {column})"
            ) from None
        if "callback_data" in button:
            await self.tg._callback_query(self, message, str(button["callback_data"]))

    async def press_data(self, data: str, message: SentMessage | None = None) -> None:
        """A callback query with any data, as a modified client could send: for testing that
        the bot checks what a button claims."""
        target = message if message is not None else self.messages()[-1]
        await self.tg._callback_query(self, target, data)

    # --- what the user received -------------------------------------------------------------

    def messages(self) -> list[SentMessage]:
        """All messages the bot sent to this chat."""
        return self.tg.messages_to(self.id)

    async def expect(self, contains: str | None = None, timeout: float = 5.0) -> SentMessage:
        """Wait for the next message to this chat not yet consumed by expect()."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages()
            if len(messages) > self._cursor:
                message = messages[self._cursor]
                self._cursor += 1
                if contains is not None and not message.contains(contains):
                    raise AssertionError(
                        f"message {message.message_id} to {self!r} does not contain "
                        f"{contains!r}; its text is:\n{message.text}"
                    )
                return message
            if time.monotonic() >= deadline:
                seen = [m.text for m in messages[-3:]]
                raise AssertionError(
                    f"no new message to {self!r} within {timeout}s"
                    + (f" (expected one containing {contains!r})" if contains else "")
                    + f"; last consumed: {seen}; recent API calls:\n{self.tg.describe_calls()}"
                )
            await asyncio.sleep(0.01)

    async def expect_nothing(self, within: float = 0.3) -> None:
        """Assert that no new (unconsumed) message arrives during `within` seconds."""
        deadline = time.monotonic() + within
        while True:
            messages = self.messages()
            if len(messages) > self._cursor:
                texts = [m.text for m in messages[self._cursor :]]
                raise AssertionError(f"unexpected message(s) to {self!r}: {texts}")
            if time.monotonic() >= deadline:
                return
            await asyncio.sleep(0.01)


class FakeGroup(FakeUser):
    """A group chat (or supergroup, channel) the bot is in, with a negative id. Members write
    there with `FakeUser.send(text, chat=group)`; `messages`/`expect` read what the bot
    posted there."""

    def __init__(self, tg: FakeTelegram, chat_id: int, title: str, kind: str = "group") -> None:
        super().__init__(tg, chat_id, title)
        self.title = title
        self.kind = kind

    def chat(self) -> JSON:
        return {"id": self.id, "type": self.kind, "title": self.title}


_Handler = Callable[[JSON, dict[str, _Upload]], Awaitable[Any]]
_CALLBACK_QUERY_IDS = itertools.count(4_000_000_000_000_001)


class FakeTelegram:
    """The fake Bot API server. See the module docstring."""

    def __init__(
        self,
        token: str = TOKEN,
        bot_username: str = "thidua_test_bot",
        bot_id: int = 123456789,
        *,
        clock: Callable[[], float] = time.time,
        keep_calls: int | None = None,
        bot_name: str = "Thi đua Test Bot",
    ) -> None:
        """`clock`: the Unix time messages are dated with. `keep_calls`: keep only about that
        many of the latest `calls` (a long-running server; tests keep them all)."""
        self.token = token
        self._time = clock
        self._keep_calls = keep_calls
        # Called with every ChatEvent, synchronously, on the server's loop; must not block.
        self.listeners: list[Callable[[ChatEvent], None]] = []
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.calls: list[ApiCall] = []
        self.sent: list[SentMessage] = []
        self.blocked: set[int] = set()
        self.rate_limit: float | None = None
        self.throttled = 0
        self.users: dict[int, FakeUser] = {}

        self._runner: web.AppRunner | None = None
        self._port = 0
        self._closing = False
        self._updates: list[JSON] = []
        self._next_update_id = 1
        self._update_event = asyncio.Event()
        self._message_ids: dict[int, int] = {}
        self._bot_messages: dict[tuple[int, int], SentMessage] = {}
        self._user_messages: dict[tuple[int, int], JSON] = {}
        self._deleted_user_messages: set[tuple[int, int]] = set()
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_seq = 0
        self._callback_seq = 0
        self._pending_callbacks: dict[str, FakeUser] = {}
        self._injections: list[_Injection] = []
        self._random_faults: _RandomFaults | None = None
        self.faults: list[ApiCall] = []  # the calls fail_randomly failed
        self._send_times: deque[float] = deque()
        self._commands: dict[tuple[tuple[Any, ...], str], list[tuple[str, str]]] = {}
        # setMyDescription / setMyShortDescription, by language code ("" for the default)
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}

        self._handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "close": self._true,
            "logOut": self._true,
            "setMyDescription": self._set_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyDescription": self._get_my_description,
            "getMyShortDescription": self._get_my_short_description,
            "setMyName": self._true,
            "setChatMenuButton": self._true,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "sendChatAction": self._send_chat_action,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "getFile": self._get_file,
        }
        self._canonical = {name.lower(): name for name in self._handlers}

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(runner.addresses[0][1])
        self._runner = runner
        self._closing = False

    async def stop(self) -> None:
        """Stop the server; pending getUpdates long-polls are answered at once."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing = True
        self._wake_pollers()
        await asyncio.sleep(0)
        await runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("FakeTelegram is not started")
        return self._port

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- saved state (the sandbox's --data folder) ---------------------------------------

    STATE_VERSION: Final = 1

    def save_state(self, folder: Path) -> None:
        """Write the chats (users, every message, the message counters, the command menus and
        descriptions) and the files to `folder`, so `load_state` brings them back."""
        files = folder / "files"
        files.mkdir(parents=True, exist_ok=True)
        for stored in self._files.values():
            target = files / hashlib.sha256(stored.file_id.encode()).hexdigest()
            if not target.exists():
                target.write_bytes(stored.content)
        state = {
            "version": self.STATE_VERSION,
            "users": [
                {"id": u.id, "first_name": u.first_name, "last_name": u.last_name,
                 "username": u.username, "group": u.kind if isinstance(u, FakeGroup) else None}
                for u in self.users.values()
            ],
            "message_ids": [[chat, count] for chat, count in self._message_ids.items()],
            "sent": [asdict(message) for message in self.sent],
            "user_messages": [
                [chat, message_id, message]
                for (chat, message_id), message in self._user_messages.items()
            ],
            "deleted_user_messages": sorted(self._deleted_user_messages),
            "files": [
                {key: value for key, value in asdict(stored).items() if key != "content"}
                for stored in self._files.values()
            ],
            "file_seq": self._file_seq,
            "commands": [[list(scope), language, commands]
                         for (scope, language), commands in self._commands.items()],
            "descriptions": self.descriptions,
            "short_descriptions": self.short_descriptions,
        }  # fmt: skip
        temporary = folder / "state.json.tmp"
        temporary.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        temporary.replace(folder / "state.json")

    def load_state(self, folder: Path) -> bool:
        """Bring back what `save_state` wrote (before the bot starts); False if there is
        nothing there, or nothing this version reads."""
        try:
            state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if not isinstance(state, dict) or state.get("version") != self.STATE_VERSION:
            return False
        for user in state["users"]:
            if user["group"]:
                self.group(user["id"], user["first_name"], user["group"])
            else:
                self.user(user["id"], user["first_name"], user["last_name"], user["username"])
        self._message_ids = {chat: count for chat, count in state["message_ids"]}
        self.sent = [SentMessage(**message) for message in state["sent"]]
        self._bot_messages = {(m.chat_id, m.message_id): m for m in self.sent}
        for chat, message_id, message in state["user_messages"]:
            self._user_messages[(chat, message_id)] = message
            if chat in self.users:
                self.users[chat].outbox.append(message)
        self._deleted_user_messages = {(c, m) for c, m in state["deleted_user_messages"]}
        for meta in state["files"]:
            source = folder / "files" / hashlib.sha256(meta["file_id"].encode()).hexdigest()
            with contextlib.suppress(OSError):
                stored = _StoredFile(content=source.read_bytes(), **meta)
                self._files[stored.file_id] = stored
                self._files_by_path[stored.file_path] = stored
        self._file_seq = max(self._file_seq, int(state["file_seq"]))
        for scope, language, commands in state["commands"]:
            self._commands[(tuple(scope), language)] = [tuple(c) for c in commands]
        self.descriptions.update(state["descriptions"])
        self.short_descriptions.update(state["short_descriptions"])
        return True

    # --- public helpers -------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Người dùng",
        last_name: str | None = None,
        username: str | None = None,
    ) -> FakeUser:
        """The user with that id (created on first use; the same id gives the same object)."""
        existing = self.users.get(user_id)
        if existing is not None:
            return existing
        created = FakeUser(self, user_id, first_name, last_name, username)
        self.users[user_id] = created
        return created

    def group(self, chat_id: int, title: str = "Nhóm", kind: str = "group") -> FakeGroup:
        """A group chat the bot is in (created on first use), `chat_id` negative."""
        existing = self.users.get(chat_id)
        if isinstance(existing, FakeGroup):
            return existing
        created = FakeGroup(self, chat_id, title, kind)
        self.users[chat_id] = created
        return created

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def calls_of(self, method: str) -> list[ApiCall]:
        method = self._canonical.get(method.lower(), method)
        return [c for c in self.calls if c.method == method]

    def describe_calls(self, limit: int = 10) -> str:
        """The last API calls (without getUpdates), one a line, for assertion messages."""
        relevant = [c for c in self.calls if c.method != "getUpdates"][-limit:]
        return "\n".join(f"  {c}" for c in relevant) or "  (none)"

    def inject_error(
        self,
        method: str,
        status: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
        text_contains: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (optionally only for `chat_id`, only those
        whose text or caption contains `text_contains`) fail."""
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            description = description or f"Too Many Requests: retry after {retry_after}"
        description = description or _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        self._injections.append(
            _Injection(
                method=self._canonical.get(method.lower(), method),
                status=status,
                description=description,
                retry_after=retry_after if status == 429 else None,
                times=times,
                chat_id=chat_id,
                text_contains=text_contains,
            )
        )

    def commands_for(
        self, chat_id: int | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        """Commands set for BotCommandScopeChat(chat_id), or the default scope for None."""
        key: tuple[Any, ...] = ("default",) if chat_id is None else ("chat", chat_id)
        return list(self._commands.get((key, language_code), []))

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id].content

    def file_info(self, file_id: str) -> tuple[str, str, bytes]:
        """(file name, MIME type, content) of a file the bot or a user sent; KeyError if none."""
        stored = self._files[file_id]
        return stored.file_name, stored.mime_type, stored.content

    def history(self, chat_id: int) -> list[SentMessage | JSON]:
        """The chat as its user sees it, oldest first: the bot's messages (SentMessage) and
        the user's own (the message dicts the bot received, as last edited), without the
        deleted ones."""
        items: list[tuple[int, SentMessage | JSON]] = [
            (m.message_id, m) for m in self.messages_to(chat_id) if not m.deleted
        ]
        items.extend(
            (message_id, message)
            for (chat, message_id), message in self._user_messages.items()
            if chat == chat_id and (chat, message_id) not in self._deleted_user_messages
        )
        return [item for _, item in sorted(items, key=lambda pair: pair[0])]

    def add_file(self, content: bytes, file_name: str, mime_type: str) -> JSON:
        """Register a file; returns a Telegram Document dict."""
        return self._register_file(content, file_name, mime_type, "documents").document()

    def add_photo(self, content: bytes) -> list[JSON]:
        """Register a photo; returns its Telegram PhotoSize list (send it by the last's id)."""
        return self._register_file(content, "photo.jpg", "image/jpeg", "photos").photo_sizes()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                name = getattr(predicate, "__qualname__", repr(predicate))
                raise AssertionError(
                    f"condition {name} not met within {timeout}s; "
                    f"recent API calls:\n{self.describe_calls()}"
                )
            await asyncio.sleep(0.01)

    def fail_randomly(
        self,
        rate: float,
        statuses: Sequence[int] = (500, 502),
        *,
        drop_connection: bool | Literal["before", "after"] = True,
        methods: Iterable[str] | None = None,
        seed: int = 0,
        times: int | None = None,
    ) -> None:
        """From now on a share `rate` of requests fail the way Telegram's now and then do: an
        error of one of `statuses` (the method did not run) or, with `drop_connection`, the
        connection closed without an answer, either "before" the method ran or "after" it
        (done, but the answer lost); each kind equally likely. `methods` limits it to those
        methods (a file download is "downloadFile"); None means every method and download.
        `times`: stop after that many faults.

        Whether a request fails depends only on `seed`, the method, its chat (or callback
        query, or file) and how many such requests came before it, not on how the requests of
        different chats interleave, so a seed replays the same faults. Failed calls are listed
        in `faults`. `fail_randomly(0)` stops it.
        """
        if isinstance(drop_connection, str):
            drops: tuple[str, ...] = (drop_connection,)
        else:
            drops = ("before", "after") if drop_connection else ()
        kinds: tuple[int | str, ...] = (*statuses, *drops)
        if rate <= 0 or not kinds:
            self._random_faults = None
            return
        chosen = None
        if methods is not None:
            chosen = frozenset(self._canonical.get(m.lower(), m) for m in methods)
        self._random_faults = _RandomFaults(rate, kinds, chosen, seed, times)

    # --- updates --------------------------------------------------------------------------

    def _wake_pollers(self) -> None:
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()

    def _notify(
        self,
        kind: Literal["sent", "edited", "deleted", "user", "answer", "commands"],
        chat_id: int,
        message_id: int | None = None,
        answer: JSON | None = None,
    ) -> None:
        event = ChatEvent(kind, chat_id, message_id, answer)
        for listener in list(self.listeners):
            listener(event)

    def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        keep = self._keep_calls
        if keep is not None and len(self.calls) > 2 * keep:
            del self.calls[:-keep]

    def _push_update(self, body: JSON) -> None:
        update = {"update_id": self._next_update_id, **body}
        self._next_update_id += 1
        self._updates.append(update)
        self._wake_pollers()

    def _next_message_id(self, chat_id: int) -> int:
        message_id = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = message_id
        return message_id

    async def _user_message(
        self, user: FakeUser, content: JSON, group: FakeGroup | None = None
    ) -> None:
        chat = group or user
        message_id = self._next_message_id(chat.id)
        message: JSON = {
            "message_id": message_id,
            "from": user.to_dict(),
            "chat": chat.chat(),
            "date": int(self._time()),
            **content,
        }
        self._user_messages[(chat.id, message_id)] = message
        user.outbox.append(message)
        self._push_update({"message": message})
        self._notify("user", chat.id, message_id)
        await asyncio.sleep(0)

    async def _callback_query(self, user: FakeUser, message: SentMessage, data: str) -> None:
        self._callback_seq += 1
        query_id = str(next(_CALLBACK_QUERY_IDS))  # unique across servers, as Telegram's are
        self._pending_callbacks[query_id] = user
        self._push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_dict(),
                    "message": self._bot_message_dict(message),
                    "chat_instance": str(-abs(message.chat_id) - 7_000_000_000),
                    "data": data,
                }
            }
        )
        await asyncio.sleep(0)

    # --- files ----------------------------------------------------------------------------

    def _register_file(
        self, content: bytes, file_name: str, mime_type: str, folder: str
    ) -> _StoredFile:
        self._file_seq += 1
        digest = hashlib.sha256(content).hexdigest()
        prefix = {"photos": "AgACAgIAAxkBAA", "stickers": "CAACAgIAAxkBAA"}.get(
            folder, "BQACAgIAAxkBAA"
        )
        suffix = re.sub(r"[^A-Za-z0-9.]", "", PurePosixPath(file_name).suffix)
        stored = _StoredFile(
            file_id=f"{prefix}{self._file_seq:06d}{digest[:12]}",
            file_unique_id=f"AgAD{digest[:16]}",
            content=bytes(content),
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{folder}/file_{self._file_seq}{suffix}",
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    # --- HTTP -----------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        raw_method = request.match_info["method"]
        canonical = self._canonical.get(raw_method.lower())
        call = ApiCall(
            method=canonical or raw_method[:1].lower() + raw_method[1:],
            params={},
            time=time.monotonic(),
        )
        self._record(call)
        try:
            params, files = await self._read_params(request)
            call.params = params
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            if canonical is None:
                raise ApiError(404, "Not Found")
            self._check_injected(canonical, params)
            fault = self._random_fault(call)  # fail_randomly's draw: a 5xx, or a dropped answer
            if fault is not None and fault != "after":
                return self._fail(request, call, fault)
            if canonical in SENDING_METHODS:
                self._check_rate_limit()
            result = await self._handlers[canonical](params, files)
            if fault == "after":
                return self._fail(request, call, fault)
        except ApiError as error:
            call.status = error.status
            call.description = error.description
            return web.json_response(error.body(), status=error.status)
        call.status = 200
        call.result = result
        return web.json_response(
            {"ok": True, "result": result}, dumps=lambda o: json.dumps(o, ensure_ascii=False)
        )

    async def _handle_file(self, request: web.Request) -> web.Response:
        file_path = request.match_info["file_path"]
        call = ApiCall("downloadFile", {"file_path": file_path}, time.monotonic())
        self._record(call)
        fault = self._random_fault(call)
        if fault is not None:  # a download changes nothing: lost before or after is the same
            return self._fail(request, call, fault)
        error: ApiError | None = None
        if request.match_info["token"] != self.token:
            error = ApiError(401, "Unauthorized")
        elif file_path not in self._files_by_path:
            error = ApiError(404, "Not Found")
        if error is not None:
            call.status = error.status
            call.description = error.description
            return web.json_response(error.body(), status=error.status)
        call.status = 200
        return web.Response(
            body=self._files_by_path[file_path].content, content_type="application/octet-stream"
        )

    async def _read_params(self, request: web.Request) -> tuple[JSON, dict[str, _Upload]]:
        params: JSON = {key: _decode_value(key, value) for key, value in request.query.items()}
        files: dict[str, _Upload] = {}
        if not request.body_exists:
            return params, files
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise _bad_request("request body must be a JSON object")
            for key, value in body.items():
                params[key] = _decode_value(key, value) if isinstance(value, str) else value
        elif content_type.startswith("multipart/"):
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    upload = _Upload(
                        filename=part.filename,
                        content=bytes(await part.read(decode=True)),
                        content_type=part.headers.get("Content-Type", "application/octet-stream"),
                    )
                    files[part.name] = upload
                    params[part.name] = {
                        "filename": upload.filename,
                        "mime_type": upload.content_type,
                        "file_size": len(upload.content),
                    }
                else:
                    params[part.name] = _decode_value(part.name, await part.text())
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = _decode_value(key, value)
        return params, files

    def _check_injected(self, method: str, params: JSON) -> None:
        for injection in self._injections:
            if injection.method != method:
                continue
            if injection.chat_id is not None and params.get("chat_id") != injection.chat_id:
                continue
            if injection.text_contains is not None:
                said = str(params.get("text") or params.get("caption") or "")
                if injection.text_contains not in said:
                    continue
            injection.times -= 1
            if injection.times <= 0:
                self._injections.remove(injection)
            raise ApiError(injection.status, injection.description, injection.retry_after)

    def _random_fault(self, call: ApiCall) -> int | str | None:
        """fail_randomly's verdict on this call: None, a status, "before" or "after"."""
        faults = self._random_faults
        if faults is None or (faults.methods is not None and call.method not in faults.methods):
            return None
        params = call.params
        about = params.get("chat_id", params.get("callback_query_id", params.get("file_id")))
        key = (call.method, str(params.get("file_path", about)))
        faults.seen[key] = number = faults.seen.get(key, 0) + 1
        digest = hashlib.sha256(f"{faults.seed}:{key}:{number}".encode()).digest()
        if int.from_bytes(digest[:8]) / 2**64 >= faults.rate:
            return None
        if faults.times is not None:
            faults.times -= 1
            if faults.times <= 0:
                self._random_faults = None
        self.faults.append(call)
        return faults.kinds[digest[8] % len(faults.kinds)]

    def _fail(self, request: web.Request, call: ApiCall, fault: int | str) -> web.Response:
        """Answer with a fault of fail_randomly: an error status, or no answer at all."""
        if isinstance(fault, int):
            error = ApiError(fault, _DEFAULT_DESCRIPTIONS.get(fault, f"Error {fault}"))
            call.status, call.description = error.status, error.description
            return web.json_response(error.body(), status=error.status)
        call.status, call.description = 0, f"connection dropped {fault} the method ran"
        if request.transport is not None:
            request.transport.close()
        return web.Response()  # never written: the connection is closed

    def _check_rate_limit(self) -> None:
        now = time.monotonic()
        while self._send_times and self._send_times[0] <= now - 1.0:
            self._send_times.popleft()
        if self.rate_limit is not None and len(self._send_times) >= self.rate_limit:
            self.throttled += 1
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._send_times.append(now)

    # --- parameter helpers ----------------------------------------------------------------

    def _chat(self, params: JSON, key: str = "chat_id") -> int:
        value = params.get(key)
        if value is None or value == "":
            raise _bad_request(f"{key} is empty")
        if not isinstance(value, int) or isinstance(value, bool) or value not in self.users:
            raise _bad_request("chat not found")
        if value in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return value

    @staticmethod
    def _int(params: JSON, key: str, missing: str) -> int:
        value = params.get(key)
        if value is None:
            raise _bad_request(missing)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _bad_request(f"invalid {key} specified")
        return value

    def _message_dict(self, chat_id: int, message_id: int) -> JSON | None:
        sent = self._bot_messages.get((chat_id, message_id))
        if sent is not None:
            return None if sent.deleted else self._bot_message_dict(sent, nested=True)
        if (chat_id, message_id) in self._deleted_user_messages:
            return None
        return self._user_messages.get((chat_id, message_id))

    def _reply_to(self, params: JSON, chat_id: int) -> int | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = params.get("reply_to_message_id")
            allow = bool(params.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        if isinstance(message_id, int) and self._message_dict(chat_id, message_id) is not None:
            return message_id
        if allow:
            return None
        raise _bad_request("message to be replied not found")

    @staticmethod
    def _markup(params: JSON) -> JSON | None:
        """reply_markup as the Bot API reads it (before the chat is looked up); pass the
        result through `_accepted_markup` once the chat is known."""
        return _parse_reply_markup(params.get("reply_markup"))

    @staticmethod
    def _text(
        params: JSON, key: str, entities_key: str, *, allow_empty: bool
    ) -> tuple[str, str, list[JSON]]:
        """(the text as sent, what the user sees, its entities): Client::get_formatted_text,
        then TDLib's parse_html and fix_formatted_text. Markdown is not parsed (the bot does
        not use it): such texts are stored as sent."""
        text = _arg(params, key)
        if len(text.encode()) > MAX_RAW_TEXT_BYTES:
            raise _td_error("Text is too long")
        parse_mode = _arg(params, "parse_mode").lower()
        if text and parse_mode not in ("", "none"):
            if parse_mode == "html":
                plain, entities = _parse_html(text)
            elif parse_mode in ("markdown", "markdownv2"):
                plain, entities = text, []
            else:
                raise _td_error("Unsupported parse_mode")
        else:
            given = params.get(entities_key)
            plain = text
            entities = (
                [dict(e) for e in given if isinstance(e, dict)] if isinstance(given, list) else []
            )
        plain, entities = _fix_text(plain, entities, allow_empty=allow_empty)
        return text, plain, entities

    def _message_text(self, params: JSON) -> tuple[str, str, list[JSON]]:
        """The text of sendMessage / editMessageText (Client::get_input_message_text)."""
        _check_link_preview_options(params)
        if not _arg(params, "text"):
            raise _td_error("Message text is empty")
        return self._text(params, "text", "entities", allow_empty=False)

    def _input_file(
        self, params: JSON, files: dict[str, _Upload], key: str, folder: str
    ) -> _StoredFile:
        upload = files.get(key)
        value = params.get(key)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
            if upload is None:
                raise _bad_request("wrong file identifier/HTTP URL specified")
        if upload is not None:
            if not upload.content:  # td/telegram/files/FileLoaderUtils.cpp
                raise _bad_request("file must be non-empty")
            if len(upload.content) > MAX_UPLOAD_SIZE:
                raise ApiError(413, "Request Entity Too Large")
            return self._register_file(
                upload.content, upload.filename, upload.content_type, folder
            )
        if isinstance(value, str) and value:
            if value in self._files:
                stored = self._files[value]
                real = _FILE_TYPES.get(stored.file_path.split("/", 1)[0], "Document")
                wanted = _FILE_TYPES.get(folder, "Document")
                if real != wanted:
                    raise _bad_request(f"can't use file of type {real} as {wanted}")
                return stored
            if value.startswith(("http://", "https://")):
                name = PurePosixPath(value.split("?")[0]).name or "file"
                return self._register_file(b"", name, "application/octet-stream", folder)
            raise _bad_request("wrong file identifier/HTTP URL specified")
        raise _bad_request(f"there is no {key} in the request")

    def _caption(
        self, params: JSON, too_long: str = "Message caption is too long"
    ) -> tuple[str | None, str | None, list[JSON]]:
        """A media caption (Client::get_caption): may be empty (no caption); longer than
        1024 characters is refused (MessageContent.cpp; an edit gets the server's code)."""
        caption, plain, entities = self._text(
            params, "caption", "caption_entities", allow_empty=True
        )
        if len(plain) > MAX_CAPTION_LENGTH:
            raise _td_error(too_long)
        if not plain:
            return None, None, []
        return caption, plain, entities

    def _new_message(self, chat_id: int, method: str, params: JSON, **fields: Any) -> SentMessage:
        parse_mode = params.get("parse_mode")
        message = SentMessage(
            message_id=self._next_message_id(chat_id),
            chat_id=chat_id,
            method=method,
            parse_mode=parse_mode if isinstance(parse_mode, str) else None,
            date=int(self._time()),
            params=params,
            **fields,
        )
        self.sent.append(message)
        self._bot_messages[(chat_id, message.message_id)] = message
        self._notify("sent", chat_id, message.message_id)
        return message

    def _bot_message_dict(self, message: SentMessage, nested: bool = False) -> JSON:
        data: JSON = {
            "message_id": message.message_id,
            "from": dict(self.bot_user),
            "chat": self.users[message.chat_id].chat(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        data.update(message.extra)
        if message.document is not None:
            data["document"] = dict(message.document)
        if message.photo is not None:
            data["photo"] = [dict(p) for p in message.photo]
        if message.is_media:
            if message.plain_text is not None:
                data["caption"] = message.plain_text
                if message.entities:
                    data["caption_entities"] = message.entities
        elif message.plain_text is not None:
            data["text"] = message.plain_text
            if message.entities:
                data["entities"] = message.entities
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup
        if message.reply_to_message_id is not None and not nested:
            reply = self._message_dict(message.chat_id, message.reply_to_message_id)
            if reply is not None:
                data["reply_to_message"] = reply
        return data

    # --- methods --------------------------------------------------------------------------

    async def _true(self, params: JSON, files: dict[str, _Upload]) -> bool:
        return True

    async def _get_me(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JSON, files: dict[str, _Upload]) -> list[JSON]:
        offset = params.get("offset")
        if isinstance(offset, int) and not isinstance(offset, bool):
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
        limit = params.get("limit", 100)
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout", 0)
        timeout = float(timeout) if isinstance(timeout, int | float) else 0.0
        deadline = time.monotonic() + min(max(timeout, 0.0), LONG_POLL_CAP)
        while not self._updates and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_event.wait(), remaining)
        allowed = params.get("allowed_updates")
        updates = self._updates[:limit]
        if isinstance(allowed, list) and allowed:
            updates = [u for u in updates if any(kind in u for kind in allowed)]
        return updates

    async def _delete_webhook(self, params: JSON, files: dict[str, _Upload]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _send_message(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        # Order of checks as in Client::process_send_message_query and do_send_message.
        text, plain, entities = self._message_text(params)
        markup = self._markup(params)
        chat_id = self._chat(params)
        reply_to = self._reply_to(params, chat_id)
        if len(plain) > MAX_TEXT_LENGTH:  # MessageContent.cpp, get_input_message_content
            raise _td_error("Message is too long")
        markup = _accepted_markup(markup)
        message = self._new_message(
            chat_id,
            "sendMessage",
            params,
            text=text,
            plain_text=plain,
            entities=entities,
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        return self._bot_message_dict(message)

    async def _send_media(self, params: JSON, files: dict[str, _Upload], kind: str) -> JSON:
        if not params.get(kind) and kind not in files:
            raise _td_error(f"There is no {kind} in the request")
        caption, plain, entities = self._caption(params)
        markup = self._markup(params)
        chat_id = self._chat(params)
        stored = self._input_file(params, files, kind, f"{kind}s")
        reply_to = self._reply_to(params, chat_id)
        media: JSON = (
            {"document": stored.document()}
            if kind == "document"
            else {"photo": stored.photo_sizes()}
        )
        message = self._new_message(
            chat_id,
            "sendDocument" if kind == "document" else "sendPhoto",
            params,
            text=caption,
            plain_text=plain,
            entities=entities,
            reply_markup=_accepted_markup(markup),
            reply_to_message_id=reply_to,
            **media,
        )
        return self._bot_message_dict(message)

    async def _send_document(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        return await self._send_media(params, files, "document")

    async def _send_photo(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        return await self._send_media(params, files, "photo")

    def _source_message(self, params: JSON, what: str) -> JSON:
        from_chat_id = self._chat(params, "from_chat_id")
        message_id = self._int(params, "message_id", "message identifier is not specified")
        source = self._message_dict(from_chat_id, message_id)
        if source is None:
            raise _bad_request(f"message to {what} not found")
        return source

    def _copy_into(
        self, chat_id: int, method: str, params: JSON, source: JSON, *, keep_caption: bool
    ) -> SentMessage:
        content = {key: source[key] for key in _CONTENT_KEYS if key in source}
        fields: JSON = {
            "document": content.pop("document", None),
            "photo": content.pop("photo", None),
        }
        if "text" in content:
            fields["text"] = fields["plain_text"] = content.pop("text")
            fields["entities"] = content.pop("entities", [])
        else:
            fields["text"] = fields["plain_text"] = content.pop("caption", None)
            fields["entities"] = content.pop("caption_entities", [])
            if not keep_caption and "caption" in params:
                fields["text"], fields["plain_text"], fields["entities"] = self._caption(params)
        return self._new_message(chat_id, method, params, extra=content, **fields)

    async def _copy_message(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        markup = self._markup(params)
        source = self._source_message(params, "copy")
        chat_id = self._chat(params)
        message = self._copy_into(chat_id, "copyMessage", params, source, keep_caption=False)
        message.reply_markup = _accepted_markup(markup)
        return {"message_id": message.message_id}

    async def _forward_message(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        source = self._source_message(params, "forward")
        chat_id = self._chat(params)
        message = self._copy_into(chat_id, "forwardMessage", params, source, keep_caption=True)
        message.extra["forward_origin"] = {
            "type": "user",
            "sender_user": source["from"],
            "date": source["date"],
        }
        return self._bot_message_dict(message)

    def _edit_target(self, params: JSON) -> SentMessage:
        if "inline_message_id" in params:
            raise _bad_request("MESSAGE_ID_INVALID")
        chat_id = self._chat(params)
        message_id = self._int(params, "message_id", "message identifier is not specified")
        message = self._bot_messages.get((chat_id, message_id))
        if message is None or message.deleted:
            if self._message_dict(chat_id, message_id) is not None:
                raise _bad_request("message can't be edited")
            raise _bad_request("message to edit not found")
        return message

    async def _edit_message_text(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        # Client::process_edit_message_text_query, MessagesManager::edit_message_text.
        text, plain, entities = self._message_text(params)
        markup = self._markup(params)
        message = self._edit_target(params)
        if message.is_media:
            raise _td_error("There is no text in the message to edit")
        markup = _accepted_markup(markup, inline_only=True)
        if len(plain) > MAX_TEXT_LENGTH:  # checked by the server, which answers in its code
            raise _td_error("MESSAGE_TOO_LONG")
        self._check_modified(message, plain, entities, markup)
        message.edits.append(message.text or "")
        message.text, message.plain_text, message.entities = text, plain, entities
        parse_mode = params.get("parse_mode")
        message.parse_mode = parse_mode if isinstance(parse_mode, str) else None
        message.reply_markup = markup  # no reply_markup: the inline keyboard goes
        message.edit_date = int(self._time())
        self._notify("edited", message.chat_id, message.message_id)
        return self._bot_message_dict(message)

    @staticmethod
    def _check_modified(
        message: SentMessage, plain: str | None, entities: list[JSON], markup: JSON | None
    ) -> None:
        """The server's MESSAGE_NOT_MODIFIED: same text, same entities, same inline keyboard."""
        if (plain, entities, _inline(markup)) == (
            message.plain_text,
            message.entities,
            _inline(message.reply_markup),
        ):
            raise ApiError(400, NOT_MODIFIED)

    async def _edit_message_caption(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        caption, plain, entities = self._caption(params, too_long="MEDIA_CAPTION_TOO_LONG")
        markup = self._markup(params)
        message = self._edit_target(params)
        if not message.is_media:
            raise _td_error("There is no caption in the message to edit")
        markup = _accepted_markup(markup, inline_only=True)
        self._check_modified(message, plain, entities, markup)
        message.edits.append(message.text or "")
        message.text, message.plain_text, message.entities = caption, plain, entities
        message.reply_markup = markup
        message.edit_date = int(self._time())
        self._notify("edited", message.chat_id, message.message_id)
        return self._bot_message_dict(message)

    async def _edit_message_reply_markup(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        markup = self._markup(params)
        message = self._edit_target(params)
        markup = _accepted_markup(markup, inline_only=True)
        if _inline(markup) == _inline(message.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        message.reply_markup = markup
        message.edit_date = int(self._time())
        self._notify("edited", message.chat_id, message.message_id)
        return self._bot_message_dict(message)

    def _delete_one(self, chat_id: int, message_id: int) -> bool:
        message = self._bot_messages.get((chat_id, message_id))
        if message is not None:
            if message.deleted:
                return False
            message.deleted = True
            self._notify("deleted", chat_id, message_id)
            return True
        key = (chat_id, message_id)
        if key in self._user_messages and key not in self._deleted_user_messages:
            self._deleted_user_messages.add(key)
            self._notify("deleted", chat_id, message_id)
            return True
        return False

    async def _delete_message(self, params: JSON, files: dict[str, _Upload]) -> bool:
        chat_id = self._chat(params)
        message_id = self._int(params, "message_id", "message identifier is not specified")
        if not self._delete_one(chat_id, message_id):
            raise _bad_request("message to delete not found")
        return True

    async def _delete_messages(self, params: JSON, files: dict[str, _Upload]) -> bool:
        chat_id = self._chat(params)
        message_ids = params.get("message_ids")
        if not isinstance(message_ids, list) or not message_ids:
            raise _bad_request("message identifiers are not specified")
        for message_id in message_ids:
            if isinstance(message_id, int):
                self._delete_one(chat_id, message_id)
        return True

    async def _answer_callback_query(self, params: JSON, files: dict[str, _Upload]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        user = self._pending_callbacks.get(query_id)
        if user is None:  # QUERY_ID_INVALID, as Client::fail_query_with_error words it
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = _arg(params, "text")
        if len(text) > MAX_CALLBACK_ANSWER:  # the server's own code, passed on as it is
            raise _td_error("MESSAGE_TOO_LONG")
        del self._pending_callbacks[query_id]
        answer: JSON = {
            "callback_query_id": query_id,
            "text": params.get("text"),
            "show_alert": bool(params.get("show_alert", False)),
            "url": params.get("url"),
            "cache_time": params.get("cache_time"),
        }
        user.answers.append(answer)
        self._notify("answer", user.id, answer=answer)
        return True

    def _scope_key(self, params: JSON) -> tuple[tuple[Any, ...], str]:
        """Client::get_bot_command_scope and check_bot_command_scope, then TDLib's
        validate_bot_language_code."""
        scope = params.get("scope")
        if scope is None or scope == "":
            scope = {"type": "default"}
        if isinstance(scope, str):
            raise _td_error("Can't parse BotCommandScope JSON object")
        try:
            if not isinstance(scope, dict):
                raise _FieldError("BotCommandScope must be an Object")
            kind = _string_field(scope, "type", required=True)
            key: tuple[Any, ...] = (kind,)
            if kind in ("chat", "chat_administrators", "chat_member"):
                chat = _string_field(scope, "chat_id", required=True)
                if not chat:
                    raise _FieldError("Empty chat_id specified")
                key = (kind, chat)
                if kind == "chat_member":
                    if "user_id" not in scope:
                        raise _FieldError('Can\'t find field "user_id"')
                    user_id = _long_field(scope, "user_id")
                    if user_id <= 0:
                        raise _FieldError("Invalid user_id specified")
                    key = (kind, chat, user_id)
            elif kind not in (
                "default",
                "all_private_chats",
                "all_group_chats",
                "all_chat_administrators",
            ):
                raise _FieldError("Unsupported type specified")
        except _FieldError as exc:
            raise _td_error(f"Can't parse BotCommandScope: {exc}") from None
        if len(key) > 1:
            chat = str(key[1])
            chat_id = int(chat) if re.fullmatch(r"-?[0-9]+", chat) else chat
            key = (key[0], self._chat({"chat_id": chat_id}), *key[2:])
        language = _arg(params, "language_code")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _td_error("Invalid language code specified")
        return key, language

    async def _set_my_commands(self, params: JSON, files: dict[str, _Upload]) -> bool:
        # Client::get_bot_commands, then TDLib's set_commands (BotCommand.cpp), then the server.
        commands = params.get("commands")
        if commands is None or commands == "":
            commands = []
        if isinstance(commands, str):
            raise _td_error("Can't parse commands JSON object")
        if not isinstance(commands, list):
            raise _td_error("Expected an Array of BotCommand")
        given: list[tuple[str, str]] = []
        for command in commands:
            try:
                if not isinstance(command, dict):
                    raise _FieldError("expected an Object")
                name = _string_field(command, "command", required=True)
                description = _string_field(command, "description", required=True)
            except _FieldError as exc:
                raise _td_error(f"Can't parse BotCommand: {exc}") from None
            given.append((name, description))
        key = self._scope_key(params)
        parsed: list[tuple[str, str]] = []
        for name, description in given:
            name = _clean_text(name, [])[0].strip(" \t\r\n\0\v").removeprefix("/")
            description = _clean_text(description, [])[0].strip(" \t\r\n\0\v")
            if not name:
                raise _td_error("Command must be non-empty")
            if len(name) > 32:
                raise _td_error("Command length must not exceed 32")
            if not description:
                raise _td_error("Command description must be non-empty")
            if len(description) > 256:
                raise _td_error("Command description length must not exceed 256")
            parsed.append((name, description))
        # The server (Bot API page: "1-32 characters. Can contain only lowercase English
        # letters, digits and underscores"; at most 100 commands).
        if len(parsed) > MAX_COMMANDS:
            raise _td_error("BOT_COMMANDS_TOO_MUCH")
        if any(not re.fullmatch(r"[a-z0-9_]+", name) for name, _ in parsed):
            raise _td_error("BOT_COMMAND_INVALID")
        if parsed:
            self._commands[key] = parsed
        else:
            self._commands.pop(key, None)
        self._commands_changed(key)
        return True

    async def _delete_my_commands(self, params: JSON, files: dict[str, _Upload]) -> bool:
        key = self._scope_key(params)
        self._commands.pop(key, None)
        self._commands_changed(key)
        return True

    def _commands_changed(self, key: tuple[tuple[Any, ...], str]) -> None:
        scope = key[0]
        chat = scope[1] if scope[0] == "chat" and isinstance(scope[1], int) else 0
        self._notify("commands", chat)

    async def _get_my_commands(self, params: JSON, files: dict[str, _Upload]) -> list[JSON]:
        commands = self._commands.get(self._scope_key(params), [])
        return [{"command": name, "description": text} for name, text in commands]

    def _bot_info(self, params: JSON, key: str, limit: int | None = None) -> tuple[str, str]:
        """(language, text) of set/getMy(Short)Description: TDLib's validate_bot_language_code;
        the length limits are the Bot API page's (the server's error text for them is not
        documented: the fake's wording)."""
        language = _arg(params, "language_code")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _td_error("Invalid language code specified")
        text = _arg(params, key)
        if limit is not None and len(text) > limit:
            raise _bad_request(f"{key.replace('_', ' ')} is too long")
        return language, text

    def _set_bot_info(self, store: dict[str, str], language: str, text: str) -> bool:
        if text:
            store[language] = text
        else:  # "Pass an empty string to remove the dedicated description"
            store.pop(language, None)
        return True

    async def _set_my_description(self, params: JSON, files: dict[str, _Upload]) -> bool:
        language, text = self._bot_info(params, "description", MAX_DESCRIPTION)
        return self._set_bot_info(self.descriptions, language, text)

    async def _set_my_short_description(self, params: JSON, files: dict[str, _Upload]) -> bool:
        language, text = self._bot_info(params, "short_description", MAX_SHORT_DESCRIPTION)
        return self._set_bot_info(self.short_descriptions, language, text)

    async def _get_my_description(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        language, _ = self._bot_info(params, "description")
        return {"description": self.descriptions.get(language, "")}

    async def _get_my_short_description(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        language, _ = self._bot_info(params, "short_description")
        return {"short_description": self.short_descriptions.get(language, "")}

    async def _send_chat_action(self, params: JSON, files: dict[str, _Upload]) -> bool:
        self._chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    async def _get_file(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad_request("invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_SIZE:
            raise _bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }


# --- decoding and formatting helpers -------------------------------------------------------


def _decode_value(key: str, value: str) -> Any:
    """Decode a form value: PTB sends numbers, booleans and objects JSON-encoded."""
    if key in _STRING_KEYS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _inline(markup: JSON | None) -> Any:
    """The part of a reply markup that belongs to the message (only inline keyboards do)."""
    if markup is None:
        return None
    return markup.get("inline_keyboard") or None


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- Telegram's rules for texts, keyboards and links -----------------------------------------
#
# Ported from the open-source Bot API server (github.com/tdlib/telegram-bot-api,
# telegram-bot-api/Client.cpp) and TDLib (github.com/tdlib/td: td/telegram/MessageEntity.cpp,
# ReplyMarkup.cpp, LinkManager.cpp, misc.cpp; tdutils/td/utils/HttpUrl.cpp, JsonBuilder.cpp),
# so that the fake refuses what Telegram refuses, with Telegram's words, and nothing more.


def _td_error(message: str) -> ApiError:
    """An error as the Bot API words it (Client::fail_query_with_error): "Bad Request: " and the
    message with its first letter lowercased, unless it is an UPPER_CASE server code."""
    if len(message) >= 2 and (message[1] == "_" or "A" <= message[1] <= "Z"):
        return ApiError(400, f"Bad Request: {message}")
    return ApiError(400, f"Bad Request: {message[:1].lower()}{message[1:]}")


def _arg(params: JSON, key: str) -> str:
    """A parameter as the Bot API reads it: every value is a string (objects as JSON)."""
    value = params.get(key)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


class _FieldError(Exception):
    """A JSON field error worded like tdutils' JsonObject (the caller adds its prefix)."""


def _string_field(obj: JSON, name: str, *, required: bool = False) -> str:
    """JsonObject::get_{required,optional}_string_field: a String, or a Number as written."""
    if name not in obj:
        if required:
            raise _FieldError(f'Can\'t find field "{name}"')
        return ""
    value = obj[name]
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return json.dumps(value)
    raise _FieldError(f'Field "{name}" must be of type String')


def _bool_field(obj: JSON, name: str) -> bool:
    """JsonObject::get_optional_bool_field: only true and false, not 1 or "true"."""
    value = obj.get(name, False)
    if not isinstance(value, bool):
        raise _FieldError(f'Field "{name}" must be of type Boolean')
    return value


def _long_field(obj: JSON, name: str) -> int:
    """JsonObject::get_optional_long_field: an integer Number, or a String of one."""
    if name not in obj:
        return 0
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _FieldError(f'Field "{name}" must be a Number')
    text = value if isinstance(value, str) else json.dumps(value)
    if not re.fullmatch(r"-?[0-9]+", text) or not -(2**63) <= int(text) < 2**63:
        raise _FieldError(f'Field "{name}" must be a valid Number')
    return int(text)


def _object_field(obj: JSON, name: str, *, required: bool = False) -> JSON | None:
    """JsonObject::extract_{required,optional}_field(name, Object)."""
    if name not in obj:
        if required:
            raise _FieldError(f'Can\'t find field "{name}"')
        return None
    value = obj[name]
    if not isinstance(value, dict):
        raise _FieldError(f'Field "{name}" must be of type Object')
    return value


def _array_field(obj: JSON, name: str) -> list[Any] | None:
    """JsonObject::extract_optional_field(name, Array): a null is refused too."""
    if name not in obj:
        return None
    value = obj[name]
    if not isinstance(value, list):
        raise _FieldError(f'Field "{name}" must be of type Array')
    return value


# clean_input_string (misc.cpp): these characters are dropped; other control characters
# (except "\n") become spaces.
_DROPPED_CHARS: Final = frozenset(
    {"\r", "\u0333", "\u033f", "\u030a", *(chr(c) for c in range(0x2028, 0x202F))}
)


def _clean_text(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """clean_input_string_with_entities (MessageEntity.cpp), entity offsets following."""
    out: list[str] = []
    moved: dict[int, int] = {}  # UTF-16 offset before -> after, at character boundaries
    old = new = 0
    for char in text:
        moved[old] = new
        width = 2 if ord(char) > 0xFFFF else 1
        old += width
        if char in _DROPPED_CHARS:
            continue
        out.append(" " if ord(char) < 32 and char != "\n" else char)
        new += width
    moved[old] = new
    fixed = []
    for entity in entities:
        start = moved.get(int(entity.get("offset", 0)))
        end = moved.get(int(entity.get("offset", 0)) + int(entity.get("length", 0)))
        if start is not None and end is not None and end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return "".join(out), fixed


def _fix_text(text: str, entities: list[JSON], *, allow_empty: bool) -> tuple[str, list[JSON]]:
    """fix_formatted_text (MessageEntity.cpp): cleaned, spaces and newlines trimmed at the end
    and, up to the first entity, at the start. Nothing else left is "Text must be non-empty"
    (an empty caption is allowed: no caption)."""
    text, entities = _clean_text(text, entities)
    body = text.rstrip(" \n")
    if not body:
        if allow_empty:
            return "", []
        raise _td_error("Text must be non-empty")
    end = _utf16_len(body)
    kept = [
        {**entity, "length": min(entity["length"], end - entity["offset"])}
        for entity in entities
        if entity["offset"] < end
    ]
    first = min((entity["offset"] for entity in kept), default=len(body))
    skip = 0
    while skip < first and body[skip] in " \n":
        skip += 1
    shifted = [{**entity, "offset": entity["offset"] - skip} for entity in kept]
    return body[skip:], sorted(shifted, key=lambda e: (e["offset"], -e["length"]))


# --- HTML parse mode: TDLib's parse_html (MessageEntity.cpp), ported byte for byte -----------

_HTML_TAGS: Final = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "tg-time",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAGS: Final[dict[str, str]] = {
    "i": "italic",
    "em": "italic",
    "b": "bold",
    "strong": "bold",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}


def _is_space(c: int) -> bool:
    return c in b" \t\r\n\0\v"  # tdutils is_space: the NUL ending a C string counts too


def _is_alpha(c: int) -> bool:
    return 0x61 <= (c | 0x20) <= 0x7A


def _is_digit(c: int) -> bool:
    return 0x30 <= c <= 0x39


def _is_hex(c: int) -> bool:
    return _is_digit(c) or 0x61 <= (c | 0x20) <= 0x66


def _entities_error(detail: str) -> ApiError:
    # parseTextEntities (SynchronousRequests.cpp) prefixes "Can't parse entities: ".
    return _td_error(f"Can't parse entities: {detail}")


def _decode_html_entity(data: bytes, pos: int) -> tuple[int, int]:
    """decode_html_entity: (code point, position after it), or (0, pos) to keep a plain "&".
    Only &lt; &gt; &amp; &quot; and numeric references; the ";" may be left out."""

    def at(i: int) -> int:
        return data[i] if i < len(data) else 0

    end = pos + 1
    code = 0
    if at(pos + 1) == 0x23:  # "#"
        end += 1
        if at(pos + 2) == 0x78:  # "x" (lowercase only)
            end += 1
            while _is_hex(at(end)):
                code = code * 16 + int(chr(at(end)), 16)
                end += 1
        else:
            while _is_digit(at(end)):
                code = code * 10 + at(end) - 0x30
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while _is_alpha(at(end)):
            end += 1
        code = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}.get(data[pos + 1 : end], 0)
        if not code:
            return 0, pos
    if at(end) == 0x3B:  # ";"
        end += 1
    return code, end


def _html_char(code: int) -> bytes:
    return chr(code).encode("utf-8", "surrogatepass")


def _parse_html(text: str) -> tuple[str, list[JSON]]:
    """Telegram's HTML parse mode: the plain text and its entities (offsets in UTF-16 code
    units), or "can't parse entities: …" with TDLib's words and byte offsets.
    Simplifications: <tg-time> gives no entity; a tg://user?id= link stays a text_link."""
    data = text.encode()
    size = len(data)

    def at(i: int) -> int:
        return data[i] if i < size else 0

    out = bytearray()
    utf16 = 0
    entities: list[JSON] = []
    # open tags: (name, argument, UTF-16 offset, byte offset in `out`)
    nested: list[tuple[str, str, int, int]] = []
    i = 0
    while i < size:
        c = data[i]
        if c == 0x26:  # "&"
            code, end = _decode_html_entity(data, i)
            if code:
                utf16 += 1 + (code > 0xFFFF)
                out += _html_char(code)
                i = end
                continue
        if c != 0x3C:  # "<"
            if c & 0xC0 != 0x80:
                utf16 += 1 + (c >= 0xF0)
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != 0x2F:  # a start tag
            while not _is_space(at(i)) and at(i) != 0x3E:
                i += 1
            if at(i) == 0:
                raise _entities_error(f"Unclosed start tag at byte offset {begin}")
            tag = data[begin + 1 : i].lower().decode()
            if tag not in _HTML_TAGS:
                raise _entities_error(f'Unsupported start tag "{tag}" at byte offset {begin}')
            argument = ""
            while at(i) != 0x3E:
                while at(i) != 0 and _is_space(at(i)):
                    i += 1
                if at(i) == 0x3E:
                    break
                name_begin = i
                while not _is_space(at(i)) and at(i) not in b"=>/\"'":
                    i += 1
                name = data[name_begin:i]
                if not name:
                    raise _entities_error(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                    )
                while at(i) != 0 and _is_space(at(i)):
                    i += 1
                if at(i) != 0x3D:  # "=": an attribute without a value
                    if at(i) == 0:
                        raise _entities_error(f'Unclosed start tag "{tag}" at byte offset {begin}')
                    if tag == "blockquote" and name == b"expandable":
                        argument = "1"
                    continue
                i += 1
                while at(i) != 0 and _is_space(at(i)):
                    i += 1
                if at(i) == 0:
                    raise _entities_error(f'Unclosed start tag "{tag}" at byte offset {begin}')
                if at(i) not in b"'\"":  # a name token: letters, digits, "." and "-"
                    token_begin = i
                    while _is_alpha(at(i)) or _is_digit(at(i)) or at(i) in b".-":
                        i += 1
                    raw_value = data[token_begin:i].lower()
                    if not _is_space(at(i)) and at(i) != 0x3E:
                        raise _entities_error(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:  # a quoted string, character references decoded
                    quote = at(i)
                    i += 1
                    value_bytes = bytearray()
                    while at(i) != quote and at(i) != 0:
                        if at(i) == 0x26:
                            code, end = _decode_html_entity(data, i)
                            if code:
                                value_bytes += _html_char(code)
                                i = end
                                continue
                        value_bytes.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    raw_value = bytes(value_bytes)
                if at(i) == 0:
                    raise _entities_error(f"Unclosed start tag at byte offset {begin}")
                value = raw_value.decode("utf-8", "surrogatepass")
                if tag == "a" and name == b"href":
                    argument = value
                elif tag == "code" and name == b"class" and value.startswith("language-"):
                    argument = value.removeprefix("language-")
                elif tag == "span" and name == b"class" and value.startswith("tg-"):
                    argument = value.removeprefix("tg-")
                elif (tag, name) in (("tg-emoji", b"emoji-id"), ("tg-time", b"format")):
                    argument = value
                elif tag == "blockquote" and name == b"expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise _entities_error(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
                )
            nested.append((tag, argument, utf16, len(out)))
            i += 1  # the ">"
            continue

        # an end tag
        if not nested:
            raise _entities_error(f"Unexpected end tag at byte offset {begin}")
        while not _is_space(at(i)) and at(i) != 0x3E:
            i += 1
        end_tag = data[begin + 2 : i].lower().decode()
        while _is_space(at(i)) and at(i) != 0:
            i += 1
        if at(i) != 0x3E:
            raise _entities_error(f"Unclosed end tag at byte offset {begin}")
        tag, argument, start, start_byte = nested[-1]
        if end_tag and end_tag != tag:  # "</>" closes whatever is open
            raise _entities_error(
                f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                f'found "</{end_tag}>"'
            )
        if utf16 > start:  # an empty element gives no entity
            _add_html_entity(
                entities, tag, argument, start, utf16 - start, bytes(out[start_byte:])
            )
        nested.pop()
        i += 1
    if nested:
        raise _entities_error(f'Can\'t find end tag corresponding to start tag "{nested[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    try:
        plain = out.decode()
    except UnicodeDecodeError:
        raise _entities_error(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        ) from None
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, entities


def _add_html_entity(
    entities: list[JSON], tag: str, argument: str, offset: int, length: int, inner: bytes
) -> None:
    last = entities[-1] if entities else None
    same_span = last is not None and (last["offset"], last["length"]) == (offset, length)
    if tag in _SIMPLE_TAGS:
        entities.append({"type": _SIMPLE_TAGS[tag], "offset": offset, "length": length})
    elif tag == "tg-emoji":
        if not re.fullmatch(r"-?[0-9]+", argument) or int(argument) == 0:
            raise _entities_error("Invalid custom emoji identifier specified")
        entities.append(
            {
                "type": "custom_emoji",
                "offset": offset,
                "length": length,
                "custom_emoji_id": argument,
            }
        )
    elif tag == "a":
        url = _checked_link(argument or inner.decode("utf-8", "replace"))
        if url:  # an invalid link just gives no entity
            entities.append({"type": "text_link", "offset": offset, "length": length, "url": url})
    elif tag == "pre":
        if last is not None and same_span and last["type"] == "code" and last.get("language"):
            last["type"] = "pre"  # <pre><code class="language-x">: one pre with a language
        else:
            entities.append({"type": "pre", "offset": offset, "length": length})
    elif tag == "code":
        if last is not None and same_span and last["type"] == "pre" and argument:
            last["language"] = argument
        else:
            entity: JSON = {"type": "code", "offset": offset, "length": length}
            if argument:
                entity["language"] = argument  # kept only if a <pre> closes around it
            entities.append(entity)
    elif tag == "blockquote":
        kind = "expandable_blockquote" if argument else "blockquote"
        entities.append({"type": kind, "offset": offset, "length": length})


# --- links: LinkManager::check_link_impl and tdutils' parse_url ------------------------------


def _url_part_error(part: str, name: str, allow_colon: bool) -> str:
    data = part.encode()
    i = 0
    while i < len(data):
        c = data[i]
        allowed = chr(c).isascii() and (chr(c).isalnum() or chr(c) in ".-_!$,~*'();&+=")
        if allowed or (allow_colon and c == 0x3A):
            i += 1
            continue
        if c == 0x25:  # "%"
            if i + 2 < len(data) and _is_hex(data[i + 1]) and _is_hex(data[i + 2]):
                i += 3
                continue
            return f"Wrong percent-encoded symbol in URL {name}"
        if c >= 128:
            i += 1
            continue
        return f"Disallowed character in URL {name}"
    return ""


def _parse_url(url: str) -> tuple[tuple[str, str, str, bool, int, str], str]:
    """parse_url (HttpUrl.cpp): ((protocol, userinfo, host, is_ipv6, port, query), "") or
    (…, the reason it is refused)."""
    bad = ("", "", "", False, 0, "")
    cut = next((k for k, ch in enumerate(url) if ch in ":/?#@[]"), len(url))
    protocol = "http"
    rest = url
    if url.startswith("://", cut):
        protocol = url[:cut].lower()
        if protocol not in ("http", "https"):
            return bad, "Unsupported URL protocol"
        rest = url[cut + 3 :]
    cut = next((k for k, ch in enumerate(rest) if ch in "/?#"), len(rest))
    userinfo_host_port, query = rest[:cut], rest[cut:]
    colon = len(userinfo_host_port) - 1
    while colon > 0 and userinfo_host_port[colon] not in ":]@":
        colon -= 1
    port = 0
    userinfo_host = userinfo_host_port
    if colon > 0 and userinfo_host_port[colon] == ":":
        digits = userinfo_host_port[colon + 1 :]
        while len(digits) > 1 and digits[0] == "0":
            digits = digits[1:]
        number = int(digits) if re.fullmatch(r"-?[0-9]{1,10}", digits) else 0
        port = number if 0 < number < 2**31 else -1
        userinfo_host = userinfo_host_port[:colon]
    if not 0 <= port <= 65535:
        return bad, "Wrong port number specified in the URL"
    at = userinfo_host.rfind("@")
    userinfo, host = (
        (userinfo_host[:at], userinfo_host[at + 1 :]) if at >= 0 else ("", userinfo_host)
    )
    is_ipv6 = len(host) >= 2 and host[0] == "[" and host[-1] == "]"
    if is_ipv6:
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return bad, "Wrong IPv6 address specified in the URL"
    if not host:
        return bad, "URL host is empty"
    if host == ".":
        return bad, "Host is invalid"
    query = query.rstrip(" \t\r\n\0\v") or "/"
    query = ("" if query.startswith("/") else "/") + "".join(
        f"%{ord(ch):02X}" if ord(ch) <= 0x20 else ch for ch in query
    )
    host = host.encode().lower().decode()
    if is_ipv6:
        if any(ch not in "0123456789abcdef:." for ch in host[1:-1]):
            return bad, "Wrong IPv6 URL host"
    else:
        error = _url_part_error(host, "host", False) or _url_part_error(userinfo, "userinfo", True)
        if error:
            return bad, error
    return (protocol, userinfo, host, is_ipv6, port, query), ""


def _check_link(link: str) -> tuple[str, str]:
    """LinkManager::check_link_impl: (the link as Telegram stores it, "") or ("", reason)."""
    scheme = next((s for s in ("tg", "ton", "tonsite") if link.lower().startswith(s + ":")), "")
    rest = link[len(scheme) + 1 :] if scheme else link
    if scheme and rest.startswith("//"):
        rest = rest[2:]
    (protocol, userinfo, host, is_ipv6, port, query), error = _parse_url(rest)
    if error:
        return "", error
    if scheme:
        if (
            rest.lower().startswith("http://")
            or protocol == "https"
            or userinfo
            or port
            or is_ipv6
        ):
            return "", "Wrong tg URL" if scheme == "tg" else "Wrong ton URL"
        if len(query) > 1 and query[1] == "?":
            query = query[1:]
        for ch in host:
            allowed = (ch.isascii() and ch.isalnum()) or ch in "-_"
            if not allowed and not (scheme == "tonsite" and ch == "."):
                return "", "Unallowed characters in URL host"
        return f"{scheme}://{host}{query}", ""
    if "." not in host and not is_ipv6:
        return "", "Wrong HTTP URL"
    credentials = f"{userinfo}@" if userinfo else ""
    return f"{protocol}://{credentials}{host}{f':{port}' if port else ''}{query}", ""


def _checked_link(link: str) -> str:
    """LinkManager::get_checked_link: the stored link, or "" when Telegram refuses it."""
    return _check_link(link)[0]


# --- reply markup: Client::get_reply_markup, then TDLib's get_reply_markup ------------------

_MAX_ROW_BUTTONS: Final = 12  # ReplyMarkup.cpp: more are dropped silently
_MAX_BUTTONS: Final = 300


def _button_style(button: JSON) -> None:
    # Client::get_button_style
    style = _string_field(button, "style").lower()
    if style not in ("", "default", "primary", "danger", "success"):
        raise _FieldError("invalid button style specified")


def _keyboard_button(button: Any) -> Any:
    """Client::get_keyboard_button: a String, or an Object with a "text"."""
    if isinstance(button, str):
        return button
    if not isinstance(button, dict):
        raise _FieldError("KeyboardButton must be a String or an Object")
    text = _string_field(button, "text", required=True)
    _long_field(button, "icon_custom_emoji_id")
    _button_style(button)
    for flag in ("request_phone_number", "request_contact", "request_location"):
        _bool_field(button, flag)
    for kind in ("request_poll", "web_app", "request_users", "request_user", "request_chat"):
        if kind in button:
            _object_field(button, kind, required=True)
    return {**button, "text": text}


def _inline_button(button: Any) -> JSON:
    """Client::get_inline_keyboard_button(_type): text plus the first action it has, in the
    server's order; an empty url or callback_data counts as none."""
    if not isinstance(button, dict):
        raise _FieldError("InlineKeyboardButton must be an Object")
    result: JSON = {"text": _string_field(button, "text", required=True)}
    if _long_field(button, "icon_custom_emoji_id"):
        result["icon_custom_emoji_id"] = str(button["icon_custom_emoji_id"])
    _button_style(button)
    if "style" in button:
        result["style"] = button["style"]
    for key in ("url", "callback_data"):
        value = _string_field(button, key)
        if value:
            return {**result, key: value}
    for key in ("callback_game", "pay"):
        if key in button:
            return {**result, key: button[key]}
    for key in ("switch_inline_query", "switch_inline_query_current_chat"):
        if key in button:
            return {**result, key: _string_field(button, key, required=True)}
    inner_required = {
        "switch_inline_query_chosen_chat": None,
        "login_url": "url",
        "web_app": "url",
        "copy_text": "text",
    }
    for key, required in inner_required.items():
        if key in button:
            inner = _object_field(button, key, required=True)
            assert inner is not None
            if required is not None:
                _string_field(inner, required, required=True)
            return {**result, key: inner}
    raise _FieldError("Text buttons are unallowed in the inline keyboard")


def _parse_reply_markup(value: Any) -> JSON | None:
    """Client::get_reply_markup: how the Bot API reads reply_markup. Absent or "" is none; so is
    an object without a keyboard ({}, or {"inline_keyboard": []}); unknown fields are ignored.
    Returns the markup as Telegram keeps it (buttons reduced to what they do)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):  # not JSON at all
        raise _td_error("Can't parse reply keyboard markup JSON object")
    if not isinstance(value, dict):
        raise _td_error("Object expected as reply markup")
    try:
        rows = []
        for row in _array_field(value, "keyboard") or []:
            if not isinstance(row, list):
                raise _td_error('Field "keyboard" must be an Array of Arrays')
            try:
                rows.append([_keyboard_button(button) for button in row])
            except _FieldError as exc:
                raise _td_error(f"Can't parse keyboard button: {exc}") from None
        inline_rows = []
        for row in _array_field(value, "inline_keyboard") or []:
            if not isinstance(row, list):
                raise _td_error(
                    'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of '
                    "Arrays"
                )
            try:
                inline_rows.append([_inline_button(button) for button in row])
            except _FieldError as exc:
                raise _td_error(f"Can't parse inline keyboard button: {exc}") from None
        flags = {
            name: _bool_field(value, name)
            for name in (
                "hide_keyboard",
                "remove_keyboard",
                "personal_keyboard",
                "selective",
                "force_reply_keyboard",
                "force_reply",
            )
        }
        _string_field(value, "input_field_placeholder")
        if rows:
            for name in ("resize_keyboard", "one_time_keyboard", "is_persistent"):
                _bool_field(value, name)
    except _FieldError as exc:
        raise _td_error(str(exc)) from None
    others = {k: v for k, v in value.items() if k not in ("keyboard", "inline_keyboard")}
    if rows:
        return {"keyboard": rows, **others}
    if inline_rows:
        return {"inline_keyboard": inline_rows}
    if flags["hide_keyboard"] or flags["remove_keyboard"]:
        return {"remove_keyboard": True, **others}
    if flags["force_reply"] or flags["force_reply_keyboard"]:
        return {"force_reply": True, **others}
    return None


def _accepted_markup(markup: JSON | None, *, inline_only: bool = False) -> JSON | None:
    """TDLib's get_reply_markup (ReplyMarkup.cpp) and the server's checks: buttons with an
    empty text are dropped, as are rows left empty and a keyboard left without rows; a text that
    cleaning empties, a bad URL, callback_data over 64 bytes are refused. Edits take only inline
    keyboards."""
    if markup is None:
        return None
    key = next((k for k in ("keyboard", "inline_keyboard") if k in markup), None)
    if inline_only and key != "inline_keyboard":
        raise _td_error("Inline keyboard expected")
    if key is None:
        return markup
    what = "Inline keyboard button" if key == "inline_keyboard" else "Keyboard button"
    rows: list[list[Any]] = []
    total = 0
    for row in markup[key]:
        kept: list[Any] = []
        for button in row:
            fields: JSON = {"text": button} if isinstance(button, str) else button
            if fields["text"] == "" and not fields.get("icon_custom_emoji_id"):
                continue
            if not _clean_text(fields["text"], [])[0]:
                raise _td_error(f"{what} text must be non-empty")
            if key == "inline_keyboard" and "url" in fields:
                url, reason = _check_link(fields["url"])
                if reason:
                    raise _td_error(f"{what} URL '{fields['url']}' is invalid: {reason}")
                button = {**fields, "url": url}
            kept.append(button)
            total += 1
            if len(kept) >= _MAX_ROW_BUTTONS or total >= _MAX_BUTTONS:
                break
        if kept:
            rows.append(kept)
        if total >= _MAX_BUTTONS:
            break
    if not rows:
        return None
    for button in (b for row in rows for b in row):
        data = button.get("callback_data") if isinstance(button, dict) else None
        # Bot API page, InlineKeyboardButton: callback_data 1-64 bytes; the server says:
        if data is not None and len(data.encode()) > MAX_CALLBACK_DATA:
            raise _td_error("BUTTON_DATA_INVALID")
    return {**markup, key: rows}


def _check_link_preview_options(params: JSON) -> None:
    """Client::get_link_preview_options."""
    value = params.get("link_preview_options")
    if value is None or value == "":
        return
    if isinstance(value, str):
        raise _td_error("Can't parse link preview options JSON object")
    if not isinstance(value, dict):
        raise _td_error("Object expected as link preview options")
    try:
        for name in ("is_disabled", "prefer_small_media", "prefer_large_media", "show_above_text"):
            _bool_field(value, name)
        _string_field(value, "url")
    except _FieldError as exc:
        raise _td_error(str(exc)) from None
