"""The campaign fields a plan (kế hoạch) states, each with the sentence it came from.

`read_plan(data, file_name, today)` reads a .docx, a .pdf with a text layer or a .txt and returns a
`PlanReading`: issuing unit, plan number, date, title, campaign name, period, targets, reporting
rounds, whether good examples are nominated every quarter, award forms and quotas, and the
award dossier. What the plan does not say comes back empty (None or an empty tuple), never
guessed. Values are codes and numbers, not sentences for people: `messages/` words them.

Reading follows how Vietnamese administrative documents are written (Nghị định 30/2020/NĐ-CP):
the header (governing body, issuing unit, "Số: …/KH-…", the place and date), "KẾ HOẠCH" and the
title lines, the preamble ("Thực hiện …, Sở … xây dựng kế hoạch …"), numbered sections, and the
list of recipients ("Nơi nhận") which is not read.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, time
from decimal import Decimal
from enum import StrEnum

from formats.plan_text import PlanFormat, PlanReadError, PlanText, ReadErrorReason, plan_text

__all__ = [
    "AwardForm",
    "AwardKind",
    "CampaignName",
    "DossierItem",
    "IssuingUnit",
    "Note",
    "PartialDate",
    "Period",
    "PeriodKind",
    "PlanDate",
    "PlanNumber",
    "PlanReadError",
    "PlanReading",
    "PlanWarning",
    "Qualifier",
    "Quantity",
    "QuarterlyNominations",
    "Quota",
    "ReadErrorReason",
    "ReportingRound",
    "RoundKind",
    "Target",
    "Title",
    "WarningCode",
    "read_plan",
    "read_plan_text",
]

# --- the result ---------------------------------------------------------------------------


class Note(StrEnum):
    """Something the office should know about how a value was read."""

    NUMBER_BLANK = "number_blank"  # "Số: /KH-SGDĐT": the number is filled in when issued
    DAY_BLANK = "day_blank"  # "ngày … tháng 10 năm 2022"
    MONTH_BLANK = "month_blank"  # "ngày … tháng … năm 2023"
    LOCALITY_FROM_TEXT = "locality_from_text"  # the unit's full name appears further on
    LOCALITY_FROM_DATE_LINE = "locality_from_date_line"  # the place before ", ngày"
    DEADLINE_YEAR_MISSING = "deadline_year_missing"  # "trước ngày 25/1"


@dataclass(frozen=True)
class PartialDate:
    """A date as far as the plan gives it: a year, a month of a year, or a day."""

    year: int
    month: int | None = None
    day: int | None = None

    def as_date(self) -> date | None:
        if self.month is None or self.day is None:
            return None
        return date(self.year, self.month, self.day)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def last_day(self) -> date:
        if self.day is not None and self.month is not None:
            return date(self.year, self.month, self.day)
        if self.month is None:
            return date(self.year, 12, 31)
        following = date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)


@dataclass(frozen=True)
class IssuingUnit:
    name: str  # "Sở Giáo dục và Đào tạo Bình Phước"
    sources: tuple[str, ...]
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class PlanNumber:
    text: str  # as written after "Số:", "123/KH-SGDĐT" or "/KH-SGDĐT"
    number: str | None  # "123"; None when left blank for the day it is issued
    symbol: str | None  # "KH-SGDĐT"
    sources: tuple[str, ...]
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class PlanDate:
    place: str | None  # "Bình Phước"
    date: PartialDate
    sources: tuple[str, ...]
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class Title:
    text: str  # the lines under "KẾ HOẠCH", joined
    sources: tuple[str, ...]


@dataclass(frozen=True)
class CampaignName:
    name: str  # the quoted name, without its quotes
    sources: tuple[str, ...]


class PeriodKind(StrEnum):
    PHASE = "phase"  # giai đoạn 2021-2025
    SCHOOL_YEAR = "school_year"  # năm học 2023-2024
    YEAR = "year"  # năm 2024
    DATES = "dates"  # only "từ ngày … đến ngày …"


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    text: str  # as written: "giai đoạn 2021-2025", "năm học 2023-2024", "từ ngày … đến ngày …"
    first_year: int
    last_year: int
    starts: PartialDate | None  # "bắt đầu từ tháng 9/2023"
    ends: PartialDate | None
    sources: tuple[str, ...]


class Qualifier(StrEnum):
    OVER = "over"  # trên, hơn, vượt
    AT_LEAST = "at_least"  # ít nhất, tối thiểu, từ, không dưới
    AT_MOST = "at_most"  # tối đa, không quá
    UNDER = "under"  # dưới


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    percent: bool
    qualifier: Qualifier | None
    text: str  # as written: "trên 50%", "ít nhất 01 huyện"


@dataclass(frozen=True)
class Target:
    text: str  # the item, without its list marker
    quantities: tuple[Quantity, ...]
    sources: tuple[str, ...]


class RoundKind(StrEnum):
    MID_TERM = "mid_term"  # sơ kết
    FINAL = "final"  # tổng kết
    QUARTERLY = "quarterly"  # hàng quý
    HALF_YEARLY = "half_yearly"  # định kỳ 6 tháng
    YEARLY = "yearly"  # hàng năm
    MONTHLY = "monthly"  # hàng tháng
    PERIODIC = "periodic"  # định kỳ, without saying how often


@dataclass(frozen=True)
class ReportingRound:
    kind: RoundKind
    deadline: date | None  # "trước ngày 25/1/2024": 25/1/2024
    deadline_time: time | None  # "trước 17 giờ 00 ngày …"
    deadline_text: str | None  # the deadline as written, also when it has no year
    timing: PartialDate | None  # when the review happens: "trong tháng 02/2024", "vào năm 2023"
    with_dossier: bool  # "báo cáo tổng kết và hồ sơ khen thưởng trước ngày …"
    sources: tuple[str, ...]
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class QuarterlyNominations:
    """The plan asks units to put forward good examples (điển hình tiên tiến) every quarter."""

    sources: tuple[str, ...]


class AwardKind(StrEnum):
    GIAY_KHEN = "giay_khen"
    BANG_KHEN = "bang_khen"
    CO_THI_DUA = "co_thi_dua"
    HUAN_CHUONG = "huan_chuong"


@dataclass(frozen=True)
class AwardForm:
    kind: AwardKind
    text: str  # "Bằng khen của Chủ tịch UBND tỉnh"
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Quota:
    count: int  # nominees allowed
    nominees: str  # as written: "một tập thể hoặc một cá nhân", "02 cá nhân"
    per: str  # "đơn vị cơ sở", "trường"
    per_quarter: bool
    award: AwardKind | None  # when the quota is for one award form
    sources: tuple[str, ...]


@dataclass(frozen=True)
class DossierItem:
    text: str  # "Tờ trình, tóm tắt thành tích"
    sources: tuple[str, ...]


class WarningCode(StrEnum):
    DEADLINE_PAST = "deadline_past"
    YEAR_OUTSIDE_PERIOD = "year_outside_period"


@dataclass(frozen=True)
class PlanWarning:
    code: WarningCode
    subject: str  # "date" (the plan's date), "period" (its start or end) or "round"
    when: PartialDate
    round_kind: RoundKind | None
    sources: tuple[str, ...]


@dataclass(frozen=True)
class PlanReading:
    format: PlanFormat
    pages: int | None
    issuing_unit: IssuingUnit | None
    number: PlanNumber | None
    date: PlanDate | None
    title: Title | None
    campaign_name: CampaignName | None
    period: Period | None
    targets: tuple[Target, ...]
    rounds: tuple[ReportingRound, ...]
    quarterly_nominations: QuarterlyNominations | None
    award_forms: tuple[AwardForm, ...]
    quotas: tuple[Quota, ...]
    dossier: tuple[DossierItem, ...]
    warnings: tuple[PlanWarning, ...] = field(default=())


def read_plan(data: bytes, file_name: str, today: date) -> PlanReading:
    """Read a plan file. Raises `PlanReadError` (with its reason) when it cannot be read."""
    return read_plan_text(plan_text(data, file_name), today)


def read_plan_text(text: PlanText, today: date) -> PlanReading:
    document = _Document(text.paragraphs)
    title = _title(document)
    period = _period(document, title)
    plan_date = _plan_date(document)
    rounds = _rounds(document)
    reading = PlanReading(
        format=text.format,
        pages=text.pages,
        issuing_unit=_issuing_unit(document, plan_date),
        number=_plan_number(document),
        date=plan_date,
        title=title,
        campaign_name=_campaign_name(document, title),
        period=period,
        targets=_targets(document),
        rounds=rounds,
        quarterly_nominations=_quarterly_nominations(document),
        award_forms=_award_forms(document),
        quotas=_quotas(document),
        dossier=_dossier(document),
    )
    return _with_warnings(reading, today)


# --- the document's parts -----------------------------------------------------------------

_ROMAN = r"(?:I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)"
_NUMBERED = re.compile(
    rf"^(?:(?P<roman>{_ROMAN})\.|(?P<sub>\d{{1,2}}\.\d{{1,2}})\.?|(?P<num>\d{{1,2}})[.)]"
    r"|(?P<letter>[a-zđ])\))\s+"
)
_MARKER = re.compile(
    rf"^(?:[-+•*–−]\s*|(?:{_ROMAN}|\d{{1,2}}(?:\.\d{{1,2}})*)[.)]\s+|[a-zđ]\)\s+)"
)
_PLAN_WORD = re.compile(r"^KẾ HOẠCH\b")
_RECIPIENTS = re.compile(r"^Nơi nhận\b")


@dataclass(frozen=True)
class _Paragraph:
    index: int
    text: str
    heading_level: int | None  # 1 (I.), 2 (1.), 3 (1.1.), 4 (a)), or None for body text
    section: tuple[str, ...]  # the headings it sits under, outermost first


class _Document:
    """The plan's paragraphs split into header, title and body, with their section headings."""

    def __init__(self, paragraphs: tuple[str, ...]) -> None:
        self.all = paragraphs
        plan_line = next(
            (i for i, p in enumerate(paragraphs[:25]) if _PLAN_WORD.match(p.upper())), None
        )
        self.plan_line = plan_line
        self.header = paragraphs[:plan_line] if plan_line is not None else paragraphs[:6]
        start = 0 if plan_line is None else plan_line + 1
        end = next(
            (i for i in range(start, len(paragraphs)) if _RECIPIENTS.match(paragraphs[i])),
            len(paragraphs),
        )
        self.title_lines: list[str] = []
        if plan_line is not None:
            rest = paragraphs[plan_line][len("KẾ HOẠCH") :].strip(" :-–")
            if rest:
                self.title_lines.append(rest)
            while start < end and _is_title_line(paragraphs[start], len(self.title_lines)):
                self.title_lines.append(paragraphs[start])
                start += 1
        self.body = list(_sections(paragraphs, start, end))

    def sentences(self) -> Iterator[tuple[_Paragraph, str]]:
        for paragraph in self.body:
            for sentence in split_sentences(paragraph.text):
                yield paragraph, sentence


_PREAMBLE = re.compile(r"^(?:Thực hiện|Căn cứ|Theo|Nhằm|Để|Trên cơ sở|Triển khai Kế hoạch)\b")
_DOCUMENT_REFERENCE = re.compile(r"\bsố\s+\d+/|\d+/(?:KH|QĐ|CT|NQ|CV|TB|HD)-")


def _is_title_line(text: str, lines_so_far: int) -> bool:
    if lines_so_far >= 5 or len(text) > 300 or text.endswith((":", ",")):
        return False
    if _PREAMBLE.match(text) or _NUMBERED.match(text) or _DOCUMENT_REFERENCE.search(text):
        return False
    return not re.fullmatch(r"[-_=*.…\s]+", text)


def _heading_level(text: str) -> int | None:
    match = _NUMBERED.match(text)
    short = (len(text) <= 160 and not text.endswith((".", ";", ","))) or text.endswith(":")
    if match and short:
        if match["roman"]:
            return 1
        if match["num"]:
            return 2
        return 3 if match["sub"] else 4
    if match and match["roman"] and len(text) <= 200:
        return 1
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 6 and all(ch.isupper() for ch in letters) and len(text) <= 160:
        return 1
    return None


def _sections(paragraphs: tuple[str, ...], start: int, end: int) -> Iterator[_Paragraph]:
    stack: list[tuple[int, str]] = []
    for index in range(start, end):
        text = paragraphs[index]
        level = _heading_level(text)
        if level is not None:
            while stack and stack[-1][0] >= level:
                stack.pop()
            yield _Paragraph(index, text, level, tuple(heading for _, heading in stack))
            stack.append((level, text))
        else:
            yield _Paragraph(index, text, None, tuple(heading for _, heading in stack))


_ABBREVIATIONS = ("TP.", "Tp.", "Q.", "P.", "TS.", "ThS.", "PGS.", "GS.", "BS.", "TT.", "Th.")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[”\")]?\s+(?=[“\"(]?[^\W_a-zđ])")


_LIST_NUMBER = re.compile(rf"(?:{_ROMAN}|\d{{1,2}})(?:\.\d{{1,2}})*\.")


def split_sentences(paragraph: str) -> list[str]:
    """A paragraph's sentences (a full stop followed by a capital or a digit ends one)."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_BREAK.finditer(paragraph):
        tail = paragraph[max(start, match.start() - 12) : match.start()]
        if tail.endswith(_ABBREVIATIONS) or _LIST_NUMBER.fullmatch(tail.strip()):
            continue  # "TP. Hồ Chí Minh", or the "1." of a list item
        following = paragraph[match.end() : match.end() + 1]
        if not (following.isupper() or following.isdigit() or following in '“"('):
            continue
        sentences.append(paragraph[start : match.start()].strip())
        start = match.end()
    sentences.append(paragraph[start:].strip())
    return [sentence for sentence in sentences if sentence]


def _strip_marker(text: str) -> str:
    return _MARKER.sub("", text, count=1).strip()


# --- number, date, unit -------------------------------------------------------------------

_NUMBER = re.compile(
    r"(?:^|\s)Số\s*:?\s*(?P<number>\d+[A-Za-z]?)?[\s.…_]*/\s*(?P<symbol>[A-ZĐ][\wĐđ&.\-–]*)"
)


def _plan_number(document: _Document) -> PlanNumber | None:
    for paragraph in document.header or document.all[:10]:
        match = _NUMBER.search(paragraph)
        if match:
            symbol = match["symbol"].rstrip(".-–")
            number = match["number"]
            text = f"{number or ''}/{symbol}"
            notes = () if number else (Note.NUMBER_BLANK,)
            return PlanNumber(text, number, symbol, (paragraph,), notes)
    return None


_PLACE_WORD = r"(?:[^\W\d_a-zđ][\w.]*|\d{1,2})"
_DATE_LINE = re.compile(
    rf"(?:^|\s)(?P<place>{_PLACE_WORD}(?:\s+{_PLACE_WORD}){{0,4}})\s*,\s*ngày[\s.…_]*"
    r"(?P<day>\d{1,2})?[\s.…_]*tháng[\s.…_]*(?P<month>\d{1,2})?[\s.…_]*năm[\s.…_]*"
    r"(?P<year>\d{4})"
)


def _plan_date(document: _Document) -> PlanDate | None:
    for paragraph in document.header or document.all[:10]:
        match = _DATE_LINE.search(paragraph)
        if not match:
            continue
        year = int(match["year"])
        month = int(match["month"]) if match["month"] else None
        day = int(match["day"]) if match["day"] else None
        if month is not None and not 1 <= month <= 12:
            month = None
        if day is not None and (month is None or not _valid(year, month, day)):
            day = None
        notes: list[Note] = []
        if day is None:
            notes.append(Note.DAY_BLANK)
        if month is None:
            notes.append(Note.MONTH_BLANK)
        return PlanDate(match["place"], PartialDate(year, month, day), (paragraph,), tuple(notes))
    return None


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


_EDUCATION = r"(?:Giáo dục và Đào tạo|Giáo dục - Đào tạo|GD&ĐT|GDĐT|GD-ĐT|GD và ĐT)"
_OFFICE = re.compile(rf"\b(?P<type>Sở|Phòng) {_EDUCATION}")
_ISSUES = re.compile(
    r"^\s*(?:xây dựng|ban hành|lập|triển khai|phát động|hướng dẫn)\b[^.;:]{0,40}?\b[Kk]ế hoạch"
)
_LEVEL_WORDS = ("tỉnh", "thành phố", "quận", "huyện", "thị xã")
_SECTOR_LOCALITY = re.compile(
    rf"ngành [Gg]iáo dục(?: và [Đđ]ào tạo)? (?P<level>{'|'.join(_LEVEL_WORDS)}) "
    r"(?P<name>[^\W\d_a-zđ][\w]*(?: [^\W\d_a-zđ][\w]*)*)"
)
_HEADER_MOTTO = re.compile(r"CỘNG HÒA|CỘNG HOÀ|ĐỘC LẬP|Độc lập|^KẾ HOẠCH|^DỰ THẢO")


def _issuing_unit(document: _Document, plan_date: PlanDate | None) -> IssuingUnit | None:
    from_header = _unit_from_header(document.header)
    if from_header is not None:
        return from_header
    for _, sentence in document.sentences():
        for match in _OFFICE.finditer(sentence):
            after = sentence[match.end() : match.end() + 120]
            locality, end = _locality(after)
            if _ISSUES.match(after[end:]):
                return _complete_unit(document, match["type"], locality, sentence, plan_date)
    return None


def _complete_unit(
    document: _Document,
    kind: str,
    locality: str,
    sentence: str,
    plan_date: PlanDate | None,
) -> IssuingUnit:
    base = f"{kind} Giáo dục và Đào tạo"
    if locality:
        return IssuingUnit(f"{base} {locality}", (sentence,))
    for _, other in document.sentences():
        for match in _OFFICE.finditer(other):
            if match["type"] != kind:
                continue
            found, _ = _locality(other[match.end() : match.end() + 120])
            if found:
                return IssuingUnit(
                    f"{base} {found}", (sentence, other), (Note.LOCALITY_FROM_TEXT,)
                )
    sector = _SECTOR_LOCALITY.search(sentence)
    if sector:
        level = sector["level"]
        name = sector["name"] if level == "tỉnh" else f"{level} {sector['name']}"
        return IssuingUnit(f"{base} {name}", (sentence,))
    if plan_date is not None and plan_date.place:
        return IssuingUnit(
            f"{base} {plan_date.place}",
            (sentence, *plan_date.sources),
            (Note.LOCALITY_FROM_DATE_LINE,),
        )
    return IssuingUnit(base, (sentence,))


def _locality(after: str) -> tuple[str, int]:
    """The place name right after a unit's name ("Bình Phước", "Quận 1", "thành phố Thuận An"),
    and where it ends in `after`."""
    tokens = list(re.finditer(r"\S+", after))
    words = [token[0] for token in tokens]
    level: list[str] = []
    if [w.lower() for w in words[:2]] in (["thành", "phố"], ["thị", "xã"]):
        level = words[:2]
    elif [w.lower() for w in words[:1]] in (["tỉnh"], ["quận"], ["huyện"]):
        level = words[:1]
    names: list[str] = []
    end = 0
    for token in tokens[len(level) :]:
        bare = token[0].rstrip(",;.:)")
        if not bare or bare in _NOT_PLACES:
            break
        if not (bare[0].isupper() or ((names or level) and bare.isdigit())):
            break
        names.append(bare)
        end = token.start() + len(bare)
        if bare != token[0]:
            break  # punctuation ends the name
    if not names:
        return "", 0
    if [w.lower() for w in level] == ["tỉnh"]:
        level = []  # "Sở Giáo dục và Đào tạo tỉnh Bình Phước" is written without "tỉnh"
    return " ".join([*level, *names]), end


_NOT_PLACES = {"Kế", "Ủy", "UBND", "Sở", "Phòng", "Ban", "Hội"}


def _unit_from_header(header: Iterable[str]) -> IssuingUnit | None:
    """The unit's lines stand in the header's left column, above "Số:"; the motto on the right
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", maybe wrapped over two lines) is no unit."""
    lines: list[str] = []
    for line in header:
        if _HEADER_MOTTO.search(line) or _NUMBER.search(line):
            break
        lines.append(line)
    capitals = [line for line in lines if _capitals(line) and not _DATE_LINE.search(line)]
    if not capitals:
        return None
    issuer = capitals[-1]
    parent = capitals[-2] if len(capitals) > 1 else None
    name = _unit_name(issuer, parent)
    sources = tuple(line for line in (parent, issuer) if line)
    return IssuingUnit(name, sources)


def _capitals(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 3 and all(ch.isupper() for ch in letters)


_UNIT_TYPES = {
    "SỞ GIÁO DỤC VÀ ĐÀO TẠO": "Sở Giáo dục và Đào tạo",
    "SỞ GD&ĐT": "Sở Giáo dục và Đào tạo",
    "SỞ GDĐT": "Sở Giáo dục và Đào tạo",
    "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO": "Phòng Giáo dục và Đào tạo",
    "PHÒNG GD&ĐT": "Phòng Giáo dục và Đào tạo",
    "PHÒNG GDĐT": "Phòng Giáo dục và Đào tạo",
}
_GOVERNING = re.compile(r"^(?:UBND|ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN)\s+")
_PLACE_LEVELS = ("TỈNH ", "THÀNH PHỐ ", "TP. ", "QUẬN ", "HUYỆN ", "THỊ XÃ ")


def _unit_name(issuer: str, parent: str | None) -> str:
    for prefix, proper in _UNIT_TYPES.items():
        if issuer.startswith(prefix):
            locality = issuer[len(prefix) :].strip(" -–")
            parent_place = _GOVERNING.sub("", parent or "")
            if not locality and parent_place.startswith(_PLACE_LEVELS):
                locality = parent_place
            if not locality:
                return proper
            return f"{proper} {_place_name(locality, province=proper.startswith('Sở'))}"
    return " ".join(
        word if word in _ACRONYMS else (word.capitalize() if i == 0 else word.title())
        for i, word in enumerate(issuer.split())
    )


_ACRONYMS = {"THCS", "THPT", "TH", "MN", "MG", "PTDTNT", "PTDTBT", "GDTX", "GDNN", "UBND", "GD&ĐT"}


def _place_name(capitals: str, *, province: bool) -> str:
    """ "TỈNH BÌNH PHƯỚC" → "Bình Phước"; "THÀNH PHỐ ĐỒNG XOÀI" → "thành phố Đồng Xoài"."""
    words = capitals.split()
    level = ""
    for candidate in _PLACE_LEVELS:
        if capitals.startswith(candidate):
            level = candidate.strip()
            words = capitals[len(candidate) :].split()
            break
    name = " ".join(word.capitalize() for word in words)
    if not level or level == "TỈNH":
        return name
    if level == "TP.":
        level = "THÀNH PHỐ"
    if province and level == "THÀNH PHỐ":
        return f"Thành phố {name}"
    if name.isdigit():  # "Quận 1"
        return f"{level.capitalize()} {name}"
    return f"{level.lower()} {name}"


# --- title, name, period ------------------------------------------------------------------


def _title(document: _Document) -> Title | None:
    if not document.title_lines:
        return None
    text = " ".join(document.title_lines)
    return Title(text, (text,))


_QUOTED = r"[“\"](?P<name>[^”\"]{3,300})[”\"]"
_NAMED = re.compile(
    r"(?:[Tt]ên (?:gọi )?(?:của )?(?:phong trào(?: thi đua)?|chủ đề)|với (?:tên gọi|chủ đề)|"
    rf"[Cc]hủ đề(?: thi đua)?)\s*(?:là|:)?\s*{_QUOTED}"
)
_CAMPAIGN_IN_TITLE = re.compile(rf"[Pp]hong trào(?: thi đua)?\s*(?:với chủ đề\s*)?{_QUOTED}")


def _campaign_name(document: _Document, title: Title | None) -> CampaignName | None:
    for _, sentence in document.sentences():
        match = _NAMED.search(sentence)
        if match:
            return CampaignName(_unquote(match["name"]), (sentence,))
    if title is not None:
        match = _CAMPAIGN_IN_TITLE.search(title.text)
        if match:
            return CampaignName(_unquote(match["name"]), title.sources)
    return None


def _unquote(name: str) -> str:
    return name.strip().rstrip(".,;")


_DASH = r"\s*[-–—]\s*"
_PHASE = re.compile(rf"giai đoạn\s+(?P<first>\d{{4}}){_DASH}(?P<last>\d{{4}})", re.IGNORECASE)
_SCHOOL_YEAR = re.compile(rf"năm học\s+(?P<first>\d{{4}}){_DASH}(?P<last>\d{{4}})", re.IGNORECASE)
_YEAR = re.compile(r"\bnăm\s+(?P<first>\d{4})\b(?!\s*[-–—]\s*\d)", re.IGNORECASE)
_DATE = (
    r"(?:ngày\s+)?(?P<{0}d>\d{{1,2}})\s*/\s*(?P<{0}m>\d{{1,2}})\s*/\s*(?P<{0}y>\d{{4}})"
    r"|(?:ngày\s+)?(?P<{0}d2>\d{{1,2}})\s+tháng\s+(?P<{0}m2>\d{{1,2}})\s+năm\s+(?P<{0}y2>\d{{4}})"
    r"|tháng\s+(?P<{0}m3>\d{{1,2}})\s*(?:/|năm)\s*(?P<{0}y3>\d{{4}})"
)
_FROM_TO = re.compile(
    rf"(?:từ|bắt đầu(?: từ)?)\s+(?:{_DATE.format('a')})"
    rf"(?:\s*(?:đến|tới|-|–)\s*(?:hết\s+)?(?:{_DATE.format('b')}))?",
    re.IGNORECASE,
)
_PERIOD_SENTENCE = re.compile(
    r"[Tt]hời gian (?:phát động|thực hiện|triển khai|tổ chức)|[Tt]hời gian:", re.IGNORECASE
)


def _partial(match: re.Match[str], prefix: str) -> PartialDate | None:
    for day_key, month_key, year_key in (
        (f"{prefix}d", f"{prefix}m", f"{prefix}y"),
        (f"{prefix}d2", f"{prefix}m2", f"{prefix}y2"),
        (None, f"{prefix}m3", f"{prefix}y3"),
    ):
        if match[year_key]:
            year, month = int(match[year_key]), int(match[month_key])
            day = int(match[day_key]) if day_key and match[day_key] else None
            if not 1 <= month <= 12 or (day is not None and not _valid(year, month, day)):
                return None
            return PartialDate(year, month, day)
    return None


def _period(document: _Document, title: Title | None) -> Period | None:
    kind: PeriodKind | None = None
    text = ""
    first = last = 0
    sources: list[str] = []
    if title is not None:
        for pattern, found_kind in (
            (_PHASE, PeriodKind.PHASE),
            (_SCHOOL_YEAR, PeriodKind.SCHOOL_YEAR),
            (_YEAR, PeriodKind.YEAR),
        ):
            match = pattern.search(title.text)
            if match:
                kind, text = found_kind, match[0]
                first = int(match["first"])
                last = int(match["last"]) if "last" in match.groupdict() else first
                sources.append(title.text)
                break
    starts = ends = None
    for paragraph, sentence in document.sentences():
        in_time_section = any("thời gian" in h.lower() for h in paragraph.section)
        if not (_PERIOD_SENTENCE.search(sentence) or in_time_section):
            continue
        if re.search(r"sơ kết|tổng kết|báo cáo", sentence, re.IGNORECASE):
            continue
        match = _FROM_TO.search(sentence)
        if not match:
            continue
        starts, ends = _partial(match, "a"), _partial(match, "b")
        if starts is None and ends is None:
            continue
        sources.append(sentence)
        if kind is None:
            kind = PeriodKind.DATES
            text = match[0]
            first = (starts or ends or PartialDate(0)).year
            last = (ends or starts or PartialDate(0)).year
        break
    if kind is None:
        return None
    return Period(kind, text, first, last, starts, ends, tuple(sources))


# --- targets ------------------------------------------------------------------------------

_QUALIFIERS = (
    ("không dưới", Qualifier.AT_LEAST),
    ("ít nhất", Qualifier.AT_LEAST),
    ("tối thiểu", Qualifier.AT_LEAST),
    ("không quá", Qualifier.AT_MOST),
    ("tối đa", Qualifier.AT_MOST),
    ("trên", Qualifier.OVER),
    ("hơn", Qualifier.OVER),
    ("vượt", Qualifier.OVER),
    ("dưới", Qualifier.UNDER),
    ("từ", Qualifier.AT_LEAST),
)
_QUANTITY = re.compile(
    r"(?:(?P<qualifier>không dưới|ít nhất|tối thiểu|không quá|tối đa|trên|hơn|vượt|dưới|từ)\s+)?"
    r"(?<![\d/.,])(?P<value>\d{1,3}(?:\.\d{3})+|\d+(?:,\d+)?)(?![\d/])"
    r"(?:\s*(?P<percent>%)|(?=\s+(?P<noun>[^\W\d]+(?: [^\W\d]+)?)))",
    re.IGNORECASE,
)
_NOT_COUNTS = re.compile(
    r"^(?:năm|tháng|ngày|giờ|phút|lần thứ|khóa|kỳ|quý|học kỳ|giai|trang)\b", re.IGNORECASE
)
_YEAR_CONTEXT = re.compile(
    r"(?:năm|giai đoạn|khóa|nhiệm kỳ|số|thứ|Quận|Phường|Huyện)\s*$", re.IGNORECASE
)
# Nouns of two words counted in plans ("02 sáng kiến"); any other count takes one word.
_COMPOUNDS = {
    "sáng kiến",
    "phong trào",
    "cơ sở",
    "học sinh",
    "giáo viên",
    "cán bộ",
    "tập thể",
    "cá nhân",
    "đơn vị",
    "mô hình",
    "đề tài",
    "công trình",
    "sản phẩm",
    "giờ dạy",
    "tiết dạy",
    "bài viết",
    "học bổng",
    "điển hình",
}


def quantities(text: str) -> tuple[Quantity, ...]:
    """Percentages and counts in a target ("trên 50%", "ít nhất 01 huyện"), not years or dates."""
    found: list[Quantity] = []
    for match in _QUANTITY.finditer(text):
        start = match.start("value")
        if _YEAR_CONTEXT.search(text[max(0, start - 20) : start]):
            continue
        value = Decimal(match["value"].replace(".", "").replace(",", "."))
        phrase = match[0]
        if not match["percent"]:
            noun = match["noun"] or ""
            if _NOT_COUNTS.match(noun) or not noun[:1].islower() or 1900 <= value <= 2100:
                continue
            two_words = " ".join(noun.split()[:2])
            phrase = f"{match[0]} {two_words if two_words in _COMPOUNDS else noun.split()[0]}"
        qualifier = dict(_QUALIFIERS).get((match["qualifier"] or "").lower())
        found.append(Quantity(value, bool(match["percent"]), qualifier, phrase))
    return tuple(found)


def _targets(document: _Document) -> tuple[Target, ...]:
    targets: list[Target] = []
    for paragraph in document.body:
        if paragraph.heading_level is not None:
            continue
        in_section = any(_is_target_heading(h) for h in paragraph.section)
        inline = re.match(
            r"^(?:[-+•]\s*)?Chỉ tiêu(?: thi đua)?\s*:\s*(?P<rest>.+)", paragraph.text
        )
        if in_section:
            text = _strip_marker(paragraph.text)
        elif inline:
            text = inline["rest"].strip()
        else:
            continue
        targets.append(Target(text, quantities(text), (paragraph.text,)))
    return tuple(targets)


def _is_target_heading(heading: str) -> bool:
    lowered = heading.lower()
    return "chỉ tiêu" in lowered and "khen thưởng" not in lowered


# --- reporting rounds ---------------------------------------------------------------------

_REVIEW = re.compile(
    r"(?P<kind>sơ kết|tổng kết)"
    r"(?!\s*(?:,|và)?\s*(?:nhân rộng|kinh nghiệm|bài học|các mô hình|mô hình|điển hình|"
    r"thực tiễn|lý luận))",
    re.IGNORECASE,
)
_DEADLINE = re.compile(
    r"(?:trước|chậm nhất|hạn chót|hạn cuối|hạn nộp|không quá|muộn nhất)"
    r"(?:\s+(?:là|vào|:))?\s*:?\s*"
    r"(?:(?P<hour>\d{1,2})\s*(?:giờ|h|g)\s*(?P<minute>\d{2})?\s*(?:phút)?\s*,?\s*)?"
    r"(?:ngày\s+)?"
    r"(?P<date>(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})(?:\s*/\s*(?P<y>\d{4}))?"
    r"|(?P<d2>\d{1,2})\s+tháng\s+(?P<m2>\d{1,2})(?:\s+năm\s+(?P<y2>\d{4}))?)",
    re.IGNORECASE,
)
_TIMING = re.compile(
    r"(?:trong|vào|đến|cuối|đầu)?\s*(?:tháng\s+(?P<m>\d{1,2})\s*(?:/|năm)\s*(?P<y>\d{4})"
    r"|năm\s+(?P<y2>\d{4})(?!\s*[-–]\s*\d))",
    re.IGNORECASE,
)
_RECURRING = (
    (re.compile(r"hàng tháng|hằng tháng|mỗi tháng", re.IGNORECASE), RoundKind.MONTHLY),
    (
        re.compile(r"hàng quý|hằng quý|mỗi quý|theo quý|báo cáo quý", re.IGNORECASE),
        RoundKind.QUARTERLY,
    ),
    (
        re.compile(
            r"(?:định kỳ|mỗi|hàng|báo cáo)\s+(?:0?6|sáu) tháng|(?:0?6|sáu) tháng một lần",
            re.IGNORECASE,
        ),
        RoundKind.HALF_YEARLY,
    ),
    (re.compile(r"hàng năm|hằng năm|mỗi năm|báo cáo năm", re.IGNORECASE), RoundKind.YEARLY),
    (re.compile(r"định kỳ", re.IGNORECASE), RoundKind.PERIODIC),
)
_ROUND_ORDER = list(RoundKind)


@dataclass
class _RoundFacts:
    kind: RoundKind
    deadline: date | None = None
    deadline_time: time | None = None
    deadline_text: str | None = None
    timing: PartialDate | None = None
    with_dossier: bool = False
    year_missing: bool = False
    deadline_sources: list[str] = field(default_factory=list)
    timing_sources: list[str] = field(default_factory=list)
    other_sources: list[str] = field(default_factory=list)

    def freeze(self) -> ReportingRound:
        sources = list(dict.fromkeys(self.deadline_sources + self.timing_sources))
        sources += [s for s in self.other_sources if s not in sources]
        notes = (Note.DEADLINE_YEAR_MISSING,) if self.year_missing else ()
        return ReportingRound(
            self.kind,
            self.deadline,
            self.deadline_time,
            self.deadline_text,
            self.timing,
            self.with_dossier,
            tuple(sources[:3]),
            notes,
        )


def _rounds(document: _Document) -> tuple[ReportingRound, ...]:
    facts: dict[RoundKind, _RoundFacts] = {}
    for _, sentence in document.sentences():
        _review_rounds(sentence, facts)
        for clause in re.split(r";", sentence):
            if not re.search(r"báo cáo", clause, re.IGNORECASE):
                continue
            for pattern, kind in _RECURRING:
                if pattern.search(clause):
                    round_facts = facts.setdefault(kind, _RoundFacts(kind))
                    round_facts.other_sources.append(sentence)
                    break
    return tuple(facts[kind].freeze() for kind in _ROUND_ORDER if kind in facts)


def _review_rounds(sentence: str, facts: dict[RoundKind, _RoundFacts]) -> None:
    mentions = [
        (m.start(), RoundKind.MID_TERM if m["kind"].lower() == "sơ kết" else RoundKind.FINAL)
        for m in _REVIEW.finditer(sentence)
    ]
    if not mentions:
        return
    for _, kind in mentions:
        facts.setdefault(kind, _RoundFacts(kind))
    deadlines = list(_DEADLINE.finditer(sentence))
    taken = [(m.start(), m.end()) for m in deadlines]
    for match in deadlines:
        mention_start, kind = _owner(mentions, match.start())
        round_facts = facts[kind]
        if round_facts.deadline is not None or round_facts.deadline_text is not None:
            continue
        day, month = int(match["d"] or match["d2"]), int(match["m"] or match["m2"])
        year_text = match["y"] or match["y2"]
        round_facts.deadline_text = match["date"]
        if year_text and _valid(int(year_text), month, day):
            round_facts.deadline = date(int(year_text), month, day)
        elif not year_text:
            round_facts.year_missing = True
        if match["hour"] and int(match["hour"]) < 24 and int(match["minute"] or 0) < 60:
            round_facts.deadline_time = time(int(match["hour"]), int(match["minute"] or 0))
        if re.search(r"hồ sơ", sentence[mention_start : match.start()], re.IGNORECASE):
            round_facts.with_dossier = True
        round_facts.deadline_sources.append(sentence)
    for match in _TIMING.finditer(sentence):
        inside = bisect.bisect_right(taken, (match.start(), len(sentence))) - 1
        if inside >= 0 and taken[inside][0] <= match.start() < taken[inside][1]:
            continue
        if not (match["y"] or match["y2"]):
            continue
        _, kind = _owner(mentions, match.start())
        round_facts = facts[kind]
        if round_facts.timing is not None:
            continue
        if match["y"]:
            month = int(match["m"])
            if not 1 <= month <= 12:
                continue
            round_facts.timing = PartialDate(int(match["y"]), month)
        else:
            round_facts.timing = PartialDate(int(match["y2"]))
        round_facts.timing_sources.append(sentence)
    for _, kind in mentions:
        facts[kind].other_sources.append(sentence)


def _owner(mentions: list[tuple[int, RoundKind]], position: int) -> tuple[int, RoundKind]:
    """The round a deadline or time belongs to: the nearest one named before it, else the first
    (with where it is named)."""
    before = bisect.bisect_left(mentions, position, key=lambda mention: mention[0])
    return mentions[before - 1] if before else mentions[0]


# --- nominations, awards, quotas, dossier -------------------------------------------------

_QUARTERLY = re.compile(r"hàng quý|hằng quý|mỗi quý|theo quý|từng quý|quý một lần", re.IGNORECASE)
_GOOD_EXAMPLES = re.compile(r"điển hình|gương", re.IGNORECASE)


def _quarterly_nominations(document: _Document) -> QuarterlyNominations | None:
    sources = [
        sentence
        for _, sentence in document.sentences()
        if _QUARTERLY.search(sentence) and _GOOD_EXAMPLES.search(sentence)
    ]
    return QuarterlyNominations(tuple(sources)) if sources else None


_AWARD = re.compile(r"giấy khen|bằng khen|cờ thi đua|huân chương", re.IGNORECASE)
_AWARD_KINDS = {
    "giấy khen": AwardKind.GIAY_KHEN,
    "bằng khen": AwardKind.BANG_KHEN,
    "cờ thi đua": AwardKind.CO_THI_DUA,
    "huân chương": AwardKind.HUAN_CHUONG,
}
_AWARD_END = re.compile(r"\s+cho\s|\s+theo tiêu chuẩn|[;:.](?:\s|$)|\.$|\s+\(")


def _award_forms(document: _Document) -> tuple[AwardForm, ...]:
    forms: dict[tuple[AwardKind, str], AwardForm] = {}
    for _, sentence in document.sentences():
        item = _strip_marker(sentence)
        for match in _AWARD.finditer(item):
            kind = _AWARD_KINDS[match[0].lower()]
            rest = item[match.start() : match.start() + 300]  # a form is named in a line
            end = _AWARD_END.search(rest)
            text = rest[: end.start()] if end else rest
            if match.start() > 0:
                text = text.split(",")[0]
            text = text.strip().rstrip(".;,")
            text = text[0].upper() + text[1:]
            forms.setdefault((kind, text.lower()), AwardForm(kind, text, (sentence,)))
    # "Đối với Giấy khen:" says less than "Giấy khen của Giám đốc Sở" elsewhere: keep the latter.
    qualified = {form.kind for form in forms.values() if form.text.lower() not in _AWARD_KINDS}
    return tuple(
        form
        for form in forms.values()
        if form.text.lower() not in _AWARD_KINDS or form.kind not in qualified
    )


_NUMBER_WORDS = {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5}
_EACH = re.compile(
    r"\b(?:[Mm]ỗi\s+(?P<per>[^,;.]{2,40}?)"
    r"|[Cc]ác\s+(?P<units>đơn vị|trường|cơ sở giáo dục|cơ quan|phòng|tổ)(?:\s+trực thuộc)?)"
    r"\s+(?:được\s+)?(?:xét\s+)?"
    r"(?:lựa chọn|chọn|đề nghị|đề xuất|giới thiệu|bình chọn|xét chọn|xét)\b"
)
_NOMINEES = re.compile(
    r"(?:(?:tối đa|không quá)\s+)?(?P<count>\d{1,2}|một|hai|ba|bốn|năm)\s+"
    r"(?P<who>tập thể|cá nhân|gương(?: điển hình)?(?: tiên tiến)?|điển hình(?: tiên tiến)?|người)"
    r"(?:\s+(?P<joint>hoặc|và)\s+(?P<count2>\d{1,2}|một|hai|ba|bốn|năm)\s+(?:tập thể|cá nhân))?"
)


def _quotas(document: _Document) -> tuple[Quota, ...]:
    quotas: list[Quota] = []
    for paragraph, sentence in document.sentences():
        per_quarter = bool(_QUARTERLY.search(sentence))
        for clause in sentence.split(";"):
            each = _EACH.search(clause)
            if not each:
                continue
            nominees = _NOMINEES.search(clause, each.end())
            if not nominees:
                continue
            count = _count(nominees["count"])
            if nominees["joint"] == "và":
                count += _count(nominees["count2"])
            award = _award_in((*paragraph.section, clause))
            quotas.append(
                Quota(
                    count,
                    nominees[0],
                    (each["per"] or each["units"]).strip(),
                    per_quarter,
                    award,
                    (sentence,),
                )
            )
    return tuple(quotas)


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _award_in(texts: Iterable[str]) -> AwardKind | None:
    for text in reversed(list(texts)):
        match = _AWARD.search(text)
        if match:
            return _AWARD_KINDS[match[0].lower()]
    return None


_INLINE_DOSSIER = re.compile(r"^(?:[-+•]\s*)?Hồ sơ[^:]{0,80}?:\s*(?P<items>.+)$", re.IGNORECASE)


def _dossier(document: _Document) -> tuple[DossierItem, ...]:
    items: list[DossierItem] = []
    for paragraph in document.body:
        in_section = any(
            h.lower().lstrip("0123456789. ").startswith("hồ sơ")
            or _strip_marker(h).lower().startswith("hồ sơ")
            for h in paragraph.section
        )
        if paragraph.heading_level is None and in_section:
            text = _strip_marker(paragraph.text).rstrip(".;")
            items.append(DossierItem(text, (paragraph.text,)))
            continue
        inline = _INLINE_DOSSIER.match(paragraph.text)
        if inline and paragraph.heading_level is None:
            raw = inline["items"].rstrip(".")
            parts = raw.split(";") if ";" in raw else raw.split(",")
            for part in parts:
                text = part.strip().rstrip(".")
                if text:
                    items.append(DossierItem(text[0].upper() + text[1:], (paragraph.text,)))
    return tuple(items)


# --- warnings -----------------------------------------------------------------------------


def _window(period: Period) -> tuple[date, date]:
    """The days a period covers: a school year runs from August to the next August."""
    if period.kind is PeriodKind.SCHOOL_YEAR:
        return date(period.first_year, 8, 1), date(period.last_year, 8, 31)
    first = period.starts.first_day if period.starts else date(period.first_year, 1, 1)
    last = period.ends.last_day if period.ends else date(period.last_year, 12, 31)
    return min(first, date(period.first_year, 1, 1)), max(last, date(period.last_year, 12, 31))


def _with_warnings(reading: PlanReading, today: date) -> PlanReading:
    warnings: list[PlanWarning] = []
    window = _window(reading.period) if reading.period else None

    def outside(when: PartialDate, *, earliest: date | None = None) -> bool:
        assert window is not None
        start = earliest or window[0]
        return when.last_day < start or when.first_day > window[1]

    if window and reading.date is not None:
        # A plan may be issued the year before its period starts.
        earliest = date(window[0].year - 1, 1, 1)
        if outside(reading.date.date, earliest=earliest):
            warnings.append(
                PlanWarning(
                    WarningCode.YEAR_OUTSIDE_PERIOD,
                    "date",
                    reading.date.date,
                    None,
                    reading.date.sources,
                )
            )
    for round_ in reading.rounds:
        moments = [PartialDate(d.year, d.month, d.day) for d in (round_.deadline,) if d]
        if round_.timing:
            moments.append(round_.timing)
        for moment in moments:
            if window and outside(moment):
                warnings.append(
                    PlanWarning(
                        WarningCode.YEAR_OUTSIDE_PERIOD,
                        "round",
                        moment,
                        round_.kind,
                        round_.sources,
                    )
                )
        if round_.deadline is not None and round_.deadline < today:
            deadline = round_.deadline
            warnings.append(
                PlanWarning(
                    WarningCode.DEADLINE_PAST,
                    "round",
                    PartialDate(deadline.year, deadline.month, deadline.day),
                    round_.kind,
                    round_.sources,
                )
            )
    if reading.period and window:
        for bound in (reading.period.starts, reading.period.ends):
            if bound and outside(bound):
                warnings.append(
                    PlanWarning(
                        WarningCode.YEAR_OUTSIDE_PERIOD,
                        "period",
                        bound,
                        None,
                        reading.period.sources,
                    )
                )
    return replace(reading, warnings=tuple(warnings))
