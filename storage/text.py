"""Text helpers shared by import and sorting: Vietnamese-aware folding and collation."""

from __future__ import annotations

import unicodedata
from functools import cache

# Vietnamese alphabet order: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y.
_BASE_ORDER = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_BASE_RANK = {letter: index for index, letter in enumerate(_BASE_ORDER)}
# Tones rank after the base letter: none, huyền, hỏi, ngã, sắc, nặng (the usual dictionary order).
_TONE_RANK = {"": 0, "\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve (ă), circumflex (â ê ô), horn (ơ ư)


def fold(text: str) -> str:
    """Lower-case, without diacritics, đ as d, only letters and digits: for matching headers."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed.lower() if ch.isalnum() and ch.isascii())


# Characters that show nothing but are not white space to `str.strip`: format characters
# (category Cf: zero-width space, joiners, BOM, word joiner, soft hyphen…) and a few letters
# and symbols drawn blank (Hangul fillers, the braille blank).
_BLANK_LOOKING = frozenset("\u115f\u1160\u2800\u3164\uffa0")


def invisible(char: str) -> bool:
    return char.isspace() or char in _BLANK_LOOKING or unicodedata.category(char) == "Cf"


def strip_invisible(text: str) -> str:
    """`text` without what shows nothing at either end; "" when nothing in it shows, so an
    answer of zero-width spaces is as empty as one of spaces."""
    start, end = 0, len(text)
    while start < end and invisible(text[start]):
        start += 1
    while end > start and invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def clean(value: object) -> str:
    """A cell's text: NFC, surrounding invisible characters and repeated inner white space
    removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value if isinstance(value, str) else str(value)
    # A 20,000-row roster has 120,000 cells, nearly all already NFC: check before converting.
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = " ".join(text.split())
    if text and (invisible(text[0]) or invisible(text[-1])):
        text = strip_invisible(text)
    return text


@cache  # a roster has a few hundred distinct characters and millions of them to sort
def _letter_key(char: str) -> tuple[int, int]:
    decomposed = unicodedata.normalize("NFD", char.lower())
    base, marks = decomposed[0], decomposed[1:]
    letter = base
    tone = 0
    for mark in marks:
        if mark in _LETTER_MARKS:
            letter = unicodedata.normalize("NFC", letter + mark)
        else:
            tone = _TONE_RANK.get(mark, 0)
    if base == "đ":
        letter = "đ"
    rank = _BASE_RANK.get(letter)
    if rank is None:
        return (len(_BASE_ORDER) + ord(letter), tone)
    return (rank, tone)


def vietnamese_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Collation key: letters in Vietnamese order first, tones only to break ties."""
    letters: list[int] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFC", text):
        if char.isspace():
            letters.append(-1)
            tones.append(0)
            continue
        letter, tone = _letter_key(char)
        letters.append(letter)
        tones.append(tone)
    return tuple(letters), tuple(tones)


def name_order_key(full_name: str) -> tuple[object, ...]:
    """Vietnamese offices list people by given name (the last word), then by the whole name."""
    words = full_name.split()
    given = words[-1] if words else ""
    return (vietnamese_key(given), vietnamese_key(full_name))
