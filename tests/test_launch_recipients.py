"""Who gets what from /phatdong and /thongbao: the issuing unit and sender named, «📝 Báo cáo»
only for those with something to answer, and office staff left out by default."""

from __future__ import annotations

from formats.roster_file import read_roster
from storage.campaigns import get_campaign
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, NOW, csv_file
from tests.test_campaign_launch import (
    TITLE,
    begin,
    registered,
    setup,
    skip_to_roles,
    skip_to_rounds,
)

UNIT_ROUND = ("Sơ kết", "Theo đơn vị (hiệu trưởng trả lời)")
PERSON_ROUND = ("Tổng kết", "Theo cá nhân (mỗi người trả lời)")


async def walk_to_preview(office: FakeUser, *rounds: tuple[str, str]) -> None:
    """/phatdong to the preview: all units, default roles, the given rounds."""
    await begin(office)
    await skip_to_rounds(office, "Bước 3", "Bước 4", "Bước 5", "Bước 6")
    for number, (name, kind) in enumerate(rounds):
        if number:
            await office.press("➕ Thêm đợt báo cáo")
            await office.expect("Bước 9")
        await office.press(name)
        await office.expect("theo từng cá nhân?")
        await office.press(kind)
        await office.expect("Nhập hạn nộp")
        await office.send("15/07/2024")
        await office.expect("mẫu báo cáo")
        await office.press("Báo cáo ngắn")
        await office.expect("Nhắc nhở")
        await office.press("✅ Giữ mặc định")
        await office.expect("Thêm đợt khác")
    if rounds:
        await office.press("Tiếp tục ➡️")
    else:
        await office.press("Không có đợt báo cáo")
    await office.expect("Xem trước")


async def launch(office: FakeUser, *rounds: tuple[str, str]) -> None:
    await walk_to_preview(office, *rounds)
    await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    await office.expect("Số người nhận")
    await office.press("🚀 Phát động")
    await office.expect()  # the progress message
    await office.expect("Đã gửi xong", timeout=10)


async def test_report_button_only_for_those_with_something_to_answer(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, people = await setup(bot, telegram)
    principals, teachers = people[:2], people[2:]
    await walk_to_preview(office, UNIT_ROUND)  # per-unit only: the principals answer
    preview = await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    assert preview.buttons() == [["✅ Đã nhận", "📝 Báo cáo"]]
    count = await office.expect("Số người nhận")
    assert "5 người đã đăng ký" in count.shown
    assert "Nút «Báo cáo» chỉ hiện với 2 người có báo cáo phải nộp" in count.shown
    await office.press("🚀 Phát động")
    for principal in principals:
        got = await principal.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
        assert got.buttons() == [["✅ Đã nhận", "📝 Báo cáo"]]
    for teacher in teachers:
        got = await teacher.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
        assert got.buttons() == [["✅ Đã nhận"]]
    # The three teachers share the broadcast's payload; only the two principals have their own.
    assert await bot.db.fetchval("SELECT COUNT(*) FROM outbox WHERE payload IS NOT NULL") == 2

    # People who register afterwards get the variant for their role.
    rows = [
        *BASIC_ROWS,
        ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Lý Thị Mới", "gv", "0988000001"),
        ("TH-MOI", "Trường TH Tân Mới", "PGD-DX", "Vũ Văn Hiệu", "hiệu trưởng", "0988000002"),
    ]
    await apply_import(bot.db, read_roster(csv_file(rows)), NOW)
    late_teacher = await registered(telegram, "0988000001", 5200)
    plan = await late_teacher.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    assert plan.buttons() == [["✅ Đã nhận"]]
    late_principal = await registered(telegram, "0988000002", 5201)
    plan = await late_principal.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    assert plan.buttons() == [["✅ Đã nhận", "📝 Báo cáo"]]
    await late_principal.press("📝 Báo cáo", plan)
    await late_principal.expect("Các đợt báo cáo của bạn")


async def test_a_per_person_round_gives_everyone_the_button(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, people = await setup(bot, telegram)
    await walk_to_preview(office, UNIT_ROUND, PERSON_ROUND)
    await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    count = await office.expect("Số người nhận")
    assert "Nút «Báo cáo»" not in count.shown
    await office.press("🚀 Phát động")
    for person in people:
        got = await person.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
        assert got.buttons() == [["✅ Đã nhận", "📝 Báo cáo"]]
    await office.expect()
    await office.expect("Đã gửi xong", timeout=10)
    assert await bot.db.fetchval("SELECT COUNT(*) FROM outbox WHERE payload IS NOT NULL") == 0


async def test_the_default_audience_leaves_office_staff_out(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, people = await setup(bot, telegram)
    district = await registered(telegram, "0911000002", 5002)  # Phòng office, in the scope
    await launch(office, PERSON_ROUND)
    for person in people:
        await person.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    await district.expect_nothing(within=0.5)
    [campaign_id] = [row[0] for row in await bot.db.fetchall("SELECT id FROM campaigns")]
    campaign = await get_campaign(bot.db, campaign_id)
    assert campaign is not None and campaign.spec.roles == ("principal", "teacher")

    # The office can still tick «Văn phòng».
    await begin(office)
    roles = await skip_to_roles(office, "Bước 3", "Bước 4", "Bước 5", "Bước 6")
    await office.press("⬜ Văn phòng", roles)
    await telegram.wait_until(lambda: roles.has_button("✅ Văn phòng"))


async def test_the_campaign_names_the_unit_that_launches_it(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    district = await registered(telegram, "0911000002", 5002)
    teacher = telegram.user(5103)  # Đỗ Thị Bình, a teacher in the district
    await launch(district)
    got = await teacher.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    assert "Phòng GD&ĐT Đồng Xoài phát động:\n" + TITLE in got.shown

    # An admin outside the roster speaks for the single top unit…
    admin = telegram.user(ADMIN_ID)
    await walk_to_preview(admin)
    preview = await admin.expect("PHÁT ĐỘNG PHONG TRÀO")
    assert "Sở GD&ĐT Bình Phước phát động:" in preview.shown
    await admin.expect("Số người nhận")
    await admin.send("/huy")
    await admin.expect("Đã hủy")
    # …and for the office generically when there are several.
    rows = [*BASIC_ROWS, ("SGD-2", "Sở GD&ĐT Đắk Nông", "", "", "", "")]
    await apply_import(bot.db, read_roster(csv_file(rows)), NOW)
    await walk_to_preview(admin)
    preview = await admin.expect("PHÁT ĐỘNG PHONG TRÀO")
    assert "Văn phòng Thi đua – Khen thưởng phát động:" in preview.shown


async def test_an_announcement_names_the_office_and_the_person(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, _ = await setup(bot, telegram)
    await launch(office)  # a campaign with a long title, offered as an audience below
    district = await registered(telegram, "0911000002", 5002)
    teacher = telegram.user(5103)
    await teacher.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    await district.send("/thongbao")
    ask = await district.expect("Gửi cho ai")
    [campaign_button] = [row[0] for row in ask.buttons() if row[0].startswith("📌")]
    shown = campaign_button.removeprefix("📌 ").removesuffix("…")
    assert campaign_button.endswith("…") and TITLE.startswith(shown + " ")  # cut between words
    await district.press("Tất cả mọi người")
    await district.expect("nội dung thông báo")
    await district.send("Họp giao ban thứ Hai lúc 8:00.")
    await district.expect("Xem trước")
    preview = await district.expect("THÔNG BÁO")
    sender = "Văn phòng Phòng GD&ĐT Đồng Xoài gửi (người gửi: Phạm Thị Phòng)"
    assert sender in preview.shown
    await district.expect("Số người nhận")
    await district.press("📨 Gửi")
    got = await teacher.expect("THÔNG BÁO", timeout=10)
    assert got.shown == preview.shown
