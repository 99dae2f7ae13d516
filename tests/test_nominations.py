"""/dienhinh end to end: individual from the roster and collective with evidence, the quota and
a replacement, who may nominate whom, quarters by the bot's time zone, a restart mid-flow."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

import handlers.nominate
from formats.roster_file import read_roster
from storage.db import Database
from storage.nominations import (
    NominationSpec,
    file_nomination,
    units_without_nomination,
    withdraw_nomination,
)
from storage.people import register_by_phone
from storage.quarters import Quarter, days_left, filing_quarters, quarter_of
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.helpers import NOW, TWO_DISTRICTS, VN, csv_file
from tests.test_flows import UNKNOWN, alert, count, dies_after, lose_state_writes

PEOPLE = {
    "0911000001": 7001,  # Lê Văn Sở, the Sở's office
    "0911000002": 7002,  # Phạm Thị Phòng, Phòng Đồng Xoài's office
    "0912000001": 7101,  # Nguyễn Thị Lan, principal of THCS Tân Phú
    "0912000002": 7102,  # Trần Văn Ân, teacher at THCS Tân Phú
    "0912000003": 7103,  # Đỗ Thị Bình, teacher at THCS Tân Phú
    "0913000001": 7201,  # Hoàng Văn Minh, principal of TH Tân Xuân
    "0323000002": 7202,  # <Lan & Hoa>, teacher at TH Tân Xuân
    "0915000001": 7301,  # Vũ Văn Đăng, Phòng Bù Đăng's office
    "0915000002": 7302,  # Lý Thị Hạnh, principal of TH Bù Đăng
    "0915000003": 7303,  # Mai Văn Tú, teacher at TH Bù Đăng
}
SUMMARY = (
    "Năm năm liền đạt danh hiệu Chiến sĩ thi đua cơ sở; chủ nhiệm lớp 9A1 có 100% học sinh "
    "lên lớp; hướng dẫn 3 học sinh đạt giải học sinh giỏi cấp tỉnh môn Toán."
)


async def roster(bot: RunningBot, telegram: FakeTelegram) -> None:
    """Two districts under the Sở, everyone registered (quý III/2026 by the harness clock)."""
    await apply_import(bot.db, read_roster(csv_file(TWO_DISTRICTS)), NOW)
    for phone, uid in PEOPLE.items():
        telegram.user(uid)
        await register_by_phone(bot.db, phone, uid, NOW)


async def step(user: FakeUser, text: str, expect: str) -> SentMessage:
    await user.send(text)
    return await user.expect(expect)


async def press(user: FakeUser, button: str, expect: str) -> SentMessage:
    await user.press(button)
    return await user.expect(expect)


async def nominate(
    user: FakeUser, *, person: str | None = None, collective: str | None = None,
    position: str = "Giáo viên", field: str = "Giảng dạy", summary: str = SUMMARY,
    files: int = 1, send: bool = True,
) -> SentMessage:  # fmt: skip
    """/dienhinh from start to the summary (and «Gửi»): a person picked from the roster by
    their button, or a collective typed."""
    await user.send("/dienhinh")
    await user.expect("1. Đề nghị cá nhân hay tập thể?")
    if collective is not None:
        await press(user, "👥 Tập thể", "2. Tên tập thể")
        await step(user, collective, "3. Chức vụ")
    else:
        await press(user, "👤 Cá nhân", "2. Người được đề nghị")
        assert person is not None
        await press(user, person, "3. Chức vụ")
    await step(user, position, "4. Lĩnh vực")
    await press(user, field, "5. Tóm tắt thành tích")
    await step(user, summary, "6. Minh chứng")
    for index in range(files):
        content = f"%PDF {summary[:20]} {index}".encode()
        await user.send_document(f"minh_chung_{index}.pdf", content, "application/pdf")
        await user.expect(f"{index + 1} tệp")
    await user.press("✔️ Xong")
    await user.expect()  # the campaign question, or the summary when there is none
    summary_message = user.messages()[-1]
    if "7. Đề nghị này thuộc phong trào nào?" in summary_message.shown:
        await press(user, "Không thuộc phong trào nào", "Xem lại đề nghị")
    if not send:
        return user.messages()[-1]
    await user.press("📨 Gửi")
    return await user.expect()


async def test_a_principal_nominates_an_individual_and_a_collective(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await roster(bot, telegram)
    lan = telegram.user(7101)
    await lan.send("/dienhinh")
    kind = await lan.expect("Đề nghị điển hình tiên tiến quý III/2026")
    assert "Trường THCS Tân Phú" in kind.shown
    await press(lan, "👤 Cá nhân", "2. Người được đề nghị")
    people = lan.messages()[-1]
    # The unit's roster by given name, without the principal herself.
    assert [row[0] for row in people.buttons()[:2]] == ["Trần Văn Ân", "Đỗ Thị Bình"]
    assert not people.has_button("Nguyễn Thị Lan")
    await press(lan, "Trần Văn Ân", "3. Chức vụ")
    await lan.press("⬅️ Quay lại")
    back = await lan.expect("2. Người được đề nghị")
    assert "Câu trả lời trước: Trần Văn Ân" in back.shown
    await press(lan, "Trần Văn Ân", "3. Chức vụ")
    await step(lan, "Tổ trưởng tổ Toán – Tin", "4. Lĩnh vực")
    await step(lan, "không có", "không có trong các lựa chọn")  # a typed field is checked
    await step(lan, "2", "5. Tóm tắt thành tích")  # or chosen by its number
    await lan.send("x" * 2500)
    too_long = await lan.expect("2.500 ký tự")
    assert "tối đa 2.000" in too_long.shown and "thừa 500 ký tự" in too_long.shown
    await step(lan, SUMMARY, "6. Minh chứng")
    await lan.send_sticker()
    await lan.expect("tệp hoặc ảnh minh chứng")
    await lan.send_document("quyet_dinh.pdf", b"%PDF quyet dinh khen thuong", "application/pdf")
    await lan.expect("1 tệp")
    await lan.send_photo(b"\xff\xd8 anh trao giai")
    await lan.expect("2 tệp")
    await lan.press("✔️ Xong")
    summary = await lan.expect("Xem lại đề nghị điển hình tiên tiến quý III/2026")
    for shown in ("Cá nhân: Trần Văn Ân", "Tổ trưởng tổ Toán – Tin", "Giảng dạy",
                  "quyet_dinh.pdf", "Chiến sĩ thi đua cơ sở"):  # fmt: skip
        assert shown in summary.shown
    await lan.press("📨 Gửi")
    sent = await lan.expect("Đã gửi đề nghị điển hình tiên tiến quý III/2026")
    assert "1/2 đề nghị" in sent.shown
    assert sent.has_button("↩️ Rút đề nghị: Trần Văn Ân")

    collective = await nominate(lan, collective="Tổ Toán – Tin", position="Tổ chuyên môn",
                                field="Sáng kiến – chuyển đổi số")  # fmt: skip
    assert collective.contains("2/2 đề nghị")
    rows = await bot.db.fetchall(
        "SELECT kind, person_id, nominee_name, field, year, quarter, status, evidence,"
        " review_unit_id FROM nominations ORDER BY id"
    )
    an = await bot.db.fetchval("SELECT id FROM people WHERE phone = '0912000002'")
    phong = await bot.db.fetchval("SELECT id FROM units WHERE code = 'PGD-DX'")
    assert [tuple(r)[:7] for r in rows] == [
        ("individual", an, "Trần Văn Ân", "giang_day", 2026, 3, "pending"),
        ("collective", None, "Tổ Toán – Tin", "sang_kien", 2026, 3, "pending"),
    ]
    assert len(eval(rows[0][7])) == 2 and rows[0][8] == phong  # waits at the Phòng
    history = await bot.db.fetchall("SELECT event FROM nomination_history ORDER BY id")
    assert [h[0] for h in history] == ["created", "created"]
    assert await bot.db.fetchval("SELECT COUNT(*) FROM drafts") == 0


async def test_the_quota_then_a_replacement(bot: RunningBot, telegram: FakeTelegram) -> None:
    await roster(bot, telegram)
    lan = telegram.user(7101)
    await nominate(lan, person="Trần Văn Ân")
    await nominate(lan, person="Đỗ Thị Bình")
    await lan.send("/dienhinh")
    full = await lan.expect("đã gửi 2/2 đề nghị")
    assert "Trần Văn Ân" in full.shown and "Đỗ Thị Bình" in full.shown
    assert "người gửi: Nguyễn Thị Lan" in full.shown  # by whom
    assert full.buttons() == [["🔁 Thay đề nghị: Trần Văn Ân"], ["🔁 Thay đề nghị: Đỗ Thị Bình"]]
    await press(lan, "🔁 Thay đề nghị: Trần Văn Ân", "1. Đề nghị cá nhân hay tập thể?")
    await press(lan, "👥 Tập thể", "2. Tên tập thể")
    await step(lan, "Chi đoàn giáo viên", "3. Chức vụ")
    await step(lan, "Chi đoàn", "4. Lĩnh vực")
    await press(lan, "Hoạt động xã hội – từ thiện", "5. Tóm tắt thành tích")
    await step(lan, "Quyên góp 20 triệu đồng cho học sinh nghèo.", "6. Minh chứng")
    await press(lan, "✔️ Xong", "Xem lại đề nghị")
    await lan.press("📨 Gửi")
    sent = await lan.expect("Đã gửi đề nghị")
    assert "Trần Văn Ân đã được rút, thay bằng đề nghị này" in sent.shown
    rows = await bot.db.fetchall("SELECT nominee_name, status FROM nominations ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("Trần Văn Ân", "withdrawn"),
        ("Đỗ Thị Bình", "pending"),
        ("Chi đoàn giáo viên", "pending"),
    ]
    replaced = await bot.db.fetchone(
        "SELECT event, replaced_by FROM nomination_history WHERE nomination_id = 1"
        " ORDER BY id DESC"
    )
    assert replaced is not None and tuple(replaced) == ("withdrawn", 3)
    # Withdrawing frees a place: the next /dienhinh goes straight to the questions.
    await press(lan, "↩️ Rút đề nghị: Chi đoàn giáo viên", "Rút đề nghị")
    await press(lan, "↩️ Rút đề nghị này", "Đã rút đề nghị")
    await lan.send("/dienhinh")
    await lan.expect("1. Đề nghị cá nhân hay tập thể?")


async def test_who_may_nominate_whom(bot: RunningBot, telegram: FakeTelegram) -> None:
    await roster(bot, telegram)
    teacher = telegram.user(7102)
    await step(teacher, "/dienhinh", "chỉ dành cho văn phòng, hiệu trưởng")
    lan = telegram.user(7101)
    await step(lan, "/dienhinh", "1. Đề nghị cá nhân hay tập thể?")
    await press(lan, "👤 Cá nhân", "2. Người được đề nghị")
    await step(lan, "nguyễn thị  lan", "Không thể tự đề nghị chính mình")
    lan_id = await bot.db.fetchval("SELECT id FROM people WHERE phone = '0912000001'")
    await lan.press_data(f"dh:p:{lan_id}")
    await lan.expect("Không thể tự đề nghị chính mình")
    other = await bot.db.fetchval("SELECT id FROM people WHERE phone = '0915000003'")
    await lan.press_data(f"dh:p:{other}")  # someone of another school: a forged button
    await lan.expect("không (còn) có trong danh sách của đơn vị")
    # Someone not on the roster is typed.
    await step(lan, "Nguyễn Văn Bảo", "3. Chức vụ")
    await step(lan, "Bảo vệ", "4. Lĩnh vực")
    await press(lan, "Người tốt – việc tốt", "5. Tóm tắt thành tích")
    await step(lan, "Nhặt được ví tiền trả lại cho phụ huynh.", "6. Minh chứng")
    await press(lan, "✔️ Xong", "Xem lại đề nghị")
    assert "(không có trong danh sách đơn vị)" in lan.messages()[-1].shown
    await step(lan, "/huy", "Bản nháp đề nghị được giữ lại")
    await lan.send("/dienhinh")
    resume = await lan.expect("đang có một đề nghị soạn dở")
    assert "Nguyễn Văn Bảo" in resume.shown
    await press(lan, "▶️ Làm tiếp bản nháp", "Xem lại đề nghị")
    await lan.press("📨 Gửi")
    await lan.expect("Đã gửi đề nghị")
    row = await bot.db.fetchone("SELECT person_id, nominee_name FROM nominations")
    assert row is not None and tuple(row) == (None, "Nguyễn Văn Bảo")


async def test_an_office_files_for_a_unit_in_its_scope(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await roster(bot, telegram)
    bot.clock.set(datetime(2026, 10, 3, 9, 0, tzinfo=VN))  # 3 days into quý IV
    office = telegram.user(7002)  # Phòng Đồng Xoài
    await office.send("/dienhinh")
    units = await office.expect("Chọn đơn vị")
    assert [row[0] for row in units.buttons()] == [
        "⬜ Phòng GD&ĐT Đồng Xoài",
        "⬜ › Trường THCS Tân Phú",
        "⬜ › Trường TH Tân Xuân",
    ]  # unit-tree order, nothing of Bù Đăng
    bd = await bot.db.fetchval("SELECT id FROM units WHERE code = 'TH-BD'")
    await office.press_data(f"dh:u:{bd}")
    await telegram.wait_until(lambda: bool(office.answers))
    assert office.answers[-1].get("show_alert")
    assert "không có quyền" in str(office.answers[-1].get("text"))
    await press(office, "⬜ › Trường TH Tân Xuân", "Đề nghị cho quý nào?")
    quarters = office.messages()[-1]
    assert quarters.buttons()[:2] == [["Quý IV/2026"], ["Quý III/2026 (vừa kết thúc)"]]
    await press(office, "Quý III/2026 (vừa kết thúc)", "quý III/2026")
    await press(office, "👤 Cá nhân", "2. Người được đề nghị")
    await press(office, "<Lan & Hoa>", "3. Chức vụ")
    await step(office, "Nhân viên thư viện", "4. Lĩnh vực")
    await press(office, "Khác", "5. Tóm tắt thành tích")
    await step(office, "Xây dựng thư viện xanh.", "6. Minh chứng")
    await press(office, "✔️ Xong", "Xem lại đề nghị")
    await office.press("📨 Gửi")
    await office.expect("Đã gửi đề nghị điển hình tiên tiến quý III/2026")
    row = await bot.db.fetchone("SELECT unit_id, year, quarter FROM nominations")
    tx = await bot.db.fetchval("SELECT id FROM units WHERE code = 'TH-TX'")
    assert row is not None and tuple(row) == (tx, 2026, 3)
    # After the tenth day the quarter just ended is closed, even for the office.
    bot.clock.set(datetime(2026, 10, 11, 9, 0, tzinfo=VN))
    await office.send("/dienhinh")
    await office.expect("Chọn đơn vị")
    await press(office, "⬜ › Trường TH Tân Xuân", "quý IV/2026")


async def test_the_quarter_is_the_date_in_the_bot_time_zone(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await roster(bot, telegram)
    lan = telegram.user(7101)
    bot.clock.set(datetime(2026, 3, 31, 23, 58, tzinfo=VN))
    await nominate(lan, person="Trần Văn Ân", send=False)
    bot.clock.set(datetime(2026, 3, 31, 23, 59, tzinfo=VN))  # 16:59 UTC
    await lan.press("📨 Gửi")
    await lan.expect("quý I/2026")
    bot.clock.set(datetime(2026, 4, 1, 0, 0, tzinfo=VN))  # 17:00 UTC, still 31/03 in UTC
    await nominate(lan, person="Đỗ Thị Bình")
    await lan.expect_nothing(0)
    assert "quý II/2026" in lan.messages()[-1].shown
    # Begun on the last evening of quý II, sent after midnight: filed in quý III.
    bot.clock.set(datetime(2026, 6, 30, 23, 59, tzinfo=VN))
    await nominate(lan, collective="Tổ Văn", send=False)
    bot.clock.set(datetime(2026, 7, 1, 0, 0, 30, tzinfo=VN))
    await lan.press("📨 Gửi")
    await lan.expect("quý III/2026")
    rows = await bot.db.fetchall("SELECT year, quarter FROM nominations ORDER BY id")
    assert [tuple(r) for r in rows] == [(2026, 1), (2026, 2), (2026, 3)]


def test_quarter_arithmetic() -> None:
    before = datetime(2026, 3, 31, 23, 59, tzinfo=VN)
    after = datetime(2026, 4, 1, 0, 0, tzinfo=VN)
    assert quarter_of(before, VN) == Quarter(2026, 1)
    assert quarter_of(after, VN) == Quarter(2026, 2)
    q4 = Quarter(2026, 4)
    assert (q4.first_day.isoformat(), q4.last_day.isoformat()) == ("2026-10-01", "2026-12-31")
    assert q4.next() == Quarter(2027, 1) and Quarter(2027, 1).previous() == q4
    assert q4.ends_at(VN) == datetime(2027, 1, 1, 0, 0, tzinfo=VN)
    assert Quarter(2026, 2).before(4) == [Quarter(2026, 1), Quarter(2025, 4), Quarter(2025, 3),
                                          Quarter(2025, 2)]  # fmt: skip
    tenth = datetime(2026, 4, 10, 23, 0, tzinfo=VN)
    eleventh = datetime(2026, 4, 11, 0, 0, tzinfo=VN)
    assert filing_quarters(tenth, VN, office=True) == [Quarter(2026, 2), Quarter(2026, 1)]
    assert filing_quarters(eleventh, VN, office=True) == [Quarter(2026, 2)]
    assert filing_quarters(tenth, VN, office=False) == [Quarter(2026, 2)]
    # "Ten days and three days before the quarter ends", counted on dates in the bot's zone.
    assert days_left(datetime(2026, 6, 20, 8, 0, tzinfo=VN), VN) == 10
    assert days_left(datetime(2026, 6, 27, 6, 59, tzinfo=VN), VN) == 3
    assert days_left(datetime(2026, 6, 30, 17, 0, tzinfo=UTC), VN) == 91  # 01/07 in VN


async def test_a_restart_in_the_middle_resumes(bot: RunningBot, telegram: FakeTelegram) -> None:
    await roster(bot, telegram)
    lan = telegram.user(7101)
    await step(lan, "/dienhinh", "1. Đề nghị cá nhân hay tập thể?")
    await press(lan, "👤 Cá nhân", "2. Người được đề nghị")
    await press(lan, "Đỗ Thị Bình", "3. Chức vụ")
    await step(lan, "Giáo viên chủ nhiệm", "4. Lĩnh vực")
    await bot.restart()
    await press(lan, "Học tập", "5. Tóm tắt thành tích")  # the same conversation, after it
    await step(lan, SUMMARY, "6. Minh chứng")
    await press(lan, "✔️ Xong", "Xem lại đề nghị")
    await lan.press("📨 Gửi")
    await lan.expect("Đã gửi đề nghị")
    row = await bot.db.fetchone("SELECT nominee_name, position, field FROM nominations")
    assert row is not None and tuple(row) == ("Đỗ Thị Bình", "Giáo viên chủ nhiệm", "hoc_tap")


async def test_units_without_a_nomination_this_quarter(db: Database) -> None:
    """What the quarter-end prompts will ask: units with a principal and no nomination (a
    withdrawn one does not count), in tree order, each with its principals."""
    await apply_import(db, read_roster(csv_file(TWO_DISTRICTS)), NOW)
    units = {row[1]: row[0] for row in await db.fetchall("SELECT id, code FROM units")}
    quarter = Quarter(2026, 3)

    async def file(code: str, name: str) -> int:
        spec = NominationSpec(units[code], quarter, "collective", None, name, "Tổ", "khac", "…")
        filed = await file_nomination(db, spec, nominated_by=None, telegram_id=1,
                                      default_quota=2, now=NOW)  # fmt: skip
        assert filed.nomination_id is not None
        return filed.nomination_id

    everyone = await units_without_nomination(db, None, quarter)
    assert [u.unit_name for u in everyone] == [
        "Trường THCS Tân Phú", "Trường TH Tân Xuân", "Trường TH Bù Đăng"
    ]  # fmt: skip
    assert [p.full_name for p in everyone[0].principals] == ["Nguyễn Thị Lan"]
    await file("THCS-TP", "Tổ Toán")
    withdrawn = await file("TH-TX", "Tổ Văn")
    await withdraw_nomination(db, withdrawn, person_id=None, telegram_id=1, now=NOW)
    left = await units_without_nomination(db, None, quarter)
    assert [u.unit_name for u in left] == ["Trường TH Tân Xuân", "Trường TH Bù Đăng"]
    district = {units["PGD-DX"], units["THCS-TP"], units["TH-TX"]}
    assert [u.unit_name for u in await units_without_nomination(db, district, quarter)] == [
        "Trường TH Tân Xuân"
    ]
    assert len(await units_without_nomination(db, None, Quarter(2026, 4))) == 3


# ---- «Gửi» sends once; a lost draft is said so ------------------------------------------------

GONE = "đã được gửi hoặc đã hủy"


async def test_send_pressed_twice_files_once(bot: RunningBot, telegram: FakeTelegram) -> None:
    await roster(bot, telegram)
    lan = telegram.user(7101)
    summary = await nominate(lan, person="Trần Văn Ân", send=False)
    send = summary.button_data("📨 Gửi")
    assert send.startswith("dh:send:") and len(send.encode()) <= 64  # the draft's token
    answered = len(lan.answers)
    await lan.press_data(send, summary)
    await lan.press_data(send, summary)  # a double tap: both reach the bot
    await lan.expect("Đã gửi đề nghị")
    assert GONE in await alert(telegram, lan, answered + 1)  # the first was answered plainly
    await lan.expect_nothing(within=0.3)
    assert await count(bot, "SELECT COUNT(*) FROM nominations") == 1
    assert await count(bot, "SELECT COUNT(*) FROM nomination_history") == 1
    assert await count(bot, "SELECT COUNT(*) FROM drafts") == 0
    assert await count(bot, "SELECT COUNT(*) FROM conversations WHERE name = 'dienhinh'") == 0


async def test_a_nomination_that_dies_right_after_its_commit_is_sent_once(
    bot: RunningBot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    await roster(bot, telegram)
    lan = telegram.user(7101)
    summary = await nominate(lan, person="Trần Văn Ân", send=False)
    send = summary.button_data("📨 Gửi")
    dies_after(monkeypatch, handlers.nominate, "file_nomination")
    await lan.press("📨 Gửi", summary)
    await lan.expect("bot vừa gặp lỗi")  # the receipt never comes
    monkeypatch.undo()
    await bot.restart()
    # Filed, with the end of the draft and of the conversation, in one transaction.
    assert await count(bot, "SELECT COUNT(*) FROM nominations") == 1
    assert await count(bot, "SELECT COUNT(*) FROM drafts") == 0
    assert await count(bot, "SELECT COUNT(*) FROM conversations WHERE name = 'dienhinh'") == 0
    answered = len(lan.answers)
    await lan.press_data(send, summary)  # the old summary's «Gửi», after the restart
    assert GONE in await alert(telegram, lan, answered)
    await lan.send("Giáo viên dạy giỏi")  # no flow left to take it as an answer
    await lan.expect(UNKNOWN)
    assert await count(bot, "SELECT COUNT(*) FROM nominations") == 1
    await lan.send("/tiendo")  # the nomination is there, once
    await lan.expect("Chưa có phong trào nào")
    mine = await lan.expect("đơn vị của bạn")
    assert mine.shown.count("Trần Văn Ân") == 1


async def test_a_send_whose_state_write_is_lost_is_not_sent_again(
    bot: RunningBot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    await roster(bot, telegram)
    lan = telegram.user(7101)
    summary = await nominate(lan, collective="Tổ Toán – Tin", send=False)
    lose_state_writes(bot, monkeypatch)
    await lan.press("📨 Gửi", summary)
    await lan.expect("Đã gửi đề nghị")
    await bot.restart()
    answered = len(lan.answers)
    await lan.press("📨 Gửi", summary)
    assert GONE in await alert(telegram, lan, answered)
    assert await count(bot, "SELECT COUNT(*) FROM nominations") == 1


async def test_only_the_latest_summary_sends(bot: RunningBot, telegram: FakeTelegram) -> None:
    """«Sửa» then a new summary: the first summary's «Gửi» would send what the person no
    longer sees, so it says so and does nothing."""
    await roster(bot, telegram)
    lan = telegram.user(7101)
    first = await nominate(lan, person="Trần Văn Ân", position="Giáo viên", send=False)
    await press(lan, "✏️ Sửa", "Chọn phần cần sửa")
    await press(lan, "Chức vụ", "3. Chức vụ")
    latest = await step(lan, "Tổ trưởng chuyên môn", "Xem lại đề nghị")
    assert first.button_data("📨 Gửi") != latest.button_data("📨 Gửi")
    answered = len(lan.answers)
    await lan.press("📨 Gửi", first)
    assert GONE in await alert(telegram, lan, answered)
    assert await count(bot, "SELECT COUNT(*) FROM nominations") == 0
    await lan.press("📨 Gửi", latest)  # still in the flow, at the latest summary
    await lan.expect("Đã gửi đề nghị")
    assert await bot.db.fetchval("SELECT position FROM nominations") == "Tổ trưởng chuyên môn"


async def test_a_lost_dienhinh_draft_is_said_so(bot: RunningBot, telegram: FakeTelegram) -> None:
    await roster(bot, telegram)
    lan = telegram.user(7101)
    await step(lan, "/dienhinh", "1. Đề nghị cá nhân hay tập thể?")
    await press(lan, "👤 Cá nhân", "2. Người được đề nghị")
    await press(lan, "Đỗ Thị Bình", "3. Chức vụ")
    # Written by another version of the bot (other fields): not filled in with defaults.
    data = json.loads(await bot.db.fetchval("SELECT data FROM drafts WHERE flow = 'dienhinh'"))
    data.pop("token")
    await bot.db.write("UPDATE drafts SET data = ? WHERE flow = 'dienhinh'", (json.dumps(data),))
    await lan.send("Giáo viên chủ nhiệm")
    lost = await lan.expect("Bản nháp")
    assert "không còn" in lost.shown and "/dienhinh" in lost.shown
    await lan.send("Giáo viên chủ nhiệm")  # the flow is over
    await lan.expect(UNKNOWN)
    assert await count(bot, "SELECT COUNT(*) FROM drafts") == 0
    # Gone altogether (a button pressed inside the flow): said so too.
    await step(lan, "/dienhinh", "1. Đề nghị cá nhân hay tập thể?")
    question = lan.messages()[-1]
    await bot.db.write("DELETE FROM drafts")
    await lan.press("👥 Tập thể", question)
    lost = await lan.expect("Bản nháp")
    assert "/dienhinh" in lost.shown
    assert await count(bot, "SELECT COUNT(*) FROM nominations") == 0
    await step(lan, "/dienhinh", "1. Đề nghị cá nhân hay tập thể?")  # and starts afresh
