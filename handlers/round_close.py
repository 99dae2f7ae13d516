"""The office closes a reporting round (no report is accepted or corrected any more) or
reopens it, from the round's progress in /tiendo."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from handlers.common import BotContext, button_of, current_actor, not_allowed, reschedule, say
from messages import label
from storage.access import may_manage_campaign
from storage.campaigns import get_campaign
from storage.reports import RoundInfo, get_round, set_round_closed
from storage.visibility import may_see_round


async def manageable_round(update: Update, context: BotContext, round_id: int) -> RoundInfo | None:
    """The round, if the sender may close or reopen it or move its deadline
    (handlers/round_deadline.py); otherwise refused — an alert under a button, a message
    otherwise — and None. Nothing about the round is read before the sender is known to be
    entitled to see it."""
    actor = await current_actor(update, context)
    if actor is None or not await may_see_round(context.db, actor, round_id):
        await not_allowed(update)
        return None
    info = await get_round(context.db, round_id)
    campaign = await get_campaign(context.db, info.campaign_id) if info else None
    if (
        info is None
        or campaign is None
        or not await may_manage_campaign(context.db, actor, campaign.spec.issuer_unit_id)
    ):
        await not_allowed(update)
        return None
    return info


def toggle_button(round_id: int, closed: bool) -> InlineKeyboardButton:
    """Under a round's progress: close it, or reopen it when closed."""
    if closed:
        return InlineKeyboardButton(label("reopen_round"), callback_data=f"ro:{round_id}")
    return InlineKeyboardButton(label("close_round"), callback_data=f"rc:{round_id}")


async def ask(update: Update, context: BotContext) -> None:
    info = await manageable_round(update, context, button_of(context).id)
    if info is None:
        return
    if info.closed:
        await say(update, "round_already_closed", round=info)
        return
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label("close_round_confirm"), callback_data=f"rcy:{info.id}"),
          InlineKeyboardButton(label("keep_round_open"), callback_data="rcn")]]
    )  # fmt: skip
    await say(update, "round_close_confirm", keyboard, round=info)


async def close(update: Update, context: BotContext) -> None:
    info = await manageable_round(update, context, button_of(context).id)
    if info is None:
        return
    if not await set_round_closed(context.db, info.id, True):
        await say(update, "round_already_closed", round=info)
        return
    await reschedule(context)  # nothing more is sent for it
    keyboard = InlineKeyboardMarkup([[toggle_button(info.id, closed=True)]])
    await say(update, "round_closed", keyboard, round=info)


async def reopen(update: Update, context: BotContext) -> None:
    info = await manageable_round(update, context, button_of(context).id)
    if info is None:
        return
    changed = await set_round_closed(context.db, info.id, False)
    if changed:
        await reschedule(context)  # its reminders resume
    await say(update, "round_reopened" if changed else "round_already_open", round=info)


async def keep_open(update: Update, context: BotContext) -> None:
    await say(update, "round_close_cancelled")


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CallbackQueryHandler(ask, pattern=r"^rc:\d+$"),
        CallbackQueryHandler(close, pattern=r"^rcy:\d+$"),
        CallbackQueryHandler(reopen, pattern=r"^ro:\d+$"),
        CallbackQueryHandler(keep_open, pattern=r"^rcn$"),
    ]
