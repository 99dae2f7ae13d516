"""Reminder moments, quiet hours, Sundays and days off (pure time rules)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.reminder_times import SendingWindow, reminder_moment, time_left
from tests.helpers import VN

DEADLINE = datetime(2027, 1, 15, 17, 0, tzinfo=VN)  # a Friday


def test_whole_day_offsets_land_in_the_morning() -> None:
    assert reminder_moment(DEADLINE, timedelta(days=7), VN) == datetime(
        2027, 1, 8, 7, 30, tzinfo=VN
    )
    assert reminder_moment(DEADLINE, timedelta(days=1), VN) == datetime(
        2027, 1, 14, 7, 30, tzinfo=VN
    )
    assert reminder_moment(DEADLINE, timedelta(0), VN) == datetime(2027, 1, 15, 7, 30, tzinfo=VN)


def test_zero_day_offset_is_the_deadline_when_it_is_earlier_that_morning() -> None:
    early = datetime(2027, 1, 15, 6, 0, tzinfo=VN)
    assert reminder_moment(early, timedelta(0), VN) == early


def test_hour_minute_and_second_offsets_are_exact() -> None:
    assert reminder_moment(DEADLINE, timedelta(hours=2), VN) == DEADLINE - timedelta(hours=2)
    assert reminder_moment(DEADLINE, timedelta(seconds=30), VN) == DEADLINE - timedelta(seconds=30)


WINDOW = SendingWindow(VN)


def test_quiet_hours_move_a_reminder_to_the_morning() -> None:
    night = datetime(2027, 1, 12, 22, 15, tzinfo=VN)  # Tuesday night
    assert not WINDOW.allows(night)
    assert WINDOW.place(night, DEADLINE) == datetime(2027, 1, 13, 7, 0, tzinfo=VN)
    early = datetime(2027, 1, 13, 5, 0, tzinfo=VN)
    assert WINDOW.place(early, DEADLINE) == datetime(2027, 1, 13, 7, 0, tzinfo=VN)
    day = datetime(2027, 1, 13, 10, 0, tzinfo=VN)
    assert WINDOW.place(day, DEADLINE) == day


def test_quiet_hours_move_earlier_when_the_deadline_comes_first() -> None:
    deadline = datetime(2027, 1, 13, 6, 30, tzinfo=VN)  # before the quiet period ends
    night = datetime(2027, 1, 12, 23, 0, tzinfo=VN)
    assert WINDOW.place(night, deadline) == datetime(2027, 1, 12, 20, 59, tzinfo=VN)


def test_sunday_moves_to_monday_morning_unless_disabled() -> None:
    sunday = datetime(2027, 1, 10, 9, 0, tzinfo=VN)
    assert WINDOW.place(sunday, DEADLINE) == datetime(2027, 1, 11, 7, 0, tzinfo=VN)
    assert SendingWindow(VN, quiet_sunday=False).place(sunday, DEADLINE) == sunday


def test_days_off_move_to_the_next_working_day() -> None:
    tet = frozenset({date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 8)})
    window = SendingWindow(VN, days_off=tet)
    due = datetime(2027, 2, 5, 7, 30, tzinfo=VN)  # Friday; Saturday off, Sunday, Monday off
    assert window.place(due, datetime(2027, 3, 1, tzinfo=VN)) == datetime(
        2027, 2, 9, 7, 0, tzinfo=VN
    )
    # The deadline falls on Monday: the reminder goes on the last working evening before.
    deadline = datetime(2027, 2, 8, 17, 0, tzinfo=VN)
    assert window.place(due, deadline) == datetime(2027, 2, 4, 20, 59, tzinfo=VN)


def test_quiet_hours_inside_one_day_and_disabled() -> None:
    lunch = SendingWindow(VN, quiet_hours=(time(11, 30), time(13, 30)), quiet_sunday=False)
    noon = datetime(2027, 1, 12, 12, 0, tzinfo=VN)
    assert lunch.place(noon) == datetime(2027, 1, 12, 13, 30, tzinfo=VN)
    assert lunch.allows(datetime(2027, 1, 12, 23, 0, tzinfo=VN))
    always = SendingWindow(VN, quiet_hours=None, quiet_sunday=False)
    assert always.allows(datetime(2027, 1, 10, 3, 0, tzinfo=VN))


def test_time_left() -> None:
    three_days = time_left(datetime(2027, 1, 12, 7, 30, tzinfo=VN), DEADLINE, VN)
    assert (three_days.days, three_days.overdue) == (3, False)
    today = time_left(datetime(2027, 1, 15, 7, 30, tzinfo=VN), DEADLINE, VN)
    assert (today.days, today.hours) == (0, 9)
    late = time_left(datetime(2027, 1, 15, 17, 1, tzinfo=VN), DEADLINE, VN)
    assert late.overdue
