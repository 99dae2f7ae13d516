"""Reminders, overdue notices and digests with an injected clock: the due-check is called
directly after moving the FakeClock (no sleeping), through the real outbox and sender."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta

from bot.reminders import default_sources
from bot.scheduler import JOB_ID, SAFETY_ID, Scheduler
from formats.roster_file import read_roster
from storage.absences import add_absence, add_day_off
from storage.campaigns import Round, audience_unit_ids
from storage.db import Database
from storage.models import Person
from storage.people import register_by_phone
from storage.roster import apply_import
from storage.round_progress import expected_reports, owed_people, submitted_ids
from storage.schedule import (
    CampaignRow,
    audience_units,
    load_state,
    records,
    set_round_offsets,
)
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


async def rounds_by_name(bot: RunningBot) -> dict[str, int]:
    return {row[1]: row[0] for row in await bot.db.fetchall("SELECT id, name FROM rounds")}


async def test_one_message_a_day_lists_every_round_owed(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    # Sơ kết's 3d reminder and Tổng kết's 7d one fall on Friday 11/12 at 07:30; Họp's own
    # offset (3 hours) at 14:00 the same day.
    rounds = (
        Round("Tổng kết", "person", DEADLINE, "short"),
        Round("Sơ kết", "unit", at(14, 17), "short"),
        Round("Họp chi bộ", "person", at(11, 17), "short"),
    )
    await setup(bot, telegram, rounds)
    ids = await rounds_by_name(bot)
    await set_round_offsets(bot.db, ids["Họp chi bộ"], [timedelta(hours=3)])
    minh, yen = telegram.user(MINH), telegram.user(YEN)

    await due(bot, at(11, 7, 30))
    message = await expect_reminder(minh, "Sơ kết", "Tổng kết", "Họp chi bộ", "còn 3 ngày",
                                    "còn 7 ngày", "hạn chót hôm nay 17 giờ 00",
                                    "Báo cáo của đơn vị: Trường THCS Nghi Phong")  # fmt: skip
    # Soonest deadline first, each with its own button.
    assert [row[0].split(" · ")[0] for row in message.buttons()] == [
        "📝 Họp chi bộ", "📝 Sơ kết", "📝 Tổng kết"
    ]  # fmt: skip
    assert message.button_data("📝 Sơ kết · Vì người nghèo 2026") == f"rpt:{ids['Sơ kết']}"
    # A teacher does not answer the per-unit round: two rounds.
    message = await expect_reminder(yen, "Tổng kết", "Họp chi bộ")
    assert "Sơ kết" not in message.shown

    await due(bot, at(11, 14, 0))  # Họp chi bộ's own reminder: already told this morning
    await minh.expect_nothing()
    await yen.expect_nothing()
    covered = [r for r in await records(bot.db, "reminder") if r.ref == ids["Họp chi bộ"]]
    assert {r.slot.split("@")[0] for r in covered} == {"10800s"}
    assert len(covered) == 5 and all(r.broadcast_id is None for r in covered)

    await due(bot, at(11, 17, 0))  # Họp chi bộ is overdue
    for user in (minh, yen):
        await user.expect("ĐÃ QUÁ HẠN NỘP BÁO CÁO")
    await minh.expect("Trường THCS Nghi Phong: 3 người chưa nộp")  # his staff
    await due(bot, at(12, 7, 30))  # nothing falls due on Saturday
    await minh.expect_nothing()
    await due(bot, at(14, 7, 30))  # Monday: Sơ kết's last day, Tổng kết still on
    # Họp chi bộ is overdue but still open: listed with the rest, late answers welcome.
    message = await expect_reminder(minh, "Sơ kết", "Tổng kết", "Họp chi bộ",
                                    "đã quá hạn, vẫn nhận và ghi là nộp muộn")  # fmt: skip
    assert len(message.buttons()) == 3


async def test_quiet_hours_and_sunday_shift_a_reminder(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    rounds = (
        # 0d with a deadline at 06:00 is inside the quiet hours, and 07:00 is too late: the
        # evening before, just before the quiet hours start.
        Round("Sớm", "person", at(16, 6), "short"),
        # 1d falls on Sunday 13/12: Monday 07:00, still before the deadline.
        Round("Thứ Hai", "person", at(14, 17), "short"),
        # 14 hours before 17:00 is 03:00: moved to the end of the quiet hours.
        Round("Đêm", "person", at(17, 17), "short"),
    )
    await setup(bot, telegram, rounds)
    ids = await rounds_by_name(bot)
    await set_round_offsets(bot.db, ids["Sớm"], [timedelta(0)])
    await set_round_offsets(bot.db, ids["Thứ Hai"], [timedelta(days=1)])
    await set_round_offsets(bot.db, ids["Đêm"], [timedelta(hours=14)])
    lan = telegram.user(LAN)

    await due(bot, at(13, 7, 30))  # Sunday
    await lan.expect_nothing()
    await due(bot, at(14, 6, 59))
    await lan.expect_nothing()
    await due(bot, at(14, 7, 0))
    await expect_reminder(lan, "Thứ Hai", "hạn chót hôm nay 17 giờ 00")
    await due(bot, at(15, 20, 58))
    await lan.expect_nothing()
    await due(bot, at(15, 20, 59))
    await expect_reminder(lan, "Sớm", "hạn chót ngày mai 6 giờ 00")
    await due(bot, at(16, 7, 0))  # Sớm is overdue: told when the quiet hours end
    await lan.expect("ĐÃ QUÁ HẠN NỘP BÁO CÁO")
    await due(bot, at(17, 3, 0))
    await lan.expect_nothing()
    await due(bot, at(17, 7, 0))
    await expect_reminder(lan, "Đêm", "hạn chót hôm nay 17 giờ 00")


async def test_a_declared_day_off_shifts_a_reminder_for_its_units_only(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    nghi_loc = await bot.db.fetchval("SELECT id FROM units WHERE code = 'PGD-NL'")
    await add_day_off(bot.db, nghi_loc, "Lễ hội", at(11, 0).date(), at(11, 0).date(), 7002,
                      START)  # fmt: skip
    minh, lan = telegram.user(MINH), telegram.user(LAN)  # Nghi Lộc's school; Cửa Lò's

    await due(bot, at(11, 7, 30))
    await minh.expect_nothing()
    await expect_reminder(lan, "còn 7 ngày")
    await due(bot, at(12, 6, 59))
    await minh.expect_nothing()
    await due(bot, at(12, 7, 0))  # Saturday: the end of the day off
    await expect_reminder(minh, "còn 6 ngày")
    await lan.expect_nothing()


async def test_an_absent_person_is_neither_reminded_nor_missing(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    yen_id = await bot.db.fetchval("SELECT id FROM people WHERE phone = '0912100002'")
    await add_absence(bot.db, yen_id, "maternity", "", at(1, 0).date(), at(31, 0).date(), 7001,
                      START)  # fmt: skip
    yen = telegram.user(YEN)
    await due(bot, at(11, 7, 30))
    await expect_reminder(telegram.user(MINH))
    await yen.expect_nothing()

    office = telegram.user(SO_OFFICE)
    await office.send("/tiendo")
    await office.expect("Phát động")
    final = await office.expect("Tổng kết")
    assert "vắng có lý do 1" in final.shown
    await office.press("👥 Ai chưa nộp, chưa đăng ký", final)
    names = await office.expect("Chưa nộp hoặc chưa đăng ký")
    assert "Trần Thị Yến" not in names.shown and "Hoàng Thị Ánh" in names.shown

    await due(bot, at(18, 17, 0))  # overdue: not to her, and not on her principal's list
    await yen.expect_nothing()
    await telegram.user(MINH).expect("ĐÃ QUÁ HẠN NỘP BÁO CÁO")  # his own
    staff = await telegram.user(MINH).expect("người chưa nộp báo cáo đã quá hạn")
    assert "Yến" not in staff.shown and "Hoàng Thị Ánh" in staff.shown


async def test_a_restart_right_after_a_reminder_sends_nothing_twice(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    await due(bot, at(11, 7, 30))
    for uid in TEACHERS:
        await expect_reminder(telegram.user(uid))
    await bot.restart()
    assert await due(bot, at(11, 7, 31)) == 0
    await bot.restart()
    assert await due(bot, at(11, 16, 0)) == 0
    for uid in TEACHERS:
        await telegram.user(uid).expect_nothing()
    assert len(await records(bot.db, "reminder")) == len(TEACHERS)


async def test_a_restart_across_two_missed_offsets_sends_one_merged_reminder(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    await bot.stop()
    bot.clock.set(at(15, 9, 0))  # down over the 7d and 3d reminders
    await bot.start()  # the start-up finds them due and sends them at once
    for uid in TEACHERS:
        await expect_reminder(telegram.user(uid), "còn 3 ngày")
    await due(bot, at(15, 9, 1))
    await bot.restart()
    await due(bot, at(15, 9, 2))
    for uid in TEACHERS:
        await telegram.user(uid).expect_nothing()
    slots = {r.slot.split("@")[0] for r in await records(bot.db, "reminder")}
    assert slots == {"259200s"}  # 3d only: the 7d one is not sent late


async def test_overdue_reaches_the_person_the_principal_and_the_office(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    rounds = (
        Round("Tổng kết", "person", DEADLINE, "short"),
        Round("Sơ kết", "unit", DEADLINE, "short"),
    )
    await setup(bot, telegram, rounds)
    await report(bot, "Tổng kết", "0912100002")  # Yến
    await report(bot, "Tổng kết", "0912100001", late=True)  # Minh
    await report(bot, "Sơ kết", "0912100001", per_unit=True)  # Nghi Phong
    await report(bot, "Tổng kết", "0912100004", status="returned")  # Ánh: sent back
    await due(bot, at(18, 7, 30))  # the last reminders
    for uid in (ANH, HOA, LAN):
        await expect_reminder(telegram.user(uid))
    await due(bot, at(18, 16, 30))  # the day's digest
    await telegram.user(SO_OFFICE).expect("TỔNG HỢP BÁO CÁO")
    await due(bot, at(18, 17, 0))

    anh = telegram.user(ANH)
    notice = await anh.expect("ĐÃ QUÁ HẠN NỘP BÁO CÁO")
    assert "Báo cáo văn phòng yêu cầu bổ sung chưa được gửi lại" in notice.shown
    assert notice.buttons() == [["📝 Tổng kết · Vì người nghèo 2026"]]
    hoa = telegram.user(HOA)  # owes both: one notice each
    received = [(await hoa.expect()).shown for _ in range(3)]
    notices = [n for n in received if "ĐÃ QUÁ HẠN" in n]
    assert sorted(n.splitlines()[1].split(" — ")[0] for n in notices) == ["Sơ kết", "Tổng kết"]
    assert any("Trường TH Nghi Thái chưa nộp báo cáo này" in n for n in notices)
    await telegram.user(YEN).expect_nothing()
    await telegram.user(LAN).expect("ĐÃ QUÁ HẠN NỘP BÁO CÁO")

    # Minh (Nghi Phong's principal, answered): his staff still missing, by given name.
    staff = await telegram.user(MINH).expect("Trường THCS Nghi Phong: 2 người chưa nộp")
    lines = [line for line in staff.shown.splitlines()[3:] if " — " in line]
    assert lines == [  # An before Ánh: by given name, then the whole name
        "❔ Lê Văn An — chưa đăng ký bot",
        "↩️ Hoàng Thị Ánh — cần bổ sung, chưa gửi lại",
    ]
    assert "Yến" not in staff.shown and "Nguyễn Văn Minh" not in staff.shown
    # Hoa (Nghi Thái): Bảo has not registered.
    hoa_staff = next(n for n in received if "Trường TH Nghi Thái: 1 người chưa nộp" in n)
    assert "Đặng Văn Bảo — chưa đăng ký bot" in hoa_staff

    # The Sở's office, which launched the campaign: the units still missing.
    office = telegram.user(SO_OFFICE)
    digest = await office.expect("TỔNG HỢP BÁO CÁO")
    assert "vừa hết hạn" in digest.shown
    final, midterm = digest.shown.split("📝 ")[1:]
    assert "vừa hết hạn" in final and "vừa hết hạn" in midterm
    assert "Đã nộp 1 / 3 đơn vị" in midterm
    assert ("Còn thiếu (2 đơn vị): Trường TH Nghi Thái, Trường THCS Nghi Hương."
            in midterm)  # fmt: skip
    assert "Đã nộp 2 / 11 · nộp muộn 1" in final
    assert (
        "Còn thiếu (4 đơn vị): Trường TH Nghi Thái (2), Trường THCS Nghi Phong (2),"
        " Trường THCS Nghi Hương (3), Trường TH Nghi Thu (2)."
    ) in final
    for uid in (NL_OFFICE, CL_OFFICE):  # other offices: not theirs
        await telegram.user(uid).expect_nothing()

    await due(bot, at(18, 17, 5))  # once only
    await bot.restart()
    await due(bot, at(19, 8, 0))
    for uid in (*TEACHERS, SO_OFFICE):
        await telegram.user(uid).expect_nothing()


async def test_the_digest_lists_the_missing_units_and_is_silent_without_news(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    rounds = (Round("Sơ kết", "unit", DEADLINE, "short"),)
    await setup(bot, telegram, rounds)
    office = telegram.user(SO_OFFICE)
    await due(bot, at(11, 16, 30))  # nobody has answered since the launch: nothing to say
    await office.expect_nothing()
    await report(bot, "Sơ kết", "0912100001", per_unit=True)  # Nghi Phong
    await due(bot, at(12, 16, 29))
    await office.expect_nothing()
    await due(bot, at(12, 16, 30))
    digest = await office.expect("TỔNG HỢP BÁO CÁO")
    assert "Vì người nghèo 2026 (Sở GD&ĐT Nghệ An)" in digest.shown
    assert "Đã nộp 1 / 3 đơn vị (+1 báo cáo từ khi phát động)" in digest.shown
    assert "Còn thiếu (2 đơn vị): Trường TH Nghi Thái, Trường THCS Nghi Hương." in digest.shown
    assert "1 đơn vị chưa có hiệu trưởng trong danh sách" in digest.shown  # Nghi Thu
    for uid in (NL_OFFICE, CL_OFFICE):  # offices of units below see their own campaigns only
        await telegram.user(uid).expect_nothing()

    await due(bot, at(13, 16, 30))  # Sunday
    await due(bot, at(14, 16, 30))  # nothing changed
    await office.expect_nothing()
    await report(bot, "Sơ kết", "0913100001", per_unit=True, late=True)  # Nghi Thái
    await due(bot, at(15, 16, 30))
    digest = await office.expect("TỔNG HỢP BÁO CÁO")
    assert "Đã nộp 2 / 3 đơn vị (+1 báo cáo từ 12/12/2026) · nộp muộn 1" in digest.shown
    assert "Còn thiếu (1 đơn vị): Trường THCS Nghi Hương." in digest.shown
    assert "Nộp muộn: Trường TH Nghi Thái." in digest.shown
    await due(bot, at(16, 16, 30))
    await office.expect_nothing()
    await bot.restart()
    await due(bot, at(16, 16, 45))
    await office.expect_nothing()


async def test_a_district_campaign_digests_to_its_own_office(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    rounds = (Round("Báo cáo huyện", "person", DEADLINE, "short"),)
    await campaign(bot, "PGD-NL", "Dạy tốt Nghi Lộc", rounds, roles=("principal", "teacher"))
    for uid in (MINH, YEN, ANH, HOA):
        await telegram.user(uid).expect("Dạy tốt Nghi Lộc")
    await report(bot, "Báo cáo huyện", "0912100002")
    await due(bot, at(14, 16, 30))
    digest = await telegram.user(NL_OFFICE).expect("TỔNG HỢP BÁO CÁO")
    assert "Dạy tốt Nghi Lộc (Phòng GD&ĐT Nghi Lộc)" in digest.shown
    assert "Đã nộp 1 / 6" in digest.shown
    assert "Còn thiếu (2 đơn vị): Trường TH Nghi Thái (2), Trường THCS Nghi Phong (3)." in (
        digest.shown
    )
    assert "Vì người nghèo" not in digest.shown
    await telegram.user(CL_OFFICE).expect_nothing()


async def test_two_start_ups_racing_send_once(bot: RunningBot, telegram: FakeTelegram) -> None:
    """Two processes on one database (a second connection and scheduler here) run the same
    due-check at once: the records decide, and only one queues the messages."""
    await setup(bot, telegram)
    bot.clock.set(at(11, 7, 30))
    assert bot.app is not None and bot.app.bot_data.config is not None
    other_db = await Database.open(bot.config.database_path)
    try:
        other = Scheduler(other_db, bot.clock, VN, default_sources(bot.app.bot_data.config))
        counts = await asyncio.gather(scheduler(bot).run_due(), other.run_due())
    finally:
        await other_db.close()
    assert sorted(counts) == [0, len(TEACHERS)]
    assert bot.app.bot_data.sender is not None
    bot.app.bot_data.sender.wake()
    for uid in TEACHERS:
        await expect_reminder(telegram.user(uid))
        await telegram.user(uid).expect_nothing()


async def test_one_job_set_for_the_next_moment(bot: RunningBot, telegram: FakeTelegram) -> None:
    await setup(bot, telegram)
    await due(bot, at(11, 7, 0))  # yesterday's digest, if any, is handled
    assert await scheduler(bot).reschedule() == at(11, 7, 30)
    await scheduler(bot).reschedule()
    assert bot.app is not None and bot.app.job_queue is not None
    jobs = bot.app.job_queue.scheduler.get_jobs()
    assert sorted(job.id for job in jobs) == [JOB_ID, SAFETY_ID]  # replaced, never piled up
    for job in jobs:
        assert job.misfire_grace_time is None and job.coalesce  # a late job still runs
    one = next(job for job in jobs if job.id == JOB_ID)
    # Set by a delay from the injected clock: 30 minutes from now, in real time.
    delay = one.next_run_time - datetime.now(one.next_run_time.tzinfo)
    assert timedelta(minutes=29) < delay <= timedelta(minutes=30)
    await bot.restart()
    assert bot.app is not None and bot.app.job_queue is not None
    ids = sorted(job.id for job in bot.app.job_queue.scheduler.get_jobs())
    assert ids == [JOB_ID, SAFETY_ID]


async def test_audiences_as_the_campaigns_have_them(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    """The due-check works out audiences in memory: the same as storage.campaigns."""
    await setup(bot, telegram)
    units = {row[1]: row[0] for row in await bot.db.fetchall("SELECT id, code FROM units")}
    await bot.db.write("UPDATE units SET active = 0 WHERE code = 'TH-NTU'")
    cases = [
        (None, True, ()),
        (units["SGD-NA"], True, ()),
        (units["PGD-CL"], True, ()),
        (units["SGD-NA"], False, ((units["PGD-NL"], True), (units["THCS-NH"], False))),
        (units["PGD-NL"], False, ((units["PGD-CL"], True), (units["TH-NT"], False))),
        (None, False, ((units["PGD-CL"], False),)),
    ]
    state = await load_state(bot.db, START.date())
    for issuer, audience_all, chosen in cases:
        row = CampaignRow(0, "", issuer, audience_all, frozenset(), chosen, START)
        expected = await audience_unit_ids(bot.db, issuer, audience_all, chosen)
        assert audience_units(row, state.tree) == expected, (issuer, audience_all, chosen)


def test_owed_people_is_what_progress_counts_as_owed() -> None:
    rng = random.Random(12)
    for _ in range(200):
        people = [
            Person(i, f"Người {i}", "", rng.choice(["principal", "teacher", "office"]),
                   rng.randint(1, 4), "", f"Đơn vị {i}", rng.choice([None, 1000 + i]), True)
            for i in range(rng.randint(0, 12))
        ]  # fmt: skip
        statuses = ["submitted", "returned", "draft"]
        submissions = {
            f"{kind}:{rng.randint(0, 12) if kind == 'person' else rng.randint(1, 4)}": (
                rng.choice(statuses),
                rng.random() < 0.5,
            )
            for kind in rng.choices(["person", "unit"], k=rng.randint(0, 8))
        }
        excused = {p.id for p in people if rng.random() < 0.2}
        for kind in ("person", "unit"):
            entries = expected_reports(kind, people, submissions, excused)
            named = {pid for e in entries if e.owed for pid in e.person_ids}
            submitted = submitted_ids(kind, submissions)
            assert owed_people(kind, people, submitted, excused) == named
