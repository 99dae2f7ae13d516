import os

import pytest

from formats.roster_file import read_roster
from messages import render_text
from storage.roster_table import RosterFileError
from tests.helpers import BASIC_ROWS, HEADER, csv_file, xlsx_file


def issues_of(data: bytes, filename: str = "roster.csv") -> list[str]:
    with pytest.raises(RosterFileError) as caught:
        read_roster(data, filename)
    return [render_text("roster_issue", issue=issue) for issue in caught.value.issues]


def test_reads_a_csv_with_vietnamese_headers() -> None:
    table = read_roster(csv_file(BASIC_ROWS))
    assert set(table.units) == {"SGD", "PGD-DX", "THCS-TP", "TH-TX"}
    assert table.units["THCS-TP"].parent_code == "PGD-DX"
    assert table.units["SGD"].parent_code is None
    by_name = {p.full_name: p for p in table.people}
    assert by_name["Đỗ Thị Bình"].phone == "0912000003"
    assert by_name["<Lan & Hoa>"].phone == "0323000002"  # retired 0162 prefix
    assert by_name["Nguyễn Thị Lan"].role == "principal"
    assert by_name["Lê Văn Sở"].role == "office"


@pytest.mark.parametrize(
    "header",
    [
        ("unit_code", "unit_name", "parent_unit_code", "full_name", "role", "phone"),
        ("ma_don_vi", "ten_don_vi", "ma_don_vi_cap_tren", "ho_ten", "vai_tro", "so_dien_thoai"),
        ("MÃ ĐƠN VỊ", "Tên  đơn vị", "Mã_đơn_vị cấp trên", "HỌ TÊN", "vai trò", "Số điện thoại"),
    ],
)
def test_header_spelling_does_not_matter(header: tuple[str, ...]) -> None:
    assert len(read_roster(csv_file(BASIC_ROWS, header=header)).people) == len(BASIC_ROWS)


def test_semicolon_tab_bom_and_utf16_are_read() -> None:
    for data in (
        csv_file(BASIC_ROWS, delimiter=";"),
        csv_file(BASIC_ROWS, delimiter="\t"),
        b"\xef\xbb\xbf" + csv_file(BASIC_ROWS),
        csv_file(BASIC_ROWS, delimiter="\t", encoding="utf-16"),  # Excel "Unicode Text"
    ):
        assert len(read_roster(data).people) == len(BASIC_ROWS)


def test_xlsx_with_a_title_row_and_numeric_phones() -> None:
    rows: list[list[object]] = [list(row) for row in BASIC_ROWS]
    rows[2][5] = 912000001  # Excel stored the phone as a number and lost the zero
    table = read_roster(xlsx_file(rows), "danh sach.xlsx")
    assert {p.phone for p in table.people} >= {"0912000001"}
    assert len(table.people) == len(BASIC_ROWS)


def test_unit_only_rows_declare_units() -> None:
    rows = [
        ("PGD", "Phòng GD", "", "", "", ""),
        ("T1", "Trường 1", "PGD", "A B", "gv", "0912000009"),
    ]
    table = read_roster(csv_file(rows))
    assert set(table.units) == {"PGD", "T1"} and len(table.people) == 1


def test_empty_file() -> None:
    assert issues_of(b"") == ["Tệp trống, không có dữ liệu nào."]
    assert issues_of(b"\n\n  \n") == ["Tệp trống, không có dữ liệu nào."]


def test_only_headers() -> None:
    assert issues_of(csv_file([])) == [
        "Dòng 1: tệp chỉ có dòng tiêu đề, chưa có người nào trong danh sách."
    ]


def test_wrong_delimiter() -> None:
    [text] = issues_of(csv_file(BASIC_ROWS, delimiter="|"))
    assert "không tách được các cột" in text


def test_missing_column_names_it() -> None:
    header = HEADER[:5]
    [text] = issues_of(csv_file([row[:5] for row in BASIC_ROWS], header=header))
    assert "không tìm thấy cột «số điện thoại»" in text


def test_windows_1258_is_refused_with_advice() -> None:
    data = csv_file([("T1", "Truong", "", "Nguyen", "gv", "0912000001")]).replace(
        b"Truong",
        "Trươ\u0300ng".encode("cp1258"),  # tones are combining marks there
    )
    [text] = issues_of(data)
    assert "UTF-8" in text and "CSV UTF-8" in text


def test_ten_megabytes_of_garbage() -> None:
    [text] = issues_of(os.urandom(10 * 1024 * 1024))
    assert "UTF-8" in text or "không phải là tệp CSV" in text


def test_garbage_with_xlsx_name_and_corrupt_zip() -> None:
    assert "Không đọc được tệp Excel" in issues_of(b"not a workbook", "x.xlsx")[0]
    assert "Không đọc được tệp Excel" in issues_of(b"PK\x03\x04" + b"\0" * 100, "x.xlsx")[0]


def test_old_xls_is_explained() -> None:
    assert ".xls" in issues_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "a.xls")[0]


def test_row_errors_name_the_row_and_value() -> None:
    rows = list(BASIC_ROWS)
    rows[1] = ("PGD-DX", "Phòng GD&ĐT Đồng Xoài", "SGD", "Phạm Thị Phòng", "văn phòng", "09123")
    rows[3] = (
        "THCS-TP",
        "Trường THCS Tân Phú",
        "PGD-DX",
        "Trần Văn Ân",
        "Giáo viên",
        "09a2000002",
    )
    rows[4] = ("THCS-TP", "Trường THCS Tân Phú", "PGD-DX", "Đỗ Thị Bình", "bảo vệ", "0912000009")
    rows.append(("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Người Trùng", "gv", "0912000001"))
    rows.append(("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "", "gv", "0912000077"))
    texts = issues_of(csv_file(rows))
    assert texts == [
        "Dòng 3: số điện thoại '09123' không hợp lệ (cần số di động Việt Nam, ví dụ 0912345678).",
        "Dòng 5: số điện thoại '09a2000002' không hợp lệ"
        " (cần số di động Việt Nam, ví dụ 0912345678).",
        "Dòng 6: vai trò 'bảo vệ' không hợp lệ (chỉ nhận: văn phòng, hiệu trưởng, giáo viên).",
        "Dòng 9: số điện thoại 0912000001 trùng với dòng 4.",
        "Dòng 10: thiếu họ tên.",
    ]


def test_unit_cycle() -> None:
    rows = [
        ("A", "Đơn vị A", "B", "Người A", "gv", "0912000001"),
        ("B", "Đơn vị B", "A", "Người B", "gv", "0912000002"),
    ]
    assert issues_of(csv_file(rows)) == [
        "Dòng 2: các đơn vị tạo thành vòng lặp cấp trên: A → B → A."
    ]


def test_conflicting_unit_names_and_self_parent() -> None:
    rows = [
        ("A", "Đơn vị A", "", "Người A", "gv", "0912000001"),
        ("A", "Đơn vị Khác", "", "Người B", "gv", "0912000002"),
        ("C", "Đơn vị C", "C", "Người C", "gv", "0912000003"),
    ]
    texts = issues_of(csv_file(rows))
    assert "đơn vị A có tên «Đơn vị Khác», khác với «Đơn vị A» ở dòng 2" in texts[0]
    assert "không thể là cấp trên của chính nó" in texts[1]
