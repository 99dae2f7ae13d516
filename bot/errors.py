"""The global error handler: log first, tell the office, then calm the user."""

from __future__ import annotations

import html
import logging
import traceback

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.logs import redact
from handlers.common import BotContext
from messages import render

log = logging.getLogger(__name__)
_OFFICE_TEXT_LIMIT = 3000


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    token = context.config.token if context.bot_data.config else ""
    if isinstance(error, Forbidden):
        # The user blocked the bot: nothing to tell anyone, and nobody to tell it to.
        log.warning("update %s: %s", _describe(update), error)
        return
    log.error("error while handling an update", exc_info=error)
    if error is None:
        return
    details = "".join(traceback.format_exception_only(type(error), error)).strip()
    details = redact(details, token)
    if len(details) > _OFFICE_TEXT_LIMIT:
        details = details[:_OFFICE_TEXT_LIMIT] + " …"
    user_id = (
        update.effective_user.id if isinstance(update, Update) and update.effective_user else None
    )
    what = _describe(update)
    for admin_id in context.config.office_admin_ids if context.bot_data.config else ():
        if admin_id == user_id:
            continue
        try:
            await context.bot.send_message(
                admin_id, render("error_office", user_id=user_id, what=what, error=details)
            )
        except TelegramError as exc:
            log.warning("could not tell admin %s about an error: %s", admin_id, exc)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, render("error_user"))
        except TelegramError as exc:
            log.warning("could not tell the user about an error: %s", exc)


def _describe(update: object) -> str:
    if not isinstance(update, Update):
        return ""
    message = update.effective_message
    if message is not None and message.text:
        return html.unescape(message.text[:100])
    if update.callback_query is not None:
        return f"callback {update.callback_query.data}"
    return f"update {update.update_id}"
