"""/baocao: a person answers a reporting round one question at a time.

Every answer is written to the database as it is given and the conversation state is
persisted, so a restart resumes at the same question. "Quay lại" goes back showing the earlier
answer, "Bỏ qua" skips an optional question, /huy keeps the draft for next time; at the end a
summary, then "Gửi" or "Sửa". A submitted report can be corrected (the previous version stays
in the history); after the deadline it is accepted and marked late unless the round is closed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers.answers import check_file, format_answer, parse_answer
from handlers.common import (
    BotContext,
    current_actor,
    drop_flow,
    flow_conversation,
    incoming,
    load_flow,
    pressed,
    pressed_id,
    require_role,
    save_flow,
    say,
    stay,
)
from handlers.inputs import InputError
from messages import label
from storage.forms import Form, Question, QuestionType, builtin_form
from storage.models import Person
from storage.reports import (
    RoundInfo,
    Submission,
    answerable_round,
    discard_draft,
    evidence_by_unique_id,
    evidence_names,
    get_submission,
    may_answer,
    open_submission,
    report_in_progress,
    save_answer,
    set_step,
    store_evidence,
    submit,
    tasks_for,
)

log = logging.getLogger(__name__)
FLOW = "baocao"


class Step(StrEnum):
    ANSWER = "answer"
    REVIEW = "review"
    PICK = "pick"


@dataclass
class ReportDraft:
    """Which report the conversation is on; the answers themselves live in `submissions`."""

    submission_id: int = 0
    round_id: int = 0
    editing: bool = False  # came from the summary: go back there after the answer


# ---- plumbing -------------------------------------------------------------------------


async def _flow(update: Update, context: BotContext) -> ReportDraft:
    return ReportDraft(**await load_flow(update, context, FLOW))


async def _set_flow(update: Update, context: BotContext, flow: ReportDraft) -> None:
    await save_flow(update, context, FLOW, flow)


@lru_cache(maxsize=64)
def _custom_form(form_json: str) -> Form:
    """Parsed once per distinct form: every answer needs the round's form."""
    return Form.from_json(form_json)


def _form(info: RoundInfo) -> Form:
    return _custom_form(info.form_json) if info.form_json else builtin_form(info.form)


async def _person(update: Update, context: BotContext) -> Person | None:
    actor = await current_actor(update, context)
    return actor.person if actor is not None else None


def _rows(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(text, callback_data=data) for text, data in row]
            for row in rows
            if row
        ]
    )


# ---- choosing a round -----------------------------------------------------------------


# The list of rounds is not part of the conversation: it only offers buttons, so someone who
# looks at it and then does something else is not caught in a flow.


@require_role("principal", "teacher", "office")
async def start(update: Update, context: BotContext) -> None:
    await _list(update, context, campaign_id=None)


async def from_campaign(update: Update, context: BotContext) -> None:
    """The "Báo cáo" button under a campaign message: that campaign's rounds."""
    campaign_id = pressed_id(update, "rep:")
    await _list(update, context, campaign_id=campaign_id)


async def _list(update: Update, context: BotContext, campaign_id: int | None) -> None:
    person = await _person(update, context)
    if person is None:
        await say(update, "not_registered")
        return
    tasks = [
        task
        for task in await tasks_for(context.db, person)
        if campaign_id is None or task.round.campaign_id == campaign_id
    ]
    if not tasks:
        await say(update, "report_no_rounds")
        return
    buttons = [
        [(label("report_task", task=task, now=context.clock.now()), f"rpt:{task.round.id}")]
        for task in tasks[:10]
    ]
    await say(update, "report_choose", _rows(*buttons), tasks=tasks[:10], now=context.clock.now())


async def choose(update: Update, context: BotContext) -> Step | int:
    """A round picked from the list, or opened directly by a button elsewhere."""
    round_id = pressed_id(update, "rpt:")
    person = await _person(update, context)
    info = await answerable_round(context.db, person, round_id) if person else None
    if person is None or info is None:
        await say(update, "report_not_yours")
        return ConversationHandler.END
    if info.closed:
        await say(update, "report_round_closed", round=info)
        return ConversationHandler.END
    submission = await open_submission(context.db, info, person, context.clock.now())
    await _set_flow(update, context, ReportDraft(submission.id, info.id))
    if submission.status == "returned":
        await say(update, "report_returned_reason", submission=submission, round=info)
    if submission.status != "draft":
        return await _review(update, context, submission, info)
    return await _ask(update, context, submission, info, intro=True)


# ---- questions --------------------------------------------------------------------------


async def _ask(
    update: Update, context: BotContext, submission: Submission, info: RoundInfo,
    intro: bool = False,
) -> Step:  # fmt: skip
    """The current question; `intro`: opening the report, so the round's heading comes first
    (in the same message: one message per step keeps the chat short)."""
    form = _form(info)
    if submission.step >= len(form.questions):
        return await _review(update, context, submission, info)
    question = form.questions[submission.step]
    current = submission.working.get(question.key)
    shown = await _shown(context, question, current) if current is not None else None
    await say(
        update,
        "report_question",
        _question_keyboard(question, submission.step, current is not None),
        question=question,
        number=submission.step + 1,
        total=len(form.questions),
        current=shown,
        intro=info if intro else None,
        form=form,
    )
    return Step.ANSWER


def _question_keyboard(question: Question, step: int, answered: bool) -> InlineKeyboardMarkup:
    rows: list[list[tuple[str, str]]] = []
    if question.type is QuestionType.YESNO:
        rows.append([(label("answer_yes"), "rp:yes"), (label("answer_no"), "rp:no")])
    elif question.type is QuestionType.CHOICE:
        rows += [[(choice[:60], f"rp:c:{i}")] for i, choice in enumerate(question.choices)]
    elif question.type is QuestionType.FILES:
        rows.append([(label("files_done"), "rp:done")])
    extra = []
    if step > 0:
        extra.append((label("back"), "rp:back"))
    if answered and question.type is not QuestionType.FILES:
        extra.append((label("keep"), "rp:keep"))
    if not question.required:
        extra.append((label("skip"), "rp:skip"))
    rows.append(extra)
    return _rows(*rows)


async def _shown(context: BotContext, question: Question, value: Any) -> str:
    if question.type is QuestionType.FILES:
        return ", ".join(await evidence_names(context.db, list(value)))
    return format_answer(question, value)


async def _current(
    update: Update, context: BotContext
) -> tuple[ReportDraft, Submission, RoundInfo, Question | None] | None:
    """The report this chat is on, read in one call (every answer starts here); None, with
    the reason told, when there is none to go on with: lost, or its round closed meanwhile."""
    user = update.effective_user
    state = await report_in_progress(context.db, user.id, FLOW) if user else None
    submission, info = (state.submission, state.round) if state else (None, None)
    if state is None or submission is None or info is None:
        await say(update, "report_lost")
        return None
    if info.closed:  # the draft stays; if the office reopens the round, /baocao resumes it
        await say(update, "report_round_closed", round=info)
        return None
    questions = _form(info).questions
    question = questions[submission.step] if submission.step < len(questions) else None
    return ReportDraft(**state.flow), submission, info, question


async def _advance(
    update: Update, context: BotContext, flow: ReportDraft, fresh: Submission, info: RoundInfo
) -> Step:
    """After an answer (`fresh`: the submission with it): the next question, or the summary
    when editing from it."""
    if flow.editing:
        flow.editing = False
        await _set_flow(update, context, flow)
        fresh = await set_step(context.db, fresh.id, len(_form(info).questions))
        return await _review(update, context, fresh, info)
    return await _ask(update, context, fresh, info)


async def on_text(update: Update, context: BotContext) -> Step | int:
    state = await _current(update, context)
    if state is None:
        return ConversationHandler.END
    flow, submission, info, question = state
    if question is None:
        return await _review(update, context, submission, info)
    if question.type is QuestionType.FILES:
        await say(update, "answer_expect_files")
        return Step.ANSWER
    try:
        value = parse_answer(question, incoming(update).text or "")
    except InputError as error:
        await say(update, error.template, **error.values)
        return Step.ANSWER
    stored = value.isoformat() if hasattr(value, "isoformat") else value
    fresh = await save_answer(context.db, submission.id, question.key, stored,
                              submission.step + 1, context.clock.now())  # fmt: skip
    return await _advance(update, context, flow, fresh, info)


async def on_button(update: Update, context: BotContext) -> Step | int:
    state = await _current(update, context)
    if state is None:
        return ConversationHandler.END
    flow, submission, info, question = state
    data = pressed(update)
    if question is None:
        return await _review(update, context, submission, info)
    now = context.clock.now()
    if data == "rp:back":
        fresh = await set_step(context.db, submission.id, max(0, submission.step - 1))
        return await _ask(update, context, fresh, info)
    value: Any
    if data == "rp:keep":
        fresh = await set_step(context.db, submission.id, submission.step + 1)
        return await _advance(update, context, flow, fresh, info)
    if data == "rp:skip" and not question.required:
        value = None
    elif data in ("rp:yes", "rp:no") and question.type is QuestionType.YESNO:
        value = data == "rp:yes"
    elif data.startswith("rp:c:") and question.type is QuestionType.CHOICE:
        index = int(data.removeprefix("rp:c:"))
        if not 0 <= index < len(question.choices):
            return Step.ANSWER
        value = question.choices[index]
    elif data == "rp:done" and question.type is QuestionType.FILES:
        files = submission.working.get(question.key) or []
        if question.required and not files:
            await say(update, "answer_files_required")
            return Step.ANSWER
        value = files or None
    else:
        await say(update, "launch_expect_button")
        return Step.ANSWER
    fresh = await save_answer(
        context.db, submission.id, question.key, value, submission.step + 1, now
    )
    return await _advance(update, context, flow, fresh, info)


async def on_file(update: Update, context: BotContext) -> Step | int:
    state = await _current(update, context)
    if state is None:
        return ConversationHandler.END
    _, submission, _info, question = state
    if question is None or question.type is not QuestionType.FILES:
        await say(update, "answer_not_a_file_question")
        return Step.ANSWER
    message = incoming(update)
    document = message.document
    photo = message.photo[-1] if message.photo else None
    if document is not None:
        file_id, unique_id, size = document.file_id, document.file_unique_id, document.file_size
        name, mime = document.file_name or "tep", document.mime_type
    elif photo is not None:
        file_id, unique_id, size = photo.file_id, photo.file_unique_id, photo.file_size
        name, mime = f"anh_{photo.file_unique_id}.jpg", "image/jpeg"
    else:
        return Step.ANSWER
    files = list(submission.working.get(question.key) or [])
    try:
        check_file(question, size, mime, count=len(files))
    except InputError as error:
        await say(update, error.template, **error.values)
        return Step.ANSWER
    evidence_id = await _keep_evidence(context, file_id, unique_id, name, mime, size)
    if evidence_id not in files:
        files.append(evidence_id)
    await save_answer(context.db, submission.id, question.key, files, submission.step,
                      context.clock.now())  # fmt: skip
    keyboard = _rows([(label("files_done"), "rp:done")])
    await say(update, "answer_file_received", keyboard, name=name, count=len(files))
    return Step.ANSWER


async def _keep_evidence(
    context: BotContext, file_id: str, unique_id: str, name: str, mime: str | None,
    size: int | None,
) -> int:  # fmt: skip
    """Download once per distinct file (Telegram's file_unique_id) into FILES_DIR."""
    known = await evidence_by_unique_id(context.db, unique_id)
    if known is not None:
        return known.id
    safe = re.sub(r"[^\w.\-]+", "_", name)[-120:]
    target = Path(context.config.files_dir) / "evidence" / f"{unique_id}_{safe}"
    path: str | None = str(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        telegram_file = await context.bot.get_file(file_id)
        await telegram_file.download_to_drive(target)
    except (TelegramError, OSError) as exc:
        # The file id still reaches the file through Telegram; the copy can be made later.
        log.warning("could not download evidence %s: %s", name, exc)
        path = None
    return await store_evidence(
        context.db, file_unique_id=unique_id, file_id=file_id, file_name=name, mime_type=mime,
        size=size, path=path, now=context.clock.now(),
    )  # fmt: skip


async def wrong_kind(update: Update, context: BotContext) -> Step | int:
    """A sticker, a voice note, a location…: say what this question expects."""
    state = await _current(update, context)
    if state is None:
        return ConversationHandler.END
    question = state[3]
    kind = question.type.value if question is not None else "button"
    await say(update, "answer_expect", kind=kind)
    return Step.ANSWER


# ---- summary, edit, submit ------------------------------------------------------------


async def _review(
    update: Update, context: BotContext, submission: Submission, info: RoundInfo
) -> Step:
    lines = await summary_lines(context, info, submission.working)
    keyboard = _rows([(label("report_submit"), "rp:submit"), (label("report_edit"), "rp:edit")])
    late = context.clock.now() > info.deadline
    await say(update, "report_summary", keyboard, round=info, lines=lines, late=late,
               submission=submission)  # fmt: skip
    return Step.REVIEW


async def summary_lines(
    context: BotContext, info: RoundInfo, answers: dict[str, Any]
) -> list[tuple[Question, str | None]]:
    """Each question of the round's form with its answer as shown to people (None: none)."""
    return [
        (question, await _shown(context, question, answers[question.key]))
        if question.key in answers
        else (question, None)
        for question in _form(info).questions
    ]


async def on_review(update: Update, context: BotContext) -> Step | int:
    state = await _current(update, context)
    if state is None:
        return ConversationHandler.END
    flow, submission, info, _ = state
    data = pressed(update)
    if data == "rp:edit":
        questions = _form(info).questions
        rows = [[(f"{i + 1}. {q.prompt}"[:60], f"rp:q:{i}")] for i, q in enumerate(questions)]
        await say(update, "report_pick", _rows(*rows))
        return Step.PICK
    return await _submit(update, context, flow, submission, info)


async def on_pick(update: Update, context: BotContext) -> Step | int:
    state = await _current(update, context)
    if state is None:
        return ConversationHandler.END
    flow, submission, info, _ = state
    data = pressed(update)
    index = int(data.removeprefix("rp:q:"))
    if not 0 <= index < len(_form(info).questions):
        return Step.PICK
    flow.editing = True
    await _set_flow(update, context, flow)
    fresh = await set_step(context.db, submission.id, index)
    return await _ask(update, context, fresh, info)


async def _submit(
    update: Update, context: BotContext, flow: ReportDraft, submission: Submission,
    info: RoundInfo,
) -> Step | int:  # fmt: skip
    person = await _person(update, context)  # still on the roster, with the same role?
    if person is None or not await may_answer(context.db, person, info):
        await say(update, "report_not_yours")
        return ConversationHandler.END
    missing = [
        q.prompt for q in _form(info).questions if q.required and q.key not in submission.working
    ]
    if missing:
        await say(update, "report_missing", missing=missing)
        return Step.REVIEW
    receipt = await submit(
        context.db, submission.id, person.id, info.deadline, context.clock.now(),
        flow_draft=(person.telegram_id, FLOW) if person.telegram_id else None,
    )  # fmt: skip
    await say(update, "report_receipt", round=info, receipt=receipt)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    flow = await _flow(update, context)
    submission = (
        await get_submission(context.db, flow.submission_id) if flow.submission_id else None
    )
    await drop_flow(update, context, FLOW)
    if submission is not None and submission.status != "draft":
        # A correction that was not sent: the submitted version stays as it was.
        await discard_draft(context.db, submission.id)
        await say(update, "report_correction_cancelled")
    else:
        await say(update, "report_draft_kept")
    return ConversationHandler.END


def conversation() -> ConversationHandler[BotContext]:
    not_command = ~filters.COMMAND
    return flow_conversation(
        FLOW,
        [CallbackQueryHandler(choose, pattern=r"^rpt:\d+$")],
        {
            Step.ANSWER: [
                MessageHandler(filters.TEXT & not_command, on_text),
                MessageHandler(filters.Document.ALL | filters.PHOTO, on_file),
                CallbackQueryHandler(on_button, pattern=r"^rp:"),
                MessageHandler(not_command, wrong_kind),
            ],
            Step.REVIEW: [
                CallbackQueryHandler(on_review, pattern=r"^rp:(submit|edit)$"),
                MessageHandler(not_command, stay(Step.REVIEW, "launch_expect_button")),
            ],
            Step.PICK: [
                CallbackQueryHandler(on_pick, pattern=r"^rp:q:\d+$"),
                MessageHandler(not_command, stay(Step.PICK, "launch_expect_button")),
            ],
        },
        cancel,
    )


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        conversation(),
        CommandHandler("baocao", start, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(from_campaign, pattern=r"^rep:\d+$"),
    ]
