"""The front door: every update passes here first (handler group -1, see bot/app.py), once.

In order: anything outside a private chat is answered, once per group, that the bot works in
private chats only, and goes no further; an edited message is never read as an answer (the
person is told how to change one); someone removed from the roster is turned away
(handlers/registration.py); then a button press is parsed (handlers/permissions.py) — data
that is no button of ours gets "no longer valid" — and a press or a command is checked
against the roles its line in the table allows. A refused update stops here
(ApplicationHandlerStop): no handler sees it, no error reaches the admins.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Chat, Message, MessageEntity, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from handlers.common import BotContext, alert, current_actor, refuse_stranger, reply
from handlers.permissions import BUTTONS, command_rule, parse_button
from handlers.registration import turn_away_removed
from messages import render
from storage.chats import first_word_in_group

log = logging.getLogger(__name__)


async def gate(update: Update, context: BotContext) -> None:
    chat, query = update.effective_chat, update.callback_query
    if chat is None:
        if query is not None:  # a press on an inline-mode message: the bot sends none
            await alert(update, "button_expired")
            raise ApplicationHandlerStop
        return
    if chat.type != Chat.PRIVATE:
        await _outside_private(update, context, chat)
        raise ApplicationHandlerStop
    if update.edited_message is not None:
        await _edited(update.edited_message)
        raise ApplicationHandlerStop
    if update.message is None and query is None:
        return  # the person blocking the bot, and the like: nothing to answer
    await turn_away_removed(update, context)  # stops the update for someone removed
    if query is not None:
        await _check_press(update, context, query)
    elif update.message is not None:
        await _check_command(update, context, update.message)


async def _check_press(update: Update, context: BotContext, query: CallbackQuery) -> None:
    button = parse_button(query.data)
    if button is None:
        await alert(update, "button_expired")
        raise ApplicationHandlerStop
    actor = await current_actor(update, context)
    if not BUTTONS[button.kind].permits(actor):
        registered = actor is not None and actor.registered
        await alert(update, "not_allowed_short" if registered else "button_not_registered")
        raise ApplicationHandlerStop
    context.button = button


async def _check_command(update: Update, context: BotContext, message: Message) -> None:
    name = command_name(message, context.bot.username)
    rule = command_rule(name) if name is not None else None
    if name is None or rule is None:
        # Not a command, or one no handler has (tests/test_gate.py checks that every
        # handler's command is in the table): the catch-alls answer it.
        return
    actor = await current_actor(update, context)
    if rule.permits(actor):
        return
    if actor is None or not actor.registered:
        await refuse_stranger(update)
    else:
        await reply(update, "not_allowed", command=name, roles=rule.roles)
    raise ApplicationHandlerStop


def command_name(message: Message, bot_username: str | None) -> str | None:
    """The command a message starts with, as CommandHandler reads it (None: not a command,
    or one addressed to another bot)."""
    entities = message.entities or ()
    if not message.text or not entities:
        return None
    first = entities[0]
    if first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return None
    name, _, addressee = message.parse_entity(first)[1:].partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    return name.lower()


async def _edited(message: Message) -> None:
    """An edit is never an answer: it would be taken for the answer to whatever question is
    open now, not the one the message answered. The person learns how to change one."""
    await message.reply_html(render("edit_not_read"))


async def _outside_private(update: Update, context: BotContext, chat: Chat) -> None:
    """A group, supergroup or channel: said once per chat (remembered across restarts), and
    nothing else: no help, no names, no units."""
    if update.callback_query is not None:
        await alert(update, "private_only_short")
        return
    message = update.message or update.channel_post
    if message is None or message.left_chat_member is not None:
        return
    if not await first_word_in_group(context.db, chat.id, context.clock.now()):
        return
    try:
        await context.bot.send_message(
            chat.id, render("private_only", username=context.bot.username)
        )
    except TelegramError as exc:  # no right to write there: nothing more to do
        log.warning("could not tell group chat %s to write privately: %s", chat.id, exc)


def handlers() -> list[BaseHandler[Update, BotContext, object]]:
    """Run in a group before all others (see bot/app.py)."""
    return [TypeHandler(Update, gate)]
