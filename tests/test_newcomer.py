"""Who may come in: the first office person on an empty database, strangers learning their
Telegram id, and someone removed from the roster told so and whom to ask."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from formats.roster_file import read_roster
from messages import label
from storage.access import OfficeContact, office_contact
from storage.db import Database
from storage.people import person_by_phone, person_by_telegram_id, register_by_phone
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram
from tests.harness import RunningBot
from tests.helpers import BASIC_ROWS, NOW, csv_file
from tests.test_reports import launch

AN = ("THCS-TP", "Trường THCS Tân Phú", "PGD-DX", "Trần Văn Ân", "Giáo viên", "0912000002")
WITHOUT_AN = tuple(row for row in BASIC_ROWS if row != AN)
REMOVED = "không còn trong danh sách hiện hành"
ASK_DISTRICT = "văn phòng Phòng GD&ĐT Đồng Xoài (Phạm Thị Phòng)"


# ---- the first office person on an empty database -----------------------------------------


async def test_first_person_learns_their_id_and_gets_in(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    running = RunningBot(telegram, tmp_path)
    running.config = dataclasses.replace(running.config, office_admin_ids=frozenset())
    await running.start()
    try:
        first = telegram.user(4242, "Người cài đặt")
        await first.send("/start")
        hint = await first.expect("OFFICE_ADMIN_IDS=4242")
        assert "khởi động lại bot" in hint.shown
        # The admin id set, as the README says: the office role at once, the roster next.
        await running.stop()
        running.config = dataclasses.replace(running.config, office_admin_ids=frozenset({4242}))
        await running.start()
        await first.send("/start")
        greeting = await first.expect("quyền Văn phòng")
        assert "/danhsach" in greeting.shown
        # With a roster, a stranger reads their id but no set-up hint.
        await apply_import(running.db, read_roster(csv_file(BASIC_ROWS)), NOW)
        stranger = telegram.user(4243)
        await stranger.send("/start")
        ask = await stranger.expect("Mã người dùng Telegram của bạn: 4243")
        assert "OFFICE_ADMIN_IDS" not in ask.shown
        await stranger.send("/help")
        await stranger.expect("Mã người dùng Telegram của bạn: 4243")
    finally:
        await running.stop()


# ---- someone removed from the roster -------------------------------------------------------


async def test_whom_to_ask_is_the_nearest_office(db: Database) -> None:
    await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
    school = await person_by_phone(db, "0912000002")
    district = await person_by_phone(db, "0911000002")
    province = await person_by_phone(db, "0911000001")
    assert school is not None and district is not None and province is not None
    phong = OfficeContact("Phòng GD&ĐT Đồng Xoài", ("Phạm Thị Phòng",))
    so = OfficeContact("Sở GD&ĐT Bình Phước", ("Lê Văn Sở",))
    assert await office_contact(db, school.unit_id) == phong
    assert await office_contact(db, district.unit_id) == phong
    # The district's only office person leaves: the Sở is next.
    without = tuple(row for row in BASIC_ROWS if row[5] != "0911000002")
    await apply_import(db, read_roster(csv_file(without)), NOW)
    assert await office_contact(db, school.unit_id) == so
    assert await office_contact(db, province.unit_id) == so


async def test_removed_person_is_told_whom_to_ask(bot: RunningBot, telegram: FakeTelegram) -> None:
    await launch(bot, telegram)  # a campaign with buttons under it, Ân among its recipients
    an = telegram.user(6102)
    await apply_import(bot.db, read_roster(csv_file(WITHOUT_AN)), NOW)

    for text in ("/help", "/baocao", "/tiendo", "/start", "xin chào"):
        await an.send(text)
        told = await an.expect(REMOVED)
        assert "Trần Văn Ân (Trường THCS Tân Phú)" in told.shown
        assert ASK_DISTRICT in told.shown, told.shown
        assert "chưa đăng ký" not in told.shown
        assert told.reply_markup is not None and "keyboard" in told.reply_markup
    await an.send_document("ds.csv", csv_file(BASIC_ROWS))
    await an.expect(REMOVED)

    # The buttons under the campaign message they received earlier.
    for button in (label("campaign_ack"), label("campaign_report")):
        await an.press(button)
        await an.expect(REMOVED)
    assert an.answers and all(not a["show_alert"] for a in an.answers)
    assert await bot.db.fetchval("SELECT COUNT(*) FROM acknowledgements") == 0
    # Their menu is a stranger's again.
    await telegram.wait_until(lambda: [n for n, _ in telegram.commands_for(6102)] == [
        "start", "help"])  # fmt: skip

    # Everyone else is unaffected.
    lan = telegram.user(6101)
    await lan.send("/help")
    await lan.expect("hướng dẫn")


async def test_removed_person_comes_back(bot: RunningBot, telegram: FakeTelegram) -> None:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    an = telegram.user(6201)
    await an.share_contact("0912000002")
    await an.expect("Đăng ký thành công")
    await apply_import(bot.db, read_roster(csv_file(WITHOUT_AN)), NOW)
    await an.share_contact("0912000002")  # their own row, inactive
    await an.expect(REMOVED)

    # Back in the same row: nothing to do, they are in again.
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    await an.send("/help")
    await an.expect("hướng dẫn")

    # Gone again, then added as a new row (another school, a new SIM): the button works.
    moved = ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Trần Văn Ân", "Giáo viên", "0977000002")
    await apply_import(bot.db, read_roster(csv_file((*WITHOUT_AN, moved))), NOW)
    await an.send("/help")
    await an.expect(REMOVED)
    await an.share_contact("0977000002")
    welcome = await an.expect("Đăng ký thành công")
    assert "Trường TH Tân Xuân" in welcome.shown
    old = await person_by_phone(bot.db, "0912000002")
    new = await person_by_telegram_id(bot.db, 6201)
    assert old is not None and old.telegram_id is None and not old.active
    assert new is not None and new.phone == "0977000002"


async def test_an_active_account_still_cannot_take_a_second_person(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    user = telegram.user(6301)
    await register_by_phone(bot.db, "0912000002", 6301, NOW)
    await user.share_contact("0912000003", user_id=6301)
    await user.expect("đã được đăng ký cho một người khác")
