"""/phatdong: the office launches a campaign, one question at a time, then confirms.

The modules follow the flow: `draft` (what is chosen so far, the step it is at, the flow that
loads, saves and ends it), `plan` and `plan_fill` (the plan file sent at the first step, read
and checked, filling in what it says), `fields` (title to plan document; units through
handlers/unit_picker.py), `rounds` (the reporting rounds), `preview` (preview and launch).
This module wires the steps into one persistent conversation.

The draft and its step are saved at every step before the question is sent, and the
conversation state persisted, so a restart resumes at the same question; /phatdong inside
the flow asks the current question again; /huy cancels from any step and drops the draft.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from handlers import unit_picker
from handlers.campaign_launch import fields, plan, preview, rounds
from handlers.campaign_launch.draft import LAUNCH_FLOW, NAME, OFFSETS_DEFAULT, CampaignDraft, Step
from handlers.common import BotContext, flow_conversation, require_role
from handlers.flows import Callback, StepHandler

FLOW = NAME  # the conversation's name (and the drafts' flow), as bot/app.py and tests know it

_EXPECTED = {
    Step.TITLE: "launch_expect_title",
    Step.PLAN_NUMBER: "launch_expect_text",
    Step.PERIOD: "launch_expect_text",
    Step.SUMMARY: "launch_expect_text",
    Step.TARGETS: "launch_expect_text",
    Step.UNITS: "launch_expect_text",
    Step.ROUND_NAME: "launch_expect_text",
    Step.ROUND_DEADLINE: "launch_expect_deadline",
    Step.ROUND_OFFSETS: "launch_expect_offsets",
    Step.PLAN_EDIT: "launch_expect_text",
    Step.PLAN_ROUND: "launch_expect_deadline",
}


@require_role("office")
async def start(update: Update, context: BotContext) -> str:
    """/phatdong: a new draft, or inside the flow the current question again."""
    return await LAUNCH_FLOW.begin(update, context, CampaignDraft(), Step.TITLE)


def _expect(step: Step) -> Callback:
    """Say what kind of answer the step expects, and stay."""
    return LAUNCH_FLOW.expect(step, _EXPECTED.get(step, "launch_expect_button"))


def _on(step: Step, handler: StepHandler[CampaignDraft]) -> Callback:
    return LAUNCH_FLOW.on(step, handler)


def _text_step(
    step: Step, handler: StepHandler[CampaignDraft], skippable: bool = False
) -> list[BaseHandler[Any, Any, Any]]:
    handlers: list[BaseHandler[Any, Any, Any]] = [
        MessageHandler(filters.TEXT & ~filters.COMMAND, _on(step, handler))
    ]
    if skippable:
        handlers.append(CallbackQueryHandler(_on(step, handler), pattern=r"^pd:skip$"))
    handlers.append(MessageHandler(~filters.COMMAND, _expect(step)))
    return handlers


def _button_step(
    step: Step, *pairs: tuple[str, StepHandler[CampaignDraft]]
) -> list[BaseHandler[Any, Any, Any]]:
    handlers: list[BaseHandler[Any, Any, Any]] = [
        CallbackQueryHandler(_on(step, handler), pattern=pattern) for pattern, handler in pairs
    ]
    handlers.append(MessageHandler(~filters.COMMAND, _expect(step)))
    return handlers


def conversation() -> ConversationHandler[BotContext]:
    document = Step.DOCUMENT
    form_file = Step.ROUND_FORM_FILE
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        Step.TITLE: [
            MessageHandler(filters.Document.ALL, _on(Step.TITLE, plan.on_plan_file)),
            *_text_step(Step.TITLE, fields.on_title),
        ],
        Step.PLAN_REVIEW: [
            MessageHandler(filters.Document.ALL, _on(Step.PLAN_REVIEW, plan.on_plan_file)),
            *_button_step(Step.PLAN_REVIEW, (plan.REVIEW_PATTERN, plan.on_review)),
        ],
        Step.PLAN_EDIT: [
            CallbackQueryHandler(
                _on(Step.PLAN_EDIT, plan.on_edit_pressed), pattern=plan.EDIT_PATTERN
            ),
            *_text_step(Step.PLAN_EDIT, plan.on_edit_typed),
        ],
        Step.PLAN_ROUND: [
            CallbackQueryHandler(
                _on(Step.PLAN_ROUND, plan.on_plan_round_drop), pattern=plan.ROUND_DROP_PATTERN
            ),
            *_text_step(Step.PLAN_ROUND, plan.on_plan_round_deadline),
        ],
        Step.PLAN_NUMBER: _text_step(Step.PLAN_NUMBER, fields.on_plan_number, skippable=True),
        Step.PERIOD: _text_step(Step.PERIOD, fields.on_period, skippable=True),
        Step.SUMMARY: _text_step(Step.SUMMARY, fields.on_summary, skippable=True),
        Step.TARGETS: _text_step(Step.TARGETS, fields.on_targets, skippable=True),
        Step.AUDIENCE: _button_step(Step.AUDIENCE, (r"^pd:aud:(all|pick)$", fields.on_audience)),
        Step.UNITS: [
            CallbackQueryHandler(
                _on(Step.UNITS, fields.on_units_pressed), pattern=unit_picker.PATTERN
            ),
            *_text_step(Step.UNITS, fields.on_units_typed),
        ],
        Step.CHILDREN: _button_step(Step.CHILDREN, (r"^pd:children:[01]$", fields.on_children)),
        Step.ROLES: _button_step(
            Step.ROLES,
            (r"^pd:role:\w+$", fields.on_role),
            (r"^pd:roles:done$", fields.on_roles_done),
        ),
        document: [
            MessageHandler(filters.Document.ALL, _on(document, fields.on_document)),
            CallbackQueryHandler(
                _on(document, fields.on_document), pattern=r"^pd:(skip|doc:keep)$"
            ),
            MessageHandler(~filters.COMMAND, _on(document, fields.expect_document)),
        ],
        Step.ROUND_NAME: [
            CallbackQueryHandler(
                _on(Step.ROUND_NAME, rounds.on_round_name),
                pattern=r"^pd:(rname:\w+|rounds:none)$",
            ),
            *_text_step(Step.ROUND_NAME, rounds.on_round_name),
        ],
        Step.ROUND_KIND: _button_step(
            Step.ROUND_KIND, (r"^pd:kind:(unit|person)$", rounds.on_round_kind)
        ),
        Step.ROUND_DEADLINE: _text_step(Step.ROUND_DEADLINE, rounds.on_round_deadline),
        Step.ROUND_FORM: _button_step(Step.ROUND_FORM, (r"^pd:form:\w+$", rounds.on_round_form)),
        form_file: [
            MessageHandler(filters.Document.ALL, _on(form_file, rounds.on_form_file)),
            MessageHandler(~filters.COMMAND, _on(form_file, rounds.on_form_file)),
        ],
        Step.ROUND_OFFSETS: [
            CallbackQueryHandler(
                _on(Step.ROUND_OFFSETS, rounds.on_round_offsets), pattern=rf"^{OFFSETS_DEFAULT}$"
            ),
            *_text_step(Step.ROUND_OFFSETS, rounds.on_round_offsets),
        ],
        Step.ROUND_MORE: _button_step(
            Step.ROUND_MORE, (r"^pd:rounds:(more|done)$", rounds.on_round_more)
        ),
        Step.PREVIEW: [
            CallbackQueryHandler(preview.on_launch, pattern=preview.LAUNCH_PATTERN),
            CallbackQueryHandler(preview.on_cancel_button, pattern=preview.CANCEL_PATTERN),
            MessageHandler(~filters.COMMAND, _expect(Step.PREVIEW)),
        ],
    }
    entry = CommandHandler("phatdong", start, filters=filters.ChatType.PRIVATE)
    return flow_conversation(FLOW, [entry], states, preview.cancel)


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """The conversation, then the buttons of a preview pressed outside it (after the launch,
    a cancel, or a restart that came between the launch and the state's write): they say the
    preview is gone, or act on the draft if it is still there."""
    return [
        conversation(),
        CallbackQueryHandler(preview.on_launch, pattern=preview.LAUNCH_PATTERN),
        CallbackQueryHandler(preview.on_cancel_button, pattern=preview.CANCEL_PATTERN),
    ]
