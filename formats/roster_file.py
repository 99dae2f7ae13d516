"""Read a roster file (CSV or XLSX) into validated rows, or say row by row what is wrong.

Nothing here touches the database: `read_roster` turns bytes into a `RosterTable`
(`storage.roster_table`), raising `RosterFileError` with every problem found, each a code plus
values that `messages` words.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import chain, islice
from operator import itemgetter
from typing import NamedTuple

from formats.xlsx_reader import Cell, XlsxBook, XlsxError
from storage.phones import normalize_phone
from storage.roster_table import PersonSpec, RosterFileError, RosterIssue, RosterTable, UnitSpec
from storage.text import clean, fold

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000  # people and units, rows that say something
MAX_LINES = 1_048_576  # rows of a CSV file, empty ones too (as many as an Excel sheet has)
MAX_HEADER_COLUMNS = 256  # the header is looked for in these columns
MAX_NAME_LENGTH = 200
MAX_CODE_LENGTH = 50
HEADER_SEARCH_ROWS = 10  # offices often put a title or two above the header row

COLUMNS = ("unit_code", "unit_name", "parent_unit_code", "full_name", "role", "phone")
REQUIRED_COLUMNS = ("unit_code", "full_name", "role", "phone")
HEADER_ALIASES: dict[str, frozenset[str]] = {
    "unit_code": frozenset({"unitcode", "madonvi", "madv", "ma"}),
    "unit_name": frozenset({"unitname", "tendonvi", "tendv", "donvi"}),
    "parent_unit_code": frozenset(
        {"parentunitcode", "parentcode", "madonvicaptren", "madvcaptren", "donvicaptren",
         "captren", "madonvicha"}
    ),
    "full_name": frozenset({"fullname", "name", "hoten", "hovaten", "ten"}),
    "role": frozenset({"role", "vaitro"}),
    "phone": frozenset(
        {"phone", "phonenumber", "sodienthoai", "sdt", "dienthoai", "didong", "sodidong"}
    ),
}  # fmt: skip
ROLE_ALIASES: dict[str, str] = {
    **dict.fromkeys(("office", "vanphong", "vp", "thuongtruc"), "office"),
    **dict.fromkeys(("principal", "hieutruong", "ht", "thutruong", "thutruongdonvi"), "principal"),
    **dict.fromkeys(("teacher", "giaovien", "gv", "nhanvien", "giaoviennhanvien"), "teacher"),
}
# How each column is written back out, and the header offices recognise.
EXPORT_HEADERS = (
    "ma_don_vi", "ten_don_vi", "ma_don_vi_cap_tren", "ho_ten", "vai_tro", "so_dien_thoai"
)  # fmt: skip


class Record(NamedTuple):
    """One row's cells by column name."""

    unit_code: str
    unit_name: str
    parent_unit_code: str
    full_name: str
    role: str
    phone: str


def read_roster(data: bytes, filename: str = "") -> RosterTable:
    """Parse and validate a whole file; raise RosterFileError listing every problem.

    CPU-bound (a 20,000-row XLSX takes about half a second): from the bot, run it in a worker
    thread (`formats.work.in_worker`)."""
    if not data.strip():
        raise RosterFileError([RosterIssue("empty_file")])
    if len(data) > MAX_FILE_BYTES:
        raise RosterFileError(
            [RosterIssue("too_large", values={"limit_mb": MAX_FILE_BYTES // (1024 * 1024)})]
        )
    if _looks_like_xlsx(data, filename):
        header_line, records = _xlsx_records(data)
    else:
        header_line, records = _records(_csv_rows(data))
    return _validate(header_line, records)


def _records(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, Iterator[tuple[int, Record]]]:
    """The header among the first rows, then each later row as a Record: only the columns the
    header names are read, however wide the rows."""
    header_line, columns = _find_header(rows)
    # Missing optional columns read index -1: the empty cell appended to every row.
    pick = itemgetter(*(columns.get(name, -1) for name in COLUMNS))
    width = max(columns.values()) + 1

    def records() -> Iterator[tuple[int, Record]]:
        for line, cells in rows:
            if len(cells) < width:
                cells = [*cells, *[""] * (width - len(cells))]
            cells.append("")
            yield line, Record(*(clean(cell) for cell in pick(cells)))

    return header_line, records()


def _validate(header_line: int, records: Iterable[tuple[int, Record]]) -> RosterTable:
    issues: list[RosterIssue] = []
    units: dict[str, UnitSpec] = {}
    people: list[PersonSpec] = []
    phones: dict[str, int] = {}
    count = 0
    for line, record in records:
        if not any(record):
            continue
        count += 1
        if count > MAX_ROWS:
            raise RosterFileError([RosterIssue("too_many_rows", values={"limit": MAX_ROWS})])
        row_issues = _check_unit(record, line, units)
        person = _person(record, line, phones, row_issues)
        issues.extend(row_issues)
        if person is not None and not row_issues:
            people.append(person)
    if count == 0:
        raise RosterFileError([RosterIssue("no_rows", line=header_line)])
    issues.extend(_check_tree(units))
    if issues:
        raise RosterFileError(sorted(issues, key=lambda issue: issue.line or 0))
    return RosterTable(units=units, people=people)


def _find_header(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, dict[str, int]]:
    best: tuple[int, dict[str, int], list[str]] | None = None
    for _ in range(HEADER_SEARCH_ROWS):
        try:
            line, raw = next(rows)
        except StopIteration:
            break
        cells = [clean(cell) for cell in raw]
        columns = _match_columns(cells)
        if all(name in columns for name in REQUIRED_COLUMNS):
            return line, columns
        if any(cells) and (best is None or len(columns) > len(best[1])):
            best = (line, columns, cells)
    if best is None:
        raise RosterFileError([RosterIssue("empty_file")])
    line, columns, cells = best
    found = [cell for cell in cells if cell]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    code = (
        "wrong_delimiter"
        if len(found) == 1 and _has_several_headers(found[0])
        else "missing_columns"
    )
    raise RosterFileError(
        [RosterIssue(code, line=line, values={"missing": missing, "found": found[:12]})]
    )


def _match_columns(cells: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = fold(cell)
        for name, aliases in HEADER_ALIASES.items():
            if key in aliases and name not in columns:
                columns[name] = index
    return columns


def _has_several_headers(cell: str) -> bool:
    words = [fold(part) for part in cell.replace("|", " ").split()]
    joined = fold(cell)
    hits = sum(1 for aliases in HEADER_ALIASES.values() for alias in aliases if alias in joined)
    return hits >= 2 and len(words) >= 2


def _check_unit(record: Record, line: int, units: dict[str, UnitSpec]) -> list[RosterIssue]:
    code, name, parent = record.unit_code, record.unit_name, record.parent_unit_code or None
    if not code:
        return [RosterIssue("missing_value", line, {"column": "unit_code"})]
    if len(code) > MAX_CODE_LENGTH:
        return [RosterIssue("too_long", line, {"column": "unit_code", "limit": MAX_CODE_LENGTH})]
    if len(name) > MAX_NAME_LENGTH:
        return [RosterIssue("too_long", line, {"column": "unit_name", "limit": MAX_NAME_LENGTH})]
    if parent == code:
        return [RosterIssue("self_parent", line, {"code": code})]
    known = units.get(code)
    if known is None:
        units[code] = UnitSpec(code=code, name=name, parent_code=parent, line=line)
        return []
    issues = []
    if name and known.name and name != known.name:
        values = {"code": code, "name": name, "other": known.name, "other_line": known.line}
        issues.append(RosterIssue("unit_name_conflict", line, values))
    if parent and known.parent_code and parent != known.parent_code:
        values = {
            "code": code,
            "parent": parent,
            "other": known.parent_code,
            "other_line": known.line,
        }
        issues.append(RosterIssue("parent_conflict", line, values))
    if not issues and ((name and not known.name) or (parent and not known.parent_code)):
        units[code] = UnitSpec(code, known.name or name, known.parent_code or parent, known.line)
    return issues


def _person(
    record: Record, line: int, phones: dict[str, int], issues: list[RosterIssue]
) -> PersonSpec | None:
    full_name, raw_role, raw_phone = record.full_name, record.role, record.phone
    if not (full_name or raw_role or raw_phone):
        return None  # a row that only describes a unit
    for column, value in (("full_name", full_name), ("role", raw_role), ("phone", raw_phone)):
        if not value:
            issues.append(RosterIssue("missing_value", line, {"column": column}))
    if len(full_name) > MAX_NAME_LENGTH:
        issues.append(
            RosterIssue("too_long", line, {"column": "full_name", "limit": MAX_NAME_LENGTH})
        )
    role = _role(raw_role) if raw_role else None
    if raw_role and role is None:
        issues.append(RosterIssue("bad_role", line, {"value": raw_role}))
    phone = normalize_phone(raw_phone) if raw_phone else None
    if raw_phone and phone is None:
        issues.append(RosterIssue("bad_phone", line, {"value": raw_phone}))
    if phone is not None:
        first = phones.setdefault(phone, line)
        if first != line:
            issues.append(
                RosterIssue("duplicate_phone", line, {"phone": phone, "other_line": first})
            )
    if issues or role is None or phone is None:
        return None
    return PersonSpec(
        full_name=full_name, phone=phone, role=role, unit_code=record.unit_code, line=line
    )


@lru_cache(maxsize=256)
def _role(raw: str) -> str | None:
    """A roster has a handful of distinct role spellings and thousands of rows."""
    return ROLE_ALIASES.get(fold(raw))


def _check_tree(units: dict[str, UnitSpec]) -> list[RosterIssue]:
    """Names present and parents known are checked against the file; cycles are found here."""
    issues = []
    for unit in units.values():
        if not unit.name:
            issues.append(RosterIssue("missing_value", unit.line, {"column": "unit_name"}))
    reported: set[str] = set()
    for start in units.values():
        chain = [start.code]
        current = start
        while current.parent_code is not None:
            parent = units.get(current.parent_code)
            if parent is None:
                break  # checked against the database by the importer
            if parent.code in chain:
                cycle = [*chain[chain.index(parent.code) :], parent.code]
                if not reported.intersection(cycle):
                    issues.append(RosterIssue("unit_cycle", start.line, {"chain": cycle}))
                reported.update(cycle)
                break
            chain.append(parent.code)
            current = parent
    return issues


def _looks_like_xlsx(data: bytes, filename: str) -> bool:
    if data[:4] == b"PK\x03\x04":
        return True
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise RosterFileError([RosterIssue("old_xls")])
    return filename.lower().endswith((".xlsx", ".xlsm"))


def _xlsx_records(data: bytes) -> tuple[int, Iterator[tuple[int, Record]]]:
    """The sheet read twice, streaming: its first rows to find the header, then only the
    columns the header names. Shared strings are resolved for the cells read, no others."""
    try:
        book = XlsxBook(data)
        first = book.rows(width=MAX_HEADER_COLUMNS)
        head = list(islice(first, HEADER_SEARCH_ROWS))
        first.close()
        strings = book.shared({c for _, cells in head for c in cells.values() if type(c) is int})
        header_rows = [
            (line, [clean(_text(cells.get(i, ""), strings)) for i in range(max(cells) + 1)])
            for line, cells in head
        ]
        header_line, columns = _find_header(iter(header_rows))
        indexes = [columns.get(name, -1) for name in COLUMNS]
        rows: list[tuple[int, tuple[Cell, ...]]] = []
        wanted: set[int] = set()
        for line, cells in book.rows(columns=set(columns.values())):
            if line <= header_line:
                continue
            if len(rows) >= MAX_ROWS + 1_000:  # empty ones are dropped later: some slack
                raise RosterFileError([RosterIssue("too_many_rows", values={"limit": MAX_ROWS})])
            values = tuple(cells.get(index, "") for index in indexes)
            wanted.update(value for value in values if type(value) is int)
            rows.append((line, values))
        strings = book.shared(wanted)
    except XlsxError as exc:
        if exc.code == "xlsx_too_big":
            raise RosterFileError([RosterIssue(exc.code, values={"limit": MAX_ROWS})]) from exc
        detail = {"detail": str(exc.values.get("detail", ""))}
        raise RosterFileError([RosterIssue("bad_xlsx", values=detail)]) from exc
    records = (
        (line, Record(*(clean(_text(value, strings)) for value in values)))
        for line, values in rows
    )
    return header_line, records


def _text(cell: Cell, strings: dict[int, str]) -> str:
    return strings.get(cell, "") if type(cell) is int else str(cell)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    if "\x00" in text:
        raise RosterFileError([RosterIssue("not_text")])
    # Normalise once for the whole file; per cell only white space is left to tidy.
    lines = io.StringIO(unicodedata.normalize("NFC", text), newline=None)
    first = list(islice(lines, HEADER_SEARCH_ROWS))
    delimiter = _pick_delimiter([line.rstrip("\n") for line in first])
    reader = csv.reader(chain(first, lines), delimiter=delimiter)
    try:
        for line, cells in enumerate(reader, 1):
            if line > MAX_LINES:
                raise RosterFileError([RosterIssue("too_many_rows", values={"limit": MAX_ROWS})])
            yield line, cells
    except csv.Error as exc:
        raise RosterFileError(
            [RosterIssue("bad_csv", reader.line_num, {"detail": str(exc)})]
        ) from exc


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise RosterFileError([RosterIssue("encoding")]) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterFileError([RosterIssue("encoding")]) from exc


def _pick_delimiter(lines: list[str]) -> str:
    """The delimiter that makes some early line a recognisable header (Excel vi-VN uses ';')."""
    best, best_hits = ",", -1
    for delimiter in (",", ";", "\t"):
        hits = max((len(_match_columns(line.split(delimiter))) for line in lines), default=0)
        if hits > best_hits:
            best, best_hits = delimiter, hits
    return best
