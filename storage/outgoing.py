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

Messages made of shared pieces (`Pieces`, `Composed`): a broadcast whose rows each get a
different selection of the same paragraphs (a reminder listing what each person owes) keeps
the paragraphs once, in its own payload,

    {"v": 1, "text": "", "title": …, "pieces": [{"text": …, "buttons": […]}, …]}

and each row only the numbers of its pieces, `{"v": 1, "pieces": [0, 4, 9, 1]}`: the
message is the pieces' texts joined by a blank line, with their buttons one after another.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
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
                "buttons": _buttons(self.buttons),
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
        the one before it; `UndecodableMessage` otherwise, and for a row of a composed
        message (`Composed.read` and its broadcast's `Pieces` make that one)."""
        data = _parse(raw)
        if Composed.read(data) is not None:
            raise UndecodableMessage("a composed message needs its broadcast's pieces")
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


def _parse(raw: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    try:
        data = json.loads(raw) if isinstance(raw, str | bytes) else raw
    except ValueError as exc:
        raise UndecodableMessage(f"not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise UndecodableMessage("not a JSON object")
    version = data.get("v")
    if version not in (None, VERSION):
        raise UndecodableMessage(f"unknown message version {version!r}")
    return data


def _buttons(rows: Keyboard) -> list[list[dict[str, str]]]:
    return [[button.encode() for button in row] for row in rows]


PIECE_SEPARATOR = "\n\n"


def compose(
    parts: Sequence[OutgoingMessage], indexes: Iterable[int], title: str = ""
) -> OutgoingMessage:
    """The message of these pieces: their texts joined by a blank line, their buttons one
    row after another."""
    chosen = [parts[i] for i in indexes]
    return OutgoingMessage(
        PIECE_SEPARATOR.join(part.text for part in chosen),
        tuple(row for part in chosen for row in part.buttons),
        title=title,
    )


@dataclass(frozen=True)
class Pieces:
    """The pieces a broadcast's composed rows are made of, stored once as its payload. Read
    as a message (`OutgoingMessage.decode`, for its title) it is an empty text."""

    parts: tuple[OutgoingMessage, ...]
    title: str = ""

    def encode(self) -> str:
        pieces = [{"text": part.text, "buttons": _buttons(part.buttons)} for part in self.parts]
        return json.dumps(
            {"v": VERSION, "text": "", "title": self.title, "pieces": pieces}, ensure_ascii=False
        )

    @classmethod
    def decode(cls, raw: str | bytes | Mapping[str, Any]) -> Pieces:
        data = _parse(raw)
        try:
            parts = tuple(
                OutgoingMessage(
                    str(item["text"]),
                    keyboard((_button(button) for button in row) for row in item["buttons"]),
                )
                for item in data["pieces"]
            )
            return cls(parts, str(data.get("title") or ""))
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise UndecodableMessage(f"not a broadcast's pieces: {exc!r}") from exc

    def message(self, indexes: Iterable[int]) -> OutgoingMessage:
        try:
            return compose(self.parts, indexes, self.title)
        except IndexError as exc:
            raise UndecodableMessage("a piece its broadcast does not have") from exc


@dataclass(frozen=True)
class Composed:
    """A message made of pieces, by their numbers in `parts`: a list its maker shares among
    many messages and may still add to (storage/schedule.py stores on each broadcast the
    pieces its rows use, renumbered)."""

    parts: Sequence[OutgoingMessage]
    indexes: tuple[int, ...]
    title: str = ""

    def message(self) -> OutgoingMessage:
        return compose(self.parts, self.indexes, self.title)

    @staticmethod
    def encode_row(indexes: Sequence[int]) -> str:
        """An outbox row's payload: the numbers of its pieces in its broadcast's `Pieces`."""
        return json.dumps({"v": VERSION, "pieces": list(indexes)})

    @staticmethod
    def read(raw: str | bytes | Mapping[str, Any]) -> tuple[int, ...] | None:
        """The piece numbers of a composed row; None for a message of its own."""
        data = _parse(raw)
        pieces = data.get("pieces")
        if not isinstance(pieces, list) or not all(type(i) is int for i in pieces):
            return None
        return tuple(pieces)


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
