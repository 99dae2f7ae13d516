"""Registration: `/start CODE` from an invite link, or the person's own shared contact; and
turning away someone removed from the roster, whatever they send (asked by the gate,
handlers/gate.py). Campaigns launched before someone registers are queued to them in the
registration's own transaction (storage/people.py), so a failed welcome message cannot lose
them."""

from __future__ import annotations

from telegram import Chat, ReplyKeyboardRemove, Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers.common import (
    BotContext,
    command_entries,
    contact_keyboard,
    current_actor,
    incoming,
    reply,
    show_commands,
    wake_sender,
)
from messages import render
from storage.access import office_contact
from storage.models import Actor
from storage.people import (
    Registration,
    RegistrationResult,
    person_by_telegram_id,
    register_by_invite,
    register_by_phone,
    roster_is_empty,
)
from storage.phones import normalize_phone

_REFUSALS = {
    Registration.INVALID_CODE: "registration_invalid_code",
    Registration.INACTIVE: "registration_inactive",
    Registration.ACCOUNT_TAKEN: "registration_account_taken",
    Registration.PERSON_TAKEN: "registration_person_taken",
}


async def start(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    if context.args:
        result = await register_by_invite(
            context.db, context.args[0][:64], user.id, context.clock.now()
        )
        await _answer(update, context, result)
        return
    actor = await current_actor(update, context)
    if actor is not None and actor.registered:
        await _greet(update, context, actor, "registration_already")
        return
    # A new installation: whoever runs the server reads here what to put in OFFICE_ADMIN_IDS.
    first_run = not context.config.office_admin_ids and await roster_is_empty(context.db)
    await reply(
        update,
        "registration_ask_contact",
        user_id=user.id,
        first_run=first_run,
        reply_markup=contact_keyboard(),
    )


async def contact(update: Update, context: BotContext) -> None:
    message = incoming(update)
    user = update.effective_user
    shared = message.contact
    if user is None or shared is None:
        return
    if shared.user_id != user.id:
        await reply(update, "registration_not_own_contact", reply_markup=contact_keyboard())
        return
    phone = normalize_phone(shared.phone_number)
    if phone is None:
        await reply(update, "registration_bad_phone", phone=shared.phone_number)
        return
    result = await register_by_phone(context.db, phone, user.id, context.clock.now())
    if result.outcome is Registration.NOT_FOUND:
        await reply(
            update,
            "registration_not_found",
            phone=phone,
            user_id=user.id,
            reply_markup=contact_keyboard(),
        )
        return
    await _answer(update, context, result)


async def _answer(update: Update, context: BotContext, result: RegistrationResult) -> None:
    if result.outcome in (Registration.REGISTERED, Registration.ALREADY):
        actor = await current_actor(update, context)
        try:
            if actor is not None:
                template = (
                    "registration_welcome"
                    if result.outcome is Registration.REGISTERED
                    else "registration_already"
                )
                await _greet(update, context, actor, template)
        finally:
            # The campaigns they missed were queued with the registration, in its transaction:
            # they go out after the welcome, or without it if it failed.
            if result.missed:
                wake_sender(context)
        return
    # An OFFICE_ADMIN_IDS admin may open a stale link; they are in already.
    actor = await current_actor(update, context)
    if actor is not None and actor.is_admin:
        await _greet(update, context, actor, "registration_admin")
        return
    person = result.person
    office = await office_contact(context.db, person.unit_id) if person is not None else None
    await reply(
        update,
        _REFUSALS[result.outcome],
        person=person,
        office=office,
        reply_markup=contact_keyboard(),
    )


async def _greet(update: Update, context: BotContext, actor: Actor, template: str) -> None:
    if actor.is_admin:
        template = "registration_admin"
    await reply(
        update,
        template,
        person=actor.person,
        commands=command_entries(actor.role),
        reply_markup=ReplyKeyboardRemove(),
    )
    await show_commands(context, incoming(update).chat_id, actor.role)


async def turn_away_removed(update: Update, context: BotContext) -> None:
    """Called by the gate (handlers/gate.py) before any flow: someone removed from the
    roster (their row deactivated) is told so and whom to ask, for a command, a message or
    a button alike. Only a way back in passes: an invite link or their contact, for when
    the office has added them again."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or chat.type != Chat.PRIVATE:
        return
    if update.message is None and update.callback_query is None:
        return  # edits, the person blocking the bot…: nothing to answer
    if user.id in context.config.office_admin_ids or _registering(update):
        return
    person = await person_by_telegram_id(context.db, user.id)
    context.sender_row = (user.id, person)
    if person is None or person.active:
        return
    office = await office_contact(context.db, person.unit_id)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await context.bot.send_message(
        chat.id,
        render("registration_inactive", person=person, office=office),
        reply_markup=contact_keyboard(),
    )
    await show_commands(context, chat.id, None)  # the old role's menu goes
    raise ApplicationHandlerStop


def _registering(update: Update) -> bool:
    message = update.message
    if message is None:
        return False
    words = (message.text or "").split()
    return message.contact is not None or (len(words) > 1 and words[0].split("@")[0] == "/start")


def handlers() -> list[BaseHandler[Update, BotContext, object]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("start", start, filters=private),
        MessageHandler(filters.CONTACT & private, contact),
    ]
