"""The office closes a reporting round from /tiendo and reopens it: nobody can answer a
closed round, not even someone halfway through, and nothing they wrote is lost."""

from __future__ import annotations

from storage.people import register_by_phone
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.helpers import NOW
from tests.test_reports import launch, open_report, say


async def round_progress(office: FakeUser) -> SentMessage:
    await office.send("/tiendo")
    await office.expect("Phát động")
    return await office.expect("Sơ kết")


async def test_close_stops_answers_and_reopen_resumes_the_draft(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    round_id = await launch(bot, telegram)
    teacher = telegram.user(6102)
    assert (await open_report(teacher)).contains("Câu 1/8")
    await say(teacher, "Kết quả tốt", "Câu 2/8")

    office = telegram.user(6001)  # the Sở's office
    progress = await round_progress(office)
    await office.press("🔒 Đóng đợt", progress)
    confirm = await office.expect("Đóng đợt «Sơ kết»")
    await office.press("Thôi, để mở", confirm)
    await office.expect("đợt vẫn mở")
    assert await bot.db.fetchval("SELECT closed FROM rounds") == 0
    await office.press("🔒 Đóng đợt này", confirm)
    closed = await office.expect("Đã đóng đợt «Sơ kết»")
    assert await bot.db.fetchval("SELECT closed FROM rounds") == 1
    assert "đã đóng" in (await round_progress(office)).shown

    await say(teacher, "12", "đã được văn phòng đóng")  # halfway through: refused
    await say(
        teacher, "/baocao", "không có đợt báo cáo nào đang mở"
    )  # a closed round is not offered
    await teacher.press_data(f"rpt:{round_id}")  # nor opened by an old button
    await teacher.expect("đã được văn phòng đóng")

    await office.press("🔓 Mở lại đợt", closed)
    await office.expect("Đã mở lại đợt «Sơ kết»")
    assert await bot.db.fetchval("SELECT closed FROM rounds") == 0
    await teacher.send("/baocao")
    listing = await teacher.expect("Các đợt báo cáo của bạn")
    await teacher.press(listing.buttons()[0][0], listing)
    resumed = await teacher.expect("Câu 2/8")  # the answer given before the closing is kept
    assert "Sơ kết" in resumed.shown


async def test_only_the_issuing_office_or_above_may_close(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    round_id = await launch(bot, telegram)  # issued by the Sở (no issuing unit: the top office)
    await register_by_phone(bot.db, "0911000002", 6002, NOW)  # the Phòng's office, below it
    district = telegram.user(6002)
    progress = await round_progress(district)
    assert not any("Đóng đợt" in text for row in progress.buttons() for text in row)
    for uid in (6002, 6101, 6102):  # the district office, a principal, a teacher
        user = telegram.user(uid)
        await user.press_data(f"rcy:{round_id}", progress if uid == 6002 else None)
        await telegram.wait_until(lambda user=user: bool(user.answers))  # type: ignore[misc]
        assert "không có quyền" in (user.answers[-1].get("text") or "")
    assert await bot.db.fetchval("SELECT closed FROM rounds") == 0
