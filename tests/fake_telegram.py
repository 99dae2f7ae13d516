"""A fake Telegram Bot API server for tests.

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

Everything runs on the test's event loop, without locks. Requests are decoded the way
Telegram decodes them (form-urlencoded, multipart/form-data or JSON; nested objects are
JSON strings inside the form) and answered with Telegram's response shapes and status codes,
so PTB raises the same exceptions it would raise in production.

Simplifications: only private chats exist (a chat is registered with `FakeTelegram.user`);
``parse_mode="HTML"`` is parsed into plain text and entities (with Telegram's
"can't parse entities" errors for unsupported or unbalanced tags), other parse modes are
stored unparsed; text length limits are counted in Python characters.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import html
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any, Final, Literal

from aiohttp import BodyPartReader, web

JSON = dict[str, Any]

TOKEN: Final = "123456789:TEST-token_abcdefghijklmnopqrstuv"

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_DOWNLOAD_SIZE: Final = 20 * 1024 * 1024
MAX_CALLBACK_DATA: Final = 64
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

_INLINE_BUTTON_ACTIONS: Final = frozenset(
    {
        "callback_data",
        "url",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
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


@dataclass
class _RandomFaults:
    rate: float
    kinds: tuple[int | str, ...]  # HTTP statuses, "before", "after" (when the connection drops)
    methods: frozenset[str] | None
    seed: int
    times: int | None  # faults left; None: no end
    seen: dict[tuple[str, str], int] = field(default_factory=dict)


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

    async def send(self, text: str, *, reply_to: SentMessage | None = None) -> None:
        """A text message; a leading /command gets a bot_command entity like Telegram adds."""
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
        await self.tg._user_message(self, content)

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


_Handler = Callable[[JSON, dict[str, _Upload]], Awaitable[Any]]


class FakeTelegram:
    """The fake Bot API server. See the module docstring."""

    def __init__(
        self,
        token: str = TOKEN,
        bot_username: str = "thidua_test_bot",
        bot_id: int = 123456789,
    ) -> None:
        self.token = token
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Thi đua Test Bot",
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

        self._handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "close": self._true,
            "logOut": self._true,
            "setMyDescription": self._true,
            "setMyShortDescription": self._true,
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
    ) -> None:
        """Make the next `times` calls of `method` (optionally only for `chat_id`) fail."""
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

    def add_file(self, content: bytes, file_name: str, mime_type: str) -> JSON:
        """Register a file; returns a Telegram Document dict."""
        return self._register_file(content, file_name, mime_type, "documents").document()

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

    def _push_update(self, body: JSON) -> None:
        update = {"update_id": self._next_update_id, **body}
        self._next_update_id += 1
        self._updates.append(update)
        self._wake_pollers()

    def _next_message_id(self, chat_id: int) -> int:
        message_id = self._message_ids.get(chat_id, 0) + 1
        self._message_ids[chat_id] = message_id
        return message_id

    async def _user_message(self, user: FakeUser, content: JSON) -> None:
        message_id = self._next_message_id(user.id)
        message: JSON = {
            "message_id": message_id,
            "from": user.to_dict(),
            "chat": user.chat(),
            "date": int(time.time()),
            **content,
        }
        self._user_messages[(user.id, message_id)] = message
        user.outbox.append(message)
        self._push_update({"message": message})
        await asyncio.sleep(0)

    async def _callback_query(self, user: FakeUser, message: SentMessage, data: str) -> None:
        self._callback_seq += 1
        query_id = str(4_000_000_000_000_000 + self._callback_seq)
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
        self.calls.append(call)
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
        self.calls.append(call)
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
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request(
                    'field "inline_keyboard" of the InlineKeyboardMarkup '
                    "should be an Array of Arrays"
                )
            for button in (b for row in rows for b in row):
                if not isinstance(button, dict) or not button.get("text"):
                    raise _bad_request(
                        "can't parse inline keyboard button: Text must be non-empty"
                    )
                if not _INLINE_BUTTON_ACTIONS & button.keys():
                    raise _bad_request(
                        "can't parse inline keyboard button: Text buttons are "
                        "unallowed in the inline keyboard"
                    )
                if "callback_data" in button:
                    data = str(button["callback_data"]).encode()
                    if not 1 <= len(data) <= MAX_CALLBACK_DATA:
                        raise _bad_request("BUTTON_DATA_INVALID")
                url = button.get("url")
                if url is not None and not re.match(r"(https?|tg)://", str(url)):
                    raise _bad_request(
                        f"inline keyboard button URL '{url}' is invalid: Unsupported URL protocol"
                    )
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad_request(
                    'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
                )
        return markup

    @staticmethod
    def _format(text: str, params: JSON, entities_key: str) -> tuple[str, list[JSON]]:
        parse_mode = params.get("parse_mode")
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            return _parse_html(text)
        entities = params.get(entities_key)
        return text, list(entities) if isinstance(entities, list) else []

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
            return self._register_file(
                upload.content, upload.filename, upload.content_type, folder
            )
        if isinstance(value, str) and value:
            if value in self._files:
                return self._files[value]
            if value.startswith(("http://", "https://")):
                name = PurePosixPath(value.split("?")[0]).name or "file"
                return self._register_file(b"", name, "application/octet-stream", folder)
            raise _bad_request("wrong file identifier/HTTP URL specified")
        raise _bad_request(f"there is no {key} in the request")

    def _caption(self, params: JSON) -> tuple[str | None, str | None, list[JSON]]:
        caption = params.get("caption")
        if caption is None:
            return None, None, []
        caption = str(caption)
        plain, entities = self._format(caption, params, "caption_entities")
        if len(plain) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        return caption, plain, entities

    def _new_message(self, chat_id: int, method: str, params: JSON, **fields: Any) -> SentMessage:
        parse_mode = params.get("parse_mode")
        message = SentMessage(
            message_id=self._next_message_id(chat_id),
            chat_id=chat_id,
            method=method,
            parse_mode=parse_mode if isinstance(parse_mode, str) else None,
            date=int(time.time()),
            params=params,
            **fields,
        )
        self.sent.append(message)
        self._bot_messages[(chat_id, message.message_id)] = message
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
        chat_id = self._chat(params)
        text = params.get("text")
        if text is None or not str(text).strip():
            raise _bad_request("message text is empty")
        text = str(text)
        plain, entities = self._format(text, params, "entities")
        if not plain.strip():
            raise _bad_request("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        markup = self._markup(params)
        reply_to = self._reply_to(params, chat_id)
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

    async def _send_document(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        chat_id = self._chat(params)
        stored = self._input_file(params, files, "document", "documents")
        caption, plain, entities = self._caption(params)
        message = self._new_message(
            chat_id,
            "sendDocument",
            params,
            text=caption,
            plain_text=plain,
            entities=entities,
            reply_markup=self._markup(params),
            reply_to_message_id=self._reply_to(params, chat_id),
            document=stored.document(),
        )
        return self._bot_message_dict(message)

    async def _send_photo(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        chat_id = self._chat(params)
        stored = self._input_file(params, files, "photo", "photos")
        caption, plain, entities = self._caption(params)
        message = self._new_message(
            chat_id,
            "sendPhoto",
            params,
            text=caption,
            plain_text=plain,
            entities=entities,
            reply_markup=self._markup(params),
            reply_to_message_id=self._reply_to(params, chat_id),
            photo=stored.photo_sizes(),
        )
        return self._bot_message_dict(message)

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
        source = self._source_message(params, "copy")
        chat_id = self._chat(params)
        message = self._copy_into(chat_id, "copyMessage", params, source, keep_caption=False)
        message.reply_markup = self._markup(params)
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
        message = self._edit_target(params)
        if message.is_media:
            raise _bad_request("there is no text in the message to edit")
        text = params.get("text")
        if text is None or not str(text).strip():
            raise _bad_request("message text is empty")
        text = str(text)
        plain, entities = self._format(text, params, "entities")
        if not plain.strip():
            raise _bad_request("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        markup = self._markup(params)
        if (plain, entities, _inline(markup)) == (
            message.plain_text,
            message.entities,
            _inline(message.reply_markup),
        ):
            raise ApiError(400, NOT_MODIFIED)
        message.edits.append(message.text or "")
        message.text, message.plain_text, message.entities = text, plain, entities
        parse_mode = params.get("parse_mode")
        message.parse_mode = parse_mode if isinstance(parse_mode, str) else None
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return self._bot_message_dict(message)

    async def _edit_message_caption(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        message = self._edit_target(params)
        if not message.is_media:
            raise _bad_request("there is no caption in the message to edit")
        caption, plain, entities = self._caption(params)
        markup = self._markup(params)
        if (plain, entities, _inline(markup)) == (
            message.plain_text,
            message.entities,
            _inline(message.reply_markup),
        ):
            raise ApiError(400, NOT_MODIFIED)
        message.edits.append(message.text or "")
        message.text, message.plain_text, message.entities = caption, plain, entities
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return self._bot_message_dict(message)

    async def _edit_message_reply_markup(self, params: JSON, files: dict[str, _Upload]) -> JSON:
        message = self._edit_target(params)
        markup = self._markup(params)
        if _inline(markup) == _inline(message.reply_markup):
            raise ApiError(400, NOT_MODIFIED)
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return self._bot_message_dict(message)

    def _delete_one(self, chat_id: int, message_id: int) -> bool:
        message = self._bot_messages.get((chat_id, message_id))
        if message is not None:
            if message.deleted:
                return False
            message.deleted = True
            return True
        key = (chat_id, message_id)
        if key in self._user_messages and key not in self._deleted_user_messages:
            self._deleted_user_messages.add(key)
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
        user = self._pending_callbacks.pop(query_id, None)
        if user is None:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        user.answers.append(
            {
                "callback_query_id": query_id,
                "text": params.get("text"),
                "show_alert": bool(params.get("show_alert", False)),
                "url": params.get("url"),
                "cache_time": params.get("cache_time"),
            }
        )
        return True

    def _scope_key(self, params: JSON) -> tuple[tuple[Any, ...], str]:
        scope = params.get("scope") or {"type": "default"}
        language = params.get("language_code") or ""
        if not isinstance(scope, dict):
            raise _bad_request("can't parse BotCommandScope JSON object")
        kind = scope.get("type")
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return (kind,), str(language)
        if kind in ("chat", "chat_administrators"):
            return (kind, self._chat(scope)), str(language)
        if kind == "chat_member":
            return (kind, self._chat(scope), scope.get("user_id")), str(language)
        raise _bad_request("unsupported bot command scope type")

    async def _set_my_commands(self, params: JSON, files: dict[str, _Upload]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad_request("too many commands specified")
        parsed: list[tuple[str, str]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad_request("command description is empty or too long")
            parsed.append((name, description))
        key = self._scope_key(params)
        if parsed:
            self._commands[key] = parsed
        else:
            self._commands.pop(key, None)
        return True

    async def _delete_my_commands(self, params: JSON, files: dict[str, _Upload]) -> bool:
        self._commands.pop(self._scope_key(params), None)
        return True

    async def _get_my_commands(self, params: JSON, files: dict[str, _Upload]) -> list[JSON]:
        commands = self._commands.get(self._scope_key(params), [])
        return [{"command": name, "description": text} for name, text in commands]

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


_HTML_ENTITY_TYPES: Final[dict[str, str]] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE: Final = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s[^<>]*)?)>")
_ATTR_RE: Final = re.compile(r"""([A-Za-z_-]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_CHAR_REF_RE: Final = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]+|#[xX][0-9a-fA-F]+);")
_PLAIN_RE: Final = re.compile(r"[^<&]+")


def _entities_error(detail: str) -> ApiError:
    return _bad_request(f"can't parse entities: {detail}")


def _parse_html(text: str) -> tuple[str, list[JSON]]:
    """Telegram's HTML parse mode: the plain text and its entities (offsets in UTF-16)."""
    out: list[str] = []
    length = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[JSON] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            offset = len(text[:i].encode())  # only for error messages, as Telegram words them
            match = _TAG_RE.match(text, i)
            if match is None:
                raise _entities_error(f'Unsupported start tag "" at byte offset {offset}')
            closing, name, attr_text = match.group(1) == "/", match.group(2).lower(), match[3]
            i = match.end()
            if closing:
                if not stack:
                    raise _entities_error(f"Unexpected end tag at byte offset {offset}")
                open_name, start, attrs = stack.pop()
                if open_name != name:
                    raise _entities_error(
                        f'Unmatched end tag at byte offset {offset}, expected "</{open_name}>", '
                        f'found "</{name}>"'
                    )
                css_class = attrs.get("class", "")
                is_language = css_class.startswith("language-")
                language = css_class.removeprefix("language-") if is_language else ""
                if open_name == "code" and stack and stack[-1][0] == "pre" and language:
                    # <pre><code class="language-x">: one pre entity with that language
                    stack[-1][2]["language"] = language
                    continue
                entity = _html_entity(open_name, attrs, start, length - start)
                if entity is not None:
                    entities.append(entity)
                continue
            if name not in _HTML_ENTITY_TYPES:
                raise _entities_error(f'Unsupported start tag "{name}" at byte offset {offset}')
            attrs = {
                m.group(1).lower(): html.unescape(next((g for g in m.groups()[1:] if g), ""))
                for m in _ATTR_RE.finditer(attr_text or "")
            }
            if name == "span" and attrs.get("class") != "tg-spoiler":
                raise _entities_error(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
                )
            stack.append((name, length, attrs))
            continue
        if char == "&":
            ref = _CHAR_REF_RE.match(text, i)
            piece = html.unescape(ref.group(0)) if ref else "&"
            i = ref.end() if ref else i + 1
        else:  # a run of plain text at once: the server parses every message the bots send
            run = _PLAIN_RE.match(text, i)
            assert run is not None
            piece = run.group(0)
            i = run.end()
        out.append(piece)
        length += _utf16_len(piece)
    if stack:
        raise _entities_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _html_entity(name: str, attrs: dict[str, str], offset: int, length: int) -> JSON | None:
    if length <= 0:
        return None
    entity: JSON = {"type": _HTML_ENTITY_TYPES[name], "offset": offset, "length": length}
    if name == "a":
        if not attrs.get("href"):
            return None
        entity["url"] = attrs["href"]
    elif name == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif name == "tg-emoji":
        entity["custom_emoji_id"] = attrs.get("emoji-id", "")
    elif name == "pre" and attrs.get("language"):
        entity["language"] = attrs["language"]
    return entity
