"""Write rosters and invite lists back out as CSV (UTF-8 with BOM, so Excel shows Vietnamese
correctly) or XLSX, in the same columns the importer reads."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from formats.roster_file import EXPORT_HEADERS
from storage.people import Invite
from storage.roster import RosterExportRow

ROLE_NAMES = {"office": "văn phòng", "principal": "hiệu trưởng", "teacher": "giáo viên"}
INVITE_HEADERS = ("ma_don_vi", "ten_don_vi", "ho_ten", "vai_tro", "so_dien_thoai", "link_moi")
# The blank template shows the shape of a real roster: a Phòng, a school, two people.
TEMPLATE_ROWS = (
    RosterExportRow("PGD-TA", "Phòng GD&ĐT Thuận An", None, "", "", ""),
    RosterExportRow("THCS-CN", "Trường THCS Châu Văn Liêm", "PGD-TA", "Nguyễn Văn An", "principal",
                    "0912345678"),
    RosterExportRow("THCS-CN", "Trường THCS Châu Văn Liêm", "PGD-TA", "Trần Thị Bích", "teacher",
                    "0987654321"),
)  # fmt: skip


def template_rows(unit: tuple[str, str] | None = None) -> tuple[RosterExportRow, ...]:
    """The blank template; for a Phòng office (`unit`: its code and name) the example school
    hangs from that unit, so the template itself is a file the office may import."""
    if unit is None:
        return TEMPLATE_ROWS
    code, name = unit
    return (
        RosterExportRow(code, name, None, "", "", ""),
        *(
            RosterExportRow(row.unit_code, row.unit_name, code, row.full_name, row.role, row.phone)
            for row in TEMPLATE_ROWS[1:]
        ),
    )


def _roster_table(rows: Iterable[RosterExportRow]) -> list[Sequence[str]]:
    table: list[Sequence[str]] = [EXPORT_HEADERS]
    for row in rows:
        role = ROLE_NAMES.get(row.role, row.role)
        table.append(
            (row.unit_code, row.unit_name, row.parent_code or "", row.full_name, role, row.phone)
        )
    return table


def roster_bytes(rows: Iterable[RosterExportRow], xlsx: bool) -> bytes:
    table = _roster_table(rows)
    return xlsx_bytes(table) if xlsx else csv_bytes(table)


def invite_rows(invites: Iterable[Invite], bot_username: str) -> list[Sequence[str]]:
    """The invite table, in the order given: `invites_for_roster` gives the one order of every
    list (units in unit-tree order, people by given name)."""
    table: list[Sequence[str]] = [INVITE_HEADERS]
    for invite in invites:
        person = invite.person
        link = f"https://t.me/{bot_username}?start={invite.code}" if invite.code else ""
        table.append(
            (person.unit_code, person.unit_name, person.full_name,
             ROLE_NAMES[person.role], person.phone, link)
        )  # fmt: skip
    return table


def csv_bytes(table: Iterable[Sequence[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(table)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(table: Iterable[Sequence[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    for row in table:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        # Phone numbers and codes stay text, so Excel keeps the leading zero.
        for cell in column:
            cell.number_format = "@"
        width = max(len(str(cell.value or "")) for cell in column)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
