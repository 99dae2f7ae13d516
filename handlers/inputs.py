"""Parsing what people type: dates, periods, deadlines, targets, reminder offsets. Errors name
a template."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.reminder_offsets import OffsetsError, parse_offsets
from bot.reminder_times import reminder_moment
from storage.campaigns import Target
from storage.text import strip_invisible

_DATE = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_TIME = re.compile(r"(\d{1,2})\s*[:hg]\s*(\d{2})?")
# A date with no time is due at the end of that day, as "hạn nộp ngày 25/01" is read.
END_OF_DAY = time(23, 59)


@dataclass
class InputError(Exception):
    """What was wrong with an answer: the template that explains it and its values."""

    template: str
    values: dict[str, Any] = field(default_factory=dict)


def parse_date(text: str) -> date:
    match = _DATE.fullmatch(strip_invisible(text))
    if match is None:
        raise InputError("input_bad_date", {"text": text})
    return _make_date(*match.groups())


def _make_date(day: str, month: str, year: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError as exc:
        shown = f"{int(day):02d}/{int(month):02d}/{year}"
        raise InputError("input_impossible_date", {"text": shown}) from exc


def parse_period(text: str) -> tuple[date, date]:
    """'01/09/2023 - 31/05/2024', 'từ 01/09/2023 đến 31/05/2024'."""
    found = _DATE.findall(text)
    if len(found) != 2:
        raise InputError("input_bad_period", {"text": text})
    start, end = (_make_date(*groups) for groups in found)
    if end < start:
        raise InputError("input_period_reversed", {"start": start, "end": end})
    return start, end


def parse_deadline(text: str, timezone: ZoneInfo, now: datetime) -> datetime:
    """'25/01/2024' (end of that day) or '25/01/2024 17:00'; must be in the future."""
    text = strip_invisible(text)
    match = _DATE.match(text)
    if match is None:
        raise InputError("input_bad_deadline", {"text": text})
    day = _make_date(*match.groups())
    rest = text[match.end() :].strip().removeprefix("lúc").strip()
    moment = END_OF_DAY
    if rest:
        time_match = _TIME.fullmatch(rest)
        if time_match is None:
            raise InputError("input_bad_deadline", {"text": text})
        hour, minute = int(time_match[1]), int(time_match[2] or 0)
        if hour > 23 or minute > 59:
            raise InputError("input_bad_time", {"text": rest})
        moment = time(hour, minute)
    deadline = datetime.combine(day, moment, tzinfo=timezone)
    if deadline <= now:
        raise InputError("input_deadline_past", {"deadline": deadline, "now": now})
    return deadline


_TARGET_NUMBER = re.compile(r"(\d+(?:[.,]\d+)?)\s*(%|phần trăm)?")


def parse_targets(text: str) -> list[Target]:
    """One target per line; a leading '-', '•' or '1.' is dropped; the first number with an
    optional % becomes the target's value ('100% cán bộ tham gia' → 100 %)."""
    targets = []
    for raw in text.splitlines():
        line = strip_invisible(re.sub(r"^(?:[-•*+]|\d+[.)])(?:\s+|$)", "", strip_invisible(raw)))
        if not line:
            continue
        if len(line) > 300:
            raise InputError("input_target_too_long", {"limit": 300})
        match = _TARGET_NUMBER.search(line)
        value = unit = None
        if match is not None:
            value = float(match[1].replace(",", "."))
            unit = "%" if match[2] else None
            if unit == "%" and not 0 <= value <= 100:
                raise InputError("input_percent_range", {"text": line})
        targets.append(Target(line, value, unit))
    if not targets:
        raise InputError("input_no_targets")
    if len(targets) > 20:
        raise InputError("input_too_many_targets", {"limit": 20})
    return targets


def check_length(text: str, minimum: int, maximum: int) -> str:
    """The text without what shows nothing at its ends (white space, zero-width spaces…), if
    its length is within the bounds; a text of only such characters is too short."""
    text = strip_invisible(text)
    if len(text) < minimum:
        raise InputError("input_too_short", {"minimum": minimum})
    if len(text) > maximum:
        raise InputError("input_too_long", {"maximum": maximum, "length": len(text)})
    return text


MAX_OFFSETS = 10  # reminders of one round: the bot sends at most one message a day anyway
MAX_OFFSET_DAYS = 366
# What an office types to turn a round's reminders off, which the schedule cannot do yet.
_OFF = re.compile(r"(?:tắt|tat|không|khong|off|0)(?:\s+(?:nhắc|nhac)(?:\s+(?:nhở|nho))?)?")


def parse_round_offsets(
    text: str, deadline: datetime, timezone: ZoneInfo, now: datetime
) -> tuple[timedelta, ...]:
    """A round's own reminder offsets, in REMINDER_OFFSETS' grammar ('5d,1d', '5, 1 ngày',
    '2 giờ', bot/reminder_offsets.py): at most MAX_OFFSETS, none over a year, and at least one
    still ahead of `now` for this deadline."""
    written = strip_invisible(text)
    if _OFF.fullmatch(unicodedata.normalize("NFC", written).lower()):
        raise InputError("input_offsets_off")
    try:
        offsets = parse_offsets(written)
    except OffsetsError as error:
        raise InputError("input_bad_offsets", {"text": error.part}) from error
    if len(offsets) > MAX_OFFSETS:
        raise InputError("input_too_many_offsets", {"limit": MAX_OFFSETS})
    if offsets[0] > timedelta(days=MAX_OFFSET_DAYS):
        raise InputError("input_offset_too_far", {"limit": MAX_OFFSET_DAYS})
    if all(reminder_moment(deadline, o, timezone) <= now for o in offsets):
        raise InputError("input_offsets_passed", {"deadline": deadline, "offsets": offsets})
    return offsets
