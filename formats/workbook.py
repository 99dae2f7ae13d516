"""The results workbook (/xuat, `python -m bot export`): what the office compiles its own
report from.

One workbook: an overview sheet (each round's totals, then each unit's status, units in
unit-tree order), one sheet per round (one row per report, one column per question, every
value typed as Excel types it), the nominations of good examples with the last decision on
each, and the campaign's delivery per person. Every sheet has Vietnamese headers, a frozen
header row, fitted column widths and filters on.

The builder is synchronous and takes plain data (`ExportData`, read from the database
beforehand), so the bot runs it in a worker thread while it goes on answering. Sheets come
from `SHEET_BUILDERS`, a list: a new sheet is one more `SheetBuilder` whose `write` reads its
own field of `ExportData` (as the nominations sheet reads `nominations`). Written in
openpyxl's write-only mode, which streams rows to the file instead of keeping a cell object
per value.
"""

from __future__ import annotations

import io
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

MAX_SHEET_NAME = 31  # Excel's limit
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Characters XML 1.0 cannot hold (openpyxl refuses them): control characters but tab, newline.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_WIDTH, MIN_WIDTH = 60, 8
HEADER_LENGTH = 80  # a question's prompt as a column header, at most
PROGRESS_EVERY = 500  # rows between two progress reports
HEADER_LINE_HEIGHT = 15  # points a line of text takes
MAX_ROW_LINES = 15  # a longer answer scrolls inside its cell
PAPER_A4 = "9"  # the paper size code in the file format
# The builder runs in a thread beside the bot's event loop. CPython lets one thread run
# Python at a time and takes the lock from a busy thread only every 5 ms (the switch
# interval), each time the loop wants it back, so a reply to someone else costs several such
# waits: bench/export.py measured /help 7–10× slower during an export. `time.sleep(0)` every
# 0.2 ms of work gives the lock to a thread waiting for it at once (it is a system
# call, tens of µs here, so not after every row).
SHARE_INTERVAL = 0.0002  # seconds of work between two hand-overs
_last_share = threading.local()


def share_cpu() -> None:
    """Called often from a long job in a worker thread: once a millisecond has passed since
    the last time, let the bot's other threads (its event loop) run, if one is waiting."""
    now = time.perf_counter()
    if now - getattr(_last_share, "at", 0.0) >= SHARE_INTERVAL:
        time.sleep(0)
        _last_share.at = time.perf_counter()


YES, NO = "Có", "Không"
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
ROLE_NAMES = {"office": "Văn phòng", "principal": "Hiệu trưởng", "teacher": "Giáo viên"}
KIND_NAMES = {"unit": "Theo đơn vị", "person": "Theo cá nhân"}
DELIVERY_NAMES = {
    "sent": "Đã gửi",
    "pending": "Đang gửi",
    "blocked": "Đã chặn bot",
    "failed": "Gửi lỗi",
    "unregistered": "Chưa đăng ký",
    "not_sent": "Chưa gửi",
}


@dataclass(frozen=True)
class Column:
    """A question of a round's form, as a column: `type` is the form's question type."""

    key: str
    title: str
    type: str  # text, number, percent, yesno, choice, date, files
    integer: bool = False


@dataclass(frozen=True)
class AnswerRow:
    """One submitted report (its last submitted version)."""

    unit_name: str
    person: str  # per person: the person; per unit: the principal who sent it
    submitted_at: datetime | None
    late: bool
    returned: bool  # sent back for additions, not sent again yet
    return_reason: str
    answers: Mapping[str, Any]


@dataclass(frozen=True)
class UnitStatus:
    """A unit's counts in a round, as /tiendo counts them (storage/round_progress.py)."""

    unit_name: str
    expected: int
    answered: int
    late: int
    not_answered: int
    unregistered: int
    excused: int = 0
    no_principal: bool = False

    @property
    def on_time(self) -> int:
        return self.answered - self.late

    @property
    def missing(self) -> int:
        return self.not_answered + self.unregistered


@dataclass(frozen=True)
class RoundExport:
    campaign_title: str
    name: str
    kind: str  # 'unit' or 'person'
    deadline: datetime
    closed: bool
    columns: tuple[Column, ...]
    units: tuple[UnitStatus, ...]  # in unit-tree order
    rows: Sequence[AnswerRow]  # units in unit-tree order, people by given name


@dataclass(frozen=True)
class DeliveryRow:
    """One person of a campaign's audience: what became of the campaign message."""

    campaign_title: str
    unit_name: str
    full_name: str
    role: str
    status: str  # a key of DELIVERY_NAMES
    acknowledged_at: datetime | None
    error: str = ""


@dataclass(frozen=True)
class NominationRow:
    """A nomination of a good example (điển hình tiên tiến), and the last decision on it."""

    quarter: str  # "I/2027"
    unit_name: str
    nominee: str
    kind: str  # 'individual' or 'collective'
    position: str
    field: str  # as offices word it
    summary: str
    evidence: tuple[int, ...]
    campaign_title: str
    nominator: str
    filed_at: datetime
    status: str  # pending, returned, approved, rejected
    waiting_at: str  # the unit whose office decides now (pending)
    decision: str = ""  # the last decision: approved, rejected, returned ("" for none yet)
    decided_by: str = ""
    decided_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class ExportData:
    created_at: datetime
    timezone: tzinfo
    rounds: tuple[RoundExport, ...]
    delivery: Sequence[DeliveryRow]
    evidence_names: Mapping[int, str] = field(default_factory=dict)
    nominations: Sequence[NominationRow] = ()


Progress = Callable[[int, int], None]  # (rows written, rows in all)


class Sheets:
    """What a sheet builder needs besides the data: unique sheet names and progress."""

    def __init__(self, book: Workbook, total: int, progress: Progress | None) -> None:
        self.book = book
        self._names: set[str] = set()
        self._total = max(total, 1)
        self._done = 0
        self._reported = 0
        self._progress = progress

    def create(self, wanted: str) -> Any:
        return self.book.create_sheet(self.unique_name(wanted))

    def unique_name(self, wanted: str) -> str:
        name = sheet_name(wanted, self._names)
        self._names.add(name.casefold())
        return name

    def tick(self, rows: int = 1) -> None:
        self._done += rows
        share_cpu()
        if self._progress is not None and self._done - self._reported >= PROGRESS_EVERY:
            self._reported = self._done
            self._progress(min(self._done, self._total), self._total)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress(self._total, self._total)


@dataclass(frozen=True)
class SheetBuilder:
    """One kind of sheet: `size` counts the rows it will write (for the progress figure),
    `write` adds its sheet(s) to the workbook."""

    name: str
    size: Callable[[ExportData], int]
    write: Callable[[ExportData, Sheets], None]


def sheet_name(wanted: str, taken: Iterable[str] = ()) -> str:
    """A sheet name Excel accepts: none of []:*?/\\, no apostrophe at either end, at most 31
    characters, not 'History', and unique (Excel compares names case-insensitively)."""
    used = {name.casefold() for name in taken}
    base = " ".join(_SHEET_FORBIDDEN.sub(" ", _ILLEGAL.sub("", wanted)).split()).strip("'")
    base = base or "Trang"
    if base.casefold() == "history":
        base += " 1"
    candidate = base[:MAX_SHEET_NAME].rstrip().strip("'")
    number = 1
    while candidate.casefold() in used:
        number += 1
        suffix = f" ({number})"
        candidate = base[: MAX_SHEET_NAME - len(suffix)].rstrip().strip("'") + suffix
    return candidate


# --- cells -----------------------------------------------------------------------------------

FONT = "Calibri"  # Excel's own; the cells without a style use it too
_HEADER_FONT = Font(name=FONT, size=11, bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_ALIGN = Alignment(wrap_text=True, vertical="top")
_TOTAL_FONT = Font(name=FONT, size=11, bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


class Typed(NamedTuple):
    """A value with the number format Excel should show it in."""

    value: Any
    number_format: str


Value = str | int | float | Typed | None


def _text(value: object) -> str:
    return _ILLEGAL.sub("", str(value))


def _local(moment: datetime, timezone: tzinfo) -> datetime:
    """Excel has no time zones: the bot's local time, naive."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone)
    return moment.replace(tzinfo=None, microsecond=0)


def _yes_no(flag: bool) -> str:
    return YES if flag else NO


def _number_format(value: float, integer: bool) -> str:
    return "#,##0" if integer or float(value).is_integer() else "#,##0.0##"


def answer_value(column: Column, value: Any, evidence_names: Mapping[int, str]) -> Value:
    """An answer as its cell: numbers as numbers, percentages as fractions shown as %, dates
    as dates, yes/no as «Có»/«Không», evidence as its file names; None for no answer."""
    if value is None:
        return None
    kind = column.type
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return Typed(value, _number_format(value, column.integer))
    if kind == "percent" and isinstance(value, int | float) and not isinstance(value, bool):
        fraction = value / 100
        return Typed(fraction, "0%" if float(value).is_integer() else "0.0#%")
    if kind == "yesno" and isinstance(value, bool):
        return _yes_no(value)
    if kind == "date" and isinstance(value, str):
        try:
            return Typed(date.fromisoformat(value), DATE_FORMAT)
        except ValueError:
            return _text(value)
    if kind == "files" and isinstance(value, list):
        names = [evidence_names.get(item, f"#{item}") for item in value if isinstance(item, int)]
        return "\n".join(_text(name) for name in names)
    return _text(value)


def _width(value: Value) -> int:
    if value is None:
        return 0
    if isinstance(value, Typed):
        inner = value.value
        if isinstance(inner, datetime):
            return 16
        if isinstance(inner, date):
            return 10
        return len(f"{inner:,.2f}") if isinstance(inner, float) else len(f"{inner:,}")
    if isinstance(value, str):
        return max((len(line) for line in value.split("\n")), default=0)
    return len(str(value))


def _wraps(text: str) -> bool:
    """Text shown on several lines in its cell: it has line breaks or is wider than a column."""
    return "\n" in text or len(text) > MAX_WIDTH


def _lines(text: str) -> int:
    """The lines wrapped text takes in a column MAX_WIDTH characters wide."""
    return sum(max(1, math.ceil(len(line) / MAX_WIDTH)) for line in text.split("\n"))


class _Table:
    """One sheet, written in one go: values typed as they are added, widths fitted to the
    longest value of each column (header included), the header frozen and styled, filters
    over the whole table. Write-only sheets take their column widths before any row, so the
    rows wait here, ready to append."""

    def __init__(self, sheets: Sheets, name: str, headers: Sequence[str]) -> None:
        self.sheets = sheets
        self.sheet = sheets.create(name)
        self.headers = [_text(header) for header in headers]
        self.widths = [min(len(header), 40) for header in self.headers]
        self.rows: list[list[Any]] = []
        self.tall: dict[int, int] = {}  # row number -> lines, for rows of several lines

    def add(self, row: list[Value], total: bool = False) -> None:
        widths = self.widths
        cells: list[Any] = []
        lines = 1
        for index, value in enumerate(row):
            width = _width(value)
            if width > widths[index]:
                widths[index] = width
            if isinstance(value, str) and _wraps(value):
                lines = max(lines, _lines(value))
            cells.append(self._cell(value, total))
        self.rows.append(cells)
        if lines > 1:  # Excel does not grow a row for wrapped lines when it opens a file
            self.tall[len(self.rows) + 1] = min(lines, MAX_ROW_LINES)
        self.sheets.tick()

    def write(self) -> None:
        sheet = self.sheet
        lines = 1
        for index, width in enumerate(self.widths, start=1):
            fitted = max(MIN_WIDTH, min(MAX_WIDTH, width + 2))
            sheet.column_dimensions[get_column_letter(index)].width = fitted
            lines = max(lines, math.ceil(len(self.headers[index - 1]) / (fitted - 1)))
        # Excel does not grow a row for wrapped text when it opens a file: the header's
        # height is set for its longest title.
        sheet.row_dimensions[1].height = HEADER_LINE_HEIGHT * lines
        for number, tall in self.tall.items():
            sheet.row_dimensions[number].height = HEADER_LINE_HEIGHT * tall
        sheet.freeze_panes = "A2"
        # Printed: landscape, as wide as the page, the header row on every page.
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = PAPER_A4
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.print_title_rows = "1:1"
        last = get_column_letter(max(len(self.headers), 1))
        sheet.auto_filter.ref = f"A1:{last}{len(self.rows) + 1}"
        header = []
        for title in self.headers:
            cell = WriteOnlyCell(sheet, title)
            cell.data_type = "s"
            cell.font, cell.fill, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_ALIGN
            header.append(cell)
        sheet.append(header)
        for row in self.rows:
            sheet.append(row)
            self.sheets.tick()
        self.rows = []

    def _cell(self, value: Value, total: bool) -> Any:
        if isinstance(value, Typed):
            cell = WriteOnlyCell(self.sheet, value.value)
            cell.number_format = value.number_format
        elif isinstance(value, str) and (total or value.startswith("=") or _wraps(value)):
            cell = WriteOnlyCell(self.sheet, value)
            cell.data_type = "s"  # text, never a formula, whatever someone typed
            if _wraps(value):
                cell.alignment = _WRAP
        elif total:
            cell = WriteOnlyCell(self.sheet, value)
        else:
            return value
        if total:
            cell.font = _TOTAL_FONT
        return cell


# --- the sheets ------------------------------------------------------------------------------

OVERVIEW_SHEET = "Tổng quan"
OVERVIEW_HEADERS = (
    "Phong trào", "Đợt báo cáo", "Loại", "Hạn nộp", "Đơn vị", "Phải nộp", "Đã nộp",
    "Đúng hạn", "Nộp muộn", "Chưa nộp", "Vắng có lý do", "Tình trạng",
)  # fmt: skip
TOTAL_ROW = "Tổng cộng"
ROUND_HEADERS = (
    "Đơn vị", "Người nộp", "Nộp lúc", "Nộp muộn", "Bị trả lại để bổ sung", "Lý do trả lại",
)  # fmt: skip
NOMINATIONS_SHEET = "Điển hình tiên tiến"
NOMINATION_HEADERS = (
    "Quý", "Đơn vị", "Người, tập thể được đề nghị", "Cá nhân / tập thể", "Chức vụ", "Lĩnh vực",
    "Tóm tắt thành tích", "Minh chứng", "Phong trào", "Người đề nghị", "Ngày đề nghị",
    "Tình trạng", "Quyết định gần nhất", "Người quyết định", "Ngày quyết định", "Lý do",
)  # fmt: skip
NOMINATION_KINDS = {"individual": "Cá nhân", "collective": "Tập thể"}
NOMINATION_STATES = {
    "pending": "Chờ duyệt", "returned": "Yêu cầu bổ sung", "approved": "Đã công nhận",
    "rejected": "Không duyệt", "withdrawn": "Đã rút",
}  # fmt: skip
DECISIONS = {"approved": "Duyệt", "rejected": "Không duyệt", "returned": "Yêu cầu bổ sung"}
DELIVERY_SHEET = "Gửi kế hoạch"
DELIVERY_HEADERS = (
    "Phong trào", "Đơn vị", "Họ và tên", "Vai trò", "Tình trạng gửi", "Đã bấm «Đã nhận»",
    "Nhận lúc", "Lỗi gửi",
)  # fmt: skip


def _unit_state(kind: str, unit: UnitStatus) -> str:
    if unit.no_principal:
        return "Chưa có hiệu trưởng trong danh sách"
    if kind == "unit":
        if unit.answered:
            return "Đã nộp (muộn)" if unit.late else "Đã nộp"
        if unit.excused:
            return "Vắng có lý do"
        return "Hiệu trưởng chưa đăng ký" if unit.unregistered else "Chưa nộp"
    if unit.missing == 0:
        return "Đã nộp đủ"
    parts = []
    if unit.not_answered:
        parts.append(f"{unit.not_answered} người chưa nộp")
    if unit.unregistered:
        parts.append(f"{unit.unregistered} người chưa đăng ký")
    return ", ".join(parts)


def _overview_size(data: ExportData) -> int:
    return sum(len(item.units) + 1 for item in data.rounds)


def _write_overview(data: ExportData, sheets: Sheets) -> None:
    table = _Table(sheets, OVERVIEW_SHEET, OVERVIEW_HEADERS)
    for item in data.rounds:
        deadline = Typed(_local(item.deadline, data.timezone), DATETIME_FORMAT)
        kind = KIND_NAMES.get(item.kind, item.kind)
        lead: list[Value] = [_text(item.campaign_title), _text(item.name), kind, deadline]
        units = item.units

        def total(attribute: str, units: tuple[UnitStatus, ...] = units) -> int:
            return sum(getattr(unit, attribute) for unit in units)

        closed = "Đã đóng đợt" if item.closed else ""
        table.add(
            [*lead, TOTAL_ROW, total("expected"), total("answered"), total("on_time"),
             total("late"), total("missing"), total("excused"), closed],
            total=True,
        )  # fmt: skip
        for unit in units:
            table.add(
                [*lead, unit.unit_name, unit.expected, unit.answered, unit.on_time, unit.late,
                 unit.missing, unit.excused, _unit_state(item.kind, unit)]
            )  # fmt: skip
    table.write()


def _rounds_size(data: ExportData) -> int:
    return sum(len(item.rows) for item in data.rounds)


def _round_sheet_title(item: RoundExport, data: ExportData, position: int) -> str:
    campaigns = {other.campaign_title for other in data.rounds}
    if len(campaigns) > 1:  # several campaigns (the command line's whole export)
        return f"{position}. {item.name} - {item.campaign_title}"
    return f"{position}. {item.name}"


def _write_rounds(data: ExportData, sheets: Sheets) -> None:
    for position, item in enumerate(data.rounds, start=1):
        headers = [*ROUND_HEADERS, *(_header(column) for column in item.columns)]
        table = _Table(sheets, _round_sheet_title(item, data, position), headers)
        for row in item.rows:
            submitted = (
                Typed(_local(row.submitted_at, data.timezone), DATETIME_FORMAT)
                if row.submitted_at is not None
                else None
            )
            values: list[Value] = [
                _text(row.unit_name), _text(row.person), submitted, _yes_no(row.late),
                _yes_no(row.returned), _text(row.return_reason),
            ]  # fmt: skip
            values.extend(
                answer_value(column, row.answers.get(column.key), data.evidence_names)
                for column in item.columns
            )
            table.add(values)
        table.write()


def _header(column: Column) -> str:
    title = " ".join(column.title.split())
    return title if len(title) <= HEADER_LENGTH else title[: HEADER_LENGTH - 1] + "…"


def _delivery_size(data: ExportData) -> int:
    return len(data.delivery)


def _write_delivery(data: ExportData, sheets: Sheets) -> None:
    table = _Table(sheets, DELIVERY_SHEET, DELIVERY_HEADERS)
    for row in data.delivery:
        acknowledged = (
            Typed(_local(row.acknowledged_at, data.timezone), DATETIME_FORMAT)
            if row.acknowledged_at is not None
            else None
        )
        table.add(
            [_text(row.campaign_title), _text(row.unit_name), _text(row.full_name),
             ROLE_NAMES.get(row.role, row.role), DELIVERY_NAMES.get(row.status, row.status),
             _yes_no(row.acknowledged_at is not None), acknowledged, _text(row.error)]
        )  # fmt: skip
    table.write()


def _nominations_size(data: ExportData) -> int:
    return len(data.nominations)


def _write_nominations(data: ExportData, sheets: Sheets) -> None:
    table = _Table(sheets, NOMINATIONS_SHEET, NOMINATION_HEADERS)
    for row in data.nominations:
        state = NOMINATION_STATES.get(row.status, row.status)
        if row.status == "pending" and row.waiting_at:
            state = f"{state} tại {row.waiting_at}"
        files = [_text(data.evidence_names.get(item, f"#{item}")) for item in row.evidence]
        table.add(
            [row.quarter, _text(row.unit_name), _text(row.nominee),
             NOMINATION_KINDS.get(row.kind, row.kind), _text(row.position), _text(row.field),
             _text(row.summary), "\n".join(files), _text(row.campaign_title),
             _text(row.nominator), Typed(_local(row.filed_at, data.timezone), DATETIME_FORMAT),
             _text(state), DECISIONS.get(row.decision, row.decision), _text(row.decided_by),
             Typed(_local(row.decided_at, data.timezone), DATETIME_FORMAT)
             if row.decided_at is not None else None,
             _text(row.reason)]
        )  # fmt: skip
    table.write()


# The sheets, in the workbook's order. A new sheet is one more entry (see the module's note).
SHEET_BUILDERS: list[SheetBuilder] = [
    SheetBuilder("overview", _overview_size, _write_overview),
    SheetBuilder("rounds", _rounds_size, _write_rounds),
    SheetBuilder("nominations", _nominations_size, _write_nominations),
    SheetBuilder("delivery", _delivery_size, _write_delivery),
]


def build_workbook(
    data: ExportData,
    progress: Progress | None = None,
    builders: Sequence[SheetBuilder] | None = None,
) -> bytes:
    """The workbook as .xlsx bytes; `progress(done, total)` is called every few hundred rows
    (from the thread that builds)."""
    chosen = SHEET_BUILDERS if builders is None else builders
    book = Workbook(write_only=True)
    # Each row counts twice: once as it is prepared (typed, measured), once as it is written.
    total = 2 * sum(builder.size(data) for builder in chosen)
    sheets = Sheets(book, total, progress)
    for builder in chosen:
        builder.write(data, sheets)
    buffer = io.BytesIO()
    book.save(buffer)
    sheets.finish()
    return buffer.getvalue()
