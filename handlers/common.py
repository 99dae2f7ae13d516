"""What every handler needs: the typed context, the sender as an Actor, and replies."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    ExtBot,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.clock import Clock, SystemClock
from bot.commands import commands_for
from bot.config import Config
from bot.scheduler import Scheduler, reschedule_soon
from bot.sender import OutboxSender
from handlers.permissions import Button
from messages import label, render, render_text
from storage.access import actor_for, actor_of
from storage.db import Database
from storage.models import Actor, Person, Role

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Shared dependencies, set when the application is built and opened (post_init)."""

    config: Config | None = None
    clock: Clock = field(default_factory=SystemClock)
    db: Database | None = None
    sender: OutboxSender | None = None  # drains the outbox; started in post_init
    scheduler: Scheduler | None = None  # reminders and digests (bot/scheduler.py)


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], Services]):
    """A CallbackContext with typed services instead of string keys into bot_data."""

    # The sender's roster row as the gate read it (handlers/registration.py): one context
    # serves every handler group of an update, so current_actor need not read it again.
    sender_row: tuple[int, Person | None] | None = None
    # The button pressed, as the gate parsed and allowed it (handlers/gate.py).
    button: Button | None = None

    @property
    def services(self) -> Services:
        return self.bot_data

    @property
    def db(self) -> Database:
        if self.bot_data.db is None:
            raise RuntimeError("database is not open yet (post_init has not run)")
        return self.bot_data.db

    @property
    def config(self) -> Config:
        if self.bot_data.config is None:
            raise RuntimeError("configuration missing from the application")
        return self.bot_data.config

    @property
    def clock(self) -> Clock:
        return self.bot_data.clock


BotApplication = Application[Any, BotContext, dict[Any, Any], dict[Any, Any], Services, Any]


def incoming(update: Update) -> Message:
    """The message an update carries; handlers are only registered for updates that have one."""
    message = update.effective_message
    if message is None:
        raise ValueError(f"update {update.update_id} carries no message")
    return message


async def current_actor(update: Update, context: BotContext) -> Actor | None:
    user = update.effective_user
    if user is None:
        return None
    admins = context.config.office_admin_ids
    if context.sender_row is not None and context.sender_row[0] == user.id:
        return actor_of(user.id, context.sender_row[1], admins)
    return await actor_for(context.db, user.id, admins)


_ANSWERED: set[str] = set()  # callback queries already answered (Telegram takes one answer)


def _first_answer(query_id: str) -> bool:
    """True the first time a press is answered (then it is recorded as answered)."""
    if query_id in _ANSWERED:
        return False
    if len(_ANSWERED) > 10_000:
        _ANSWERED.clear()
    _ANSWERED.add(query_id)
    return True


async def say(
    update: Update, template: str, keyboard: InlineKeyboardMarkup | None = None, **values: Any
) -> Message:
    """Reply to a message or a button press with a new message; a press is answered once,
    however many messages the handler sends (the old buttons stay, as history)."""
    query = update.callback_query
    if query is not None:
        if _first_answer(query.id):
            await query.answer()
        if isinstance(query.message, Message):
            return await query.message.reply_html(
                render(template, **values), reply_markup=keyboard
            )
    return await incoming(update).reply_html(render(template, **values), reply_markup=keyboard)


async def alert(update: Update, template: str, **values: Any) -> None:
    """Answer a button press with an alert (a refusal, a stale button): nothing is sent to
    the chat. Only the first answer of a press counts, as in `say`."""
    query = update.callback_query
    if query is not None and _first_answer(query.id):
        await query.answer(render_text(template, **values), show_alert=True)


Visibility = Callable[[Database, Actor, int], Awaitable[bool]]  # a storage.visibility question


async def seeing(
    update: Update, context: BotContext, may_see: Visibility, object_id: int
) -> Actor | None:
    """The presser, if they may see what the button names (a storage.visibility question);
    else an alert, and nothing about it has been read."""
    actor = await current_actor(update, context)
    if actor is None or not await may_see(context.db, actor, object_id):
        await alert(update, "not_allowed_short")
        return None
    return actor


async def not_allowed(update: Update) -> None:
    """Refuse the sender: an alert under a button, a message otherwise."""
    if update.callback_query is not None:
        await alert(update, "not_allowed_short")
    else:
        await say(update, "not_allowed_short")


async def office_actor(update: Update, context: BotContext) -> Actor | None:
    """The sender, if an office (an admin counts); otherwise refused (`not_allowed`) and
    None. The gate checks a button's roles first: this catches a role lost since, and what
    the gate does not check (a typed answer inside a flow)."""
    actor = await current_actor(update, context)
    if actor is None or actor.role != "office":
        await not_allowed(update)
        return None
    return actor


def button_of(context: BotContext) -> Button:
    """The button pressed, parsed and allowed by the gate (handlers/gate.py)."""
    if context.button is None:
        raise ValueError("no button press was parsed for this update")
    return context.button


async def answer_once(update: Update) -> None:
    """Answer a button press unless something already did (Telegram takes one answer)."""
    query = update.callback_query
    if query is not None and _first_answer(query.id):
        await query.answer()


async def drop_buttons(update: Update, what: str) -> None:
    """Take the buttons off the message pressed (a preview, once its action is done), so an
    old one is not pressed again by mistake; a failure only logs, naming `what` it was."""
    query = update.callback_query
    if query is not None and isinstance(query.message, Message):
        try:
            await query.message.edit_reply_markup(None)
        except TelegramError as exc:
            log.warning("could not remove the buttons of %s: %s", what, exc)


def inline_keyboard(*rows: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    """Buttons under a message, from rows of (label, callback data); an empty row is left
    out."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row]
         for row in rows if row]
    )  # fmt: skip


def contact_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(label("share_contact"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def pressed(update: Update) -> str:
    """The data of the button pressed ("" when the update is not a button press). The gate
    has checked it; its fields, typed and bounded, are `button_of(context)`."""
    query = update.callback_query
    return (query.data or "") if query is not None else ""


def wake_sender(context: BotContext) -> None:
    """New outbox rows: the sender looks at once instead of at its next poll."""
    if context.services.sender is not None:
        context.services.sender.wake()


async def reschedule(context: BotContext) -> None:
    """A round was created, moved, closed or reopened: the scheduled messages' job is set
    again from the database (bot/scheduler.py)."""
    await reschedule_soon(context.services.scheduler)


async def reply(update: Update, template: str, **values: Any) -> Message:
    reply_markup = values.pop("reply_markup", None)
    return await incoming(update).reply_html(render(template, **values), reply_markup=reply_markup)


def command_entries(role: Role | None) -> list[dict[str, str]]:
    return [{"name": c.name, "description": c.description} for c in commands_for(role)]


async def show_commands(context: BotContext, chat_id: int, role: Role | None) -> None:
    """The chat's command menu shows only what this person may use."""
    commands = [BotCommand(c.name, c.description) for c in commands_for(role)]
    try:
        await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        # The menu is a convenience; the greeting already lists the commands.
        log.warning("could not set the command menu of chat %s: %s", chat_id, exc)


async def refuse_stranger(update: Update) -> None:
    """Someone the bot does not know: how to register, and their Telegram user id."""
    user = update.effective_user
    await reply(
        update, "not_registered", user_id=user.id if user else 0, reply_markup=contact_keyboard()
    )


Handler = Callable[[Update, BotContext], Awaitable[Any]]
H = TypeVar("H", bound=Handler)
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, object]]


def require_role(*roles: Role) -> Callable[[H], H]:
    """Refuse, with a message, anyone who is not registered or not of these roles. The gate
    (handlers/gate.py) refuses them first, from its table; this is the second line, and
    tests/test_gate.py checks that both name the same roles."""

    def decorate(handler: H) -> H:
        @wraps(handler)
        async def guarded(update: Update, context: BotContext) -> Any:
            actor = await current_actor(update, context)
            if actor is None or not actor.registered:
                await refuse_stranger(update)
                return None
            if actor.role not in roles:
                message = incoming(update)
                command = (message.text or "/").split()[0].lstrip("/").split("@")[0]
                await reply(update, "not_allowed", command=command, roles=roles)
                return None
            return await handler(update, context)

        guarded.required_roles = roles  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


async def busy(update: Update, context: BotContext) -> None:
    """Any other command while a flow waits for an answer."""
    await say(update, "launch_busy")


def stay(step: object, template: str) -> Callback:
    """A catch-all for a flow state: say what kind of answer is expected, keep the state."""

    async def handler(update: Update, context: BotContext) -> object:
        await say(update, template)
        return step

    return handler


def typed_step(
    step: object, handler: Callback, expect: str = "launch_expect_text"
) -> list[BaseHandler[Update, BotContext, Any]]:
    """A flow state answered by typing: `handler` takes the text; anything else but a command
    is told what is expected (`expect`) and the state kept."""
    return [
        MessageHandler(filters.TEXT & ~filters.COMMAND, handler),
        MessageHandler(~filters.COMMAND, stay(step, expect)),
    ]


def button_step(
    step: object, *buttons: tuple[str, Callback], expect: str = "launch_expect_button"
) -> list[BaseHandler[Update, BotContext, Any]]:
    """A flow state answered by a button: each (pattern, handler); anything typed or sent
    instead (not a command) is told what is expected and the state kept."""
    handlers: list[BaseHandler[Update, BotContext, Any]] = [
        CallbackQueryHandler(handler, pattern=pattern) for pattern, handler in buttons
    ]
    handlers.append(MessageHandler(~filters.COMMAND, stay(step, expect)))
    return handlers


def flow_conversation(
    name: str,
    entry_points: list[BaseHandler[Update, BotContext, Any]],
    states: dict[object, list[BaseHandler[Update, BotContext, Any]]],
    cancel: Callback,
) -> ConversationHandler[BotContext]:
    """A persistent conversation with /huy from any state and a reply to other commands.

    Tracked per chat on purpose: one draft per person and flow, and every button names what
    it is for, so PTB's per_message tracking (and its warning) would add nothing.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        return ConversationHandler(
            entry_points=entry_points,
            states=states,
            fallbacks=[CommandHandler("huy", cancel), MessageHandler(filters.COMMAND, busy)],
            name=name,
            persistent=True,
            allow_reentry=True,
        )
