"""Factories for test data: roster files as offices write them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

NOW = datetime(2026, 9, 5, 8, 0, tzinfo=UTC)
HEADER = ("Mã đơn vị", "Tên đơn vị", "Mã đơn vị cấp trên", "Họ và tên", "Vai trò", "SĐT")

# A Sở, a Phòng, two schools; one office person, two principals, three teachers.
BASIC_ROWS: tuple[tuple[str, ...], ...] = (
    ("SGD", "Sở GD&ĐT Bình Phước", "", "Lê Văn Sở", "Văn phòng", "0911000001"),
    ("PGD-DX", "Phòng GD&ĐT Đồng Xoài", "SGD", "Phạm Thị Phòng", "văn phòng", "0911000002"),
    ("THCS-TP", "Trường THCS Tân Phú", "PGD-DX", "Nguyễn Thị Lan", "Hiệu trưởng", "0912000001"),
    ("THCS-TP", "Trường THCS Tân Phú", "PGD-DX", "Trần Văn Ân", "Giáo viên", "0912000002"),
    ("THCS-TP", "Trường THCS Tân Phú", "PGD-DX", "Đỗ Thị Bình", "giáo viên", "+84 912 000 003"),
    ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Hoàng Văn Minh", "hiệu trưởng", "0913000001"),
    ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "<Lan & Hoa>", "giáo viên", "01623000002"),
)

# A second district beside Đồng Xoài: its Phòng, one school, two people.
OTHER_DISTRICT: tuple[tuple[str, ...], ...] = (
    ("PGD-BD", "Phòng GD&ĐT Bù Đăng", "SGD", "Vũ Văn Đăng", "văn phòng", "0915000001"),
    ("TH-BD", "Trường TH Bù Đăng", "PGD-BD", "Lý Thị Hạnh", "hiệu trưởng", "0915000002"),
    ("TH-BD", "Trường TH Bù Đăng", "PGD-BD", "Mai Văn Tú", "giáo viên", "0915000003"),
)
TWO_DISTRICTS = (*BASIC_ROWS, *OTHER_DISTRICT)

# A teacher survey with one question of each type (tests/test_exports.py, bench/export.py).
SURVEY = """
title: Khảo sát giáo viên
questions:
  - key: ghi_chu
    prompt: Việc đã làm
  - key: so_hs
    prompt: Số học sinh được giúp đỡ
    type: số nguyên
  - key: kinh_phi
    prompt: Kinh phí đã vận động (triệu đồng)
    type: số
  - key: ty_le
    prompt: Tỷ lệ lớp tham gia
    type: phần trăm
  - key: hoc_bong
    prompt: Có trao học bổng không?
    type: có/không
  - key: muc_do
    prompt: Mức độ hoàn thành
    type: lựa chọn
    choices: [Vượt chỉ tiêu, Đạt chỉ tiêu, Chưa đạt]
  - key: ngay
    prompt: Ngày tổ chức
    type: ngày
    required: không
  - key: minh_chung
    prompt: Minh chứng
    type: tệp
    required: không
"""


def csv_file(
    rows: Sequence[Sequence[str]],
    header: Sequence[str] = HEADER,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def xlsx_file(rows: Sequence[Sequence[object]], header: Sequence[str] = HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["DANH SÁCH CÁN BỘ, GIÁO VIÊN"])  # a title row above the header, as offices do
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


VN = ZoneInfo("Asia/Ho_Chi_Minh")
