"""/thongbao: the office sends a free-text announcement to a campaign's audience or to
everyone in its scope, through the same outbox as campaign launches, after a preview."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.common import (
    BotContext,
    current_actor,
    drop_flow,
    flow_conversation,
    incoming,
    load_flow,
    pressed,
    require_role,
    save_flow,
    say,
    stay,
    wake_sender,
)
from handlers.inputs import InputError, check_length
from messages import label, render
from storage.access import scope_unit_ids
from storage.campaigns import Audience, campaigns_visible, get_campaign, resolve_audience
from storage.models import ROLES, Actor
from storage.outbox import create_broadcast
from storage.roster import top_unit_ids
from storage.unit_tree import unit_name

FLOW = "thongbao"


class Step(StrEnum):
    TARGET = "target"
    TEXT = "text"
    CONFIRM = "confirm"


@dataclass
class AnnouncementDraft:
    campaign_id: int | None = None
    title: str = ""
    text: str = ""


async def _draft(update: Update, context: BotContext) -> AnnouncementDraft:
    return AnnouncementDraft(**await load_flow(update, context, FLOW))


async def _save(update: Update, context: BotContext, draft: AnnouncementDraft) -> None:
    await save_flow(update, context, FLOW, draft)


@require_role("office")
async def start(update: Update, context: BotContext) -> Step:
    actor = await current_actor(update, context)
    scope = await scope_unit_ids(context.db, actor) if actor else set()
    rows = [[InlineKeyboardButton(label("announce_everyone"), callback_data="tb:all")]]
    for campaign_id in await campaigns_visible(context.db, scope, limit=8):
        campaign = await get_campaign(context.db, campaign_id)
        if campaign is not None:
            text = label("announce_campaign", title=campaign.spec.title)
            rows.append([InlineKeyboardButton(text, callback_data=f"tb:c:{campaign_id}")])
    await _save(update, context, AnnouncementDraft())
    await say(update, "announce_ask_target", InlineKeyboardMarkup(rows))
    return Step.TARGET


async def on_target(update: Update, context: BotContext) -> Step:
    data = pressed(update)
    draft = AnnouncementDraft()
    if data.startswith("tb:c:"):
        campaign = await get_campaign(context.db, int(data.removeprefix("tb:c:")))
        if campaign is None:
            return Step.TARGET
        draft.campaign_id, draft.title = campaign.id, campaign.spec.title
    await _save(update, context, draft)
    await say(update, "announce_ask_text", title=draft.title)
    return Step.TEXT


async def on_text(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    try:
        draft.text = check_length(incoming(update).text_html or "", 1, 3500)
    except InputError as error:
        await say(update, error.template, **error.values)
        return Step.TEXT
    await _save(update, context, draft)
    actor = await current_actor(update, context)
    audience = await _audience(context, actor, draft) if actor else Audience(frozenset(), ())
    await say(update, "announce_preview_intro")
    sender = await _sender(update, context, actor) if actor else {}
    await incoming(update).reply_html(render("announcement", draft=draft, **sender))
    buttons = [InlineKeyboardButton(label("cancel"), callback_data="tb:cancel")]
    if audience.registered:
        buttons.insert(0, InlineKeyboardButton(label("send"), callback_data="tb:send"))
    await say(
        update,
        "launch_preview_count",
        InlineKeyboardMarkup([buttons]),
        audience=audience,
        units=len(audience.unit_ids),
    )
    return Step.CONFIRM


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


async def on_send(update: Update, context: BotContext) -> int:
    actor = await current_actor(update, context)
    query = update.callback_query
    if actor is None or actor.role != "office" or query is None:
        return ConversationHandler.END
    await query.answer()
    draft = await _draft(update, context)
    audience = await _audience(context, actor, draft)
    chat = update.effective_chat
    assert chat is not None
    progress = await context.bot.send_message(chat.id, render("launch_progress_start"))
    await create_broadcast(
        context.db,
        kind="announcement",
        campaign_id=draft.campaign_id,
        payload={
            "text": render("announcement", draft=draft, **await _sender(update, context, actor)),
            "buttons": [],
            "document": None,
            "title": draft.title or label("announce_everyone"),
        },
        created_by=actor.telegram_id,
        progress_chat_id=chat.id,
        progress_message_id=progress.message_id,
        recipients=[(p.id, p.telegram_id) for p in audience.registered if p.telegram_id],
        now=context.clock.now(),
    )
    await drop_flow(update, context, FLOW)
    wake_sender(context)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(None)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    await drop_flow(update, context, FLOW)
    await say(update, "announce_cancelled")
    return ConversationHandler.END


def conversation() -> ConversationHandler[BotContext]:
    return flow_conversation(
        FLOW,
        [CommandHandler("thongbao", start, filters=filters.ChatType.PRIVATE)],
        {
            Step.TARGET: [
                CallbackQueryHandler(on_target, pattern=r"^tb:(all|c:\d+)$"),
                MessageHandler(~filters.COMMAND, stay(Step.TARGET, "launch_expect_button")),
            ],
            Step.TEXT: [
                MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
                MessageHandler(~filters.COMMAND, stay(Step.TEXT, "launch_expect_text")),
            ],
            Step.CONFIRM: [
                CallbackQueryHandler(on_send, pattern=r"^tb:send$"),
                CallbackQueryHandler(cancel, pattern=r"^tb:cancel$"),
                MessageHandler(~filters.COMMAND, stay(Step.CONFIRM, "launch_expect_button")),
            ],
        },
        cancel,
    )


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [conversation()]
