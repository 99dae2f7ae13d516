"""What a person sees of the bot before /start: its descriptions and the default command menu.

Set at every start-up from the templates, so a new release's texts reach Telegram; a failure
only logs a warning (the bot works without them).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, BotCommand, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.commands import commands_for
from messages import render_text

log = logging.getLogger(__name__)

# Telegram's limits (Bot API: setMyDescription, setMyShortDescription, BotCommand).
MAX_DESCRIPTION = 512
MAX_SHORT_DESCRIPTION = 120


def description() -> str:
    """Shown in an empty chat with the bot, above the «Bắt đầu» button."""
    return render_text("bot_description")


def short_description() -> str:
    """Shown on the bot's profile page and when the bot is shared."""
    return render_text("bot_short_description")


def default_commands() -> list[BotCommand]:
    """The menu of anyone the bot does not know yet: what an unregistered person may use."""
    return [BotCommand(c.name, c.description) for c in commands_for(None)]


async def publish_profile(bot: Bot) -> None:
    steps: tuple[tuple[str, Callable[[], Awaitable[bool]]], ...] = (
        ("description", lambda: bot.set_my_description(description=description())),
        (
            "short description",
            lambda: bot.set_my_short_description(short_description=short_description()),
        ),
        (
            "default commands",
            lambda: bot.set_my_commands(default_commands(), scope=BotCommandScopeDefault()),
        ),
    )
    for what, request in steps:
        try:
            await request()
        except TelegramError as exc:
            log.warning("could not set the bot's %s: %s", what, exc)
