"""The streaming XLSX reader: the workbooks other programs write, and the guards that keep a
hostile one from costing time or memory (formats/xlsx_reader.py)."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from formats.roster_file import read_roster
from formats.xlsx_reader import Limits, XlsxBook, XlsxError
from messages import render_text
from storage.roster_table import RosterFileError
from tests import roster_files
from tests.helpers import BASIC_ROWS, csv_file

MAIN = roster_files.MAIN
REL = roster_files.REL


def book(sheet: str, shared: str = "", sheet_path: str = "xl/worksheets/sheet1.xml") -> bytes:
    """A workbook whose sheet and shared strings are exactly this XML."""
    rels = roster_files.WORKBOOK_RELS.replace(
        b"worksheets/sheet1.xml", sheet_path.removeprefix("xl/").encode()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", roster_files.CONTENT_TYPES)
        archive.writestr("_rels/.rels", roster_files.ROOT_RELS)
        archive.writestr("xl/workbook.xml", roster_files.WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", rels)
        archive.writestr(sheet_path, sheet)
        if shared:
            archive.writestr("xl/sharedStrings.xml", shared)
    return buffer.getvalue()


def issue_of(data: bytes) -> str:
    with pytest.raises(RosterFileError) as caught:
        read_roster(data, "ds.xlsx")
    return caught.value.issues[0].code


HEADER_ROW = "".join(f"<x:c t='inlineStr'><x:is><x:t>{h}</x:t></x:is></x:c>" for h in
                     roster_files.HEADER)  # fmt: skip


def test_what_other_writers_write() -> None:
    """A prefixed namespace, inline strings, cells without references, rich text with
    phonetic hints, numbers in exponent form, a formula's saved value, a sheet elsewhere."""
    sheet = f"""<?xml version="1.0"?>
<x:worksheet xmlns:x="{MAIN}"><x:sheetData>
<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>DANH SÁCH</x:t></x:is></x:c></x:row>
<x:row r="3">{HEADER_ROW}</x:row>
<x:row r="4"><x:c t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c><x:c/>
  <x:c t="str"><x:f>UPPER("a")</x:f><x:v>Nguyễn Thị  Lan</x:v></x:c>
  <x:c t="inlineStr"><x:is><x:r><x:t>giáo </x:t></x:r><x:r><x:t>viên</x:t></x:r></x:is></x:c>
  <x:c><x:v>9.12000001E8</x:v></x:c></x:row>
<x:row r="6"><x:c r="A6" t="s"><x:v>0</x:v></x:c><x:c r="D6" t="s"><x:v>2</x:v></x:c>
  <x:c r="E6" t="s"><x:v>3</x:v></x:c><x:c r="F6" t="inlineStr"><x:is><x:t>0912000002</x:t>
  </x:is></x:c><x:c r="ZZ6"><x:v>1</x:v></x:c></x:row>
</x:sheetData></x:worksheet>"""
    shared = f"""<?xml version="1.0"?><sst xmlns="{MAIN}">
<si><t>T1</t></si><si><r><t>Trường </t></r><r><rPr><b/></rPr><t>Số 1</t></r></si>
<si><t>Trần Văn Ân</t><rPh sb="0" eb="1"><t>チャン</t></rPh></si><si><t>hiệu trưởng</t></si>
</sst>"""
    table = read_roster(book(sheet, shared, "xl/worksheets/danh_sach.xml"), "ds.xlsx")
    assert table.units["T1"].name == "Trường Số 1"
    by_line = {person.line: person for person in table.people}
    assert by_line[4].full_name == "Nguyễn Thị Lan" and by_line[4].role == "teacher"
    assert by_line[4].phone == "0912000001"
    assert by_line[6].full_name == "Trần Văn Ân" and by_line[6].role == "principal"


def test_a_document_type_is_refused() -> None:
    """Entities are how XML bombs expand; an XLSX part never declares them."""
    sheet = f"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><worksheet xmlns="{MAIN}"><sheetData>
<row r="1">{HEADER_ROW.replace("x:", "")}</row><row r="2"><c t="inlineStr"><is><t>&b;</t></is></c>
</row></sheetData></worksheet>"""
    assert issue_of(book(sheet)) == "bad_xlsx"
    with pytest.raises(XlsxError) as caught:
        list(XlsxBook(book(sheet)).rows())
    assert caught.value.values["detail"] == "DOCTYPE"


def test_damaged_workbooks_are_refused() -> None:
    normal = roster_files.roster_xlsx(5)
    missing = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(normal)) as source,
        zipfile.ZipFile(missing, "w") as target,
    ):
        for info in source.infolist():
            if not info.filename.endswith("sheet1.xml"):
                target.writestr(info, source.read(info))
    assert issue_of(missing.getvalue()) == "bad_xlsx"
    assert issue_of(book("<worksheet><sheetData><row><c>")) == "bad_xlsx"  # cut short
    bzip = io.BytesIO()
    with zipfile.ZipFile(bzip, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    assert issue_of(bzip.getvalue()) == "bad_xlsx"  # inflated whole, whatever its size


def test_a_zip_of_ten_thousand_parts_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(10_001):
            archive.writestr(f"p{number}", b"")
    assert issue_of(buffer.getvalue()) == "xlsx_too_big"


def test_guards_with_small_limits() -> None:
    data = roster_files.roster_xlsx(200)
    with pytest.raises(XlsxError) as caught:
        list(XlsxBook(data, Limits(max_elements=500)).rows())
    assert caught.value.code == "xlsx_too_big"
    with pytest.raises(XlsxError) as caught:
        XlsxBook(data, Limits(max_sheet_bytes=10_000))
    assert caught.value.code == "xlsx_too_big"
    with pytest.raises(XlsxError) as caught:
        XlsxBook(data, Limits(max_ratio=2, ratio_floor=1000))
    assert caught.value.code == "xlsx_too_big"
    long_tag = book(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1" x="{"a" * 50_000}"/>')
    with pytest.raises(XlsxError) as caught:
        list(XlsxBook(long_tag, Limits(max_pending=10_000)).rows())
    assert caught.value.code == "bad_xlsx"


def test_a_cell_keeps_at_most_a_thousand_characters() -> None:
    name = "".join(random.Random(1).choices("aăâbcdđeêghiklmnoôơ ", k=2_000_000))
    sheet = f"""<worksheet xmlns="{MAIN}"><sheetData><row r="1">{HEADER_ROW.replace("x:", "")}
</row><row r="2"><c t="inlineStr"><is><t>T1</t></is></c><c t="inlineStr"><is><t>Trường</t>
</is></c><c/><c t="inlineStr"><is><t>{name}</t></is></c><c t="inlineStr">
<is><t>gv</t></is></c><c t="inlineStr"><is><t>0912000001</t></is></c></row></sheetData>
</worksheet>"""
    [row] = [cells for line, cells in XlsxBook(book(sheet)).rows() if line == 2]
    assert len(str(row[3])) == 1_000
    assert issue_of(book(sheet)) == "too_long"


def test_a_unit_name_is_bounded_like_a_person_name() -> None:
    rows = [("T1", "Trường " * 40, "", "Nguyễn Văn An", "gv", "0912000001")]
    with pytest.raises(RosterFileError) as caught:
        read_roster(csv_file(rows))
    assert render_text("roster_issue", issue=caught.value.issues[0]) == (
        "Dòng 2: tên đơn vị quá dài (tối đa 200 ký tự)."
    )


def test_a_csv_of_a_million_empty_lines_stops_early() -> None:
    data = csv_file(BASIC_ROWS) + b"\n" * 1_100_000
    with pytest.raises(RosterFileError) as caught:
        read_roster(data)
    assert caught.value.issues[0].code == "too_many_rows"
