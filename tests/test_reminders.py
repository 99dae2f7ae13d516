"""Reminders, overdue notices and digests with an injected clock: the due-check is called
directly after moving the FakeClock (no sleeping), through the real outbox and sender."""

from __future__ import annotations

from datetime import datetime

from bot.scheduler import Scheduler
from storage.campaigns import Round
from storage.people import register_by_phone
from storage.roster import apply_import
from storage.roster_file import read_roster
from storage.schedule import records
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.helpers import NOW, VN, csv_file
from tests.test_progress import REGISTERED, ROWS, START, campaign, report

# Friday 18/12/2026, 17:00: the 7d reminder falls on Friday 11/12 at 07:30, 3d on Tuesday
# 15/12, 1d on Thursday 17/12, 0d on the morning of the deadline.
DEADLINE = datetime(2026, 12, 18, 17, 0, tzinfo=VN)
SO_OFFICE, NL_OFFICE, CL_OFFICE = 7001, 7002, 7003
MINH, YEN, ANH, HOA, LAN = 7101, 7102, 7103, 7201, 7401  # see tests/test_progress.py
TEACHERS = (MINH, YEN, ANH, HOA, LAN)


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN)


def scheduler(bot: RunningBot) -> Scheduler:
    assert bot.app is not None and bot.app.bot_data.scheduler is not None
    return bot.app.bot_data.scheduler


async def due(bot: RunningBot, moment: datetime) -> int:
    bot.clock.set(moment)
    return await scheduler(bot).run_due()


async def setup(
    bot: RunningBot, telegram: FakeTelegram, rounds: tuple[Round, ...] | None = None,
    roles: tuple[str, ...] = ("principal", "teacher"),
) -> None:  # fmt: skip
    """The roster of tests/test_progress.py, its people registered, and a Sở campaign
    delivered to principals and teachers, launched on 01/10/2026."""
    bot.clock.set(START)
    await apply_import(bot.db, read_roster(csv_file(ROWS)), NOW)
    for phone, uid in REGISTERED.items():
        telegram.user(uid)
        await register_by_phone(bot.db, phone, uid, NOW)
    rounds = rounds or (Round("Tổng kết", "person", DEADLINE, "short"),)
    await campaign(bot, "SGD-NA", "Vì người nghèo 2026", rounds, roles=roles)
    for uid in TEACHERS:
        await telegram.user(uid).expect("PHÁT ĐỘNG PHONG TRÀO")


async def expect_reminder(user: FakeUser, *fragments: str) -> SentMessage:
    message = await user.expect("NHẮC HẠN NỘP BÁO CÁO")
    for fragment in fragments:
        assert fragment in message.shown, message.shown
    return message


async def test_each_offset_reaches_who_owes_and_not_who_answered(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    await report(bot, "Tổng kết", "0912100002")  # Yến answered
    users = {uid: telegram.user(uid) for uid in TEACHERS}

    assert await due(bot, at(11, 7, 29)) == 0  # a minute before the 7d reminder
    assert await due(bot, at(11, 7, 30)) == 4
    for uid in (MINH, ANH, HOA, LAN):
        message = await expect_reminder(
            users[uid], "Tổng kết", "Vì người nghèo 2026", "17 giờ 00 ngày 18/12/2026",
            "còn 7 ngày",
        )  # fmt: skip
        assert message.buttons() == [["📝 Tổng kết · Vì người nghèo 2026"]]
    await users[YEN].expect_nothing()

    assert await due(bot, at(11, 12, 0)) == 0  # nothing more that day
    assert await due(bot, at(15, 7, 30)) == 4
    for uid in (MINH, ANH, HOA, LAN):
        await expect_reminder(users[uid], "còn 3 ngày")
    await report(bot, "Tổng kết", "0912100004")  # Ánh answers before the last day
    assert await due(bot, at(17, 7, 30)) == 3
    for uid in (MINH, HOA, LAN):
        await expect_reminder(users[uid], "hạn chót ngày mai 17 giờ 00")
    assert await due(bot, at(18, 7, 30)) == 3
    for uid in (MINH, HOA, LAN):
        await expect_reminder(users[uid], "hạn chót hôm nay 17 giờ 00")
    await users[ANH].expect_nothing()
    await users[YEN].expect_nothing()
    sent = await records(bot.db, "reminder")
    assert len(sent) == 4 + 4 + 3 + 3


async def test_the_button_opens_the_report(bot: RunningBot, telegram: FakeTelegram) -> None:
    await setup(bot, telegram)
    await due(bot, at(11, 7, 30))
    lan = telegram.user(LAN)
    message = await expect_reminder(lan)
    await lan.press(message.buttons()[0][0], message)
    await lan.expect("Tổng kết")
