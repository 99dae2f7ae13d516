"""Choosing units as buttons: the office's part of the unit tree, paged, each unit a toggle,
with search by name and typed codes (any case). The flow keeps a `Picker` in its draft, so a
restart resumes where the office was; this module only shows and changes it.

Button data: `pd:u:t:<unit id>` (toggle), `pd:u:p:<page>`, `pd:u:all` (leave the search),
`pd:u:done`: short, bounded, and checked against the office's scope when pressed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from handlers.common import BotContext, say
from messages import label, render
from storage.access import scope_unit_ids
from storage.models import Actor
from storage.text import fold
from storage.unit_tree import UnitEntry, unit_tree

PAGE_SIZE = 8
PREFIX = "pd:u:"
DONE = f"{PREFIX}done"
PATTERN = rf"^{PREFIX}(t:\d{{1,12}}|p:\d{{1,6}}|all|done)$"
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass
class Picker:
    """The choice so far: chosen unit ids, the search typed (empty: the whole tree), the page."""

    chosen: list[int] = field(default_factory=list)
    query: str = ""
    page: int = 0


@dataclass(frozen=True)
class Units:
    tree: list[UnitEntry]  # every active unit (to tell an unknown code from one out of scope)
    scoped: list[UnitEntry]  # those the office may choose, depth counted from its top unit


@dataclass(frozen=True)
class Codes:
    found: list[int]
    unknown: list[str]
    outside: list[str]


async def units_for(context: BotContext, actor: Actor | None) -> Units:
    tree = await unit_tree(context.db)
    scope = await scope_unit_ids(context.db, actor) if actor else set()
    scoped = [u for u in tree if scope is None or u.id in scope]
    top = min((u.depth for u in scoped), default=0)
    return Units(tree, [replace(u, depth=u.depth - top) for u in scoped])


def matches(units: list[UnitEntry], query: str) -> list[UnitEntry]:
    """Units whose name or code contains the query, regardless of case and diacritics."""
    wanted = fold(query)
    if not wanted:
        return list(units)
    return [u for u in units if wanted in fold(u.name) or wanted in fold(u.code)]


def read_codes(text: str, units: Units) -> Codes | None:
    """The text as a list of unit codes (any case); None when no word of it is a code."""
    tokens = [token for token in _SEPARATORS.split(text) if token]
    by_code: dict[str, UnitEntry] = {}
    for unit in units.tree:
        by_code.setdefault(unit.code.casefold(), unit)
    known = [by_code[t.casefold()] for t in tokens if t.casefold() in by_code]
    if not known:
        return None
    allowed = {u.id for u in units.scoped}
    return Codes(
        found=[u.id for u in known if u.id in allowed],
        unknown=[t for t in tokens if t.casefold() not in by_code],
        outside=[u.code for u in known if u.id not in allowed],
    )


@dataclass(frozen=True)
class Typed:
    """What a typed message did: the picker after it and the units it added, or a refusal
    (a template and its values) that leaves the picker as it was."""

    picker: Picker
    added: list[str] = field(default_factory=list)
    refusal: str | None = None
    values: dict[str, Any] = field(default_factory=dict)


SHOWN_CODES = 10  # codes a refusal lists; the others are counted ("… và 312 mã khác")


def _refused_codes(unknown: list[str], outside: list[str]) -> dict[str, Any]:
    """What a refusal shows of the codes: each once, the first few, and how many more (a
    pasted page of names would otherwise make a message Telegram refuses to send)."""
    unknown, outside = list(dict.fromkeys(unknown)), list(dict.fromkeys(outside))
    return {
        "unknown": unknown[:SHOWN_CODES],
        "unknown_more": max(0, len(unknown) - SHOWN_CODES),
        "outside": outside[:SHOWN_CODES],
        "outside_more": max(0, len(outside) - SHOWN_CODES),
    }


def on_text(picker: Picker, text: str, units: Units) -> Typed:
    """Codes choose units; anything else searches names."""
    codes = read_codes(text, units)
    if codes is not None and not codes.unknown:
        if codes.outside:
            values = _refused_codes([], codes.outside)
            return Typed(picker, refusal="launch_bad_units", values=values)
        chosen = [*picker.chosen, *(i for i in codes.found if i not in picker.chosen)]
        added = [u.name for u in units.scoped if u.id in codes.found]
        return Typed(Picker(chosen, "", 0), added=added)
    query = " ".join(text.split())[:60]
    if fold(query) and matches(units.scoped, query):
        return Typed(replace(picker, query=query, page=0))
    if codes is not None:
        values = _refused_codes(codes.unknown, codes.outside)
        return Typed(picker, refusal="launch_bad_units", values=values)
    return Typed(picker, refusal="launch_units_not_found", values={"query": query})


def on_press(picker: Picker, data: str, units: Units) -> Picker:
    """A toggle, a page or leaving the search (anything else changes nothing)."""
    action = data.removeprefix(PREFIX)
    if action.startswith("t:"):
        unit_id = int(action[2:])
        if unit_id not in {u.id for u in units.scoped}:
            return picker  # not the office's to choose (a forged or stale button)
        if unit_id in picker.chosen:
            return replace(picker, chosen=[i for i in picker.chosen if i != unit_id])
        return replace(picker, chosen=[*picker.chosen, unit_id])
    if action.startswith("p:"):
        return replace(picker, page=int(action[2:]))
    if action == "all":
        return replace(picker, query="", page=0)
    return picker


def chosen_ids(picker: Picker, units: Units) -> list[int]:
    """The chosen units still in the office's scope, in tree order."""
    wanted = set(picker.chosen)
    return [u.id for u in units.scoped if u.id in wanted]


def _view(picker: Picker, units: Units) -> dict[str, Any]:
    found = matches(units.scoped, picker.query)
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(picker.page, 0), pages - 1)
    wanted = set(picker.chosen)
    chosen = [u for u in units.scoped if u.id in wanted]
    return {
        "shown": found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE],
        "page": page,
        "pages": pages,
        "found": len(found),
        "query": picker.query,
        "chosen": chosen,
    }


def _keyboard(view: dict[str, Any]) -> InlineKeyboardMarkup:
    chosen = {u.id for u in view["chosen"]}
    rows = [
        [InlineKeyboardButton(
            label("unit_toggle", name=u.name, on=u.id in chosen, depth=u.depth),
            callback_data=f"{PREFIX}t:{u.id}",
        )]
        for u in view["shown"]
    ]  # fmt: skip
    page, pages = view["page"], view["pages"]
    turn = []
    if page > 0:
        turn.append(
            InlineKeyboardButton(label("page_prev"), callback_data=f"{PREFIX}p:{page - 1}")
        )
    if page < pages - 1:
        turn.append(
            InlineKeyboardButton(label("page_next"), callback_data=f"{PREFIX}p:{page + 1}")
        )
    if turn:
        rows.append(turn)
    if view["query"]:
        rows.append([InlineKeyboardButton(label("units_show_all"), callback_data=f"{PREFIX}all")])
    rows.append([InlineKeyboardButton(label("units_done", count=len(chosen)), callback_data=DONE)])
    return InlineKeyboardMarkup(rows)


async def send(
    update: Update, picker: Picker, units: Units, added: list[str] | None = None
) -> None:
    """The picker as a new message (at the start, and after typing)."""
    view = _view(picker, units)
    await say(update, "launch_ask_units", _keyboard(view), added=added or [], **view)


async def edit(update: Update, picker: Picker, units: Units) -> None:
    """The picker's message redrawn in place after a press."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    view = _view(picker, units)
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_text(
            render("launch_ask_units", added=[], **view), reply_markup=_keyboard(view)
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():  # the same page pressed again
            raise
