"""Build the Application in one place: config, defaults, rate limiter, storage, handlers."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    ContextTypes,
    Defaults,
)

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.errors import on_error
from bot.persistence import SQLitePersistence, save_states_handler
from bot.profile import publish_profile
from bot.reminders import default_sources
from bot.retry import RetryingRequest
from bot.scheduler import Scheduler
from bot.sender import DEFAULT_MAX_IN_FLIGHT, OutboxAwareRateLimiter, OutboxSender
from bot.updates import MAX_CONCURRENT_UPDATES, PerChatUpdateProcessor
from handlers import (
    absences,
    announce,
    basics,
    campaign_buttons,
    campaign_launch,
    dossiers,
    exports,
    gate,
    nominate,
    nomination_review,
    progress,
    registration,
    reminders,
    report_review,
    reports,
    roster,
    round_close,
    round_deadline,
)
from handlers.common import BotApplication, BotContext, Services
from messages import set_timezone
from storage.db import SharedDatabase
from storage.uploads import expire_uploads

HandlerFactory = Callable[[], Sequence[BaseHandler[Update, BotContext, Any]]]

# All handlers share group 0, so the first that matches wins; this list is that order.
# Conversations come first: they only take their entry command or button or a chat already
# inside them, whose /huy, documents and catch-alls must win (report_review also holds its
# buttons, and round_close's buttons sit among them: no flow takes those). Then registration,
# the buttons under broadcast messages, the per-role commands and their buttons, and last the
# catch-all reply.
HANDLER_ORDER: tuple[tuple[str, HandlerFactory], ...] = (
    ("campaign_launch", campaign_launch.handlers),
    ("announce", announce.handlers),
    ("reports", reports.handlers),
    ("report_review", report_review.handlers),
    ("round_deadline", round_deadline.handlers),
    ("absence_flows", absences.conversations),
    ("round_close", round_close.handlers),
    ("nominate", nominate.handlers),
    ("nomination_review", nomination_review.handlers),
    ("dossiers", dossiers.handlers),
    ("registration", registration.handlers),
    ("campaign_buttons", campaign_buttons.handlers),
    ("progress", progress.handlers),
    ("reminders", reminders.handlers),
    ("absences", absences.handlers),
    ("exports", exports.handlers),
    ("roster", roster.handlers),
    ("basics", basics.handlers),
    ("fallback", basics.fallback_handlers),
)
# Group -1 sees every update first, once: group chats, edited messages, someone removed from
# the roster, and who may use which command or button (handlers/gate.py); what it refuses
# goes no further.
GATE_GROUP = -1
# Group 1 runs after whichever group-0 handler took the update.
SAVE_STATES_GROUP = 1
POOL_TIMEOUT = 30.0  # seconds a request may wait for a free HTTP connection


def build_application(config: Config, clock: Clock | None = None) -> BotApplication:
    set_timezone(config.timezone)
    services = Services(config=config, clock=clock or SystemClock())
    database = SharedDatabase(config.database_path)
    context_types = ContextTypes(context=BotContext, bot_data=Services)
    application: BotApplication = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_url)
        .base_file_url(config.file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=config.timezone))
        # BROADCAST_RATE is the whole bot's budget: the outbox sender paces itself to it and
        # interactive replies share it through this limiter, so during a broadcast a reply
        # waits behind a few of the sender's requests at most. Interactive requests are retried
        # here after a 429; the sender's are not (it pauses itself and puts the row back), so
        # each 429 is waited out once, by whoever owns the request (see bot/sender.py).
        .rate_limiter(
            OutboxAwareRateLimiter(
                overall_max_rate=config.broadcast_rate, overall_time_period=1, max_retries=3
            )
        )
        .context_types(context_types)
        .persistence(SQLitePersistence(database))
        .concurrent_updates(PerChatUpdateProcessor(MAX_CONCURRENT_UPDATES))
        # Enough connections for every update in flight and the outbox sender's requests, so
        # none waits for one (bot/updates.py says why not more); if it ever must, it waits
        # rather than failing after PTB's default second. Downloads retry like replies.
        .request(
            RetryingRequest(
                MAX_CONCURRENT_UPDATES + DEFAULT_MAX_IN_FLIGHT + 8, pool_timeout=POOL_TIMEOUT
            )
        )
        .post_init(_opener(database))
        .post_shutdown(_closer(database))
        .build()
    )
    application.bot_data.config = services.config
    application.bot_data.clock = services.clock
    application.add_handlers(gate.handlers(), group=GATE_GROUP)
    for _name, factory in HANDLER_ORDER:
        application.add_handlers(list(factory()))
    application.add_handler(save_states_handler(), group=SAVE_STATES_GROUP)
    application.add_error_handler(on_error)
    return application


StorageHook = Callable[[Application[Any, Any, Any, Any, Services, Any]], Coroutine[Any, Any, None]]


def _opener(database: SharedDatabase) -> StorageHook:
    async def open_storage(application: Application[Any, Any, Any, Any, Services, Any]) -> None:
        services = application.bot_data
        assert services.config is not None
        services.db = await database.get()
        services.sender = OutboxSender(
            services.db, rate=services.config.broadcast_rate, clock=services.clock
        )
        services.sender.start(application)
        await expire_uploads(services.db, services.clock.now())  # roster files left a day
        # Reminders, overdue notices and digests: the database is the schedule; one job
        # wakes the bot at the next moment something falls due (bot/scheduler.py).
        config = services.config
        services.scheduler = Scheduler(
            services.db, services.clock, config.timezone, default_sources(config),
            on_queued=services.sender.wake,
        )  # fmt: skip
        if application.job_queue is not None:
            services.scheduler.attach(application.job_queue)
        await services.scheduler.reschedule()
        # What a person sees before /start; a failure only logs a warning.
        await publish_profile(application.bot)

    return open_storage


def _closer(database: SharedDatabase) -> StorageHook:
    async def close_storage(application: Application[Any, Any, Any, Any, Services, Any]) -> None:
        services = application.bot_data
        services.scheduler = None  # its jobs stopped with the application
        if services.sender is not None:  # before the database closes under its last rows
            await services.sender.stop()
            services.sender = None
        services.db = None
        await database.close()

    return close_storage
