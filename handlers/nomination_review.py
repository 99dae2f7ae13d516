"""/duyet: the office reviews the nominations waiting at its level, oldest first, one card at a
time («Duyệt», «Không duyệt» with a reason, «Yêu cầu bổ sung» with a reason, the evidence files
on request); publishes a quarter's approved examples (nhân rộng điển hình); and sets a
campaign's own quota and whether its units file award dossiers.

A Phòng's office decides for its schools; what it approves goes up to the Sở's office as its
proposal, and the Sở decides. Every decision is one transaction with the notice to the
nominator, naming the office person (with a reason: and the end of the reason's flow). Every
button is checked first: the presser is an office whose scope holds the nomination's unit;
anyone else gets an alert.

Publishing works as /thongbao does: the preview is the very message recipients get, sent the
same way (bot/outgoing.py); its «📨 Gửi» and «✖️ Hủy» carry the draft's token, renewed at
every preview, and the broadcast ends the draft in its own transaction only if the draft
still carries that token. So a «Gửi» pressed twice, after a restart, or under an older
preview says the publication is gone and sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    filters,
)

from bot.outgoing import send_outgoing
from handlers.common import (
    BotContext,
    alert,
    answer_once,
    button_of,
    current_actor,
    drop_buttons,
    flow_conversation,
    incoming,
    office_actor,
    require_role,
    say,
    typed_step,
    wake_sender,
)
from handlers.evidence import send_evidence_file
from handlers.flows import Flow, new_token, refuse
from handlers.inputs import InputError, check_length
from handlers.nominations import (
    FIELDS,
    card_values,
    current_quarter,
    field_names,
    keyboard,
    may_see,
)
from messages import fits, label, most_that_fit, render
from storage.access import may_manage_campaign, scope_unit_ids
from storage.campaigns import (
    Audience,
    campaign_audience,
    campaigns_visible,
    get_campaign,
    resolve_audience,
)
from storage.drafts import DraftGone, FlowEnd
from storage.models import ROLES, Actor
from storage.nominations import (
    CampaignSettings,
    Decision,
    Nomination,
    campaign_settings,
    decide,
    nomination_card,
    publish,
    publishable,
    published_before,
    review_queue,
    reviewer_units,
    set_campaign_settings,
)
from storage.outgoing import Button, OutgoingMessage
from storage.quarters import Quarter
from storage.reports import evidence_list
from storage.unit_tree import unit_name

log = logging.getLogger(__name__)
REASON_FLOW = "duyet"
PUBLISH_FLOW = "nhanrong"
QUARTERS_BACK = 4  # quarters offered for publishing, the current one included
SHOWN_CAMPAIGNS = 8
QUOTAS = (1, 2, 3, 4, 5)
ACHIEVEMENT_LINE = 160  # characters of each example's achievement in a publication


class Step(StrEnum):
    REASON = "reason"


@dataclass
class ReasonDraft:
    """The decision an office is writing a reason for."""

    nomination_id: int
    action: str  # 'reject' or 'return'


@dataclass
class PublishDraft:
    """A publication being prepared: its quarter, then its audience (`campaign_id` None:
    everyone in the office's scope). Every preview gets a new token, carried by its «Gửi» and
    «Hủy»: only the latest preview can be sent, and only once."""

    quarter: int  # Quarter.key
    campaign_id: int | None = None
    previewed: bool = False
    token: str = field(default_factory=new_token)


REASON: Flow[ReasonDraft] = Flow(REASON_FLOW, ReasonDraft, lost="nomination_reason_lost")
PUBLISH: Flow[PublishDraft] = Flow(PUBLISH_FLOW, PublishDraft, lost="nomination_publish_lost")
SEND = "dy:ps"
CANCEL = "dy:px"


# ---- who, and what they may decide --------------------------------------------------------------


async def _reviewers(context: BotContext, actor: Actor) -> set[int]:
    person = actor.person
    office_unit = person.unit_id if person is not None and person.role == "office" else None
    return await reviewer_units(context.db, office_unit)


async def _office_unit(context: BotContext, actor: Actor) -> int | None:
    """The unit an office publishes as (None: an admin off the roster, for every unit)."""
    scope = await scope_unit_ids(context.db, actor)
    if scope is None or actor.person is None:
        return None
    return actor.person.unit_id


def _field_name(key: str) -> str:
    return field_names()[FIELDS.index(key)] if key in FIELDS else key


# ---- the queue and the card ---------------------------------------------------------------------


@require_role("office")
async def start(update: Update, context: BotContext) -> None:
    actor = await current_actor(update, context)
    if actor is None:
        return
    scope = await scope_unit_ids(context.db, actor)
    queue = await review_queue(context.db, await _reviewers(context, actor), scope)
    rows = keyboard(
        [(label("nomination_publish"), "dy:pub")], [(label("nomination_settings"), "dy:cfg")]
    )
    await say(update, "nomination_queue", rows, count=len(queue), quarter=current_quarter(context))
    if queue:
        await _show(update, context, actor, queue[0], len(queue))


async def _show(
    update: Update, context: BotContext, actor: Actor, nomination_id: int, waiting: int = 0
) -> None:
    scope = await scope_unit_ids(context.db, actor)
    card = await nomination_card(context.db, nomination_id, scope)
    if card is None:
        return
    n = card.nomination
    files = await evidence_list(context.db, list(n.evidence))
    decides = n.status == "pending" and card.reviewer_unit_id in await _reviewers(context, actor)
    rows: list[list[tuple[str, str]]] = []
    if decides:
        rows.append([(label("nomination_approve"), f"dy:a:{n.id}"),
                     (label("nomination_reject"), f"dy:r:{n.id}")])  # fmt: skip
        rows.append([(label("return_report"), f"dy:b:{n.id}")])
    if files:
        rows.append([(label("nomination_files", count=len(files)), f"dy:f:{n.id}")])
    if decides and waiting > 1:
        rows.append([(label("nomination_next"), f"dy:n:{n.id}")])
    values = card_values(card, evidence_names=[f.file_name for f in files])
    await say(update, "nomination_card", keyboard(*rows), **values)


async def on_card(update: Update, context: BotContext) -> None:
    """A press on a card (open, approve, files, next); reject and send back are the
    conversation's. The presser's scope is checked before anything about it is read."""
    press = button_of(context)
    actor = await office_actor(update, context)
    if actor is None:
        return
    action, nomination_id = press.kind.removeprefix("dy:"), press.id
    if not await may_see(context, actor, nomination_id):
        await alert(update, "not_allowed_short")
        return
    if action == "o":
        await _show(update, context, actor, nomination_id)
    elif action == "f":
        await _send_files(update, context, nomination_id)
    elif action == "n":
        await _next_card(update, context, actor, after=nomination_id)
    elif action == "a":
        await _decide(update, context, actor, nomination_id, "approve", None)


async def _next_card(
    update: Update, context: BotContext, actor: Actor, after: int | None = None
) -> None:
    queue = await review_queue(
        context.db, await _reviewers(context, actor), await scope_unit_ids(context.db, actor)
    )
    if after in queue:
        position = queue.index(after)
        queue = queue[position + 1 :] + queue[:position]
    if not queue:
        await say(update, "nomination_queue_empty")
        return
    await _show(update, context, actor, queue[0], len(queue) + (1 if after else 0))


async def _send_files(update: Update, context: BotContext, nomination_id: int) -> None:
    card = await nomination_card(context.db, nomination_id)
    chat = update.effective_chat
    if card is None or chat is None:
        return
    await answer_once(update)
    for evidence in await evidence_list(context.db, list(card.nomination.evidence)):
        caption = render("nomination_evidence_caption", evidence=evidence, n=card.nomination)
        await send_evidence_file(context, chat.id, evidence, caption)


async def _decide(
    update: Update, context: BotContext, actor: Actor, nomination_id: int, action: str,
    reason: str | None, flow_end: FlowEnd | None = None,
) -> None:  # fmt: skip
    """The decision and the notice to the nominator, one transaction; with a reason, the
    reason's flow (`flow_end`) ends in it too."""
    office = actor.person

    def notice(decision: Decision) -> OutgoingMessage:
        n = decision.nomination
        buttons = []
        if decision.outcome == "returned":
            buttons.append([Button(label("nomination_complete"), callback_data=f"dh:fix:{n.id}")])
        text = render("nomination_outcome", decision=decision, n=n, office=office,
                      field_name=_field_name(n.field))  # fmt: skip
        return OutgoingMessage(text, title=label("nomination_title", quarter=n.quarter)
                               ).with_buttons(buttons)  # fmt: skip

    decision = await decide(
        context.db, nomination_id, action, reviewers=await _reviewers(context, actor),
        person_id=office.id if office is not None else None, telegram_id=actor.telegram_id,
        reason=reason, now=context.clock.now(), notice=notice, flow_end=flow_end,
    )  # fmt: skip
    if flow_end is not None:  # committed with the decision (or alone, if none was made)
        REASON.ended(update, context)
    if decision is None:
        await say(update, "nomination_not_waiting")
        return
    wake_sender(context)
    await say(update, "nomination_decided", decision=decision, n=decision.nomination)
    await _next_card(update, context, actor)


# ---- reject / send back: the reason ------------------------------------------------------------


async def ask_reason(update: Update, context: BotContext) -> Step | int:
    press = button_of(context)
    actor = await office_actor(update, context)
    if actor is None:
        return ConversationHandler.END
    nomination_id = press.id
    if not await may_see(context, actor, nomination_id):
        await alert(update, "not_allowed_short")
        return ConversationHandler.END
    card = await nomination_card(context.db, nomination_id)
    if card is None or card.nomination.status != "pending":
        await say(update, "nomination_not_waiting")
        return ConversationHandler.END
    action = "reject" if press.kind == "dy:r" else "return"
    await REASON.save(update, context, ReasonDraft(nomination_id, action))
    await say(update, "nomination_ask_reason", n=card.nomination, action=action)
    return Step.REASON


async def on_reason(update: Update, context: BotContext) -> Step | int:
    actor = await current_actor(update, context)
    if actor is None or actor.role != "office":
        await REASON.drop(update, context)
        await say(update, "not_allowed_short")
        return ConversationHandler.END
    try:
        reason = check_length(incoming(update).text or "", 3, 1000)
    except InputError as error:
        return await refuse(update, context, error, Step.REASON)
    draft = await REASON.load(update, context)
    if draft is None or draft.action not in ("reject", "return"):
        return await REASON.lost(update, context)
    if not await may_see(context, actor, draft.nomination_id):
        await REASON.drop(update, context)
        await say(update, "not_allowed_short")
        return ConversationHandler.END
    await _decide(update, context, actor, draft.nomination_id, draft.action, reason,
                  REASON.end(update))  # fmt: skip
    return ConversationHandler.END


async def cancel_reason(update: Update, context: BotContext) -> int:
    return await REASON.cancel(update, context, "nomination_reason_cancelled")


# ---- publishing ---------------------------------------------------------------------------------


async def _publishable(context: BotContext, actor: Actor, quarter: Quarter) -> list[Nomination]:
    scope = await scope_unit_ids(context.db, actor)
    return await publishable(context.db, await _office_unit(context, actor), scope, quarter)


async def publish_menu(update: Update, context: BotContext) -> None:
    actor = await office_actor(update, context)
    if actor is None:
        return
    current = current_quarter(context)
    rows = []
    for quarter in [current, *current.before(QUARTERS_BACK - 1)]:
        examples = await _publishable(context, actor, quarter)
        if examples:
            text = label("nomination_publish_quarter", quarter=quarter, count=len(examples))
            rows.append([(text, f"dy:pq:{quarter.key}")])
    if not rows:
        await say(update, "nomination_publish_none", quarter=current)
        return
    await say(update, "nomination_publish_ask_quarter", keyboard(*rows))


def _allowed_quarter(context: BotContext, key: int) -> Quarter | None:
    current = current_quarter(context)
    allowed = {q.key: q for q in [current, *current.before(QUARTERS_BACK - 1)]}
    return allowed.get(key)


async def publish_quarter(update: Update, context: BotContext) -> None:
    actor = await office_actor(update, context)
    quarter = _allowed_quarter(context, button_of(context).id)
    if actor is None:
        return
    if quarter is None:
        await alert(update, "not_allowed_short")
        return
    await PUBLISH.save(update, context, PublishDraft(quarter.key))
    scope = await scope_unit_ids(context.db, actor)
    rows = [[(label("nomination_publish_everyone"), "dy:pa:0")]]
    for campaign_id in await campaigns_visible(context.db, scope, limit=SHOWN_CAMPAIGNS):
        campaign = await get_campaign(context.db, campaign_id)
        if campaign is not None:
            title = label("announce_campaign", title=campaign.spec.title)
            rows.append([(title, f"dy:pa:{campaign_id}")])
    await say(update, "nomination_publish_ask_audience", keyboard(*rows), quarter=quarter)


async def _audience(context: BotContext, actor: Actor, campaign_id: int | None) -> Audience:
    """Everyone in the office's scope, or a campaign's audience within it."""
    scope = await scope_unit_ids(context.db, actor)
    if campaign_id is not None:
        campaign = await get_campaign(context.db, campaign_id)
        if campaign is not None:
            audience = await campaign_audience(context.db, campaign.spec)
            if scope is None:
                return audience
            people = tuple(p for p in audience.people if p.unit_id in scope)
            return Audience(audience.unit_ids & frozenset(scope), people)
    issuer = await _office_unit(context, actor)
    return await resolve_audience(context.db, issuer, True, (), ROLES)


async def _publication(
    context: BotContext, actor: Actor, quarter: Quarter, examples: list[Nomination]
) -> OutgoingMessage:
    """What every recipient gets, and the preview shows (sent the same way)."""
    issuer = await unit_name(context.db, await _office_unit(context, actor))
    names = {n.id: _field_name(n.field) for n in examples}

    def values(shown: int) -> dict[str, Any]:
        return {"quarter": quarter, "examples": examples[:shown], "fields": names,
                "hidden": len(examples) - shown, "issuer": issuer,
                "line": ACHIEVEMENT_LINE}  # fmt: skip

    shown = most_that_fit(len(examples), lambda n: fits(render("nomination_publication",
                                                               **values(n))))  # fmt: skip
    text = render("nomination_publication", **values(shown))
    return OutgoingMessage(text, title=label("nomination_publication_title", quarter=quarter))


async def publish_audience(update: Update, context: BotContext) -> None:
    actor = await office_actor(update, context)
    if actor is None:
        return
    campaign_id = button_of(context).id or None
    scope = await scope_unit_ids(context.db, actor)
    if campaign_id is not None and campaign_id not in await campaigns_visible(
        context.db, scope, limit=SHOWN_CAMPAIGNS
    ):
        await alert(update, "not_allowed_short")
        return
    draft = await PUBLISH.load(update, context)
    if draft is None:
        await PUBLISH.lost(update, context)
        return
    # A new token: a preview shown before (another audience) can no longer be sent.
    draft.campaign_id, draft.previewed, draft.token = campaign_id, True, new_token()
    await PUBLISH.save(update, context, draft)
    quarter = Quarter.from_key(draft.quarter)
    examples = await _publishable(context, actor, quarter)
    audience = await _audience(context, actor, campaign_id)
    await say(update, "announce_preview_intro")
    chat = update.effective_chat
    assert chat is not None
    await send_outgoing(context.bot, chat.id, await _publication(context, actor, quarter,
                                                                 examples))  # fmt: skip
    buttons = [(label("cancel"), f"{CANCEL}:{draft.token}")]
    if audience.registered and examples:
        buttons.insert(0, (label("send"), f"{SEND}:{draft.token}"))
    before = await published_before(context.db, await _office_unit(context, actor), quarter)
    await say(update, "nomination_publish_preview", keyboard(buttons), audience=audience,
              units=len(audience.unit_ids), examples=len(examples), before=before)  # fmt: skip


async def _previewed(update: Update, context: BotContext) -> PublishDraft | None:
    """The draft whose preview holds the pressed button (its token); otherwise an alert that
    this publication was sent or cancelled, and None."""
    token = button_of(context).word(0)
    draft = await PUBLISH.load(update, context)
    if draft is None or draft.token != token or not draft.previewed:
        await alert(update, "nomination_publish_gone")
        return None
    return draft


async def publish_send(update: Update, context: BotContext) -> None:
    """«📨 Gửi» under a preview: the broadcast, its history and the end of the draft are one
    transaction, only if the draft still carries the button's token; so an old or repeated
    press, even after a restart, says the publication is gone and sends nothing."""
    actor = await office_actor(update, context)
    query = update.callback_query
    if actor is None or query is None:
        return
    draft = await _previewed(update, context)
    if draft is None:
        return
    quarter = Quarter.from_key(draft.quarter)
    examples = await _publishable(context, actor, quarter)
    audience = await _audience(context, actor, draft.campaign_id)
    recipients = [(p.id, p.telegram_id) for p in audience.registered if p.telegram_id]
    if not examples or not recipients:
        await say(update, "nomination_publish_none", quarter=quarter)
        return
    await answer_once(update)
    chat = update.effective_chat
    assert chat is not None
    message = await _publication(context, actor, quarter, examples)
    progress = await context.bot.send_message(chat.id, render("launch_progress_start"))
    try:
        broadcast = await publish(
            context.db, token=draft.token, publisher_unit_id=await _office_unit(context, actor),
            quarter=quarter, campaign_id=draft.campaign_id,
            nomination_ids=[n.id for n in examples], message=message, recipients=recipients,
            person_id=actor.person.id if actor.person else None, telegram_id=actor.telegram_id,
            progress_chat_id=chat.id, progress_message_id=progress.message_id,
            now=context.clock.now(), flow_end=PUBLISH.end(update, draft.token),
        )  # fmt: skip
    except DraftGone:  # pressed twice at once: the other press sent it
        broadcast = None
    if broadcast is None:
        await progress.edit_text(render("nomination_publish_gone"))
        return
    wake_sender(context)
    await drop_buttons(update, "the published preview")


async def publish_cancel(update: Update, context: BotContext) -> None:
    actor = await office_actor(update, context)
    if actor is None or await _previewed(update, context) is None:
        return
    await PUBLISH.cancel(update, context, "announce_cancelled")


# ---- a campaign's own quota, and its award dossiers ---------------------------------------------


async def _managed_campaigns(context: BotContext, actor: Actor) -> list[tuple[int, str]]:
    scope = await scope_unit_ids(context.db, actor)
    found = []
    for campaign_id in await campaigns_visible(context.db, scope, limit=SHOWN_CAMPAIGNS):
        campaign = await get_campaign(context.db, campaign_id)
        if campaign is not None and await may_manage_campaign(
            context.db, actor, campaign.spec.issuer_unit_id
        ):
            found.append((campaign_id, campaign.spec.title))
    return found


async def settings_menu(update: Update, context: BotContext) -> None:
    actor = await office_actor(update, context)
    if actor is None:
        return
    campaigns = await _managed_campaigns(context, actor)
    if not campaigns:
        await say(update, "nomination_settings_none")
        return
    rows = [
        [(label("announce_campaign", title=title), f"dy:cs:{cid}")] for cid, title in campaigns
    ]
    await say(update, "nomination_settings_list", keyboard(*rows),
              quota=context.config.nomination_quota)  # fmt: skip


SETTING_PATTERN = r"^dy:(cs|cd|cq):"


async def on_setting(update: Update, context: BotContext) -> None:
    actor = await office_actor(update, context)
    press = button_of(context)
    if actor is None:
        return
    kind, campaign_id = press.kind.removeprefix("dy:"), press.id
    if campaign_id not in {cid for cid, _ in await _managed_campaigns(context, actor)}:
        await alert(update, "not_allowed_short")
        return
    settings = await campaign_settings(context.db, campaign_id)
    if kind == "cq":
        quota = press.number(1)
        if quota != 0 and quota not in QUOTAS:
            await alert(update, "not_allowed_short")
            return
        settings = CampaignSettings(campaign_id, quota or None, settings.dossier)
    elif kind == "cd":
        settings = CampaignSettings(campaign_id, settings.quota, not settings.dossier)
    if kind != "cs":
        await set_campaign_settings(context.db, settings, actor.telegram_id, context.clock.now())
    campaign = await get_campaign(context.db, campaign_id)
    rows = [
        [(label("nomination_quota_button", quota=q, on=settings.quota == q),
          f"dy:cq:{campaign_id}:{q}") for q in QUOTAS],
        [(label("nomination_quota_default", quota=context.config.nomination_quota,
                on=settings.quota is None), f"dy:cq:{campaign_id}:0")],
        [(label("nomination_dossier_toggle", on=settings.dossier), f"dy:cd:{campaign_id}")],
    ]  # fmt: skip
    await say(update, "nomination_settings", keyboard(*rows), settings=settings,
              title=campaign.spec.title if campaign else "",
              default=context.config.nomination_quota, changed=kind != "cs")  # fmt: skip


def conversation() -> ConversationHandler[BotContext]:
    return flow_conversation(
        REASON_FLOW,
        [CallbackQueryHandler(ask_reason, pattern=r"^dy:[rb]:")],
        {
            Step.REASON: typed_step(Step.REASON, on_reason),
        },
        cancel_reason,
    )


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        conversation(),
        CommandHandler("duyet", start, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(on_card, pattern=r"^dy:[oafn]:"),
        CallbackQueryHandler(publish_menu, pattern=r"^dy:pub$"),
        CallbackQueryHandler(publish_quarter, pattern=r"^dy:pq:"),
        CallbackQueryHandler(publish_audience, pattern=r"^dy:pa:"),
        CallbackQueryHandler(publish_send, pattern=rf"^{SEND}:"),
        CallbackQueryHandler(publish_cancel, pattern=rf"^{CANCEL}:"),
        CallbackQueryHandler(settings_menu, pattern=r"^dy:cfg$"),
        CallbackQueryHandler(on_setting, pattern=SETTING_PATTERN),
    ]
