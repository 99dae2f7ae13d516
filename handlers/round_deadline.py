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
    button_of,
    button_step,
    flow_conversation,
    incoming,
    reschedule,
    say,
)
from handlers.flows import Flow, refuse
from handlers.inputs import InputError, parse_deadline
from handlers.round_close import manageable_round
from messages import label
from storage.schedule import move_deadline


class Step(StrEnum):
    TYPE = "type"
    CONFIRM = "confirm"


@dataclass
class DeadlineDraft:
    round_id: int = 0
    deadline: str = ""  # the new deadline, ISO


FLOW: Flow[DeadlineDraft] = Flow("doihan", DeadlineDraft)


def deadline_button(round_id: int) -> InlineKeyboardButton:
    """Under a round's progress, next to «🔒 Đóng đợt»."""
    return InlineKeyboardButton(label("move_deadline"), callback_data=f"rd:{round_id}")


async def ask(update: Update, context: BotContext) -> Step | int:
    info = await manageable_round(update, context, button_of(context).id)
    if info is None:
        return ConversationHandler.END
    if info.closed:
        await say(update, "round_already_closed", round=info)
        return ConversationHandler.END
    await FLOW.save(update, context, DeadlineDraft(info.id))
    await say(update, "deadline_ask", round=info, now=context.clock.now())
    return Step.TYPE


async def on_text(update: Update, context: BotContext) -> Step | int:
    draft = await FLOW.load(update, context)
    if draft is None:
        return await FLOW.lost(update, context)
    info = await manageable_round(update, context, draft.round_id)
    if info is None:
        await FLOW.drop(update, context)
        return ConversationHandler.END
    try:
        deadline = parse_deadline(
            incoming(update).text or "", context.config.timezone, context.clock.now()
        )
    except InputError as error:
        return await refuse(update, context, error, Step.TYPE)
    if deadline == info.deadline:
        await say(update, "deadline_same", round=info)
        return Step.TYPE
    draft.deadline = deadline.isoformat()
    await FLOW.save(update, context, draft)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label("move_deadline_confirm"), callback_data="rdy"),
          InlineKeyboardButton(label("cancel"), callback_data="rdn")]]
    )  # fmt: skip
    await say(update, "deadline_confirm", keyboard, round=info, deadline=deadline)
    return Step.CONFIRM


async def confirm(update: Update, context: BotContext) -> int:
    draft = await FLOW.load(update, context)
    if draft is None or not draft.deadline:
        return await FLOW.lost(update, context)
    await FLOW.drop(update, context)
    info = await manageable_round(update, context, draft.round_id)
    if info is None:
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
    return await FLOW.cancel(update, context, "deadline_cancelled")


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        flow_conversation(
            FLOW.name,
            [CallbackQueryHandler(ask, pattern=r"^rd:\d+$")],
            {
                Step.TYPE: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
                    MessageHandler(~filters.COMMAND, expect_deadline),
                ],
                Step.CONFIRM: button_step(Step.CONFIRM, (r"^rdy$", confirm), (r"^rdn$", cancel)),
            },
            cancel,
        )
    ]
