"""The compiled report draft (.docx) of a review round: the layout of an official report, the
figures summed across units, each unit's words quoted under its name in unit-tree order."""

from __future__ import annotations

import io

from docx import Document

from formats.report_docx import ReviewAnswer, ReviewReport, build_review_docx, combine
from formats.workbook import Column
from tests.fake_telegram import FakeTelegram
from tests.harness import RunningBot
from tests.helpers import VN
from tests.test_exports import MIDTERM, TITLE, ready, received_file
from tests.test_progress import NH, NP, NT, NTU

DRAFT_BUTTON_PREFIX = "📄 Sơ kết"


def paragraphs(content: bytes) -> list[tuple[str, str]]:
    """(style, text) of every paragraph, the two header tables' cells first."""
    document = Document(io.BytesIO(content))
    found = []
    for table in document.tables[:1]:
        for cell in table.rows[0].cells:
            found += [("cell", p.text) for p in cell.paragraphs]
    found += [(p.style.name if p.style else "", p.text) for p in document.paragraphs]
    return found


async def test_office_gets_the_compiled_draft(bot: RunningBot, telegram: FakeTelegram) -> None:
    await ready(bot, telegram)
    office = telegram.user(7001)
    await office.send("/xuat")
    menu = await office.expect("Xuất kết quả")
    [draft_button] = [row[0] for row in menu.buttons() if row[0].startswith(DRAFT_BUTTON_PREFIX)]
    await office.press(draft_button, menu)
    document, content = await received_file(telegram, office)
    assert document.document is not None
    name = document.document["file_name"]
    assert name.isascii() and name.endswith(".docx") and name.startswith("du_thao_bao_cao_so-ket")
    assert "tổng hợp từ 2/3 báo cáo đã nộp" in document.shown

    texts = paragraphs(content)
    cells = [text for style, text in texts if style == "cell"]
    assert cells[0] == "SỞ GD&ĐT NGHỆ AN"
    assert "Số:       /BC-SGDĐT" in cells
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells
    assert "Độc lập - Tự do - Hạnh phúc" in cells
    assert "…, ngày … tháng … năm …" in cells
    body = [text for style, text in texts if style != "cell"]
    assert "BÁO CÁO" in body
    assert f"Sơ kết phong trào thi đua “{TITLE}”" in body
    headings = [text for style, text in texts if style.startswith("Heading")]
    assert headings == [
        "I. CÔNG TÁC TRIỂN KHAI", "II. KẾT QUẢ ĐẠT ĐƯỢC", "1. Số liệu tổng hợp",
        "2. Kết quả của các đơn vị", "III. TỒN TẠI, HẠN CHẾ", "IV. BÀI HỌC KINH NGHIỆM",
        "V. ĐỀ XUẤT, KIẾN NGHỊ VÀ PHƯƠNG HƯỚNG THỜI GIAN TỚI",
    ]  # fmt: skip
    joined = "\n".join(body)
    assert "Đến nay, 2/3 đơn vị đã gửi báo cáo đợt «Sơ kết» (1 báo cáo nộp sau hạn)" in joined
    assert f"Các đơn vị chưa gửi đủ báo cáo: {NH}." in joined
    assert NTU not in joined  # no principal: it owes nothing, as /tiendo counts

    # Results quoted under each unit, Nghi Thái before Nghi Phong (the unit tree's order).
    results = body[body.index("2. Kết quả của các đơn vị") : body.index("III. TỒN TẠI, HẠN CHẾ")]
    assert results[1:] == [
        f"- {NT}:", "“Hoàn thành 100% chỉ tiêu.”",
        f"- {NP}:", "“Trao 25 suất học bổng.", "Vận động 45 triệu đồng.”",
    ]  # fmt: skip
    shortcomings = body[body.index("III. TỒN TẠI, HẠN CHẾ") + 1 :][:4]
    assert shortcomings == [
        f"- {NT}:", "“Cơ sở vật chất còn thiếu.”", f"- {NP}:", "“Một số lớp chưa tích cực.”",
    ]  # fmt: skip
    proposals = body[body.index("V. ĐỀ XUẤT, KIẾN NGHỊ VÀ PHƯƠNG HƯỚNG THỜI GIAN TỚI") + 1 :]
    assert proposals[:2] == [f"- {NP}:", "“Đề nghị Sở hỗ trợ kinh phí.”"]

    # Figures: participants summed; the rate weighted by each school's staff on the roster
    # (Nghi Phong 4 at 90 %, Nghi Thái 2 at 60 %: 80 %, not the mean of means 75 %).
    figures = Document(io.BytesIO(content)).tables[1]
    rows = [[cell.text for cell in row.cells] for row in figures.rows]
    assert rows[0] == ["TT", "Nội dung", "Tổng hợp", "Cách tính"]
    assert rows[1][2:] == ["200", "Tổng của 2 đơn vị"]
    assert rows[2][2] == "80%"
    assert "theo số cán bộ, giáo viên của từng đơn vị (6 người)" in rows[2][3]
    assert rows[3][2] == "2 tệp"
    per_unit = Document(io.BytesIO(content)).tables[2]
    assert [[c.text for c in row.cells][1:] for row in per_unit.rows][1:] == [
        [NT, "80", "60%"], [NP, "120", "90%"], ["Tổng cộng", "200", "80%"],
    ]  # fmt: skip


async def test_no_draft_for_other_forms(bot: RunningBot, telegram: FakeTelegram) -> None:
    await ready(bot, telegram)
    survey = await bot.db.fetchval("SELECT id FROM rounds WHERE name = 'Khảo sát'")
    office = telegram.user(7001)
    await office.press_data(f"xd:{survey}")
    await office.expect("không dùng mẫu báo cáo sơ kết / tổng kết")


def test_figures_are_combined_as_they_should_be() -> None:
    answers = [
        ReviewAnswer("A", "An", False, {"n": 10, "p": 50.0, "y": True, "c": "Đạt"}, 30),
        ReviewAnswer("B", "Bình", False, {"n": 2.5, "p": 100, "y": False, "c": "Đạt"}, 10),
        ReviewAnswer("C", "Cúc", False, {"c": "Vượt"}, 5),  # skipped the optional ones
    ]
    number = combine(Column("n", "Số", "number"), answers, "unit")
    assert number is not None and (number.value, number.how) == ("12,5", "Tổng của 2 đơn vị")
    rate = combine(Column("p", "Tỷ lệ", "percent"), answers, "unit")
    assert rate is not None and rate.value == "62,5%"  # (50×30 + 100×10) / 40
    per_person = combine(Column("p", "Tỷ lệ", "percent"), answers, "person")
    assert per_person is not None and per_person.value == "75%"  # each person weighs 1
    yes = combine(Column("y", "Có?", "yesno"), answers, "unit")
    assert yes is not None and yes.value == "1/2 đơn vị trả lời «Có»"
    choice = combine(Column("c", "Mức", "choice"), answers, "unit")
    assert choice is not None and choice.value == "Đạt: 2; Vượt: 1"
    assert combine(Column("t", "Ý kiến", "text"), answers, "unit") is None


def test_a_final_round_is_titled_tong_ket() -> None:
    report = ReviewReport(
        "", "", "Dạy tốt", None, None, "", (), "Tổng kết năm học", "unit", MIDTERM, (), (), 0, 0,
        0, (), VN,
    )  # fmt: skip
    texts = [text for _, text in paragraphs(build_review_docx(report))]
    assert "Tổng kết phong trào thi đua “Dạy tốt”" in texts
    assert "Số:       /BC-…" in texts  # no plan number: the symbol is left for the office
    assert "(Tổng kết năm học)" in texts
