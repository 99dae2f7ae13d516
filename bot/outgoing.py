"""Sending an OutgoingMessage (storage/outgoing.py) to Telegram: the one way the outbox sender
and every preview send it, so what the office previews is what recipients get."""

from __future__ import annotations

from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message

from storage.outgoing import Keyboard, OutgoingMessage

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.callback_data, url=b.url) for b in row]
            for row in buttons
        ]
    )


async def send_outgoing(bot: Bot, chat_id: int, message: OutgoingMessage, **extra: Any) -> Message:
    """Send `message` to `chat_id`; `extra` goes to the request as it is (the outbox sender's
    rate-limiter arguments)."""
    reply_markup = markup(message.buttons)
    if message.document is not None:
        return await bot.send_document(
            chat_id, message.document, caption=message.text or None,
            reply_markup=reply_markup, **extra,
        )  # fmt: skip
    if message.photo is not None:
        return await bot.send_photo(
            chat_id, message.photo, caption=message.text or None,
            reply_markup=reply_markup, **extra,
        )  # fmt: skip
    return await bot.send_message(
        chat_id, message.text, reply_markup=reply_markup,
        link_preview_options=None if message.link_preview else NO_PREVIEW, **extra,
    )  # fmt: skip
