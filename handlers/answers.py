"""Answers to report questions: what a person typed becomes a value, or an `InputError` whose
template says what is expected. Pure functions, no Telegram objects, so every rule is testable.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sized
from datetime import date
from decimal import Decimal

from formats.forms import Question, QuestionType
from handlers.inputs import InputError, parse_date
from messages import format_date, format_number, label
from storage.text import fold, strip_invisible

Answer = str | float | int | bool | date

TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files to bots
MAX_DIGITS = 15  # beyond this a float no longer holds the number exactly
SHOWN = 40  # how much of a wrong answer is quoted back

_YES = frozenset({"co", "c", "yes", "y", "u", "uh", "dung", "vang", "ok", "true"})
_NO = frozenset({"khong", "k", "ko", "kg", "no", "n", "sai", "false"})
_SIGN = re.compile(r"[+\-−]")
_BODY = re.compile(r"[0-9][0-9.,]*")
_PERCENT_SUFFIX = re.compile(r"\s*(?:%|phần\s*trăm|phan\s*tram)$", re.IGNORECASE)
_CHOICE_NUMBER = re.compile(r"([0-9]{1,2})\s*[.)]?")
# Programs are never evidence; anything else (photos, PDFs, Office files, videos) is accepted.
_REFUSED_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-dosexec",
        "application/x-executable",
        "application/vnd.microsoft.portable-executable",
        "application/x-msi",
        "application/x-sh",
        "application/x-bat",
        "application/vnd.android.package-archive",
    }
)


def parse_answer(question: Question, text: str) -> Answer:
    """The value of a typed answer; raises `InputError` saying what the question expects."""
    text = strip_invisible(unicodedata.normalize("NFC", text))
    if not text:
        raise InputError("answer_empty", {"question": question})
    match question.type:
        case QuestionType.TEXT:
            if len(text) > question.max_length:
                values = {"length": len(text), "maximum": question.max_length}
                raise InputError("answer_too_long", values)
            return text
        case QuestionType.NUMBER:
            return _parse_number(question, text)
        case QuestionType.PERCENT:
            return _parse_percent(text)
        case QuestionType.YESNO:
            return _parse_yesno(text)
        case QuestionType.CHOICE:
            return _parse_choice(question, text)
        case QuestionType.DATE:
            return parse_date(text)
        case QuestionType.FILES:
            # Words where a photo or document is expected: say how to send evidence.
            raise InputError("answer_expect_files", {"question": question})
    raise ValueError(f"unknown question type {question.type!r}")


def parse_number(text: str) -> Decimal | None:
    """A number as Vietnamese write it, or None.

    "1.234" and "1.234.567" group thousands (groups of exactly three after each dot), "12,5" is
    a decimal, "1.234,5" both; "12.5" (a dot not followed by three digits) is read as a decimal,
    as is "0.250" (nobody groups a leading zero). Spaces between digits are ignored.
    """
    compact = "".join(text.split())
    sign = ""
    if compact and _SIGN.fullmatch(compact[0]):
        sign, compact = ("" if compact[0] == "+" else "-"), compact[1:]
    if _BODY.fullmatch(compact) is None or not compact[-1].isdigit():
        return None
    digits = _plain_digits(compact)
    if digits is None or len(digits.replace(".", "").lstrip("0")) > MAX_DIGITS:
        return None
    return Decimal(sign + digits)


def _plain_digits(text: str) -> str | None:
    """`text` (digits, dots, commas) rewritten with at most one '.' as the decimal point."""
    dots, commas = text.count("."), text.count(",")
    if dots and commas:  # the last separator marks the decimals, the other groups thousands
        point = "," if text.rfind(",") > text.rfind(".") else "."
        group = "." if point == "," else ","
        whole, _, fraction = text.partition(point)
        if point in fraction or not _grouped(whole, group):
            return None
        return whole.replace(group, "") + "." + fraction
    if commas == 1:
        return text.replace(",", ".")
    if dots == 1:
        whole, _, fraction = text.partition(".")
        thousands = len(fraction) == 3 and whole != "0"
        return whole + fraction if thousands else text
    if dots or commas:
        group = "." if dots else ","
        return text.replace(group, "") if _grouped(text, group) else None
    return text


def _grouped(text: str, separator: str) -> bool:
    head, *groups = text.split(separator)
    return 1 <= len(head) <= 3 and all(len(group) == 3 for group in groups)


def _whole_or_float(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def _parse_number(question: Question, text: str) -> int | float:
    value = parse_number(text)
    if value is None:
        raise InputError("answer_not_number", {"text": _shown(text), "question": question})
    if question.integer and value != value.to_integral_value():
        raise InputError("answer_not_integer", {"text": _shown(text)})
    number = _whole_or_float(value)
    low, high = question.minimum, question.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        raise InputError("answer_number_range", {"value": number, "minimum": low, "maximum": high})
    return number


def _parse_percent(text: str) -> int | float:
    value = parse_number(_PERCENT_SUFFIX.sub("", text))
    if value is None:
        raise InputError("answer_not_percent", {"text": _shown(text)})
    number = _whole_or_float(value)
    if not 0 <= number <= 100:
        raise InputError("answer_percent_range", {"value": number})
    return number


def _parse_yesno(text: str) -> bool:
    folded = fold(text)
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise InputError("answer_not_yesno", {"text": _shown(text)})


def _parse_choice(question: Question, text: str) -> str:
    folded = fold(text)
    for choice in question.choices:
        if choice.casefold() == text.casefold() or (folded and fold(choice) == folded):
            return choice
    # A number is the choice's position, unless a choice is itself that text (matched above).
    match = _CHOICE_NUMBER.fullmatch(text)
    if match is not None and 1 <= int(match[1]) <= len(question.choices):
        return question.choices[int(match[1]) - 1]
    raise InputError("answer_not_choice", {"text": _shown(text), "choices": question.choices})


def check_file(
    question: Question, file_size: int | None, mime_type: str | None, *, count: int = 0,
    name: str = "",
) -> None:  # fmt: skip
    """Whether one more file (after `count` already received) can be kept as evidence."""
    if question.type is not QuestionType.FILES:
        raise ValueError(f"question {question.key!r} does not take files")
    if count >= question.max_files:
        raise InputError("answer_too_many_files", {"limit": question.max_files})
    if file_size == 0:
        raise InputError("file_empty", {"name": name})
    if file_size is not None and file_size > TELEGRAM_DOWNLOAD_LIMIT:
        values = {
            "size_mb": round(file_size / (1024 * 1024), 1),
            "limit_mb": TELEGRAM_DOWNLOAD_LIMIT // (1024 * 1024),
        }
        raise InputError("answer_file_too_big", values)
    if mime_type is not None and mime_type.lower() in _REFUSED_TYPES:
        raise InputError("answer_file_type", {"mime_type": mime_type})


def format_answer(question: Question, value: Answer | Sized | None) -> str:
    """An answer as the summary shows it; None is a skipped question, files show their count."""
    if value is None:
        return label("answer_skipped")
    match question.type:
        case QuestionType.YESNO:
            return label("yes") if value else label("no")
        case QuestionType.NUMBER if isinstance(value, int | float):
            return format_number(value, _decimals(value))
        case QuestionType.PERCENT if isinstance(value, int | float):
            return label("answer_percent", value=format_number(value, _decimals(value)))
        case QuestionType.DATE if isinstance(value, date):
            return format_date(value)
        case QuestionType.DATE if isinstance(value, str):  # stored as ISO text in JSON
            return format_date(date.fromisoformat(value))
        case QuestionType.FILES:
            count = len(value) if isinstance(value, Sized) else int(str(value))
            return label("answer_files", count=count)
    return str(value)


def _decimals(value: float) -> int:
    """As many decimals as the answer had (12,345 stays 12,345), up to six."""
    if float(value).is_integer():
        return 0
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return min(-int(exponent), 6) if isinstance(exponent, int) else 2
