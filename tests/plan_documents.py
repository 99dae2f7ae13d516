"""The test plans as an office's Word file: the plain-text plans of tests/data/plans laid out the
way plans are typeset (the issuing unit and number on the left of the header, the national motto
and the place and date on the right, the title centred in bold).

`layout()` is shared with tests/data/plans/make_pdfs.py, which typesets the same blocks as PDF.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

PLANS = Path(__file__).resolve().parent / "data" / "plans"
_MARKS = re.compile(r"\*+|^#+\s*")
_PREAMBLE = re.compile(r"^(Thực hiện|Căn cứ)\b")


@dataclass(frozen=True)
class Header:
    left: tuple[str, ...]
    right: tuple[str, ...]


@dataclass(frozen=True)
class Paragraph:
    text: str
    bold: bool = False
    centred: bool = False


def _clean(line: str) -> tuple[str, bool]:
    stripped = line.strip()
    bold = stripped.startswith(("**", "#"))
    return _MARKS.sub("", stripped).strip(), bold


def layout(text: str) -> tuple[Header, list[Paragraph]]:
    """The header block and the paragraphs of a plain-text plan (markdown marks become bold)."""
    lines = [_clean(line) for line in text.splitlines() if line.strip()]
    left: list[str] = []
    right: list[str] = []
    index = 0
    while index < len(lines) and lines[index][0] != "KẾ HOẠCH":
        line = lines[index][0]
        is_right = ", ngày" in line or line.startswith(("CỘNG HÒA", "Độc lập"))
        (right if is_right else left).append(line)
        index += 1
    paragraphs: list[Paragraph] = []
    in_title = True
    for line, bold in lines[index:]:
        if in_title and _PREAMBLE.match(line):
            in_title = False
        paragraphs.append(Paragraph(line, bold=bold or in_title, centred=in_title))
    return Header(tuple(left), tuple(right)), paragraphs


def docx_bytes(text: str) -> bytes:
    """A .docx of the plan: the header as a borderless two-column table, then the paragraphs."""
    header, paragraphs = layout(text)
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    if header.left or header.right:
        table = document.add_table(rows=1, cols=2)
        for cell, lines in zip(table.rows[0].cells, (header.left, header.right), strict=True):
            cell.paragraphs[0].text = ""
            for number, line in enumerate(lines):
                cell_paragraph = cell.paragraphs[0] if number == 0 else cell.add_paragraph()
                cell_paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run = cell_paragraph.add_run(line)
                run.bold = line.isupper()
                run.italic = ", ngày" in line
    for paragraph in paragraphs:
        added = document.add_paragraph()
        added.alignment = (
            WD_ALIGN_PARAGRAPH.CENTER if paragraph.centred else WD_ALIGN_PARAGRAPH.JUSTIFY
        )
        added.add_run(paragraph.text).bold = paragraph.bold
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def plan_bytes(name: str, kind: str) -> bytes:
    """A test plan's file as an office sends it: the .txt itself, a .docx made from it, or
    the shipped .pdf."""
    source = PLANS / f"{name}.txt"
    if kind == "txt":
        return source.read_bytes()
    if kind == "docx":
        return docx_bytes(source.read_text(encoding="utf-8"))
    return source.with_suffix(".pdf").read_bytes()
