"""Every user-facing text, rendered from the Jinja2 templates beside this file.

`render` gives Telegram HTML (autoescaped, so a name like `<Lan & Hoa>` cannot break a message);
`label` gives plain text for buttons and command descriptions, from the macros in `labels.j2`.
Missing variables fail loudly (StrictUndefined) instead of sending a blank.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

_TAG = re.compile(r"<[^>]*>")

DEFAULT_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_timezone: ZoneInfo = DEFAULT_TIMEZONE


def set_timezone(timezone: ZoneInfo) -> None:
    """Dates and times are shown in the bot's time zone (BOT_TIMEZONE), set once at start-up."""
    global _timezone
    _timezone = timezone


def format_number(value: int | float | Decimal, decimals: int | None = None) -> str:
    """Vietnamese style: 1.240 and 12,5 (dot groups thousands, comma marks decimals)."""
    if decimals is None:
        is_whole = isinstance(value, int) or float(value).is_integer()
        decimals = 0 if is_whole else 2
    text = f"{value:,.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _local(value: datetime) -> datetime:
    return value.astimezone(_timezone) if value.tzinfo is not None else value


def format_date(value: date | datetime) -> str:
    if isinstance(value, datetime):
        value = _local(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime) -> str:
    return _local(value).strftime("%H:%M %d/%m/%Y")


def format_deadline(value: datetime) -> str:
    """A deadline as offices write it: 17 giờ 00 ngày 20/12/2026."""
    local = _local(value)
    return f"{local.hour} giờ {local.minute:02d} ngày {local.strftime('%d/%m/%Y')}"


_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}  # as bot/reminder_offsets.py reads them


def offset_groups(offsets: Iterable[timedelta]) -> list[tuple[str, list[int]]]:
    """Reminder offsets as a sentence says them, longest first: each in the largest unit it is
    a whole number of, neighbours of one unit together, the morning of the deadline day (0)
    last: 7d,3d,1d,0d is [("d", [7, 3, 1]), ("morning", [])], which the `offsets` macro of
    _macros.j2 says «7, 3, 1 ngày trước và sáng ngày hết hạn»."""
    groups: list[tuple[str, list[int]]] = []
    morning = False
    for offset in sorted(set(offsets), reverse=True):
        seconds = int(offset.total_seconds())
        if seconds == 0:
            morning = True
            continue
        unit = next(u for u, size in _UNIT_SECONDS.items() if seconds % size == 0)
        if groups and groups[-1][0] == unit:
            groups[-1][1].append(seconds // _UNIT_SECONDS[unit])
        else:
            groups.append((unit, [seconds // _UNIT_SECONDS[unit]]))
    if morning:
        groups.append(("morning", []))
    return groups


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with "…" (never mid-word)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–-") + "…"


def clip(text: str, limit: int) -> str:
    """At most `limit` characters, lines kept (unlike `shorten`): a long answer is cut at a
    space with "…", a short one is left exactly as written."""
    text = str(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


MAX_MESSAGE_LENGTH = 4096  # Telegram's limit, in UTF-16 code units of the parsed text


def fits(text: str) -> bool:
    """Does the text fit in one Telegram message? Of an HTML text, its length bounds the
    parsed text's (tags and entities only get shorter)."""
    return len(text.encode("utf-16-le")) // 2 <= MAX_MESSAGE_LENGTH


def most_that_fit(total: int, fits_with: Callable[[int], bool]) -> int:
    """The largest count in [0, total] for which the message fits (one listing none does)."""
    if fits_with(total):
        return total
    low, high = 0, total  # fits_with(low), not fits_with(high)
    while low < high - 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits_with(middle) else (low, middle)
    return low


@dataclass(frozen=True)
class Examples:
    """Example dates for prompts, taken from the current school year (September to May), so
    an office never reads an example that is already in the past."""

    day: date  # a day in the school year, not in the past
    deadline: date  # a plausible reporting deadline, in the future
    year_start: date
    year_end: date


def examples(now: datetime) -> Examples:
    today = _local(now).date()
    first = today.year if today.month >= 8 else today.year - 1  # the school year's first year
    year_start, year_end = date(first, 9, 5), date(first + 1, 5, 31)
    candidates = [date(first + 1, 1, 15), year_end, date(first + 2, 1, 15)]
    deadline = next(day for day in candidates if day > today)
    if today >= year_end:  # the summer: examples come from the school year ahead
        year_start, year_end = date(first + 1, 9, 5), date(first + 2, 5, 31)
    return Examples(day=max(today, year_start), deadline=deadline, year_start=year_start,
                    year_end=year_end)  # fmt: skip


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("messages", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # Templates ship with the package and change only with a new release (a restart):
        # no stat() of each template and its imports on every message.
        auto_reload=False,
    )
    env.filters["date"] = format_date
    env.filters["datetime"] = format_datetime
    env.filters["deadline"] = format_deadline
    env.filters["number"] = format_number
    env.filters["shorten"] = shorten
    env.filters["clip"] = clip
    env.filters["offset_groups"] = offset_groups
    env.globals["examples"] = examples
    return env


@cache
def _html() -> jinja2.Environment:
    return _environment(autoescape=True)


@cache
def _plain() -> jinja2.Environment:
    return _environment(autoescape=False)


def render(name: str, /, **context: Any) -> str:
    """The HTML text of `templates/<name>.j2`."""
    return _html().get_template(f"{name}.j2").render(**context).strip()


def render_text(name: str, /, **context: Any) -> str:
    """The same text without markup, for the command line and for nesting in other texts.

    Rendered as HTML first, so tags come only from templates and can be stripped, then
    unescaped: user data such as `<Lan & Hoa>` comes back exactly as it was.
    """
    return html.unescape(_TAG.sub("", render(name, **context)))


def label(name: str, /, **context: Any) -> str:
    """A plain-text label: the macro `name` of `templates/labels.j2`."""
    module = _plain().get_template("labels.j2").module
    macro = getattr(module, name, None)
    if macro is None:
        raise KeyError(f"no label macro {name!r} in labels.j2")
    return str(macro(**context)).strip()


def sample_file(name: str) -> bytes:
    """A file the bot hands out as an example (`samples/<name>`), such as a report form."""
    return (resources.files("messages") / "samples" / name).read_bytes()


def template_names() -> list[str]:
    """Every message template (for the test that renders them all)."""
    return sorted(
        name.removesuffix(".j2")
        for name in _html().list_templates(extensions=["j2"])
        if not name.startswith("_") and name != "labels.j2"
    )
