"""The office updates the roster in the chat: file, preview, confirm; and /danhsach files."""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime

import pytest
from openpyxl import load_workbook

from formats.roster_file import read_roster
from handlers.campaign_message import campaign_payload
from storage.campaigns import CampaignSpec, Round, launch_campaign
from storage.people import invites_for_roster, person_by_phone
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, NOW, TWO_DISTRICTS, VN, csv_file, xlsx_file

NEW_ROW = ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Vũ Thị Mới", "giáo viên", "0977000001")


async def registered(bot: RunningBot, telegram: FakeTelegram, phone: str, uid: int) -> FakeUser:
    user = telegram.user(uid)
    await user.share_contact(phone)
    await user.expect("Đăng ký thành công")
    return user


async def office(bot: RunningBot, telegram: FakeTelegram) -> FakeUser:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    return await registered(bot, telegram, "0911000001", 2001)  # Lê Văn Sở, the Sở's office


async def test_preview_then_apply(bot: RunningBot, telegram: FakeTelegram) -> None:
    user = await office(bot, telegram)
    await user.send_document("danh_sach.xlsx", xlsx_file([*BASIC_ROWS[:-1], NEW_ROW]))
    progress = await user.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: "Xem trước" in progress.shown)
    assert "Người: thêm 1, sửa 0, ngừng 1" in progress.shown
    assert "<Lan & Hoa>" in progress.shown  # who would be deactivated, named
    assert progress.buttons() == [["✅ Áp dụng", "✖️ Hủy"]]
    assert await person_by_phone(bot.db, "0977000001") is None  # nothing written yet

    await user.press("✅ Áp dụng", progress)
    await telegram.wait_until(lambda: "Đã cập nhật" in progress.shown)
    assert progress.buttons() == []
    added = await person_by_phone(bot.db, "0977000001")
    assert added is not None and added.active


async def test_an_older_preview_cannot_be_applied(bot: RunningBot, telegram: FakeTelegram) -> None:
    user = await office(bot, telegram)
    await user.send_document("cu.csv", csv_file([*BASIC_ROWS, NEW_ROW]))
    first = await user.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: first.has_button("✅ Áp dụng"))
    await user.send_document("moi.csv", csv_file(BASIC_ROWS[:-1]))
    second = await user.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: second.has_button("✅ Áp dụng"))
    await user.press("✅ Áp dụng", first)
    await telegram.wait_until(lambda: "không còn hiệu lực" in first.shown)
    assert await person_by_phone(bot.db, "0977000001") is None


async def test_cancel_keeps_the_roster(bot: RunningBot, telegram: FakeTelegram) -> None:
    user = await office(bot, telegram)
    await user.send_document("ds.csv", csv_file([*BASIC_ROWS, NEW_ROW]))
    progress = await user.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: progress.has_button("✖️ Hủy"))
    await user.press("✖️ Hủy", progress)
    await telegram.wait_until(lambda: "Đã hủy" in progress.shown)
    assert await person_by_phone(bot.db, "0977000001") is None


async def test_errors_are_listed_by_row(bot: RunningBot, telegram: FakeTelegram) -> None:
    user = await office(bot, telegram)
    rows = [*BASIC_ROWS, ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Sai Số", "gv", "09123")]
    await user.send_document("ds.csv", csv_file(rows))
    progress = await user.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: "chưa được nhập" in progress.shown)
    assert "Dòng 9: số điện thoại '09123' không hợp lệ" in progress.shown
    assert progress.buttons() == []


async def test_confirmation_survives_a_restart(bot: RunningBot, telegram: FakeTelegram) -> None:
    user = await office(bot, telegram)
    await user.send_document("ds.csv", csv_file([*BASIC_ROWS, NEW_ROW]))
    progress = await user.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: progress.has_button("✅ Áp dụng"))
    await bot.restart()
    await user.press("✅ Áp dụng", progress)
    await telegram.wait_until(lambda: "Đã cập nhật" in progress.shown)
    assert await person_by_phone(bot.db, "0977000001") is not None


async def test_teacher_document_is_not_a_roster(bot: RunningBot, telegram: FakeTelegram) -> None:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    teacher = await registered(bot, telegram, "0912000002", 2003)
    await teacher.send_document("ds.csv", csv_file([NEW_ROW]))
    await teacher.expect("chưa hiểu")
    assert await person_by_phone(bot.db, "0977000001") is None


async def test_wrong_file_type(bot: RunningBot, telegram: FakeTelegram) -> None:
    user = await office(bot, telegram)
    await user.send_document("anh.jpg", b"\xff\xd8\xff", "image/jpeg")
    await user.expect("không phải danh sách")


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def test_invite_links_are_scoped(bot: RunningBot, telegram: FakeTelegram) -> None:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    district = await registered(bot, telegram, "0911000002", 2002)
    await district.send("/danhsach")
    await district.expect("Danh sách cán bộ")
    await district.press("🔗 Link mời từng người")
    sent = await district.expect("Link mời của 6 người")
    assert sent.document is not None
    rows = rows_of(telegram.file_bytes(sent.document["file_id"]))
    assert rows[0][-1] == "link_moi"
    names = [row[2] for row in rows[1:]]
    assert "Lê Văn Sở" not in names  # the Sở is above this Phòng
    links = {row[2]: row[-1] for row in rows[1:]}
    assert links["Phạm Thị Phòng"] == ""  # registered already
    assert links["Trần Văn Ân"].startswith("https://t.me/thidua_test_bot?start=")
    # The link works.
    code = links["Trần Văn Ân"].rsplit("=", 1)[1]
    an = telegram.user(2004)
    await an.send(f"/start {code}")
    await an.expect("Đăng ký thành công")
    live = {i.person.full_name: i.code for i in await invites_for_roster(bot.db, NOW)}
    assert live["Trần Văn Ân"] is None


async def test_template_and_export_files(bot: RunningBot, telegram: FakeTelegram) -> None:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    admin = telegram.user(ADMIN_ID)
    await admin.send("/danhsach")
    await admin.expect("Danh sách cán bộ")
    await admin.press("📄 Tệp mẫu danh sách")
    template = await admin.expect("Tệp mẫu")
    assert template.document is not None
    parsed = read_roster(telegram.file_bytes(template.document["file_id"]), "mau.xlsx")
    assert len(parsed.people) == 2
    await admin.press("📤 Danh sách hiện tại")
    export = await admin.expect("7 người")
    assert export.document is not None
    table = read_roster(telegram.file_bytes(export.document["file_id"]), "ds.xlsx")
    assert {p.phone for p in table.people} == {
        p.phone for p in read_roster(csv_file(BASIC_ROWS)).people
    }


def with_phone(rows: tuple[tuple[str, ...], ...], name: str, phone: str) -> list[tuple[str, ...]]:
    """The rows with one person's phone corrected, as an office fixes a typo in the file."""
    return [(*row[:5], phone) if row[3] == name else row for row in rows]


async def launch_to_everyone(bot: RunningBot) -> None:
    """A campaign with one per-person round, sent to every registered principal and teacher."""
    spec = CampaignSpec(
        "Vì người nghèo", "12/KH-SGDĐT", None, None, None, "", (), True, (),
        ("principal", "teacher"), None, None, None,
        (Round("Sơ kết", "person", datetime(2026, 12, 20, 17, 0, tzinfo=VN), "short"),),
    )  # fmt: skip
    await launch_campaign(
        bot.db, spec, created_by=2001, progress_chat_id=None, progress_message_id=None,
        payload_for=lambda cid, rounds: campaign_payload(cid, spec, rounds), now=NOW,
    )  # fmt: skip
    assert bot.app is not None and bot.app.bot_data.sender is not None
    bot.app.bot_data.sender.wake()


async def test_registered_teacher_keeps_using_the_bot_after_a_phone_correction(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    user = await office(bot, telegram)
    teacher = await registered(bot, telegram, "0912000002", 2003)  # Trần Văn Ân
    before = await person_by_phone(bot.db, "0912000002")
    assert before is not None
    await launch_to_everyone(bot)
    campaign = await teacher.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    await teacher.press("✅ Đã nhận", campaign)
    await telegram.wait_until(lambda: campaign.has_button("☑️ Đã xác nhận"))

    await user.send_document(
        "ds.csv", csv_file(with_phone(BASIC_ROWS, "Trần Văn Ân", "0987000001"))
    )
    progress = await user.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: progress.has_button("✅ Áp dụng"))
    assert "Người: thêm 0, sửa 0, ngừng 0" in progress.shown
    assert "Đổi số điện thoại" in progress.shown
    assert "Trần Văn Ân (đã đăng ký Telegram), Trường THCS Tân Phú: 0912•••002 → 0987•••001" in (
        progress.shown
    )
    assert "Ngừng" not in progress.shown
    await user.press("✅ Áp dụng", progress)
    await telegram.wait_until(lambda: "Đã cập nhật" in progress.shown)
    assert "Đổi số điện thoại" in progress.shown

    after = await person_by_phone(bot.db, "0987000001")
    assert after is not None and after.active
    assert (after.id, after.telegram_id) == (before.id, 2003)
    assert await person_by_phone(bot.db, "0912000002") is None
    assert await bot.db.fetchval("SELECT person_id FROM acknowledgements") == before.id
    # Still registered: the bot knows them, their campaign and their acknowledgement.
    await teacher.send("/help")
    assert (await teacher.expect("hướng dẫn")).contains("Trần Văn Ân")
    await teacher.press("☑️ Đã xác nhận", campaign)
    await telegram.wait_until(lambda: "Bạn đã xác nhận" in (teacher.answers[-1].get("text") or ""))
    await teacher.send("/baocao")
    await teacher.expect("Các đợt báo cáo của bạn")


async def test_import_logs_carry_no_phone_number_or_name(
    bot: RunningBot, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    user = await office(bot, telegram)
    caplog.set_level(logging.INFO)
    rows = [*with_phone(BASIC_ROWS, "Trần Văn Ân", "0987000001")[:-1], NEW_ROW]
    await user.send_document("ds.csv", csv_file(rows))
    progress = await user.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: progress.has_button("✅ Áp dụng"))
    await user.press("✅ Áp dụng", progress)
    await telegram.wait_until(lambda: "Đã cập nhật" in progress.shown)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "roster applied" in logged
    for row in [*BASIC_ROWS, NEW_ROW]:
        assert row[3] not in logged
    for phone in ("0987000001", "0977000001", "0912000002", "0323000002", "987000001"):
        assert phone not in logged


async def test_same_name_twice_is_shown_as_not_a_phone_change(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    twins = [
        ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Nguyễn Văn Hùng", "gv", "0914000001"),
        ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Nguyễn Văn Hùng", "gv", "0914000002"),
    ]
    await apply_import(bot.db, read_roster(csv_file([*BASIC_ROWS, *twins])), NOW)
    user = await registered(bot, telegram, "0911000001", 2001)
    new = ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Nguyễn Văn Hùng", "gv", "0987000002")
    await user.send_document("ds.csv", csv_file([*BASIC_ROWS, new]))
    progress = await user.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: progress.has_button("✅ Áp dụng"))
    assert "Người: thêm 1, sửa 0, ngừng 2" in progress.shown
    assert (
        "«Nguyễn Văn Hùng» (Trường TH Tân Xuân) không được coi là đổi số điện thoại: danh sách"
        " hiện có 2 người cùng tên" in progress.shown
    )
    assert "📱" not in progress.shown


async def district_office(bot: RunningBot, telegram: FakeTelegram) -> FakeUser:
    await apply_import(bot.db, read_roster(csv_file(TWO_DISTRICTS)), NOW)
    return await registered(bot, telegram, "0911000002", 2002)  # Phạm Thị Phòng, Đồng Xoài


async def other_district(bot: RunningBot) -> list[tuple[object, ...]]:
    rows = await bot.db.fetchall(
        "SELECT u.code, u.name, u.parent_id, u.active, u.updated_at, p.full_name, p.phone,"
        " p.role, p.active, p.updated_at FROM units u LEFT JOIN people p ON p.unit_id = u.id"
        " WHERE u.code IN ('SGD', 'PGD-BD', 'TH-BD') ORDER BY u.id, p.id"
    )
    return [tuple(row) for row in rows]


async def test_district_office_maintains_its_own_district(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    district = await district_office(bot, telegram)
    untouched = await other_district(bot)
    await district.send("/danhsach")
    menu = await district.expect("Danh sách cán bộ")
    assert "Bạn cập nhật được danh sách của Phòng GD&ĐT Đồng Xoài và các đơn vị trực thuộc" in (
        menu.shown
    )
    assert "mã đơn vị cấp trên là PGD-DX" in menu.shown
    assert "Tệp là toàn bộ danh sách" not in menu.shown
    await district.press("📄 Tệp mẫu danh sách")
    template = await district.expect("Tệp mẫu")
    assert template.document is not None
    parsed = read_roster(telegram.file_bytes(template.document["file_id"]), "mau.xlsx")
    assert {unit.parent_code for unit in parsed.units.values()} == {None, "PGD-DX"}
    assert "PGD-DX" in parsed.units

    # The office's way: take the current list, edit it, send it back.
    await district.press("📤 Danh sách hiện tại")
    export = await district.expect("6 người")
    assert export.document is not None
    sheet = load_workbook(io.BytesIO(telegram.file_bytes(export.document["file_id"]))).active
    assert sheet is not None
    rows = [tuple(str(c or "") for c in r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert {row[0] for row in rows} == {"PGD-DX", "THCS-TP", "TH-TX"}
    rows = [row for row in rows if row[3] != "Đỗ Thị Bình"]
    rows += [
        ("TH-TS", "Trường TH Tân Sơn", "PGD-DX", "Đặng Văn Sơn", "hiệu trưởng", "0916000001"),
        ("TH-TS", "Trường TH Tân Sơn", "PGD-DX", "Cao Thị Thu", "giáo viên", "0916000002"),
    ]
    await district.send_document("ds.xlsx", xlsx_file(rows))
    progress = await district.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: progress.has_button("✅ Áp dụng"))
    assert "Phạm vi: Phòng GD&ĐT Đồng Xoài và các đơn vị trực thuộc" in progress.shown
    assert "Đơn vị: thêm 1, sửa 0, ngừng 0" in progress.shown
    assert "Người: thêm 2, sửa 0, ngừng 1" in progress.shown
    assert "Đỗ Thị Bình" in progress.shown
    await district.press("✅ Áp dụng", progress)
    await telegram.wait_until(lambda: "Đã cập nhật" in progress.shown)

    son = await person_by_phone(bot.db, "0916000002")
    assert son is not None and son.active and son.unit_code == "TH-TS"
    binh = await person_by_phone(bot.db, "0912000003")
    assert binh is not None and not binh.active
    assert await other_district(bot) == untouched


async def test_district_office_rows_outside_its_district_are_refused(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    district = await district_office(bot, telegram)
    before = await other_district(bot)
    rows = [
        *(row for row in BASIC_ROWS if row[0] != "SGD"),  # lines 2-7
        ("TH-BD", "Trường TH Bù Đăng", "PGD-BD", "Mai Văn Tú", "giáo viên", "0915000003"),
        ("TH-MOI", "Trường TH Mới", "PGD-BD", "Hồ Văn Mới", "giáo viên", "0917000002"),
        ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Lý Thị Hạnh", "giáo viên", "0915000002"),
    ]
    await district.send_document("ds.csv", csv_file(rows))
    progress = await district.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: "chưa được nhập" in progress.shown)
    assert "có 3 lỗi" in progress.shown
    assert "Dòng 8: đơn vị TH-BD không thuộc Phòng GD&ĐT Đồng Xoài" in progress.shown
    assert (
        "Dòng 9: đơn vị cấp trên PGD-BD của TH-MOI không thuộc Phòng GD&ĐT Đồng Xoài"
        in progress.shown
    )
    assert (
        "Dòng 10: số điện thoại 0915000002 đã có trong danh sách của Trường TH Bù Đăng"
        in progress.shown
    )
    assert progress.buttons() == []
    assert await other_district(bot) == before
    assert await person_by_phone(bot.db, "0917000002") is None


async def test_office_person_left_out_of_the_file_is_warned(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    district = await district_office(bot, telegram)
    rows = [row for row in BASIC_ROWS if row[0] in ("THCS-TP", "TH-TX")]
    await district.send_document("ds.csv", csv_file(rows))
    progress = await district.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: progress.has_button("✅ Áp dụng"))
    assert "Ngừng (không còn trong tệp): Phạm Thị Phòng." in progress.shown
    assert "Bạn không có trong tệp này: nếu áp dụng, bạn sẽ bị ngừng" in progress.shown
