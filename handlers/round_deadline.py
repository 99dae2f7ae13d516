"""The office moves a round's deadline, from the round's progress in /tiendo: «⏰ Đổi hạn»,
type the new deadline, confirm. Allowed to those who may close the round. The round's
reminders are worked out again for the new deadline (bot/scheduler.py), and submitted reports
are on time or late against it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.common import (
    BotContext,
    current_actor,
    drop_flow,
    flow_conversation,
    incoming,
    load_flow,
    pressed_id,
    reschedule,
    save_flow,
    say,
    stay,
)
from handlers.inputs import InputError, parse_deadline
from messages import label, render
from storage.access import may_manage_campaign
from storage.campaigns import get_campaign
from storage.reports import RoundInfo, get_round
from storage.schedule import move_deadline

FLOW = "doihan"


class Step(StrEnum):
    TYPE = "type"
    CONFIRM = "confirm"


@dataclass
class DeadlineDraft:
    round_id: int = 0
    deadline: str = ""  # the new deadline, ISO


def deadline_button(round_id: int) -> InlineKeyboardButton:
    """Under a round's progress, next to «🔒 Đóng đợt»."""
    return InlineKeyboardButton(label("move_deadline"), callback_data=f"rd:{round_id}")


async def _manageable(update: Update, context: BotContext, round_id: int) -> RoundInfo | None:
    """The round, if the sender may move its deadline (as for closing it), else an alert."""
    info = await get_round(context.db, round_id)
    campaign = await get_campaign(context.db, info.campaign_id) if info else None
    actor = await current_actor(update, context)
    if (
        info is None
        or campaign is None
        or actor is None
        or not await may_manage_campaign(context.db, actor, campaign.spec.issuer_unit_id)
    ):
        query = update.callback_query
        if query is not None:
            await query.answer(render("not_allowed_short"), show_alert=True)
        else:
            await say(update, "not_allowed_short")
        return None
    return info


async def ask(update: Update, context: BotContext) -> Step | int:
    info = await _manageable(update, context, pressed_id(update, "rd:"))
    if info is None:
        return ConversationHandler.END
    if info.closed:
        await say(update, "round_already_closed", round=info)
        return ConversationHandler.END
    await save_flow(update, context, FLOW, DeadlineDraft(info.id))
    await say(update, "deadline_ask", round=info, now=context.clock.now())
    return Step.TYPE


async def on_text(update: Update, context: BotContext) -> Step | int:
    draft = DeadlineDraft(**await load_flow(update, context, FLOW))
    info = await _manageable(update, context, draft.round_id)
    if info is None:
        await drop_flow(update, context, FLOW)
        return ConversationHandler.END
    try:
        deadline = parse_deadline(
            incoming(update).text or "", context.config.timezone, context.clock.now()
        )
    except InputError as error:
        await say(update, error.template, **error.values)
        return Step.TYPE
    if deadline == info.deadline:
        await say(update, "deadline_same", round=info)
        return Step.TYPE
    draft.deadline = deadline.isoformat()
    await save_flow(update, context, FLOW, draft)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label("move_deadline_confirm"), callback_data="rdy"),
          InlineKeyboardButton(label("cancel"), callback_data="rdn")]]
    )  # fmt: skip
    await say(update, "deadline_confirm", keyboard, round=info, deadline=deadline)
    return Step.CONFIRM


async def confirm(update: Update, context: BotContext) -> int:
    draft = DeadlineDraft(**await load_flow(update, context, FLOW))
    await drop_flow(update, context, FLOW)
    info = await _manageable(update, context, draft.round_id)
    if info is None or not draft.deadline:
        return ConversationHandler.END
    deadline = datetime.fromisoformat(draft.deadline)
    old = await move_deadline(context.db, info.id, deadline)
    await reschedule(context)
    await say(update, "deadline_moved", round=info, old=old or info.deadline, deadline=deadline)
    return ConversationHandler.END


async def expect_deadline(update: Update, context: BotContext) -> Step:
    await say(update, "launch_expect_deadline", now=context.clock.now())
    return Step.TYPE


async def cancel(update: Update, context: BotContext) -> int:
    await drop_flow(update, context, FLOW)
    await say(update, "deadline_cancelled")
    return ConversationHandler.END


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        flow_conversation(
            FLOW,
            [CallbackQueryHandler(ask, pattern=r"^rd:\d{1,12}$")],
            {
                Step.TYPE: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
                    MessageHandler(~filters.COMMAND, expect_deadline),
                ],
                Step.CONFIRM: [
                    CallbackQueryHandler(confirm, pattern=r"^rdy$"),
                    CallbackQueryHandler(cancel, pattern=r"^rdn$"),
                    MessageHandler(~filters.COMMAND, stay(Step.CONFIRM, "launch_expect_button")),
                ],
            },
            cancel,
        )
    ]
