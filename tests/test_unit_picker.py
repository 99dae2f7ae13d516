"""/phatdong: choosing units from the unit tree as buttons, by page, by search and by code."""

from __future__ import annotations

import json

from formats.roster_file import read_roster
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.helpers import NOW, csv_file

SO = ("SGD", "Sở GD&ĐT Nghệ An", "")
DX = ("PGD-DX", "Phòng GD&ĐT Đô Lương", "SGD")
NL = ("PGD-NL", "Phòng GD&ĐT Nghi Lộc", "SGD")
SCHOOLS_DX = [(f"TH-DL{i}", f"Trường TH Đô Lương {i}", "PGD-DX") for i in range(1, 7)]
SCHOOLS_NL = [
    ("THCS-NT", "Trường THCS Nghi Thịnh", "PGD-NL"),
    ("THCS-NP", "Trường THCS Nghi Phong", "PGD-NL"),
    ("TH-NX", "Trường TH Nghi Xuân", "PGD-NL"),
]
# Roster order: the Sở, then the Phòng Nghi Lộc's schools listed before Đô Lương's; the tree
# order puts each Phòng right before its own schools.
ROWS = [
    (*SO, "Lê Văn Sở", "văn phòng", "0911000001"),
    (*NL, "Phạm Thị Nghi", "văn phòng", "0911000003"),
    *[(*unit, "", "", "") for unit in SCHOOLS_NL],
    (*DX, "Phạm Thị Phòng", "văn phòng", "0911000002"),
    *[(*unit, f"Hiệu trưởng {i}", "hiệu trưởng", f"091200000{i}") for i, unit in
      enumerate(SCHOOLS_DX, 1)],
]  # fmt: skip
NONE_CHOSEN = "Hãy chọn ít nhất một đơn vị."


async def office_at_units(bot: RunningBot, telegram: FakeTelegram, phone: str) -> FakeUser:
    await apply_import(bot.db, read_roster(csv_file(ROWS)), NOW)
    office = telegram.user(7001)
    await office.share_contact(phone)
    await office.expect("Đăng ký thành công")
    await office.send("/phatdong")
    await office.expect("Bước 1")
    await office.send("Vì người nghèo – Không để ai bị bỏ lại phía sau")
    await office.expect("Bước 2")
    for step in ("Bước 3", "Bước 4", "Bước 5", "Bước 6"):
        await office.press("⏭ Bỏ qua")
        await office.expect(step)
    await office.press("Chọn đơn vị")
    return office


def unit_rows(picker: SentMessage) -> list[str]:
    return [row[0] for row in picker.buttons() if row[0][0] in "✅⬜"]


async def chosen_in_draft(bot: RunningBot) -> list[str]:
    draft = json.loads(await bot.db.fetchval("SELECT data FROM drafts WHERE flow = 'phatdong'"))
    codes = {row[0]: row[1] for row in await bot.db.fetchall("SELECT id, code FROM units")}
    return [codes[unit_id] for unit_id in draft["unit_ids"]]


async def test_units_by_buttons_across_pages_and_by_search(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office = await office_at_units(bot, telegram, "0911000001")
    picker = await office.expect("Chọn đơn vị nhận kế hoạch")
    assert "Trang 1/2" in picker.shown
    # The unit tree in order, indented by level, eight a page.
    assert unit_rows(picker) == [
        "⬜ Sở GD&ĐT Nghệ An",
        "⬜ › Phòng GD&ĐT Nghi Lộc",
        "⬜ › › Trường THCS Nghi Thịnh",
        "⬜ › › Trường THCS Nghi Phong",
        "⬜ › › Trường TH Nghi Xuân",
        "⬜ › Phòng GD&ĐT Đô Lương",
        "⬜ › › Trường TH Đô Lương 1",
        "⬜ › › Trường TH Đô Lương 2",
    ]
    assert picker.buttons()[-2:] == [["Trang sau ▶️"], ["✔️ Xong (đã chọn 0)"]]
    assert all(len(b["callback_data"].encode()) <= 64 for b in picker.inline_buttons())

    await office.press("⬜ › › Trường THCS Nghi Phong", picker)
    await telegram.wait_until(lambda: "✅ › › Trường THCS Nghi Phong" in unit_rows(picker))
    assert "Đã chọn 1 đơn vị: Trường THCS Nghi Phong" in picker.shown  # edited in place
    await office.press("Trang sau ▶️", picker)
    await telegram.wait_until(lambda: "Trang 2/2" in picker.shown)
    assert unit_rows(picker) == [f"⬜ › › Trường TH Đô Lương {i}" for i in range(3, 7)]
    assert picker.buttons()[-2:] == [["◀️ Trang trước"], ["✔️ Xong (đã chọn 1)"]]
    await office.press("⬜ › › Trường TH Đô Lương 5", picker)
    await telegram.wait_until(lambda: picker.has_button("✔️ Xong (đã chọn 2)"))

    # Search by a part of the name: no diacritics, any case.
    await office.send("nghi loc")
    found = await office.expect("Tìm «nghi loc»: 1 đơn vị")
    assert unit_rows(found) == ["⬜ › Phòng GD&ĐT Nghi Lộc"]
    await office.press("⬜ › Phòng GD&ĐT Nghi Lộc", found)
    await telegram.wait_until(lambda: found.has_button("✔️ Xong (đã chọn 3)"))
    await office.send("XUÂN")
    found = await office.expect("Tìm «XUÂN»: 1 đơn vị")
    assert unit_rows(found) == ["⬜ › › Trường TH Nghi Xuân"]
    await office.press("📋 Xem tất cả đơn vị", found)
    await telegram.wait_until(lambda: "Trang 1/2" in found.shown)
    await office.send("không có trường này")
    await office.expect("Không tìm thấy đơn vị nào")

    # Codes typed in any case still work.
    await office.send("thcs-nt, th-dl1")
    added = await office.expect("Đã chọn thêm: Trường THCS Nghi Thịnh, Trường TH Đô Lương 1")
    assert added.has_button("✔️ Xong (đã chọn 5)")
    await office.press("✔️ Xong (đã chọn 5)", added)
    await office.expect("đơn vị trực thuộc")
    # Kept in tree order, whatever the order of choosing.
    assert await chosen_in_draft(bot) == ["PGD-NL", "THCS-NT", "THCS-NP", "TH-DL1", "TH-DL5"]


async def test_a_unit_pressed_twice_is_unticked_and_none_is_refused(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office = await office_at_units(bot, telegram, "0911000001")
    picker = await office.expect("Chọn đơn vị nhận kế hoạch")
    await office.press("⬜ Sở GD&ĐT Nghệ An", picker)
    await telegram.wait_until(lambda: picker.has_button("✅ Sở GD&ĐT Nghệ An"))
    await office.press("✅ Sở GD&ĐT Nghệ An", picker)
    await telegram.wait_until(lambda: picker.has_button("⬜ Sở GD&ĐT Nghệ An"))
    await office.press("✔️ Xong (đã chọn 0)", picker)
    await telegram.wait_until(lambda: office.answers[-1].get("text") == NONE_CHOSEN)
    assert office.answers[-1]["show_alert"] is True
    await office.expect_nothing()


async def test_a_district_office_sees_and_picks_only_its_district(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office = await office_at_units(bot, telegram, "0911000002")
    picker = await office.expect("Chọn đơn vị nhận kế hoạch")
    assert unit_rows(picker) == [
        "⬜ Phòng GD&ĐT Đô Lương",
        *[f"⬜ › Trường TH Đô Lương {i}" for i in range(1, 7)],
    ]
    assert "Trang" not in picker.shown and not picker.has_button("Trang sau ▶️")
    nghi_loc = await bot.db.fetchval("SELECT id FROM units WHERE code = 'PGD-NL'")
    await office.press_data(f"pd:u:t:{nghi_loc}", picker)  # a forged button: ignored
    await office.send("nghi loc")
    await office.expect("Không tìm thấy đơn vị nào")
    await office.send("pgd-nl")
    await office.expect("Không thuộc phạm vi của bạn: PGD-NL")
    await office.press("✔️ Xong (đã chọn 0)", picker)
    await telegram.wait_until(lambda: office.answers[-1].get("text") == NONE_CHOSEN)
    assert await chosen_in_draft(bot) == []


async def test_a_restart_in_the_middle_of_picking_resumes(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office = await office_at_units(bot, telegram, "0911000001")
    picker = await office.expect("Chọn đơn vị nhận kế hoạch")
    await office.press("⬜ › › Trường TH Nghi Xuân", picker)
    await telegram.wait_until(lambda: picker.has_button("✔️ Xong (đã chọn 1)"))
    await office.send("đô lương 6")
    found = await office.expect("Tìm «đô lương 6»")
    await bot.restart()
    await office.press("⬜ › › Trường TH Đô Lương 6", found)
    await telegram.wait_until(lambda: found.has_button("✔️ Xong (đã chọn 2)"))
    assert "Đã chọn 2 đơn vị: Trường TH Nghi Xuân, Trường TH Đô Lương 6" in found.shown
    await office.press("✔️ Xong (đã chọn 2)", found)
    await office.expect("đơn vị trực thuộc")
    await office.press("Không")
    await office.expect("Bước 7")
    assert await chosen_in_draft(bot) == ["TH-NX", "TH-DL6"]
