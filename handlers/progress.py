"""/tiendo: how far campaigns and their reports have got, limited to what the person may see.

Counted against everyone in each campaign's audience on the roster today, registered or not.
Office: delivery and acknowledgements per unit (with who has not registered yet), then per
round answered / not answered / not registered per unit, with buttons to list by name who is
missing, to review the reports and to close or reopen the round. Principal: the same for
their unit, and each of their staff. Teacher: the plans they received and their own reports.
Units come in unit-tree order, people by given name.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from handlers import charts
from handlers.common import (
    BotContext,
    button_of,
    current_actor,
    reply,
    require_role,
    say,
    seeing,
)
from handlers.nominations import show_nomination_progress
from handlers.round_close import toggle_button
from handlers.round_deadline import deadline_button
from messages import fits, label, most_that_fit, render
from storage.access import may_manage_campaign, scope_unit_ids
from storage.campaigns import (
    Audience,
    Campaign,
    campaign_audience,
    campaigns_visible,
    delivery_by_unit,
    get_campaign,
    received_by,
)
from storage.models import Actor
from storage.reports import get_round, tasks_for
from storage.round_progress import round_progress
from storage.visibility import may_see_round

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
        if campaign is None:
            continue
        audience = await campaign_audience(context.db, campaign.spec)
        units = await delivery_by_unit(context.db, campaign_id, audience, scope)
        if not units:
            continue
        shown += 1
        await reply(update, "progress_campaign", campaign=campaign, units=units, shown=SHOWN_UNITS)
        await _rounds(update, context, actor, campaign, audience, scope)
    if not shown:
        await reply(update, "progress_none")
    await show_nomination_progress(update, context, actor, scope)


async def _rounds(
    update: Update,
    context: BotContext,
    actor: Actor,
    campaign: Campaign,
    audience: Audience,
    scope: set[int] | None,
) -> None:
    manages = await may_manage_campaign(context.db, actor, campaign.spec.issuer_unit_id)
    today = context.clock.now().astimezone(context.config.timezone).date()
    for item in campaign.rounds:
        if item.id is None:
            continue
        progress = await round_progress(context.db, item.id, item.kind, audience, scope, today)
        units = progress.by_unit()
        people = []
        if actor.role == "principal" and actor.person is not None:
            people = progress.in_unit(actor.person.unit_id)
        rows = []
        if progress.missing:
            rows.append(
                [InlineKeyboardButton(label("missing_names"), callback_data=f"rn:{item.id}")]
            )
        buttons = []
        if actor.role == "office" and any(u.answered for u in units):
            buttons.append(
                InlineKeyboardButton(label("review_reports"), callback_data=f"rv:{item.id}")
            )
        if manages:
            if not item.closed:
                buttons.append(deadline_button(item.id))
            buttons.append(toggle_button(item.id, item.closed))
        if buttons:
            rows.append(buttons)
        if actor.role == "office":
            rows.append([charts.chart_button(item.id)])
        values: dict[str, Any] = {"round": item, "units": units, "people": people,
                                  "now": context.clock.now(), "closed": item.closed}  # fmt: skip
        listed = len(people) if people else min(len(units), SHOWN_UNITS)
        shown = most_that_fit(listed, _fits_with("progress_round", values))
        await reply(
            update, "progress_round", **values, shown=shown,
            reply_markup=InlineKeyboardMarkup(rows) if rows else None,
        )  # fmt: skip


async def show_missing(update: Update, context: BotContext) -> None:
    """The «Ai chưa nộp» button under a round: by unit and given name, who has not answered
    and who has not registered, within the presser's scope. Nothing is read about the round
    before the presser is known to be entitled to it; anyone else gets an alert."""
    round_id = button_of(context).id
    actor = await seeing(update, context, may_see_round, round_id)
    if actor is None:
        return
    info = await get_round(context.db, round_id)
    if info is None:
        return
    scope = await scope_unit_ids(context.db, actor)
    campaign = await get_campaign(context.db, info.campaign_id)
    if campaign is None:
        return
    audience = await campaign_audience(context.db, campaign.spec)
    today = context.clock.now().astimezone(context.config.timezone).date()
    progress = await round_progress(context.db, info.id, info.kind, audience, scope, today)
    missing = progress.missing
    if not missing:
        await say(update, "progress_names_none", round=info)
        return

    def values(shown: int) -> dict[str, Any]:
        listed = missing[:shown]
        groups = [(name, list(entries)) for (_, name), entries
                  in groupby(listed, key=lambda e: (e.unit_id, e.unit_name))]  # fmt: skip
        return {"round": info, "groups": groups, "total": len(missing),
                "hidden": len(missing) - shown}  # fmt: skip

    shown = most_that_fit(len(missing), lambda n: fits(render("progress_names", **values(n))))
    await say(update, "progress_names", **values(shown))


def _fits_with(template: str, values: dict[str, Any]) -> Callable[[int], bool]:
    """Does the template fit when it lists the first `shown` items?"""
    return lambda shown: fits(render(template, **values, shown=shown))


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler("tiendo", show_progress, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(show_missing, pattern=r"^rn:\d+$"),
        CallbackQueryHandler(charts.show_chart, pattern=charts.PATTERN),
    ]
