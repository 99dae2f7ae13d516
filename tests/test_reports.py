"""/baocao end to end: every question type, bad input, back/skip/cancel/resume, restart,
corrections, late and closed rounds, and who may answer what."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from handlers.campaign_message import campaign_payload
from storage.campaigns import CampaignSpec, Round, launch_campaign
from storage.forms import parse_form_file
from storage.people import register_by_phone
from storage.roster import apply_import
from storage.roster_file import read_roster
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.helpers import BASIC_ROWS, NOW, VN, csv_file

START = datetime(2023, 12, 1, 9, 0, tzinfo=VN)
DEADLINE = datetime(2024, 1, 25, 23, 59, tzinfo=VN)
EVERY_TYPE = """
title: Báo cáo sơ kết học kỳ I
questions:
  - key: ket_qua
    prompt: Kết quả đạt được
    type: văn bản
    max_length: 2000
  - key: so_nguoi
    prompt: Số cán bộ, giáo viên tham gia
    type: số nguyên
    minimum: 0
  - key: ty_le
    prompt: Tỷ lệ tham gia
    type: phần trăm
  - key: hoc_bong
    prompt: Đơn vị có trao học bổng không?
    type: có không
  - key: muc_do
    prompt: Mức độ hoàn thành
    type: lựa chọn
    choices: [Xuất sắc, Tốt, Khá]
  - key: ngay
    prompt: Ngày tổ chức sơ kết
    type: ngày
  - key: de_xuat
    prompt: Đề xuất, kiến nghị
    type: văn bản
    required: không
  - key: minh_chung
    prompt: Minh chứng (ảnh, biên bản)
    type: tệp
"""
PEOPLE = {"0911000001": 6001, "0912000001": 6101, "0912000002": 6102, "0913000001": 6103,
          "0323000002": 6104}  # fmt: skip


async def launch(bot: RunningBot, telegram: FakeTelegram, kind: str = "person") -> int:
    """A campaign to everyone but the office, with one round using the form above."""
    bot.clock.set(START)
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    for phone, uid in PEOPLE.items():
        telegram.user(uid)
        await register_by_phone(bot.db, phone, uid, NOW)
    spec = CampaignSpec(
        "Thi đua năm học 2023-2024", "1234/KH-SGDĐT", None, None, None, "", (), True, (),
        ("principal", "teacher"), None, None, None,
        (Round("Sơ kết", kind, DEADLINE, "review"),),
    )  # fmt: skip
    await launch_campaign(
        bot.db, spec, created_by=6001, progress_chat_id=None, progress_message_id=None,
        payload_for=lambda cid, rounds: campaign_payload(cid, spec, rounds), now=START,
    )  # fmt: skip
    form = parse_form_file(EVERY_TYPE.encode(), "form.yaml")
    round_id = await bot.db.fetchval("SELECT id FROM rounds")
    await bot.db.write("UPDATE rounds SET form_json = ? WHERE id = ?", (form.to_json(), round_id))
    assert bot.app is not None and bot.app.bot_data.sender is not None
    bot.app.bot_data.sender.wake()
    for uid in PEOPLE.values():
        if uid != 6001:
            await telegram.user(uid).expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    return int(round_id)


async def open_report(user: FakeUser) -> SentMessage:
    """/baocao, then the first round: its intro with the first question in the same message,
    or the summary of a report already sent."""
    await user.send("/baocao")
    await user.expect("Các đợt báo cáo của bạn")
    await user.press(next(b for row in user.messages()[-1].buttons() for b in row))
    return await user.expect("Sơ kết")


async def say(user: FakeUser, text: str, expect: str) -> None:
    await user.send(text)
    await user.expect(expect)


async def test_every_type_with_bad_input_then_submit(
    bot: RunningBot, telegram: FakeTelegram, tmp_path: Path
) -> None:
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    assert (await open_report(teacher)).contains("Câu 1/8")
    await teacher.send_sticker()
    await teacher.expect("cần trả lời bằng chữ")
    await say(teacher, "   ", "chưa nhập câu trả lời")  # told; the question stays open
    await teacher.send("x" * 10_000)
    too_long = await teacher.expect("10.000")
    assert "2.000" in too_long.shown
    await say(teacher, "Đã tổ chức 3 hoạt động ủng hộ, quyên góp 12,5 triệu đồng.", "Câu 2/8")
    await teacher.send("mười hai")
    await teacher.expect("số")
    await teacher.send("2,5")
    await teacher.expect("nguyên")
    await say(teacher, "1.234", "Câu 3/8")
    await teacher.send("101%")
    await teacher.expect("100")
    await say(teacher, "85,5%", "Câu 4/8")
    await teacher.send("có lẽ")
    await teacher.expect("Có")
    await teacher.press("✅ Có")
    await teacher.expect("Câu 5/8")
    await teacher.press("Tốt")
    await teacher.expect("Câu 6/8")
    await teacher.send("31/02/2025")
    await teacher.expect("không tồn tại")
    await say(teacher, "15/01/2024", "Câu 7/8")
    await teacher.press("⬅️ Quay lại")
    back = await teacher.expect("Câu 6/8")
    assert "Câu trả lời trước: 15/01/2024" in back.shown
    await teacher.press("↪️ Giữ nguyên")
    await teacher.expect("Câu 7/8")
    await teacher.press("⏭ Bỏ qua")
    await teacher.expect("Câu 8/8")
    await teacher.press("✔️ Xong")
    await teacher.expect("bắt buộc")
    await teacher.send_document("video.mp4", b"\0" * (20 * 1024 * 1024 + 1), "video/mp4")
    await teacher.expect("20 MB")
    photo = b"\xff\xd8\xff anh hoat dong"
    await teacher.send_photo(photo)
    await teacher.expect("1 tệp")
    await teacher.send_photo(photo)  # the same photo again is kept once
    await teacher.expect("1 tệp")
    await teacher.send_document("bien_ban.pdf", b"%PDF bien ban", "application/pdf")
    await teacher.expect("2 tệp")
    await teacher.press("✔️ Xong")
    summary = await teacher.expect("Xem lại")
    for shown in ("1.234", "85,5%", "Có", "Tốt", "15/01/2024", "bien_ban.pdf"):
        assert shown in summary.shown
    await teacher.press("📨 Gửi")
    receipt = await teacher.expect("Đã nộp báo cáo")
    assert "Nộp muộn" not in receipt.shown and "sửa báo cáo đến hạn" in receipt.shown

    row = await bot.db.fetchone("SELECT status, answers, late, version FROM submissions")
    assert row is not None and row[0] == "submitted" and row[2] == 0 and row[3] == 1
    assert '"so_nguoi": 1234' in row[1] and '"ty_le": 85.5' in row[1]
    assert '"de_xuat"' not in row[1]  # skipped
    assert await bot.db.fetchval("SELECT COUNT(*) FROM drafts") == 0  # ended with the report
    files = await bot.db.fetchall("SELECT path, size FROM evidence_files ORDER BY id")
    assert len(files) == 2
    assert Path(files[0][0]).read_bytes() == photo


async def test_cancel_resume_and_restart(bot: RunningBot, telegram: FakeTelegram) -> None:
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    assert (await open_report(teacher)).contains("Câu 1/8")
    await say(teacher, "Kết quả tốt", "Câu 2/8")
    await say(teacher, "40", "Câu 3/8")
    await say(teacher, "/huy", "Bản nháp được giữ lại")
    await say(teacher, "/tiendo", "Các kế hoạch bạn đã nhận")  # free again
    await teacher.send("/baocao")
    listing = await teacher.expect("Các đợt báo cáo của bạn")
    assert listing.buttons()[0][0].startswith("📝")  # a draft
    await teacher.press(listing.buttons()[0][0])
    resumed = await teacher.expect("Sơ kết")
    assert resumed.contains("Câu 3/8")  # where it stopped
    await bot.restart()
    await say(teacher, "90", "Câu 4/8")  # the conversation survived the restart
    answers = await bot.db.fetchval("SELECT draft FROM submissions")
    assert '"ket_qua": "Kết quả tốt"' in answers and '"ty_le": 90' in answers


async def fill_all(teacher: FakeUser) -> None:
    await say(teacher, "Kết quả", "Câu 2/8")
    await say(teacher, "10", "Câu 3/8")
    await say(teacher, "50", "Câu 4/8")
    await teacher.press("❌ Không")
    await teacher.expect("Câu 5/8")
    await teacher.press("Khá")
    await teacher.expect("Câu 6/8")
    await say(teacher, "10/01/2024", "Câu 7/8")
    await teacher.press("⏭ Bỏ qua")
    await teacher.expect("Câu 8/8")
    await teacher.send_photo(b"\xff\xd8 anh")
    await teacher.expect("1 tệp")
    await teacher.press("✔️ Xong")
    await teacher.expect("Xem lại")


async def test_correction_before_the_deadline_keeps_history(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    assert (await open_report(teacher)).contains("Câu 1/8")
    await fill_all(teacher)
    await teacher.press("📨 Gửi")
    await teacher.expect("Đã nộp báo cáo")
    summary = await open_report(teacher)
    assert "Xem lại" in summary.shown and "Bạn đã nộp bản 1" in summary.shown
    await teacher.press("✏️ Sửa")
    await teacher.expect("Chọn câu cần sửa")
    await teacher.press("2. Số cán bộ, giáo viên tham gia")
    question = await teacher.expect("Câu 2/8")
    assert "Câu trả lời trước: 10" in question.shown
    await say(teacher, "12", "Xem lại")
    await teacher.press("📨 Gửi")
    receipt = await teacher.expect("Đã nộp báo cáo")
    assert "bản sửa thứ 1" in receipt.shown
    history = await bot.db.fetchall("SELECT version, answers FROM submission_history")
    assert [h[0] for h in history] == [1, 2]
    assert '"so_nguoi": 10' in history[0][1] and '"so_nguoi": 12' in history[1][1]


async def test_late_submission_is_accepted_and_marked(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await launch(bot, telegram)
    teacher = telegram.user(6104)
    bot.clock.set(DEADLINE + timedelta(days=2))
    assert (await open_report(teacher)).contains("Câu 1/8")
    await fill_all(teacher)
    await teacher.press("📨 Gửi")
    receipt = await teacher.expect("Đã nộp báo cáo")
    assert "Nộp muộn" in receipt.shown
    assert await bot.db.fetchval("SELECT late FROM submissions") == 1


async def test_closed_round_refuses(bot: RunningBot, telegram: FakeTelegram) -> None:
    round_id = await launch(bot, telegram)
    teacher = telegram.user(6102)
    assert (await open_report(teacher)).contains("Câu 1/8")
    await fill_all(teacher)
    await bot.db.write("UPDATE rounds SET closed = 1 WHERE id = ?", (round_id,))
    await teacher.press("📨 Gửi")  # closed while the summary was on screen
    await teacher.expect("đã được văn phòng đóng")
    assert await bot.db.fetchval("SELECT status FROM submissions") == "draft"


async def test_teacher_cannot_answer_a_unit_round(bot: RunningBot, telegram: FakeTelegram) -> None:
    round_id = await launch(bot, telegram, kind="unit")
    teacher = telegram.user(6102)
    await say(teacher, "/baocao", "không có đợt báo cáo nào")
    await teacher.press_data(f"rpt:{round_id}")  # a forged button
    await teacher.expect("không dành cho bạn")
    principal = telegram.user(6101)
    assert (await open_report(principal)).contains("Câu 1/8")
    assert await bot.db.fetchval("SELECT subject FROM submissions") == "unit:3"


async def test_another_units_round_is_refused(bot: RunningBot, telegram: FakeTelegram) -> None:
    round_id = await launch(bot, telegram)
    stranger_phone = "0977000001"
    rows = [*BASIC_ROWS, ("SGD", "Sở GD&ĐT Bình Phước", "", "Người Sở", "gv", stranger_phone)]
    await apply_import(bot.db, read_roster(csv_file(rows)), NOW)
    await register_by_phone(bot.db, stranger_phone, 6200, NOW)
    outsider = telegram.user(6200)
    await outsider.send("/help")
    await outsider.expect("hướng dẫn")
    await outsider.press_data(f"rpt:{round_id}")
    await outsider.expect("không dành cho bạn")
    assert await bot.db.fetchval("SELECT COUNT(*) FROM submissions") == 0
