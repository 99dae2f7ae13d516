"""/xuat and `python -m bot export`: the workbook the office compiles its report from, checked
cell by cell against the answers given here; who may export what."""

from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.cli import main
from formats.forms import parse_form_file
from formats.roster_file import read_roster
from formats.workbook import (
    MAX_SHEET_NAME,
    AnswerRow,
    Column,
    ExportData,
    RoundExport,
    UnitStatus,
    build_workbook,
    sheet_name,
)
from handlers import exports
from handlers.campaign_message import campaign_payload
from handlers.exports import file_name
from messages import shorten
from storage.campaigns import CampaignSpec, Round, launch_campaign
from storage.db import Database
from storage.people import register_by_phone
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import RunningBot
from tests.helpers import NOW, SURVEY, VN, csv_file
from tests.test_progress import NH, NL, NP, NT, NTU, REGISTERED, ROWS, SO

START = datetime(2026, 10, 1, 9, 0, tzinfo=VN)
MIDTERM = datetime(2026, 12, 20, 17, 0, tzinfo=VN)
SURVEY_DEADLINE = datetime(2026, 11, 30, 17, 0, tzinfo=VN)
TITLE = "Vì người nghèo – Không để ai bị bỏ lại phía sau"
OFFICE, PRINCIPAL_NP, TEACHER_YEN = 7001, 7101, 7102
WORKBOOK_BUTTON = f"📊 {TITLE}"
SHEETS = ["Tổng quan", "1. Sơ kết", "2. Khảo sát", "Điển hình tiên tiến", "Gửi kế hoạch"]


async def person_id(db: Database, phone: str) -> tuple[int, int]:
    row = await db.fetchone("SELECT id, unit_id FROM people WHERE phone = ?", (phone,))
    assert row is not None
    return int(row[0]), int(row[1])


async def answer(
    db: Database, round_name: str, phone: str, answers: dict[str, Any], *,
    per_unit: bool = False, at: datetime = START, late: bool = False, status: str = "submitted",
    reason: str | None = None,
) -> None:  # fmt: skip
    """A report as the report flow leaves it (the flow itself is tested in test_reports)."""
    pid, unit_id = await person_id(db, phone)
    round_id = await db.fetchval("SELECT id FROM rounds WHERE name = ?", (round_name,))
    subject = f"unit:{unit_id}" if per_unit else f"person:{pid}"
    data = json.dumps(answers, ensure_ascii=False)
    submission = await db.write(
        "INSERT INTO submissions (round_id, subject, unit_id, person_id, author_id, status,"
        " answers, version, submitted_at, late, return_reason, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
        (round_id, subject, unit_id, None if per_unit else pid, pid, status, data,
         at.isoformat(), int(late), reason, at.isoformat()),
    )  # fmt: skip
    await db.write(
        "INSERT INTO submission_history (submission_id, version, author_id, answers,"
        " submitted_at, late) VALUES (?, 1, ?, ?, ?, ?)",
        (submission, pid, data, at.isoformat(), int(late)),
    )


async def evidence(db: Database, name: str) -> int:
    return await db.write(
        "INSERT INTO evidence_files (file_unique_id, file_id, file_name, created_at)"
        " VALUES (?, ?, ?, ?)",
        (f"u-{name}", f"f-{name}", name, START.isoformat()),
    )


async def nominate(
    db: Database, phone: str, nominee: str, *, kind: str = "individual", field: str = "giang_day",
    campaign_id: int | None = None, status: str = "pending", waiting_at: str = "PGD-NL",
    decisions: tuple[tuple[str, str, str, str], ...] = (), evidence: tuple[int, ...] = (),
) -> None:  # fmt: skip
    """A nomination as /dienhinh and /duyet leave it; `decisions`: (event, who's phone, at
    which unit's code, reason), oldest first."""
    nominator, unit_id = await person_id(db, phone)
    review = await db.fetchval("SELECT id FROM units WHERE code = ?", (waiting_at,))
    at = (START + timedelta(days=30)).isoformat()
    nomination = await db.write(
        "INSERT INTO nominations (unit_id, year, quarter, kind, nominee_name, nominee_key,"
        " position, field, summary, evidence, campaign_id, nominated_by, nominated_by_telegram,"
        " status, review_unit_id, queued_at, reason, created_at, updated_at)"
        " VALUES (?, 2026, 4, ?, ?, ?, 'Giáo viên', ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
        (unit_id, kind, nominee, nominee.lower(), field, f"Thành tích của {nominee}.",
         json.dumps(list(evidence)), campaign_id, nominator, status, review, at,
         decisions[-1][3] if decisions else None, at, at),
    )  # fmt: skip
    for number, (event, who, where, why) in enumerate(decisions, start=1):
        person, _ = await person_id(db, who)
        unit = await db.fetchval("SELECT id FROM units WHERE code = ?", (where,))
        when = (START + timedelta(days=30 + number)).isoformat()
        await db.write(
            "INSERT INTO nomination_history (nomination_id, event, person_id, unit_id, reason,"
            " at) VALUES (?, ?, ?, ?, ?, ?)",
            (nomination, event, person, unit, why or None, when),
        )


async def launch(db: Database, issuer_code: str = "SGD-NA") -> int:
    issuer = await db.fetchval("SELECT id FROM units WHERE code = ?", (issuer_code,))
    survey = parse_form_file(SURVEY.encode()).to_json()
    rounds = (
        Round("Sơ kết", "unit", MIDTERM, "review"),
        Round("Khảo sát", "person", SURVEY_DEADLINE, "custom", form_json=survey),
    )
    spec = CampaignSpec(
        TITLE, "15/KH-SGDĐT", issuer, date(2026, 9, 1), date(2027, 5, 31),
        "Hỗ trợ học sinh có hoàn cảnh khó khăn.", (), True, (),
        ("office", "principal", "teacher"), None, None, None, rounds,
    )  # fmt: skip
    campaign_id, _, _ = await launch_campaign(
        db, spec, created_by=OFFICE, progress_chat_id=None, progress_message_id=None,
        now=START, payload_for=lambda cid, stored: campaign_payload(cid, spec, stored),
    )  # fmt: skip
    return campaign_id


async def fill(db: Database) -> dict[str, int]:
    """The roster (test_progress's: a Sở, two Phòng, four schools), its registered people, the
    campaign, and reports: per unit Nghi Phong (on time) and Nghi Thái (late); per person Yến,
    Minh (late) and Ánh's sent back."""
    await apply_import(db, read_roster(csv_file(ROWS)), NOW)
    for phone, uid in REGISTERED.items():
        await register_by_phone(db, phone, uid, NOW)
    campaign_id = await launch(db)
    photo, minutes = await evidence(db, "anh_trao_qua.jpg"), await evidence(db, "bien_ban.pdf")
    await answer(db, "Sơ kết", "0912100001", {
        "ket_qua": "Trao 25 suất học bổng.\nVận động 45 triệu đồng.", "so_nguoi_tham_gia": 120,
        "ty_le_tham_gia": 90, "han_che": "Một số lớp chưa tích cực.",
        "de_xuat": "Đề nghị Sở hỗ trợ kinh phí.", "minh_chung": [photo, minutes],
    }, per_unit=True, at=START + timedelta(days=20))  # fmt: skip
    await answer(db, "Sơ kết", "0913100001", {
        "ket_qua": "Hoàn thành 100% chỉ tiêu.", "so_nguoi_tham_gia": 80, "ty_le_tham_gia": 60,
        "han_che": "Cơ sở vật chất còn thiếu.", "bai_hoc": "Phối hợp với hội cha mẹ học sinh.",
    }, per_unit=True, at=MIDTERM + timedelta(days=1), late=True)  # fmt: skip
    await answer(db, "Khảo sát", "0912100002", {
        "ghi_chu": "=1+1 <b>không</b> phải công thức", "so_hs": 1240, "kinh_phi": 12.5,
        "ty_le": 85.5, "hoc_bong": True, "muc_do": "Đạt chỉ tiêu", "ngay": "2026-11-20",
        "minh_chung": [photo, minutes],
    }, at=START + timedelta(days=3))  # fmt: skip
    await answer(db, "Khảo sát", "0912100001", {
        "ghi_chu": "Đã làm", "so_hs": 3, "kinh_phi": 2, "ty_le": 100, "hoc_bong": False,
        "muc_do": "Vượt chỉ tiêu",
    }, at=SURVEY_DEADLINE + timedelta(hours=2), late=True)  # fmt: skip
    await answer(db, "Khảo sát", "0912100004", {
        "ghi_chu": "Thiếu ảnh", "so_hs": 0, "kinh_phi": 0, "ty_le": 0, "hoc_bong": False,
        "muc_do": "Chưa đạt",
    }, status="returned", reason="Bổ sung ảnh minh chứng")  # fmt: skip
    # Nominations: Yến approved by Nghi Lộc then by the Sở; Nghi Thái's maths group approved
    # by Nghi Lộc and waiting at the Sở (filed under no campaign); An sent back; one withdrawn.
    await nominate(db, "0912100001", "Trần Thị Yến", campaign_id=campaign_id, status="approved",
                   waiting_at="SGD-NA", evidence=(photo,), decisions=(
                       ("approved", "0911100002", "PGD-NL", ""),
                       ("approved", "0911100001", "SGD-NA", ""),
                   ))  # fmt: skip
    await nominate(db, "0913100001", "Tổ chuyên môn Toán", kind="collective", field="hoc_tap",
                   waiting_at="SGD-NA",
                   decisions=(("approved", "0911100002", "PGD-NL", ""),))  # fmt: skip
    await nominate(
        db,
        "0912100001",
        "Lê Văn An",
        campaign_id=campaign_id,
        status="returned",
        decisions=(("returned", "0911100002", "PGD-NL", "Thiếu minh chứng"),),
    )
    await nominate(db, "0912100001", "Hoàng Thị Ánh", status="withdrawn")
    yen, _ = await person_id(db, "0912100002")
    await db.write(
        "INSERT INTO acknowledgements (campaign_id, person_id, acknowledged_at) VALUES (?, ?, ?)",
        (campaign_id, yen, (START + timedelta(hours=1)).isoformat()),
    )
    return {"campaign": campaign_id, "photo": photo, "minutes": minutes}


async def ready(bot: RunningBot, telegram: FakeTelegram) -> dict[str, int]:
    bot.clock.set(datetime(2026, 12, 28, 9, 30, tzinfo=VN))
    for uid in REGISTERED.values():
        telegram.user(uid)
    ids = await fill(bot.db)
    assert bot.app is not None and bot.app.bot_data.sender is not None
    bot.app.bot_data.sender.wake()
    for uid in REGISTERED.values():
        await telegram.user(uid).expect("PHÁT ĐỘNG PHONG TRÀO")
    return ids


async def received_file(telegram: FakeTelegram, user: FakeUser) -> tuple[SentMessage, bytes]:
    """The progress message, then the document; the progress message ends saying done."""
    progress = await user.expect("Đang xuất")
    document = await user.expect(timeout=20)
    assert document.document is not None, document.text
    assert progress.contains("Đã xuất xong")
    return document, telegram.file_bytes(document.document["file_id"])


def values(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def by_header(sheet: Any) -> list[dict[str, Any]]:
    header, *rows = values(sheet)
    return [dict(zip(header, row, strict=True)) for row in rows]


# --- end to end -------------------------------------------------------------------------------


async def test_office_receives_the_workbook(bot: RunningBot, telegram: FakeTelegram) -> None:
    ids = await ready(bot, telegram)
    office = telegram.user(OFFICE)
    await office.send("/xuat")
    menu = await office.expect("Xuất kết quả")
    assert menu.buttons() == [[WORKBOOK_BUTTON], [f"📄 Sơ kết · {shorten(TITLE, 35)}"]]
    await office.press(WORKBOOK_BUTTON, menu)
    document, content = await received_file(telegram, office)
    name = document.document["file_name"] if document.document else ""
    assert name == "ket_qua_vi-nguoi-ngheo-khong-de-ai-bi-bo-lai-phia-sau_2026-12-28.xlsx"
    assert name.isascii()
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}" + (
            f"{sheet.max_row}"
        )
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"

    # The overview agrees with /tiendo, round by round.
    await office.send("/tiendo")
    await office.expect("Phát động")
    midterm, survey = await office.expect("Sơ kết"), await office.expect("Khảo sát")
    assert "Đã nộp 2 / 3 đơn vị · nộp muộn 1" in midterm.shown
    assert "Đã nộp 2 / 14 · nộp muộn 1" in survey.shown
    overview = by_header(book["Tổng quan"])
    assert list(overview[0]) == [
        "Phong trào", "Đợt báo cáo", "Loại", "Hạn nộp", "Đơn vị", "Phải nộp", "Đã nộp",
        "Đúng hạn", "Nộp muộn", "Chưa nộp", "Vắng có lý do", "Tình trạng",
    ]  # fmt: skip
    totals = [row for row in overview if row["Đơn vị"] == "Tổng cộng"]
    assert [(r["Đợt báo cáo"], r["Phải nộp"], r["Đã nộp"], r["Đúng hạn"], r["Nộp muộn"],
             r["Chưa nộp"], r["Vắng có lý do"]) for r in totals] == [
        ("Sơ kết", 3, 2, 1, 1, 1, 0), ("Khảo sát", 14, 2, 1, 1, 12, 0),
    ]  # fmt: skip
    assert totals[0]["Hạn nộp"] == datetime(2026, 12, 20, 17, 0)  # the bot's local time
    midterm_units = [row for row in overview if row["Đợt báo cáo"] == "Sơ kết"][1:]
    assert [row["Đơn vị"] for row in midterm_units] == [NT, NP, NH, NTU]  # offices owe none
    assert [row["Tình trạng"] for row in midterm_units] == [
        "Đã nộp (muộn)", "Đã nộp", "Hiệu trưởng chưa đăng ký",
        "Chưa có hiệu trưởng trong danh sách",
    ]  # fmt: skip
    survey_np = next(r for r in overview if r["Đợt báo cáo"] == "Khảo sát" and r["Đơn vị"] == NP)
    assert (survey_np["Phải nộp"], survey_np["Đã nộp"], survey_np["Chưa nộp"]) == (4, 2, 2)

    # One row per report, every value typed as Excel types it.
    sheet = book["2. Khảo sát"]
    header = values(sheet)[0]
    assert header[:6] == [
        "Đơn vị", "Người nộp", "Nộp lúc", "Nộp muộn", "Bị trả lại để bổ sung", "Lý do trả lại",
    ]  # fmt: skip
    assert header[6:] == [
        "Việc đã làm", "Số học sinh được giúp đỡ", "Kinh phí đã vận động (triệu đồng)",
        "Tỷ lệ lớp tham gia", "Có trao học bổng không?", "Mức độ hoàn thành", "Ngày tổ chức",
        "Minh chứng",
    ]  # fmt: skip
    rows = by_header(sheet)
    # Nghi Phong's three, by given name: Ánh, Minh, Yến.
    assert [(r["Đơn vị"], r["Người nộp"]) for r in rows] == [
        (NP, "Hoàng Thị Ánh"), (NP, "Nguyễn Văn Minh"), (NP, "Trần Thị Yến"),
    ]  # fmt: skip
    anh, minh, yen = rows
    assert (anh["Bị trả lại để bổ sung"], anh["Lý do trả lại"]) == ("Có", "Bổ sung ảnh minh chứng")
    assert (minh["Nộp muộn"], yen["Nộp muộn"]) == ("Có", "Không")
    assert yen["Nộp lúc"] == datetime(2026, 10, 4, 9, 0)
    assert yen["Việc đã làm"] == "=1+1 <b>không</b> phải công thức"
    assert yen["Số học sinh được giúp đỡ"] == 1240
    assert yen["Kinh phí đã vận động (triệu đồng)"] == 12.5
    assert yen["Tỷ lệ lớp tham gia"] == pytest.approx(0.855)
    assert minh["Tỷ lệ lớp tham gia"] == 1
    assert (yen["Có trao học bổng không?"], minh["Có trao học bổng không?"]) == ("Có", "Không")
    assert yen["Mức độ hoàn thành"] == "Đạt chỉ tiêu"
    assert yen["Ngày tổ chức"] == datetime(2026, 11, 20) and minh["Ngày tổ chức"] is None
    assert yen["Minh chứng"] == "anh_trao_qua.jpg\nbien_ban.pdf"
    cells = {cell.value: cell for cell in sheet[4]}  # Yến's row
    assert cells["=1+1 <b>không</b> phải công thức"].data_type == "s"  # text, not a formula
    assert cells[1240].data_type == "n" and cells[1240].number_format == "#,##0"
    assert cells[12.5].number_format == "#,##0.0##"
    assert sheet.cell(4, 10).number_format == "0.0#%" and sheet.cell(3, 10).number_format == "0%"
    assert sheet.cell(4, 13).number_format == "DD/MM/YYYY" and sheet.cell(4, 13).is_date
    assert sheet.cell(4, 3).number_format == "DD/MM/YYYY HH:MM"
    assert sheet.column_dimensions["A"].width >= len(NP)  # fitted to the longest value
    # Two file names on two lines: the cell wraps and the row is two lines high.
    assert sheet.cell(4, 14).alignment.wrap_text and sheet.row_dimensions[4].height == 30
    assert sheet.row_dimensions[3].height is None  # Minh's row: one line

    midterm_rows = by_header(book["1. Sơ kết"])
    assert [(r["Đơn vị"], r["Người nộp"], r["Số người tham gia (cán bộ, giáo viên, nhân viên,"
             " học sinh)"]) for r in midterm_rows] == [
        (NT, "Võ Thị Hoa", 80), (NP, "Nguyễn Văn Minh", 120),
    ]  # fmt: skip

    # Delivery: everyone in the audience, by unit in tree order, then by given name.
    delivery = by_header(book["Gửi kế hoạch"])
    assert len(delivery) == 14
    assert [r["Đơn vị"] for r in delivery][:4] == [SO, NL, NT, NT]
    people = {r["Họ và tên"]: r for r in delivery}
    assert people["Trần Thị Yến"]["Tình trạng gửi"] == "Đã gửi"
    assert people["Trần Thị Yến"]["Đã bấm «Đã nhận»"] == "Có"
    assert people["Trần Thị Yến"]["Nhận lúc"] == datetime(2026, 10, 1, 10, 0)
    assert people["Lê Văn An"]["Tình trạng gửi"] == "Chưa đăng ký"
    assert people["Lê Văn An"]["Đã bấm «Đã nhận»"] == "Không"
    assert [r["Họ và tên"] for r in delivery if r["Đơn vị"] == NP] == [
        "Lê Văn An", "Hoàng Thị Ánh", "Nguyễn Văn Minh", "Trần Thị Yến",
    ]  # fmt: skip
    assert ids["campaign"] > 0

    # Nominations: by quarter, units in tree order, people by given name; withdrawn left out.
    nominations = by_header(book["Điển hình tiên tiến"])
    assert [(r["Quý"], r["Đơn vị"], r["Người, tập thể được đề nghị"]) for r in nominations] == [
        ("IV/2026", NT, "Tổ chuyên môn Toán"), ("IV/2026", NP, "Lê Văn An"),
        ("IV/2026", NP, "Trần Thị Yến"),
    ]  # fmt: skip
    group, an, chosen = nominations
    assert (group["Cá nhân / tập thể"], group["Lĩnh vực"], group["Phong trào"]) == (
        "Tập thể", "Học tập", None,
    )  # fmt: skip
    assert group["Tình trạng"] == f"Chờ duyệt tại {SO}"
    assert (group["Quyết định gần nhất"], group["Người quyết định"]) == (
        "Duyệt", f"Phạm Thị Hà ({NL})",
    )  # fmt: skip
    assert (an["Tình trạng"], an["Quyết định gần nhất"], an["Lý do"]) == (
        "Yêu cầu bổ sung", "Yêu cầu bổ sung", "Thiếu minh chứng",
    )  # fmt: skip
    assert (chosen["Tình trạng"], chosen["Người quyết định"]) == (
        "Đã công nhận", f"Lê Văn Sở ({SO})",
    )  # fmt: skip
    assert chosen["Lĩnh vực"] == "Giảng dạy" and chosen["Phong trào"] == TITLE
    assert chosen["Minh chứng"] == "anh_trao_qua.jpg"
    assert chosen["Người đề nghị"] == "Nguyễn Văn Minh"
    assert chosen["Ngày quyết định"] == datetime(2026, 11, 2, 9, 0)


CL_NAME = "Phòng GD&ĐT Cửa Lò"


async def test_principal_gets_only_their_unit(bot: RunningBot, telegram: FakeTelegram) -> None:
    await ready(bot, telegram)
    principal = telegram.user(PRINCIPAL_NP)
    await principal.send("/xuat")  # one campaign and nothing else to choose: at once
    _, content = await received_file(telegram, principal)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == SHEETS
    overview = by_header(book["Tổng quan"])
    assert {row["Đơn vị"] for row in overview} == {"Tổng cộng", NP}
    assert [(r["Phải nộp"], r["Đã nộp"]) for r in overview if r["Đơn vị"] == "Tổng cộng"] == [
        (1, 1), (4, 2),
    ]  # fmt: skip
    for name in ("1. Sơ kết", "2. Khảo sát", "Điển hình tiên tiến", "Gửi kế hoạch"):
        assert {row["Đơn vị"] for row in by_header(book[name])} == {NP}
    assert len(by_header(book["2. Khảo sát"])) == 3
    assert "Võ Thị Hoa" not in str(values(book["1. Sơ kết"]))


async def test_teacher_is_refused(bot: RunningBot, telegram: FakeTelegram) -> None:
    ids = await ready(bot, telegram)
    teacher = telegram.user(TEACHER_YEN)
    await teacher.send("/xuat")
    refusal = await teacher.expect("/xuat chỉ dành cho văn phòng, hiệu trưởng")
    assert not refusal.is_media
    for data in (f"xx:{ids['campaign']}", "xd:1"):
        await teacher.press_data(data)
        await telegram.wait_until(lambda: bool(teacher.answers))
        alert = teacher.answers.pop()
        assert alert["show_alert"] is True and "không có quyền" in alert["text"]
    await teacher.expect_nothing(0.3)
    # Nor does a principal get the compiled draft, nor an office outside the campaign.
    principal = telegram.user(PRINCIPAL_NP)
    await principal.press_data("xd:1")
    await telegram.wait_until(lambda: bool(principal.answers))
    assert principal.answers.pop()["show_alert"] is True
    await principal.expect_nothing(0.3)


async def test_a_district_office_exports_its_district(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await ready(bot, telegram)
    district = telegram.user(7002)  # Nghi Lộc's office
    await district.send("/xuat")
    await district.press(WORKBOOK_BUTTON, await district.expect("Xuất kết quả"))
    _, content = await received_file(telegram, district)
    book = load_workbook(io.BytesIO(content))
    units = {row["Đơn vị"] for row in by_header(book["Tổng quan"])} - {"Tổng cộng"}
    assert units == {NL, NT, NP}
    assert {row["Đơn vị"] for row in by_header(book["Gửi kế hoạch"])} == {NL, NT, NP}


async def test_nothing_to_export(bot: RunningBot, telegram: FakeTelegram) -> None:
    await apply_import(bot.db, read_roster(csv_file(ROWS)), NOW)
    await register_by_phone(bot.db, "0911100001", OFFICE, NOW)
    office = telegram.user(OFFICE)
    await office.send("/xuat")
    await office.expect("Chưa có phong trào nào trong phạm vi của bạn")


# --- the builder ------------------------------------------------------------------------------


def test_sheet_names_are_what_excel_accepts() -> None:
    assert sheet_name("Đợt 1: [Sơ kết] 2026/2027?") == "Đợt 1 Sơ kết 2026 2027"
    long = "Báo cáo sơ kết học kỳ I năm học 2026 - 2027 của các trường"
    assert len(sheet_name(long)) == MAX_SHEET_NAME
    taken = [sheet_name(long)]
    second = sheet_name(long, taken)
    assert second.endswith(" (2)") and len(second) <= MAX_SHEET_NAME
    assert sheet_name("SƠ KẾT", ["Sơ kết"]) == "SƠ KẾT (2)"  # Excel ignores case
    assert sheet_name("'History'") == "History 1"
    assert sheet_name("*?:") == "Trang"


def test_rounds_with_the_same_name_get_their_own_sheets() -> None:
    columns = (Column("so", "Số", "number", integer=True),)
    units = (UnitStatus("Trường A", 1, 1, 0, 0, 0),)
    rows = [AnswerRow("Trường A", "An", None, False, False, "", {"so": 1})]
    same = RoundExport("PT", "Báo cáo tháng của tất cả các trường trong huyện", "unit",
                       MIDTERM, False, columns, units, rows)  # fmt: skip
    data = ExportData(START, VN, (same, same), [])
    book = load_workbook(io.BytesIO(build_workbook(data)))
    assert len(set(book.sheetnames)) == 5
    assert all(len(name) <= MAX_SHEET_NAME for name in book.sheetnames)


def test_progress_is_reported_while_rows_are_written() -> None:
    columns = (Column("so", "Số", "number"),)
    rows = [AnswerRow("Trường A", f"Người {i}", START, False, False, "", {"so": i})
            for i in range(3000)]  # fmt: skip
    item = RoundExport("PT", "Tháng", "person", MIDTERM, False, columns, (), rows)
    seen: list[tuple[int, int]] = []
    content = build_workbook(ExportData(START, VN, (item,), []), lambda d, t: seen.append((d, t)))
    done = [d for d, _ in seen]
    assert done == sorted(done) and len(done) > 5
    assert seen[-1][0] == seen[-1][1]
    sheet = load_workbook(io.BytesIO(content))["1. Tháng"]
    assert sheet.max_row == 3001 and sheet.cell(3001, 7).value == 2999


def test_file_names_are_ascii() -> None:
    moment = datetime(2026, 12, 28, 9, 0)
    assert file_name("ket_qua", "Đội Sao Đỏ: «Tết» 2026/2027!", moment, "xlsx") == (
        "ket_qua_doi-sao-do-tet-2026-2027_2026-12-28.xlsx"
    )
    assert file_name("ket_qua", "漢字", moment, "xlsx") == "ket_qua_phong-trao_2026-12-28.xlsx"


# --- the command line -------------------------------------------------------------------------


def test_command_line_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "db.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(database))

    async def prepare() -> int:
        db = await Database.open(database)
        try:
            return (await fill(db))["campaign"]
        finally:
            await db.close()

    campaign_id = asyncio.run(prepare())
    out = tmp_path / "ket_qua.xlsx"
    assert main(["export", str(out), "--campaign", str(campaign_id)]) == 0
    assert "Đã xuất 1 phong trào, 5 báo cáo vào" in capsys.readouterr().out
    book = load_workbook(out)
    assert book.sheetnames == SHEETS
    assert len(by_header(book["2. Khảo sát"])) == 3  # every unit: the command line has no scope
    assert main(["export", str(tmp_path / "all.xlsx")]) == 0
    assert main(["export", str(out), "--campaign", "999"]) == 1
    assert "Không có phong trào số 999" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "no" / "such" / "dir.xlsx")]) == 1
    assert "Không ghi được tệp" in capsys.readouterr().err


async def test_progress_is_one_message_edited_in_place(
    bot: RunningBot, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few thousand answers take long enough to see the figure move (shown every 10 ms
    here instead of every second)."""
    monkeypatch.setattr(exports, "REFRESH_SECONDS", 0.01)
    school = ("TH-DD", "Trường Tiểu học Đông Đúc", "SGD")
    rows = [("SGD", "Sở GD&ĐT", "", "Lê Văn Sở", "văn phòng", "0911100001")]
    rows += [(*school, f"Giáo Viên {i:04d}", "giáo viên", f"0916{i:06d}") for i in range(3000)]
    await apply_import(bot.db, read_roster(csv_file(rows)), NOW)
    await register_by_phone(bot.db, "0911100001", OFFICE, NOW)
    await launch(bot.db, "SGD")
    round_id = await bot.db.fetchval("SELECT id FROM rounds WHERE name = 'Khảo sát'")
    people = await bot.db.fetchall("SELECT id, unit_id FROM people WHERE role = 'teacher'")
    data = json.dumps({"ghi_chu": "Đã làm", "so_hs": 3, "ty_le": 50, "hoc_bong": True})
    await bot.db.write_many(
        "INSERT INTO submissions (round_id, subject, unit_id, person_id, author_id, status,"
        " answers, version, submitted_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'submitted', ?, 1, ?, ?)",
        [(round_id, f"person:{p}", u, p, p, data, START.isoformat(), START.isoformat())
         for p, u in people],
    )  # fmt: skip
    office = telegram.user(OFFICE)
    assert bot.app is not None and bot.app.bot_data.sender is not None
    bot.app.bot_data.sender.wake()
    await office.expect("PHÁT ĐỘNG PHONG TRÀO")
    await office.send("/xuat")
    await office.press(WORKBOOK_BUTTON, await office.expect("Xuất kết quả"))
    progress = await office.expect("Đang xuất")
    document = await office.expect(timeout=60)
    assert document.document is not None
    versions = [*progress.edits, progress.text or ""]
    figures = [int(m.group(1)) for v in versions if (m := re.search(r"(\d+) %", v))]
    assert figures[0] == 0 and any(0 < figure < 100 for figure in figures), versions
    assert figures == sorted(figures)
    assert "Đã xuất xong" in versions[-1]
    sheet = load_workbook(io.BytesIO(telegram.file_bytes(document.document["file_id"])))
    assert sheet["2. Khảo sát"].max_row == 3001
