"""Roster XLSX files written by hand, fast: a normal large roster and the hostile or careless
files that once took the bot down (issue 11.4). Used by tests/test_roster_hostile.py and
bench/roster_read.py.

Each is a minimal workbook (content types, relationships, one sheet, shared strings) built with
zipfile, so a 20,000-row roster takes a fraction of a second instead of openpyxl's seconds, and
the shape of the XML (a sheet's declared width, whitespace, the shared strings) is exactly what
the case needs. openpyxl reads every one of them, so they measure the old reader too.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

HEADER = ("ma_don_vi", "ten_don_vi", "ma_don_vi_cap_tren", "ho_ten", "vai_tro", "so_dien_thoai")
GIVEN = ["An", "Bình", "Chi", "Dũng", "Đức", "Hà", "Hương", "Lan", "Minh", "Nam", "Oanh", "Phúc"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Ngô", "Dương"]
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CHUNK = 1 << 20

CONTENT_TYPES = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""  # noqa: E501
ROOT_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PKG}">
<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>
</Relationships>""".encode()
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>
<sheet name="Danh sách" sheetId="1" r:id="rId1"/>
</sheets></workbook>""".encode()
WORKBOOK_RELS = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="{PKG}">
<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>""".encode()


def people_rows(count: int, numbered: bool = True) -> Iterator[tuple[str, ...]]:
    """A Sở, 10 Phòng, 400 schools and `count` people, as bench/roster_import.py has them
    (`numbered`: each name ends with the person's number, so no two are the same)."""
    yield ("SGD", "Sở GD&ĐT", "", "Văn Phòng Sở", "văn phòng", "0900000000")
    for number in range(10):
        yield (f"PGD{number:02d}", f"Phòng GD&ĐT số {number}", "SGD", "", "", "")
    schools = [(f"PGD{d:02d}", f"T{d:02d}{s:02d}") for d in range(10) for s in range(40)]
    for index in range(count - 1):
        district, school = schools[index % len(schools)]
        name = f"{FAMILY[index % 10]} Văn {GIVEN[(index // 10) % 12]}"
        if numbered:
            name += f" {index}"
        role = "hiệu trưởng" if index < len(schools) else "giáo viên"
        yield (school, f"Trường {school}", district, name, role, f"09{index + 1:08d}")


class _Strings:
    """The shared strings table, filled as the sheet is written (as Excel does)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        return self.index.setdefault(text, len(self.index))

    def xml(self) -> Iterator[bytes]:
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode()
        for text in self.index:
            yield f"<si><t>{escape(text)}</t></si>".encode()
        yield b"</sst>"


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _row(line: int, cells: Iterable[str], strings: _Strings, numbers: bool = False) -> bytes:
    """A row; with `numbers`, digits-only cells are numbers (a phone that lost its zero) and
    cells leave out their reference, which is optional (each follows the one before)."""
    parts = [f'<row r="{line}">']
    for column, text in enumerate(cells):
        ref = "" if numbers else f' r="{_column(column)}{line}"'
        if not text:
            if numbers:
                parts.append("<c/>")
        elif numbers and text.isdigit():
            parts.append(f"<c{ref}><v>{int(text)}</v></c>")
        else:
            parts.append(f'<c{ref} t="s"><v>{strings(text)}</v></c>')
    parts.append("</row>")
    return "".join(parts).encode()


def sheet_xml(
    rows: Iterable[tuple[str, ...]], strings: _Strings, dimension: str | None = None,
    filler: Iterable[bytes] = (), numbers: bool = False,
) -> Iterator[bytes]:  # fmt: skip
    """The sheet: the header on line 1, then the rows; `filler` goes after the last row."""
    yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'.encode()
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    yield _row(1, HEADER, strings)
    buffer: list[bytes] = []
    for line, row in enumerate(rows, start=2):
        buffer.append(_row(line, row, strings, numbers))
        if len(buffer) >= 4096:
            yield b"".join(buffer)
            buffer.clear()
    yield b"".join(buffer)
    yield from filler
    yield b"</sheetData></worksheet>"


def workbook(sheet: Iterable[bytes], shared: Iterable[bytes], level: int = 6) -> bytes:
    """The XLSX file: `sheet` and `shared` are streamed into their zip members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for chunk in sheet:
                member.write(chunk)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as member:
            for chunk in shared:
                member.write(chunk)
    return buffer.getvalue()


def roster_xlsx(
    people: int = 20_000, dimension: str | None = None, numbers: bool = False,
    numbered: bool = True,
) -> bytes:  # fmt: skip
    """A normal roster of `people` people (plus one unit-only row per Phòng)."""
    strings = _Strings()
    sheet = sheet_xml(people_rows(people, numbered), strings, dimension, numbers=numbers)
    return workbook(sheet, strings.xml())


def wide_dimension_xlsx(people: int = 2_000) -> bytes:
    """A normal roster whose sheet says it spans A1:XFD: 16,384 columns, 6 of them used."""
    return roster_xlsx(people, dimension=f"A1:XFD{people + 11}")


def whitespace_bomb_xlsx(megabytes: int = 1024) -> bytes:
    """About 1 MB on the wire: a short roster, then `megabytes` MB of spaces in the sheet."""
    strings = _Strings()
    blank = b" " * CHUNK
    filler = (blank for _ in range(megabytes))
    sheet = sheet_xml(people_rows(3), strings, filler=filler)
    return workbook(sheet, strings.xml(), level=9)


def shared_strings_bomb_xlsx(megabytes: int = 1536) -> bytes:
    """About 1.5 MB on the wire: a short roster whose shared strings table holds another
    `megabytes` strings of a megabyte of spaces each."""
    strings = _Strings()
    sheet = b"".join(sheet_xml(people_rows(3), strings))
    blank = b" " * CHUNK

    def shared() -> Iterator[bytes]:
        *head, tail = strings.xml()
        yield from head
        for _ in range(megabytes):
            yield b'<si><t xml:space="preserve">'
            yield blank
            yield b"</t></si>"
        yield tail

    return workbook([sheet], shared(), level=9)


def million_rows_xlsx(rows: int = 1_000_000) -> bytes:
    """About 18 MB on the wire: a roster of a million people, ten times the limit."""
    return roster_xlsx(rows, numbers=True, numbered=False)


HOSTILE = {
    "wide_dimension": wide_dimension_xlsx,
    "whitespace_bomb": whitespace_bomb_xlsx,
    "shared_strings_bomb": shared_strings_bomb_xlsx,
    "million_rows": million_rows_xlsx,
}
