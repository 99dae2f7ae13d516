"""The settable clock and `bot.jobs.catch_up`: after the clock jumps, the jobs that fell due in
the skipped time run, once, and nothing else does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram.ext import Application, ApplicationBuilder, CallbackContext

from bot.clock import SettableClock
from bot.jobs import catch_up
from fakegram import TOKEN, FakeTelegram

START = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_the_settable_clock_runs_and_moves_forward_only() -> None:
    ticks = [100.0]
    clock = SettableClock(START, monotonic=lambda: ticks[0])
    assert clock.now() == START
    ticks[0] += 90
    assert clock.now() == START + timedelta(seconds=90)  # it runs like real time
    clock.advance(timedelta(days=1))
    assert clock.now() == START + timedelta(days=1, seconds=90)
    with pytest.raises(ValueError):
        clock.advance(timedelta(seconds=-1))
    assert clock.advance_to(START) == timedelta(0)  # already past: stays
    moved = clock.advance_to(START + timedelta(days=2))
    assert moved == timedelta(days=1, seconds=-90) and clock.now() == START + timedelta(days=2)
    with pytest.raises(ValueError):
        SettableClock(datetime(2026, 12, 7, 8, 0))


@pytest.fixture
async def application(
    telegram: FakeTelegram,
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(telegram.api_url)
        .base_file_url(telegram.file_url)
        .updater(None)
        .build()
    )
    await app.initialize()
    await app.start()
    yield app
    await app.stop()
    await app.shutdown()


async def test_jobs_due_in_the_skipped_time_run_once(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> None:
    queue = application.job_queue
    assert queue is not None
    ran: list[str] = []

    async def note(context: CallbackContext[Any, Any, Any, Any]) -> None:
        assert context.job is not None
        ran.append(str(context.job.name))

    queue.run_once(note, when=timedelta(hours=3), name="in 3 hours")
    queue.run_once(note, when=timedelta(days=2), name="in 2 days")
    queue.run_repeating(note, interval=timedelta(minutes=5), name="every 5 minutes")

    assert await catch_up(application, timedelta(minutes=1)) == 0
    assert ran == []
    assert await catch_up(application, timedelta(hours=4)) == 2
    assert ran == ["every 5 minutes", "in 3 hours"]  # in the order they would have run
    names = sorted(job.name or "" for job in queue.jobs())
    assert names == ["every 5 minutes", "in 2 days"]  # a one-off runs once; the rest stay
    assert await catch_up(application, timedelta(hours=4)) == 1  # the repeating one, once
    assert await catch_up(application, timedelta(days=3)) == 2
    assert ran[-2:] == ["every 5 minutes", "in 2 days"]
    assert await catch_up(application, timedelta(days=-1)) == 0


async def test_a_job_that_sets_itself_again_under_its_id_survives(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> None:
    """The reminders' due-check sets its one job again, same id, at the end of each run."""
    queue = application.job_queue
    assert queue is not None
    runs: list[datetime] = []
    kwargs = {"id": "due-check", "replace_existing": True}

    async def due_check(context: CallbackContext[Any, Any, Any, Any]) -> None:
        runs.append(datetime.now(UTC))
        queue.run_once(due_check, when=timedelta(hours=1), name="due-check", job_kwargs=kwargs)

    queue.run_once(due_check, when=timedelta(hours=1), name="due-check", job_kwargs=kwargs)
    assert await catch_up(application, timedelta(hours=2)) == 1
    assert len(runs) == 1
    assert [job.name for job in queue.jobs()] == ["due-check"]  # set again, not removed
    assert await catch_up(application, timedelta(hours=2)) == 1
    assert len(runs) == 2
