"""The real Application, running against the fake Bot API server over HTTP."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from bot.app import build_application
from bot.clock import FakeClock
from bot.config import Config
from handlers.common import BotApplication
from storage.db import Database
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.helpers import NOW

ADMIN_ID = 900_001


class RunningBot:
    """Starts and stops the bot the way `run_polling` does, so a test can restart it."""

    def __init__(self, telegram: FakeTelegram, tmp_path: Path, **settings: Any) -> None:
        self.telegram = telegram
        self.clock = FakeClock(NOW)
        self.config = dataclasses.replace(
            Config(token=TOKEN),
            api_url=telegram.api_url,
            file_url=telegram.file_url,
            database_path=tmp_path / "bot.sqlite3",
            files_dir=tmp_path / "files",
            office_admin_ids=frozenset({ADMIN_ID}),
            broadcast_rate=1000.0,
            **settings,
        )
        self.app: BotApplication | None = None

    @property
    def db(self) -> Database:
        assert self.app is not None and self.app.bot_data.db is not None
        return self.app.bot_data.db

    async def start(self) -> None:
        app = build_application(self.config, self.clock)
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await app.start()
        self.app = app

    async def stop(self) -> None:
        app, self.app = self.app, None
        if app is None:
            return
        assert app.updater is not None
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)

    async def restart(self) -> None:
        await self.stop()
        await self.start()
