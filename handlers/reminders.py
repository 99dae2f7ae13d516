"""/nhacnho: the office reminds, now, everyone in its scope who still owes a round.

Pick a campaign, then a round; see how many people and units still owe it (counted as /tiendo
counts them: absent people are excused, people who have not registered cannot be reached);
then send. The reminder is the scheduled one (bot/reminders.py), naming the office, queued in
the outbox in the transaction that records it; a second one for the same round within the
hour is refused, saying when the last went out.

Button data: `nn:c:<campaign>`, `nn:r:<round>`, `nn:s:<round>`, `nn:x`; the office's scope is
checked at every press.
"""

from __future__ import annotations

import json
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.reminders import MANUAL_INTERVAL, Owing, manual_plan, owing_of
from handlers.common import (
    BotContext,
    alert,
    button_of,
    current_actor,
    require_role,
    say,
    wake_sender,
)
from messages import label, render
from storage.access import scope_unit_ids
from storage.campaigns import Campaign, campaign_audience, campaigns_visible
from storage.campaigns import get_campaign as load_campaign
from storage.models import Actor
from storage.reports import RoundInfo, get_round
from storage.round_progress import round_progress
from storage.schedule import commit_manual, last_manual
from storage.unit_tree import unit_name
from storage.visibility import may_see_campaign, may_see_round

SHOWN_CAMPAIGNS = 8


def _office(actor: Actor | None) -> bool:
    return actor is not None and actor.role == "office"


async def _refuse(update: Update) -> None:
    await alert(update, "not_allowed_short")


@require_role("office")
async def start(update: Update, context: BotContext) -> None:
    actor = await current_actor(update, context)
    scope = await scope_unit_ids(context.db, actor) if actor else set()
    rows = []
    for campaign_id in await campaigns_visible(context.db, scope, limit=SHOWN_CAMPAIGNS):
        campaign = await load_campaign(context.db, campaign_id)
        if campaign is None or campaign.status != "launched":
            continue
        if any(not r.closed for r in campaign.rounds):
            text = label("announce_campaign", title=campaign.spec.title)
            rows.append([InlineKeyboardButton(text, callback_data=f"nn:c:{campaign_id}")])
    if not rows:
        await say(update, "remind_none")
        return
    await say(update, "remind_pick_campaign", InlineKeyboardMarkup(rows))


async def _campaign(update: Update, context: BotContext, campaign_id: int) -> Campaign | None:
    """The campaign, if the presser is an office that may see it (else an alert)."""
    actor = await current_actor(update, context)
    if (
        actor is None
        or not _office(actor)
        or not await may_see_campaign(context.db, actor, campaign_id)
    ):
        await _refuse(update)
        return None
    return await load_campaign(context.db, campaign_id)


async def pick_round(update: Update, context: BotContext) -> None:
    campaign = await _campaign(update, context, button_of(context).id)
    if campaign is None:
        return
    rows = [
        [InlineKeyboardButton(label("remind_round", round=r), callback_data=f"nn:r:{r.id}")]
        for r in campaign.rounds
        if r.id is not None and not r.closed
    ]
    if not rows:
        await say(update, "remind_none")
        return
    await say(update, "remind_pick_round", InlineKeyboardMarkup(rows), campaign=campaign)


async def _round(update: Update, context: BotContext) -> tuple[Actor, RoundInfo, Owing] | None:
    """The open round a button names, with who owes it in the presser's scope (a closed one:
    said so, and None). Nothing about the round is read before the presser is known to be
    entitled to see it."""
    round_id = button_of(context).id
    actor = await current_actor(update, context)
    if actor is None or not _office(actor) or not await may_see_round(context.db, actor, round_id):
        await _refuse(update)
        return None
    info = await get_round(context.db, round_id)
    campaign = await load_campaign(context.db, info.campaign_id) if info else None
    if info is None or campaign is None:
        return None
    if info.closed:
        await say(update, "round_already_closed", round=info)
        return None
    scope = await scope_unit_ids(context.db, actor)
    audience = await campaign_audience(context.db, campaign.spec)
    today = context.clock.now().astimezone(context.config.timezone).date()
    progress = await round_progress(context.db, info.id, info.kind, audience, scope, today)
    return actor, info, owing_of(progress.entries, audience.people)


async def preview(update: Update, context: BotContext) -> None:
    found = await _round(update, context)
    if found is None:
        return
    _, info, owing = found
    last = await last_manual(context.db, info.id)
    values: dict[str, Any] = {
        "round": info,
        "owing": owing,
        "last": last.created_at if last else None,
        "last_by": json.loads(last.data or "{}") if last else {},
        "now": context.clock.now(),
    }
    if not owing.recipients:
        await say(update, "remind_nobody", **values)
        return
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label("remind_send", count=len(owing.recipients)),
                               callback_data=f"nn:s:{info.id}"),
          InlineKeyboardButton(label("cancel"), callback_data="nn:x")]]
    )  # fmt: skip
    await say(update, "remind_preview", keyboard, **values)


async def send(update: Update, context: BotContext) -> None:
    found = await _round(update, context)
    if found is None:
        return
    actor, info, owing = found
    if not owing.recipients:
        await say(update, "remind_nobody", round=info, owing=owing, last=None, last_by={},
                  now=context.clock.now())  # fmt: skip
        return
    now = context.clock.now()
    campaign = await load_campaign(context.db, info.campaign_id)
    issuer_id = campaign.spec.issuer_unit_id if campaign else None
    issuer = await unit_name(context.db, issuer_id)
    person = actor.person
    by = {
        "unit": person.unit_name if person else render("remind_admin"),
        "name": person.full_name if person else "",
    }
    plan = manual_plan(info, issuer, owing, by, actor.telegram_id, now, context.config.timezone)
    queued, last = await commit_manual(context.db, info.id, plan, now, MANUAL_INTERVAL)
    if last is not None:
        await say(
            update, "remind_refused", round=info, last=last.created_at,
            last_by=json.loads(last.data or "{}"), again=last.created_at + MANUAL_INTERVAL,
        )  # fmt: skip
        return
    wake_sender(context)
    await say(update, "remind_sent", round=info, people=queued, units=owing.units)


async def cancel(update: Update, context: BotContext) -> None:
    await say(update, "remind_cancelled")


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler("nhacnho", start, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(pick_round, pattern=r"^nn:c:\d+$"),
        CallbackQueryHandler(preview, pattern=r"^nn:r:\d+$"),
        CallbackQueryHandler(send, pattern=r"^nn:s:\d+$"),
        CallbackQueryHandler(cancel, pattern=r"^nn:x$"),
    ]
