"""After the clock jumps forward, run the scheduled work that fell due in the skipped time.

The application's jobs (its JobQueue) are timed by the wall clock, while the bot's business
time comes from its injectable clock (bot/clock.py). In production both run together. The
sandbox's clock (`SettableClock`) is moved forward by hand as well: an hour, a day, past the
next deadline. Whoever moves it calls `catch_up(application, moved)`, which runs now, once,
every job that would have run in that time, as though the time had passed:

- a repeating job runs once (it reads the clock itself, as every job here does: the
  reminders' due-check asks the database what is due at the clock's now), and keeps its
  schedule;
- a one-off job runs instead of at its time: it is taken off the queue first, so a job that
  sets itself again under the same id (the due-check does) is not removed with it.

Nothing here knows which jobs exist; a new kind of scheduled work is caught up as it is.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.date import DateTrigger
from telegram.ext import Application, Job

log = logging.getLogger(__name__)

# A job set for exactly the moment the clock is moved to is due: the wall clock moved on a
# little between computing the jump and reading the jobs.
MARGIN = timedelta(seconds=1)


async def catch_up(
    application: Application[Any, Any, Any, Any, Any, Any], moved: timedelta
) -> int:
    """Run, oldest first, each job that would have run had `moved` of time passed just now;
    returns how many ran. Jobs run one after the other, each awaited to its end, so what they
    queue is queued when this returns."""
    queue = application.job_queue
    if queue is None or moved < timedelta(0):
        return 0
    horizon = datetime.now(UTC) + moved + MARGIN
    due: list[tuple[datetime, Job[Any]]] = []
    for job in queue.jobs():
        # A paused job has no next time (PTB's `enabled` only echoes its own setter).
        next_t = None if job.removed else job.next_t
        if next_t is not None and next_t <= horizon:
            due.append((next_t, job))
    due.sort(key=lambda pair: pair[0])
    for _, job in due:
        if isinstance(job.job.trigger, DateTrigger):
            job.schedule_removal()
        log.info("clock moved by %s: running job %r now", moved, job.name)
        await job.run(application)
    return len(due)
