"""The sandbox: the real bot, a stand-in for Telegram, a demo roster and campaign, one process.

`Sandbox.start()` starts, on one event loop:

1. fakegram's `FakeTelegram` on 127.0.0.1 (a free port), dating messages by the bot's clock;
2. the bot exactly as `python -m bot` builds it (`bot.app.build_application`: the same
   handlers, storage, outbox, sender and jobs), its `TELEGRAM_API_URL` and `TELEGRAM_FILE_URL`
   pointed at that server, talking to it over real HTTP with long polling;
3. the page (sandbox/web.py) that plays the roster's people through fakegram's users.

On a new data folder the demo roster is imported, and then, while the page is already up,
the office staff, the principals and one teacher per school register by sharing their contact
in the chat, and the Sở's office launches the demo campaign (sandbox/demo.py). Nothing the bot
does here knows it is a sandbox: the only thing that differs is where its HTTP requests go,
and its clock, a `SettableClock` the page moves forward (`advance`), after which the jobs that
fell due in the skipped time run (`bot.jobs.catch_up`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import Update

from bot.app import build_application
from bot.clock import SettableClock
from bot.config import Config
from bot.jobs import catch_up
from fakegram import TOKEN, FakeTelegram, FakeUser
from handlers.common import BotApplication
from messages import set_timezone
from sandbox import demo
from storage.campaigns import UpcomingDeadline, next_deadline
from storage.db import Database
from storage.models import Person
from storage.ordering import sort_people
from storage.outbox import BroadcastDelivery, recent_deliveries
from storage.people import roster_is_empty
from storage.roster import top_unit_ids

log = logging.getLogger(__name__)

BOT_USERNAME = "thidua_sandbox_bot"
BOT_NAME = "Thi đua (thử nghiệm)"
# Roster person N plays Telegram user PERSON_IDS + N; GUEST_ID is someone not on the roster.
PERSON_IDS = 7_000_000_000
GUEST_ID = PERSON_IDS - 1
GUEST_PHONE = "84987654321"
DATABASE_FILE = "thidua.sqlite3"
CLOCK_FILE = "clock.txt"  # where the sandbox's clock stands, so a restart resumes there
CHATS_FOLDER = "telegram"  # the stand-in's chats and files, so a restart shows them again
REPLY_TIMEOUT = 10.0


@dataclass(frozen=True)
class Player:
    """Someone the page can play: a roster person (or the guest) and their Telegram user."""

    chat_id: int
    person: Person | None  # None: the guest, not on the roster
    user: FakeUser


def international(phone: str) -> str:
    """A roster phone (0912345678) as Telegram shares a contact's number (84912345678)."""
    return "84" + phone[1:] if phone.startswith("0") else phone


class Sandbox:
    def __init__(
        self,
        data_dir: Path,
        *,
        start: datetime | None = None,
        config: Config | None = None,
        prologue: bool = True,
    ) -> None:
        """`data_dir` holds the database, kept files and the clock; a folder without a
        database gets the demo. `start`: where a new clock starts (default: 08:00 next
        Monday). `config`: settings other than the connection, which the sandbox sets.
        `prologue`: register the demo's people and launch the demo campaign on a new folder."""
        self.data_dir = data_dir
        self._start = start
        self._base_config = config or Config(token=TOKEN)
        self._prologue_wanted = prologue
        self.clock: SettableClock | None = None
        self.telegram: FakeTelegram | None = None
        self.application: BotApplication | None = None
        self.config: Config | None = None
        self.ready = asyncio.Event()  # the demo is in place (at once on a folder already used)
        self.resumed = False  # the chats of an earlier run were brought back
        self.listeners: list[Callable[[str], None]] = []  # told "clock", "ready", "roster"
        self._players: dict[int, Player] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._clock_lock = asyncio.Lock()

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        database_path = self.data_dir / DATABASE_FILE
        fresh = not database_path.exists()
        timezone = self._base_config.timezone
        set_timezone(timezone)
        self.clock = clock = SettableClock(self._first_moment(fresh))
        self.telegram = FakeTelegram(
            TOKEN,
            bot_username=BOT_USERNAME,
            bot_name=BOT_NAME,
            clock=lambda: clock.now().timestamp(),
            keep_calls=2000,
        )
        if not fresh:
            self.resumed = self.telegram.load_state(self.data_dir / CHATS_FOLDER)
        await self.telegram.start()
        self.config = dataclasses.replace(
            self._base_config,
            token=TOKEN,
            api_url=self.telegram.api_url,
            file_url=self.telegram.file_url,
            database_path=database_path,
            files_dir=self.data_dir / "files",
            bot_username=BOT_USERNAME,
        )
        application = build_application(self.config, clock)
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0.0, timeout=10, allowed_updates=Update.ALL_TYPES
        )
        await application.start()
        self.application = application
        if await roster_is_empty(self.db):
            await demo.import_roster(self.db, clock.now())
            fresh = True
        await self.refresh_players()
        self._save_clock()
        if fresh and self._prologue_wanted:
            self._spawn(self._prologue())
        else:
            self._mark_ready()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        application, self.application = self.application, None
        if application is not None:
            assert application.updater is not None
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await application.shutdown()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)
        if self.clock is not None:
            self._save_clock()
        if self.telegram is not None:
            self._save_chats()
            await self.telegram.stop()

    @property
    def db(self) -> Database:
        assert self.application is not None and self.application.bot_data.db is not None
        return self.application.bot_data.db

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _tell(self, what: str) -> None:
        for listener in list(self.listeners):
            listener(what)

    def _mark_ready(self) -> None:
        self.ready.set()
        self._tell("ready")

    # ---- the clock ----------------------------------------------------------------------

    def _first_moment(self, fresh: bool) -> datetime:
        if self._start is not None:
            return self._start
        saved = self.data_dir / CLOCK_FILE
        if not fresh and saved.is_file():
            with contextlib.suppress(ValueError):
                moment = datetime.fromisoformat(saved.read_text(encoding="utf-8").strip())
                if moment.tzinfo is not None:
                    return moment
        today = datetime.now(UTC).astimezone(self._base_config.timezone).date()
        return demo.first_morning(today, self._base_config.timezone)

    def _save_clock(self) -> None:
        assert self.clock is not None
        with contextlib.suppress(OSError):
            (self.data_dir / CLOCK_FILE).write_text(self.clock.now().isoformat(), "utf-8")

    def _save_chats(self) -> None:
        assert self.telegram is not None
        try:
            self.telegram.save_state(self.data_dir / CHATS_FOLDER)
        except OSError:
            log.warning("could not save the sandbox's chats", exc_info=True)

    async def advance(self, delta: timedelta) -> timedelta:
        """Move the bot's clock forward by `delta` and run the jobs that fell due."""
        async with self._clock_lock:
            assert self.clock is not None and self.application is not None
            self.clock.advance(delta)
            self._save_clock()
            self._tell("clock")
            ran = await catch_up(self.application, delta)
            log.info("clock moved by %s to %s; %d job(s) caught up", delta, self.clock.now(), ran)
            self._save_chats()
            self._tell("clock")
            return delta

    async def upcoming_deadline(self) -> UpcomingDeadline | None:
        assert self.clock is not None
        return await next_deadline(self.db, self.clock.now())

    async def deliveries(self) -> list[BroadcastDelivery]:
        return await recent_deliveries(self.db)

    # ---- who can be played --------------------------------------------------------------

    async def refresh_players(self) -> list[Player]:
        """Everyone active on the roster, units in tree order and people by given name, then
        the guest; each with the Telegram user the page plays (made on first sight)."""
        assert self.telegram is not None
        people = await demo.roster_people(self.db)
        players: dict[int, Player] = {}
        for person in people:
            chat_id = person.telegram_id or PERSON_IDS + person.id
            given = person.full_name.split()
            user = self.telegram.user(chat_id, given[-1], " ".join(given[:-1]) or None)
            players[chat_id] = Player(chat_id, person, user)
        guest = self.telegram.user(GUEST_ID, "Khách")
        players[GUEST_ID] = Player(GUEST_ID, None, guest)
        self._players = players
        return list(players.values())

    def player(self, chat_id: int) -> Player | None:
        return self._players.get(chat_id)

    async def share_contact(self, player: Player) -> None:
        """The person's own contact, as a reply keyboard's «request_contact» button sends it."""
        phone = international(player.person.phone) if player.person else GUEST_PHONE
        await player.user.share_contact(phone)

    # ---- the demo's first minutes -------------------------------------------------------

    async def _prologue(self) -> None:
        """The office staff, the principals and the first teacher of each school register in
        the chat, then the Sở's office launches the demo campaign."""
        started = time.perf_counter()
        try:
            players = [p for p in await self.refresh_players() if p.person is not None]
            chosen: list[Player] = []
            first_teacher: set[int] = set()
            for player in players:
                assert player.person is not None
                if player.person.role == "teacher":
                    if player.person.unit_id in first_teacher:
                        continue
                    first_teacher.add(player.person.unit_id)
                chosen.append(player)
            await asyncio.gather(*(self._register(player) for player in chosen))
            await self.refresh_players()
            self._tell("roster")
            await self._launch()
        except Exception:
            log.exception("the sandbox's demo could not be set up")
        finally:
            log.info("demo ready in %.2f s", time.perf_counter() - started)
            self._mark_ready()

    async def _register(self, player: Player) -> None:
        assert self.telegram is not None
        before = len(player.user.messages())
        await player.user.send("/start")
        await self._reply_after(player, before)
        before = len(player.user.messages())
        await self.share_contact(player)
        await self._reply_after(player, before)

    async def _reply_after(self, player: Player, count: int) -> None:
        assert self.telegram is not None
        await self.telegram.wait_until(
            lambda: len(player.user.messages()) > count, timeout=REPLY_TIMEOUT
        )

    async def _launch(self) -> None:
        assert self.telegram is not None and self.clock is not None and self.config is not None
        tops = set(await top_unit_ids(self.db))
        offices = [
            p.person
            for p in self._players.values()
            if p.person is not None
            and p.person.role == "office"
            and p.person.unit_id in tops
            and p.person.telegram_id is not None
        ]
        office = next(iter(sort_people(offices, _name)), None)
        if office is None:
            log.warning("no registered office person: the demo campaign is not launched")
            return
        document = self.telegram.add_file(demo.plan_bytes(), demo.PLAN_FILE, "application/pdf")
        plan = demo.PlanDocument(
            document["file_id"],
            demo.PLAN_FILE,
            demo.keep_plan_copy(self.config.files_dir, document["file_unique_id"]),
        )
        now = self.clock.now()
        await demo.launch_demo_campaign(self.db, office=office, start=now, now=now, document=plan)
        sender = self.application.bot_data.sender if self.application else None
        if sender is not None:
            sender.wake()


def _name(person: Person) -> str:
    return person.full_name
