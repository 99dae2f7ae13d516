"""/tiendo counts everyone in the audience on the roster, lists who is missing by name, and
every list follows one order: units in the unit tree, people by given name."""

from __future__ import annotations

import re
from datetime import datetime

from formats.roster_file import read_roster
from formats.roster_writer import invite_rows
from handlers.campaign_message import campaign_payload
from storage.campaigns import CampaignSpec, Round, launch_campaign
from storage.people import invites_for_roster, register_by_phone
from storage.roster import apply_import, export_rows, unit_names
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import NOW, VN, csv_file

START = datetime(2026, 10, 1, 9, 0, tzinfo=VN)
MIDTERM = datetime(2026, 12, 20, 17, 0, tzinfo=VN)
FINAL = datetime(2027, 5, 25, 17, 0, tzinfo=VN)
SO, NL, NT, NP, CL, NH, NTU = (
    "Sở GD&ĐT Nghệ An",
    "Phòng GD&ĐT Nghi Lộc",
    "Trường TH Nghi Thái",
    "Trường THCS Nghi Phong",
    "Phòng GD&ĐT Cửa Lò",
    "Trường THCS Nghi Hương",
    "Trường TH Nghi Thu",
)
# A Sở, two Phòng and four schools, in the order the office wrote its file: the Phòng first,
# then the schools as they came. Nghi Hương has nobody registered; Nghi Thu has no principal.
ROWS = (
    ("SGD-NA", SO, "", "Lê Văn Sở", "văn phòng", "0911100001"),
    ("PGD-NL", NL, "SGD-NA", "Phạm Thị Hà", "văn phòng", "0911100002"),
    ("PGD-CL", CL, "SGD-NA", "Bùi Văn Đông", "văn phòng", "0911100003"),
    ("THCS-NH", NH, "PGD-CL", "Phan Văn Cường", "hiệu trưởng", "0914100001"),
    ("THCS-NH", NH, "PGD-CL", "Ngô Thị Dung", "giáo viên", "0914100002"),
    ("THCS-NH", NH, "PGD-CL", "Lý Văn Ân", "giáo viên", "0914100003"),
    ("TH-NT", NT, "PGD-NL", "Võ Thị Hoa", "hiệu trưởng", "0913100001"),
    ("TH-NT", NT, "PGD-NL", "Đặng Văn Bảo", "giáo viên", "0913100002"),
    ("TH-NTU", NTU, "PGD-CL", "Đinh Thị Lan", "giáo viên", "0915100001"),
    ("TH-NTU", NTU, "PGD-CL", "Mai Văn Hùng", "giáo viên", "0915100002"),
    ("THCS-NP", NP, "PGD-NL", "Nguyễn Văn Minh", "hiệu trưởng", "0912100001"),
    ("THCS-NP", NP, "PGD-NL", "Trần Thị Yến", "giáo viên", "0912100002"),
    ("THCS-NP", NP, "PGD-NL", "Lê Văn An", "giáo viên", "0912100003"),
    ("THCS-NP", NP, "PGD-NL", "Hoàng Thị Ánh", "giáo viên", "0912100004"),
)
REGISTERED = {
    "0911100001": 7001,  # Lê Văn Sở, the Sở's office
    "0911100002": 7002,  # Phạm Thị Hà, Nghi Lộc's office
    "0911100003": 7003,  # Bùi Văn Đông, Cửa Lò's office
    "0912100001": 7101,  # Nguyễn Văn Minh, principal of Nghi Phong
    "0912100002": 7102,  # Trần Thị Yến
    "0912100004": 7103,  # Hoàng Thị Ánh
    "0913100001": 7201,  # Võ Thị Hoa, principal of Nghi Thái
    "0915100001": 7401,  # Đinh Thị Lan, Nghi Thu (no principal there)
}
TREE = [SO, NL, NT, NP, CL, NH, NTU]
MISSING_BUTTON = "👥 Ai chưa nộp, chưa đăng ký"


async def campaign(
    bot: RunningBot,
    issuer_code: str,
    title: str,
    rounds: tuple[Round, ...],
    roles: tuple[str, ...] = ("office", "principal", "teacher"),
    progress_chat_id: int | None = None,
) -> None:
    issuer = await bot.db.fetchval("SELECT id FROM units WHERE code = ?", (issuer_code,))
    spec = CampaignSpec(
        title, "15/KH-SGDĐT", issuer, None, None, "", (), True, (), roles, None, None, None,
        rounds,
    )  # fmt: skip
    await launch_campaign(
        bot.db, spec, created_by=7001, progress_chat_id=progress_chat_id,
        progress_message_id=None, now=START,
        payload_for=lambda cid, stored: campaign_payload(cid, spec, stored),
    )  # fmt: skip
    assert bot.app is not None and bot.app.bot_data.sender is not None
    bot.app.bot_data.sender.wake()


async def setup(bot: RunningBot, telegram: FakeTelegram, blocked: tuple[int, ...] = ()) -> None:
    """The roster, its registered people, and a Sở campaign for everyone with a per-unit and
    a per-person round, delivered."""
    bot.clock.set(START)
    await apply_import(bot.db, read_roster(csv_file(ROWS)), NOW)
    for phone, uid in REGISTERED.items():
        telegram.user(uid)
        await register_by_phone(bot.db, phone, uid, NOW)
    telegram.blocked.update(blocked)
    rounds = (
        Round("Sơ kết", "unit", MIDTERM, "short"),
        Round("Tổng kết", "person", FINAL, "short"),
    )
    telegram.user(ADMIN_ID)  # the chat that follows the broadcast
    await campaign(bot, "SGD-NA", "Vì người nghèo 2026", rounds, progress_chat_id=ADMIN_ID)
    for uid in REGISTERED.values():
        if uid not in blocked:
            await telegram.user(uid).expect("PHÁT ĐỘNG PHONG TRÀO")


async def round_id(bot: RunningBot, name: str) -> int:
    return int(await bot.db.fetchval("SELECT id FROM rounds WHERE name = ?", (name,)))


async def report(
    bot: RunningBot, round_name: str, phone: str, *, per_unit: bool = False,
    status: str = "submitted", late: bool = False,
) -> None:  # fmt: skip
    """A report as the report flow leaves it (the flow itself is tested in test_reports)."""
    row = await bot.db.fetchone("SELECT id, unit_id FROM people WHERE phone = ?", (phone,))
    assert row is not None
    person_id, unit_id = row[0], row[1]
    subject = f"unit:{unit_id}" if per_unit else f"person:{person_id}"
    await bot.db.write(
        "INSERT INTO submissions (round_id, subject, unit_id, person_id, author_id, status,"
        " answers, version, submitted_at, late, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, '{\"noi_dung\": \"Đã làm\"}', 1, ?, ?, ?)",
        (await round_id(bot, round_name), subject, unit_id, None if per_unit else person_id,
         person_id, status, START.isoformat(), int(late), START.isoformat()),
    )  # fmt: skip


async def reports(bot: RunningBot) -> None:
    # Per unit: Nghi Phong answered; Nghi Thái's principal has not; nobody in Nghi Hương has
    # registered; Nghi Thu has no principal.
    await report(bot, "Sơ kết", "0912100001", per_unit=True)
    # Per person: Yến, Minh (late) and Hà answered; Ánh's report was sent back.
    await report(bot, "Tổng kết", "0912100002")
    await report(bot, "Tổng kết", "0912100001", late=True)
    await report(bot, "Tổng kết", "0911100002")
    await report(bot, "Tổng kết", "0912100004", status="returned")


async def progress(user: FakeUser, campaigns: int = 1) -> list[SentMessage]:
    """/tiendo's messages: per campaign its delivery, then one message per round."""
    await user.send("/tiendo")
    messages = []
    for _ in range(campaigns):
        messages.append(await user.expect("Phát động"))
        messages.append(await user.expect("Sơ kết"))
        messages.append(await user.expect("Tổng kết"))
    return messages


def bullet_units(message: SentMessage) -> list[str]:
    return [line[2:].split(":")[0] for line in message.shown.splitlines() if line.startswith("• ")]


async def test_office_sees_everyone_in_the_audience_in_tree_order(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    await reports(bot)
    office = telegram.user(7001)  # the Sở's office
    delivery, midterm, final = await progress(office)

    assert "Đã gửi 8 / 8" in delivery.shown
    assert "Chưa đăng ký nên chưa nhận được: 6 người" in delivery.shown
    assert bullet_units(delivery) == TREE  # Sở, Phòng Nghi Lộc, its schools, Phòng Cửa Lò, …
    assert f"• {NP}: 3/3 · 0 · 0 · chưa đăng ký 1" in delivery.shown
    assert f"• {NH}: 0/0 · 0 · 0 · chưa đăng ký 3" in delivery.shown  # nobody registered

    # Per unit: three schools have a principal; Nghi Thu has none and still shows.
    assert "Đã nộp 1 / 3 đơn vị" in midterm.shown
    assert "Chưa nộp 1 · hiệu trưởng chưa đăng ký 1" in midterm.shown
    assert "1 đơn vị chưa có hiệu trưởng trong danh sách" in midterm.shown
    assert bullet_units(midterm) == [NT, NP, NH, NTU]
    assert f"• {NP}: ✅ đã nộp" in midterm.shown
    assert f"• {NT}: ⏳ chưa nộp" in midterm.shown
    assert f"• {NH}: ❔ hiệu trưởng chưa đăng ký" in midterm.shown
    assert f"• {NTU}: ⚠️ chưa có hiệu trưởng trong danh sách" in midterm.shown

    # Per person: all 14 people of the audience, registered or not.
    assert "Đã nộp 3 / 14 · nộp muộn 1" in final.shown
    assert "Chưa nộp 5 · chưa đăng ký 6" in final.shown
    assert "vắng" not in final.shown  # no absences yet: no line for them
    assert bullet_units(final) == TREE
    assert f"• {NP}: 2/4 (muộn 1) · chưa nộp 1 · chưa đăng ký 1" in final.shown
    assert f"• {NH}: 0/3 · chưa đăng ký 3" in final.shown
    assert f"• {SO}: 0/1 · chưa nộp 1" in final.shown
    assert final.buttons()[0] == [MISSING_BUTTON]

    # The Phòng's office sees its own district only.
    district = telegram.user(7002)
    delivery, midterm, final = await progress(district)
    assert bullet_units(delivery) == [NL, NT, NP]
    assert "Đã nộp 3 / 7" in final.shown


async def test_by_name_in_given_name_order(bot: RunningBot, telegram: FakeTelegram) -> None:
    await setup(bot, telegram)
    await reports(bot)
    office = telegram.user(7001)
    _, midterm, final = await progress(office)

    await office.press(MISSING_BUTTON, final)
    names = await office.expect("Chưa nộp hoặc chưa đăng ký: 11 người")
    assert names.shown.splitlines()[2:] == [
        "",
        SO,
        "⏳ Lê Văn Sở — chưa nộp",
        "",
        NT,
        "❔ Đặng Văn Bảo — chưa đăng ký",
        "⏳ Võ Thị Hoa — chưa nộp",
        "",
        NP,
        "❔ Lê Văn An — chưa đăng ký",
        "↩️ Hoàng Thị Ánh — cần bổ sung",
        "",
        CL,
        "⏳ Bùi Văn Đông — chưa nộp",
        "",
        NH,
        "❔ Lý Văn Ân — chưa đăng ký",
        "❔ Phan Văn Cường — chưa đăng ký",
        "❔ Ngô Thị Dung — chưa đăng ký",
        "",
        NTU,
        "❔ Mai Văn Hùng — chưa đăng ký",
        "⏳ Đinh Thị Lan — chưa nộp",
        "",
        "Người chưa đăng ký chưa nhận được kế hoạch: gửi cho họ link mời riêng (/danhsach →"
        " «Link mời từng người») hoặc nhắc họ mở bot và chia sẻ số điện thoại.",
    ]

    await office.press(MISSING_BUTTON, midterm)
    units = await office.expect("Đơn vị chưa nộp báo cáo: 3")
    assert [line for line in units.shown.splitlines() if line.startswith("• ")] == [
        f"• {NT}: chưa nộp (hiệu trưởng Võ Thị Hoa)",
        f"• {NH}: hiệu trưởng Phan Văn Cường chưa đăng ký",
        f"• {NTU}: chưa có hiệu trưởng trong danh sách",
    ]


async def test_principal_sees_only_their_unit(bot: RunningBot, telegram: FakeTelegram) -> None:
    await setup(bot, telegram)
    await reports(bot)
    principal = telegram.user(7101)  # Nguyễn Văn Minh, Nghi Phong
    delivery, midterm, final = await progress(principal)
    assert bullet_units(delivery) == [NP]
    assert "Đã nộp 1 / 1 đơn vị" in midterm.shown
    assert NT not in midterm.shown
    staff = [line for line in final.shown.splitlines() if line and line[0] in "✅⏳❔↩"]
    assert staff == [
        "❔ Lê Văn An (chưa đăng ký)",
        "↩️ Hoàng Thị Ánh (cần bổ sung)",
        "✅ Nguyễn Văn Minh (muộn)",
        "✅ Trần Thị Yến",
    ]
    assert "Đã nộp 2 / 4" in final.shown
    await principal.press(MISSING_BUTTON, final)
    names = await principal.expect("Chưa nộp hoặc chưa đăng ký: 2 người")
    assert NP in names.shown
    for elsewhere in ("Võ Thị Hoa", "Lê Văn Sở", "Mai Văn Hùng", NT, NH):
        assert elsewhere not in names.shown


async def refused(telegram: FakeTelegram, user: FakeUser, data: str) -> None:
    """A press with forged data: an alert saying no, and not a word about the round."""
    await user.press_data(data)
    await telegram.wait_until(lambda: bool(user.answers))
    alert = user.answers.pop()
    assert alert["show_alert"] is True and "không có quyền" in alert["text"]
    await user.expect_nothing(0.3)


async def test_forged_button_gets_an_alert(bot: RunningBot, telegram: FakeTelegram) -> None:
    await setup(bot, telegram)
    await reports(bot)
    # A campaign of Nghi Lộc's office for its own district only.
    reading = (Round("Đọc sách", "person", FINAL, "short"),)
    await campaign(bot, "PGD-NL", "Nghi Lộc đọc sách", reading, roles=("principal", "teacher"))
    for uid in (7101, 7102, 7103, 7201):
        await telegram.user(uid).expect("Nghi Lộc đọc sách", timeout=10)
    district_round = await round_id(bot, "Đọc sách")
    so_round = await round_id(bot, "Tổng kết")

    teacher = telegram.user(7102)  # Trần Thị Yến
    await refused(telegram, teacher, f"rn:{so_round}")
    other = telegram.user(7003)  # Cửa Lò's office: Nghi Lộc's campaign is none of its business
    await refused(telegram, other, f"rn:{district_round}")
    await refused(telegram, other, "rn:999")  # no such round: the same answer
    # The Sở's campaign reaches Cửa Lò: its office may list its own district there.
    await other.press_data(f"rn:{so_round}")
    names = await other.expect("Chưa nộp hoặc chưa đăng ký: 6 người")
    assert "Bùi Văn Đông" in names.shown and "Võ Thị Hoa" not in names.shown


async def test_long_lists_are_cut_to_one_message(bot: RunningBot, telegram: FakeTelegram) -> None:
    bot.clock.set(START)
    school = ("TH-DD", "Trường Tiểu học Đông Đúc", "")
    rows = [(*school, "Hà Văn Hiệu", "hiệu trưởng", "0917000001")]
    rows += [(*school, f"Nguyễn Thị Phương Thảo Thứ {i:03d}", "giáo viên", f"0916{i:06d}")
             for i in range(300)]  # fmt: skip
    await apply_import(bot.db, read_roster(csv_file(rows)), NOW)
    await register_by_phone(bot.db, "0917000001", 7500, NOW)
    principal = telegram.user(7500)
    await campaign(bot, "TH-DD", "Đông người", (Round("Tổng kết", "person", FINAL, "short"),),
                   roles=("principal", "teacher"))  # fmt: skip
    await principal.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    await principal.send("/tiendo")
    await principal.expect("Phát động")
    final = await principal.expect("Tổng kết")
    assert "Đã nộp 0 / 301" in final.shown
    staff = re.search(r"… và (\d+) người khác\.", final.shown)
    assert staff is not None and len(final.shown) <= 4096
    assert final.shown.count("(chưa đăng ký)") + int(staff.group(1)) == 300

    await principal.press(MISSING_BUTTON, final)
    names = await principal.expect("Chưa nộp hoặc chưa đăng ký: 301 người")
    assert len(names.shown) <= 4096
    hidden = re.search(r"… và (\d+) người khác\.", names.shown)
    assert hidden is not None
    listed = [line for line in names.shown.splitlines() if line and line[0] in "⏳❔"]
    assert len(listed) + int(hidden.group(1)) == 301


async def test_submitted_reports_by_unit_tree_then_given_name(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    await reports(bot)
    office = telegram.user(7001)
    _, _, final = await progress(office)
    await office.press("📋 Xem, yêu cầu bổ sung", final)
    listing = await office.expect("3 báo cáo đã nộp")
    assert listing.buttons() == [
        [f"✅ {NL} · Phạm Thị Hà"],
        [f"⏰ {NP} · Nguyễn Văn Minh"],  # late, in its place, with its mark
        [f"✅ {NP} · Trần Thị Yến"],
    ]


async def test_failure_summary_by_unit_tree_then_given_name(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram, blocked=(7001, 7003, 7201, 7401, 7102, 7103))
    admin = telegram.user(ADMIN_ID)
    await telegram.wait_until(lambda: any(m.contains("Chưa gửi được") for m in admin.messages()))
    summary = next(m for m in admin.messages() if m.contains("Chưa gửi được"))
    lines = summary.shown.splitlines()
    start = lines.index("Chưa gửi được cho 6 người, theo đơn vị:")
    listed = [line for line in lines[start + 1 :] if line and not line.startswith("Người chặn")]
    assert listed == [
        SO,
        "• Lê Văn Sở — chặn bot",
        NT,
        "• Võ Thị Hoa — chặn bot",
        NP,
        "• Hoàng Thị Ánh — chặn bot",
        "• Trần Thị Yến — chặn bot",
        CL,
        "• Bùi Văn Đông — chặn bot",
        NTU,
        "• Đinh Thị Lan — chặn bot",
    ]


async def test_exports_follow_the_tree_and_given_names(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    exported = [(row.unit_name, row.full_name) for row in await export_rows(bot.db)]
    assert [name for name, _ in exported] == sorted((name for name, _ in exported), key=TREE.index)
    assert [person for unit, person in exported if unit == NP] == [
        "Lê Văn An", "Hoàng Thị Ánh", "Nguyễn Văn Minh", "Trần Thị Yến",
    ]  # fmt: skip
    invites = invite_rows(await invites_for_roster(bot.db, NOW), "thidua_bot")[1:]
    assert [row[2] for row in invites] == [person for _, person in exported]
    assert [name for _, name in await unit_names(bot.db, None)] == TREE
