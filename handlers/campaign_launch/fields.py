"""/phatdong, the campaign's own fields: title, plan number, period, summary, targets,
audience (all units or chosen ones, with or without sub-units; roles) and the plan document.

Each step has its question (`LAUNCH_FLOW.question`) and its answer handler, which fills the
draft and moves on with `LAUNCH_FLOW.advance`; an InputError it raises is refused by the flow,
which stays on the step (handlers/flows.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict
from pathlib import Path

from telegram import Message, Update
from telegram.error import TelegramError

from handlers import unit_picker
from handlers.campaign_launch.draft import (
    LAUNCH_FLOW,
    CampaignDraft,
    Step,
    following,
    skip_row,
)
from handlers.campaign_launch.plan_fill import settle_rounds
from handlers.common import (
    BotContext,
    current_actor,
    incoming,
    inline_keyboard,
    pressed,
    say,
)
from handlers.inputs import InputError, check_length, parse_period, parse_targets
from messages import label, render, render_text
from storage.models import ROLES

log = logging.getLogger(__name__)
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # what a bot may download through getFile


@LAUNCH_FLOW.question(Step.TITLE)
async def ask_title(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    await say(update, "launch_ask_title")


async def on_title(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    draft.title = check_length(incoming(update).text or "", 3, 200)
    return await LAUNCH_FLOW.advance(update, context, draft, following(draft, Step.TITLE))


@LAUNCH_FLOW.question(Step.PLAN_NUMBER)
async def ask_plan_number(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    await say(update, "launch_ask_plan_number", inline_keyboard(skip_row()))


async def on_plan_number(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    if pressed(update) != "pd:skip":
        draft.plan_number = check_length(incoming(update).text or "", 1, 60)
    return await LAUNCH_FLOW.advance(update, context, draft, following(draft, Step.PLAN_NUMBER))


@LAUNCH_FLOW.question(Step.PERIOD)
async def ask_period(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    await say(update, "launch_ask_period", inline_keyboard(skip_row()), now=context.clock.now())


async def on_period(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    if pressed(update) != "pd:skip":
        start_day, end_day = parse_period(incoming(update).text or "")
        draft.period_from, draft.period_to = start_day.isoformat(), end_day.isoformat()
    return await LAUNCH_FLOW.advance(update, context, draft, following(draft, Step.PERIOD))


@LAUNCH_FLOW.question(Step.SUMMARY)
async def ask_summary(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    await say(update, "launch_ask_summary", inline_keyboard(skip_row()))


async def on_summary(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    if pressed(update) != "pd:skip":
        draft.summary = check_length(incoming(update).text or "", 1, 1500)
    return await LAUNCH_FLOW.advance(update, context, draft, following(draft, Step.SUMMARY))


@LAUNCH_FLOW.question(Step.TARGETS)
async def ask_targets(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    await say(update, "launch_ask_targets", inline_keyboard(skip_row()))


async def on_targets(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    if pressed(update) != "pd:skip":
        draft.targets = [asdict(t) for t in parse_targets(incoming(update).text or "")]
    return await LAUNCH_FLOW.advance(update, context, draft, following(draft, Step.TARGETS))


# ---- who receives it ----------------------------------------------------------------------


@LAUNCH_FLOW.question(Step.AUDIENCE)
async def ask_audience(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    buttons = inline_keyboard(
        [(label("audience_all"), "pd:aud:all")], [(label("audience_pick"), "pd:aud:pick")]
    )
    await say(update, "launch_ask_audience", buttons)


async def on_audience(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    draft.audience_all = pressed(update) == "pd:aud:all"
    draft.picker = unit_picker.Picker()
    step = Step.ROLES if draft.audience_all else Step.UNITS
    return await LAUNCH_FLOW.advance(update, context, draft, step)


@LAUNCH_FLOW.question(Step.UNITS)
async def ask_units(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    units = await unit_picker.units_for(context, await current_actor(update, context))
    await unit_picker.send(update, draft.picker, units)


async def on_units_typed(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    """Codes (any case) choose units; other words search the unit names."""
    units = await unit_picker.units_for(context, await current_actor(update, context))
    typed = unit_picker.on_text(draft.picker, incoming(update).text or "", units)
    if typed.refusal is not None:
        await say(update, typed.refusal, **typed.values)
        return Step.UNITS
    draft.picker = typed.picker
    await LAUNCH_FLOW.save(update, context, draft)
    await unit_picker.send(update, draft.picker, units, typed.added)
    return Step.UNITS


async def on_units_pressed(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    """A unit toggled, a page turned, the search left, or «Xong»."""
    units = await unit_picker.units_for(context, await current_actor(update, context))
    if pressed(update) == unit_picker.DONE:
        chosen = unit_picker.chosen_ids(draft.picker, units)
        if not chosen:
            query = update.callback_query
            if query is not None:
                await query.answer(render_text("launch_no_units"), show_alert=True)
            return Step.UNITS
        draft.unit_ids = chosen
        return await LAUNCH_FLOW.advance(update, context, draft, Step.CHILDREN)
    draft.picker = unit_picker.on_press(draft.picker, pressed(update), units)
    await LAUNCH_FLOW.save(update, context, draft)
    await unit_picker.edit(update, draft.picker, units)
    return Step.UNITS


@LAUNCH_FLOW.question(Step.CHILDREN)
async def ask_children(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    buttons = inline_keyboard([(label("yes"), "pd:children:1"), (label("no"), "pd:children:0")])
    await say(update, "launch_ask_children", buttons)


async def on_children(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    draft.include_children = pressed(update) == "pd:children:1"
    return await LAUNCH_FLOW.advance(update, context, draft, Step.ROLES)


def _roles_keyboard(draft: CampaignDraft) -> list[list[tuple[str, str]]]:
    rows = [
        [(label("role_toggle", role=role, on=role in draft.roles), f"pd:role:{role}")]
        for role in ROLES
    ]
    rows.append([(label("next"), "pd:roles:done")])
    return rows


@LAUNCH_FLOW.question(Step.ROLES)
async def ask_roles(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    await say(update, "launch_ask_roles", inline_keyboard(*_roles_keyboard(draft)))


async def on_role(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    role = pressed(update).removeprefix("pd:role:")
    query = update.callback_query
    if role in ROLES and query is not None:
        draft.roles = [r for r in ROLES if (r in draft.roles) != (r == role)]
        await LAUNCH_FLOW.save(update, context, draft)
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(inline_keyboard(*_roles_keyboard(draft)))
    return Step.ROLES


async def on_roles_done(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    if not draft.roles:
        query = update.callback_query
        if query is not None:
            await query.answer(render("launch_no_roles"), show_alert=True)
        return Step.ROLES
    return await LAUNCH_FLOW.advance(update, context, draft, Step.DOCUMENT)


# ---- the plan document --------------------------------------------------------------------


KEEP_DOCUMENT = "pd:doc:keep"


@LAUNCH_FLOW.question(Step.DOCUMENT)
async def ask_document(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    await expect_document(update, context, draft)


async def on_document(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    """A plan document (replacing the plan file read at step 1, if any), or none."""
    if pressed(update) not in ("pd:skip", KEEP_DOCUMENT):
        document = incoming(update).document
        if document is None:
            return await expect_document(update, context, draft)
        if document.file_size == 0:  # nothing to send on to anyone (issue 11.7)
            raise InputError("file_empty", {"name": document.file_name or "ke_hoach"})
        if (document.file_size or 0) > MAX_DOCUMENT_BYTES:
            await say(update, "launch_document_too_big", inline_keyboard(skip_row()))
            return Step.DOCUMENT
        draft.document_file_id = document.file_id
        draft.document_name = document.file_name or "ke_hoach"
        draft.document_path = await _keep_copy(context, document.file_id, document.file_unique_id,
                                               draft.document_name)  # fmt: skip
    next_step = settle_rounds(draft, context.clock.now())
    return await LAUNCH_FLOW.advance(update, context, draft, next_step)


async def expect_document(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    """The document step's question: with the plan file read at step 1 already attached, it
    is shown as done, to keep or to replace by sending another file."""
    if draft.plan is not None and draft.document_file_id:
        buttons = inline_keyboard([(label("document_keep"), KEEP_DOCUMENT)])
        await say(update, "launch_document_attached", buttons, name=draft.document_name)
    else:
        await say(update, "launch_ask_document", inline_keyboard(skip_row()))
    return Step.DOCUMENT


def copy_path(context: BotContext, unique_id: str, name: str) -> Path:
    """Where the copy of a plan document is kept (FILES_DIR/plans)."""
    safe = re.sub(r"[^\w.\-]+", "_", name)[-120:]
    return Path(context.config.files_dir) / "plans" / f"{unique_id}_{safe}"


async def _keep_copy(context: BotContext, file_id: str, unique_id: str, name: str) -> str | None:
    """A copy under FILES_DIR, so the plan outlives Telegram's file; a failure is not fatal
    (the file id still works for sending)."""
    target = copy_path(context, unique_id, name)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        telegram_file = await context.bot.get_file(file_id)
        await telegram_file.download_to_drive(target)
    except (TelegramError, OSError) as exc:
        log.warning("could not keep a copy of the plan document %s: %s", name, exc)
        return None
    return str(target)
