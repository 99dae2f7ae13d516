"""When scheduled messages may go out: reminder moments from a deadline, quiet hours, Sundays
and the office's days off. Pure functions of the time given, so tests move time by hand.

Replies to what a user does are never held back; only what the bot sends on its own schedule
(reminders, overdue notices, digests, quarter-end prompts) goes through `SendingWindow.place`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MORNING = time(7, 30)  # "0d": the morning of the deadline day
_SEARCH_DAYS = 400  # a year of days off in a row is not a schedule any more
_JUST_BEFORE = timedelta(minutes=1)


def reminder_moment(deadline: datetime, offset: timedelta, timezone: ZoneInfo) -> datetime:
    """When the reminder `offset` before `deadline` falls due.

    Whole days count in calendar days and land in the morning (7d = 07:30 seven days before
    the deadline day; 0d = 07:30 on the deadline day, or the deadline itself if it is earlier
    that day). Offsets in hours, minutes or seconds are exact."""
    if offset.total_seconds() % 86400:
        return deadline - offset
    local_deadline = deadline.astimezone(timezone)
    day = local_deadline.date() - timedelta(days=offset.days)
    morning = datetime.combine(day, MORNING, tzinfo=timezone)
    return min(morning, deadline)


@dataclass(frozen=True)
class SendingWindow:
    """When scheduled messages may be sent, in the bot's time zone."""

    timezone: ZoneInfo
    quiet_hours: tuple[time, time] | None = (time(21, 0), time(7, 0))
    quiet_sunday: bool = True
    days_off: frozenset[date] = field(default_factory=frozenset)

    def allows(self, moment: datetime) -> bool:
        local = moment.astimezone(self.timezone)
        return any(start <= local < end for start, end in self._windows(local.date()))

    def next_allowed(self, moment: datetime) -> datetime | None:
        """The first moment at or after `moment` when sending is allowed."""
        local = moment.astimezone(self.timezone)
        for day in _days(local.date(), 1):
            for start, end in self._windows(day):
                if end > local:
                    return max(start, local)
        return None

    def last_allowed_before(self, moment: datetime) -> datetime | None:
        """The last moment before `moment` when sending is allowed (a minute before a quiet
        period starts, or `moment` itself if it is allowed)."""
        local = moment.astimezone(self.timezone)
        for day in _days(local.date(), -1):
            for start, end in reversed(self._windows(day)):
                if start <= local < end:
                    return local
                if end <= local:
                    return max(start, end - _JUST_BEFORE)
        return None

    def place(self, moment: datetime, deadline: datetime | None = None) -> datetime:
        """Where a scheduled message due at `moment` goes: `moment` if sending is allowed then,
        else the end of the quiet period or day off, else — when the deadline would pass
        first — the start of that quiet period (the last allowed moment before it)."""
        if self.allows(moment):
            return moment
        after = self.next_allowed(moment)
        if after is not None and (deadline is None or after < deadline):
            return after
        before = self.last_allowed_before(moment)
        return before if before is not None else moment

    def _windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The allowed stretches of a local day, in order."""
        if day in self.days_off or (self.quiet_sunday and day.isoweekday() == 7):
            return []
        start_of_day = datetime.combine(day, time(0), tzinfo=self.timezone)
        end_of_day = start_of_day + timedelta(days=1)
        if self.quiet_hours is None:
            return [(start_of_day, end_of_day)]
        quiet_from, quiet_to = (datetime.combine(day, t, tzinfo=self.timezone)
                                for t in self.quiet_hours)  # fmt: skip
        if quiet_from == quiet_to:
            return [(start_of_day, end_of_day)]
        if quiet_from > quiet_to:  # wraps midnight: 21:00-07:00 leaves 07:00-21:00
            return [(quiet_to, quiet_from)]
        return [w for w in ((start_of_day, quiet_from), (quiet_to, end_of_day)) if w[0] < w[1]]


def _days(first: date, step: int) -> Iterator[date]:
    for i in range(_SEARCH_DAYS):
        yield first + timedelta(days=i * step)


@dataclass(frozen=True)
class TimeLeft:
    """How a reminder words the time left: `days` whole calendar days until the deadline day
    (0: today, 1: tomorrow), `hours` when less than a day, `overdue` once it has passed."""

    days: int
    hours: int
    overdue: bool
    deadline: datetime


def time_left(now: datetime, deadline: datetime, timezone: ZoneInfo) -> TimeLeft:
    local_now, local_deadline = now.astimezone(timezone), deadline.astimezone(timezone)
    days = (local_deadline.date() - local_now.date()).days
    hours = max(0, int((deadline - now).total_seconds() // 3600))
    return TimeLeft(days=days, hours=hours, overdue=now >= deadline, deadline=deadline)
