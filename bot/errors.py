"""The global error handler: log first, tell the office, then calm the user."""

from __future__ import annotations

import html
import logging
import traceback
from dataclasses import dataclass

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.logs import mask_phones, redact
from handlers.common import BotContext
from messages import render
from storage.models import Person
from storage.people import person_by_telegram_id

log = logging.getLogger(__name__)
_OFFICE_TEXT_LIMIT = 3000


@dataclass(frozen=True)
class Sender:
    """Who sent the update that failed, as the office knows them (never their phone)."""

    user_id: int
    person: Person | None  # their roster row, active or not
    admin: bool  # in OFFICE_ADMIN_IDS


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    token = context.config.token if context.bot_data.config else ""
    if isinstance(error, Forbidden):
        # The user blocked the bot: nothing to tell anyone, and nobody to tell it to.
        log.warning("update %s: %s", _describe(update), error)
        return
    log.error("error while handling an update: %s", _describe(update), exc_info=error)
    if error is None:
        return
    details = "".join(traceback.format_exception_only(type(error), error)).strip()
    details = mask_phones(redact(details, token))
    if len(details) > _OFFICE_TEXT_LIMIT:
        details = details[:_OFFICE_TEXT_LIMIT] + " …"
    sender = await _sender(update, context)
    what = _describe(update)
    for admin_id in context.config.office_admin_ids if context.bot_data.config else ():
        if sender is not None and admin_id == sender.user_id:
            continue
        try:
            await context.bot.send_message(
                admin_id, render("error_office", sender=sender, what=what, error=details)
            )
        except TelegramError as exc:
            log.warning("could not tell admin %s about an error: %s", admin_id, exc)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await context.bot.send_message(update.effective_chat.id, render("error_user"))
        except TelegramError as exc:
            log.warning("could not tell the user about an error: %s", exc)


async def _sender(update: object, context: BotContext) -> Sender | None:
    user = update.effective_user if isinstance(update, Update) else None
    if user is None:
        return None
    admin = bool(context.bot_data.config) and user.id in context.config.office_admin_ids
    try:
        person = await person_by_telegram_id(context.db, user.id)
    except Exception:  # the failure may be the database itself: the id must do
        log.warning("could not look up who sent the failed update", exc_info=True)
        person = None
    return Sender(user_id=user.id, person=person, admin=admin)


def _describe(update: object) -> str:
    """What the update was, for the log and the office: never a phone number."""
    if not isinstance(update, Update):
        return ""
    message = update.effective_message
    if message is not None and message.text:
        return mask_phones(html.unescape(message.text[:100]))
    if update.callback_query is not None:
        return f"callback {update.callback_query.data}"
    if message is not None and message.contact is not None:
        return "contact"
    return f"update {update.update_id}"
