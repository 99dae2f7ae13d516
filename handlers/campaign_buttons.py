"""The "Đã nhận" (acknowledge) button under a campaign message; "Báo cáo" opens /baocao."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from handlers.common import BotContext, alert, button_of, current_actor
from messages import label, render_text
from storage.campaigns import acknowledge, was_recipient


async def on_acknowledge(update: Update, context: BotContext) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    campaign_id = button_of(context).id
    if campaign_id == 0:  # the office's preview
        await alert(update, "ack_preview")
        return
    actor = await current_actor(update, context)
    person = actor.person if actor else None
    # Acknowledging asks more than seeing the campaign: that it was sent to this person.
    if person is None or not await was_recipient(context.db, campaign_id, person.id):
        await alert(update, "not_allowed_short")
        return
    new, when = await acknowledge(context.db, campaign_id, person.id, context.clock.now())
    await query.answer(render_text("ack_done" if new else "ack_already", when=when))
    message = query.message
    if new and isinstance(message, Message) and message.reply_markup is not None:
        await message.edit_reply_markup(_acknowledged(message.reply_markup, query.data))


def _acknowledged(markup: InlineKeyboardMarkup, data: str) -> InlineKeyboardMarkup:
    """The same keyboard with the acknowledge button showing it is done."""
    rows = []
    for row in markup.inline_keyboard:
        rows.append(
            [
                InlineKeyboardButton(label("campaign_acked"), callback_data=data)
                if button.callback_data == data
                else button
                for button in row
            ]
        )
    return InlineKeyboardMarkup(rows)


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CallbackQueryHandler(on_acknowledge, pattern=r"^ack:\d+$"),
    ]
