"""The office's side of reminders in the chat: /nhacnho, moving a deadline from /tiendo,
absences (/vangmat) and days off (/ngaynghi)."""

from __future__ import annotations

from storage.schedule import records
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.test_progress import report
from tests.test_reminders import (
    ANH,
    CL_OFFICE,
    HOA,
    LAN,
    MINH,
    NL_OFFICE,
    SO_OFFICE,
    TEACHERS,
    YEN,
    at,
    due,
    expect_reminder,
    setup,
)

ROUND_BUTTON = "📝 Tổng kết · hạn 18/12/2026"


async def remind(office: FakeUser) -> SentMessage:
    """/nhacnho → the campaign → the round: the preview."""
    await office.send("/nhacnho")
    campaigns = await office.expect("chọn phong trào")
    await office.press("📌 Vì người nghèo 2026", campaigns)
    rounds = await office.expect("chọn đợt báo cáo cần nhắc")
    await office.press(ROUND_BUTTON, rounds)
    return await office.expect()


async def test_nhacnho_reaches_exactly_who_owes_and_once_an_hour(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    await report(bot, "Tổng kết", "0912100002")  # Yến answered
    bot.clock.set(at(3, 10, 0))
    office = telegram.user(SO_OFFICE)
    preview = await remind(office)
    assert "Còn 4 người chưa nộp, thuộc 4 đơn vị." in preview.shown
    assert "6 người chưa đăng ký bot nên không nhận được nhắc nhở." in preview.shown
    await office.press("📣 Gửi nhắc nhở (4 người)", preview)
    await office.expect("Đã gửi nhắc nhở đợt «Tổng kết» tới 4 người (4 đơn vị)")
    for uid in (MINH, ANH, HOA, LAN):
        message = await expect_reminder(telegram.user(uid), "Sở GD&ĐT Nghệ An (Lê Văn Sở)",
                                        "còn 15 ngày")  # fmt: skip
        assert message.buttons() == [["📝 Tổng kết · Vì người nghèo 2026"]]
    await telegram.user(YEN).expect_nothing()

    bot.clock.set(at(3, 10, 40))
    preview = await remind(office)
    assert "Lần nhắc gần nhất: 10:00 03/12/2026 (Sở GD&ĐT Nghệ An — Lê Văn Sở)" in preview.shown
    await office.press("📣 Gửi nhắc nhở (4 người)", preview)
    refused = await office.expect("vừa được nhắc lúc 10:00 03/12/2026")
    assert "có thể nhắc lại từ 11:00 03/12/2026" in refused.shown
    for uid in TEACHERS:
        await telegram.user(uid).expect_nothing()

    bot.clock.set(at(3, 11, 0))
    await report(bot, "Tổng kết", "0912100004")  # Ánh answered meanwhile
    preview = await remind(office)
    await office.press("📣 Gửi nhắc nhở (3 người)", preview)
    await office.expect("tới 3 người")
    for uid in (MINH, HOA, LAN):
        await expect_reminder(telegram.user(uid))
    await telegram.user(ANH).expect_nothing()


async def test_nhacnho_stays_in_the_office_scope(bot: RunningBot, telegram: FakeTelegram) -> None:
    await setup(bot, telegram)
    bot.clock.set(at(3, 10, 0))
    district = telegram.user(NL_OFFICE)  # Nghi Lộc: Nghi Thái and Nghi Phong
    preview = await remind(district)
    assert "Còn 4 người chưa nộp, thuộc 2 đơn vị." in preview.shown
    await district.press("📣 Gửi nhắc nhở (4 người)", preview)
    await district.expect("tới 4 người (2 đơn vị)")
    for uid in (MINH, YEN, ANH, HOA):
        await expect_reminder(telegram.user(uid), "Phòng GD&ĐT Nghi Lộc (Phạm Thị Hà) nhắc bạn")
    await telegram.user(LAN).expect_nothing()  # Cửa Lò's

    teacher = telegram.user(YEN)
    await teacher.send("/nhacnho")
    await teacher.expect("chỉ dành cho văn phòng")
    round_id = await bot.db.fetchval("SELECT id FROM rounds")
    await teacher.press_data(f"nn:s:{round_id}")
    await telegram.wait_until(lambda: bool(teacher.answers))
    assert "không có quyền" in (teacher.answers[-1].get("text") or "")
    assert len(await records(bot.db, "manual")) == 4


async def test_moving_a_deadline_reschedules_its_reminders(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    await due(bot, at(11, 7, 30))  # the 7d reminder for 18/12
    for uid in TEACHERS:
        await expect_reminder(telegram.user(uid), "còn 7 ngày")
    bot.clock.set(at(11, 10, 0))
    office = telegram.user(SO_OFFICE)
    await office.send("/tiendo")
    await office.expect("Phát động")
    progress = await office.expect("Tổng kết")
    await office.press("⏰ Đổi hạn", progress)
    await office.expect("Hạn hiện tại: 17 giờ 00 ngày 18/12/2026")
    await office.send("31/02/2027")
    await office.expect("31/02/2027")
    await office.send("01/12/2026")
    await office.expect("đã qua")
    await office.send("23/12/2026 17:00")
    confirm = await office.expect("sang 17 giờ 00 ngày 23/12/2026")
    await office.press("⏰ Đổi hạn", confirm)
    await office.expect("Đã đổi hạn nộp của đợt «Tổng kết» từ 17 giờ 00 ngày 18/12/2026")
    assert await bot.db.fetchval("SELECT deadline FROM rounds") == "2026-12-23T17:00:00+07:00"

    await due(bot, at(15, 7, 30))  # the old deadline's 3d: nothing
    await due(bot, at(16, 7, 29))
    for uid in TEACHERS:
        await telegram.user(uid).expect_nothing()
    await due(bot, at(16, 7, 30))  # the new deadline's 7d
    for uid in TEACHERS:
        await expect_reminder(telegram.user(uid), "17 giờ 00 ngày 23/12/2026", "còn 7 ngày")
    await due(bot, at(18, 17, 0))  # the old deadline passes: no overdue notice
    await due(bot, at(20, 7, 30))  # Sunday: the 3d reminder waits for Monday
    for uid in TEACHERS:
        await telegram.user(uid).expect_nothing()
    await due(bot, at(21, 7, 0))
    for uid in TEACHERS:
        await expect_reminder(telegram.user(uid), "còn 2 ngày")


async def test_only_who_may_close_a_round_may_move_its_deadline(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    district = telegram.user(NL_OFFICE)
    await district.send("/tiendo")
    await district.expect("Phát động")
    progress = await district.expect("Tổng kết")
    assert not any("Đổi hạn" in text for row in progress.buttons() for text in row)
    round_id = await bot.db.fetchval("SELECT id FROM rounds")
    await district.press_data(f"rd:{round_id}", progress)
    await telegram.wait_until(lambda: bool(district.answers))
    assert "không có quyền" in (district.answers[-1].get("text") or "")
    await district.send("25/12/2026")  # not in the flow: an ordinary message
    await district.expect("Bot chưa hiểu tin nhắn này")


async def test_a_principal_marks_a_teacher_absent(bot: RunningBot, telegram: FakeTelegram) -> None:
    await setup(bot, telegram)
    principal = telegram.user(MINH)
    await principal.send("/vangmat")
    listing = await principal.expect("Hiện không có ai vắng mặt")
    await principal.press("➕ Báo vắng", listing)
    staff = await principal.expect("gõ họ tên")
    assert [row[0] for row in staff.buttons()] == [
        "Lê Văn An", "Hoàng Thị Ánh", "Nguyễn Văn Minh", "Trần Thị Yến"
    ]  # fmt: skip
    await principal.press("Trần Thị Yến", staff)
    reasons = await principal.expect("Lý do vắng của Trần Thị Yến")
    await principal.press("🤒 Ốm đau", reasons)
    await principal.expect("từ ngày")
    await principal.send("10/12/2026")
    await principal.expect("đến hết ngày")
    await principal.send("05/12/2026")
    await principal.expect("05/12/2026")  # before the first day: refused, asked again
    await principal.send("20/12/2026")
    confirm = await principal.expect("Từ 10/12/2026 đến hết 20/12/2026")
    await principal.press("✅ Lưu", confirm)
    await principal.expect("Đã ghi: Trần Thị Yến vắng từ 10/12/2026 đến hết 20/12/2026")

    await due(bot, at(11, 7, 30))
    await expect_reminder(principal)
    await telegram.user(YEN).expect_nothing()
    await principal.send("/tiendo")
    await principal.expect("Phát động")
    final = await principal.expect("Tổng kết")
    assert "💤 Trần Thị Yến (vắng có lý do)" in final.shown

    await principal.send("/vangmat")
    listing = await principal.expect("Trần Thị Yến (Trường THCS Nghi Phong) — ốm đau")
    await principal.press("✖️ Trần Thị Yến 10/12–20/12", listing)
    await principal.expect("Đã hủy lịch vắng của Trần Thị Yến")
    await due(bot, at(15, 7, 30))
    await expect_reminder(telegram.user(YEN), "còn 3 ngày")


async def test_an_office_finds_people_by_name_in_its_scope(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    office = telegram.user(NL_OFFICE)
    await office.send("/vangmat")
    listing = await office.expect("Hiện không có ai vắng mặt")
    await office.press("➕ Báo vắng", listing)
    await office.expect("gõ họ tên")
    await office.send("Đinh Thị Lan")  # Cửa Lò's: outside Nghi Lộc
    await office.expect("Không tìm thấy ai có tên «Đinh Thị Lan»")
    await office.send("thi yen")  # diacritics and case aside
    found = await office.expect("Có 1 người khớp «thi yen»")
    await office.press("Trần Thị Yến · Trường THCS Nghi Phong", found)
    reasons = await office.expect("Lý do vắng")
    await office.press("✏️ Khác", reasons)
    await office.expect("Ghi rõ lý do")
    await office.send("Tập huấn chuyên môn")
    await office.expect("từ ngày")
    await office.send("01/12/2026")
    await office.expect("đến hết ngày")
    await office.send("31/12/2026")
    confirm = await office.expect("khác: Tập huấn chuyên môn")
    await office.press("✅ Lưu", confirm)
    await office.expect("Đã ghi")
    absent = await bot.db.fetchone("SELECT reason, note, date_from, date_to FROM absences")
    assert tuple(absent or ()) == ("other", "Tập huấn chuyên môn", "2026-12-01", "2026-12-31")

    cua_lo = telegram.user(CL_OFFICE)  # not theirs to cancel
    await cua_lo.send("/vangmat")
    listing = await cua_lo.expect("Hiện không có ai vắng mặt")
    absence_id = await bot.db.fetchval("SELECT id FROM absences")
    await cua_lo.press_data(f"vm:x:{absence_id}", listing)
    await cua_lo.expect("không có quyền")
    teacher = telegram.user(YEN)
    await teacher.send("/vangmat")
    await teacher.expect("chỉ dành cho")


async def test_a_day_off_holds_back_what_is_scheduled(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    office = telegram.user(SO_OFFICE)
    await office.send("/ngaynghi")
    listing = await office.expect("Chưa có ngày nghỉ nào sắp tới")
    await office.press("➕ Thêm ngày nghỉ", listing)
    await office.expect("Nhập ngày nghỉ")
    await office.send("11/12/2026 - 10/12/2026")
    await office.expect("10/12/2026")  # reversed: asked again
    await office.send("11/12/2026")
    await office.expect("Tên ngày nghỉ 11/12/2026")
    await office.send("Kỷ niệm ngày thành lập ngành")
    confirm = await office.expect("Thêm ngày nghỉ Kỷ niệm ngày thành lập ngành: 11/12/2026?")
    await office.press("✅ Lưu", confirm)
    await office.expect("cho Sở GD&ĐT Nghệ An")

    await due(bot, at(11, 7, 30))
    for uid in TEACHERS:
        await telegram.user(uid).expect_nothing()
    await due(bot, at(12, 7, 0))
    for uid in TEACHERS:
        await expect_reminder(telegram.user(uid), "còn 6 ngày")

    district = telegram.user(NL_OFFICE)  # sees the Sở's day off, cannot cancel it
    bot.clock.set(at(11, 9, 0))
    await district.send("/ngaynghi")
    listing = await district.expect("Kỷ niệm ngày thành lập ngành: 11/12/2026 (Sở GD&ĐT Nghệ An)")
    assert listing.buttons() == [["➕ Thêm ngày nghỉ"]]
    await office.send("/ngaynghi")
    listing = await office.expect("Kỷ niệm ngày thành lập ngành")
    await office.press("✖️ Kỷ niệm ngày thành lập ngành 11/12/2026", listing)
    await office.expect("Đã hủy ngày nghỉ «Kỷ niệm ngày thành lập ngành»")
    assert await bot.db.fetchval("SELECT cancelled_at FROM days_off") is not None
