"""The office looks at submitted reports and sends one back for additions ("yêu cầu bổ
sung") with a reason; the person is told through the outbox, with a button that reopens the
report with every answer filled in."""

from __future__ import annotations

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
    pressed_id,
    say,
    stay,
    wake_sender,
)
from handlers.inputs import InputError, check_length
from handlers.reports import summary_lines
from messages import label, render
from storage.access import may_access, scope_unit_ids
from storage.drafts import load_draft, save_draft
from storage.models import Actor
from storage.outbox import create_broadcast
from storage.reports import (
    author_of,
    get_round,
    get_submission,
    return_for_additions,
    submitted_for_round,
)

FLOW = "trabosung"
SHOWN = 30


class Step(StrEnum):
    REASON = "reason"


async def _office(update: Update, context: BotContext) -> Actor | None:
    actor = await current_actor(update, context)
    if actor is None or actor.role != "office":
        query = update.callback_query
        if query is not None:
            await query.answer(render("not_allowed_short"), show_alert=True)
        return None
    return actor


async def list_submitted(update: Update, context: BotContext) -> None:
    actor = await _office(update, context)
    if actor is None:
        return
    info = await get_round(context.db, pressed_id(update, "rv:"))
    scope = await scope_unit_ids(context.db, actor)
    entries = await submitted_for_round(context.db, info.id, scope) if info else []
    if info is None or not entries:
        await say(update, "review_none")
        return
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label("submitted_entry", entry=e), callback_data=f"rs:{e.id}")]
         for e in entries[:SHOWN]]
    )  # fmt: skip
    await say(update, "review_list", keyboard, round=info, count=len(entries), shown=SHOWN)


async def show_submitted(update: Update, context: BotContext) -> None:
    actor = await _office(update, context)
    if actor is None:
        return
    entry = await author_of(context.db, pressed_id(update, "rs:"))
    submission = await get_submission(context.db, entry.id) if entry else None
    info = await get_round(context.db, submission.round_id) if submission else None
    if entry is None or submission is None or info is None:
        await say(update, "review_none")
        return
    if not await may_access(context.db, actor, entry.unit_id):
        await say(update, "not_allowed_short")
        return
    lines = await summary_lines(context, info, submission.answers)
    keyboard = None
    if submission.status == "submitted":
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(label("return_report"), callback_data=f"rb:{entry.id}")]]
        )
    await say(update, "review_report", keyboard, round=info, entry=entry, lines=lines,
              submission=submission)  # fmt: skip


async def ask_reason(update: Update, context: BotContext) -> Step | int:
    actor = await _office(update, context)
    if actor is None:
        return ConversationHandler.END
    entry = await author_of(context.db, pressed_id(update, "rb:"))
    if entry is None or not await may_access(context.db, actor, entry.unit_id):
        await say(update, "not_allowed_short")
        return ConversationHandler.END
    now = context.clock.now()
    await save_draft(context.db, actor.telegram_id, FLOW, {"submission_id": entry.id}, now)
    await say(update, "review_ask_reason", entry=entry)
    return Step.REASON


async def on_reason(update: Update, context: BotContext) -> Step | int:
    actor = await _office(update, context)
    if actor is None:
        return ConversationHandler.END
    try:
        reason = check_length(incoming(update).text or "", 3, 1000)
    except InputError as error:
        await say(update, error.template, **error.values)
        return Step.REASON
    draft = await load_draft(context.db, actor.telegram_id, FLOW) or {}
    await drop_flow(update, context, FLOW)
    submission_id = int(draft.get("submission_id", 0))
    entry = await author_of(context.db, submission_id)
    submission = await get_submission(context.db, submission_id)
    info = await get_round(context.db, submission.round_id) if submission else None
    now = context.clock.now()
    if entry is None or info is None or not await may_access(context.db, actor, entry.unit_id):
        await say(update, "not_allowed_short")
        return ConversationHandler.END
    if not await return_for_additions(context.db, submission_id, reason, now):
        await say(update, "review_not_submitted")
        return ConversationHandler.END
    if entry.author_telegram_id is not None:
        await create_broadcast(
            context.db,
            kind="announcement",
            campaign_id=info.campaign_id,
            payload={
                "text": render("report_returned_notice", round=info, reason=reason),
                "buttons": [
                    [{"text": label("complete_report"), "callback_data": f"rpt:{info.id}"}]
                ],
                "document": None,
                "title": info.name,
            },
            created_by=actor.telegram_id,
            progress_chat_id=None,
            progress_message_id=None,
            recipients=[(entry.author_id, entry.author_telegram_id)],
            now=now,
        )
        wake_sender(context)
    await say(update, "review_returned", entry=entry)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    await drop_flow(update, context, FLOW)
    await say(update, "review_cancelled")
    return ConversationHandler.END


def conversation() -> ConversationHandler[BotContext]:
    return flow_conversation(
        FLOW,
        [CallbackQueryHandler(ask_reason, pattern=r"^rb:\d+$")],
        {
            Step.REASON: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_reason),
                MessageHandler(~filters.COMMAND, stay(Step.REASON, "launch_expect_text")),
            ]
        },
        cancel,
    )


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        conversation(),
        CallbackQueryHandler(list_submitted, pattern=r"^rv:\d+$"),
        CallbackQueryHandler(show_submitted, pattern=r"^rs:\d+$"),
    ]
