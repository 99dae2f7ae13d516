"""/phatdong from the plan file: every seed plan as .txt, .docx and .pdf fills the draft, with
the sentence each field came from; corrections by button; deadlines that cannot be used asked
again; files that cannot be read refused with the first step kept; the plan file attached."""

from __future__ import annotations

import json
from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest

from formats.plan_reader import PlanReading, read_plan
from formats.roster_file import read_roster
from messages import shorten
from storage.campaigns import get_campaign
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.helpers import BASIC_ROWS, NOW, VN, csv_file
from tests.plan_expectations import EXPECTED, READ_ON, SEEDS
from tests.test_campaign_launch import registered, setup
from tests.test_plan_reader import image_only_pdf, plan_file

MIME = {
    "txt": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
OK = "✅ Đúng, tiếp tục"
FIX_TITLE, FIX_NUMBER, FIX_PERIOD = "✏️ Tên", "✏️ Số kế hoạch", "✏️ Thời gian"
FIX_TARGETS, FIX_ROUNDS = "✏️ Chỉ tiêu", "✏️ Đợt báo cáo"
SEED_001 = "seed_001_binh_phuoc_2023_2024"
DONG_XOAI = "header_dong_xoai_2024_2025"


def title_of(name: str) -> str:
    return next(fact[1] for fact in EXPECTED[name] if fact[0] == "title")


def end_of(day: str) -> str:
    return f"{day}T23:59:00+07:00"


# What each seed fills in: the draft's fields, and its rounds (name, deadline, what stops the
# deadline being used, form) before the office has given any deadline.
SEED_DRAFTS: dict[str, dict[str, Any]] = {
    "seed_000_binh_phuoc_vi_nguoi_ngheo": {
        "plan_number": "",  # "Số: /KH-SGDĐT": left blank until the plan is issued
        "period": ("2021-01-01", "2025-12-31"),
        "targets": [(100.0, "%"), (100.0, "%"), (50.0, "%")],
        "rounds": [("Sơ kết", None, ["none"], "review"), ("Tổng kết", None, ["none"], "review")],
        "missing": "số kế hoạch.",
    },
    SEED_001: {
        "plan_number": "",
        "period": ("2023-09-01", "2024-08-31"),  # "bắt đầu từ tháng 9/2023", năm học
        "targets": [(None, None), (3.0, "phong trào")] + [(None, None)] * 6,
        "rounds": [
            ("Sơ kết", end_of("2024-01-25"), [], "review"),
            ("Tổng kết", end_of("2024-07-15"), [], "review"),
        ],
        "missing": "số kế hoạch.",
    },
    "seed_002_binh_phuoc_nong_thon_moi": {
        "plan_number": "",
        "period": None,
        "targets": [],
        "rounds": [("Sơ kết", None, ["none"], "review"), ("Tổng kết", None, ["none"], "review")],
        "missing": "số kế hoạch, thời gian thực hiện, chỉ tiêu.",
    },
    "seed_003_quan_1_nong_thon_moi": {
        "plan_number": "",
        "period": ("2021-01-01", "2025-12-31"),
        "targets": [],
        "rounds": [
            ("Sơ kết", None, ["none"], "review"),
            ("Tổng kết", None, ["none"], "review"),
            ("Báo cáo định kỳ", None, ["none"], "short"),
        ],
        "missing": "số kế hoạch, chỉ tiêu, ngày ban hành.",
    },
    "seed_004_thuan_an_dien_hinh_tien_tien": {
        "plan_number": "",
        "period": ("2020-01-01", "2025-12-31"),
        "targets": [],
        "rounds": [("Báo cáo hằng năm", None, ["none"], "short")],
        "missing": "số kế hoạch, chỉ tiêu, ngày ban hành.",
    },
}


def at(name: str, hour: int = 8) -> datetime:
    return datetime.combine(READ_ON[name], time(hour), VN)


async def office_only(bot: RunningBot, telegram: FakeTelegram, name: str) -> FakeUser:
    bot.clock.set(at(name))
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    return await registered(telegram, "0911000001", 5001)


async def send_plan(
    office: FakeUser, name: str, kind: str, data: bytes | None = None
) -> list[SentMessage]:
    """The plan file at the first step: the «⏳» message turned into the report, and the
    messages after it, up to the one with the buttons."""
    await office.send_document(f"{name}.{kind}", data or plan_file(name, kind), MIME[kind])
    progress = await office.expect("Đang đọc kế hoạch")
    await office.tg.wait_until(lambda: "Đã đọc kế hoạch" in progress.shown, timeout=10)
    parts = [progress]
    while not parts[-1].has_button(OK):
        parts.append(await office.expect(timeout=10))
    return parts


async def draft_of(bot: RunningBot) -> dict[str, Any]:
    data = await bot.db.fetchval("SELECT data FROM drafts WHERE flow = 'phatdong'")
    return dict(json.loads(data))


def reading_of(name: str) -> PlanReading:
    return read_plan(plan_file(name, "txt"), f"{name}.txt", READ_ON[name])


def sources_of(reading: PlanReading) -> list[str]:
    """The sentences the report must show: those of every field but the title, targets (shown
    as they are written) and award forms (two at most are quoted); a round's first two (the
    sentences with its deadline or time come first)."""
    items: list[Any] = [reading.number, reading.period, reading.issuing_unit, reading.date,
                        reading.quarterly_nominations]  # fmt: skip
    found = [s for item in items if item is not None for s in item.sources]
    found += [s for r in reading.rounds for s in r.sources[:2]]
    return [s for s in found if reading.title is None or s != reading.title.text]


@pytest.mark.parametrize("kind", ["txt", "docx", "pdf"])
@pytest.mark.parametrize("name", SEEDS)
async def test_each_seed_plan_fills_the_draft_with_its_sources(
    bot: RunningBot, telegram: FakeTelegram, name: str, kind: str
) -> None:
    office = await office_only(bot, telegram, name)
    await office.send("/phatdong")
    first = await office.expect("Bước 1")
    assert "gửi tệp kế hoạch" in first.shown.lower() and "gõ tên phong trào" in first.shown
    parts = await send_plan(office, name, kind)
    for part in parts:
        assert 0 < len(part.shown) <= 4096
    report = "\n".join(part.shown for part in parts)
    expected = SEED_DRAFTS[name]

    draft = await draft_of(bot)
    assert draft["step"] == "plan_review"
    assert draft["title"] == title_of(name)
    assert draft["plan_number"] == expected["plan_number"]
    period = (draft["period_from"], draft["period_to"]) if draft["period_from"] else None
    assert period == expected["period"]
    assert [(t["value"], t["value_unit"]) for t in draft["targets"]] == expected["targets"]
    reading = reading_of(name)
    assert [t["text"] for t in draft["targets"]] == [t.text for t in reading.targets]
    assert draft["rounds"] == []  # not until each has a deadline the office may use
    rounds = [(r["name"], r["deadline"], r["issues"], r["form"]) for r in draft["plan"]["rounds"]]
    assert rounds == expected["rounds"]
    assert all(r["kind"] == "unit" for r in draft["plan"]["rounds"])
    assert draft["document_name"] == f"{name}.{kind}"
    assert telegram.file_bytes(draft["document_file_id"]) == plan_file(name, kind)

    assert f"Đã đọc kế hoạch «{name}.{kind}»" in report
    assert f"Tên kế hoạch: {title_of(name)}" in report
    for source in sources_of(reading):
        assert f"«{shorten(source, 350)}»" in report, source
    for target in reading.targets:
        assert shorten(target.text, 900) in report
    assert f"Không tìm thấy trong kế hoạch: {expected['missing']}" in report
    assert parts[-1].buttons() == [
        [FIX_TITLE, FIX_NUMBER],
        [FIX_PERIOD, FIX_TARGETS],
        [FIX_ROUNDS],
        [OK],
    ]


async def test_a_seed_plan_launched_with_its_file_attached(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    """The Bình Phước 2023-2024 plan as Word: its number corrected, what it does not say
    asked as usual, its rounds and targets launched, and the file sent to every recipient."""
    office, people = await setup(bot, telegram)
    await office.send("/phatdong")
    await office.expect("Bước 1")
    await send_plan(office, SEED_001, "docx")
    await office.press(FIX_NUMBER)
    await office.expect("Nhập số/ký hiệu kế hoạch")
    await office.send("1234/KH-SGDĐT")
    review = await office.expect("Thông tin lấy từ kế hoạch")
    assert "Số kế hoạch: 1234/KH-SGDĐT ✏️" in review.shown
    assert "Thời gian thực hiện: 01/09/2023 – 31/08/2024" in review.shown
    assert "Sơ kết (theo đơn vị): hạn nộp 23 giờ 59 ngày 25/01/2024" in review.shown
    await office.press(OK)
    await office.expect("Bước 4")  # number, period and targets come from the plan
    await office.send("Thi đua hoàn thành xuất sắc nhiệm vụ năm học 2023-2024.")
    await office.expect("Bước 6")
    await office.press("Tất cả đơn vị")
    await office.expect("Bước 7")
    await office.press("Tiếp tục ➡️")
    attached = await office.expect("Bước 8")
    assert f"đã đính kèm tệp «{SEED_001}.docx»" in attached.shown
    assert attached.buttons() == [["✅ Giữ tệp kế hoạch này"]]
    await office.press("✅ Giữ tệp kế hoạch này")
    more = await office.expect("Các đợt báo cáo")  # the plan's two rounds, nothing to ask
    assert "1. Sơ kết (theo đơn vị) — hạn nộp 23 giờ 59 ngày 25/01/2024" in more.shown
    assert "2. Tổng kết (theo đơn vị) — hạn nộp 23 giờ 59 ngày 15/07/2024" in more.shown
    await office.press("Tiếp tục ➡️")
    await office.expect("Xem trước")
    preview = await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    assert preview.document is not None
    await office.expect("Số người nhận")
    await office.press("🚀 Phát động")

    plan = plan_file(SEED_001, "docx")
    for person in people:
        received = await person.expect("PHÁT ĐỘNG PHONG TRÀO", timeout=10)
        assert received.document is not None
        assert received.document["file_name"] == f"{SEED_001}.docx"
        assert telegram.file_bytes(received.document["file_id"]) == plan
        assert "Kế hoạch số 1234/KH-SGDĐT" in received.shown
    [row] = await bot.db.fetchall("SELECT id FROM campaigns")
    campaign = await get_campaign(bot.db, row[0])
    assert campaign is not None and campaign.status == "launched"
    spec = campaign.spec
    assert spec.title == title_of(SEED_001) and spec.plan_number == "1234/KH-SGDĐT"
    assert (spec.period_from.isoformat(), spec.period_to.isoformat()) == (  # type: ignore[union-attr]
        "2023-09-01",
        "2024-08-31",
    )
    assert len(spec.targets) == 8 and spec.targets[1].value == 3.0
    assert [(r.name, r.kind, r.form) for r in campaign.rounds] == [
        ("Sơ kết", "unit", "review"),
        ("Tổng kết", "unit", "review"),
    ]
    assert campaign.rounds[0].deadline == datetime(2024, 1, 25, 23, 59, tzinfo=VN)
    assert spec.document_path is not None and Path(spec.document_path).read_bytes() == plan


async def walk_to_rounds(office: FakeUser, *skips: str) -> None:
    """From the review to the rounds: «✅», the skippable steps the plan left (`skips`, the
    text of each), all units, the default roles, the plan file kept."""
    await office.press(OK)
    for step in skips:
        await office.expect(step)
        await office.press("⏭ Bỏ qua")
    await office.expect("Bước 6")
    await office.press("Tất cả đơn vị")
    await office.expect("Bước 7")
    await office.press("Tiếp tục ➡️")
    await office.expect("Bước 8")
    await office.press("✅ Giữ tệp kế hoạch này")


async def test_a_deadline_already_past_is_pointed_out_and_asked_again(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office = await office_only(bot, telegram, SEED_001)
    bot.clock.set(datetime(2024, 2, 1, 8, 0, tzinfo=VN))  # after 25/1/2024
    await office.send("/phatdong")
    await office.expect("Bước 1")
    report = "\n".join(p.shown for p in await send_plan(office, SEED_001, "txt"))
    assert "Sơ kết: ⚠️ hạn nộp 23 giờ 59 ngày 25/01/2024 đã qua: bot sẽ hỏi hạn nộp mới" in report
    assert "Tổng kết: hạn nộp 23 giờ 59 ngày 15/07/2024" in report
    await walk_to_rounds(office, "Bước 2", "Bước 4")
    asked = await office.expect("Đợt Sơ kết")
    assert "hạn nộp 23 giờ 59 ngày 25/01/2024 đã qua" in asked.shown
    assert "Nhập hạn nộp" in asked.shown and asked.buttons() == [["🗑 Bỏ đợt này"]]
    assert (await draft_of(bot))["rounds"] == []  # not used meanwhile
    await office.send("25/01/2024")
    refused = await office.expect("đã qua")
    assert refused.buttons() == [["🗑 Bỏ đợt này"]]
    await office.send("10/02/2024")
    more = await office.expect("Các đợt báo cáo")
    assert "1. Sơ kết (theo đơn vị) — hạn nộp 23 giờ 59 ngày 10/02/2024" in more.shown
    assert "2. Tổng kết (theo đơn vị) — hạn nộp 23 giờ 59 ngày 15/07/2024" in more.shown


async def test_a_year_outside_the_period_and_rounds_without_dates(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    """The Đồng Xoài plan: its final report due «20/5/2024» in the 2024-2025 school year, and
    six-monthly reports with no date: each asked, or dropped."""
    office = await office_only(bot, telegram, DONG_XOAI)
    await office.send("/phatdong")
    await office.expect("Bước 1")
    report = "\n".join(p.shown for p in await send_plan(office, DONG_XOAI, "pdf"))
    assert "không khớp thời gian năm học 2024-2025 (có thể ghi nhầm năm)" in report
    assert "Báo cáo định kỳ 6 tháng: kế hoạch không ghi hạn nộp" in report
    assert "Điển hình tiên tiến hằng quý" in report and "/dienhinh" in report
    assert "Số lượng: mỗi trường tối đa 02 cá nhân mỗi quý." in report
    assert "Hồ sơ đề nghị khen thưởng: Tờ trình;" in report and "/hoso" in report
    assert "Cờ thi đua của Ủy ban nhân dân tỉnh" in report
    draft = await draft_of(bot)
    assert draft["plan_number"] == "152/KH-PGDĐT"
    assert (draft["period_from"], draft["period_to"]) == ("2024-09-05", "2025-05-31")
    await walk_to_rounds(office, "Bước 4")
    final = await office.expect("Đợt Tổng kết")
    assert "không khớp thời gian năm học 2024-2025" in final.shown
    await office.send("20/05/2025")
    periodic = await office.expect("Đợt Báo cáo định kỳ 6 tháng")
    assert "kế hoạch không ghi hạn nộp" in periodic.shown
    await office.press("🗑 Bỏ đợt này")
    more = await office.expect("Các đợt báo cáo")
    assert "1. Sơ kết (theo đơn vị) — hạn nộp 17 giờ 00 ngày 15/01/2025" in more.shown
    assert "2. Tổng kết (theo đơn vị) — hạn nộp 23 giờ 59 ngày 20/05/2025" in more.shown
    assert "6 tháng" not in more.shown


async def test_correcting_fields_by_their_buttons(bot: RunningBot, telegram: FakeTelegram) -> None:
    office = await office_only(bot, telegram, DONG_XOAI)
    await office.send("/phatdong")
    await office.expect("Bước 1")
    await send_plan(office, DONG_XOAI, "docx")
    await office.press(FIX_TITLE)
    ask = await office.expect("Nhập tên phong trào / kế hoạch")
    assert "Hiện tại: «Tổ chức phong trào thi đua “Dạy tốt – Học tốt” năm học 2024-2025»" in (
        ask.shown
    )
    assert ask.buttons() == [["↪️ Giữ nguyên"]]
    await office.send("ab")
    await office.expect("quá ngắn")  # checked as the title step checks it, still correcting
    await office.send("Dạy tốt – Học tốt 2024-2025")
    review = await office.expect("Thông tin lấy từ kế hoạch")
    assert "Tên: Dạy tốt – Học tốt 2024-2025 ✏️" in review.shown
    await office.press(FIX_TARGETS)
    await office.expect("Nhập lại các chỉ tiêu")
    await office.send("- 100% giáo viên đăng ký thi đua\n- Trên 90% học sinh hoàn thành")
    review = await office.expect("Thông tin lấy từ kế hoạch")
    assert "Chỉ tiêu: 2 ✏️" in review.shown
    await office.press(FIX_PERIOD)
    await office.expect("Nhập thời gian thực hiện")
    await office.press("🗑 Để trống")
    review = await office.expect("Thông tin lấy từ kế hoạch")
    assert "Thời gian thực hiện: để trống ✏️" in review.shown
    await office.press(FIX_NUMBER)
    await office.expect("Nhập số/ký hiệu kế hoạch")
    await office.press("↪️ Giữ nguyên")
    review = await office.expect("Thông tin lấy từ kế hoạch")
    assert "Số kế hoạch: 152/KH-PGDĐT" in review.shown and "152/KH-PGDĐT ✏️" not in review.shown

    await office.press(FIX_ROUNDS)
    rounds = await office.expect("Các đợt báo cáo đọc từ kế hoạch")
    assert rounds.buttons()[0] == ["🔁 Sơ kết: theo đơn vị", "🗑 Bỏ Sơ kết"]
    await office.press("🔁 Sơ kết: theo đơn vị", rounds)
    await telegram.wait_until(lambda: rounds.buttons()[0][0] == "🔁 Sơ kết: theo cá nhân")
    assert "1. Sơ kết (theo cá nhân)" in rounds.shown  # edited in place
    await office.press("🗑 Bỏ Báo cáo định kỳ 6 tháng", rounds)
    await telegram.wait_until(lambda: len(rounds.buttons()) == 4)
    await office.press("✔️ Xong", rounds)
    review = await office.expect("Thông tin lấy từ kế hoạch")
    assert "Đợt báo cáo: 2 ✏️" in review.shown and "Sơ kết (theo cá nhân)" in review.shown

    draft = await draft_of(bot)
    assert draft["title"] == "Dạy tốt – Học tốt 2024-2025"
    assert [t["value"] for t in draft["targets"]] == [100.0, 90.0]
    assert draft["period_from"] is None and draft["plan_number"] == "152/KH-PGDĐT"
    # An emptied period is not asked again; the summary is, as on the manual path.
    await office.press(OK)
    await office.expect("Bước 4")


async def test_all_rounds_dropped_are_asked_as_usual(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    name = "seed_004_thuan_an_dien_hinh_tien_tien"
    office = await office_only(bot, telegram, name)
    await office.send("/phatdong")
    await office.expect("Bước 1")
    await send_plan(office, name, "txt")
    await office.press(FIX_ROUNDS)
    await office.expect("Các đợt báo cáo đọc từ kế hoạch")
    await office.press("🗑 Bỏ hết, tự nhập các đợt")
    review = await office.expect("Thông tin lấy từ kế hoạch")
    assert "Đợt báo cáo: chưa có" in review.shown
    assert [FIX_ROUNDS] not in review.buttons()
    await walk_to_rounds(office, "Bước 2", "Bước 4", "Bước 5")
    await office.expect("Bước 9. Đợt báo cáo")  # asked as on the manual path


async def test_without_a_title_the_review_does_not_go_on(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office = await office_only(bot, telegram, DONG_XOAI)
    text = plan_file(DONG_XOAI, "txt").decode()
    long_title = "Tổ chức phong trào thi đua " + "rất dài " * 30
    data = text.replace("Tổ chức phong trào thi đua “Dạy tốt – Học tốt” năm học 2024-2025",
                        long_title.strip()).encode()  # fmt: skip
    await office.send("/phatdong")
    await office.expect("Bước 1")
    report = "\n".join(p.shown for p in await send_plan(office, DONG_XOAI, "txt", data))
    assert "quá 200 ký tự bot nhận: bấm «✏️ Tên» để nhập tên ngắn hơn" in report
    await office.press(OK)
    await telegram.wait_until(lambda: bool(office.answers))
    assert "Chưa có tên phong trào" in office.answers[-1]["text"]
    await office.press(FIX_TITLE)
    await office.expect("Nhập tên phong trào")
    await office.send("Dạy tốt – Học tốt")
    await office.expect("Thông tin lấy từ kế hoạch")
    await office.press(OK)
    await office.expect("Bước 4")


@pytest.mark.parametrize(
    ("file_name", "data", "says"),
    [
        ("ke_hoach_scan.pdf", image_only_pdf(), "bản PDF quét (ảnh chụp các trang)"),
        ("ke_hoach.doc", b"\xd0\xcf\x11\xe0" + b"\0" * 600, "tệp Word cũ (.doc)"),
        ("ke_hoach.txt", b"   \n ", "không có nội dung chữ"),
        ("danh_sach.xlsx", b"PK\x03\x04 broken", "bị hỏng"),
    ],
)
async def test_a_file_that_cannot_be_read_keeps_the_first_step(
    bot: RunningBot, telegram: FakeTelegram, file_name: str, data: bytes, says: str
) -> None:
    office = await office_only(bot, telegram, SEED_001)
    await office.send("/phatdong")
    await office.expect("Bước 1")
    await office.send_document(file_name, data, "application/octet-stream")
    progress = await office.expect("Đang đọc kế hoạch")
    await telegram.wait_until(lambda: says in progress.shown, timeout=10)
    assert "gõ tên phong trào" in progress.shown
    assert (await draft_of(bot))["step"] == "title"
    await office.send(title_of(SEED_001))  # typed instead
    await office.expect("Bước 2")
    draft = await draft_of(bot)
    assert draft["plan"] is None and draft["document_file_id"] is None


async def test_a_restart_in_the_middle_of_a_correction_resumes(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office = await office_only(bot, telegram, SEED_001)
    await office.send("/phatdong")
    await office.expect("Bước 1")
    await send_plan(office, SEED_001, "pdf")
    await office.press(FIX_PERIOD)
    await office.expect("Nhập thời gian thực hiện")
    await bot.restart()
    await office.send("05/09/2023 - 31/05/2024")  # taken as the correction it was asked for
    review = await office.expect("Thông tin lấy từ kế hoạch")
    assert "Thời gian thực hiện: 05/09/2023 – 31/05/2024 ✏️" in review.shown
    await office.send("/phatdong")  # the current question again, with what was corrected
    await office.expect("đang làm dở /phatdong")
    again = await office.expect("Thông tin lấy từ kế hoạch")
    assert again.shown == review.shown and again.buttons() == review.buttons()
    await bot.restart()
    await office.press(OK)  # the review's buttons still work after a restart
    await office.expect("Bước 2")  # the number the plan left blank
    draft = await draft_of(bot)
    assert (draft["period_from"], draft["period_to"]) == ("2023-09-05", "2024-05-31")


async def test_a_long_report_is_split_under_telegrams_limit(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office = await office_only(bot, telegram, DONG_XOAI)
    text = plan_file(DONG_XOAI, "txt").decode()
    items = "\n".join(
        f"- {n}0% trường đạt chỉ tiêu số {n}: " + "xây dựng trường học hạnh phúc, " * 25 + "."
        for n in range(1, 10)
    )
    first = "1. 100% cán bộ, giáo viên, nhân viên"
    assert first in text
    data = text.replace(first, f"{items}\n{first}").encode()
    await office.send("/phatdong")
    await office.expect("Bước 1")
    parts = await send_plan(office, DONG_XOAI, "txt", data)
    assert len(parts) >= 2
    assert all(len(part.shown) <= 4096 for part in parts)
    assert [bool(part.buttons()) for part in parts] == [False] * (len(parts) - 1) + [True]
    assert len((await draft_of(bot))["targets"]) == 12


async def test_another_file_at_the_review_is_read_instead(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    office = await office_only(bot, telegram, SEED_001)
    await office.send("/phatdong")
    await office.expect("Bước 1")
    await send_plan(office, SEED_001, "txt")
    await office.send_document("scan.pdf", image_only_pdf(), "application/pdf")
    progress = await office.expect("Đang đọc kế hoạch")
    await telegram.wait_until(lambda: "bản PDF quét" in progress.shown)
    assert "thông tin đã đọc từ tệp trước vẫn giữ nguyên" in progress.shown
    assert (await draft_of(bot))["title"] == title_of(SEED_001)
    other = "seed_002_binh_phuoc_nong_thon_moi"
    await send_plan(office, other, "pdf")
    draft = await draft_of(bot)
    assert draft["title"] == title_of(other) and draft["targets"] == []
    assert draft["document_name"] == f"{other}.pdf" and draft["step"] == "plan_review"


async def test_what_the_plan_says_is_shown_as_written(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    """Text from the file is data, not markup: «<…>» and «&» reach the office as written."""
    office = await office_only(bot, telegram, DONG_XOAI)
    text = plan_file(DONG_XOAI, "txt").decode()
    title = "Tổ chức phong trào thi đua “Dạy tốt – Học tốt” năm học 2024-2025"
    odd = "Tổ chức phong trào <Dạy tốt & Học tốt> năm học 2024-2025"
    data = text.replace(title, odd).encode()
    await office.send("/phatdong")
    await office.expect("Bước 1")
    report = "\n".join(p.shown for p in await send_plan(office, DONG_XOAI, "txt", data))
    assert f"Tên kế hoạch: {odd}" in report
    assert (await draft_of(bot))["title"] == odd
