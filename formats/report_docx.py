"""The compiled report draft (.docx) of a mid-term or final review round: the document the
office writes by hand today from the schools' replies.

Laid out as Vietnamese administrative reports are (Nghị định 30/2020/NĐ-CP): the issuing unit
top left with "Số: /BC-…" left blank for the office to number, the national motto top right
with place and date left blank, the title "BÁO CÁO" and its subject, then the body in Times
New Roman 14 pt: I. the campaign and who reported, II. the figures summed across the units and
each unit's results quoted under its name, III. shortcomings, IV. lessons, V. proposals, each
unit in unit-tree order; then the recipients and the signature block.

How figures are combined (`combine`): a number question is summed over the reports; a
percentage is averaged weighted by the unit's size — its teachers and principals on the
roster (`ReviewAnswer.weight`) — so the result is the share over all units' staff together,
not a mean of means (per person, each answer weighs 1); yes/no counts the «Có»; a choice
counts each option; evidence counts its files. The document says so under the table.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from itertools import groupby
from typing import Any

from formats.workbook import Column

FONT = "Times New Roman"
BODY_PT = 14
SMALL_PT = 12
DRAFT_MARK = "DỰ THẢO"
STAGE_MIDTERM, STAGE_FINAL = "Sơ kết", "Tổng kết"
# Sections quoting each unit, by the review form's question keys, in the report's order.
SECTIONS = (
    ("han_che", "TỒN TẠI, HẠN CHẾ"),
    ("bai_hoc", "BÀI HỌC KINH NGHIỆM"),
    ("de_xuat", "ĐỀ XUẤT, KIẾN NGHỊ VÀ PHƯƠNG HƯỚNG THỜI GIAN TỚI"),
)
RESULTS_KEY = "ket_qua"
KEEP_TOGETHER = 20  # rows of a table kept on one page (a longer one runs on, header repeated)
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_SYMBOL = re.compile(r"/\s*KH\s*-\s*(\S+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ReviewAnswer:
    """One submitted report: its unit, who sent it, and the unit's weight in percentages."""

    unit_name: str
    author: str
    late: bool
    answers: Mapping[str, Any]
    weight: int  # the unit's teachers and principals on the roster (1 per person)


@dataclass(frozen=True)
class ReviewReport:
    issuer_name: str
    plan_number: str
    campaign_title: str
    period_from: date | None
    period_to: date | None
    summary: str
    targets: tuple[str, ...]
    round_name: str
    kind: str  # 'unit' or 'person'
    deadline: datetime
    columns: tuple[Column, ...]
    answers: tuple[ReviewAnswer, ...]  # units in unit-tree order, people by given name
    expected: int
    answered: int
    late: int
    missing_units: tuple[str, ...]  # units that owe a report, in unit-tree order
    timezone: tzinfo
    created_at: datetime | None = None

    @property
    def stage(self) -> str:
        """Sơ kết (mid-term) or Tổng kết (final), from the round's name."""
        folded = self.round_name.casefold()
        return STAGE_FINAL if "tổng kết" in folded or "tong ket" in folded else STAGE_MIDTERM

    @property
    def symbol(self) -> str:
        """The issuer's abbreviation, from the plan's number (15/KH-SGDĐT: SGDĐT), or …"""
        found = _SYMBOL.search(self.plan_number)
        return found.group(1) if found else "…"


@dataclass(frozen=True)
class Figure:
    """A question's answers combined across the reports."""

    title: str
    value: str  # as the report writes it
    how: str
    total: float | None = None  # the number itself, for number and percent questions


def number(value: float, decimals: int = 2) -> str:
    """Vietnamese style: 1.240 and 12,5."""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    text = f"{value:,.{decimals}f}".rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _numbers(answers: Iterable[ReviewAnswer], key: str) -> list[tuple[float, int]]:
    found = []
    for answer in answers:
        value = answer.answers.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            found.append((float(value), answer.weight))
    return found


def combine(column: Column, answers: Sequence[ReviewAnswer], kind: str) -> Figure | None:
    """A question's answers across the reports (None for text and dates: quoted, not
    summed)."""
    who = "đơn vị" if kind == "unit" else "người"
    if column.type == "number":
        values = _numbers(answers, column.key)
        total = sum(value for value, _ in values)
        return Figure(column.title, number(total), f"Tổng của {len(values)} {who}", total)
    if column.type == "percent":
        values = _numbers(answers, column.key)
        if not values:
            return Figure(column.title, "—", f"Chưa {who} nào trả lời")
        weights = [weight if kind == "unit" else 1 for _, weight in values]
        if kind == "unit" and all(weight > 0 for weight in weights):
            mean = sum(v * w for (v, _), w in zip(values, weights, strict=True)) / sum(weights)
            how = (
                f"Bình quân của {len(values)} đơn vị, theo số cán bộ, giáo viên"
                f" của từng đơn vị ({number(sum(weights))} người)"
            )
        else:
            mean = sum(value for value, _ in values) / len(values)
            how = f"Bình quân của {len(values)} {who}"
        return Figure(column.title, number(mean, 1) + "%", how, mean)
    if column.type == "yesno":
        given = [
            a.answers[column.key] for a in answers if isinstance(a.answers.get(column.key), bool)
        ]
        yes = sum(1 for value in given if value)
        return Figure(column.title, f"{yes}/{len(given)} {who} trả lời «Có»", "Đếm câu trả lời")
    if column.type == "choice":
        counts: dict[str, int] = {}
        for answer in answers:
            value = answer.answers.get(column.key)
            if isinstance(value, str):
                counts[value] = counts.get(value, 0) + 1
        text = "; ".join(f"{choice}: {count}" for choice, count in counts.items()) or "—"
        return Figure(column.title, text, f"Số {who} chọn mỗi mức")
    if column.type == "files":
        files = sum(len(v) for a in answers if isinstance(v := a.answers.get(column.key), list))
        return Figure(column.title, f"{number(files)} tệp", f"Tổng số tệp {who} đã gửi")
    return None


# --- the document ----------------------------------------------------------------------------


def build_review_docx(report: ReviewReport) -> bytes:
    """The draft as .docx bytes."""
    from docx import Document

    document = Document()
    _setup(document)
    writer = _Writer(document)
    writer.heading_block(report)
    writer.body(report)
    writer.signature()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _set_font(element: Any, size: float | None = None) -> None:
    """Times New Roman for every script on a style or run (theme fonts removed, which
    would otherwise win in Word)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    element.font.name = FONT
    if size is not None:
        element.font.size = Pt(size)
    properties = element.element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(attribute), None)


def _setup(document: Any) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt, RGBColor

    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    normal = document.styles["Normal"]
    _set_font(normal, BODY_PT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.15
    for name, size in (("Heading 1", BODY_PT), ("Heading 2", BODY_PT), ("Title", BODY_PT)):
        style = document.styles[name]
        _set_font(style, size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(6)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True
    header = section.header.paragraphs[0]
    run = header.add_run(DRAFT_MARK)
    _set_font(run, SMALL_PT)
    run.bold = True
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _no_borders(table: Any) -> None:
    from docx.oxml.ns import qn

    properties = table._tbl.tblPr
    borders = properties.makeelement(qn("w:tblBorders"), {})
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        border = borders.makeelement(qn(f"w:{side}"), {qn("w:val"): "nil"})
        borders.append(border)
    properties.append(borders)


def _widths(table: Any, widths_cm: Sequence[float]) -> None:
    """Column widths that Word and LibreOffice both keep: the grid's and every cell's."""
    from docx.shared import Cm

    table.autofit = False
    for column, width in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)


def _repeat_header(table: Any) -> None:
    """The header row again at the top of every page a long table runs onto, and no row cut
    in two by a page break."""
    from docx.oxml.ns import qn

    for index, row in enumerate(table.rows):
        properties = row._tr.get_or_add_trPr()
        properties.append(properties.makeelement(qn("w:cantSplit"), {qn("w:val"): "true"}))
        if index == 0:
            properties.append(properties.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"}))


def _centre(paragraph: Any) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph


def _rule(paragraph: Any, indent_cm: float) -> None:
    """A short horizontal line: the paragraph's bottom border, narrowed by indents."""
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    paragraph.paragraph_format.left_indent = Cm(indent_cm)
    paragraph.paragraph_format.right_indent = Cm(indent_cm)
    paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = Pt(4)  # exactly: the line sits under the text
    properties = paragraph._p.get_or_add_pPr()
    borders = properties.makeelement(qn("w:pBdr"), {})
    bottom = borders.makeelement(
        qn("w:bottom"),
        {qn("w:val"): "single", qn("w:sz"): "6", qn("w:space"): "1", qn("w:color"): "000000"},
    )
    borders.append(bottom)
    properties.append(borders)
    run = paragraph.add_run("")
    _set_font(run, 2)


class _Writer:
    def __init__(self, document: Any) -> None:
        self.document = document

    def paragraph(
        self, text: str = "", *, bold: bool = False, italic: bool = False,
        size: float = BODY_PT, align: str = "justify", indent: bool = True, into: Any = None,
    ) -> Any:  # fmt: skip
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm

        target = self.document if into is None else into
        paragraph = target.add_paragraph()
        paragraph.alignment = {
            "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
            "center": WD_ALIGN_PARAGRAPH.CENTER,
            "left": WD_ALIGN_PARAGRAPH.LEFT,
        }[align]
        if indent and align == "justify":
            paragraph.paragraph_format.first_line_indent = Cm(1)
        if text:
            self.run(paragraph, text, bold=bold, italic=italic, size=size)
        return paragraph

    @staticmethod
    def run(
        paragraph: Any, text: str, *, bold: bool = False, italic: bool = False,
        size: float = BODY_PT,
    ) -> Any:  # fmt: skip
        run = paragraph.add_run(text)
        _set_font(run, size)
        run.bold = bold
        run.italic = italic
        return run

    def heading(self, text: str, level: int) -> Any:
        paragraph = self.document.add_heading(level=level)
        run = paragraph.add_run(text)
        _set_font(run, BODY_PT)
        run.bold = True
        return paragraph

    # --- the parts --------------------------------------------------------------------------

    def heading_block(self, report: ReviewReport) -> None:
        from docx.shared import Pt

        table = self.document.add_table(rows=1, cols=2)
        _no_borders(table)
        _widths(table, (6.0, 10.0))
        left, right = table.rows[0].cells
        issuer = (report.issuer_name or "………………").upper()
        first = _centre(left.paragraphs[0])
        self.run(first, issuer, bold=True, size=13)
        _rule(self.paragraph(into=left, align="center"), 1.7)
        number_line = self.paragraph(into=left, align="center", size=13)
        number_line.paragraph_format.space_before = Pt(6)
        self.run(number_line, f"Số:       /BC-{report.symbol}", size=13)
        motto = _centre(right.paragraphs[0])
        self.run(motto, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=13)
        motto.paragraph_format.space_after = Pt(0)
        slogan = self.paragraph(into=right, align="center")
        slogan.paragraph_format.space_after = Pt(0)
        self.run(slogan, "Độc lập - Tự do - Hạnh phúc", bold=True, size=13)
        _rule(self.paragraph(into=right, align="center"), 2.4)
        place = self.paragraph(into=right, align="center")
        place.paragraph_format.space_before = Pt(6)
        self.run(place, "…, ngày … tháng … năm …", italic=True, size=13)
        for cell in (left, right):
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = Pt(0)
        title = self.paragraph("BÁO CÁO", bold=True, align="center")
        title.paragraph_format.space_before = Pt(18)
        title.paragraph_format.space_after = Pt(0)
        subject = self.paragraph(
            f"{report.stage} phong trào thi đua “{report.campaign_title}”",
            bold=True, align="center",
        )  # fmt: skip
        subject.paragraph_format.space_after = Pt(0)
        if report.round_name.casefold() not in (STAGE_MIDTERM.casefold(), STAGE_FINAL.casefold()):
            self.paragraph(f"({report.round_name})", italic=True, align="center")
        _rule(self.paragraph(align="center", indent=False), 6.0)
        self.paragraph()

    def body(self, report: ReviewReport) -> None:
        numbering = iter(ROMAN)
        self.heading(f"{next(numbering)}. CÔNG TÁC TRIỂN KHAI", 1)
        self.launch(report)
        self.heading(f"{next(numbering)}. KẾT QUẢ ĐẠT ĐƯỢC", 1)
        self.heading("1. Số liệu tổng hợp", 2)
        self.figures(report)
        results = next((c for c in report.columns if c.key == RESULTS_KEY), None)
        if results is not None:
            self.heading("2. Kết quả của các đơn vị", 2)
            self.quotes(report, results.key)
        quoted = {key for key, _ in SECTIONS} | {RESULTS_KEY}
        sections = [(key, title) for key, title in SECTIONS
                    if any(c.key == key for c in report.columns)]  # fmt: skip
        # Text questions of the form that no section names keep their own section.
        sections += [(c.key, c.title.upper()) for c in report.columns
                     if c.type == "text" and c.key not in quoted]  # fmt: skip
        for key, title in sections:
            self.heading(f"{next(numbering)}. {title}", 1)
            self.quotes(report, key)

    def launch(self, report: ReviewReport) -> None:
        plan = f" số {report.plan_number}" if report.plan_number else ""
        period = ""
        if report.period_from and report.period_to:
            period = (
                f", thời gian thực hiện từ ngày {report.period_from:%d/%m/%Y}"
                f" đến ngày {report.period_to:%d/%m/%Y}"
            )
        issuer = report.issuer_name or "đơn vị"
        self.paragraph(
            f"Thực hiện Kế hoạch{plan} của {issuer} về việc phát động phong trào thi đua"
            f" “{report.campaign_title}”{period}, {issuer} báo cáo {report.stage.lower()}"
            " phong trào như sau:"
        )
        if report.summary:
            self.paragraph(report.summary)
        if report.targets:
            self.paragraph("Các chỉ tiêu của kế hoạch:")
            for target in report.targets:
                self.paragraph(f"- {target}")
        who = "đơn vị" if report.kind == "unit" else "cán bộ, giáo viên"
        counted = (
            f"Đến nay, {number(report.answered)}/{number(report.expected)} {who} đã gửi báo cáo"
            f" đợt «{report.round_name}»"
        )
        if report.late:
            counted += f" ({number(report.late)} báo cáo nộp sau hạn)"
        if report.created_at is not None:
            local = report.created_at.astimezone(report.timezone)
            counted += f" (số liệu đến {local.hour} giờ {local:%M} ngày {local:%d/%m/%Y})"
        self.paragraph(counted + ".")
        if report.missing_units:
            self.paragraph(
                "Các đơn vị chưa gửi đủ báo cáo: " + "; ".join(report.missing_units) + "."
            )

    def figures(self, report: ReviewReport) -> None:
        figures = [
            figure
            for column in report.columns
            if (figure := combine(column, report.answers, report.kind)) is not None
        ]
        if not figures:
            self.paragraph("Mẫu báo cáo không có câu hỏi số liệu.")
            return
        rows = [("TT", "Nội dung", "Tổng hợp", "Cách tính")] + [
            (str(index), figure.title, figure.value, figure.how)
            for index, figure in enumerate(figures, start=1)
        ]
        self.table(rows, widths_cm=(1.0, 6.5, 3.5, 5.0))
        self.units_table(report)
        note = self.paragraph(
            "Ghi chú: số liệu được cộng từ báo cáo của các đơn vị; tỷ lệ phần trăm chung là"
            " bình quân có trọng số theo số cán bộ, giáo viên của từng đơn vị trong danh sách"
            " của bot (tức là tỷ lệ trên tổng số người của các đơn vị), không phải trung bình"
            " cộng các tỷ lệ.",
            italic=True, size=SMALL_PT,
        )  # fmt: skip
        note.paragraph_format.first_line_indent = None

    def units_table(self, report: ReviewReport) -> None:
        numeric = [c for c in report.columns if c.type in ("number", "percent")]
        if not numeric or report.kind != "unit" or not report.answers:
            return
        caption = self.paragraph("Số liệu của từng đơn vị:", indent=True)
        caption.paragraph_format.keep_with_next = True
        header = ("TT", "Đơn vị", *(column.title for column in numeric))
        rows: list[tuple[str, ...]] = [header]
        for index, answer in enumerate(report.answers, start=1):
            cells = []
            for column in numeric:
                value = answer.answers.get(column.key)
                if not isinstance(value, int | float) or isinstance(value, bool):
                    cells.append("—")
                else:
                    cells.append(number(value) + ("%" if column.type == "percent" else ""))
            rows.append((str(index), answer.unit_name, *cells))
        totals = [combine(column, report.answers, report.kind) for column in numeric]
        rows.append(("", "Tổng cộng", *(figure.value if figure else "" for figure in totals)))
        other = max(1.5, 9.0 / len(numeric))
        self.table(rows, widths_cm=(1.0, 6.0, *([other] * len(numeric))), total_row=True,
                   numeric=True)  # fmt: skip

    def table(
        self, rows: Sequence[Sequence[str]], widths_cm: Sequence[float], total_row: bool = False,
        numeric: bool = False,
    ) -> None:  # fmt: skip
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        table = self.document.add_table(rows=len(rows), cols=len(rows[0]))
        table.style = "Table Grid"
        _widths(table, widths_cm)
        _repeat_header(table)
        last = len(rows) - 1
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                paragraph = table.cell(r, c).paragraphs[0]
                paragraph.paragraph_format.space_after = Pt(2)
                paragraph.paragraph_format.first_line_indent = None
                # A short table stays on one page: no lone total row on the next one.
                paragraph.paragraph_format.keep_with_next = r < last and last <= KEEP_TOGETHER
                heading = r == 0 or (total_row and r == last)
                centred = r == 0 or c == 0 or (numeric and c >= 2)
                paragraph.alignment = (
                    WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
                )
                self.run(paragraph, value, bold=heading, size=13)
        self.paragraph()

    def quotes(self, report: ReviewReport, key: str) -> None:
        """Each unit's answer to `key`, quoted under its name, in unit-tree order."""
        from docx.shared import Cm

        said = False
        for unit_name, group in groupby(report.answers, key=lambda answer: answer.unit_name):
            answers = [
                a for a in group if isinstance(a.answers.get(key), str) and a.answers[key].strip()
            ]
            if not answers:
                continue
            said = True
            self.paragraph(f"- {unit_name}:", bold=True)
            for answer in answers:
                if report.kind == "person":
                    self.paragraph(f"{answer.author}:", italic=False, indent=True)
                lines = [line.strip() for line in answer.answers[key].splitlines() if line.strip()]
                for number_, line in enumerate(lines):
                    text = ("“" if number_ == 0 else "") + line
                    text += "”" if number_ == len(lines) - 1 else ""
                    quote = self.paragraph(text, italic=True)
                    quote.paragraph_format.left_indent = Cm(1)
                    quote.paragraph_format.first_line_indent = None
        if not said:
            self.paragraph("Chưa có đơn vị nào nêu nội dung này.", italic=True)

    def signature(self) -> None:
        from docx.shared import Cm, Pt

        self.paragraph()
        table = self.document.add_table(rows=1, cols=2)
        _no_borders(table)
        left, right = table.rows[0].cells
        left.width, right.width = Cm(8), Cm(8)
        first = left.paragraphs[0]
        self.run(first, "Nơi nhận:", bold=True, italic=True, size=SMALL_PT)
        for line in ("- Như trên;", "- Lưu: VT, TĐKT."):
            paragraph = self.paragraph(line, size=11, align="left", into=left)
            paragraph.paragraph_format.space_after = Pt(0)
        first.paragraph_format.space_after = Pt(0)
        signer = _centre(right.paragraphs[0])
        self.run(signer, "THỦ TRƯỞNG ĐƠN VỊ", bold=True, size=BODY_PT)
        self.paragraph("(Ký, ghi rõ họ tên, đóng dấu)", italic=True, align="center", into=right)
