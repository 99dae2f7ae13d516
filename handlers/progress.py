"""/tiendo: how far campaigns and their reports have got, limited to what the person may see.

Office: delivery and acknowledgements per unit, then per round answered / expected / late
per unit (with buttons to review the reports and to close or reopen the round). Principal:
the same for their unit, and who of their staff has answered. Teacher: the plans they
received and their own reports.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from handlers.common import BotContext, current_actor, reply, require_role
from handlers.round_close import toggle_button
from messages import label
from storage.access import may_manage_campaign, scope_unit_ids
from storage.campaigns import (
    Campaign,
    campaigns_visible,
    delivery_by_unit,
    get_campaign,
    received_by,
)
from storage.models import Actor
from storage.reports import tasks_for
from storage.round_progress import answers_by_unit, answers_in_unit

SHOWN_CAMPAIGNS = 5
SHOWN_UNITS = 30


@require_role("office", "principal", "teacher")
async def show_progress(update: Update, context: BotContext) -> None:
    actor = await current_actor(update, context)
    if actor is None:
        return
    if actor.role == "teacher" and actor.person is not None:
        received = await received_by(context.db, actor.person.id)
        tasks = await tasks_for(context.db, actor.person)
        await reply(update, "progress_person", campaigns=received[:SHOWN_CAMPAIGNS], tasks=tasks)
        return
    scope = await scope_unit_ids(context.db, actor)
    shown = 0
    for campaign_id in await campaigns_visible(context.db, scope, limit=SHOWN_CAMPAIGNS):
        campaign = await get_campaign(context.db, campaign_id)
        units = await delivery_by_unit(context.db, campaign_id, scope)
        if campaign is None or not units:
            continue
        shown += 1
        await reply(update, "progress_campaign", campaign=campaign, units=units, shown=SHOWN_UNITS)
        await _rounds(update, context, actor, campaign, scope)
    if not shown:
        await reply(update, "progress_none")


async def _rounds(
    update: Update, context: BotContext, actor: Actor, campaign: Campaign, scope: set[int] | None
) -> None:
    manages = await may_manage_campaign(context.db, actor, campaign.spec.issuer_unit_id)
    for item in campaign.rounds:
        if item.id is None:
            continue
        units = await answers_by_unit(context.db, item.id, campaign.id, item.kind, scope)
        people = []
        if actor.role == "principal" and actor.person is not None and item.kind == "person":
            people = await answers_in_unit(context.db, item.id, campaign.id, actor.person.unit_id)
        buttons = []
        if actor.role == "office" and any(u.answered for u in units):
            buttons.append(
                InlineKeyboardButton(label("review_reports"), callback_data=f"rv:{item.id}")
            )
        if manages:
            buttons.append(toggle_button(item.id, item.closed))
        await reply(
            update, "progress_round", round=item, units=units, people=people,
            shown=SHOWN_UNITS, now=context.clock.now(), closed=item.closed,
            reply_markup=InlineKeyboardMarkup([buttons]) if buttons else None,
        )  # fmt: skip


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [CommandHandler("tiendo", show_progress, filters=filters.ChatType.PRIVATE)]
