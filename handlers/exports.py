"""/xuat: results the office can use, as files in the chat — the workbook of every answer of a
campaign (formats/workbook.py) and, for a round on the mid-term/final review form, the compiled
report draft (formats/report_docx.py).

The office exports within its scope; a principal gets their own unit's answers (no draft: it
compiles across units); a teacher is refused. Permission is checked before anything about a
campaign is read.

Never blocking the bot: the data is read first through the bot's connection (raw rows, one
snapshot, no parsing in the database thread: storage/exports.py), then shaped and written in
a worker thread (one at a time, `FILE_WORKERS`), while this handler edits one message in place
with the progress («Đang xuất… 40 %»); other people's updates go on being answered meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from formats.report_docx import build_review_docx
from formats.workbook import build_workbook
from handlers.common import (
    BotContext,
    alert,
    button_of,
    current_actor,
    reply,
    require_role,
    say,
    seeing,
)
from handlers.nominations import export_words
from messages import label, render
from storage.access import scope_unit_ids
from storage.campaigns import Campaign, campaigns_visible, get_campaign
from storage.exports import (
    assemble_export,
    assemble_review,
    is_review,
    read_export,
    read_review,
)
from storage.models import Actor
from storage.reports import get_round
from storage.visibility import may_see_campaign, may_see_round

log = logging.getLogger(__name__)
SHOWN_CAMPAIGNS = 8
REFRESH_SECONDS = 1.0  # how often the progress message may change (Telegram: ~1 a second)
# Files are built one at a time: the machine may have two cores, and the bot needs one.
FILE_WORKERS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export")
_running: set[int] = set()  # Telegram ids with an export under way (one each)

Build = Callable[[Callable[[int, int], None]], bytes]


@require_role("office", "principal")
async def export_menu(update: Update, context: BotContext) -> None:
    """The campaigns in the sender's scope, each a button for its workbook, and for the
    office a button per review round for its report draft. A single campaign with nothing
    else to choose is exported at once."""
    actor = await current_actor(update, context)
    if actor is None:
        return
    scope = await scope_unit_ids(context.db, actor)
    campaigns = [
        campaign
        for campaign_id in await campaigns_visible(context.db, scope, limit=SHOWN_CAMPAIGNS)
        if (campaign := await get_campaign(context.db, campaign_id)) is not None
    ]
    if not campaigns:
        await reply(update, "export_none")
        return
    rows = []
    for campaign in campaigns:
        rows.append(
            [InlineKeyboardButton(label("export_workbook", title=campaign.spec.title),
                                  callback_data=f"xx:{campaign.id}")]
        )  # fmt: skip
        if actor.role == "office":
            rows.extend(
                [InlineKeyboardButton(
                    label("export_draft", round=item.name, title=campaign.spec.title),
                    callback_data=f"xd:{item.id}",
                )]
                for item in campaign.rounds
                if item.id is not None and is_review(item)
            )  # fmt: skip
    if len(rows) == 1:
        await _workbook(update, context, actor, campaigns[0], scope)
        return
    await reply(
        update, "export_menu", principal=actor.role == "principal",
        reply_markup=InlineKeyboardMarkup(rows),
    )  # fmt: skip


async def workbook_button(update: Update, context: BotContext) -> None:
    """«📊 …»: the campaign's workbook. The gate let only the office and principals press it;
    the campaign must be one the presser may see, before anything of it is read."""
    campaign_id = button_of(context).id
    actor = await seeing(update, context, may_see_campaign, campaign_id)
    if actor is None:
        return
    campaign = await get_campaign(context.db, campaign_id)
    if campaign is not None:
        scope = await scope_unit_ids(context.db, actor)
        await _workbook(update, context, actor, campaign, scope)


async def draft_button(update: Update, context: BotContext) -> None:
    """«📄 …»: the compiled report draft of a review round (the gate lets only the office
    press it), for a round the presser may see."""
    round_id = button_of(context).id
    actor = await seeing(update, context, may_see_round, round_id)
    if actor is None:
        return
    info = await get_round(context.db, round_id)
    if info is None:
        await alert(update, "not_allowed_short")
        return
    if info.form != "review" or info.form_json:
        await say(update, "export_not_review", round=info)
        return
    if not await _start(update, context, actor):
        return
    try:
        scope = await scope_unit_ids(context.db, actor)
        source = await read_review(context.db, info.campaign_id, info.id, scope)
        if source is None:  # the round vanished since the button was made
            await alert(update, "not_allowed_short")
            return
        now, timezone = context.clock.now(), context.config.timezone

        def build(progress: Callable[[int, int], None]) -> bytes:
            return build_review_docx(assemble_review(source, timezone, now))

        local = now.astimezone(timezone)
        name = file_name("du_thao_bao_cao", f"{info.name} {info.campaign_title}", local, "docx")
        units = source.progress.by_unit()
        caption = render(
            "export_draft_caption", round=info, answered=sum(u.answered for u in units),
            expected=sum(u.expected for u in units),
        )  # fmt: skip
        await _produce(update, context, build, name, caption, what=info.name)
    finally:
        _running.discard(actor.telegram_id)


async def _start(update: Update, context: BotContext, actor: Actor) -> bool:
    """One file at a time per person: a second press while one is built is told to wait."""
    if actor.telegram_id in _running:
        await say(update, "export_busy")
        return False
    _running.add(actor.telegram_id)
    return True


async def _workbook(
    update: Update, context: BotContext, actor: Actor, campaign: Campaign,
    scope: set[int] | None,
) -> None:  # fmt: skip
    if not await _start(update, context, actor):
        return
    try:
        source = await read_export(context.db, [campaign.id], scope)
        now, timezone = context.clock.now(), context.config.timezone
        answers = sum(len(item.answers) for item in source.rounds)

        words = export_words()

        def build(progress: Callable[[int, int], None]) -> bytes:
            return build_workbook(assemble_export(source, now, timezone, words), progress)

        name = file_name("ket_qua", campaign.spec.title, now.astimezone(timezone), "xlsx")
        caption = render("export_caption", campaign=campaign, rounds=len(campaign.rounds),
                         principal=actor.role == "principal")  # fmt: skip
        log.info("export of campaign %s (%s reports) for %s", campaign.id, answers,
                 actor.telegram_id)  # fmt: skip
        await _produce(update, context, build, name, caption, what=campaign.spec.title)
    finally:
        _running.discard(actor.telegram_id)


class _Progress:
    """The builder's latest figure, written from its thread, read from the event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._percent = 0

    def report(self, done: int, total: int) -> None:
        with self._lock:
            self._percent = min(100, done * 100 // max(total, 1))

    @property
    def percent(self) -> int:
        with self._lock:
            return self._percent


async def _produce(
    update: Update, context: BotContext, build: Build, name: str, caption: str, what: str
) -> None:
    """Build a file in the worker thread, showing its progress in one message edited in
    place, then send it as a document."""
    message = await say(update, "export_progress", what=what, percent=0)
    progress = _Progress()
    future = asyncio.get_running_loop().run_in_executor(FILE_WORKERS, build, progress.report)
    shown = 0
    try:
        while True:
            done, _ = await asyncio.wait({future}, timeout=REFRESH_SECONDS)
            if done:
                break
            if progress.percent > shown:
                shown = progress.percent
                await _edit(message, render("export_progress", what=what, percent=shown))
        content = future.result()
    except Exception:
        await _edit(message, render("export_failed", what=what))
        raise
    await _edit(message, render("export_done", what=what))
    await message.reply_document(InputFile(content, filename=name), caption=caption)


async def _edit(message: Message, text: str) -> None:
    try:
        await message.edit_text(text)
    except TelegramError as exc:  # a progress figure is not worth failing the export for
        log.warning("could not update the export's progress message: %s", exc)


def file_name(kind: str, title: str, now: datetime, extension: str) -> str:
    """An ASCII file name any system keeps: ket_qua_vi-nguoi-ngheo-2026_2026-12-28.xlsx."""
    text = unicodedata.normalize("NFD", title.replace("đ", "d").replace("Đ", "D"))
    kept = (
        c if c.isascii() and c.isalnum() else " "
        for c in text.lower()
        if not unicodedata.combining(c)  # the tone and letter marks NFD took off
    )
    words = "".join(kept).split()
    slug = "-".join(words)[:48].rstrip("-") or "phong-trao"
    return f"{kind}_{slug}_{now:%Y-%m-%d}.{extension}"


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler("xuat", export_menu, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(workbook_button, pattern=r"^xx:\d+$"),
        CallbackQueryHandler(draft_button, pattern=r"^xd:\d+$"),
    ]
