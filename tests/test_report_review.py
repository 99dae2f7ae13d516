"""Progress per round, and the office sending a report back for additions."""

from __future__ import annotations

from storage.people import register_by_phone
from storage.roster import apply_import
from storage.roster_file import read_roster
from tests.fake_telegram import FakeTelegram
from tests.harness import RunningBot
from tests.helpers import BASIC_ROWS, NOW, csv_file
from tests.test_reports import fill_all, launch, open_report, say


async def submit_as(telegram: FakeTelegram, uid: int) -> None:
    user = telegram.user(uid)
    assert (await open_report(user)).contains("Câu 1/8")
    await fill_all(user)
    await user.press("📨 Gửi")
    await user.expect("Đã nộp báo cáo")


async def test_return_for_additions_and_resubmit(bot: RunningBot, telegram: FakeTelegram) -> None:
    await launch(bot, telegram)
    await submit_as(telegram, 6102)
    office = telegram.user(6001)  # Lê Văn Sở, the Sở's office
    await office.send("/tiendo")
    await office.expect("Phát động")
    round_message = await office.expect("Đã nộp 1 / 5")  # Đỗ Thị Bình has not registered
    assert "Trường THCS Tân Phú: 1/3" in round_message.shown
    await office.press("📋 Xem, yêu cầu bổ sung", round_message)
    listing = await office.expect("1 báo cáo đã nộp")
    await office.press(listing.buttons()[0][0], listing)
    report = await office.expect("Người nộp: Trần Văn Ân")
    assert "Khá" in report.shown
    await office.press("↩️ Yêu cầu bổ sung", report)
    await office.expect("lý do")
    await say(office, "ok", "quá ngắn")  # a reason must say something
    await say(office, "Bổ sung ảnh buổi sơ kết và số liệu học bổng", "Đã gửi yêu cầu bổ sung")

    teacher = telegram.user(6102)
    notice = await teacher.expect("đề nghị bổ sung", timeout=10)
    assert "Bổ sung ảnh buổi sơ kết" in notice.shown
    await office.send("/tiendo")
    await office.expect("Phát động")
    await office.expect("Đã nộp 0 / 5")  # returned counts as not answered

    await teacher.press("✏️ Bổ sung báo cáo", notice)
    await teacher.expect("đề nghị bổ sung")
    summary = await teacher.expect("Xem lại")
    assert "Khá" in summary.shown  # every earlier answer is filled in
    await teacher.press("✏️ Sửa")
    await teacher.expect("Chọn câu cần sửa")
    await teacher.press("2. Số cán bộ, giáo viên tham gia")
    await teacher.expect("Câu 2/8")
    await say(teacher, "25", "Xem lại")
    await teacher.press("📨 Gửi")
    await teacher.expect("Đã nộp báo cáo")
    row = await bot.db.fetchone("SELECT status, version FROM submissions")
    assert row is not None and tuple(row) == ("submitted", 2)


async def test_principal_sees_who_answered(bot: RunningBot, telegram: FakeTelegram) -> None:
    await launch(bot, telegram)
    await submit_as(telegram, 6102)  # Trần Văn Ân, THCS Tân Phú
    principal = telegram.user(6101)  # Nguyễn Thị Lan, THCS Tân Phú
    await principal.send("/tiendo")
    await principal.expect("Phát động")
    staff = await principal.expect("Đã nộp 1 / 3")
    assert "✅ Trần Văn Ân" in staff.shown
    assert "⏳ Nguyễn Thị Lan (chưa nộp)" in staff.shown
    assert "❔ Đỗ Thị Bình (chưa đăng ký)" in staff.shown
    assert "Tân Xuân" not in staff.shown
    # A principal does not send reports back; she may list who is missing.
    assert staff.buttons() == [["👥 Ai chưa nộp, chưa đăng ký"]]
    teacher = telegram.user(6104)
    await teacher.send("/tiendo")
    mine = await teacher.expect("Các kế hoạch bạn đã nhận")
    assert "chưa nộp" in mine.shown


async def test_only_the_office_in_scope_may_send_back(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await launch(bot, telegram)
    await submit_as(telegram, 6102)
    submission_id = await bot.db.fetchval("SELECT id FROM submissions")
    teacher = telegram.user(6104)
    await teacher.send("/help")
    await teacher.expect("hướng dẫn")
    await teacher.press_data(f"rb:{submission_id}")
    await telegram.wait_until(lambda: bool(teacher.answers))
    assert "không có quyền" in (teacher.answers[-1].get("text") or "")
    # A district office outside the school's district: a school directly under the Sở.
    rows = [*BASIC_ROWS, ("PGD-KHAC", "Phòng GD&ĐT Khác", "SGD", "Văn Phòng Khác", "vp",
                          "0977000009")]  # fmt: skip
    await apply_import(bot.db, read_roster(csv_file(rows)), NOW)
    await register_by_phone(bot.db, "0977000009", 6300, NOW)
    other = telegram.user(6300)
    await other.send("/help")
    await other.expect("hướng dẫn")
    await other.press_data(f"rs:{submission_id}")
    await other.expect("không có quyền")
    await other.press_data(f"rb:{submission_id}")
    await other.expect("không có quyền")
    assert await bot.db.fetchval("SELECT status FROM submissions") == "submitted"
