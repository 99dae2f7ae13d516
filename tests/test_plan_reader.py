"""The plan reader on every test plan, as .txt, .docx and .pdf, and on files it must refuse."""

from __future__ import annotations

import functools
import io
import zipfile
import zlib
from dataclasses import fields
from datetime import date, time
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfWriter

from formats import plan_text as plan_text_module
from formats.plan_reader import (
    AwardKind,
    Note,
    PartialDate,
    PlanReading,
    Qualifier,
    ReadErrorReason,
    RoundKind,
    WarningCode,
    quantities,
    read_plan,
    read_plan_text,
)
from formats.plan_text import PlanFormat, PlanReadError, PlanText, plan_text
from tests.plan_documents import PLANS, docx_bytes, plan_bytes
from tests.plan_expectations import EXPECTED, READ_ON, SEEDS, facts

FORMATS = ("txt", "docx", "pdf")


plan_file = functools.cache(plan_bytes)  # each file made once for all the tests


def read(name: str, kind: str = "txt", today: date | None = None) -> PlanReading:
    return read_plan(plan_file(name, kind), f"{name}.{kind}", today or READ_ON[name])


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_field_of_every_plan(name: str, kind: str) -> None:
    reading = read(name, kind)
    assert reading.format == PlanFormat(kind)
    found = facts(reading)
    assert found - EXPECTED[name] == set(), "read what the plan does not say"
    assert EXPECTED[name] - found == set(), "missed what the plan says"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_the_three_formats_read_the_same(name: str) -> None:
    """Same values and the same source sentences, whatever the office saved the plan as."""
    readings = [read(name, kind) for kind in FORMATS]
    for reading in readings[1:]:
        for field in fields(PlanReading):
            if field.name not in ("format", "pages"):
                assert getattr(reading, field.name) == getattr(readings[0], field.name)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_source_is_a_sentence_of_the_plan(name: str) -> None:
    reading = read(name)
    text = " ".join(plan_text(plan_file(name, "txt"), f"{name}.txt").paragraphs)
    values = [getattr(reading, field.name) for field in fields(PlanReading)]
    found = [
        item
        for value in values
        for item in (value if isinstance(value, tuple) else (value,))
        if hasattr(item, "sources")
    ]
    assert found
    for item in found:
        assert item.sources, item
        for source in item.sources:
            assert source in text, source


def test_absent_fields_come_back_empty() -> None:
    no_header = read("seed_003_quan_1_nong_thon_moi")
    assert no_header.number is None
    assert no_header.date is None
    assert no_header.targets == ()  # tiêu chí (criteria) are no chỉ tiêu
    assert no_header.quotas == ()
    assert no_header.dossier == ()
    assert no_header.quarterly_nominations is None
    plain = read("seed_002_binh_phuoc_nong_thon_moi")
    assert plain.period is None  # "giai đoạn 2021-2025" belongs to the province's plan
    assert plain.targets == ()
    assert plain.award_forms == ()
    assert all(r.deadline is None and r.timing is None for r in plain.rounds)
    unnamed = read("seed_004_thuan_an_dien_hinh_tien_tien")
    assert unnamed.campaign_name is None
    assert unnamed.award_forms == ()
    assert read("seed_000_binh_phuoc_vi_nguoi_ngheo").quotas == ()


def test_a_blank_number_is_no_number_but_keeps_its_symbol() -> None:
    number = read("seed_000_binh_phuoc_vi_nguoi_ngheo").number
    assert number is not None
    assert (number.number, number.symbol, number.text) == (None, "KH-SGDĐT", "/KH-SGDĐT")
    assert number.notes == (Note.NUMBER_BLANK,)
    assert number.sources == ("Số: /KH-SGDĐT",)
    full = read("header_dong_xoai_2024_2025").number
    assert full is not None
    assert (full.number, full.symbol, full.notes) == ("152", "KH-PGDĐT", ())


def test_a_date_with_blanks_gives_what_it_has() -> None:
    month_only = read("seed_000_binh_phuoc_vi_nguoi_ngheo").date
    assert month_only is not None
    assert month_only.date == PartialDate(2022, 10)
    assert month_only.date.as_date() is None
    assert month_only.notes == (Note.DAY_BLANK,)
    year_only = read("seed_001_binh_phuoc_2023_2024").date
    assert year_only is not None
    assert year_only.notes == (Note.DAY_BLANK, Note.MONTH_BLANK)
    full = read("header_dong_xoai_2024_2025").date
    assert full is not None
    assert full.date.as_date() == date(2024, 9, 5)


def test_the_issuing_unit_says_where_its_place_name_came_from() -> None:
    header = read("header_dong_xoai_2024_2025").issuing_unit
    assert header is not None
    assert header.sources == ("UBND THÀNH PHỐ ĐỒNG XOÀI", "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO")
    assert header.notes == ()
    from_date_line = read("seed_000_binh_phuoc_vi_nguoi_ngheo").issuing_unit
    assert from_date_line is not None
    assert from_date_line.notes == (Note.LOCALITY_FROM_DATE_LINE,)
    assert "Sở Giáo dục và Đào tạo xây dựng kế hoạch" in from_date_line.sources[0]
    assert from_date_line.sources[1] == "Bình Phước, ngày tháng 10 năm 2022"
    from_text = read("seed_003_quan_1_nong_thon_moi").issuing_unit
    assert from_text is not None
    assert from_text.notes == (Note.LOCALITY_FROM_TEXT,)
    assert from_text.sources[1].startswith("Phòng Giáo dục và Đào tạo Quận 1 đề nghị")


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (["UBND TỈNH BÌNH PHƯỚC", "SỞ GIÁO DỤC VÀ ĐÀO TẠO"], "Sở Giáo dục và Đào tạo Bình Phước"),
        (
            ["ỦY BAN NHÂN DÂN", "THÀNH PHỐ HỒ CHÍ MINH", "SỞ GIÁO DỤC VÀ ĐÀO TẠO"],
            "Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh",
        ),
        (["UBND QUẬN 1", "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO"], "Phòng Giáo dục và Đào tạo Quận 1"),
        (["UBND HUYỆN BÙ ĐĂNG", "PHÒNG GD&ĐT"], "Phòng Giáo dục và Đào tạo huyện Bù Đăng"),
        (["SỞ GIÁO DỤC VÀ ĐÀO TẠO BÌNH DƯƠNG"], "Sở Giáo dục và Đào tạo Bình Dương"),
        (["PHÒNG GD&ĐT TP THUẬN AN", "TRƯỜNG THCS NGUYỄN DU"], "Trường THCS Nguyễn Du"),
    ],
)
def test_the_issuing_unit_from_the_header(header: list[str], name: str) -> None:
    lines = (*header, "Số: 12/KH-XYZ", "KẾ HOẠCH", "Thi đua dạy tốt", "Căn cứ Luật Thi đua.")
    reading = read_plan_text(PlanText(PlanFormat.TXT, lines), date(2024, 1, 1))
    assert reading.issuing_unit is not None
    assert reading.issuing_unit.name == name


def test_rounds_carry_their_deadlines_and_sentences() -> None:
    rounds = {r.kind: r for r in read("seed_001_binh_phuoc_2023_2024").rounds}
    mid_term, final = rounds[RoundKind.MID_TERM], rounds[RoundKind.FINAL]
    assert (mid_term.deadline, mid_term.deadline_text) == (date(2024, 1, 25), "25/1/2024")
    assert (final.deadline, final.deadline_text) == (date(2024, 7, 15), "15/7/2024")
    assert final.with_dossier and not mid_term.with_dossier
    assert mid_term.sources[0].startswith("- Các đơn vị gửi báo cáo sơ kết trước ngày 25/1/2024")
    assert mid_term.sources[1] == (
        "- Thời gian sơ kết trong tháng 02/2024, thời gian tổng kết trong tháng 7/2024."
    )
    header = {r.kind: r for r in read("header_dong_xoai_2024_2025").rounds}
    assert header[RoundKind.MID_TERM].deadline_time == time(17, 0)
    assert header[RoundKind.HALF_YEARLY].sources[0].startswith("1. Định kỳ 6 tháng")


def test_quarterly_nominations_and_their_quota() -> None:
    nominations = read("seed_004_thuan_an_dien_hinh_tien_tien").quarterly_nominations
    assert nominations is not None
    assert nominations.sources[0].startswith("Hàng quý, tổ chức xét chọn các gương điển hình")
    quota = read("header_dong_xoai_2024_2025").quotas[0]
    assert (quota.count, quota.per, quota.per_quarter) == (2, "trường", True)
    yearly = read("seed_001_binh_phuoc_2023_2024").quotas[0]
    assert (yearly.count, yearly.per_quarter, yearly.award) == (1, False, AwardKind.GIAY_KHEN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Phần đầu đến năm 2025 trên 50% cơ sở giáo dục", [("50", True, Qualifier.OVER)]),
        ("Trên 85,5% học sinh", [("85.5", True, Qualifier.OVER)]),
        (
            "hỗ trợ ít nhất 01 huyện hoặc 01 xã",
            [("1", False, Qualifier.AT_LEAST), ("1", False, None)],
        ),
        ("trao 1.240 suất học bổng", [("1240", False, None)]),
        ("Quyết định số 1526/QĐ-TTg ngày 09/12/2022, giai đoạn 2021-2025, năm 2023", []),
        ("kỳ họp thứ 8 ngày 09/12/2022 của HĐND tỉnh khóa X", []),
    ],
)
def test_numbers_in_targets(text: str, expected: list[tuple[str, bool, Qualifier | None]]) -> None:
    found = [(q.value, q.percent, q.qualifier) for q in quantities(text)]
    assert found == [(Decimal(v), p, q) for v, p, q in expected]


# --- warnings -----------------------------------------------------------------------------


def test_seeds_read_while_current_have_no_warnings() -> None:
    for name in SEEDS:
        assert read(name).warnings == ()


def test_a_deadline_already_past_is_pointed_out() -> None:
    reading = read("seed_001_binh_phuoc_2023_2024", today=date(2024, 3, 1))
    past = [(w.code, w.round_kind, w.when) for w in reading.warnings]
    assert past == [(WarningCode.DEADLINE_PAST, RoundKind.MID_TERM, PartialDate(2024, 1, 25))]


def test_a_year_outside_the_period_is_pointed_out() -> None:
    """The final report "trước ngày 20/5/2024" in a plan for the school year 2024-2025."""
    reading = read("header_dong_xoai_2024_2025", today=date(2024, 9, 6))
    codes = [(w.code, w.subject, w.round_kind, w.when) for w in reading.warnings]
    assert codes == [
        (WarningCode.YEAR_OUTSIDE_PERIOD, "round", RoundKind.FINAL, PartialDate(2024, 5, 20)),
        (WarningCode.DEADLINE_PAST, "round", RoundKind.FINAL, PartialDate(2024, 5, 20)),
    ]
    assert "trước ngày 20/5/2024" in reading.warnings[0].sources[0]


# --- files that cannot be read ------------------------------------------------------------


def image_only_pdf() -> bytes:
    """A scanned page: one grey image, no text layer."""
    pixels = zlib.compress(bytes([200]) * 40 * 20)
    content = b"q 500 0 0 700 50 70 cm /Im0 Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width 40 /Height 20 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % len(pixels)
        + pixels
        + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (
            len(objects) + 1,
            xref,
        )
    )
    return out.getvalue()


def pdf_with_pages(count: int, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


def refusal(data: bytes, file_name: str) -> PlanReadError:
    with pytest.raises(PlanReadError) as caught:
        read_plan(data, file_name, date(2024, 1, 1))
    return caught.value


def test_a_scanned_pdf_is_refused_for_having_no_text() -> None:
    assert refusal(image_only_pdf(), "ke_hoach_scan.pdf").reason is ReadErrorReason.NO_TEXT_LAYER
    assert refusal(pdf_with_pages(2), "trang.pdf").reason is ReadErrorReason.NO_TEXT_LAYER


def test_a_password_protected_pdf_is_refused() -> None:
    error = refusal(pdf_with_pages(1, password="matkhau"), "ke_hoach.pdf")
    assert error.reason is ReadErrorReason.ENCRYPTED


@pytest.mark.parametrize(
    ("data", "file_name", "detail"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "ke_hoach.doc", "doc"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "anh_chup_ke_hoach.png", "image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "IMG_2024.jpg", "image"),
        (zipped({"xl/workbook.xml": b"<workbook/>"}), "danh_sach.xlsx", "xlsx"),
        (zipped({"content.xml": b"<office/>"}), "ke_hoach.odt", "odt"),
        (b"{\\rtf1\\ansi Ke hoach}", "ke_hoach.rtf", "rtf"),
        (b"<html>ke hoach</html>", "ke_hoach.html", "html"),
    ],
)
def test_other_file_types_are_refused(data: bytes, file_name: str, detail: str) -> None:
    error = refusal(data, file_name)
    assert (error.reason, error.detail) == (ReadErrorReason.UNSUPPORTED_TYPE, detail)


@pytest.mark.parametrize(
    ("data", "file_name", "reason"),
    [
        (b"", "ke_hoach.txt", ReadErrorReason.EMPTY),
        (b" \r\n\t\n", "ke_hoach.txt", ReadErrorReason.EMPTY),
        ("KẾ HOẠCH".encode(), "ke_hoach.txt", ReadErrorReason.EMPTY),
        (b"K\xea ho\xe1ch n\xe3m h\xf4c thi \xf0ua" * 5, "kh.txt", ReadErrorReason.UNDECODABLE),
        (b"%PDF-1.4 ke hoach thi dua 2023-2024", "KH.pdf", ReadErrorReason.UNDECODABLE),
        (b"PK\x03\x04 not really a zip", "KH.docx", ReadErrorReason.UNDECODABLE),
        (b"plain words, not a PDF at all", "KH.pdf", ReadErrorReason.UNDECODABLE),
        (zipped({"word/document.xml": b"<w:document"}), "KH.docx", ReadErrorReason.UNDECODABLE),
    ],
)
def test_empty_and_broken_files_are_refused(
    data: bytes, file_name: str, reason: ReadErrorReason
) -> None:
    assert refusal(data, file_name).reason is reason


def test_a_file_over_20_mb_is_refused_before_it_is_parsed() -> None:
    error = refusal(b"%PDF-1.7\n" + b"0" * (20 * 1024 * 1024), "ke_hoach.pdf")
    assert (error.reason, error.detail) == (ReadErrorReason.TOO_LARGE, "bytes")
    assert error.limit == 20 * 1024 * 1024


def test_a_zip_bomb_docx_is_refused_by_its_declared_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The declared sizes are checked before anything is inflated (limit lowered for speed)."""
    monkeypatch.setattr(plan_text_module, "MAX_DOCX_UNCOMPRESSED", 1_000_000)
    bomb = zipped({"word/document.xml": b"<w:document/>", "word/media/x.bin": bytes(2_000_000)})
    assert len(bomb) < 10_000
    error = refusal(bomb, "ke_hoach.docx")
    assert (error.reason, error.detail, error.actual) == (
        ReadErrorReason.TOO_LARGE,
        "uncompressed",
        2_000_000 + len(b"<w:document/>"),
    )


def test_a_pdf_with_too_many_pages_is_refused() -> None:
    error = refusal(pdf_with_pages(101), "ke_hoach.pdf")
    assert (error.reason, error.detail, error.actual) == (ReadErrorReason.TOO_LARGE, "pages", 101)


def test_the_content_decides_the_format_not_the_name() -> None:
    pdf = plan_file("seed_002_binh_phuoc_nong_thon_moi", "pdf")
    assert read_plan(pdf, "ke_hoach.docx", date(2022, 3, 20)).format is PlanFormat.PDF
    assert read_plan(pdf, "ke_hoach", date(2022, 3, 20)).pages == 3


def test_a_text_file_saved_as_utf16_reads_the_same() -> None:
    name = "seed_004_thuan_an_dien_hinh_tien_tien"
    text = plan_file(name, "txt").decode("utf-8")
    for encoded in (
        text.encode("utf-16"),
        text.encode("utf-16-le"),
        b"\xef\xbb\xbf" + text.encode(),
    ):
        assert facts(read_plan(encoded, "kh.txt", READ_ON[name])) == EXPECTED[name]


def test_docx_text_in_tables_and_text_boxes_is_read_once() -> None:
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    body = (
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>SỞ GIÁO DỤC VÀ ĐÀO TẠO</w:t></w:r></w:p></w:tc>"
        "<w:tc><w:p><w:r><w:t>Bình Phước, ngày 05 tháng 9 năm 2023</w:t></w:r></w:p></w:tc>"
        "</w:tr></w:tbl>"
        "<w:p><w:r><w:t>KẾ HOẠCH</w:t><w:br/><w:t>Phát động phong trào thi đua</w:t></w:r>"
        "<mc:AlternateContent><mc:Choice><w:txbxContent><w:p><w:r><w:t>Trong hộp chữ</w:t>"
        "</w:r></w:p></w:txbxContent></mc:Choice><mc:Fallback><w:txbxContent><w:p><w:r>"
        "<w:t>Trong hộp chữ</w:t></w:r></w:p></w:txbxContent></mc:Fallback>"
        "</mc:AlternateContent></w:p>"
        '<w:p><w:r><w:t xml:space="preserve">Đã </w:t></w:r><w:del><w:r><w:delText>xóa'
        "</w:delText></w:r></w:del><w:ins><w:r><w:t>thêm</w:t></w:r></w:ins></w:p>"
    )
    document = f"<w:document {w} {mc}><w:body>{body}</w:body></w:document>".encode()
    source = io.BytesIO(docx_bytes("KẾ HOẠCH\nx\n"))
    out = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as patched:
        for item in original.infolist():
            data = document if item.filename == "word/document.xml" else original.read(item)
            patched.writestr(item, data)
    paragraphs = plan_text(out.getvalue(), "kh.docx").paragraphs
    assert paragraphs == (
        "SỞ GIÁO DỤC VÀ ĐÀO TẠO",
        "Bình Phước, ngày 05 tháng 9 năm 2023",
        "KẾ HOẠCH",
        "Phát động phong trào thi đua",
        "Trong hộp chữ",
        "Đã thêm",
    )


def test_test_plans_are_all_here() -> None:
    """The shipped PDFs match their .txt (make_pdfs.py was run after the last change)."""
    for name in EXPECTED:
        assert (PLANS / f"{name}.pdf").stat().st_mtime > 0
        txt = plan_text(plan_file(name, "txt"), "a.txt").paragraphs
        pdf = plan_text(plan_file(name, "pdf"), "a.pdf").paragraphs
        assert {w for p in txt for w in p.split()} == {w for p in pdf for w in p.split()}
    assert Path(PLANS / "make_pdfs.py").exists()


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "unit",
    [
        "sơ kết trước ngày 25/1/2024 tổng kết trong tháng 7/2024 hồ sơ ",
        "mỗi đơn vị lựa chọn 01 cá nhân; trên 50% học sinh 01 xã ",
        "Sở Giáo dục và Đào tạo Bình Phước Phòng GDĐT huyện A Giấy khen của ",
        "TP. Hồ Chí Minh 1. Bằng khen “Tên phong trào “a” Hồ sơ gồm: a, b; ",
    ],
)
def test_a_megabyte_of_hostile_text_is_read_in_linear_time(unit: str) -> None:
    """Every pattern runs once over the text: no search over what precedes each match."""
    repeat = 900_000 // len(unit)
    for text in ("KẾ HOẠCH\nII. CHỈ TIÊU\n" + unit * repeat, "KẾ HOẠCH\n" + f"{unit}\n" * repeat):
        read_plan(text.encode(), "kh.txt", date(2024, 1, 1))
