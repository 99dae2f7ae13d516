"""Regenerate the .pdf beside each .txt plan in this folder (shipped, so CI needs no PDF writer).

Typesets the blocks of tests/plan_documents.layout() as a plan is printed: A4, DejaVu Serif
13 pt (a TrueType font with every Vietnamese glyph, embedded as a subset with its ToUnicode map,
as Word's "Save as PDF" does), the header in two columns, the title centred, the body justified.

Run from the repository root:  pip install fpdf2 && python tests/data/plans/make_pdfs.py
The font comes from Debian's fonts-dejavu-core (/usr/share/fonts/truetype/dejavu), or --fonts DIR.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.plan_documents import PLANS, layout  # noqa: E402

LINE = 6.5  # mm, 13 pt type at 1.3 line spacing


def typeset(text: str, fonts: Path) -> bytes:
    header, paragraphs = layout(text)
    pdf = FPDF(format="A4")
    pdf.set_margins(left=30, top=20, right=15)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_creation_date(datetime(2024, 1, 1, tzinfo=UTC))  # reproducible bytes
    pdf.add_font("serif", "", str(fonts / "DejaVuSerif.ttf"))
    pdf.add_font("serif", "B", str(fonts / "DejaVuSerif-Bold.ttf"))
    pdf.add_font("serif", "I", str(fonts / "DejaVuSerif-Italic.ttf"))
    pdf.add_page()
    top = pdf.get_y()
    bottom = top
    for x, width, lines in ((25, 75, header.left), (100, 100, header.right)):
        pdf.set_xy(x, top)
        for line in lines:
            style = "B" if line.isupper() else ("I" if ", ngày" in line else "")
            pdf.set_font("serif", style, 11)
            pdf.set_x(x)
            pdf.multi_cell(width, LINE, line, align="C", new_x="LMARGIN", new_y="NEXT")
        bottom = max(bottom, pdf.get_y())
    pdf.set_y(bottom + 4)
    for paragraph in paragraphs:
        pdf.set_font("serif", "B" if paragraph.bold else "", 13)
        pdf.multi_cell(0, LINE, paragraph.text, align="C" if paragraph.centred else "J")
        pdf.ln(2)
    return bytes(pdf.output())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fonts", type=Path, default=Path("/usr/share/fonts/truetype/dejavu"))
    fonts = parser.parse_args().fonts
    for source in sorted(PLANS.glob("*.txt")):
        target = source.with_suffix(".pdf")
        target.write_bytes(typeset(source.read_text(encoding="utf-8"), fonts))
        print(target.relative_to(ROOT), target.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
