"""Commands every role has (/help, /huy outside any flow) and the catch-alls: the reply to
a message no flow took, the alert for a button none took."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers.common import (
    BotContext,
    alert,
    command_entries,
    current_actor,
    refuse_stranger,
    reply,
)


async def help_command(update: Update, context: BotContext) -> None:
    actor = await current_actor(update, context)
    if actor is None or not actor.registered:
        await refuse_stranger(update)
        return
    await reply(
        update,
        "help",
        person=actor.person,
        role=actor.role,
        commands=command_entries(actor.role),
    )


async def cancel(update: Update, context: BotContext) -> None:
    """/huy when no flow is in progress (each flow handles its own /huy first)."""
    await reply(update, "nothing_to_cancel")


async def fallback(update: Update, context: BotContext) -> None:
    actor = await current_actor(update, context)
    if actor is None or not actor.registered:
        await refuse_stranger(update)
    else:
        await reply(update, "unknown_message")


async def stale_button(update: Update, context: BotContext) -> None:
    """A press no handler took: a flow's button after the flow ended or moved on."""
    await alert(update, "button_expired")


def handlers() -> list[BaseHandler[Update, BotContext, object]]:
    return [
        CommandHandler("help", help_command),
        CommandHandler("huy", cancel),
    ]


def fallback_handlers() -> list[BaseHandler[Update, BotContext, object]]:
    """Last in the order: anything no flow took."""
    return [
        CallbackQueryHandler(stale_button),
        MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, fallback),
    ]
