"""/thongbao: the office sends a free-text announcement to a campaign's audience or to everyone
in its scope, through the same outbox as campaign launches, after a preview.

Like /phatdong (handlers/flows.py): the draft and its step are saved before each question,
/thongbao inside the flow asks the current question again, and «📨 Gửi» carries the draft's
token: the broadcast and the end of the draft and of the conversation are one transaction, so
an old «📨 Gửi» says the announcement is gone and sends nothing. A campaign button
(`tb:c:<id>`) is only honoured for a campaign the office may see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.outgoing import send_outgoing
from handlers.common import (
    BotContext,
    current_actor,
    drop_buttons,
    flow_conversation,
    incoming,
    office_actor,
    pressed,
    require_role,
    say,
    wake_sender,
)
from handlers.flows import END, StepFlow, new_token, token_pattern
from handlers.inputs import check_length
from messages import label, render, render_text
from storage.access import scope_unit_ids
from storage.campaigns import (
    Audience,
    campaign_visible,
    campaigns_visible,
    get_campaign,
    resolve_audience,
)
from storage.drafts import DraftGone
from storage.models import ROLES, Actor
from storage.outbox import create_broadcast
from storage.outgoing import OutgoingMessage
from storage.roster import top_unit_ids
from storage.unit_tree import unit_name

log = logging.getLogger(__name__)
FLOW = "thongbao"
SEND = "tb:send"
CANCEL = "tb:cancel"
SEND_PATTERN = token_pattern(SEND)
CANCEL_PATTERN = token_pattern(CANCEL)
MAX_ID_DIGITS = 12  # campaign ids in button data; longer numbers name no campaign


class Step(StrEnum):
    TARGET = "target"
    TEXT = "text"
    CONFIRM = "confirm"


@dataclass
class AnnouncementDraft:
    campaign_id: int | None = None
    title: str = ""
    text: str = ""
    step: str = Step.TARGET  # the question last asked (handlers/flows.py)
    token: str = field(default_factory=new_token)  # names this draft in «📨 Gửi»


ANNOUNCE: StepFlow[AnnouncementDraft] = StepFlow(FLOW, AnnouncementDraft, command="thongbao")


@require_role("office")
async def start(update: Update, context: BotContext) -> str:
    """/thongbao: a new draft, or inside the flow the current question again."""
    return await ANNOUNCE.begin(update, context, AnnouncementDraft(), Step.TARGET)


@ANNOUNCE.question(Step.TARGET)
async def ask_target(update: Update, context: BotContext, draft: AnnouncementDraft) -> None:
    actor = await current_actor(update, context)
    scope = await scope_unit_ids(context.db, actor) if actor else set()
    rows = [[InlineKeyboardButton(label("announce_everyone"), callback_data="tb:all")]]
    for campaign_id in await campaigns_visible(context.db, scope, limit=8):
        campaign = await get_campaign(context.db, campaign_id)
        if campaign is not None:
            text = label("announce_campaign", title=campaign.spec.title)
            rows.append([InlineKeyboardButton(text, callback_data=f"tb:c:{campaign_id}")])
    await say(update, "announce_ask_target", InlineKeyboardMarkup(rows))


async def on_target(update: Update, context: BotContext, draft: AnnouncementDraft) -> str:
    data = pressed(update)
    draft.campaign_id, draft.title = None, ""
    if data.startswith("tb:c:"):
        # Checked before anything about the campaign is read: a forged button naming another
        # district's campaign learns nothing, not even its title.
        campaign_id = _campaign_id(data.removeprefix("tb:c:"))
        actor = await current_actor(update, context)
        scope = await scope_unit_ids(context.db, actor) if actor else set()
        visible = campaign_id is not None and await campaign_visible(
            context.db, campaign_id, scope
        )
        campaign = await get_campaign(context.db, campaign_id) if visible and campaign_id else None
        if campaign is None:
            query = update.callback_query
            if query is not None:
                await query.answer(render_text("not_allowed_short"), show_alert=True)
            return Step.TARGET
        draft.campaign_id, draft.title = campaign.id, campaign.spec.title
    return await ANNOUNCE.advance(update, context, draft, Step.TEXT)


def _campaign_id(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= MAX_ID_DIGITS else None


@ANNOUNCE.question(Step.TEXT)
async def ask_text(update: Update, context: BotContext, draft: AnnouncementDraft) -> None:
    await say(update, "announce_ask_text", title=draft.title)


async def on_text(update: Update, context: BotContext, draft: AnnouncementDraft) -> str:
    draft.text = check_length(incoming(update).text_html or "", 1, 3500)
    return await ANNOUNCE.advance(update, context, draft, Step.CONFIRM)


async def _message(
    update: Update, context: BotContext, actor: Actor, draft: AnnouncementDraft
) -> OutgoingMessage:
    """What the recipients get (and the preview shows)."""
    sender = await _sender(update, context, actor)
    return OutgoingMessage(
        text=render("announcement", draft=draft, **sender),
        title=draft.title or label("announce_everyone"),
    )


@ANNOUNCE.question(Step.CONFIRM)
async def show_preview(update: Update, context: BotContext, draft: AnnouncementDraft) -> None:
    actor = await current_actor(update, context)
    if actor is None:
        return
    audience = await _audience(context, actor, draft)
    chat = update.effective_chat
    assert chat is not None
    await say(update, "announce_preview_intro")
    await send_outgoing(context.bot, chat.id, await _message(update, context, actor, draft))
    buttons = [InlineKeyboardButton(label("cancel"), callback_data=f"{CANCEL}:{draft.token}")]
    if audience.registered:
        send = InlineKeyboardButton(label("send"), callback_data=f"{SEND}:{draft.token}")
        buttons.insert(0, send)
    await context.bot.send_message(
        chat.id,
        render("launch_preview_count", audience=audience, units=len(audience.unit_ids)),
        reply_markup=InlineKeyboardMarkup([buttons]),
    )


async def _sender(update: Update, context: BotContext, actor: Actor) -> dict[str, str | None]:
    """Who the announcement is from: the office's unit and the person sending it (an admin
    outside the roster: the single top unit if there is one, and their Telegram name)."""
    if actor.person is not None:
        unit_id: int | None = actor.person.unit_id
        person: str | None = actor.person.full_name
    else:
        roots = await top_unit_ids(context.db)
        unit_id = roots[0] if len(roots) == 1 else None
        user = update.effective_user
        person = user.full_name if user is not None else None
    return {"unit": await unit_name(context.db, unit_id), "person": person}


async def _audience(context: BotContext, actor: Actor, draft: AnnouncementDraft) -> Audience:
    scope = await scope_unit_ids(context.db, actor)
    issuer = actor.person.unit_id if actor.person and scope is not None else None
    if draft.campaign_id is not None:
        campaign = await get_campaign(context.db, draft.campaign_id)
        if campaign is not None:
            spec = campaign.spec
            audience = await resolve_audience(
                context.db, spec.issuer_unit_id, spec.audience_all, spec.units, spec.roles
            )
            if scope is None:
                return audience
            people = tuple(p for p in audience.people if p.unit_id in scope)
            return Audience(audience.unit_ids & frozenset(scope), people)
    return await resolve_audience(context.db, issuer, True, (), ROLES)


async def on_send(update: Update, context: BotContext) -> object:
    """«📨 Gửi», in the confirm step or (outside the conversation) on an old preview."""
    query = update.callback_query
    if query is None:
        return None
    actor = await office_actor(update, context)
    if actor is None:
        return None
    draft, state = await ANNOUNCE.pressed_draft(
        update, context, SEND, "announce_gone", Step.CONFIRM
    )
    if draft is None:
        return state
    await query.answer()
    audience = await _audience(context, actor, draft)
    chat = update.effective_chat
    assert chat is not None
    message = await _message(update, context, actor, draft)
    progress = await context.bot.send_message(chat.id, render("launch_progress_start"))
    try:
        await create_broadcast(
            context.db,
            kind="announcement",
            campaign_id=draft.campaign_id,
            message=message,
            created_by=actor.telegram_id,
            progress_chat_id=chat.id,
            progress_message_id=progress.message_id,
            recipients=[(p.id, p.telegram_id) for p in audience.registered if p.telegram_id],
            now=context.clock.now(),
            flow_end=ANNOUNCE.end(update, draft.token),
        )
    except DraftGone:  # pressed twice at once: the other press sent it
        await progress.edit_text(render("announce_gone"))
        return END
    state = ANNOUNCE.ended(update, context)  # committed with the broadcast
    wake_sender(context)
    await drop_buttons(update, "the sent announcement")
    return state


on_cancel_button = ANNOUNCE.cancel_button(CANCEL, "announce_gone", "announce_cancelled")


async def cancel(update: Update, context: BotContext) -> int:
    return await ANNOUNCE.cancel(update, context, "announce_cancelled")


def conversation() -> ConversationHandler[BotContext]:
    on, expect = ANNOUNCE.on, ANNOUNCE.expect
    return flow_conversation(
        FLOW,
        [CommandHandler("thongbao", start, filters=filters.ChatType.PRIVATE)],
        {
            Step.TARGET: [
                CallbackQueryHandler(on(Step.TARGET, on_target), pattern=r"^tb:(all|c:\d+)$"),
                MessageHandler(~filters.COMMAND, expect(Step.TARGET, "launch_expect_button")),
            ],
            Step.TEXT: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, on(Step.TEXT, on_text)),
                MessageHandler(~filters.COMMAND, expect(Step.TEXT, "launch_expect_text")),
            ],
            Step.CONFIRM: [
                CallbackQueryHandler(on_send, pattern=SEND_PATTERN),
                CallbackQueryHandler(on_cancel_button, pattern=CANCEL_PATTERN),
                MessageHandler(~filters.COMMAND, expect(Step.CONFIRM, "launch_expect_button")),
            ],
        },
        cancel,
    )


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """The conversation, then the buttons of a preview pressed outside it (after sending, a
    cancel, or a restart in between): they say the announcement is gone."""
    return [
        conversation(),
        CallbackQueryHandler(on_send, pattern=SEND_PATTERN),
        CallbackQueryHandler(on_cancel_button, pattern=CANCEL_PATTERN),
    ]
