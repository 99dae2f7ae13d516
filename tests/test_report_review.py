"""Progress per round, and the office sending a report back for additions."""

from __future__ import annotations

from formats.roster_file import read_roster
from storage.people import register_by_phone
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, NOW, csv_file
from tests.test_reports import answer_up_to_files, fill_all, launch, open_report, say


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
    notice = await teacher.expect("yêu cầu bổ sung", timeout=10)
    assert "Bổ sung ảnh buổi sơ kết" in notice.shown
    # Who sent it back: the office's unit and the person.
    assert "Văn phòng Sở GD&ĐT Bình Phước — Lê Văn Sở yêu cầu bổ sung" in notice.shown
    office_id = await bot.db.fetchval("SELECT id FROM people WHERE telegram_id = 6001")
    assert await bot.db.fetchval("SELECT returned_by FROM submissions") == office_id
    await office.send("/tiendo")
    await office.expect("Phát động")
    await office.expect("Đã nộp 0 / 5")  # returned counts as not answered

    await teacher.press("✏️ Bổ sung báo cáo", notice)
    reason = await teacher.expect("yêu cầu bổ sung")
    assert "Lê Văn Sở" in reason.shown
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

    # The office person who sent it back hears that it came back, and what changed.
    back = await office.expect("Báo cáo đã được bổ sung", timeout=10)
    assert "Trường THCS Tân Phú — Trần Văn Ân" in back.shown
    assert "Số cán bộ, giáo viên tham gia: 10 → 25" in back.shown
    assert "Kết quả" not in back.shown  # unchanged answers are not listed
    await office.press("📄 Xem báo cáo", back)
    reopened = await office.expect("Người nộp: Trần Văn Ân")
    assert "25" in reopened.shown and reopened.has_button("↩️ Yêu cầu bổ sung")


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
    for data in (f"rs:{submission_id}", f"rb:{submission_id}"):  # refused with an alert
        count = len(other.answers)
        await other.press_data(data)
        await telegram.wait_until(lambda count=count: len(other.answers) > count)  # type: ignore[misc]
        assert other.answers[-1]["show_alert"]
        assert "không có quyền" in (other.answers[-1].get("text") or "")
    await other.expect_nothing()
    assert await bot.db.fetchval("SELECT status FROM submissions") == "submitted"


async def open_submitted(office: FakeUser) -> SentMessage:
    await office.send("/tiendo")
    await office.expect("Phát động")
    round_message = await office.expect("Sơ kết")
    await office.press("📋 Xem, yêu cầu bổ sung", round_message)
    listing = await office.expect("báo cáo đã nộp")
    await office.press(listing.buttons()[0][0], listing)
    return await office.expect("Người nộp")


def sent_files(telegram: FakeTelegram, chat_id: int) -> list[SentMessage]:
    return [m for m in telegram.messages_to(chat_id) if m.document or m.photo]


async def test_the_office_opens_each_evidence_file(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    assert (await open_report(teacher)).contains("Câu 1/8")
    await answer_up_to_files(teacher)
    photo, pdf = b"\xff\xd8 anh buoi so ket", b"%PDF bien ban hop"
    await teacher.send_photo(photo)
    await teacher.expect("1 tệp")
    await teacher.send_document("bien ban hop.pdf", pdf, "application/pdf")
    await teacher.expect("2 tệp")
    await teacher.press("✔️ Xong")
    await teacher.expect("Xem lại")
    await teacher.press("📨 Gửi")
    await teacher.expect("Đã nộp báo cáo")

    office = telegram.user(6001)
    report = await open_submitted(office)
    assert "2 tệp minh chứng" in report.shown
    evidence = [text for row in report.buttons() for text in row if text.startswith("📎")]
    assert len(evidence) == 2 and evidence[1] == "📎 bien ban hop.pdf"
    await office.press(evidence[0], report)
    sent_photo = await office.expect()
    assert sent_photo.photo is not None and "Trường THCS Tân Phú" in sent_photo.shown
    assert telegram.file_bytes(sent_photo.photo[-1]["file_id"]) == photo
    await office.press(evidence[1], report)
    sent_pdf = await office.expect("bien ban hop.pdf")
    assert sent_pdf.document is not None
    assert telegram.file_bytes(sent_pdf.document["file_id"]) == pdf


async def test_a_forged_evidence_button_gets_an_alert(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await launch(bot, telegram)
    await submit_as(telegram, 6102)
    submission_id = await bot.db.fetchval("SELECT id FROM submissions")
    evidence_id = await bot.db.fetchval("SELECT id FROM evidence_files")
    # Another district's office, and a teacher of the school itself.
    rows = [*BASIC_ROWS, ("PGD-KHAC", "Phòng GD&ĐT Khác", "SGD", "Văn Phòng Khác", "vp",
                          "0977000009")]  # fmt: skip
    await apply_import(bot.db, read_roster(csv_file(rows)), NOW)
    await register_by_phone(bot.db, "0977000009", 6300, NOW)
    for uid in (6300, 6104):
        user = telegram.user(uid)
        await user.send("/help")
        await user.expect("hướng dẫn")
        await user.press_data(f"ev:{submission_id}:{evidence_id}")
        await telegram.wait_until(lambda user=user: bool(user.answers))  # type: ignore[misc]
        assert user.answers[-1]["show_alert"]
        assert "không có quyền" in (user.answers[-1].get("text") or "")
        assert sent_files(telegram, uid) == []
    # The office in scope, with a file that is not this report's.
    other = await bot.db.write(
        "INSERT INTO evidence_files (file_unique_id, file_id, file_name, created_at)"
        " VALUES ('x', 'x', 'khac.pdf', '2023-12-01')"
    )
    office = telegram.user(6001)
    await office.send("/help")
    await office.expect("hướng dẫn")
    await office.press_data(f"ev:{submission_id}:{other}")
    await telegram.wait_until(lambda: bool(office.answers))
    assert office.answers[-1]["show_alert"]
    assert "không (còn) thuộc" in (office.answers[-1].get("text") or "")
    assert sent_files(telegram, 6001) == []


async def test_an_admin_off_the_roster_may_send_back(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await launch(bot, telegram)
    await submit_as(telegram, 6102)
    admin = telegram.user(ADMIN_ID)
    report = await open_submitted(admin)
    await admin.press("↩️ Yêu cầu bổ sung", report)
    await admin.expect("lý do")
    await say(admin, "Thiếu biên bản họp", "Đã gửi yêu cầu bổ sung")
    teacher = telegram.user(6102)
    notice = await teacher.expect("Văn phòng yêu cầu bổ sung", timeout=10)
    assert "Thiếu biên bản họp" in notice.shown
    assert await bot.db.fetchval("SELECT returned_by FROM submissions") is None
    await teacher.press("✏️ Bổ sung báo cáo", notice)
    await teacher.expect("yêu cầu bổ sung")
    await teacher.expect("Xem lại")
    await teacher.press("📨 Gửi")  # unchanged: back to submitted, nobody to tell
    receipt = await teacher.expect("Không có gì thay đổi")
    assert "bản 1" in receipt.shown
    row = await bot.db.fetchone("SELECT status, version FROM submissions")
    assert row is not None and tuple(row) == ("submitted", 1)
    await admin.expect_nothing(0.3)
