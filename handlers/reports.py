"""/baocao: a person answers a reporting round one question at a time.

Every answer is written to the database as it is given and the conversation state is
persisted, so a restart resumes at the same question. "Quay lại" goes back showing the earlier
answer, "Bỏ qua" skips an optional question, /huy keeps the draft for next time; at the end a
summary, then "Gửi" or "Sửa". A submitted report opened again is shown read-only with "Sửa"
as the way in; it can be corrected (the previous version stays in the history), and "Gửi"
appears only once something changed. Sent again unchanged it makes no new version and keeps
its on-time or late mark; changed after the deadline it is accepted and marked late unless
the round is closed. On a files question what is attached stays ("Giữ nguyên", "Bỏ qua")
unless removed with "Xóa tệp đã gửi". A report the office sent back, sent again, tells the
office person who sent it back what changed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from formats.forms import Form, Question, QuestionType, builtin_form
from handlers.answers import check_file, format_answer, parse_answer
from handlers.common import (
    BotContext,
    alert,
    button_of,
    current_actor,
    flow_conversation,
    incoming,
    inline_keyboard,
    pressed,
    require_role,
    say,
    seeing,
    wake_sender,
)
from handlers.evidence import incoming_file, keep_file
from handlers.flows import Flow, refuse
from handlers.inputs import InputError
from messages import label, render
from storage.models import Person
from storage.outgoing import Button, OutgoingMessage
from storage.reports import (
    Notice,
    RoundInfo,
    Submission,
    answerable_round,
    answered_by_principal,
    discard_draft,
    evidence_names,
    get_submission,
    may_answer,
    open_submission,
    report_in_progress,
    save_answer,
    set_step,
    submit,
    tasks_for,
)
from storage.visibility import may_see_campaign

log = logging.getLogger(__name__)
FLOW = "baocao"
SHOWN_CHANGES = 6  # changed questions listed in the notice to the office; the rest counted


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


REPORT: Flow[ReportDraft] = Flow(FLOW, ReportDraft, command="baocao", lost="report_lost")
# The report this chat is on: its flow, the submission, the round, the question the saved step
# is at (None: past the last one, at the summary).
Current = tuple[ReportDraft, Submission, RoundInfo, Question | None]


# ---- plumbing -------------------------------------------------------------------------


async def _set_flow(update: Update, context: BotContext, flow: ReportDraft) -> None:
    await REPORT.save(update, context, flow)


@lru_cache(maxsize=64)
def _form_of(form_json: str | None, form: str, kind: str) -> Form:
    """Parsed once per distinct form and kind of round: every answer needs the round's form."""
    return (Form.from_json(form_json) if form_json else builtin_form(form)).for_kind(kind)


def form_of(info: RoundInfo) -> Form:
    """The round's form, its questions worded for who answers (the unit or the person)."""
    return _form_of(info.form_json, info.form, info.kind)


async def _person(update: Update, context: BotContext) -> Person | None:
    actor = await current_actor(update, context)
    return actor.person if actor is not None else None


# ---- choosing a round -----------------------------------------------------------------


# The list of rounds is not part of the conversation: it only offers buttons, so someone who
# looks at it and then does something else is not caught in a flow.


@require_role("principal", "teacher", "office")
async def start(update: Update, context: BotContext) -> None:
    await _list(update, context, campaign_id=None)


async def from_campaign(update: Update, context: BotContext) -> None:
    """The "Báo cáo" button under a campaign message: that campaign's rounds."""
    campaign_id = button_of(context).id
    if campaign_id == 0:  # the office's preview of a launch
        await alert(update, "ack_preview")
        return
    if await seeing(update, context, may_see_campaign, campaign_id) is None:
        return
    await _list(update, context, campaign_id=campaign_id)


async def _list(update: Update, context: BotContext, campaign_id: int | None) -> None:
    person = await _person(update, context)
    if person is None:
        await say(update, "not_registered")
        return
    tasks = await tasks_for(context.db, person, campaign_id)
    if not tasks:
        principal_rounds = await answered_by_principal(context.db, person, campaign_id)
        await say(update, "report_no_rounds", principal_rounds=principal_rounds,
                  campaign=campaign_id is not None)  # fmt: skip
        return
    buttons = [
        [(label("report_task", task=task, now=context.clock.now()), f"rpt:{task.round.id}")]
        for task in tasks[:10]
    ]
    await say(
        update,
        "report_choose",
        inline_keyboard(*buttons),
        tasks=tasks[:10],
        now=context.clock.now(),
    )


async def _open(update: Update, context: BotContext) -> tuple[Submission, RoundInfo] | None:
    """The report of the round the button names, opened for the presser (the flow now at
    it); None, said so, if the round is not theirs to answer or is closed."""
    person = await _person(update, context)
    info = await answerable_round(context.db, person, button_of(context).id) if person else None
    if person is None or info is None:
        await say(update, "report_not_yours")
        return None
    if info.closed:
        await say(update, "report_round_closed", round=info)
        return None
    submission = await open_submission(context.db, info, person, context.clock.now())
    await _set_flow(update, context, ReportDraft(submission.id, info.id))
    return submission, info


async def choose(update: Update, context: BotContext) -> Step | int:
    """A round picked from the list, or opened directly by a button elsewhere."""
    opened = await _open(update, context)
    if opened is None:
        return ConversationHandler.END
    submission, info = opened
    if submission.status == "returned":
        await say(update, "report_returned_reason", submission=submission, round=info)
    if submission.status != "draft":
        return await _review(update, context, submission, info, opening=True)
    return await _ask(update, context, submission, info, intro=True)


async def edit_sent(update: Update, context: BotContext) -> Step | int:
    """«Sửa» under a sent report shown read-only: the way into correcting it."""
    opened = await _open(update, context)
    if opened is None:
        return ConversationHandler.END
    submission, info = opened
    if submission.status == "draft":  # never sent: answer it from where it stands
        return await _ask(update, context, submission, info, intro=True)
    return await _pick(update, context, info)


# ---- questions --------------------------------------------------------------------------


async def _ask(
    update: Update, context: BotContext, submission: Submission, info: RoundInfo,
    intro: bool = False,
) -> Step | int:  # fmt: skip
    """The current question; `intro`: opening the report, so the round's heading comes first
    (in the same message: one message per step keeps the chat short)."""
    form = form_of(info)
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
        now=context.clock.now(),
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
        if answered:  # what is attached stays unless removed on purpose
            rows.append([(label("files_remove"), "rp:rmfiles")])
    extra = []
    if step > 0:
        extra.append((label("back"), "rp:back"))
    if answered:
        extra.append((label("keep"), "rp:keep"))
    if not question.required:
        extra.append((label("skip"), "rp:skip"))
    rows.append(extra)
    return inline_keyboard(*rows)


async def _shown(context: BotContext, question: Question, value: Any) -> str:
    if value is None:
        return format_answer(question, None)
    if question.type is QuestionType.FILES:
        return ", ".join(await evidence_names(context.db, list(value)))
    return format_answer(question, value)


async def _current(update: Update, context: BotContext) -> Current | None:
    """The report this chat is on, read in one call (every answer starts here); None, with
    the reason told, when there is none to go on with: lost, or its round closed meanwhile."""
    user = update.effective_user
    state = await report_in_progress(context.db, user.id, FLOW) if user else None
    submission, info = (state.submission, state.round) if state else (None, None)
    flow = REPORT.decode(state.flow) if state is not None else None
    if flow is None or submission is None or info is None:
        await say(update, "report_lost")
        return None
    if info.closed:  # the draft stays; if the office reopens the round, /baocao resumes it
        await say(update, "report_round_closed", round=info)
        return None
    questions = form_of(info).questions
    question = questions[submission.step] if submission.step < len(questions) else None
    return flow, submission, info, question


async def _advance(
    update: Update, context: BotContext, flow: ReportDraft, fresh: Submission, info: RoundInfo
) -> Step | int:
    """After an answer (`fresh`: the submission with it): the next question, or the summary
    when editing from it."""
    if flow.editing:
        flow.editing = False
        await _set_flow(update, context, flow)
        fresh = await set_step(context.db, fresh.id, len(form_of(info).questions))
        return await _review(update, context, fresh, info)
    return await _ask(update, context, fresh, info)


async def _text(update: Update, context: BotContext, state: Current) -> Step | int:
    flow, submission, info, question = state
    assert question is not None
    if question.type is QuestionType.FILES:
        await say(update, "answer_expect_files")
        return Step.ANSWER
    try:
        value = parse_answer(question, incoming(update).text or "")
    except InputError as error:
        return await refuse(update, context, error, Step.ANSWER)
    stored = value.isoformat() if hasattr(value, "isoformat") else value
    fresh = await save_answer(context.db, submission.id, question.key, stored,
                              submission.step + 1, context.clock.now())  # fmt: skip
    return await _advance(update, context, flow, fresh, info)


async def _button(update: Update, context: BotContext, state: Current) -> Step | int:
    flow, submission, info, question = state
    assert question is not None
    data = pressed(update)
    now = context.clock.now()
    if data == "rp:back":
        fresh = await set_step(context.db, submission.id, max(0, submission.step - 1))
        return await _ask(update, context, fresh, info)
    value: Any
    attached = question.type is QuestionType.FILES and bool(submission.working.get(question.key))
    if data == "rp:keep" or (data == "rp:skip" and attached):
        # «Bỏ qua» never drops evidence already attached: removing it is «Xóa tệp đã gửi».
        fresh = await set_step(context.db, submission.id, submission.step + 1)
        return await _advance(update, context, flow, fresh, info)
    if data == "rp:rmfiles" and question.type is QuestionType.FILES:
        fresh = submission
        if attached:  # an old button pressed again has nothing left to remove
            count = len(submission.working[question.key])
            fresh = await save_answer(context.db, submission.id, question.key, None,
                                      submission.step, now)  # fmt: skip
            await say(update, "answer_files_removed", count=count)
        return await _ask(update, context, fresh, info)
    if data == "rp:skip" and not question.required:
        value = None
    elif data in ("rp:yes", "rp:no") and question.type is QuestionType.YESNO:
        value = data == "rp:yes"
    elif data.startswith("rp:c:") and question.type is QuestionType.CHOICE:
        index = button_of(context).number(0)
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


async def _file(update: Update, context: BotContext, state: Current) -> Step | int:
    _, submission, _info, question = state
    assert question is not None
    if question.type is not QuestionType.FILES:
        await say(update, "answer_not_a_file_question")
        return Step.ANSWER
    file = incoming_file(incoming(update))
    if file is None:
        return Step.ANSWER
    files = list(submission.working.get(question.key) or [])
    try:
        check_file(question, file.size, file.mime_type, count=len(files), name=file.name)
        evidence_id = await keep_file(context, file)
    except InputError as error:
        return await refuse(update, context, error, Step.ANSWER)
    if evidence_id not in files:
        files.append(evidence_id)
    await save_answer(context.db, submission.id, question.key, files, submission.step,
                      context.clock.now())  # fmt: skip
    keyboard = inline_keyboard(
        [(label("files_done"), "rp:done")], [(label("files_remove"), "rp:rmfiles")]
    )
    await say(update, "answer_file_received", keyboard, name=file.name, count=len(files))
    return Step.ANSWER


async def _other(update: Update, context: BotContext, state: Current) -> Step | int:
    """A sticker, a voice note, a location…: say what this question expects."""
    question = state[3]
    assert question is not None
    await say(update, "answer_expect", kind=question.type.value)
    return Step.ANSWER


# ---- where the report stands ----------------------------------------------------------

Act = Callable[[Update, BotContext, Current], Awaitable[Step | int]]
StepHandler = Callable[[Update, BotContext], Coroutine[Any, Any, Step | int]]


def _asked(at: Step, state: Current) -> bool:
    """Whether a question is waiting for its answer: the saved step is a question, and the
    conversation is at it, or a question was picked to correct (the conversation can be a
    step behind when Telegram delivered a reply but its answer was lost)."""
    flow, _, _, question = state
    return question is not None and (at is Step.ANSWER or flow.editing)


def _on(at: Step, act: Act) -> StepHandler:
    """A message in the report at conversation step `at`: the answer to the question being
    asked, or else a reminder that the summary (or its list of questions) takes buttons."""

    async def handle(update: Update, context: BotContext) -> Step | int:
        state = await _current(update, context)
        if state is None:
            return ConversationHandler.END
        if _asked(at, state):
            return await _recovering(update, context, state, act(update, context, state))
        await say(update, "launch_expect_button")
        return Step.REVIEW if at is Step.ANSWER else at

    return handle


def _where(state: Current) -> tuple[object, ...]:
    flow, submission, _, _ = state
    return (submission.step, submission.draft, submission.status, flow.editing)


async def _recovering(
    update: Update, context: BotContext, before: Current, acting: Awaitable[Step | int]
) -> Step | int:
    """Run a step. If it fails after its answer was saved (the reply carrying the next
    question was lost), the error is reported as any other (the apology), then the question
    the report now stands at is asked again: what the person sees and what their next
    message means agree. If nothing was saved, the error is raised as it is (the question
    they saw is still the one asked)."""
    try:
        return await acting
    except Exception as error:
        user = update.effective_user
        now = await report_in_progress(context.db, user.id, FLOW) if user else None
        if now is None or now.submission is None or now.round is None:
            raise  # the report ended or vanished: nothing to ask again
        flow = REPORT.decode(now.flow)
        after = (flow, now.submission, now.round, None) if flow is not None else None
        if after is None or _where(after) == _where(before):
            raise
        await context.application.process_error(update, error)
        try:  # the question the report is at, or its summary
            return await _ask(update, context, now.submission, now.round)
        except Exception as again:  # still failing: /baocao asks it again
            log.warning("could not ask the report's question again: %s", again)
            return Step.ANSWER


def _pressed_at(at: Step) -> StepHandler:
    """A button of the report at conversation step `at`. «Gửi», «Sửa» and the questions to
    correct work whenever the summary is where the report stands; a question's buttons only
    while a question is asked."""

    async def handle(update: Update, context: BotContext) -> Step | int:
        state = await _current(update, context)
        if state is None:
            return ConversationHandler.END
        flow, submission, info, question = state
        data = pressed(update)
        if data.startswith("rp:q:"):
            return await _chosen(update, context, flow, submission, info)
        if _asked(at, state):
            return await _recovering(update, context, state, _button(update, context, state))
        if data in ("rp:submit", "rp:edit"):
            return await _reviewed(update, context, flow, submission, info)
        if question is None:  # an old question's button: the summary again
            return await _review(update, context, submission, info)
        await say(update, "launch_expect_button")
        return at

    return handle


def _resume_at(at: Step) -> StepHandler:
    """/baocao inside the report: the question being asked, or the summary, again with its
    buttons, for whoever never got it (the reply failed) or lost it from sight."""

    async def handle(update: Update, context: BotContext) -> Step | int:
        state = await _current(update, context)
        if state is None:
            return ConversationHandler.END
        _, submission, info, _ = state
        await say(update, "flow_resume", command=REPORT.command)  # as /phatdong does
        if _asked(at, state):
            return await _ask(update, context, submission, info)
        return await _review(update, context, submission, info)

    return handle


# ---- summary, edit, submit ------------------------------------------------------------


async def _review(
    update: Update, context: BotContext, submission: Submission, info: RoundInfo,
    opening: bool = False,
) -> Step | int:  # fmt: skip
    """The summary. A sent report with nothing changed is shown read-only, with «Sửa» as the
    way in: there is nothing to send, and sending it again must not make it late. `opening`:
    the person opened the report (rather than coming back to it from a question), so a
    read-only view ends the conversation instead of holding the chat in it."""
    lines = await summary_lines(context, info, submission.working)
    now = context.clock.now()
    values = {"round": info, "lines": lines, "submission": submission, "now": now}
    if submission.status == "submitted" and not submission.changed:
        if opening:
            await discard_draft(context.db, submission.id)
            await REPORT.drop(update, context)
        keyboard = inline_keyboard(
            [(label("report_edit"), f"rpe:{info.id}" if opening else "rp:edit")]
        )
        await say(update, "report_sent", keyboard, editing=not opening, **values)
        return ConversationHandler.END if opening else Step.REVIEW
    keyboard = inline_keyboard(
        [(label("report_submit"), "rp:submit"), (label("report_edit"), "rp:edit")]
    )
    await say(update, "report_summary", keyboard, late=now > info.deadline, **values)
    return Step.REVIEW


async def summary_lines(
    context: BotContext, info: RoundInfo, answers: dict[str, Any]
) -> list[tuple[Question, str | None]]:
    """Each question of the round's form with its answer as shown to people (None: none)."""
    return [
        (question, await _shown(context, question, answers[question.key]))
        if question.key in answers
        else (question, None)
        for question in form_of(info).questions
    ]


async def _reviewed(
    update: Update, context: BotContext, flow: ReportDraft, submission: Submission,
    info: RoundInfo,
) -> Step | int:  # fmt: skip
    """«Gửi» or «Sửa» under the summary."""
    if pressed(update) == "rp:edit":
        return await _pick(update, context, info)
    return await _submit(update, context, flow, submission, info)


async def _pick(update: Update, context: BotContext, info: RoundInfo) -> Step:
    questions = form_of(info).questions
    rows = [
        [(label("question_pick", number=i + 1, prompt=q.prompt), f"rp:q:{i}")]
        for i, q in enumerate(questions)
    ]
    await say(update, "report_pick", inline_keyboard(*rows))
    return Step.PICK


async def _chosen(
    update: Update, context: BotContext, flow: ReportDraft, submission: Submission,
    info: RoundInfo,
) -> Step | int:  # fmt: skip
    """A question picked to correct it."""
    index = button_of(context).number(0)
    if not 0 <= index < len(form_of(info).questions):
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
        q.prompt for q in form_of(info).questions if q.required and q.key not in submission.working
    ]
    if missing:
        await say(update, "report_missing", missing=missing)
        return Step.REVIEW
    comeback = None
    if submission.status == "returned":  # the office person who sent it back is told
        comeback = await _comeback_notice(context, person, info, submission)
    receipt = await submit(
        context.db, submission.id, person.id, info.deadline, context.clock.now(),
        flow_end=REPORT.end(update), comeback=comeback,
    )  # fmt: skip
    state = REPORT.ended(update, context)  # the draft and the conversation ended with it
    if comeback is not None:
        wake_sender(context)
    await say(update, "report_receipt", round=info, receipt=receipt)
    return state


async def _comeback_notice(
    context: BotContext, person: Person, info: RoundInfo, submission: Submission
) -> Notice:
    """What the office person who sent the report back reads when it comes back: who, and
    what changed between the returned version and this one, question by question."""
    changes = []
    for question in form_of(info).questions:
        old, new = submission.answers.get(question.key), submission.working.get(question.key)
        if old != new:
            shown = await _shown(context, question, old), await _shown(context, question, new)
            changes.append((question, *shown))
    text = render("report_comeback_notice", round=info, person=person, changes=changes,
                  shown=SHOWN_CHANGES)  # fmt: skip
    button = Button(label("open_report"), callback_data=f"rs:{submission.id}")
    return Notice(OutgoingMessage(text, ((button,),), title=info.name), person.telegram_id)


async def cancel(update: Update, context: BotContext) -> int:
    flow = await REPORT.load(update, context)
    submission = await get_submission(context.db, flow.submission_id) if flow is not None else None
    await REPORT.drop(update, context)
    if submission is not None and submission.status != "draft":
        # A correction that was not sent: the submitted version stays as it was.
        await discard_draft(context.db, submission.id)
        await say(update, "report_correction_cancelled")
    else:
        await say(update, "report_draft_kept")
    return ConversationHandler.END


def conversation() -> ConversationHandler[BotContext]:
    not_command = ~filters.COMMAND

    def step(at: Step) -> list[BaseHandler[Update, BotContext, Any]]:
        # The same handlers at every step: the saved report, with the step, decides what a
        # message or a press means (see _asked), and /baocao shows where the report stands.
        return [
            CommandHandler("baocao", _resume_at(at)),
            MessageHandler(filters.TEXT & not_command, _on(at, _text)),
            MessageHandler(filters.Document.ALL | filters.PHOTO, _on(at, _file)),
            CallbackQueryHandler(_pressed_at(at), pattern=r"^rp:"),
            MessageHandler(not_command, _on(at, _other)),
        ]

    return flow_conversation(
        FLOW,
        [
            CallbackQueryHandler(choose, pattern=r"^rpt:\d+$"),
            CallbackQueryHandler(edit_sent, pattern=r"^rpe:\d+$"),
        ],
        {at: step(at) for at in Step},
        cancel,
    )


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        conversation(),
        CommandHandler("baocao", start, filters=filters.ChatType.PRIVATE),
        CallbackQueryHandler(from_campaign, pattern=r"^rep:\d+$"),
    ]
