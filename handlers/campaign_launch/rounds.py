"""/phatdong, the reporting rounds: for each, a name, per unit or per person, a deadline, a
form (built in, or the office's own YAML/JSON file) and its reminders (the default
REMINDER_OFFSETS, or its own typed in the same grammar); then another round, or the preview.

A round is added to the draft when its form is chosen; the reminders step then speaks of the
last round of the draft, so the draft needs no field for it."""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Update
from telegram.error import TelegramError

from formats.forms import MAX_FILE_BYTES as MAX_FORM_FILE_BYTES
from formats.forms import FormFileError, FormIssue, parse_form_file
from formats.work import in_worker
from handlers.campaign_launch.draft import (
    LAUNCH_FLOW,
    OFFSETS_DEFAULT,
    CampaignDraft,
    Step,
    chat_of,
)
from handlers.common import (
    BotContext,
    incoming,
    inline_keyboard,
    pressed,
    say,
)
from handlers.inputs import check_length, parse_deadline, parse_round_offsets
from messages import label, render, sample_file
from storage.campaigns import FORMS

log = logging.getLogger(__name__)
SAMPLE_FORM = "mau_bao_cao.yaml"


@LAUNCH_FLOW.question(Step.ROUND_NAME)
async def ask_round_name(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    buttons = inline_keyboard(
        [(label("round_midterm"), "pd:rname:mid"), (label("round_final"), "pd:rname:final")],
        [(label("round_none"), "pd:rounds:none")],
    )
    await say(update, "launch_ask_round_name", buttons)


async def on_round_name(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    choice = pressed(update)
    if choice == "pd:rounds:none":
        draft.rounds = []
        return await LAUNCH_FLOW.advance(update, context, draft, Step.PREVIEW)
    presets = {"pd:rname:mid": label("round_midterm"), "pd:rname:final": label("round_final")}
    if choice in presets:
        draft.round_name = presets[choice]
    else:
        draft.round_name = check_length(incoming(update).text or "", 2, 100)
    return await LAUNCH_FLOW.advance(update, context, draft, Step.ROUND_KIND)


@LAUNCH_FLOW.question(Step.ROUND_KIND)
async def ask_round_kind(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    buttons = inline_keyboard(
        [(label("kind_unit"), "pd:kind:unit")], [(label("kind_person"), "pd:kind:person")]
    )
    await say(update, "launch_ask_round_kind", buttons, name=draft.round_name)


async def on_round_kind(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    draft.round_kind = pressed(update).removeprefix("pd:kind:")
    return await LAUNCH_FLOW.advance(update, context, draft, Step.ROUND_DEADLINE)


@LAUNCH_FLOW.question(Step.ROUND_DEADLINE)
async def ask_round_deadline(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    await say(update, "launch_ask_round_deadline", name=draft.round_name, now=context.clock.now())


async def on_round_deadline(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    deadline = parse_deadline(
        incoming(update).text or "", context.config.timezone, context.clock.now()
    )
    draft.round_deadline = deadline.isoformat()
    return await LAUNCH_FLOW.advance(update, context, draft, Step.ROUND_FORM)


@LAUNCH_FLOW.question(Step.ROUND_FORM)
async def ask_round_form(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    rows = [[(label("form_name", form=form), f"pd:form:{form}")] for form in FORMS]
    rows.append([(label("form_custom"), "pd:form:custom")])
    await say(update, "launch_ask_round_form", inline_keyboard(*rows))


async def on_round_form(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    form = pressed(update).removeprefix("pd:form:")
    if form == "custom":
        return await LAUNCH_FLOW.advance(update, context, draft, Step.ROUND_FORM_FILE)
    if form not in FORMS:
        return Step.ROUND_FORM
    return await _add_round(update, context, draft, form, None)


@LAUNCH_FLOW.question(Step.ROUND_FORM_FILE)
async def ask_form_file(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    """How a form file is written, in Vietnamese, and a sample to edit and send back."""
    await say(update, "launch_ask_form_file")
    await context.bot.send_document(
        chat_of(update),
        sample_file(SAMPLE_FORM),
        filename=SAMPLE_FORM,
        caption=render("launch_form_sample_caption"),
    )


async def on_form_file(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    """The office's own form, as a YAML or JSON file (format in the README)."""
    document = incoming(update).document
    if document is None:
        await say(update, "launch_expect_form_file")
        return Step.ROUND_FORM_FILE
    if (document.file_size or 0) > MAX_FORM_FILE_BYTES:
        limit = {"limit_kb": MAX_FORM_FILE_BYTES // 1024}
        await say(update, "form_file_errors", issues=[FormIssue("too_large", None, limit)])
        return Step.ROUND_FORM_FILE
    try:
        telegram_file = await context.bot.get_file(document.file_id)
        data = bytes(await telegram_file.download_as_bytearray())
        form = await in_worker(parse_form_file, data, document.file_name or "")
    except FormFileError as error:
        await say(update, "form_file_errors", issues=error.issues)
        return Step.ROUND_FORM_FILE
    except TelegramError as exc:
        log.warning("could not download a form file: %s", exc)
        await say(update, "roster_download_failed")
        return Step.ROUND_FORM_FILE
    await say(update, "form_file_preview", form=form)
    return await _add_round(update, context, draft, "custom", form.to_json())


async def _add_round(
    update: Update, context: BotContext, draft: CampaignDraft, form: str, form_json: str | None
) -> str:
    draft.rounds.append(
        {"name": draft.round_name, "kind": draft.round_kind,
         "deadline": draft.round_deadline, "form": form, "form_json": form_json,
         "offsets": None}
    )  # fmt: skip
    draft.round_name = draft.round_kind = draft.round_deadline = ""
    return await LAUNCH_FLOW.advance(update, context, draft, Step.ROUND_OFFSETS)


@LAUNCH_FLOW.question(Step.ROUND_OFFSETS)
async def ask_round_offsets(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    """The reminders of the round just added: the default, kept with a button, or its own."""
    if not draft.rounds:
        raise ValueError("the reminders step without a round")
    item = draft.rounds[-1]
    await say(update, "launch_ask_round_offsets",
              inline_keyboard([(label("offsets_default"), OFFSETS_DEFAULT)]), name=item["name"],
              deadline=datetime.fromisoformat(item["deadline"]),
              default=context.config.reminder_offsets)  # fmt: skip


async def on_round_offsets(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    """«✅ Giữ mặc định», or the round's own offsets typed; the default typed out is the
    default (shown as such, and following REMINDER_OFFSETS if it changes)."""
    item = draft.rounds[-1]
    if pressed(update) == OFFSETS_DEFAULT:
        item["offsets"] = None
    else:
        deadline = datetime.fromisoformat(item["deadline"])
        offsets = parse_round_offsets(
            incoming(update).text or "", deadline, context.config.timezone, context.clock.now()
        )
        own = offsets != context.config.reminder_offsets
        item["offsets"] = [int(o.total_seconds()) for o in offsets] if own else None
    return await LAUNCH_FLOW.advance(update, context, draft, Step.ROUND_MORE)


@LAUNCH_FLOW.question(Step.ROUND_MORE)
async def ask_round_more(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    buttons = inline_keyboard(
        [(label("round_more"), "pd:rounds:more")], [(label("next"), "pd:rounds:done")]
    )
    await say(update, "launch_ask_round_more", buttons, rounds=draft.spec(None).rounds)


async def on_round_more(update: Update, context: BotContext, draft: CampaignDraft) -> str:
    more = pressed(update) == "pd:rounds:more"
    return await LAUNCH_FLOW.advance(
        update, context, draft, Step.ROUND_NAME if more else Step.PREVIEW
    )
