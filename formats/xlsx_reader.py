"""The first worksheet of an XLSX file, read with bounded time and memory, whatever the file.

An XLSX file is a zip of XML parts. A careless or hostile one can declare a sheet 16,384 columns
wide, inflate a megabyte into gigabytes of whitespace, or carry a shared-strings table of
millions of entries; a general reader (openpyxl) pads, inflates and loads all of it. This one
checks each part's size and compression ratio before inflating it, streams the XML through
expat a chunk at a time, keeps only the cells of the columns asked for, and resolves only the
shared strings those cells use. Nothing else of the workbook (styles, formulas, other sheets)
is read: the values are the ones Excel saved with the file.

`XlsxError.code` names what is wrong: `bad_xlsx` (not a workbook, damaged, encrypted, or XML
an XLSX never holds) or `xlsx_too_big` (a part, inflated, over the limits).
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Callable, Container, Generator, Iterator
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

# A zip's central directory entry starts with this; a workbook has a few dozen parts.
_CENTRAL_ENTRY = b"PK\x01\x02"
_CHUNK = 256 * 1024  # inflated bytes fed to the parser at a time


@dataclass(frozen=True)
class Limits:
    max_parts: int = 10_000  # zip entries (a workbook has a few dozen)
    max_sheet_bytes: int = 256 * 1024 * 1024  # the worksheet's XML, inflated
    max_strings_bytes: int = 128 * 1024 * 1024  # the shared strings' XML, inflated
    max_small_bytes: int = 8 * 1024 * 1024  # workbook.xml and relationships
    max_ratio: int = 100  # inflated / compressed, for parts over `ratio_floor`
    ratio_floor: int = 1024 * 1024
    # XML elements of one part: a cell is two or three, so 100,000 rows of 20 columns. This
    # bounds the time a part can take (about half a microsecond an element).
    max_elements: int = 6_000_000
    max_pending: int = 4 * 1024 * 1024  # one tag, comment or attribute, at most
    max_cell_chars: int = 1_000  # characters kept of one cell's text


class XlsxError(Exception):
    def __init__(self, code: str, **values: Any) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


# A cell's text, or (an int) the index of its text in the shared strings table: an int, not an
# object, because a roster has hundreds of thousands of them.
Cell = str | int
Row = tuple[int, dict[int, Cell]]  # the row's number as Excel shows it, cells by column (0 = A)


class XlsxBook:
    """Opens the zip and finds the first worksheet and the shared strings, checking sizes."""

    def __init__(self, data: bytes, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        if data.count(_CENTRAL_ENTRY) > self.limits.max_parts:
            raise XlsxError("xlsx_too_big", part="zip")
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise XlsxError("bad_xlsx", detail=type(exc).__name__) from exc
        workbook = self._target(self._relations("_rels/.rels"), "/officeDocument")
        workbook = workbook or "xl/workbook.xml"
        relations = self._relations(_rels_of(workbook))
        sheet = None
        for rel_id in self._sheet_ids(workbook):
            kind, target = relations.get(rel_id, ("", ""))
            if kind.endswith("/worksheet"):
                sheet = _resolve(workbook, target)
                break
        self.sheet = self._info(sheet or "xl/worksheets/sheet1.xml", self.limits.max_sheet_bytes)
        strings = self._target(relations, "/sharedStrings", base=workbook)
        strings = strings or "xl/sharedStrings.xml"
        self.strings: zipfile.ZipInfo | None = None
        if strings in self.archive.NameToInfo:  # a sheet of numbers or inline text has none
            self.strings = self._info(strings, self.limits.max_strings_bytes)

    # ---- parts ---------------------------------------------------------------------------

    def _info(self, name: str, limit: int) -> zipfile.ZipInfo:
        info = self.archive.NameToInfo.get(name)
        if info is None:
            raise XlsxError("bad_xlsx", detail=f"missing {name}")
        if info.flag_bits & 0x1:
            raise XlsxError("bad_xlsx", detail="encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # bzip2 and lzma inflate a whole read at once, whatever its size: Excel never
            # writes them.
            raise XlsxError("bad_xlsx", detail="compression")
        inflated, packed = info.file_size, max(info.compress_size, 1)
        if inflated > limit:
            raise XlsxError("xlsx_too_big", part=name, size=inflated)
        if inflated > self.limits.ratio_floor and inflated / packed > self.limits.max_ratio:
            raise XlsxError("xlsx_too_big", part=name, size=inflated)
        return info

    def _parse(
        self, info: zipfile.ZipInfo, parser: Any, done: Callable[[], bool] = lambda: False
    ) -> Iterator[None]:
        """Feed the part to `parser` a chunk at a time, yielding after each chunk (so the
        caller can take what the handlers gathered, and stop early); `done` ends it."""
        fed = 0
        try:
            with self.archive.open(info) as member:
                while chunk := member.read(_CHUNK):
                    parser.Parse(chunk, False)
                    fed += len(chunk)
                    if fed - parser.CurrentByteIndex > self.limits.max_pending:
                        raise XlsxError("bad_xlsx", detail="token too long")
                    yield
                    if done():
                        return
            parser.Parse(b"", True)
            yield
        except expat.ExpatError as exc:
            raise XlsxError("bad_xlsx", detail=f"XML: {exc}") from exc
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise XlsxError("bad_xlsx", detail=type(exc).__name__) from exc

    def _small(self, name: str, start: Callable[[str, dict[str, str]], None]) -> None:
        if name not in self.archive.NameToInfo:
            return
        parser = _parser()
        parser.StartElementHandler = lambda tag, attrs: start(_local(tag), attrs)
        for _ in self._parse(self._info(name, self.limits.max_small_bytes), parser):
            pass

    def _relations(self, name: str) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}

        def start(tag: str, attrs: dict[str, str]) -> None:
            if tag == "Relationship" and "Id" in attrs:
                found[attrs["Id"]] = (attrs.get("Type", ""), attrs.get("Target", ""))

        self._small(name, start)
        return found

    @staticmethod
    def _target(relations: dict[str, tuple[str, str]], suffix: str, base: str = "") -> str | None:
        for kind, target in relations.values():
            if kind.endswith(suffix):
                return _resolve(base, target)
        return None

    def _sheet_ids(self, workbook: str) -> list[str]:
        ids: list[str] = []

        def start(tag: str, attrs: dict[str, str]) -> None:
            if tag == "sheet":
                ids.extend(value for key, value in attrs.items() if _local(key) == "id")

        self._small(workbook, start)
        return ids

    # ---- the sheet -----------------------------------------------------------------------

    def rows(
        self, columns: Container[int] | None = None, width: int = 256
    ) -> Generator[Row, None, None]:
        """The sheet's rows in order, with the cells of `columns` (None: the first `width`
        columns) that hold something. Rows without such cells are left out."""
        reader = _SheetReader(self.limits, columns, width)
        parser = _parser()
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.text
        for _ in self._parse(self.sheet, parser):
            if reader.done:
                yield from reader.done
                reader.done.clear()

    def shared(self, wanted: set[int]) -> dict[int, str]:
        """The texts of these entries of the shared strings table (read up to the last)."""
        found: dict[int, str] = {}
        if not wanted or self.strings is None:
            return found
        reader = _StringsReader(self.limits, wanted, found)
        parser = _parser()
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.text
        last = max(wanted)
        for _ in self._parse(self.strings, parser, done=lambda: reader.index > last):
            pass
        return found


def _parser() -> Any:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 64 * 1024

    def refuse(*_: object) -> None:
        # A document type can declare entities that expand; an XLSX part never has one.
        raise XlsxError("bad_xlsx", detail="DOCTYPE")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _local(tag: str) -> str:
    """The tag without its namespace prefix (`x:row` is a row, as some writers spell it)."""
    return tag.rpartition(":")[2]


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


_COLUMNS: dict[str, int] = {}


def _column(ref: str) -> int:
    """0 for A1, 27 for AB3; -1 when the reference has no letters."""
    letters = ref.rstrip("0123456789$")
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for char in letters.upper():
            if not "A" <= char <= "Z":
                break
            index = index * 26 + ord(char) - 64
        index -= 1
        if len(_COLUMNS) < 20_000:
            _COLUMNS[letters] = index
    return index


class _Budget:
    """Counts elements down from the limit (the handlers run once per element: kept lean)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.left = limits.max_elements

    def spent(self) -> None:
        raise XlsxError("xlsx_too_big", part="elements", size=self.limits.max_elements)


class _TextReader(_Budget):
    """What a worksheet's and the shared strings' handlers share: the text of the element
    being kept, gathered up to the cell limit, phonetic hints (<rPh>) left out."""

    def __init__(self, limits: Limits) -> None:
        super().__init__(limits)
        self.keep = False
        self.collect = False
        self.skip = 0  # inside <rPh> (phonetic hints, not the text)
        self.parts: list[str] = []
        self.size = 0

    def text(self, data: str) -> None:
        if self.collect and self.size < self.limits.max_cell_chars:
            self.parts.append(data[: self.limits.max_cell_chars - self.size])
            self.size += len(data)


class _SheetReader(_TextReader):
    """Expat handlers for a worksheet: rows of wanted cells, gathered in `done`."""

    def __init__(self, limits: Limits, columns: Container[int] | None, width: int) -> None:
        super().__init__(limits)
        self.columns: Container[int] = range(width) if columns is None else columns
        self.done: list[Row] = []
        self.line = 0
        self.cells: dict[int, Cell] = {}
        self.column = -1
        self.kind = ""

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.left -= 1
        if self.left < 0:
            self.spent()
        if ":" in tag:
            tag = _local(tag)
        if tag == "c":
            ref = attrs.get("r")
            self.column = _column(ref) if ref else self.column + 1
            self.keep = self.column in self.columns
            if self.keep:
                self.kind = attrs.get("t", "n")
                self.parts = []
                self.size = 0
        elif tag == "v" or tag == "t":
            self.collect = self.keep and not self.skip
        elif tag == "row":
            number = attrs.get("r", "")
            self.line = int(number) if number.isdigit() else self.line + 1
            self.cells = {}
            self.column = -1
        elif tag == "rPh":
            self.skip += 1

    def end(self, tag: str) -> None:
        if ":" in tag:
            tag = _local(tag)
        if tag == "c":
            if self.keep and self.parts:
                value = "".join(self.parts)
                if self.kind == "s":
                    if value.strip().isdigit():
                        self.cells[self.column] = int(value)
                else:
                    self.cells[self.column] = _typed(value, self.kind)
            self.keep = False
        elif tag == "v" or tag == "t":
            self.collect = False
        elif tag == "row":
            if self.cells:
                self.done.append((self.line, self.cells))
        elif tag == "rPh":
            self.skip -= 1


def _typed(value: str, kind: str) -> str:
    """A cell's text as openpyxl gave it to `storage.text.clean`: a number without a
    fraction as an integer (912000001, not 912000001.0), booleans as True and False."""
    if kind == "n":
        value = value.strip()
        if value.isdigit():
            return str(int(value))
        try:
            number = float(value)
        except ValueError:
            return value
        return str(int(number)) if number.is_integer() else str(number)
    if kind == "b":
        return "True" if value.strip() == "1" else "False"
    return value


class _StringsReader(_TextReader):
    """Expat handlers for the shared strings table, keeping the entries asked for."""

    def __init__(self, limits: Limits, wanted: set[int], found: dict[int, str]) -> None:
        super().__init__(limits)
        self.wanted = wanted
        self.found = found
        self.index = -1

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.left -= 1
        if self.left < 0:
            self.spent()
        if ":" in tag:
            tag = _local(tag)
        if tag == "si":
            self.index += 1
            self.keep = self.index in self.wanted
            self.parts = []
            self.size = 0
        elif tag == "t":
            self.collect = self.keep and not self.skip
        elif tag == "rPh":
            self.skip += 1

    def end(self, tag: str) -> None:
        if ":" in tag:
            tag = _local(tag)
        if tag == "si":
            if self.keep:
                self.found[self.index] = "".join(self.parts)
            self.keep = False
        elif tag == "t":
            self.collect = False
        elif tag == "rPh":
            self.skip -= 1
