"""The sandbox's page: a browser chat that plays any roster person, and the clock.

Plain HTTP on 127.0.0.1 (aiohttp), one static page with a small script (sandbox/static/), no
build step. The page reads JSON (`/api/state`, `/api/chats/{chat}`) and is told of changes by
server-sent events (`/api/events`): a chat changed, a button press was answered, the clock
moved. What a person does on the page is done through fakegram's `FakeUser` (send, press_at,
share_contact, send_document, send_photo), so the bot receives exactly the updates Telegram
would send it.

Chats are shown as a Telegram client shows them: the bot's texts with their entities (the page
lays them out, never the bot's HTML), documents and photos to download, inline keyboards under
their messages, the latest reply keyboard above the input (hidden after use when one-time), a
message edited in place marked as edited, deleted messages gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from fakegram import ChatEvent, FakeTelegram, SentMessage
from messages import format_deadline
from sandbox.app import Player, Sandbox
from storage.unit_tree import unit_tree

log = logging.getLogger(__name__)

JSON = dict[str, Any]
MAX_UPLOAD = 50 * 1024 * 1024  # what the page accepts; the bot itself takes up to 20 MB
MAX_TEXT = 4096  # a Telegram message
MAX_CAPTION = 1024
PING_SECONDS = 15.0
STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
PAST_DEADLINE = timedelta(minutes=1)  # "past the next deadline" lands this long after it
_STATIC = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "style.css": "text/css",
}

_PICTURES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


class Page:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._clients: set[asyncio.Queue[JSON | None]] = set()
        self._read: dict[int, int] = {}  # chat id → the last bot message read on the page
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def telegram(self) -> FakeTelegram:
        assert self.sandbox.telegram is not None
        return self.sandbox.telegram

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def start(self, port: int, host: str = "127.0.0.1") -> None:
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/events", self._events)
        app.router.add_get("/api/chats/{chat}", self._chat)
        app.router.add_post("/api/chats/{chat}/messages", self._send)
        app.router.add_post("/api/chats/{chat}/files", self._upload)
        app.router.add_post("/api/chats/{chat}/press", self._press)
        app.router.add_post("/api/chats/{chat}/contact", self._contact)
        app.router.add_post("/api/chats/{chat}/read", self._mark_read)
        app.router.add_get("/api/files/{file_id}", self._file)
        app.router.add_post("/api/clock", self._move_clock)
        self.telegram.listeners.append(self._on_chat)
        self.sandbox.listeners.append(self._on_sandbox)
        if self.sandbox.resumed:  # the chats of an earlier run were read then
            for message in self.telegram.sent:
                seen = self._read.get(message.chat_id, 0)
                self._read[message.chat_id] = max(seen, message.message_id)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        for queue in list(self._clients):
            queue.put_nowait(None)  # ends each event stream
        with contextlib.suppress(ValueError):
            self.telegram.listeners.remove(self._on_chat)
        with contextlib.suppress(ValueError):
            self.sandbox.listeners.remove(self._on_sandbox)
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # ---- events -------------------------------------------------------------------------

    def _push(self, event: JSON) -> None:
        for queue in list(self._clients):
            queue.put_nowait(event)

    def _on_chat(self, event: ChatEvent) -> None:
        if event.kind == "answer":
            answer = event.answer or {}
            if answer.get("text"):
                self._push(
                    {
                        "type": "answer",
                        "chat": event.chat_id,
                        "text": answer["text"],
                        "alert": bool(answer.get("show_alert")),
                    }
                )
            return
        self._push({"type": "chat", "chat": event.chat_id, "unread": self._unread(event.chat_id)})

    def _on_sandbox(self, what: str) -> None:
        self._push({"type": what})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        queue: asyncio.Queue[JSON | None] = asyncio.Queue()
        self._clients.add(queue)
        try:
            await response.write(b"retry: 1000\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), PING_SECONDS)
                except TimeoutError:
                    await response.write(b": ping\n\n")
                    continue
                if event is None:
                    break
                data = json.dumps(event, ensure_ascii=False)
                await response.write(f"data: {data}\n\n".encode())
        except (ConnectionResetError, ConnectionError):
            pass
        finally:
            self._clients.discard(queue)
        return response

    # ---- reading ------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return self._static_file("index.html")

    async def _static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in _STATIC:
            raise web.HTTPNotFound()
        return self._static_file(name)

    @staticmethod
    def _static_file(name: str) -> web.Response:
        body = (resources.files("sandbox") / "static" / name).read_bytes()
        return web.Response(
            body=body,
            content_type=_STATIC[name],
            charset="utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    async def _state(self, request: web.Request) -> web.StreamResponse:
        sandbox = self.sandbox
        assert sandbox.clock is not None
        players = await sandbox.refresh_players()
        units = []
        by_unit: dict[int, list[JSON]] = {}
        guest: JSON | None = None
        for player in players:
            if player.person is None:
                guest = self._player_json(player)
            else:
                by_unit.setdefault(player.person.unit_id, []).append(self._player_json(player))
        for unit in await unit_tree(sandbox.db):
            if unit.id in by_unit:
                units.append(
                    {
                        "id": unit.id,
                        "name": unit.name,
                        "depth": unit.depth,
                        "people": by_unit[unit.id],
                    }
                )
        upcoming = await sandbox.upcoming_deadline()
        deliveries = await sandbox.deliveries()
        return _json(
            {
                "ready": sandbox.ready.is_set(),
                "bot": {
                    "name": self.telegram.bot_user["first_name"],
                    "username": self.telegram.bot_user["username"],
                },
                "clock": _moment(sandbox.clock.now(), sandbox),
                "next_deadline": None
                if upcoming is None
                else {
                    "round": upcoming.round_name,
                    "campaign": upcoming.campaign_title,
                    "text": format_deadline(upcoming.deadline),
                },
                "units": units,
                "guest": guest,
                "deliveries": [
                    {
                        "id": item.id,
                        "kind": item.kind,
                        "title": item.title,
                        "done": item.done,
                        "counts": {
                            "total": item.counts.total,
                            "pending": item.counts.pending + item.counts.sending,
                            "sent": item.counts.sent,
                            "failed": item.counts.failed,
                            "blocked": item.counts.blocked,
                        },
                    }
                    for item in deliveries
                ],
            }
        )

    def _player_json(self, player: Player) -> JSON:
        person = player.person
        return {
            "chat": player.chat_id,
            "name": person.full_name if person else None,
            "role": person.role if person else None,
            "phone": person.phone if person else None,
            "registered": bool(person and person.telegram_id),
            "unread": self._unread(player.chat_id),
        }

    def _unread(self, chat_id: int) -> int:
        seen = self._read.get(chat_id, 0)
        return sum(
            1 for m in self.telegram.messages_to(chat_id) if not m.deleted and m.message_id > seen
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        player = self._player(request)
        telegram = self.telegram
        history = telegram.history(player.chat_id)
        messages = [
            self._bot_message(item) if isinstance(item, SentMessage) else self._user_message(item)
            for item in history
        ]
        return _json(
            {
                "chat": player.chat_id,
                "person": self._player_json(player),
                "messages": messages,
                "keyboard": _reply_keyboard(history),
                "commands": [
                    {"command": name, "description": text}
                    for name, text in self._commands(player.chat_id)
                ],
                "description": telegram.descriptions.get("vi") or telegram.descriptions.get(""),
            }
        )

    def _commands(self, chat_id: int) -> list[tuple[str, str]]:
        """The menu a client shows: the chat's own, else the default (Vietnamese first)."""
        telegram = self.telegram
        for chat in (chat_id, None):
            for language in ("vi", ""):
                commands = telegram.commands_for(chat, language)
                if commands:
                    return commands
        return []

    def _time(self, unix: int) -> JSON:
        moment = datetime.fromtimestamp(unix, UTC).astimezone(self._timezone())
        return {"time": moment.strftime("%H:%M"), "date": moment.strftime("%d/%m/%Y")}

    def _timezone(self) -> Any:
        assert self.sandbox.config is not None
        return self.sandbox.config.timezone

    def _bot_message(self, message: SentMessage) -> JSON:
        document = photo = None
        if message.document is not None:
            document = _document(message.document)
        if message.photo:
            photo = {"file_id": message.photo[-1]["file_id"]}
        rows = []
        for row in (message.reply_markup or {}).get("inline_keyboard") or []:
            rows.append(
                [
                    {
                        "text": button.get("text", ""),
                        "kind": "callback"
                        if "callback_data" in button
                        else "url"
                        if "url" in button
                        else "other",
                        "url": button.get("url"),
                    }
                    for button in row
                ]
            )
        return {
            "id": message.message_id,
            "from": "bot",
            **self._time(message.date),
            "text": message.plain_text or "",
            "entities": message.entities,
            "edited": message.edit_date is not None,
            "document": document,
            "photo": photo,
            "buttons": rows,
        }

    def _user_message(self, message: JSON) -> JSON:
        contact = message.get("contact")
        photo = message.get("photo")
        sticker = message.get("sticker")
        return {
            "id": message["message_id"],
            "from": "user",
            **self._time(int(message.get("date", 0))),
            "text": message.get("text") or message.get("caption") or "",
            "entities": message.get("entities") or [],
            "edited": "edit_date" in message,
            "document": _document(message["document"]) if "document" in message else None,
            "photo": {"file_id": photo[-1]["file_id"]} if photo else None,
            "contact": None
            if contact is None
            else {"phone": contact.get("phone_number"), "name": contact.get("first_name")},
            "sticker": sticker.get("emoji") if sticker else None,
            "buttons": [],
        }

    async def _file(self, request: web.Request) -> web.StreamResponse:
        try:
            name, mime, content = self.telegram.file_info(request.match_info["file_id"])
        except KeyError:
            raise web.HTTPNotFound() from None
        # Only pictures are shown in the page; anything else (an SVG or HTML file someone
        # sent, say) is a download, never a page of this origin.
        inline = request.query.get("inline") == "1" and mime in _PICTURES
        disposition = "inline" if inline else "attachment"
        return web.Response(
            body=content,
            content_type=mime if inline else "application/octet-stream",
            headers={
                "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
                "Cache-Control": "private, max-age=3600",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox",
            },
        )

    # ---- acting as a person -------------------------------------------------------------

    def _player(self, request: web.Request) -> Player:
        try:
            chat_id = int(request.match_info["chat"])
        except ValueError:
            raise web.HTTPNotFound() from None
        player = self.sandbox.player(chat_id)
        if player is None:
            raise web.HTTPNotFound()
        return player

    async def _send(self, request: web.Request) -> web.StreamResponse:
        player = self._player(request)
        body = await _body(request)
        text = str(body.get("text") or "")
        if not text.strip():
            return _error("empty_text")
        if len(text) > MAX_TEXT:
            return _error("text_too_long", limit=MAX_TEXT)
        await player.user.send(text)
        return web.Response(status=204)

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        player = self._player(request)
        fields: JSON = {}
        content = b""
        file_name = "tep"
        mime = "application/octet-stream"
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.name == "file":
                content = bytes(await part.read(decode=True))
                file_name = part.filename or file_name
                mime = part.headers.get("Content-Type", mime)
            else:
                fields[part.name] = await part.text()
        if not content:
            return _error("empty_file")
        caption = str(fields.get("caption") or "").strip() or None
        if caption is not None and len(caption) > MAX_CAPTION:
            return _error("caption_too_long", limit=MAX_CAPTION)
        if fields.get("as") == "photo" and mime.startswith("image/"):
            await player.user.send_photo(content, caption=caption)
        else:
            await player.user.send_document(file_name, content, mime, caption=caption)
        return web.Response(status=204)

    async def _press(self, request: web.Request) -> web.StreamResponse:
        player = self._player(request)
        body = await _body(request)
        try:
            message_id, row, column = (int(body[key]) for key in ("message_id", "row", "column"))
        except (KeyError, TypeError, ValueError):
            return _error("bad_press")
        target = next(
            (
                m
                for m in self.telegram.messages_to(player.chat_id)
                if m.message_id == message_id and not m.deleted
            ),
            None,
        )
        if target is None:
            return _error("message_gone")
        try:
            await player.user.press_at(target, row, column)
        except AssertionError:
            return _error("button_gone")
        return web.Response(status=204)

    async def _contact(self, request: web.Request) -> web.StreamResponse:
        await self.sandbox.share_contact(self._player(request))
        return web.Response(status=204)

    async def _mark_read(self, request: web.Request) -> web.StreamResponse:
        player = self._player(request)
        ids = [m.message_id for m in self.telegram.messages_to(player.chat_id)]
        self._read[player.chat_id] = max(ids, default=0)
        return web.Response(status=204)

    # ---- the clock ----------------------------------------------------------------------

    async def _move_clock(self, request: web.Request) -> web.StreamResponse:
        sandbox = self.sandbox
        assert sandbox.clock is not None
        step = str((await _body(request)).get("step") or "")
        if step in STEPS:
            delta = STEPS[step]
        elif step == "deadline":
            upcoming = await sandbox.upcoming_deadline()
            if upcoming is None:
                return _error("no_deadline")
            delta = max(upcoming.deadline + PAST_DEADLINE - sandbox.clock.now(), timedelta(0))
        else:
            return _error("bad_step")
        await sandbox.advance(delta)
        return _json({"clock": _moment(sandbox.clock.now(), sandbox)})


def _moment(moment: datetime, sandbox: Sandbox) -> JSON:
    assert sandbox.config is not None
    local = moment.astimezone(sandbox.config.timezone)
    return {
        "iso": local.isoformat(timespec="seconds"),
        "weekday": local.weekday(),
        "date": local.strftime("%d/%m/%Y"),
        "time": local.strftime("%H:%M"),
    }


def _document(document: JSON) -> JSON:
    return {
        "file_id": document.get("file_id"),
        "name": document.get("file_name") or "tệp",
        "size": document.get("file_size") or 0,
        "mime": document.get("mime_type") or "",
    }


def _reply_keyboard(history: list[SentMessage | JSON]) -> JSON | None:
    """The reply keyboard a client shows now: the latest one the bot sent, unless removed
    since; a one-time keyboard is hidden (not gone) once the user has written after it."""
    current: SentMessage | None = None
    for item in history:
        if isinstance(item, SentMessage) and item.reply_markup:
            if "keyboard" in item.reply_markup:
                current = item
            elif item.reply_markup.get("remove_keyboard"):
                current = None
    if current is None or current.reply_markup is None:
        return None
    markup = current.reply_markup
    used = any(
        not isinstance(item, SentMessage) and item["message_id"] > current.message_id
        for item in history
    )
    rows = [
        [
            {
                "text": button if isinstance(button, str) else button.get("text", ""),
                "contact": isinstance(button, dict) and bool(button.get("request_contact")),
            }
            for button in row
        ]
        for row in markup["keyboard"]
    ]
    return {
        "rows": rows,
        "hidden": bool(markup.get("one_time_keyboard")) and used,
        "placeholder": markup.get("input_field_placeholder"),
    }


async def _body(request: web.Request) -> JSON:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _json(data: JSON) -> web.Response:
    return web.json_response(data, dumps=lambda obj: json.dumps(obj, ensure_ascii=False))


def _error(code: str, **values: Any) -> web.Response:
    """A refusal the page words (its texts are in the page): a code and its values."""
    return web.json_response({"error": code, **values}, status=400)
