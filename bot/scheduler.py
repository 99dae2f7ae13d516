"""The database is the schedule: one job wakes the bot when the next scheduled message falls due.

Why one job and not one per reminder: everything that decides a reminder (deadlines, offsets,
who has answered, absences, days off, closing a round) lives in the database and changes all
the time. Per-reminder jobs would be a second copy of the schedule, to be kept in step with
every such change and rebuilt at every start. Instead a due-check asks the database what is due
now, given the clock's now, sends it through the outbox (recording it in the same transaction,
storage/schedule.py), and one job with a fixed id (`JOB_ID`, `replace_existing`) is set for the
next moment something falls due. It is set again after every due-check, at start-up and
whenever the office changes a round (created, deadline moved, closed, reopened: `reschedule`).
A periodic safety job (every `SAFETY_INTERVAL`) runs the due-check too, so a change nobody
reported (a round created by a flow that does not call `reschedule` yet, a day off, an
absence) is picked up within minutes. Both jobs run however late they start
(`misfire_grace_time=None`, coalesced) and are scheduled by delays computed from the clock, so
no naive time is ever read as UTC. A restart or two processes racing cannot send anything twice:
the records in `sent_once` decide, not the jobs.

Sources are pluggable: a `DueSource` says when it next has something due and what is due now
(a `Plan`). bot/reminders.py has reminders and overdue notices (`RoundSchedule`) and the
office's digests (`OfficeDigests`), bot/quarter_prompts.py the quarter-end nomination prompts
(`QuarterPrompts`); a new kind of scheduled message is one more class with these two
methods, added to `default_sources` in bot/reminders.py, recording its messages with its own
`Mark` kinds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from telegram.ext import CallbackContext, JobQueue

from bot.clock import Clock
from storage.db import Database
from storage.schedule import Plan, ScheduleState, commit, load_state

log = logging.getLogger(__name__)

JOB_ID = "due-check"
SAFETY_ID = "due-check-safety"
SAFETY_INTERVAL = timedelta(minutes=5)
# Something still due right after a due-check handled it means a source keeps failing: try
# again after this, not in a tight loop.
RETRY_DELAY = timedelta(minutes=1)
_JOB_KWARGS = {"replace_existing": True, "misfire_grace_time": None, "coalesce": True}


class DueSource(Protocol):
    """One kind of scheduled message."""

    name: str

    async def next_moment(
        self, db: Database, state: ScheduleState, now: datetime
    ) -> datetime | None:
        """When this source next has something due (at or before `now`: due already)."""
        ...

    async def plan(self, db: Database, state: ScheduleState, now: datetime) -> Plan:
        """What is due at `now`: messages with their records, committed in one transaction."""
        ...


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        timezone: ZoneInfo,
        sources: Sequence[DueSource],
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.timezone = timezone
        self.sources = list(sources)
        self.on_queued = on_queued  # the outbox sender's wake-up
        self.job_queue: JobQueue[Any] | None = None
        self._lock = asyncio.Lock()
        self.next_wake: datetime | None = None  # what the one job is set for (None: nothing)

    def _today(self, now: datetime) -> Any:
        return now.astimezone(self.timezone).date()

    async def run_due(self) -> int:
        """Send what is due now; returns how many messages were queued. One source failing
        does not stop the others; its records are not written, so it is tried again."""
        async with self._lock:
            now = self.clock.now()
            state = await load_state(self.db, self._today(now))
            queued = 0
            for source in self.sources:
                try:
                    plan = await source.plan(self.db, state, now)
                    queued += await commit(self.db, plan, now)
                except Exception:
                    log.exception("scheduled messages of %r failed", source.name)
            if queued:
                log.info("due-check queued %d scheduled messages", queued)
                if self.on_queued is not None:
                    self.on_queued()
            return queued

    async def next_moment(self) -> datetime | None:
        """The next moment anything falls due, from the database (the schedule's rebuild)."""
        now = self.clock.now()
        state = await load_state(self.db, self._today(now))
        moments = []
        for source in self.sources:
            try:
                moment = await source.next_moment(self.db, state, now)
            except Exception:
                log.exception("next moment of %r failed", source.name)
                moment = now + RETRY_DELAY
            if moment is not None:
                moments.append(moment)
        return min(moments, default=None)

    # ---- the jobs ---------------------------------------------------------------------

    def attach(self, job_queue: JobQueue[Any]) -> None:
        """Start the safety job; `reschedule` sets the one job for the next moment."""
        self.job_queue = job_queue
        job_queue.run_repeating(
            self._tick, interval=SAFETY_INTERVAL, first=SAFETY_INTERVAL, name=SAFETY_ID,
            job_kwargs={"id": SAFETY_ID, **_JOB_KWARGS},
        )  # fmt: skip

    async def reschedule(self, after_run: bool = False) -> datetime | None:
        """Set the one job for the next moment something falls due (replacing it)."""
        moment = await self.next_moment()
        self.next_wake = moment
        if self.job_queue is None:
            return moment
        if moment is None:
            for job in self.job_queue.get_jobs_by_name(JOB_ID):
                job.schedule_removal()
            return None
        delay = (moment - self.clock.now()).total_seconds()
        if after_run and delay <= 0:
            log.warning("scheduled messages still due after a due-check; retrying shortly")
            delay = RETRY_DELAY.total_seconds()
        self.job_queue.run_once(
            self._tick, when=max(0.0, delay), name=JOB_ID, job_kwargs={"id": JOB_ID, **_JOB_KWARGS}
        )
        return moment

    async def _tick(self, context: CallbackContext[Any, Any, Any, Any]) -> None:
        try:
            await self.run_due()
        finally:
            await self.reschedule(after_run=True)


async def reschedule_soon(scheduler: Scheduler | None) -> None:
    """After the office changed a round: set the job again (a failure only logs; the safety
    job catches up)."""
    if scheduler is None:
        return
    try:
        await scheduler.reschedule()
    except Exception:
        log.exception("could not reschedule the due-check")
