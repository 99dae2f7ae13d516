"""Quarters (quý) as offices count them: by the calendar date in the bot's time zone.

A nomination belongs to the quarter of the day it is filed, so 31/03 23:59 and 01/04 00:00 in
Asia/Ho_Chi_Minh are quý I and quý II even though both are 16:59 and 17:00 UTC on 31/03. Pure
functions of the moment given: the quarter-end prompts (the reminders scheduler) use the same
first and last days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ROMAN = ("I", "II", "III", "IV")
# An office may still file for the quarter just ended during the first days of the next one.
LATE_FILING_DAYS = 10


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter {self.number} does not exist")

    @property
    def roman(self) -> str:
        return ROMAN[self.number - 1]

    @property
    def label(self) -> str:
        """As written in documents: "III/2026" (texts put "quý" before it)."""
        return f"{self.roman}/{self.year}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def starts_at(self, timezone: ZoneInfo) -> datetime:
        """Midnight of its first day in the bot's time zone."""
        return datetime.combine(self.first_day, time(0, 0), tzinfo=timezone)

    def ends_at(self, timezone: ZoneInfo) -> datetime:
        """Midnight after its last day (the next quarter's start): the quarter is the moments
        `starts_at <= t < ends_at`."""
        return self.next().starts_at(timezone)

    def next(self) -> Quarter:
        if self.number == 4:
            return Quarter(self.year + 1, 1)
        return Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        if self.number == 1:
            return Quarter(self.year - 1, 4)
        return Quarter(self.year, self.number - 1)

    def before(self, count: int) -> list[Quarter]:
        """The `count` quarters before this one, nearest first."""
        quarters, current = [], self
        for _ in range(count):
            current = current.previous()
            quarters.append(current)
        return quarters

    @property
    def key(self) -> int:
        """One number that orders quarters (year * 10 + quarter), as stored and in buttons."""
        return self.year * 10 + self.number

    @classmethod
    def from_key(cls, key: int) -> Quarter:
        return cls(key // 10, key % 10)


def quarter_of_day(day: date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


def quarter_of(moment: datetime, timezone: ZoneInfo) -> Quarter:
    """The quarter of a moment, by its date in the bot's time zone."""
    if moment.tzinfo is None:
        raise ValueError("quarter_of needs an aware datetime")
    return quarter_of_day(moment.astimezone(timezone).date())


def filing_quarters(moment: datetime, timezone: ZoneInfo, *, office: bool) -> list[Quarter]:
    """The quarters someone may file a nomination for now, the current one first: a principal
    files for the current quarter; an office also for the one just ended during the first
    LATE_FILING_DAYS days of the next."""
    current = quarter_of(moment, timezone)
    day = moment.astimezone(timezone).date()
    if office and (day - current.first_day).days < LATE_FILING_DAYS:
        return [current, current.previous()]
    return [current]


def days_left(moment: datetime, timezone: ZoneInfo) -> int:
    """Whole days from the moment's date to the last day of its quarter (0 on the last day):
    "ten days and three days before the quarter ends" are days_left == 10 and == 3."""
    day = moment.astimezone(timezone).date()
    return (quarter_of_day(day).last_day - day).days
