"""/baocao end to end: every question type, bad input, back/skip/cancel/resume, restart,
corrections, late and closed rounds, and who may answer what."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from formats.forms import parse_form_file
from formats.roster_file import read_roster
from handlers.campaign_message import campaign_payload
from storage.campaigns import CampaignSpec, Round, launch_campaign
from storage.people import register_by_phone
from storage.roster import apply_import
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


async def launch(
    bot: RunningBot, telegram: FakeTelegram, kind: str = "person",
    form_yaml: str | None = EVERY_TYPE, builtin: str = "review",
) -> int:  # fmt: skip
    """A campaign to everyone but the office, with one round using the form above (or
    another form file, or with `form_yaml=None` the built-in form `builtin`)."""
    bot.clock.set(START)
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    for phone, uid in PEOPLE.items():
        telegram.user(uid)
        await register_by_phone(bot.db, phone, uid, NOW)
    spec = CampaignSpec(
        "Thi đua năm học 2023-2024", "1234/KH-SGDĐT", None, None, None, "", (), True, (),
        ("principal", "teacher"), None, None, None,
        (Round("Sơ kết", kind, DEADLINE, builtin),),
    )  # fmt: skip
    await launch_campaign(
        bot.db, spec, created_by=6001, progress_chat_id=None, progress_message_id=None,
        payload_for=lambda cid, rounds: campaign_payload(cid, spec, rounds), now=START,
    )  # fmt: skip
    round_id = await bot.db.fetchval("SELECT id FROM rounds")
    if form_yaml is not None:
        form = parse_form_file(form_yaml.encode(), "form.yaml")
        await bot.db.write(
            "UPDATE rounds SET form_json = ? WHERE id = ?", (form.to_json(), round_id)
        )
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
    await answer_up_to_files(teacher)
    await teacher.send_photo(b"\xff\xd8 anh")
    await teacher.expect("1 tệp")
    await teacher.press("✔️ Xong")
    await teacher.expect("Xem lại")


async def answer_up_to_files(teacher: FakeUser) -> None:
    """Questions 1 to 7 of the form above, from question 1; ends at the files question."""
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


async def test_correction_before_the_deadline_keeps_history(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    teacher = await submit_on_time(bot, telegram)
    summary = await open_report(teacher)  # read-only: nothing to send until something changes
    assert "Báo cáo đã nộp" in summary.shown and "Bản 1" in summary.shown
    assert summary.buttons() == [["✏️ Sửa"]]
    await teacher.press("✏️ Sửa", summary)
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
    await teacher.send("/baocao")
    nothing = await teacher.expect("do hiệu trưởng trả lời")  # nothing to answer, and why
    assert "bot sẽ nhắn" not in nothing.shown  # no promise of a message that never comes
    await teacher.press_data(f"rpt:{round_id}")  # a forged button
    await teacher.expect("không dành cho bạn")
    principal = telegram.user(6101)
    assert (await open_report(principal)).contains("Câu 1/8")
    assert await bot.db.fetchval("SELECT subject FROM submissions") == "unit:3"


async def test_another_units_round_is_refused(bot: RunningBot, telegram: FakeTelegram) -> None:
    round_id = await launch(bot, telegram)
    stranger_phone = "0977000001"
    # Office staff are not in the campaign's audience (principals and teachers), so even
    # registering after the launch they do not receive it.
    rows = [*BASIC_ROWS, ("SGD", "Sở GD&ĐT Bình Phước", "", "Người Sở", "văn phòng",
                          stranger_phone)]  # fmt: skip
    await apply_import(bot.db, read_roster(csv_file(rows)), NOW)
    await register_by_phone(bot.db, stranger_phone, 6200, NOW)
    outsider = telegram.user(6200)
    await outsider.send("/help")
    await outsider.expect("hướng dẫn")
    await outsider.press_data(f"rpt:{round_id}")
    await outsider.expect("không dành cho bạn")
    assert await bot.db.fetchval("SELECT COUNT(*) FROM submissions") == 0


def last_with(user: FakeUser, button: str) -> SentMessage:
    return next(m for m in reversed(user.messages()) if m.has_button(button))


async def submit_on_time(bot: RunningBot, telegram: FakeTelegram) -> FakeUser:
    await launch(bot, telegram)
    teacher = telegram.user(6102)
    assert (await open_report(teacher)).contains("Câu 1/8")
    await fill_all(teacher)
    await teacher.press("📨 Gửi")
    await teacher.expect("Đã nộp báo cáo")
    return teacher


async def versions(bot: RunningBot) -> tuple[int, int, int, str]:
    """(version, late, versions in the history, submitted_at) of the only report."""
    row = await bot.db.fetchone("SELECT version, late, submitted_at FROM submissions")
    assert row is not None
    history = await bot.db.fetchval("SELECT COUNT(*) FROM submission_history")
    return int(row[0]), int(row[1]), int(history), str(row[2])


async def test_after_the_deadline_an_unchanged_report_stays_on_time(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    teacher = await submit_on_time(bot, telegram)
    first = await versions(bot)
    old_summary = last_with(teacher, "📨 Gửi")  # the summary sent before the deadline
    bot.clock.set(DEADLINE + timedelta(days=1))

    shown = await open_report(teacher)  # read-only, «Sửa» the only way in
    assert "Báo cáo đã nộp" in shown.shown and "đúng hạn" in shown.shown
    assert shown.buttons() == [["✏️ Sửa"]]
    assert "nếu sửa và gửi lại, bản sửa sẽ ghi là nộp muộn" in shown.shown
    await teacher.press("✏️ Sửa", shown)
    await teacher.expect("Chọn câu cần sửa")
    await teacher.press("2. Số cán bộ, giáo viên tham gia")
    await teacher.expect("Câu 2/8")
    await teacher.press("↪️ Giữ nguyên")
    unchanged = await teacher.expect("Báo cáo đã nộp")  # still nothing to send
    assert "Chưa có gì thay đổi" in unchanged.shown and not unchanged.has_button("📨 Gửi")

    await teacher.press("📨 Gửi", old_summary)  # an old «Gửi», pressed anyway
    receipt = await teacher.expect("Không có gì thay đổi")
    assert "nộp đúng hạn" in receipt.shown and "không tạo bản mới" in receipt.shown
    assert await versions(bot) == first  # no new version, still on time, same time
    assert first[1] == 0

    await open_report(teacher)
    await teacher.press("✏️ Sửa")
    await teacher.expect("Chọn câu cần sửa")
    await teacher.press("2. Số cán bộ, giáo viên tham gia")
    await teacher.expect("Câu 2/8")
    await say(teacher, "12", "Xem lại")  # a change: now there is something to send
    await teacher.press("📨 Gửi", last_with(teacher, "📨 Gửi"))
    late = await teacher.expect("Đã nộp báo cáo")
    assert "Nộp muộn" in late.shown
    version, is_late, history, _ = await versions(bot)
    assert (version, is_late, history) == (2, 1, 2)


async def test_an_unchanged_resend_before_the_deadline_makes_no_new_version(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    teacher = await submit_on_time(bot, telegram)
    first = await versions(bot)
    old_summary = last_with(teacher, "📨 Gửi")
    shown = await open_report(teacher)
    assert shown.buttons() == [["✏️ Sửa"]] and "Bạn có thể sửa đến hạn" in shown.shown
    await teacher.press("✏️ Sửa", shown)
    await teacher.expect("Chọn câu cần sửa")
    await teacher.press("2. Số cán bộ, giáo viên tham gia")
    await teacher.expect("Câu 2/8")
    await say(teacher, "10", "Chưa có gì thay đổi")  # the same answer again
    await teacher.press("📨 Gửi", old_summary)
    await teacher.expect("Không có gì thay đổi")
    assert await versions(bot) == first


FILES_FORM = """
title: Minh chứng phong trào
questions:
  - key: ket_qua
    prompt: Kết quả đạt được
  - key: minh_chung
    prompt: Minh chứng (ảnh, biên bản)
    type: tệp
    required: không
"""


async def evidence_names_sent(bot: RunningBot) -> list[str]:
    answers = await bot.db.fetchval("SELECT answers FROM submissions")
    ids = json.loads(answers).get("minh_chung") or []
    rows = await bot.db.fetchall("SELECT id, file_name FROM evidence_files")
    names = {row[0]: row[1] for row in rows}
    return [names[i] for i in ids]


async def correct_files(teacher: FakeUser) -> SentMessage:
    await teacher.press("✏️ Sửa")
    await teacher.expect("Chọn câu cần sửa")
    await teacher.press("2. Minh chứng (ảnh, biên bản)")
    return await teacher.expect("Câu 2/2")


async def test_correcting_keeps_the_evidence_unless_removed(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await launch(bot, telegram, form_yaml=FILES_FORM)
    teacher = telegram.user(6102)
    assert (await open_report(teacher)).contains("Câu 1/2")
    await say(teacher, "Đã trao 5 suất học bổng", "Câu 2/2")
    await teacher.send_document("bien_ban.pdf", b"%PDF bien ban", "application/pdf")
    await teacher.expect("1 tệp")
    await teacher.press("✔️ Xong")
    await teacher.expect("Xem lại")
    await teacher.press("📨 Gửi")
    await teacher.expect("Đã nộp báo cáo")

    await open_report(teacher)
    question = await correct_files(teacher)
    assert "Tệp đã gửi: bien_ban.pdf" in question.shown
    buttons = [text for row in question.buttons() for text in row]
    assert "↪️ Giữ nguyên" in buttons and "🗑 Xóa tệp đã gửi" in buttons
    await teacher.press("⏭ Bỏ qua", question)  # skipping leaves what is attached
    after_skip = await teacher.expect("bien_ban.pdf")
    assert "Chưa có gì thay đổi" in after_skip.shown

    await correct_files(teacher)
    await teacher.press("↪️ Giữ nguyên")
    await teacher.expect("Chưa có gì thay đổi")
    assert await evidence_names_sent(bot) == ["bien_ban.pdf"]

    await correct_files(teacher)
    await teacher.press("🗑 Xóa tệp đã gửi")
    await teacher.expect("Đã xóa 1 tệp")
    again = await teacher.expect("Câu 2/2")
    assert "Tệp đã gửi" not in again.shown
    await teacher.send_document("anh_moi.pdf", b"%PDF anh moi", "application/pdf")
    await teacher.expect("1 tệp")
    await teacher.press("✔️ Xong")
    summary = await teacher.expect("Xem lại")
    assert "anh_moi.pdf" in summary.shown and "bien_ban.pdf" not in summary.shown
    await teacher.press("📨 Gửi", summary)
    await teacher.expect("Đã nộp báo cáo")
    assert await evidence_names_sent(bot) == ["anh_moi.pdf"]


@pytest.mark.parametrize(
    ("kind", "uid", "wording"),
    [("person", 6102, "Bạn có tham gia phong trào không?"),
     ("unit", 6101, "Đơn vị có tham gia phong trào không?")],
)  # fmt: skip
async def test_built_in_questions_speak_to_who_answers(
    bot: RunningBot, telegram: FakeTelegram, kind: str, uid: int, wording: str
) -> None:
    await launch(bot, telegram, kind=kind, form_yaml=None, builtin="participation")
    user = telegram.user(uid)
    question = await open_report(user)
    assert wording in question.shown and "Đơn vị/bạn" not in question.shown
    await user.press("✅ Có")
    await user.expect("Câu 2/2")
    await user.press("⏭ Bỏ qua")
    summary = await user.expect("Xem lại")
    assert wording in summary.shown


async def test_a_custom_form_is_asked_as_written(bot: RunningBot, telegram: FakeTelegram) -> None:
    written = 'title: Tham gia\nquestions:\n  - prompt: "Đơn vị/bạn có tham gia không?"\n'
    await launch(bot, telegram, form_yaml=written)
    question = await open_report(telegram.user(6102))
    assert "Đơn vị/bạn có tham gia không?" in question.shown


async def test_example_dates_come_from_the_clock(bot: RunningBot, telegram: FakeTelegram) -> None:
    await launch(bot, telegram)  # the clock: 1 December 2023
    teacher = telegram.user(6102)
    assert (await open_report(teacher)).contains("Câu 1/8")
    await say(teacher, "Kết quả", "Câu 2/8")
    await say(teacher, "10", "Câu 3/8")
    await say(teacher, "50", "Câu 4/8")
    await teacher.press("❌ Không")
    await teacher.expect("Câu 5/8")
    await teacher.press("Khá")
    date_question = await teacher.expect("Câu 6/8")
    assert "ví dụ 01/12/2023" in date_question.shown
    await say(teacher, "mai", "ví dụ 01/12/2023")
    await say(teacher, "   ", "ví dụ 01/12/2023")
