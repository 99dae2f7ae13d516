"""The office updates the roster in the chat: file, preview, confirm; and /danhsach files."""

from __future__ import annotations

import csv
import io

from storage.people import invites_for_roster, person_by_phone
from storage.roster import apply_import
from storage.roster_file import read_roster
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, NOW, csv_file, xlsx_file

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


async def test_district_office_may_not_replace_the_roster(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    district = await registered(bot, telegram, "0911000002", 2002)  # Phòng's office
    await district.send_document("ds.csv", csv_file([NEW_ROW]))
    await district.expect("Chỉ văn phòng của đơn vị cấp cao nhất")


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
