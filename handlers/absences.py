"""Absences and days off, in the chat.

/vangmat (office: anyone in its unit and below; principal: their own unit's staff): the
absences not over yet, each with a button to cancel it, and «➕ Báo vắng»: find the person by
name, the reason (nghỉ phép, ốm đau, thai sản, đi công tác, khác), from and to which day. An
absent person is neither reminded nor counted as missing (storage/round_progress.py).

/ngaynghi (office): the days off that apply to its units, and «➕ Thêm ngày nghỉ»: a day or a
range of days and a name (Tết, nghỉ hè…). Nothing scheduled is sent to its unit and those
below on them (bot/reminders.py); an admin's days off apply to everyone.

Button data: `vm:add`, `vm:p:<person>`, `vm:r:<reason>`, `vm:ok`, `vm:no`, `vm:x:<absence>`,
`dn:add`, `dn:ok`, `dn:no`, `dn:x:<day off>`; the scope is checked at every press.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    filters,
)

from handlers.common import (
    BotContext,
    alert,
    button_of,
    button_step,
    current_actor,
    flow_conversation,
    incoming,
    inline_keyboard,
    require_role,
    reschedule,
    say,
    typed_step,
)
from handlers.flows import Flow, refuse
from handlers.inputs import InputError, check_length, parse_date, parse_period
from messages import label
from storage.absences import (
    REASONS,
    absences_in,
    add_absence,
    add_day_off,
    cancel_absence,
    cancel_day_off,
    days_off_for,
    get_absence,
    get_day_off,
    people_matching,
)
from storage.access import scope_unit_ids
from storage.models import Actor
from storage.unit_tree import path_up

SHOWN = 20  # absences or days off listed, each with its cancel button
FOUND = 10  # people offered as buttons after a search
STAFF_BUTTONS = 24  # a principal's staff offered as buttons at once
MAX_ABSENCE_DAYS = 366
MAX_DAYS_OFF = 120  # a summer break
OFFICE = ("office",)  # who declares days off


class Step(StrEnum):
    PERSON = "person"
    REASON = "reason"
    NOTE = "note"
    FROM = "from"
    TO = "to"
    CONFIRM = "confirm"
    DATES = "dates"
    NAME = "name"


@dataclass
class AbsenceDraft:
    person_id: int = 0
    full_name: str = ""
    unit_name: str = ""
    reason: str = ""
    note: str = ""
    date_from: str = ""
    date_to: str = ""


@dataclass
class DayOffDraft:
    date_from: str = ""
    date_to: str = ""
    name: str = ""


ABSENCE: Flow[AbsenceDraft] = Flow("vangmat", AbsenceDraft, command="vangmat")
DAY_OFF: Flow[DayOffDraft] = Flow("ngaynghi", DayOffDraft, command="ngaynghi")


def _today(context: BotContext) -> date:
    return context.clock.now().astimezone(context.config.timezone).date()


async def _scope(
    update: Update, context: BotContext, roles: tuple[str, ...] = ("office", "principal")
) -> tuple[Actor, set[int] | None] | None:
    """The presser if of `roles` (absences: an office or a principal; days off: an office),
    and the units they act on; otherwise an alert and None."""
    actor = await current_actor(update, context)
    if actor is None or actor.role not in roles:
        await alert(update, "not_allowed_short")
        return None
    return actor, await scope_unit_ids(context.db, actor)


async def _person_in(
    context: BotContext, scope: set[int] | None, person_id: int
) -> tuple[int, str, str] | None:
    """(id, full name, unit name) of an active person in the scope, or None."""
    people = await people_matching(context.db, scope, "")
    return next((p for p in people if p[0] == person_id), None)


# ---- /vangmat -------------------------------------------------------------------------


@require_role("office", "principal")
async def list_absences(update: Update, context: BotContext) -> None:
    found = await _scope(update, context)
    if found is None:
        return
    _, scope = found
    absences = await absences_in(context.db, scope, _today(context))
    rows = [[(label("absence_remove", absence=a), f"vm:x:{a.id}")] for a in absences[:SHOWN]]
    rows.append([(label("absence_add"), "vm:add")])
    await say(update, "absence_list", inline_keyboard(*rows), absences=absences, shown=SHOWN)


async def remove_absence(update: Update, context: BotContext) -> None:
    found = await _scope(update, context)
    absence = await get_absence(context.db, button_of(context).id)
    if found is None:
        return
    actor, scope = found
    if absence is None:
        await say(update, "absence_gone")
        return
    if scope is not None and absence.unit_id not in scope:
        await say(update, "not_allowed_short")
        return
    await cancel_absence(context.db, absence.id, actor.telegram_id, context.clock.now())
    await say(update, "absence_removed", absence=absence)


async def ask_person(update: Update, context: BotContext) -> Step | int:
    found = await _scope(update, context)
    if found is None:
        return ConversationHandler.END
    actor, _ = found
    await ABSENCE.save(update, context, AbsenceDraft())
    staff: list[tuple[str, str]] = []
    if actor.role == "principal" and actor.person is not None:
        ranked = await people_matching(context.db, {actor.person.unit_id}, "")
        if len(ranked) <= STAFF_BUTTONS:
            staff = [(label("absence_person", name=n, unit=None), f"vm:p:{i}")
                     for i, n, _ in ranked]  # fmt: skip
    await say(
        update, "absence_ask_person", inline_keyboard(*[[b] for b in staff]), staff=bool(staff)
    )
    return Step.PERSON


async def on_name(update: Update, context: BotContext) -> Step | int:
    found = await _scope(update, context)
    if found is None:
        return ConversationHandler.END
    _, scope = found
    query = (incoming(update).text or "").strip()
    matches = await people_matching(context.db, scope, query) if query else []
    if not matches:
        await say(update, "absence_not_found", query=query)
        return Step.PERSON
    buttons = [[(label("absence_person", name=n, unit=u), f"vm:p:{i}")]
               for i, n, u in matches[:FOUND]]  # fmt: skip
    await say(update, "absence_found", inline_keyboard(*buttons), query=query, count=len(matches),
              shown=FOUND)  # fmt: skip
    return Step.PERSON


async def on_person(update: Update, context: BotContext) -> Step | int:
    found = await _scope(update, context)
    if found is None:
        return ConversationHandler.END
    _, scope = found
    person = await _person_in(context, scope, button_of(context).id)
    if person is None:
        await say(update, "not_allowed_short")
        return Step.PERSON
    person_id, full_name, unit_name = person
    await ABSENCE.save(update, context, AbsenceDraft(person_id, full_name, unit_name))
    rows = [[(label("absence_reason", reason=r), f"vm:r:{r}")] for r in REASONS]
    await say(update, "absence_ask_reason", inline_keyboard(*rows), name=full_name, unit=unit_name)
    return Step.REASON


async def on_reason(update: Update, context: BotContext) -> Step | int:
    draft = await ABSENCE.load(update, context)
    if draft is None:
        return await ABSENCE.lost(update, context)
    reason = button_of(context).word()
    if reason not in REASONS or not draft.person_id:
        return Step.REASON
    draft.reason = reason
    await ABSENCE.save(update, context, draft)
    if reason == "other":
        await say(update, "absence_ask_note")
        return Step.NOTE
    await say(update, "absence_ask_from", now=context.clock.now())
    return Step.FROM


async def on_note(update: Update, context: BotContext) -> Step | int:
    draft = await ABSENCE.load(update, context)
    if draft is None:
        return await ABSENCE.lost(update, context)
    try:
        draft.note = check_length(incoming(update).text or "", 2, 200)
    except InputError as error:
        return await refuse(update, context, error, Step.NOTE)
    await ABSENCE.save(update, context, draft)
    await say(update, "absence_ask_from", now=context.clock.now())
    return Step.FROM


async def on_from(update: Update, context: BotContext) -> Step | int:
    draft = await ABSENCE.load(update, context)
    if draft is None:
        return await ABSENCE.lost(update, context)
    try:
        day = parse_date(incoming(update).text or "")
    except InputError as error:
        return await refuse(update, context, error, Step.FROM)
    draft.date_from = day.isoformat()
    await ABSENCE.save(update, context, draft)
    await say(update, "absence_ask_to", start=day, now=context.clock.now())
    return Step.TO


async def on_to(update: Update, context: BotContext) -> Step | int:
    draft = await ABSENCE.load(update, context)
    if draft is None:
        return await ABSENCE.lost(update, context)
    start = date.fromisoformat(draft.date_from)
    try:
        end = parse_date(incoming(update).text or "")
        _check_range(start, end, MAX_ABSENCE_DAYS)
    except InputError as error:
        return await refuse(update, context, error, Step.TO)
    draft.date_to = end.isoformat()
    await ABSENCE.save(update, context, draft)
    keyboard = inline_keyboard([(label("save"), "vm:ok"), (label("cancel"), "vm:no")])
    await say(update, "absence_confirm", keyboard, draft=draft, start=start, end=end)
    return Step.CONFIRM


def _check_range(start: date, end: date, limit: int) -> None:
    if end < start:
        raise InputError("input_period_reversed", {"start": start, "end": end})
    if (end - start).days + 1 > limit:
        raise InputError("input_range_too_long", {"limit": limit})


async def save_absence(update: Update, context: BotContext) -> int:
    found = await _scope(update, context)
    draft = await ABSENCE.load(update, context)
    if draft is None:
        return await ABSENCE.lost(update, context)
    await ABSENCE.drop(update, context)
    if found is None or not draft.person_id or not draft.date_to:
        return ConversationHandler.END
    actor, scope = found
    if await _person_in(context, scope, draft.person_id) is None:
        await say(update, "not_allowed_short")
        return ConversationHandler.END
    start, end = date.fromisoformat(draft.date_from), date.fromisoformat(draft.date_to)
    await add_absence(
        context.db, draft.person_id, draft.reason, draft.note, start, end, actor.telegram_id,
        context.clock.now(),
    )  # fmt: skip
    await say(update, "absence_saved", draft=draft, start=start, end=end)
    return ConversationHandler.END


async def cancel_absence_flow(update: Update, context: BotContext) -> int:
    await ABSENCE.drop(update, context)
    await say(update, "absence_flow_cancelled")
    return ConversationHandler.END


# ---- /ngaynghi ------------------------------------------------------------------------


def _declares_for(actor: Actor) -> int | None:
    """The unit an office's days off are for (None: everyone, for an admin)."""
    if actor.is_admin or actor.person is None:
        return None
    return actor.person.unit_id


@require_role("office")
async def list_days_off(update: Update, context: BotContext) -> None:
    found = await _scope(update, context, OFFICE)
    if found is None:
        return
    actor, scope = found
    unit_id = _declares_for(actor)
    applying = await days_off_for(context.db, None, _today(context))
    if unit_id is not None:
        above = await path_up(context.db, unit_id)
        applying = [d for d in applying if d.unit_id is None or d.unit_id in above
                    or (scope is not None and d.unit_id in scope)]  # fmt: skip
    mine = [d for d in applying if scope is None or (d.unit_id is not None and d.unit_id in scope)]
    rows = [[(label("day_off_remove", day_off=d), f"dn:x:{d.id}")] for d in mine[:SHOWN]]
    rows.append([(label("day_off_add"), "dn:add")])
    await say(update, "day_off_list", inline_keyboard(*rows), days_off=applying, shown=SHOWN)


async def remove_day_off(update: Update, context: BotContext) -> None:
    found = await _scope(update, context, OFFICE)
    day_off = await get_day_off(context.db, button_of(context).id)
    if found is None:
        return
    _, scope = found
    if day_off is None:
        await say(update, "absence_gone")
        return
    if scope is not None and (day_off.unit_id is None or day_off.unit_id not in scope):
        await say(update, "not_allowed_short")
        return
    await cancel_day_off(context.db, day_off.id, context.clock.now())
    await reschedule(context)
    await say(update, "day_off_removed", day_off=day_off)


async def ask_dates(update: Update, context: BotContext) -> Step | int:
    if await _scope(update, context, OFFICE) is None:
        return ConversationHandler.END
    await DAY_OFF.save(update, context, DayOffDraft())
    await say(update, "day_off_ask_dates", now=context.clock.now())
    return Step.DATES


async def on_dates(update: Update, context: BotContext) -> Step | int:
    text = incoming(update).text or ""
    try:
        if len(re.findall(r"\d{4}", text)) >= 2:  # two dates: a range
            start, end = parse_period(text)
        else:
            start = end = parse_date(text)
        _check_range(start, end, MAX_DAYS_OFF)
    except InputError as error:
        return await refuse(update, context, error, Step.DATES)
    await DAY_OFF.save(update, context, DayOffDraft(start.isoformat(), end.isoformat()))
    await say(update, "day_off_ask_name", start=start, end=end)
    return Step.NAME


async def on_day_off_name(update: Update, context: BotContext) -> Step | int:
    draft = await DAY_OFF.load(update, context)
    if draft is None:
        return await DAY_OFF.lost(update, context)
    try:
        draft.name = check_length(incoming(update).text or "", 2, 100)
    except InputError as error:
        return await refuse(update, context, error, Step.NAME)
    await DAY_OFF.save(update, context, draft)
    keyboard = inline_keyboard([(label("save"), "dn:ok"), (label("cancel"), "dn:no")])
    start, end = date.fromisoformat(draft.date_from), date.fromisoformat(draft.date_to)
    await say(update, "day_off_confirm", keyboard, name=draft.name, start=start, end=end)
    return Step.CONFIRM


async def save_day_off(update: Update, context: BotContext) -> int:
    found = await _scope(update, context, OFFICE)
    draft = await DAY_OFF.load(update, context)
    if draft is None:
        return await DAY_OFF.lost(update, context)
    await DAY_OFF.drop(update, context)
    if found is None or not draft.name:
        return ConversationHandler.END
    actor, _ = found
    start, end = date.fromisoformat(draft.date_from), date.fromisoformat(draft.date_to)
    unit_id = _declares_for(actor)
    await add_day_off(
        context.db, unit_id, draft.name, start, end, actor.telegram_id, context.clock.now()
    )
    await reschedule(context)
    unit = actor.person.unit_name if unit_id is not None and actor.person else None
    await say(update, "day_off_saved", name=draft.name, start=start, end=end, unit=unit)
    return ConversationHandler.END


async def cancel_day_off_flow(update: Update, context: BotContext) -> int:
    await DAY_OFF.drop(update, context)
    await say(update, "day_off_flow_cancelled")
    return ConversationHandler.END


def conversations() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        flow_conversation(
            ABSENCE.name,
            [CallbackQueryHandler(ask_person, pattern=r"^vm:add$")],
            {
                Step.PERSON: [
                    CallbackQueryHandler(on_person, pattern=r"^vm:p:\d+$"),
                    *typed_step(Step.PERSON, on_name),
                ],
                Step.REASON: button_step(Step.REASON, (r"^vm:r:[a-z]{1,12}$", on_reason)),
                Step.NOTE: typed_step(Step.NOTE, on_note),
                Step.FROM: typed_step(Step.FROM, on_from),
                Step.TO: typed_step(Step.TO, on_to),
                Step.CONFIRM: button_step(
                    Step.CONFIRM, (r"^vm:ok$", save_absence), (r"^vm:no$", cancel_absence_flow)
                ),
            },
            cancel_absence_flow,
        ),
        flow_conversation(
            DAY_OFF.name,
            [CallbackQueryHandler(ask_dates, pattern=r"^dn:add$")],
            {
                Step.DATES: typed_step(Step.DATES, on_dates),
                Step.NAME: typed_step(Step.NAME, on_day_off_name),
                Step.CONFIRM: button_step(
                    Step.CONFIRM, (r"^dn:ok$", save_day_off), (r"^dn:no$", cancel_day_off_flow)
                ),
            },
            cancel_day_off_flow,
        ),
    ]


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler("vangmat", list_absences, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(remove_absence, pattern=r"^vm:x:\d+$"),
        CommandHandler("ngaynghi", list_days_off, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(remove_day_off, pattern=r"^dn:x:\d+$"),
    ]
