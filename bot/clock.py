"""The one source of 'now', injectable so time-based behaviour is tested without sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment


class SettableClock:
    """Real time from a chosen moment on, which can be moved forward by hand: the sandbox's
    clock (`python -m bot sandbox`). It runs like the system clock between moves, so the bot
    reads it like any other clock; whoever moves it then calls `bot.jobs.catch_up`, so that
    scheduled work that fell due in the skipped time runs now."""

    def __init__(self, start: datetime, monotonic: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError("SettableClock needs an aware datetime")
        self._monotonic = monotonic
        self._start = start
        self._mark = monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._monotonic() - self._mark)

    def advance(self, delta: timedelta) -> None:
        """Move forward by `delta` (time never runs backwards: a negative delta is refused)."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        self._start += delta

    def advance_to(self, moment: datetime) -> timedelta:
        """Move forward to `moment` (a moment already past leaves the clock as it is); returns
        how far it moved."""
        delta = max(moment - self.now(), timedelta(0))
        self.advance(delta)
        return delta
