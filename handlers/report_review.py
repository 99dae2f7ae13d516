"""The office looks at submitted reports, opens their evidence files, and sends one back for
additions ("yêu cầu bổ sung") with a reason; the person is told through the outbox, in the
same transaction, who sent it back, with a button that reopens the report with every answer
filled in. When it comes back, that office person is told what changed (handlers.reports)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
)

from formats.forms import QuestionType
from handlers.common import (
    BotContext,
    alert,
    button_of,
    flow_conversation,
    incoming,
    office_actor,
    say,
    seeing,
    typed_step,
    wake_sender,
)
from handlers.evidence import send_evidence_file
from handlers.flows import Flow, refuse
from handlers.inputs import InputError, check_length
from handlers.reports import form_of, summary_lines
from messages import label, render
from storage.access import may_access, scope_unit_ids
from storage.outgoing import Button, OutgoingMessage
from storage.reports import (
    Notice,
    RoundInfo,
    Submission,
    author_of,
    evidence_list,
    get_round,
    get_submission,
    return_for_additions,
    submitted_for_round,
)
from storage.visibility import may_see_evidence, may_see_round, may_see_submission

log = logging.getLogger(__name__)
FLOW = "trabosung"
SHOWN = 30
SHOWN_FILES = 40  # evidence buttons under a report (Telegram allows 100 buttons a keyboard)


class Step(StrEnum):
    REASON = "reason"


@dataclass
class ReturnDraft:
    """The report the office is writing a reason for."""

    submission_id: int


RETURN: Flow[ReturnDraft] = Flow(FLOW, ReturnDraft, lost="review_lost")


async def list_submitted(update: Update, context: BotContext) -> None:
    round_id = button_of(context).id
    actor = await seeing(update, context, may_see_round, round_id)
    if actor is None:
        return
    info = await get_round(context.db, round_id)
    scope = await scope_unit_ids(context.db, actor)
    entries = await submitted_for_round(context.db, info.id, scope) if info else []
    if info is None or not entries:
        await say(update, "review_none")
        return
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(label("submitted_entry", entry=e), callback_data=f"rs:{e.id}")]
         for e in entries[:SHOWN]]
    )  # fmt: skip
    await say(update, "review_list", keyboard, round=info, count=len(entries), shown=SHOWN)


async def show_submitted(update: Update, context: BotContext) -> None:
    submission_id = button_of(context).id
    if await seeing(update, context, may_see_submission, submission_id) is None:
        return
    entry = await author_of(context.db, submission_id)
    submission = await get_submission(context.db, submission_id)
    info = await get_round(context.db, submission.round_id) if submission else None
    if entry is None or submission is None or info is None:
        await say(update, "review_none")
        return
    lines = await summary_lines(context, info, submission.answers)
    files = await evidence_list(context.db, _evidence_ids(info, submission))
    rows = [
        [InlineKeyboardButton(label("evidence_open", name=evidence.file_name),
                              callback_data=f"ev:{submission.id}:{evidence.id}")]
        for evidence in files[:SHOWN_FILES]
    ]  # fmt: skip
    if submission.status == "submitted":
        rows.append([InlineKeyboardButton(label("return_report"), callback_data=f"rb:{entry.id}")])
    keyboard = InlineKeyboardMarkup(rows) if rows else None
    await say(update, "review_report", keyboard, round=info, entry=entry, lines=lines,
              submission=submission, files=len(files), shown_files=SHOWN_FILES)  # fmt: skip


def _evidence_ids(info: RoundInfo, submission: Submission) -> list[int]:
    """The evidence of the report as sent (not a correction in progress), in form order."""
    ids: list[int] = []
    for question in form_of(info).questions:
        value = submission.answers.get(question.key)
        if question.type is QuestionType.FILES and isinstance(value, list):
            ids += [item for item in value if isinstance(item, int) and item not in ids]
    return ids


async def send_evidence(update: Update, context: BotContext) -> None:
    """An evidence button under a report: the file itself, sent to the office by its Telegram
    file id. The press names the submission and the file; both are checked first."""
    press = button_of(context)
    submission_id, evidence_id = press.number(0), press.number(1)
    actor = await seeing(update, context, may_see_submission, submission_id)
    if actor is None:
        return
    if not await may_see_evidence(context.db, actor, submission_id, evidence_id):
        await alert(update, "review_evidence_gone")  # the report no longer holds it
        return
    submission = await get_submission(context.db, submission_id)
    info = await get_round(context.db, submission.round_id) if submission else None
    found = await evidence_list(context.db, [evidence_id])
    if submission is None or info is None or not found:
        await alert(update, "review_evidence_gone")
        return
    query = update.callback_query
    if query is not None:
        await query.answer()
    entry = await author_of(context.db, submission.id)
    caption = render("review_evidence_caption", evidence=found[0], round=info, entry=entry)
    chat = update.effective_chat
    if chat is not None:
        await send_evidence_file(context, chat.id, found[0], caption)


async def ask_reason(update: Update, context: BotContext) -> Step | int:
    submission_id = button_of(context).id
    actor = await seeing(update, context, may_see_submission, submission_id)
    entry = await author_of(context.db, submission_id) if actor is not None else None
    if actor is None or entry is None:
        return ConversationHandler.END
    await RETURN.save(update, context, ReturnDraft(entry.id))
    await say(update, "review_ask_reason", entry=entry)
    return Step.REASON


async def on_reason(update: Update, context: BotContext) -> Step | int:
    actor = await office_actor(update, context)
    if actor is None:
        return ConversationHandler.END
    try:
        reason = check_length(incoming(update).text or "", 3, 1000)
    except InputError as error:
        return await refuse(update, context, error, Step.REASON)
    draft = await RETURN.load(update, context)
    if draft is None:
        return await RETURN.lost(update, context)
    submission_id = draft.submission_id
    entry = await author_of(context.db, submission_id)
    submission = await get_submission(context.db, submission_id)
    info = await get_round(context.db, submission.round_id) if submission else None
    now = context.clock.now()
    if entry is None or info is None or not await may_access(context.db, actor, entry.unit_id):
        await RETURN.drop(update, context)
        await say(update, "not_allowed_short")
        return ConversationHandler.END
    office = actor.person
    text = render("report_returned_notice", round=info, reason=reason, office=office)
    button = Button(label("complete_report"), callback_data=f"rpt:{info.id}")
    notice = Notice(
        OutgoingMessage(text, ((button,),), title=info.name), created_by=actor.telegram_id
    )
    returned_by = office.id if office is not None else None
    # The send-back, its notice and the end of this flow: one transaction.
    returned = await return_for_additions(
        context.db, submission_id, reason, now, returned_by, notice, flow_end=RETURN.end(update)
    )
    state = RETURN.ended(update, context)
    if not returned:
        await say(update, "review_not_submitted")
        return state
    wake_sender(context)
    await say(update, "review_returned", entry=entry)
    return state


async def cancel(update: Update, context: BotContext) -> int:
    return await RETURN.cancel(update, context, "review_cancelled")


def conversation() -> ConversationHandler[BotContext]:
    return flow_conversation(
        FLOW,
        [CallbackQueryHandler(ask_reason, pattern=r"^rb:\d+$")],
        {
            Step.REASON: typed_step(Step.REASON, on_reason),
        },
        cancel,
    )


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        conversation(),
        CallbackQueryHandler(list_submitted, pattern=r"^rv:\d+$"),
        CallbackQueryHandler(show_submitted, pattern=r"^rs:\d+$"),
        CallbackQueryHandler(send_evidence, pattern=r"^ev:\d+:\d+$"),
    ]
