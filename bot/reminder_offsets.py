"""Reminder offsets as people write them: REMINDER_OFFSETS (bot/config.py) and a round's own
offsets typed in /phatdong share this one parser.

The grammar is REMINDER_OFFSETS': numbers with a unit, `d` (days), `h` (hours), `m` (minutes)
or `s` (seconds), separated by commas — `7d,3d,1d,0d`. Vietnamese writing is understood too:
the units `ngày`, `giờ` (`g`, `tiếng`), `phút` (`p`), `giây` (with or without tone marks), a
unit shared by the numbers before it as a sentence has it (`5, 3, 1 ngày` is `5d,3d,1d`),
`;` or ` và ` between items and a closing `trước` (`2 ngày và 3 giờ trước`). Whole days
fall at 07:30 (`0d`: the morning of the deadline day); see bot/reminder_times.py.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_UNIT_WORDS = {
    "d": "d", "ngày": "d", "ngay": "d",
    "h": "h", "giờ": "h", "gio": "h", "g": "h", "tiếng": "h", "tieng": "h",
    "m": "m", "phút": "m", "phut": "m", "p": "m",
    "s": "s", "giây": "s", "giay": "s",
}  # fmt: skip
_SEPARATORS = re.compile(r"[,;]|\s+và\s+|\s+va\s+", re.IGNORECASE)
_ITEM = re.compile(r"(\d{1,6})\s*([^\W\d_]+)?")
_BEFORE = re.compile(r"\s+(?:trước|truoc)$", re.IGNORECASE)


class OffsetsError(ValueError):
    """`part` (the item as written, or the whole text when it is empty) is not an offset."""

    def __init__(self, part: str) -> None:
        super().__init__(part)
        self.part = part


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """The offsets in `text`, longest first, each once. OffsetsError names the first item
    that does not read: no number, a unit it does not know, or a number with no unit after it.
    """
    written = _BEFORE.sub("", unicodedata.normalize("NFC", text).strip())
    items: list[tuple[int, str | None, str]] = []
    for raw in _SEPARATORS.split(written):
        part = raw.strip()
        if not part:
            continue
        match = _ITEM.fullmatch(part)
        unit = _UNIT_WORDS.get(match[2].lower()) if match and match[2] else None
        if match is None or (match[2] and unit is None):
            raise OffsetsError(part)
        items.append((int(match[1]), unit, part))
    if not items:
        raise OffsetsError(text.strip())
    offsets: set[timedelta] = set()
    shared: str | None = None  # the unit written after a bare number: "5, 1 ngày"
    for number, unit, part in reversed(items):
        shared = unit or shared
        if shared is None:
            raise OffsetsError(part)
        offsets.add(timedelta(seconds=number * UNIT_SECONDS[shared]))
    return tuple(sorted(offsets, reverse=True))
