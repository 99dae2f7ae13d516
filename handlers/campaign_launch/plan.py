"""/phatdong from the plan file: the office sends the plan (.docx, .pdf with a text layer,
.txt) at the first step instead of typing its title; the bot reads it (formats/plan_reader.py,
in a worker thread), fills the draft (plan_fill.py) and shows each field with the sentence it
came from, and what it did not find. The office corrects any field with its button
(`PLAN_EDIT`), then the usual questions follow for what the plan did not answer; the rounds
read from it that need a deadline are asked at the rounds' place in the flow (`PLAN_ROUND`).
The plan file is the campaign's attached document, as if sent at the document step.

A file the reader refuses (a scanned PDF, an old .doc, …) is explained and the flow stays at
the first step, so the office can type the title instead or send another file.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from datetime import date, datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError

from formats.plan_reader import PlanReadError, PlanReading, WarningCode, read_plan
from formats.plan_text import MAX_BYTES as MAX_PLAN_BYTES
from handlers.campaign_launch import plan_fill
from handlers.campaign_launch.draft import (
    LAUNCH_FLOW,
    CampaignDraft,
    Step,
    chat_of,
    following,
)
from handlers.campaign_launch.fields import copy_path
from handlers.common import (
    BotContext,
    incoming,
    inline_keyboard,
    pressed,
    say,
)
from handlers.flows import refuse
from handlers.inputs import InputError, check_length, parse_deadline, parse_period, parse_targets
from messages import label, render, render_text
from storage.campaigns import Target

log = logging.getLogger(__name__)

TEXT_LIMIT = 4000  # Telegram's 4,096 characters a message, with a margin
FIX = "pd:fix"
OK = "pd:plan:ok"
BACK = "pd:plan:back"
CLEAR = "pd:plan:clear"
DROP = "pd:plan:drop"
ROUND_KIND = "pd:rk"
ROUND_DROP = "pd:rd"
FIELDS = ("title", "number", "period", "targets", "rounds")
_FIELD_STEP = {"title": Step.TITLE, "number": Step.PLAN_NUMBER, "period": Step.PERIOD,
               "targets": Step.TARGETS, "rounds": "rounds"}  # fmt: skip
REVIEW_PATTERN = rf"^(?:{FIX}:(?:{'|'.join(FIELDS)})|{OK})$"
EDIT_PATTERN = rf"^(?:{BACK}|{CLEAR}|{ROUND_KIND}:\d+|{ROUND_DROP}:\d+)$"
ROUND_DROP_PATTERN = rf"^{DROP}$"


# ---- the file, read -------------------------------------------------------------------------


async def on_plan_file(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    """A document at the first step (or, to read another file instead, while checking what
    the last one said): read it as the plan, fill a fresh draft, show what was found (the
    «⏳» message becomes the first part of it). A file that cannot be read changes nothing."""
    document = incoming(update).document
    if document is None:
        return draft.step
    name = document.file_name or "ke_hoach"
    again = draft.step != Step.TITLE
    if (document.file_size or 0) > MAX_PLAN_BYTES:
        await say(update, "launch_plan_unreadable", file_name=name, reason="too_large",
                  detail="bytes", limit=MAX_PLAN_BYTES, actual=document.file_size,
                  again=again)  # fmt: skip
        return draft.step
    progress = await say(update, "launch_plan_reading", file_name=name)
    try:
        telegram_file = await context.bot.get_file(document.file_id)
        data = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("could not download a plan file: %s", exc)
        await progress.edit_text(render("roster_download_failed"))
        return draft.step
    now = context.clock.now()
    today = now.astimezone(context.config.timezone).date()
    try:
        reading = await asyncio.to_thread(read_plan, data, name, today)
    except PlanReadError as error:
        await progress.edit_text(
            render("launch_plan_unreadable", file_name=name, reason=error.reason.value,
                   detail=error.detail, limit=error.limit, actual=error.actual, again=again)
        )  # fmt: skip
        return draft.step
    draft = CampaignDraft(token=draft.token)
    plan_fill.fill(draft, reading, name, context.config.timezone, now)
    draft.document_file_id = document.file_id
    draft.document_name = name
    draft.document_path = await _store_copy(context, document.file_unique_id, name, data)
    draft.step = Step.PLAN_REVIEW  # saved before the result is shown, as `advance` does
    await LAUNCH_FLOW.save(update, context, draft)
    texts = _pack(_report_blocks(draft, reading))
    buttons = review_keyboard(draft)
    await progress.edit_text(texts[0], reply_markup=buttons if len(texts) == 1 else None)
    for number, text in enumerate(texts[1:], start=2):
        await context.bot.send_message(
            chat_of(update), text, reply_markup=buttons if number == len(texts) else None
        )
    return Step.PLAN_REVIEW


async def _store_copy(context: BotContext, unique_id: str, name: str, data: bytes) -> str | None:
    """The plan's copy under FILES_DIR, from the bytes already downloaded (see
    fields._keep_copy); a failure is not fatal."""
    target = copy_path(context, unique_id, name)

    def write() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    try:
        await asyncio.to_thread(write)
    except OSError as exc:
        log.warning("could not keep a copy of the plan document %s: %s", name, exc)
        return None
    return str(target)


def _missing(draft: CampaignDraft, reading: PlanReading) -> list[str]:
    """What the plan was searched for and did not give (the office is asked for it later)."""
    missing = {
        "title": reading.title is None,
        "number": not draft.plan_number,
        "period": not draft.period_from,
        "targets": not reading.targets,
        "rounds": not reading.rounds,
        "issuing_unit": reading.issuing_unit is None,
        "date": reading.date is None,
    }
    return [code for code, absent in missing.items() if absent]


def _report_blocks(draft: CampaignDraft, reading: PlanReading) -> list[str]:
    """The report, as paragraphs each well under a message's length."""
    assert draft.plan is not None
    common: dict[str, Any] = {"draft": draft, "plan": draft.plan, "reading": reading,
                              "period": _period(draft), "limit": plan_fill.MAX_TITLE}  # fmt: skip
    parts: list[tuple[str, dict[str, Any]]] = [("head", {})]
    if reading.title is not None:
        parts.append(("title", {}))
    if reading.number is not None:
        parts.append(("number", {}))
    if reading.period is not None:
        parts.append(("period", {}))
    if reading.targets:
        parts.append(("targets", {}))
        parts += [
            ("target", {"index": index, "target": target, "kept": index <= plan_fill.MAX_TARGETS})
            for index, target in enumerate(reading.targets, start=1)
        ]
    if reading.rounds:
        parts.append(("rounds", {}))
        parts += [("round", {"round": view}) for view in _round_views(draft)]
    shown = {(r.kind, r.deadline) for r in reading.rounds}
    others = [
        w
        for w in reading.warnings
        if w.code is WarningCode.YEAR_OUTSIDE_PERIOD
        and not (w.subject == "round" and (w.round_kind, w.when.as_date()) in shown)
    ]
    if others:
        parts.append(("warnings", {"warnings": others}))
    if reading.issuing_unit is not None or reading.date is not None:
        parts.append(("issuer", {}))
    # A quota per quarter for no award form is one of good examples; others, of awards.
    quarterly = [q for q in reading.quotas if q.per_quarter and q.award is None]
    quotas = [q for q in reading.quotas if q not in quarterly]
    if reading.quarterly_nominations is not None or quarterly:
        parts.append(("nominations", {"quotas": quarterly}))
    if reading.award_forms or quotas:
        parts.append(("awards", {"quotas": quotas}))
    if reading.dossier:
        parts.append(("dossier", {}))
    parts.append(("document", {}))
    missing = _missing(draft, reading)
    if missing:
        parts.append(("missing", {"missing": missing}))
    parts.append(("check", {}))
    return [render("launch_plan_part", part=part, **common, **values) for part, values in parts]


_TAG = re.compile(r"<[^>]*>")


def _plain_length(text: str) -> int:
    """What Telegram counts of an HTML text: the characters left once the markup is parsed."""
    return len(html.unescape(_TAG.sub("", text)))


def _pack(blocks: list[str], limit: int = TEXT_LIMIT) -> list[str]:
    """The blocks in as few messages as fit, in order (each block fits one by itself)."""
    messages: list[list[str]] = [[]]
    size = 0
    for block in blocks:
        length = _plain_length(block)
        if messages[-1] and size + 2 + length > limit:
            messages.append([])
            size = 0
        size += length + (2 if messages[-1] else 0)
        messages[-1].append(block)
    return ["\n\n".join(message) for message in messages]


def _period(draft: CampaignDraft) -> tuple[date, date] | None:
    if not draft.period_from or not draft.period_to:
        return None
    return date.fromisoformat(draft.period_from), date.fromisoformat(draft.period_to)


def _round_views(draft: CampaignDraft) -> list[dict[str, Any]]:
    """The rounds read from the plan, with their deadlines as moments for the templates."""
    rounds = draft.plan["rounds"] if draft.plan else []
    return [
        {**r, "at": datetime.fromisoformat(r["deadline"]) if r["deadline"] else None}
        for r in rounds
    ]


# ---- checking and correcting what was read --------------------------------------------------


def review_keyboard(draft: CampaignDraft) -> InlineKeyboardMarkup:
    fields = [f for f in FIELDS if f != "rounds" or (draft.plan and draft.plan["rounds"])]
    buttons = [(label("plan_fix", field=f), f"{FIX}:{f}") for f in fields]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([(label("plan_ok"), OK)])
    return inline_keyboard(*rows)


@LAUNCH_FLOW.question(Step.PLAN_REVIEW)
async def ask_review(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    """What the draft holds from the plan, in short (the sources were shown once, when the
    file was read), with the buttons to correct it."""
    if draft.plan is None:
        raise ValueError("a plan review without a plan")
    answered = draft.plan["answered"]
    missing = [f for f in FIELDS if _FIELD_STEP[f] not in answered]
    await say(update, "launch_plan_review", review_keyboard(draft), draft=draft, plan=draft.plan,
              period=_period(draft), rounds=_round_views(draft), missing=missing)  # fmt: skip


async def on_review(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    """«✏️ …»: correct that field; «✅ Đúng, tiếp tục»: on to what the plan did not answer."""
    assert draft.plan is not None
    choice = pressed(update)
    if choice == OK:
        if not draft.title:
            query = update.callback_query
            if query is not None:
                await query.answer(render_text("launch_plan_no_title"), show_alert=True)
            return Step.PLAN_REVIEW
        return await LAUNCH_FLOW.advance(update, context, draft, following(draft, Step.TITLE))
    draft.plan["editing"] = choice.removeprefix(f"{FIX}:")
    return await LAUNCH_FLOW.advance(update, context, draft, Step.PLAN_EDIT)


def _edit_keyboard(draft: CampaignDraft) -> InlineKeyboardMarkup:
    assert draft.plan is not None
    field = draft.plan["editing"]
    if field == "rounds":
        rows = [
            [(label("plan_round_kind", name=r["name"], kind=r["kind"]), f"{ROUND_KIND}:{i}"),
             (label("plan_round_drop", name=r["name"]), f"{ROUND_DROP}:{i}")]
            for i, r in enumerate(draft.plan["rounds"])
        ]  # fmt: skip
        rows.append([(label("plan_rounds_clear"), CLEAR)])
        rows.append([(label("plan_rounds_done"), BACK)])
        return inline_keyboard(*rows)
    rows = [[(label("keep"), BACK)]]
    if field != "title":
        rows.append([(label("plan_clear"), CLEAR)])
    return inline_keyboard(*rows)


def _edit_values(draft: CampaignDraft, context: BotContext) -> dict[str, Any]:
    assert draft.plan is not None
    return {"field": draft.plan["editing"], "draft": draft, "period": _period(draft),
            "rounds": _round_views(draft), "now": context.clock.now()}  # fmt: skip


@LAUNCH_FLOW.question(Step.PLAN_EDIT)
async def ask_edit(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    await say(update, "launch_plan_fix", _edit_keyboard(draft), **_edit_values(draft, context))


def _corrected(draft: CampaignDraft, field: str, answered: bool = True) -> None:
    """The office has settled `field`: the plan's value is no longer what it shows."""
    assert draft.plan is not None
    step = _FIELD_STEP[field]
    plan = draft.plan
    plan["answered"] = [s for s in plan["answered"] if s != step] + ([step] if answered else [])
    if field not in plan["edited"]:
        plan["edited"].append(field)
    plan["editing"] = ""


async def on_edit_typed(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    """The corrected value, checked as its own step checks it."""
    assert draft.plan is not None
    field = draft.plan["editing"]
    text = incoming(update).text or ""
    try:
        if field == "title":
            draft.title = check_length(text, 3, plan_fill.MAX_TITLE)
        elif field == "number":
            draft.plan_number = check_length(text, 1, plan_fill.MAX_NUMBER)
        elif field == "period":
            start, end = parse_period(text)
            draft.period_from, draft.period_to = start.isoformat(), end.isoformat()
        elif field == "targets":
            draft.targets = [_target_dict(t) for t in parse_targets(text)]
        else:  # the rounds are corrected with their buttons
            await say(update, "launch_expect_button")
            return Step.PLAN_EDIT
    except InputError as error:
        return await refuse(update, context, error, Step.PLAN_EDIT, _edit_keyboard(draft))
    _corrected(draft, field)
    return await LAUNCH_FLOW.advance(update, context, draft, Step.PLAN_REVIEW)


def _target_dict(target: Target) -> dict[str, Any]:
    return {"text": target.text, "value": target.value, "value_unit": target.value_unit}


async def on_edit_pressed(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    """«↪️ Giữ nguyên», «🗑 Để trống», and the rounds' own buttons."""
    assert draft.plan is not None
    plan = draft.plan
    field = plan["editing"]
    choice = pressed(update)
    if choice == BACK:
        plan["editing"] = ""
        return await LAUNCH_FLOW.advance(update, context, draft, Step.PLAN_REVIEW)
    if choice == CLEAR:
        if field == "number":
            draft.plan_number = ""
        elif field == "period":
            draft.period_from = draft.period_to = None
        elif field == "targets":
            draft.targets = []
        elif field == "rounds":
            plan["rounds"] = []
        # An emptied field is settled (not asked again); emptied rounds are asked as usual.
        _corrected(draft, field, answered=field != "rounds")
        return await LAUNCH_FLOW.advance(update, context, draft, Step.PLAN_REVIEW)
    if field != "rounds":
        return Step.PLAN_EDIT
    kind, _, index_text = choice.rpartition(":")
    index = int(index_text)
    if index >= len(plan["rounds"]):  # a button of an older list
        await say(update, "launch_expect_button")
        return Step.PLAN_EDIT
    if kind == ROUND_KIND:
        found = plan["rounds"][index]
        found["kind"] = "person" if found["kind"] == "unit" else "unit"
    else:
        del plan["rounds"][index]
    if not plan["rounds"]:
        _corrected(draft, "rounds", answered=False)
        return await LAUNCH_FLOW.advance(update, context, draft, Step.PLAN_REVIEW)
    if "rounds" not in plan["edited"]:
        plan["edited"].append("rounds")
    await LAUNCH_FLOW.save(update, context, draft)
    await _show_edit_in_place(update, context, draft)
    return Step.PLAN_EDIT


async def _show_edit_in_place(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        await ask_edit(update, context, draft)
        return
    await query.answer()
    text = render("launch_plan_fix", **_edit_values(draft, context))
    await query.message.edit_text(text, reply_markup=_edit_keyboard(draft))


# ---- rounds that need a deadline ------------------------------------------------------------


def round_drop_keyboard() -> InlineKeyboardMarkup:
    return inline_keyboard([(label("plan_round_skip"), DROP)])


@LAUNCH_FLOW.question(Step.PLAN_ROUND)
async def ask_plan_round(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    found = plan_fill.pending_round(draft)
    if found is None or draft.plan is None:
        raise ValueError("no round waits for a deadline")
    at = datetime.fromisoformat(found["deadline"]) if found["deadline"] else None
    await say(update, "launch_plan_round", round_drop_keyboard(), round={**found, "at": at},
              period_text=draft.plan["period"], now=context.clock.now())  # fmt: skip


async def on_plan_round_deadline(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    found = plan_fill.pending_round(draft)
    if found is None:
        return await LAUNCH_FLOW.advance(
            update, context, draft, plan_fill.settle_rounds(draft, context.clock.now())
        )
    now = context.clock.now()
    deadline = parse_deadline(incoming(update).text or "", context.config.timezone, now)
    found["deadline"], found["issues"] = deadline.isoformat(), []
    return await LAUNCH_FLOW.advance(update, context, draft, plan_fill.settle_rounds(draft, now))


async def on_plan_round_drop(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    found = plan_fill.pending_round(draft)
    if found is not None and draft.plan is not None:
        draft.plan["rounds"].remove(found)
    next_step = plan_fill.settle_rounds(draft, context.clock.now())
    return await LAUNCH_FLOW.advance(update, context, draft, next_step)
