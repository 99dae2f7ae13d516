"""What the bot sends through the outbox: one message type with one encoding.

Every producer (a campaign launch, an announcement, a send-back notice, the notice that a
report came back, the copy of a campaign for someone who registers later) builds an
`OutgoingMessage`; storage keeps it as `encode()`d JSON in `broadcasts.payload` or
`outbox.payload`; the sender decodes it once per row and sends it with
`bot.outgoing.send_outgoing`, and every preview sends the very same object the same way, so
a preview is exactly what recipients get.

The encoding, version 1:

    {"v": 1, "text": HTML (the caption when there is a document or photo),
     "buttons": [[{"text": …, "callback_data": …} | {"text": …, "url": …}, …], …],
     "document": Telegram file id | null, "photo": Telegram file id | null,
     "title": what the office's progress message and summary call it,
     "link_preview": false}

Rows written before the version field existed — `{"text", "buttons", "document", "title"}`,
campaign payloads also with `"keyboards"` — decode as well (see `decode`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

VERSION = 1


class UndecodableMessage(ValueError):
    """A payload that is neither this encoding nor the one before it."""


@dataclass(frozen=True)
class Button:
    """An inline button: it sends `callback_data` to the bot, or opens `url`."""

    text: str
    callback_data: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.callback_data is None) == (self.url is None):
            raise ValueError("a button has either callback data or a URL")

    def encode(self) -> dict[str, str]:
        if self.url is not None:
            return {"text": self.text, "url": self.url}
        assert self.callback_data is not None
        return {"text": self.text, "callback_data": self.callback_data}


Keyboard = tuple[tuple[Button, ...], ...]


def keyboard(rows: Iterable[Iterable[Button]]) -> Keyboard:
    """Rows of buttons as the message keeps them (empty rows left out)."""
    return tuple(row for row in (tuple(r) for r in rows) if row)


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one chat: an HTML text, or a document or photo with the text as its
    caption, with inline buttons and options."""

    text: str
    buttons: Keyboard = ()
    document: str | None = None  # a Telegram file id
    photo: str | None = None  # a Telegram file id
    title: str = ""  # how the office's progress message and summary name the broadcast
    link_preview: bool = False  # show a preview of the first link in a text message

    def __post_init__(self) -> None:
        if self.document is not None and self.photo is not None:
            raise ValueError("a message carries a document or a photo, not both")

    def with_buttons(self, buttons: Iterable[Iterable[Button]]) -> OutgoingMessage:
        return replace(self, buttons=keyboard(buttons))

    def encode(self) -> str:
        return json.dumps(
            {
                "v": VERSION,
                "text": self.text,
                "buttons": [[button.encode() for button in row] for row in self.buttons],
                "document": self.document,
                "photo": self.photo,
                "title": self.title,
                "link_preview": self.link_preview,
            },
            ensure_ascii=False,
        )

    @classmethod
    def decode(cls, raw: str | bytes | Mapping[str, Any]) -> OutgoingMessage:
        """The message stored as `raw` (JSON text, or already parsed), in this encoding or
        the one before it; `UndecodableMessage` otherwise."""
        try:
            data = json.loads(raw) if isinstance(raw, str | bytes) else raw
        except ValueError as exc:
            raise UndecodableMessage(f"not JSON: {exc}") from exc
        if not isinstance(data, Mapping):
            raise UndecodableMessage("not a JSON object")
        version = data.get("v")
        if version not in (None, VERSION):
            raise UndecodableMessage(f"unknown message version {version!r}")
        try:
            return cls(
                text=str(data.get("text") or ""),
                buttons=keyboard(
                    (_button(item) for item in row) for row in data.get("buttons") or ()
                ),
                document=_optional(data.get("document")),
                photo=_optional(data.get("photo")),
                title=str(data.get("title") or ""),
                link_preview=bool(data.get("link_preview", False)),
            )
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise UndecodableMessage(repr(exc)) from exc


def _button(item: Mapping[str, Any]) -> Button:
    return Button(
        str(item["text"]), _optional(item.get("callback_data")), _optional(item.get("url"))
    )


def _optional(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def legacy_keyboards(raw: str) -> dict[str, Keyboard]:
    """The per-recipient keyboards of a campaign payload written before version 1
    (`"keyboards": {"answer": …, "read": …}`); {} for any other payload."""
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    keyboards = data.get("keyboards") if isinstance(data, dict) else None
    if not isinstance(keyboards, dict):
        return {}
    try:
        return {
            name: keyboard((_button(item) for item in row) for row in rows)
            for name, rows in keyboards.items()
        }
    except (TypeError, ValueError, KeyError, AttributeError):
        return {}
