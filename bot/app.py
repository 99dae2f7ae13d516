"""Build the Application in one place: config, defaults, rate limiter, storage, handlers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    ContextTypes,
    Defaults,
)

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.errors import on_error
from bot.updates import PerChatUpdateProcessor
from handlers import basics, registration, roster
from handlers.common import BotApplication, BotContext, Services
from messages import set_timezone
from storage.db import Database

HandlerFactory = Callable[[], Sequence[BaseHandler[Update, BotContext, Any]]]

# All handlers share group 0, so the first that matches wins; this list is that order.
# Flows that own a conversation come first (their /huy and catch-alls must win), then
# registration, the per-role commands, and last the catch-all reply.
HANDLER_ORDER: tuple[tuple[str, HandlerFactory], ...] = (
    ("registration", registration.handlers),
    ("roster", roster.handlers),
    ("basics", basics.handlers),
    ("fallback", basics.fallback_handlers),
)


def build_application(config: Config, clock: Clock | None = None) -> BotApplication:
    set_timezone(config.timezone)
    services = Services(config=config, clock=clock or SystemClock())
    context_types = ContextTypes(context=BotContext, bot_data=Services)
    application: BotApplication = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_url)
        .base_file_url(config.file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=config.timezone))
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=config.broadcast_rate, overall_time_period=1, max_retries=3
            )
        )
        .context_types(context_types)
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(_open_storage)
        .post_shutdown(_close_storage)
        .build()
    )
    application.bot_data.config = services.config
    application.bot_data.clock = services.clock
    for _name, factory in HANDLER_ORDER:
        application.add_handlers(list(factory()))
    application.add_error_handler(on_error)
    return application


async def _open_storage(application: Application[Any, Any, Any, Any, Services, Any]) -> None:
    services = application.bot_data
    assert services.config is not None
    services.db = await Database.open(services.config.database_path)


async def _close_storage(application: Application[Any, Any, Any, Any, Services, Any]) -> None:
    services = application.bot_data
    if services.db is not None:
        await services.db.close()
        services.db = None
