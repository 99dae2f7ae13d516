"""/phatdong, the end: a preview of exactly what recipients get, how many they are, and
«🚀 Phát động» or «✖️ Hủy».

Both buttons carry the draft's token (`pd:launch:<token>`, `pd:cancel:<token>`). The launch is
one transaction (storage.campaigns.launch_campaign): the campaign, its rounds, one outbox row
per recipient, and the end of the draft and of the conversation, only if the draft still
carries that token. So a crash anywhere launches the campaign once or not at all, and a
button of a preview already launched or cancelled — even one pressed after a restart that
came between the launch and the conversation state's write — says so and does nothing.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.outgoing import send_outgoing
from handlers.campaign_launch.draft import (
    LAUNCH_FLOW,
    CampaignDraft,
    Step,
    chat_of,
    issuer_unit,
)
from handlers.campaign_message import campaign_payload
from handlers.common import (
    BotContext,
    current_actor,
    drop_buttons,
    inline_keyboard,
    office_actor,
    reschedule,
    say,
    wake_sender,
)
from handlers.flows import END, token_pattern
from messages import label, render
from storage.campaigns import answers_rounds, launch_campaign, resolve_audience
from storage.drafts import DraftGone
from storage.unit_tree import unit_name

log = logging.getLogger(__name__)
LAUNCH = "pd:launch"
CANCEL = "pd:cancel"
LAUNCH_PATTERN = token_pattern(LAUNCH)
CANCEL_PATTERN = token_pattern(CANCEL)


@LAUNCH_FLOW.question(Step.PREVIEW)
async def show_preview(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    """Exactly what recipients will get (the very message, sent the way the outbox sends it),
    then the count and the launch button."""
    actor = await current_actor(update, context)
    if actor is None:
        return
    spec = draft.spec(await issuer_unit(context, actor))
    issuer = await unit_name(context.db, spec.issuer_unit_id)
    messages = campaign_payload(0, spec, spec.rounds, issuer)
    await say(update, "launch_preview_intro")
    await send_outgoing(context.bot, chat_of(update), messages.answer)
    audience = await resolve_audience(
        context.db, spec.issuer_unit_id, spec.audience_all, spec.units, spec.roles
    )
    buttons = [(label("cancel"), f"{CANCEL}:{draft.token}")]
    if audience.registered:
        buttons.insert(0, (label("launch"), f"{LAUNCH}:{draft.token}"))
    kinds = [r.kind for r in spec.rounds]
    answering = sum(answers_rounds(p.role, kinds) for p in audience.registered)
    await context.bot.send_message(
        chat_of(update),
        render("launch_preview_count", audience=audience, units=len(audience.unit_ids),
               answering=answering if kinds else None, rounds=spec.rounds),
        reply_markup=inline_keyboard(buttons),
    )  # fmt: skip


async def on_launch(update: Update, context: BotContext) -> object:
    """«🚀 Phát động», in the preview step or (outside the conversation) on an old preview."""
    query = update.callback_query
    if query is None:
        return None
    actor = await office_actor(update, context)
    if actor is None:
        return None
    draft, state = await LAUNCH_FLOW.pressed_draft(update, context, LAUNCH, "launch_gone",
                                                   Step.PREVIEW)  # fmt: skip
    if draft is None:
        return state
    await query.answer()
    spec = draft.spec(await issuer_unit(context, actor))
    issuer = await unit_name(context.db, spec.issuer_unit_id)
    chat_id = chat_of(update)
    progress = await context.bot.send_message(chat_id, render("launch_progress_start"))
    try:
        campaign_id, _, audience = await launch_campaign(
            context.db,
            spec,
            created_by=actor.telegram_id,
            payload_for=lambda cid, rounds: campaign_payload(cid, spec, rounds, issuer),
            progress_chat_id=chat_id,
            progress_message_id=progress.message_id,
            now=context.clock.now(),
            flow_end=LAUNCH_FLOW.end(update, draft.token),
        )
    except DraftGone:  # pressed twice at once: the other press launched it
        await progress.edit_text(render("launch_gone"))
        return END
    # Committed, with the end of the draft and of the conversation: nothing below may fail
    # the update (the conversation must end whatever happens to these requests).
    state = LAUNCH_FLOW.ended(update, context)
    wake_sender(context)
    await reschedule(context)  # the new rounds' reminders, at once (a failure only logs)
    log.info("campaign %s launched by %s to %s people", campaign_id, actor.telegram_id,
             len(audience.registered))  # fmt: skip
    await drop_buttons(update, "the launched preview")
    return state


on_cancel_button = LAUNCH_FLOW.cancel_button(CANCEL, "launch_gone", "launch_cancelled")


async def cancel(update: Update, context: BotContext) -> int:
    return await LAUNCH_FLOW.cancel(update, context, "launch_cancelled")
