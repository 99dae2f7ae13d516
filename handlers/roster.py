"""The roster in the chat, for the office: send a file, see what would change, confirm.

Also /danhsach: a blank template, the current roster and invite links, each as a file and
limited to the units the office person may see.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from formats.roster_file import MAX_FILE_BYTES, read_roster
from formats.roster_writer import csv_bytes, invite_rows, roster_bytes, template_rows
from formats.work import in_worker
from handlers.common import (
    BotContext,
    alert,
    button_of,
    current_actor,
    incoming,
    reply,
    require_role,
)
from messages import label, render, render_text
from storage.access import may_manage_roster, roster_import_unit, scope_unit_ids
from storage.models import Actor, Person
from storage.people import invites_for_roster
from storage.roster import RosterChanges, apply_import, export_rows, preview_import
from storage.roster_table import RosterFileError, RosterIssue
from storage.uploads import close_upload, get_upload, save_upload, upload_status
from storage.visibility import may_see_upload

log = logging.getLogger(__name__)
SHOWN_ISSUES = 20
ISSUES_ROOM = 3_300  # characters of problems in one message, headline and advice aside
ROSTER_EXTENSIONS = (".csv", ".xlsx", ".xlsm", ".xls", ".txt")


@require_role("office")
async def roster_menu(update: Update, context: BotContext) -> None:
    """What this office may do with the roster: the whole roster (the top office, an admin)
    or its own unit and the units below it (a Phòng office)."""
    actor = await current_actor(update, context)
    if actor is None:
        return
    scope = await _scope_person(context, actor)
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label("roster_template"), callback_data="roster:template")],
            [InlineKeyboardButton(label("roster_export"), callback_data="roster:export")],
            [InlineKeyboardButton(label("roster_invites"), callback_data="roster:invites")],
        ]
    )
    await reply(update, "roster_menu", scope=scope, reply_markup=keyboard)


async def _scope_person(context: BotContext, actor: Actor) -> Person | None:
    """The office person whose unit bounds this actor's roster files; None: the whole roster."""
    unit_id = await roster_import_unit(context.db, actor)
    return None if unit_id is None else actor.person


async def roster_document(update: Update, context: BotContext) -> None:
    """A document from an office person is read as a roster; others are told what to do."""
    message = incoming(update)
    document = message.document
    actor = await current_actor(update, context)
    if document is None or actor is None:
        return
    if not await may_manage_roster(context.db, actor):
        await reply(update, "unknown_message")
        return
    file_name = document.file_name or "danh_sach"
    if not file_name.lower().endswith(ROSTER_EXTENSIONS):
        await reply(update, "roster_wrong_type", file_name=file_name)
        return
    if (document.file_size or 0) > MAX_FILE_BYTES:
        await reply(update, "roster_too_big", limit_mb=MAX_FILE_BYTES // (1024 * 1024))
        return
    progress = await reply(update, "roster_checking", file_name=file_name)
    try:
        telegram_file = await context.bot.get_file(document.file_id)
        data = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("could not download roster file %s: %s", file_name, exc)
        await progress.edit_text(render("roster_download_failed"))
        return
    try:
        unit_id = await roster_import_unit(context.db, actor)
        table = await in_worker(read_roster, data, file_name)
        changes = await preview_import(context.db, table, unit_id)
    except RosterFileError as exc:
        await progress.edit_text(_issues_text(exc.issues))
        return
    if not changes.changed:
        await progress.edit_text(_changes_text(changes, actor, applied=False))
        return
    upload_id = await save_upload(
        context.db, actor.telegram_id, file_name, data, context.clock.now()
    )
    await progress.edit_text(
        _changes_text(changes, actor, applied=False), reply_markup=_confirm_keyboard(upload_id)
    )


async def roster_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    press = button_of(context)
    actor = await current_actor(update, context)
    if query is None or actor is None or not await may_manage_roster(context.db, actor):
        await alert(update, "not_allowed_short")
        return
    message = query.message if isinstance(query.message, Message) else None
    if press.kind in ("roster:apply", "roster:drop"):
        action = press.kind.removeprefix("roster:")
        if await _pending(update, context, actor, message, press.id) and message is not None:
            await query.answer()
            await _settle_upload(context, actor, message, press.id, action)
        return
    await query.answer()
    if message is None:
        return
    if press.kind == "roster:template":
        scope = await _scope_person(context, actor)
        rows = template_rows(None if scope is None else (scope.unit_code, scope.unit_name))
        data = await in_worker(roster_bytes, rows, xlsx=True)
        await _send_file(message, data, "mau_danh_sach.xlsx", "roster_template_caption")
    elif press.kind == "roster:export":
        await _send_export(context, actor, message)
    elif press.kind == "roster:invites":
        await _send_invites(context, actor, message)


async def _pending(
    update: Update, context: BotContext, actor: Actor, message: Message | None, upload_id: int
) -> bool:
    """Is the upload a preview names this person's, and still waiting? Else an alert. A
    preview dropped or superseded by a newer file that still shows its buttons is edited
    to say so; one already applied keeps its result (a second tap on «Áp dụng»)."""
    if not await may_see_upload(context.db, actor, upload_id):
        await alert(update, "not_allowed_short")
        return False
    status = await upload_status(context.db, upload_id)
    if status == "pending":
        return True
    await alert(update, "roster_expired")
    if status == "dropped" and message is not None and message.reply_markup is not None:
        try:
            await message.edit_text(render("roster_expired"))
        except BadRequest as exc:  # two presses at once: the first already said it
            if "not modified" not in str(exc).lower():
                raise
    return False


async def _settle_upload(
    context: BotContext, actor: Actor, message: Message, upload_id: int, action: str
) -> None:
    upload = await get_upload(context.db, upload_id, context.clock.now())
    if upload is None or upload.telegram_id != actor.telegram_id or upload.status != "pending":
        await message.edit_text(render("roster_expired"))
        return
    if action == "drop":
        await close_upload(context.db, upload_id, "dropped")
        await message.edit_text(render("roster_dropped"))
        return
    try:
        table = await in_worker(read_roster, upload.data, upload.file_name)
        # The scope is asked again: what counts is the person's office now, not at the preview.
        unit_id = await roster_import_unit(context.db, actor)
        changes: RosterChanges = await apply_import(
            context.db, table, context.clock.now(), unit_id
        )
    except RosterFileError as exc:
        # The database changed since the preview in a way that makes the file invalid now.
        await close_upload(context.db, upload_id, "dropped")
        await message.edit_text(_issues_text(exc.issues))
        return
    await close_upload(context.db, upload_id, "applied")
    # Counts only: names and phone numbers never reach a log.
    log.info("roster applied by %s: %s", actor.telegram_id, changes.counts())
    await message.edit_text(_changes_text(changes, actor, applied=True))


def _changes_text(changes: RosterChanges, actor: Actor, applied: bool) -> str:
    """The preview or the result; it warns the office person the file leaves out."""
    person = actor.person
    you_leave = person is not None and person.id in changes.people_deactivated_ids
    return render("roster_changes", changes=changes, applied=applied, you_leave=you_leave)


async def _send_export(context: BotContext, actor: Actor, message: Message) -> None:
    scope = await scope_unit_ids(context.db, actor)
    rows = [row for row in await export_rows(context.db) if scope is None or row.unit_id in scope]
    people = sum(1 for row in rows if row.full_name)
    data = await in_worker(roster_bytes, rows, xlsx=True)
    await _send_file(message, data, "danh_sach.xlsx", "roster_export_caption", count=people)


async def _send_invites(context: BotContext, actor: Actor, message: Message) -> None:
    scope = await scope_unit_ids(context.db, actor)
    invites = [
        invite
        for invite in await invites_for_roster(context.db, context.clock.now())
        if scope is None or invite.person.unit_id in scope
    ]
    table = invite_rows(invites, context.bot.username)
    pending = sum(1 for invite in invites if invite.code)
    caption = "roster_invites_caption"
    data = await in_worker(csv_bytes, table)
    await _send_file(message, data, "link_moi.csv", caption, count=len(invites), pending=pending)


async def _send_file(
    message: Message, data: bytes, file_name: str, caption: str, **values: Any
) -> None:
    await message.reply_document(
        InputFile(data, filename=file_name), caption=render(caption, **values)
    )


def _confirm_keyboard(upload_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    label("roster_apply"), callback_data=f"roster:apply:{upload_id}"
                ),
                InlineKeyboardButton(
                    label("roster_cancel"), callback_data=f"roster:drop:{upload_id}"
                ),
            ]
        ]
    )


def _issues_text(issues: list[RosterIssue]) -> str:
    """The first problems, as many as one message holds (Telegram takes 4,096 characters)."""
    texts: list[str] = []
    used = 0
    for issue in issues[:SHOWN_ISSUES]:
        text = render_text("roster_issue", issue=issue)
        used += len(text) + 3
        if used > ISSUES_ROOM:
            break
        texts.append(text)
    return render("roster_errors", issues=issues, texts=texts, hidden=len(issues) - len(texts))


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("danhsach", roster_menu, filters=private),
        MessageHandler(filters.Document.ALL & private, roster_document),
        CallbackQueryHandler(roster_button, pattern=r"^roster:"),
    ]
