"""Quarter-end nomination prompts with an injected clock: principals of units with no
nomination this quarter are reminded ten and three days before its last day, once each,
through the real scheduler, outbox and sender (the due-check called after moving the clock,
as in tests/test_reminders.py)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.reminders import default_sources
from bot.scheduler import Scheduler
from storage.absences import add_absence, add_day_off
from storage.db import Database
from storage.nominations import NominationSpec, file_nomination, withdraw_nomination
from storage.quarter_prompts import HANDLED, PROMPTED
from storage.quarters import Quarter
from storage.schedule import records
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.helpers import NOW, VN
from tests.test_nominations import roster
from tests.test_reminders import due, scheduler

LAN, MINH, HANH = 7101, 7201, 7302  # principals of THCS Tân Phú, TH Tân Xuân, TH Bù Đăng
OFFICES = (7001, 7002, 7301)
TEACHERS = (7102, 7103, 7202, 7303)
Q4 = Quarter(2026, 4)  # its last day, Thursday 31/12: prompts on Mondays 21/12 and 28/12
Q1 = Quarter(2027, 1)  # 31/03, a Wednesday: 21/03 and 28/03 are Sundays
TITLE = "ĐỀ NGHỊ ĐIỂN HÌNH TIÊN TIẾN QUÝ"


def at(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


async def units(db: Database) -> dict[str, int]:
    return {row[1]: row[0] for row in await db.fetchall("SELECT id, code FROM units")}


async def nominated(db: Database, code: str, quarter: Quarter = Q4) -> int:
    """A collective put forward for the unit, as /dienhinh files it."""
    spec = NominationSpec((await units(db))[code], quarter, "collective", None, "Tổ Toán",
                          "Tổ chuyên môn", "giang_day", "Dạy tốt.")  # fmt: skip
    filed = await file_nomination(db, spec, nominated_by=None, telegram_id=1, default_quota=2,
                                  now=NOW)  # fmt: skip
    assert filed.nomination_id is not None
    return filed.nomination_id


async def expect_prompt(user: FakeUser, *fragments: str) -> SentMessage:
    message = await user.expect(TITLE)
    for fragment in fragments:
        assert fragment in message.shown, message.shown
    return message


async def nobody_else(telegram: FakeTelegram, *uids: int) -> None:
    for uid in uids:
        await telegram.user(uid).expect_nothing()


async def test_principals_without_a_nomination_are_prompted_ten_and_three_days_before(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await roster(bot, telegram)
    await nominated(bot.db, "THCS-TP")  # Tân Phú has put someone forward this quarter
    withdrawn = await nominated(bot.db, "TH-BD")  # Bù Đăng withdrew its one: none left
    await withdraw_nomination(bot.db, withdrawn, person_id=None, telegram_id=1, now=NOW)

    assert await due(bot, at(21, 7, 29)) == 0
    assert await due(bot, at(21, 7, 30)) == 2
    minh = await expect_prompt(
        telegram.user(MINH), "QUÝ IV/2026", "Trường TH Tân Xuân chưa có đề nghị",
        "Quý kết thúc ngày 31/12/2026: còn 10 ngày", "/dienhinh",
    )  # fmt: skip
    assert minh.buttons() == [["🏅 Đề nghị điển hình quý IV/2026"]]
    await expect_prompt(telegram.user(HANH), "Trường TH Bù Đăng", "còn 10 ngày")
    await nobody_else(telegram, LAN, *OFFICES, *TEACHERS)
    assert await due(bot, at(21, 16, 0)) == 0  # nothing more that day

    assert await due(bot, at(28, 7, 30)) == 2
    await expect_prompt(telegram.user(MINH), "còn 3 ngày")
    await expect_prompt(telegram.user(HANH), "còn 3 ngày")
    await nobody_else(telegram, LAN, *OFFICES, *TEACHERS)

    ids = await units(bot.db)
    prompted = [(r.ref, r.subject, r.slot) for r in await records(bot.db, PROMPTED)]
    minh_id = await bot.db.fetchval("SELECT id FROM people WHERE telegram_id = ?", (MINH,))
    assert (ids["TH-TX"], f"person:{minh_id}", "2026-Q4:10d") in prompted
    assert sorted(slot for *_, slot in prompted) == ["2026-Q4:10d"] * 2 + ["2026-Q4:3d"] * 2
    handled = {(r.ref, r.slot): r.data for r in await records(bot.db, HANDLED)}
    assert handled[ids["THCS-TP"], "2026-Q4:10d"] == "nominated"
    assert handled[ids["TH-TX"], "2026-Q4:3d"] == "prompted 1"
    assert len(handled) == 6  # three units with a principal, two slots each

    # The button opens /dienhinh for the quarter.
    await telegram.user(MINH).press("🏅 Đề nghị điển hình quý IV/2026", minh)
    opened = await telegram.user(MINH).expect("1. Đề nghị cá nhân hay tập thể?")
    assert "quý IV/2026" in opened.shown and "Trường TH Tân Xuân" in opened.shown


async def test_a_unit_that_nominates_after_the_first_prompt_gets_no_second(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await roster(bot, telegram)
    await due(bot, at(21, 7, 30))
    for uid in (LAN, MINH, HANH):
        await expect_prompt(telegram.user(uid), "còn 10 ngày")
    await nominated(bot.db, "TH-TX")
    await nominated(bot.db, "TH-BD")
    assert await due(bot, at(28, 7, 30)) == 1
    await expect_prompt(telegram.user(LAN), "còn 3 ngày")
    await nobody_else(telegram, MINH, HANH)


async def test_absent_and_unregistered_principals_are_not_prompted(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await roster(bot, telegram)
    lan_id = await bot.db.fetchval("SELECT id FROM people WHERE telegram_id = ?", (LAN,))
    await add_absence(bot.db, lan_id, "leave", "", at(20, 0).date(), at(22, 0).date(), 7001,
                      NOW)  # fmt: skip
    await bot.db.write("UPDATE people SET telegram_id = NULL WHERE telegram_id = ?", (HANH,))
    assert await due(bot, at(21, 7, 30)) == 1
    await expect_prompt(telegram.user(MINH), "còn 10 ngày")
    await nobody_else(telegram, LAN, HANH)
    handled = {r.data for r in await records(bot.db, HANDLED) if r.slot == "2026-Q4:10d"}
    assert handled == {"prompted 1", "nobody"}
    assert await due(bot, at(28, 7, 30)) == 2  # Lan is back; Hạnh has still not registered
    await expect_prompt(telegram.user(LAN), "còn 3 ngày")
    await expect_prompt(telegram.user(MINH), "còn 3 ngày")


async def test_a_restart_right_after_a_prompt_sends_nothing_twice(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await roster(bot, telegram)
    await due(bot, at(21, 7, 30))
    for uid in (LAN, MINH, HANH):
        await expect_prompt(telegram.user(uid))
    await bot.restart()
    assert await due(bot, at(21, 7, 31)) == 0
    await bot.restart()
    assert await due(bot, at(22, 9, 0)) == 0
    await nobody_else(telegram, LAN, MINH, HANH)
    assert len(await records(bot.db, PROMPTED)) == 3


async def test_two_start_ups_racing_prompt_once(bot: RunningBot, telegram: FakeTelegram) -> None:
    await roster(bot, telegram)
    bot.clock.set(at(21, 7, 30))
    assert bot.app is not None and bot.app.bot_data.config is not None
    other_db = await Database.open(bot.config.database_path)
    try:
        other = Scheduler(other_db, bot.clock, VN, default_sources(bot.app.bot_data.config))
        counts = await asyncio.gather(scheduler(bot).run_due(), other.run_due())
    finally:
        await other_db.close()
    assert sorted(counts) == [0, 3]
    assert bot.app.bot_data.sender is not None
    bot.app.bot_data.sender.wake()
    for uid in (LAN, MINH, HANH):
        await expect_prompt(telegram.user(uid))
        await telegram.user(uid).expect_nothing()


async def test_quiet_hours_sundays_and_days_off_move_a_prompt(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await roster(bot, telegram)
    ids = await units(bot.db)
    # Bù Đăng's Phòng declares Monday 22/03 off, and the quarter's last days from Sunday 28/03:
    # its 3-day prompt cannot move past the quarter's end, so it goes the evening before.
    await add_day_off(bot.db, ids["PGD-BD"], "Lễ hội", at(22, 0, month=3, year=2027).date(),
                      at(22, 0, month=3, year=2027).date(), 7301, NOW)  # fmt: skip
    await add_day_off(bot.db, ids["PGD-BD"], "Kiểm tra", at(28, 0, month=3, year=2027).date(),
                      at(31, 0, month=3, year=2027).date(), 7301, NOW)  # fmt: skip

    def march(day: int, hour: int, minute: int = 0) -> datetime:
        return at(day, hour, minute, month=3, year=2027)

    assert await due(bot, march(21, 7, 30)) == 0  # Sunday
    assert await due(bot, march(22, 6, 59)) == 0  # quiet hours
    assert await due(bot, march(22, 7, 0)) == 2  # the end of the quiet hours
    await expect_prompt(telegram.user(LAN), "QUÝ I/2027", "31/03/2027: còn 9 ngày")
    await expect_prompt(telegram.user(MINH), "còn 9 ngày")
    await nobody_else(telegram, HANH)
    assert await due(bot, march(23, 6, 59)) == 0
    assert await due(bot, march(23, 7, 0)) == 1  # after Bù Đăng's day off
    await expect_prompt(telegram.user(HANH), "còn 8 ngày")

    assert await due(bot, march(27, 20, 58)) == 0
    assert await due(bot, march(27, 20, 59)) == 1  # Bù Đăng: just before the quiet hours
    await expect_prompt(telegram.user(HANH), "còn 4 ngày")
    assert await due(bot, march(28, 7, 30)) == 0  # Sunday
    assert await due(bot, march(29, 7, 0)) == 2
    await expect_prompt(telegram.user(LAN), "còn 2 ngày")
    await expect_prompt(telegram.user(MINH), "còn 2 ngày")
    await nobody_else(telegram, HANH)


async def test_a_prompt_missed_by_more_than_a_day_is_dropped(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await roster(bot, telegram)
    bot.clock.set(at(20, 12))
    await bot.stop()
    bot.clock.set(at(22, 8, 0))  # down over the 10-day prompt, and for more than a day after it
    await bot.start()
    assert await due(bot, at(22, 8, 1)) == 0
    await nobody_else(telegram, LAN, MINH, HANH)
    assert {r.data for r in await records(bot.db, HANDLED)} == {"missed"}
    await bot.stop()
    bot.clock.set(at(28, 20, 0))  # down over the 3-day one too, but less than a day
    await bot.start()  # the start-up finds it due and sends it
    for uid in (LAN, MINH, HANH):
        await expect_prompt(telegram.user(uid), "còn 3 ngày")
    await bot.restart()
    await nobody_else(telegram, LAN, MINH, HANH)
    assert len(await records(bot.db, PROMPTED)) == 3


async def test_the_schedule_wakes_for_the_next_prompt(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await roster(bot, telegram)
    bot.clock.set(at(1, 9))
    assert await scheduler(bot).reschedule() == at(21, 7, 30)
    await nominated(bot.db, "THCS-TP")
    await nominated(bot.db, "TH-TX")
    await nominated(bot.db, "TH-BD")
    # Every unit has nominated: nothing to wait for this quarter; the next one's first prompt
    # (Sunday 21/03/2027, so Monday at the end of the quiet hours).
    assert await scheduler(bot).reschedule() == at(22, 7, 0, month=3, year=2027)


async def test_the_button_of_an_ended_quarter_says_so(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await roster(bot, telegram)
    await due(bot, at(28, 7, 30))
    minh = telegram.user(MINH)
    prompt = await expect_prompt(minh, "còn 3 ngày")
    bot.clock.set(at(2, 9, month=1, year=2027))
    await minh.press("🏅 Đề nghị điển hình quý IV/2026", prompt)
    ended = await minh.expect("Quý IV/2026 đã kết thúc")
    assert "Gõ /dienhinh để đề nghị cho quý I/2027" in ended.shown
