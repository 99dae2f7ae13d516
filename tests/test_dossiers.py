"""Award dossiers (/hoso) for a campaign's final round, and a campaign's own nomination quota:
the office sets both in /duyet; the principal sees what is missing until all is there; the
office sees per unit which dossiers are complete in /tiendo."""

from __future__ import annotations

from datetime import datetime

from handlers.campaign_message import campaign_payload
from storage.campaigns import CampaignSpec, Round, launch_campaign
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.helpers import NOW, VN
from tests.test_nominations import nominate, press, roster, step

TITLE = "Thi đua năm học 2026-2027"


async def launch(bot: RunningBot, telegram: FakeTelegram) -> int:
    """The Sở's campaign to every principal and teacher, with a mid-term and a final round."""
    await roster(bot, telegram)
    spec = CampaignSpec(
        TITLE, "12/KH-SGDĐT", None, None, None, "", (), True, (), ("principal", "teacher"),
        None, None, None,
        (Round("Sơ kết", "unit", datetime(2027, 1, 25, 17, 0, tzinfo=VN), "review"),
         Round("Tổng kết", "unit", datetime(2027, 7, 15, 17, 0, tzinfo=VN), "review")),
    )  # fmt: skip
    campaign_id, _, _ = await launch_campaign(
        bot.db, spec, created_by=7001, progress_chat_id=None, progress_message_id=None,
        payload_for=lambda cid, rounds: campaign_payload(cid, spec, rounds), now=NOW,
    )  # fmt: skip
    assert bot.app is not None and bot.app.bot_data.sender is not None
    bot.app.bot_data.sender.wake()
    for uid in (7101, 7102, 7103, 7201, 7202, 7302, 7303):
        await telegram.user(uid).expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    return campaign_id


async def settings(office: FakeUser) -> SentMessage:
    await office.send("/duyet")
    await office.expect("Duyệt điển hình tiên tiến")
    await press(office, "⚙️ Chỉ tiêu, hồ sơ theo phong trào", "Chọn phong trào")
    return await press(office, f"📌 {TITLE}", TITLE)


async def dossier_progress(telegram: FakeTelegram, office: FakeUser) -> SentMessage:
    """/tiendo, and its award dossier section (after the campaign's own messages)."""
    before = len(office.messages())
    await office.send("/tiendo")
    await telegram.wait_until(
        lambda: any("Hồ sơ đề nghị khen thưởng" in m.shown for m in office.messages()[before:])
    )
    found = [m for m in office.messages()[before:] if "Hồ sơ đề nghị khen thưởng" in m.shown]
    while len(office.messages()) > office._cursor:
        await office.expect()
    return found[-1]


async def test_the_dossier_checklist_until_complete(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await launch(bot, telegram)
    lan = telegram.user(7101)
    await step(lan, "/hoso", "không có phong trào nào yêu cầu")  # not asked for yet
    so = telegram.user(7001)
    card = await settings(so)
    assert "không yêu cầu" in card.shown
    await so.press("⬜ Yêu cầu hồ sơ đề nghị khen thưởng", card)
    toggled = await so.expect("Đã lưu")
    assert "có yêu cầu" in toggled.shown and "/hoso" in toggled.shown

    checklist = await step(lan, "/hoso", "Hồ sơ đề nghị khen thưởng")
    assert "Nộp cùng Tổng kết, hạn 17 giờ 00 ngày 15/07/2027" in checklist.shown
    assert checklist.shown.count("còn thiếu") == 3 and "Còn thiếu 3/3 phần" in checklist.shown
    await press(lan, "📎 Tờ trình, tóm tắt thành tích", "Gửi tệp cho phần Tờ trình")
    await step(lan, "đây là tờ trình", "Hãy gửi tệp hoặc ảnh cho phần này")
    await lan.send_document("to_trinh.docx", b"PK to trinh", "application/msword")
    await lan.expect("1 tệp")
    await lan.press("✔️ Xong")
    after_one = await lan.expect("Còn thiếu 2/3 phần")
    assert "to_trinh.docx" in after_one.shown
    await press(lan, "📎 Biên bản họp xét", "Biên bản họp xét")
    await step(lan, "/huy", "Hồ sơ đã được lưu")  # nothing sent is lost

    progress = await dossier_progress(telegram, so)
    assert "đủ 0/" in progress.shown
    assert "Trường THCS Tân Phú: còn thiếu biên bản họp xét, báo cáo thành tích" in progress.shown
    assert "Trường TH Bù Đăng: còn thiếu tờ trình" in progress.shown

    await lan.send("/hoso")
    await lan.expect("Còn thiếu 2/3 phần")
    await press(lan, "📎 Biên bản họp xét", "Biên bản họp xét")
    await lan.send_document("bien_ban.pdf", b"%PDF bien ban hop xet", "application/pdf")
    await lan.expect("1 tệp")
    await press(lan, "✔️ Xong", "Còn thiếu 1/3 phần")
    await press(lan, "📎 Báo cáo thành tích (kèm minh chứng)", "Báo cáo thành tích")
    await lan.send_document("bao_cao.pdf", b"%PDF bao cao thanh tich", "application/pdf")
    await lan.expect("1 tệp")
    await lan.send_photo(b"\xff\xd8 anh minh chung")
    await lan.expect("2 tệp")
    complete = await press(lan, "✔️ Xong", "Hồ sơ đã đủ 3/3 phần")
    assert "❌" not in complete.shown

    progress = await dossier_progress(telegram, so)
    assert "đủ 1/" in progress.shown and "Trường THCS Tân Phú: ✅ đủ hồ sơ" in progress.shown
    mine = await dossier_progress(telegram, lan)
    assert "Hồ sơ đề nghị khen thưởng — " + TITLE + ": ✅ đã đủ" in mine.shown
    rows = await bot.db.fetchall("SELECT part, COUNT(*) FROM dossier_files GROUP BY part")
    assert sorted(tuple(r) for r in rows) == [("bao_cao", 2), ("bien_ban", 1), ("to_trinh", 1)]

    teacher = telegram.user(7102)
    await step(teacher, "/hoso", "chỉ dành cho hiệu trưởng")
    forged = await bot.db.fetchval("SELECT round_id FROM award_dossiers")
    count = len(teacher.answers)
    await teacher.press_data(f"hs:p:{forged}:0")
    await telegram.wait_until(lambda: len(teacher.answers) > count)
    assert teacher.answers[-1].get("show_alert")


async def test_a_campaign_with_its_own_quota(bot: RunningBot, telegram: FakeTelegram) -> None:
    campaign_id = await launch(bot, telegram)
    dang = telegram.user(7301)  # a Phòng's office does not set the Sở's campaign
    await step(dang, "/help", "hướng dẫn")
    await dang.press_data(f"dy:cq:{campaign_id}:5")
    await telegram.wait_until(lambda: bool(dang.answers))
    assert dang.answers[-1].get("show_alert")
    assert await bot.db.fetchval("SELECT COUNT(*) FROM campaign_nomination_settings") == 0
    so = telegram.user(7001)
    card = await settings(so)
    await so.press("1", card)
    saved = await so.expect("Đã lưu")
    assert "tính riêng" in saved.shown
    lan = telegram.user(7101)
    await nominate(lan, person="Trần Văn Ân")
    await nominate(lan, person="Đỗ Thị Bình")
    await lan.send("/dienhinh")
    full = await lan.expect("đã gửi 2/2 đề nghị")
    assert f"Phong trào có chỉ tiêu riêng còn chỗ: {TITLE}" in full.shown
    await press(lan, f"➡️ Đề nghị theo: {TITLE}", "1. Đề nghị cá nhân hay tập thể?")
    await press(lan, "👥 Tập thể", "2. Tên tập thể")
    await step(lan, "Tổ Ngữ văn", "3. Chức vụ")
    await step(lan, "Tổ chuyên môn", "4. Lĩnh vực")
    await press(lan, "Giảng dạy", "5. Tóm tắt thành tích")
    await step(lan, "Đổi mới phương pháp dạy đọc hiểu.", "6. Minh chứng")
    question = await press(lan, "✔️ Xong", "7. Đề nghị này thuộc phong trào nào?")
    assert f"Câu trả lời trước: {TITLE}" in question.shown
    await press(lan, f"📌 {TITLE}", "Xem lại đề nghị")
    await lan.press("📨 Gửi")
    sent = await lan.expect("Đã gửi đề nghị")
    assert "1/1 đề nghị" in sent.shown
    row = await bot.db.fetchone("SELECT campaign_id FROM nominations WHERE nominee_name = ?",
                                ("Tổ Ngữ văn",))  # fmt: skip
    assert row is not None and row[0] == campaign_id
    # The campaign's quota is full too now: nothing more under it.
    await lan.send("/dienhinh")
    again = await lan.expect("đã gửi 2/2 đề nghị")
    assert "chỉ tiêu riêng còn chỗ" not in again.shown


async def test_a_lost_dossier_draft_is_said_so(bot: RunningBot, telegram: FakeTelegram) -> None:
    """The draft naming the part waiting for files is gone (or from another version): the
    principal is told, the files already sent stay, and nothing is filed under a guess."""
    await launch(bot, telegram)
    so = telegram.user(7001)
    card = await settings(so)
    await so.press("⬜ Yêu cầu hồ sơ đề nghị khen thưởng", card)
    await so.expect("Đã lưu")
    lan = telegram.user(7101)
    await step(lan, "/hoso", "Hồ sơ đề nghị khen thưởng")
    await press(lan, "📎 Tờ trình, tóm tắt thành tích", "Gửi tệp cho phần Tờ trình")
    await lan.send_document("to_trinh.docx", b"PK to trinh", "application/msword")
    await lan.expect("1 tệp")
    await bot.db.write("UPDATE drafts SET data = '{\"round_id\": 1}' WHERE flow = 'hoso'")
    await lan.send_document("bien_ban.pdf", b"%PDF bien ban", "application/pdf")
    lost = await lan.expect("Không còn phần hồ sơ nào đang chờ tệp")
    assert "vẫn được lưu" in lost.shown and "/hoso" in lost.shown
    rows = await bot.db.fetchall("SELECT part FROM dossier_files")
    assert [r[0] for r in rows] == ["to_trinh"]
    assert await bot.db.fetchval("SELECT COUNT(*) FROM drafts") == 0
