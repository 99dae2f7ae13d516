"""/tiendo: how far campaigns have got, limited to what the person may see."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from handlers.common import BotContext, current_actor, reply, require_role
from storage.access import scope_unit_ids
from storage.campaigns import campaigns_visible, delivery_by_unit, get_campaign, received_by

SHOWN_CAMPAIGNS = 5
SHOWN_UNITS = 30


@require_role("office", "principal", "teacher")
async def show_progress(update: Update, context: BotContext) -> None:
    actor = await current_actor(update, context)
    if actor is None:
        return
    if actor.role == "teacher" and actor.person is not None:
        received = await received_by(context.db, actor.person.id)
        await reply(update, "progress_person", campaigns=received[:SHOWN_CAMPAIGNS])
        return
    scope = await scope_unit_ids(context.db, actor)
    reports = []
    for campaign_id in await campaigns_visible(context.db, scope, limit=SHOWN_CAMPAIGNS):
        campaign = await get_campaign(context.db, campaign_id)
        units = await delivery_by_unit(context.db, campaign_id, scope)
        if campaign is None or not units:
            continue
        reports.append({"campaign": campaign, "units": units})
    if not reports:
        await reply(update, "progress_none")
        return
    for report in reports:
        await reply(update, "progress_campaign", shown=SHOWN_UNITS, **report)


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [CommandHandler("tiendo", show_progress, filters=filters.ChatType.PRIVATE)]
