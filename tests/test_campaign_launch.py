"""/phatdong end to end, with the Bình Phước 2023–2024 plan (shared/seeds/001) as the data."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from formats.roster_file import read_roster
from storage.campaigns import get_campaign
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.helpers import BASIC_ROWS, NOW, VN, csv_file

SEED = Path(__file__).resolve().parent / "data" / "seed_001_binh_phuoc_2023_2024.txt"
TITLE = (
    "Phát động phong trào thi đua góp phần thực hiện thắng lợi nhiệm vụ phát triển kinh tế - "
    "xã hội, quốc phòng, an ninh của tỉnh trong năm học 2023-2024"
)
# The plan was launched in September 2023; its deadlines (25/1/2024, 15/7/2024) lie ahead.
LAUNCH_DAY = datetime(2023, 9, 11, 8, 0, tzinfo=VN)
TEACHER_PHONES = {"0912000002": 5102, "0912000003": 5103, "0323000002": 5104}
PRINCIPAL_PHONES = {"0912000001": 5101, "0913000001": 5105}


async def registered(telegram: FakeTelegram, phone: str, uid: int) -> FakeUser:
    user = telegram.user(uid)
    await user.share_contact(phone)
    await user.expect("Đăng ký thành công")
    return user


async def setup(bot: RunningBot, telegram: FakeTelegram) -> tuple[FakeUser, list[FakeUser]]:
    bot.clock.set(LAUNCH_DAY)
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    office = await registered(telegram, "0911000001", 5001)
    people = [
        await registered(telegram, phone, uid)
        for phone, uid in {**PRINCIPAL_PHONES, **TEACHER_PHONES}.items()
    ]
    return office, people


async def answer(user: FakeUser, text: str, expect: str) -> SentMessage:
    await user.send(text)
    return await user.expect(expect)


async def press(user: FakeUser, button: str, expect: str) -> SentMessage:
    await user.press(button)
    return await user.expect(expect)


async def begin(office: FakeUser) -> None:
    """/phatdong and the title: the draft at «Bước 2»."""
    await answer(office, "/phatdong", "Bước 1")
    await answer(office, TITLE, "Bước 2")


async def skip_to_roles(office: FakeUser, *steps: str) -> SentMessage:
    """From a skippable step, «⏭ Bỏ qua» to each of `steps`, then all units: the roles
    question («Bước 7»)."""
    for step in steps:
        await press(office, "⏭ Bỏ qua", step)
    return await press(office, "Tất cả đơn vị", "Bước 7")


async def skip_to_rounds(office: FakeUser, *steps: str) -> None:
    """As `skip_to_roles`, then the default roles and no document: the rounds («Bước 9»)."""
    await skip_to_roles(office, *steps)
    await press(office, "Tiếp tục ➡️", "Bước 8")
    await press(office, "⏭ Bỏ qua", "Bước 9")


async def walk_to_rounds(office: FakeUser) -> None:
    await begin(office)
    await answer(office, "1234/KH-SGDĐT", "Bước 3")
    await answer(office, "31/02/2024 - 31/05/2024", "Ngày 31/02/2024 không tồn tại")
    await answer(office, "31/05/2024 - 01/09/2023", "đứng trước ngày bắt đầu")
    await answer(office, "01/09/2023 - 31/05/2024", "Bước 4")
    summary = SEED.read_text(encoding="utf-8").split("1. Mục đích")[1][:600].strip()
    await answer(office, summary, "Bước 5")
    await answer(
        office,
        "- 100% cán bộ, giáo viên tham gia phong trào\n- Trên 50% đơn vị trao học bổng",
        "Bước 6",
    )
    roles = await press(office, "Tất cả đơn vị", "Bước 7")
    # The plan goes to those who carry it out; the office ticks «Văn phòng» only if it wants.
    defaults = [["⬜ Văn phòng"], ["✅ Hiệu trưởng"], ["✅ Giáo viên, nhân viên"]]
    assert roles.buttons()[:3] == defaults
    await office.press("Tiếp tục ➡️")
    await office.expect("Bước 8")


async def test_launch_with_two_rounds(bot: RunningBot, telegram: FakeTelegram) -> None:
    office, people = await setup(bot, telegram)
    await walk_to_rounds(office)
    plan = b"%PDF-1.4 ke hoach thi dua 2023-2024"
    await office.send_document("KH_thi_dua_2023-2024.pdf", plan, "application/pdf")
    await office.expect("Bước 9")
    await press(office, "Sơ kết", "theo đơn vị (hiệu trưởng trả lời thay trường) hay")
    await press(office, "Theo đơn vị (hiệu trưởng trả lời)", "Nhập hạn nộp")
    await answer(office, "25/01/2023", "đã qua")
    await answer(office, "25/1/2024 25:00", "không hợp lệ")
    await answer(office, "ngày mai", "không phải hạn nộp hợp lệ")
    await answer(office, "25/1/2024", "mẫu báo cáo")
    await press(office, "Báo cáo sơ kết / tổng kết", "Nhắc nhở")
    await press(office, "✅ Giữ mặc định", "Thêm đợt khác")
    await press(office, "➕ Thêm đợt báo cáo", "Bước 9")
    await answer(office, "Tổng kết năm học", "theo từng cá nhân?")
    await press(office, "Theo cá nhân (mỗi người trả lời)", "Nhập hạn nộp")
    await answer(office, "15/07/2024 17:00", "mẫu báo cáo")
    await press(office, "Báo cáo ngắn", "Nhắc nhở")
    more = await press(office, "✅ Giữ mặc định", "Thêm đợt khác")
    assert "hạn nộp 23 giờ 59 ngày 25/01/2024" in more.shown
    assert "hạn nộp 17 giờ 00 ngày 15/07/2024" in more.shown

    await office.press("Tiếp tục ➡️")
    await office.expect("Xem trước")
    preview = await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    assert preview.document is not None  # the plan travels with the message
    assert "Sở GD&ĐT Bình Phước phát động:" in preview.shown  # who launches it
    assert preview.buttons() == [["✅ Đã nhận", "📝 Báo cáo"]]
    count = await office.expect("Số người nhận")
    assert "5 người đã đăng ký" in count.shown  # 2 principals + 3 teachers, office excluded
    assert count.buttons() == [["🚀 Phát động", "✖️ Hủy"]]
    await office.press("🚀 Phát động")

    for person in people:
        received = await person.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
        assert received.document is not None
        assert telegram.file_bytes(received.document["file_id"]) == plan
        assert "1234/KH-SGDĐT" in received.shown
        assert received.shown.startswith(
            "📢 PHÁT ĐỘNG PHONG TRÀO THI ĐUA\nSở GD&ĐT Bình Phước phát động:\n"
        )
        assert "Sơ kết (theo đơn vị) — hạn nộp 23 giờ 59 ngày 25/01/2024" in received.shown
        assert received.buttons() == [["✅ Đã nhận", "📝 Báo cáo"]]
    progress = await office.expect()  # "⏳ Đang chuẩn bị gửi…", then edited in place
    summary = await office.expect("Đã gửi xong", timeout=10)  # after the broadcast
    assert "Đã gửi 5 / 5 · lỗi 0 · chặn bot 0" in summary.shown
    await telegram.wait_until(lambda: "Đã gửi 5 / 5" in progress.shown)
    assert progress.edits and progress.edits[0] == "⏳ Đang chuẩn bị gửi…"

    [row] = await bot.db.fetchall("SELECT id FROM campaigns")
    campaign = await get_campaign(bot.db, row[0])
    assert campaign is not None and campaign.status == "launched"
    assert [r.name for r in campaign.rounds] == ["Sơ kết", "Tổng kết năm học"]
    assert [r.kind for r in campaign.rounds] == ["unit", "person"]
    assert campaign.rounds[1].deadline == datetime(2024, 7, 15, 17, 0, tzinfo=VN)
    assert [t.value for t in campaign.spec.targets] == [100.0, 50.0]
    assert campaign.spec.document_path is not None
    assert Path(campaign.spec.document_path).read_bytes() == plan


async def test_acknowledge_once_and_report_button(bot: RunningBot, telegram: FakeTelegram) -> None:
    office, people = await setup(bot, telegram)
    await walk_to_rounds(office)
    await press(office, "⏭ Bỏ qua", "Bước 9")
    await press(office, "Tổng kết", "hay theo từng cá nhân")
    await press(office, "Theo cá nhân (mỗi người trả lời)", "Nhập hạn nộp")
    await answer(office, "15/07/2024", "mẫu báo cáo")
    await press(office, "Xác nhận tham gia", "Nhắc nhở")
    await press(office, "✅ Giữ mặc định", "Thêm đợt khác")
    await office.press("Tiếp tục ➡️")
    await office.expect("Xem trước")
    await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    await office.expect("Số người nhận")
    await office.press("🚀 Phát động")

    teacher = people[2]
    message = await teacher.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    await office.expect()  # the progress message
    await office.expect("Đã gửi xong", timeout=10)
    assert message.document is None
    await teacher.press("✅ Đã nhận", message)
    await telegram.wait_until(lambda: message.buttons() == [["☑️ Đã xác nhận", "📝 Báo cáo"]])
    assert "Đã ghi nhận" in teacher.answers[-1]["text"]
    await teacher.press("☑️ Đã xác nhận", message)
    await telegram.wait_until(lambda: "Bạn đã xác nhận" in (teacher.answers[-1].get("text") or ""))
    assert await bot.db.fetchval("SELECT COUNT(*) FROM acknowledgements") == 1

    await teacher.press("📝 Báo cáo", message)
    report = await teacher.expect("Các đợt báo cáo của bạn")
    assert "Tổng kết — " in report.shown and "hạn 23 giờ 59 ngày 15/07/2024" in report.shown

    await office.send("/tiendo")
    progress = await office.expect("Đã gửi 5 / 5 · đã nhận 1")
    assert "Trường THCS Tân Phú" in progress.shown
    principal = people[0]  # Nguyễn Thị Lan, THCS Tân Phú: sees her school only
    await principal.expect("PHÁT ĐỘNG PHONG TRÀO")
    await principal.send("/tiendo")
    mine = await principal.expect("Theo đơn vị")
    assert "Trường THCS Tân Phú: 3/3" in mine.shown
    assert "Tân Xuân" not in mine.shown
    await teacher.send("/tiendo")
    own = await teacher.expect("Các kế hoạch bạn đã nhận")
    assert "đã xác nhận" in own.shown


async def test_cancel_at_any_step(bot: RunningBot, telegram: FakeTelegram) -> None:
    office, _ = await setup(bot, telegram)
    await begin(office)
    await answer(office, "/huy", "Đã hủy")
    await answer(office, "xin chào", "chưa hiểu")  # out of the flow
    assert await bot.db.fetchval("SELECT COUNT(*) FROM drafts") == 0
    assert await bot.db.fetchval("SELECT COUNT(*) FROM campaigns") == 0


async def test_wrong_kinds_of_answer(bot: RunningBot, telegram: FakeTelegram) -> None:
    office, _ = await setup(bot, telegram)
    await answer(office, "/phatdong", "Bước 1")
    await office.send_sticker()
    await office.expect("nhập tên phong trào bằng chữ")
    await answer(office, "ab", "quá ngắn")
    await answer(office, "x" * 10_000, "tối đa 200")
    await answer(office, TITLE, "Bước 2")
    await answer(office, "/help", "đang làm dở")
    await press(office, "⏭ Bỏ qua", "Bước 3")
    await press(office, "⏭ Bỏ qua", "Bước 4")
    await press(office, "⏭ Bỏ qua", "Bước 5")
    await answer(office, "- 150% giáo viên", "phải từ 0 đến 100")
    await press(office, "⏭ Bỏ qua", "Bước 6")
    await answer(office, "tất cả", "chọn bằng các nút")
    await press(office, "Chọn đơn vị", "Chọn đơn vị nhận kế hoạch")
    await answer(office, "KHONG-CO, THCS-TP", "Không có đơn vị mã: KHONG-CO")
    await answer(office, "THCS-TP", "Đã chọn thêm: Trường THCS Tân Phú")
    await press(office, "✔️ Xong (đã chọn 1)", "đơn vị trực thuộc")


async def test_restart_in_the_middle(bot: RunningBot, telegram: FakeTelegram) -> None:
    office, _ = await setup(bot, telegram)
    await begin(office)
    await answer(office, "1234/KH-SGDĐT", "Bước 3")
    await bot.restart()
    await answer(office, "01/09/2023 - 31/05/2024", "Bước 4")  # the same question, resumed
    draft = await bot.db.fetchval("SELECT data FROM drafts")
    assert "1234/KH-SGDĐT" in draft and "2023-09-01" in draft


async def test_only_the_office_may_launch(bot: RunningBot, telegram: FakeTelegram) -> None:
    _, people = await setup(bot, telegram)
    principal = people[0]
    await answer(principal, "/phatdong", "chỉ dành cho văn phòng")
    await answer(principal, "Tên phong trào", "chưa hiểu")  # no conversation was started
    await answer(principal, "/thongbao", "chỉ dành cho văn phòng")
    assert await bot.db.fetchval("SELECT COUNT(*) FROM drafts") == 0


async def test_district_office_cannot_pick_units_outside_its_district(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await setup(bot, telegram)
    district = await registered(telegram, "0911000002", 5002)
    await begin(district)
    for _ in range(3):
        await district.press("⏭ Bỏ qua")
        await district.expect("Bước")
    await press(district, "⏭ Bỏ qua", "Bước 6")
    picker = await press(district, "Chọn đơn vị", "Chọn đơn vị nhận kế hoạch")
    assert "Sở GD&ĐT Bình Phước" not in str(picker.buttons())  # only its own district
    await answer(district, "SGD", "Không thuộc phạm vi của bạn: SGD")
    await answer(district, "sgd", "Không thuộc phạm vi của bạn: SGD")


async def test_announcement_to_everyone(bot: RunningBot, telegram: FakeTelegram) -> None:
    office, people = await setup(bot, telegram)
    await answer(office, "/thongbao", "Gửi cho ai")
    await press(office, "Tất cả mọi người", "nội dung thông báo")
    await office.send("Họp giao ban <b>thứ Hai</b> lúc 8:00 & mang theo báo cáo.")
    await office.expect("Xem trước")
    await office.expect("THÔNG BÁO")
    await office.expect("Số người nhận")
    await office.press("📨 Gửi")
    for person in people:
        got = await person.expect("THÔNG BÁO", timeout=10)
        assert "Họp giao ban <b>thứ Hai</b> lúc 8:00 & mang theo báo cáo." in got.shown


async def test_someone_registering_later_still_gets_the_plan(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office, _ = await setup(bot, telegram)
    await walk_to_rounds(office)
    await press(office, "⏭ Bỏ qua", "Bước 9")
    await press(office, "Không có đợt báo cáo", "Xem trước")
    await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    await office.expect("Số người nhận")
    await office.press("🚀 Phát động")
    await office.expect()  # the progress message
    await office.expect("Đã gửi xong", timeout=10)
    # Phạm Thị Phòng (office role) was not in the audience; a new teacher is.
    rows = [
        *BASIC_ROWS,
        ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Lý Thị Mới", "gv", "0988000001"),
    ]
    await apply_import(bot.db, read_roster(csv_file(rows)), NOW)
    late = await registered(telegram, "0988000001", 5200)
    plan = await late.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    assert plan.buttons() == [["✅ Đã nhận"]]  # no rounds, so no report button
    district = await registered(telegram, "0911000002", 5201)
    await district.expect_nothing(within=0.5)  # not in the audience (office role was off)


CUSTOM_FORM = """title: Báo cáo nhanh học bổng
questions:
  - prompt: Số suất học bổng đã trao
    type: số nguyên
    minimum: 0
  - prompt: Ảnh trao học bổng
    type: tệp
    required: không
"""


async def test_custom_form_from_a_file(bot: RunningBot, telegram: FakeTelegram) -> None:
    office, people = await setup(bot, telegram)
    await walk_to_rounds(office)
    await press(office, "⏭ Bỏ qua", "Bước 9")
    await press(office, "Tổng kết", "hay theo từng cá nhân")
    await press(office, "Theo cá nhân (mỗi người trả lời)", "Nhập hạn nộp")
    await answer(office, "15/07/2024", "mẫu báo cáo")
    await press(office, "📄 Mẫu riêng (gửi tệp YAML/JSON)", "Mẫu báo cáo riêng")
    await office.expect("Tệp mẫu")  # the sample form (tests/test_launch_prompts.py)
    bad = CUSTOM_FORM.replace("số nguyên", "bảng tính")
    await office.send_document("mau.yaml", bad.encode(), "application/x-yaml")
    errors = await office.expect("chưa được nhận")
    assert "Dòng 4" in errors.shown
    await office.send_document("mau.yaml", CUSTOM_FORM.encode(), "application/x-yaml")
    preview = await office.expect("có 2 câu hỏi")
    assert "Số suất học bổng đã trao" in preview.shown
    await office.expect("Nhắc nhở")
    await press(office, "✅ Giữ mặc định", "Thêm đợt khác")
    await office.press("Tiếp tục ➡️")
    await office.expect("Xem trước")
    await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    await office.expect("Số người nhận")
    await office.press("🚀 Phát động")
    teacher = people[2]
    await teacher.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
    await teacher.send("/baocao")
    await teacher.expect("Các đợt báo cáo của bạn")
    await teacher.press(teacher.messages()[-1].buttons()[0][0])
    question = await teacher.expect("Câu 1/2")
    assert question.contains("Tổng kết")  # the round's intro heads the first question
    assert "Số suất học bổng đã trao" in question.shown
