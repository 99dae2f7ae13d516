from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.fake_telegram import FakeTelegram
from tests.harness import RunningBot


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "test.sqlite3")
    yield database
    await database.close()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[RunningBot]:
    running = RunningBot(telegram, tmp_path)
    await running.start()
    yield running
    await running.stop()
