"""A plan document's bytes as clean paragraphs of text: .txt, .docx, or .pdf with a text layer.

Synchronous and pure (no I/O beyond the bytes given), so the bot can run it in a worker thread.
Hostile files are expected: the size is capped before anything is parsed, a .docx's declared
uncompressed sizes are checked before it is unzipped (zipfile never inflates a member past its
declared size, so the check holds), a PDF's pages are capped (pypdf caps every decompressed
stream itself), and whatever a parser raises on a malformed file becomes a `PlanReadError`.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath
from typing import Any

MAX_BYTES = 20 * 1024 * 1024  # Telegram's own limit for a bot downloading a file
MAX_PAGES = 100  # plans run 3-15 pages; a 100-page PDF is no plan, and reading it costs seconds
MAX_DOCX_UNCOMPRESSED = 100 * 1024 * 1024  # all parts together, as declared in the zip
MAX_DOCX_MEMBERS = 2000
MAX_CHARS = 1_000_000  # a 3-15 page plan is 10-60 thousand characters


class PlanFormat(StrEnum):
    TXT = "txt"
    DOCX = "docx"
    PDF = "pdf"


class ReadErrorReason(StrEnum):
    """Why a file could not be read; `messages/` words each for the office."""

    UNSUPPORTED_TYPE = "unsupported_type"  # detail: doc, xlsx, odt, image, rtf, zip, or the suffix
    TOO_LARGE = "too_large"  # detail: bytes, uncompressed, members, pages, characters
    EMPTY = "empty"  # nothing but white space
    UNDECODABLE = "undecodable"  # detail: encoding, corrupt
    ENCRYPTED = "encrypted"  # a PDF with a password
    NO_TEXT_LAYER = "no_text_layer"  # a PDF of scanned pages (no OCR for now)


class PlanReadError(Exception):
    """The file cannot be read as a plan. `limit` and `actual` are set for TOO_LARGE."""

    def __init__(
        self,
        reason: ReadErrorReason,
        detail: str | None = None,
        *,
        limit: int | None = None,
        actual: int | None = None,
    ) -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail
        self.limit = limit
        self.actual = actual


@dataclass(frozen=True)
class PlanText:
    format: PlanFormat
    paragraphs: tuple[str, ...]
    pages: int | None = None  # PDFs only


def plan_text(data: bytes, file_name: str) -> PlanText:
    """The paragraphs of a plan file, cleaned (NFC, single spaces, no markdown marks)."""
    if len(data) > MAX_BYTES:
        raise PlanReadError(ReadErrorReason.TOO_LARGE, "bytes", limit=MAX_BYTES, actual=len(data))
    if not data.strip():
        raise PlanReadError(ReadErrorReason.EMPTY)
    kind = _sniff(data, file_name)
    pages: int | None = None
    if kind is PlanFormat.PDF:
        pages, raw = _pdf_paragraphs(data)
    elif kind is PlanFormat.DOCX:
        raw = _docx_paragraphs(data)
    else:
        raw = _decode_text(data).splitlines()
    paragraphs = _join_broken(p for p in (clean(line) for line in raw) if p)
    characters = sum(len(p) for p in paragraphs)
    if characters > MAX_CHARS:
        raise PlanReadError(
            ReadErrorReason.TOO_LARGE, "characters", limit=MAX_CHARS, actual=characters
        )
    if sum(ch.isalpha() for p in paragraphs for ch in p) < 20:
        if kind is PlanFormat.PDF:
            raise PlanReadError(ReadErrorReason.NO_TEXT_LAYER)
        raise PlanReadError(ReadErrorReason.EMPTY)
    return PlanText(kind, tuple(paragraphs), pages)


# --- which kind of file -------------------------------------------------------------------

_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*", b"BM")
_TEXT_SUFFIXES = {"", ".txt", ".text", ".md"}


def _sniff(data: bytes, file_name: str) -> PlanFormat:
    """The format by content first (a .pdf renamed .docx is still read), then by name."""
    suffix = PurePath(file_name).suffix.lower()
    if b"%PDF-" in data[:1024]:
        return PlanFormat.PDF
    if data.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE: Word 97-2003 .doc (or .xls)
        raise PlanReadError(ReadErrorReason.UNSUPPORTED_TYPE, "xls" if suffix == ".xls" else "doc")
    if (
        data.startswith(_IMAGE_MAGIC)
        or data[4:12] in (b"ftypheic", b"ftypmif1")
        or (data.startswith(b"RIFF") and data[8:12] == b"WEBP")
    ):
        raise PlanReadError(ReadErrorReason.UNSUPPORTED_TYPE, "image")
    if data.startswith(b"{\\rtf"):
        raise PlanReadError(ReadErrorReason.UNSUPPORTED_TYPE, "rtf")
    if suffix in (".pdf", ".docx"):
        raise PlanReadError(ReadErrorReason.UNDECODABLE, "corrupt")
    if suffix in _TEXT_SUFFIXES:
        return PlanFormat.TXT
    raise PlanReadError(ReadErrorReason.UNSUPPORTED_TYPE, suffix.lstrip("."))


def _sniff_zip(data: bytes) -> PlanFormat:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise PlanReadError(ReadErrorReason.UNDECODABLE, "corrupt") from error
    if "word/document.xml" in names:
        return PlanFormat.DOCX
    if "xl/workbook.xml" in names:
        raise PlanReadError(ReadErrorReason.UNSUPPORTED_TYPE, "xlsx")
    if "content.xml" in names:
        raise PlanReadError(ReadErrorReason.UNSUPPORTED_TYPE, "odt")
    raise PlanReadError(ReadErrorReason.UNSUPPORTED_TYPE, "zip")


# --- plain text ---------------------------------------------------------------------------


def _decode_text(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif data[:200].count(b"\x00") > len(data[:200]) // 4:  # UTF-16 saved without its BOM
        encoding = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise PlanReadError(ReadErrorReason.UNDECODABLE, "encoding") from error
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\r\n\t\f")
    if controls > len(text) // 100:  # a binary file named .txt
        raise PlanReadError(ReadErrorReason.UNDECODABLE, "encoding")
    return text


# --- .docx --------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIPPED = {_MC_FALLBACK, f"{_W}txbxContent", f"{_W}del", f"{_W}instrText", f"{_W}delText"}


def _docx_paragraphs(data: bytes) -> list[str]:
    """Every paragraph in reading order, those in tables (cell by cell) and text boxes too."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise PlanReadError(ReadErrorReason.UNDECODABLE, "corrupt") from error
    if len(members) > MAX_DOCX_MEMBERS:
        raise PlanReadError(
            ReadErrorReason.TOO_LARGE, "members", limit=MAX_DOCX_MEMBERS, actual=len(members)
        )
    declared = sum(member.file_size for member in members)
    if declared > MAX_DOCX_UNCOMPRESSED:
        raise PlanReadError(
            ReadErrorReason.TOO_LARGE, "uncompressed", limit=MAX_DOCX_UNCOMPRESSED, actual=declared
        )
    from docx import Document  # imported here: the bot loads it only when a plan comes in

    try:
        body = Document(io.BytesIO(data)).element.body
        return list(_docx_body_lines(body))
    except PlanReadError:
        raise
    except Exception as error:  # any parser failure on a malformed file
        raise PlanReadError(ReadErrorReason.UNDECODABLE, "corrupt") from error


def _docx_body_lines(body: Any) -> Iterator[str]:
    for paragraph in body.iter(f"{_W}p"):
        if any(ancestor.tag == _MC_FALLBACK for ancestor in paragraph.iterancestors()):
            continue  # the same text box again, for old Word versions
        yield from _docx_paragraph_text(paragraph).split("\n")


def _docx_paragraph_text(paragraph: Any) -> str:
    parts: list[str] = []

    def walk(element: Any) -> None:
        for child in element:
            tag = child.tag
            if tag in _SKIPPED or tag == f"{_W}p":
                continue  # nested paragraphs (text boxes) are yielded on their own
            if tag == f"{_W}t":
                parts.append(child.text or "")
            elif tag in (f"{_W}tab", f"{_W}ptab"):
                parts.append(" ")
            elif tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
            elif tag == f"{_W}noBreakHyphen":
                parts.append("-")
            else:
                walk(child)

    walk(paragraph)
    return "".join(parts)


# --- .pdf ---------------------------------------------------------------------------------

_COLUMN_GAP = re.compile(r"\s{3,}")
_PAGE_NUMBER = re.compile(r"^\s*(?:-\s*)?(?:Trang\s+)?\d{1,3}(?:\s*/\s*\d{1,3})?(?:\s*-)?\s*$")
_PARAGRAPH_START = re.compile(
    r"^(?:[-+•*–−]\s|\d{1,2}(?:\.\d{1,2})*[.)]\s|[IVX]{1,4}\.\s|[a-zđ]\)\s"
    r"|Thực hiện\s|Căn cứ\s|Nơi nhận\b)"
)
_TERMINAL = (".", ";", ":", "!", "?")
_SENTENCE_END = (".", "!", "?")
_RANGE_END = re.compile(r"^[-–]\s?\d")


def _pdf_paragraphs(data: bytes) -> tuple[int, list[str]]:
    from pypdf import PdfReader  # imported here: the bot loads it only when a plan comes in
    from pypdf.errors import FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PlanReadError(ReadErrorReason.ENCRYPTED)
        count = len(reader.pages)
        if count > MAX_PAGES:
            raise PlanReadError(ReadErrorReason.TOO_LARGE, "pages", limit=MAX_PAGES, actual=count)
        pages = [_page_lines(page) for page in reader.pages]
    except PlanReadError:
        raise
    except FileNotDecryptedError as error:
        raise PlanReadError(ReadErrorReason.ENCRYPTED) from error
    except Exception as error:  # any parser failure on a malformed file
        raise PlanReadError(ReadErrorReason.UNDECODABLE, "corrupt") from error
    return count, _pdf_join(pages)


def _page_lines(page: Any) -> list[str]:
    try:  # the layout mode keeps columns apart and indents, which the joining below reads
        text = page.extract_text(extraction_mode="layout")
    except Exception:
        text = page.extract_text()
    lines = [line.rstrip() for line in unicodedata.normalize("NFC", text or "").splitlines()]
    return [line for line in lines if line.strip() and not _PAGE_NUMBER.match(line)]


def _pdf_join(pages: list[list[str]]) -> list[str]:
    """Visual lines back into paragraphs; the header's two columns into one line per cell.

    A line runs on into the next unless it ends a sentence (or a clause, and the next starts in
    capitals), is short (the last line of a paragraph, or a heading: the layout mode's lines
    are only roughly as long as they are wide, so short means under 60 % of the longest), is in
    capitals while the next is not (or the other way round), or the next starts a list item, a
    heading or the preamble.
    """
    paragraphs: list[str] = []
    if pages and pages[0]:
        header_end = _header_end(pages[0])
        left: list[str] = []
        right: list[str] = []
        width = max(len(line) for line in pages[0])
        for line in pages[0][:header_end]:
            cells = _COLUMN_GAP.split(line.strip())
            indent = len(line) - len(line.lstrip())
            if len(cells) == 1 and indent > width * 0.4:
                right.append(cells[0])
            else:
                left.append(cells[0])
                right.extend(cells[1:])
        paragraphs.extend(left + right)
        pages = [pages[0][header_end:], *pages[1:]]
    current: list[str] = []  # the lines of the paragraph being read
    capitals = False  # whether all of them are in capitals
    previous_full = False
    for lines in pages:
        if not lines:
            continue
        width = max(len(line) for line in lines)
        for line in lines:
            text = " ".join(line.split())  # the layout mode spaces justified words apart
            if current and previous_full and _runs_on(current[-1], capitals, text):
                current.append(text)
                capitals = capitals and _is_capitals(text)
            else:
                if current:
                    paragraphs.append(" ".join(current))
                current, capitals = [text], _is_capitals(text)
            previous_full = len(line) >= width * 0.6
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def _header_end(lines: list[str]) -> int:
    """The header (unit, number, motto, place and date) ends at the line KẾ HOẠCH."""
    for index, line in enumerate(lines[:15]):
        if line.strip().upper().startswith("KẾ HOẠCH"):
            return index
    return 0


def _runs_on(last: str, capitals: bool, following: str) -> bool:
    """Whether `following` continues the paragraph whose last line is `last`."""
    if last[-1].isdigit() and _RANGE_END.match(following):
        return True  # "giai đoạn 2021" / "– 2025 (…)"
    if _PARAGRAPH_START.match(following) or last.endswith(_SENTENCE_END):
        return False
    if last.endswith((";", ":")) and not following[0].islower():
        return False
    return capitals == _is_capitals(following)


def _is_capitals(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


# --- cleaning -----------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_MARKDOWN = re.compile(r"\*+|^#{1,6}\s+|^>\s+")


def clean(line: str) -> str:
    """NFC, no invisible characters or markdown emphasis, single spaces, trimmed."""
    text = unicodedata.normalize("NFC", line).translate(_INVISIBLE)
    text = _SPACES.sub(" ", text).strip()
    return _SPACES.sub(" ", _MARKDOWN.sub("", text)).strip()


def _join_broken(paragraphs: Iterable[str]) -> list[str]:
    """Rejoin a sentence that a page break split in two: the first part ends with a comma, or
    without punctuation and the next part starts in lower case (and is no list item)."""
    joined: list[list[str]] = []
    capitals: list[bool] = []  # a joined paragraph has lower case, so only a lone part can
    for paragraph in paragraphs:
        if joined and not capitals[-1] and not _PARAGRAPH_START.match(paragraph):
            last = joined[-1][-1]
            if last.endswith(",") or (paragraph[0].islower() and not last.endswith(_TERMINAL)):
                joined[-1].append(paragraph)
                continue
        joined.append([paragraph])
        capitals.append(_is_capitals(paragraph))
    return [" ".join(parts) for parts in joined]
