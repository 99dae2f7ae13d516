"""/phatdong: the office launches a campaign, one question at a time, then confirms.

The draft is saved at every step and the conversation state persisted, so a restart
resumes at the same question. /huy cancels from any step and drops the draft.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from formats.forms import MAX_FILE_BYTES as MAX_FORM_FILE_BYTES
from formats.forms import FormFileError, FormIssue, parse_form_file
from formats.work import in_worker
from handlers import unit_picker
from handlers.campaign_message import campaign_payload
from handlers.common import (
    BotContext,
    current_actor,
    drop_flow,
    flow_conversation,
    incoming,
    load_flow,
    pressed,
    require_role,
    save_flow,
    say,
    wake_sender,
)
from handlers.inputs import (
    InputError,
    check_length,
    parse_deadline,
    parse_period,
    parse_targets,
)
from messages import label, render, render_text, sample_file
from storage.campaigns import (
    FORMS,
    CampaignSpec,
    Round,
    Target,
    answers_rounds,
    launch_campaign,
    resolve_audience,
)
from storage.models import ROLES, Actor, Role
from storage.roster import top_unit_ids
from storage.unit_tree import unit_name

log = logging.getLogger(__name__)
FLOW = "phatdong"
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # what a bot may download through getFile
# Who receives a plan unless the office ticks more: those who carry it out. Office staff
# would otherwise be counted as owing every per-person report.
DEFAULT_ROLES: tuple[Role, ...] = ("principal", "teacher")
SAMPLE_FORM = "mau_bao_cao.yaml"


class Step(StrEnum):
    TITLE = "title"
    PLAN_NUMBER = "plan_number"
    PERIOD = "period"
    SUMMARY = "summary"
    TARGETS = "targets"
    AUDIENCE = "audience"
    UNITS = "units"
    CHILDREN = "children"
    ROLES = "roles"
    DOCUMENT = "document"
    ROUND_NAME = "round_name"
    ROUND_KIND = "round_kind"
    ROUND_DEADLINE = "round_deadline"
    ROUND_FORM = "round_form"
    ROUND_FORM_FILE = "round_form_file"
    ROUND_MORE = "round_more"
    PREVIEW = "preview"


@dataclass
class CampaignDraft:
    title: str = ""
    plan_number: str = ""
    period_from: str | None = None
    period_to: str | None = None
    summary: str = ""
    targets: list[dict[str, Any]] = field(default_factory=list)
    audience_all: bool = True
    unit_ids: list[int] = field(default_factory=list)
    unit_query: str = ""  # the unit picker's search and page (handlers/unit_picker.py)
    unit_page: int = 0
    include_children: bool = True
    roles: list[str] = field(default_factory=lambda: list(DEFAULT_ROLES))
    document_file_id: str | None = None
    document_name: str | None = None
    document_path: str | None = None
    rounds: list[dict[str, Any]] = field(default_factory=list)
    round_name: str = ""
    round_kind: str = ""
    round_deadline: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CampaignDraft:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    @property
    def picker(self) -> unit_picker.Picker:
        return unit_picker.Picker(list(self.unit_ids), self.unit_query, self.unit_page)

    @picker.setter
    def picker(self, picker: unit_picker.Picker) -> None:
        self.unit_ids, self.unit_query, self.unit_page = picker.chosen, picker.query, picker.page

    def spec(self, issuer_unit_id: int | None) -> CampaignSpec:
        return CampaignSpec(
            title=self.title,
            plan_number=self.plan_number,
            issuer_unit_id=issuer_unit_id,
            period_from=date.fromisoformat(self.period_from) if self.period_from else None,
            period_to=date.fromisoformat(self.period_to) if self.period_to else None,
            summary=self.summary,
            targets=tuple(Target(**t) for t in self.targets),
            audience_all=self.audience_all,
            units=tuple((unit_id, self.include_children) for unit_id in self.unit_ids),
            roles=tuple(r for r in ROLES if r in self.roles),
            document_file_id=self.document_file_id,
            document_name=self.document_name,
            document_path=self.document_path,
            rounds=tuple(
                Round(
                    r["name"],
                    r["kind"],
                    datetime.fromisoformat(r["deadline"]),
                    r["form"],
                    form_json=r.get("form_json"),
                )
                for r in self.rounds
            ),
        )


# ---- plumbing -------------------------------------------------------------------------


async def _draft(update: Update, context: BotContext) -> CampaignDraft:
    return CampaignDraft.from_dict(await load_flow(update, context, FLOW))


async def _save(update: Update, context: BotContext, draft: CampaignDraft) -> None:
    await save_flow(update, context, FLOW, draft)


def _keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


def _skip() -> list[tuple[str, str]]:
    return [(label("skip"), "pd:skip")]


async def _issuer(context: BotContext, actor: Actor) -> int | None:
    """The unit the campaign is issued by: the office's own unit; for an admin outside the
    roster, the single top unit if there is one."""
    if actor.person is not None:
        return actor.person.unit_id
    roots = await top_unit_ids(context.db)
    return roots[0] if len(roots) == 1 else None


async def _refuse(
    update: Update, context: BotContext, error: InputError,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:  # fmt: skip
    """Say what was wrong with an answer; examples in the text come from today's school year."""
    await say(update, error.template, keyboard, **{"now": context.clock.now(), **error.values})


# ---- the questions ----------------------------------------------------------------------


@require_role("office")
async def start(update: Update, context: BotContext) -> Step:
    await _save(update, context, CampaignDraft())
    await say(update, "launch_ask_title")
    return Step.TITLE


async def on_title(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    try:
        draft.title = check_length(incoming(update).text or "", 3, 200)
    except InputError as error:
        await _refuse(update, context, error)
        return Step.TITLE
    await _save(update, context, draft)
    await say(update, "launch_ask_plan_number", _keyboard(_skip()))
    return Step.PLAN_NUMBER


async def on_plan_number(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    if pressed(update) != "pd:skip":
        try:
            draft.plan_number = check_length(incoming(update).text or "", 1, 60)
        except InputError as error:
            await _refuse(update, context, error, _keyboard(_skip()))
            return Step.PLAN_NUMBER
    await _save(update, context, draft)
    await say(update, "launch_ask_period", _keyboard(_skip()), now=context.clock.now())
    return Step.PERIOD


async def on_period(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    if pressed(update) != "pd:skip":
        try:
            start_day, end_day = parse_period(incoming(update).text or "")
        except InputError as error:
            await _refuse(update, context, error, _keyboard(_skip()))
            return Step.PERIOD
        draft.period_from, draft.period_to = start_day.isoformat(), end_day.isoformat()
    await _save(update, context, draft)
    await say(update, "launch_ask_summary", _keyboard(_skip()))
    return Step.SUMMARY


async def on_summary(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    if pressed(update) != "pd:skip":
        try:
            draft.summary = check_length(incoming(update).text or "", 1, 1500)
        except InputError as error:
            await _refuse(update, context, error, _keyboard(_skip()))
            return Step.SUMMARY
    await _save(update, context, draft)
    await say(update, "launch_ask_targets", _keyboard(_skip()))
    return Step.TARGETS


async def on_targets(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    if pressed(update) != "pd:skip":
        try:
            draft.targets = [asdict(t) for t in parse_targets(incoming(update).text or "")]
        except InputError as error:
            await _refuse(update, context, error, _keyboard(_skip()))
            return Step.TARGETS
    await _save(update, context, draft)
    return await _ask_audience(update)


async def _ask_audience(update: Update) -> Step:
    keyboard = _keyboard(
        [(label("audience_all"), "pd:aud:all")], [(label("audience_pick"), "pd:aud:pick")]
    )
    await say(update, "launch_ask_audience", keyboard)
    return Step.AUDIENCE


async def on_audience(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    draft.audience_all = pressed(update) == "pd:aud:all"
    draft.picker = unit_picker.Picker()
    await _save(update, context, draft)
    if draft.audience_all:
        return await _ask_roles(update, draft)
    units = await unit_picker.units_for(context, await current_actor(update, context))
    await unit_picker.send(update, draft.picker, units)
    return Step.UNITS


async def on_units_typed(update: Update, context: BotContext) -> Step:
    """Codes (any case) choose units; other words search the unit names."""
    draft = await _draft(update, context)
    units = await unit_picker.units_for(context, await current_actor(update, context))
    typed = unit_picker.on_text(draft.picker, incoming(update).text or "", units)
    if typed.refusal is not None:
        await say(update, typed.refusal, **typed.values)
        return Step.UNITS
    draft.picker = typed.picker
    await _save(update, context, draft)
    await unit_picker.send(update, draft.picker, units, typed.added)
    return Step.UNITS


async def on_units_pressed(update: Update, context: BotContext) -> Step:
    """A unit toggled, a page turned, the search left, or «Xong»."""
    draft = await _draft(update, context)
    units = await unit_picker.units_for(context, await current_actor(update, context))
    if pressed(update) == unit_picker.DONE:
        chosen = unit_picker.chosen_ids(draft.picker, units)
        if not chosen:
            query = update.callback_query
            if query is not None:
                await query.answer(render_text("launch_no_units"), show_alert=True)
            return Step.UNITS
        draft.unit_ids = chosen
        await _save(update, context, draft)
        keyboard = _keyboard([(label("yes"), "pd:children:1"), (label("no"), "pd:children:0")])
        await say(update, "launch_ask_children", keyboard)
        return Step.CHILDREN
    draft.picker = unit_picker.on_press(draft.picker, pressed(update), units)
    await _save(update, context, draft)
    await unit_picker.edit(update, draft.picker, units)
    return Step.UNITS


async def on_children(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    draft.include_children = pressed(update) == "pd:children:1"
    await _save(update, context, draft)
    return await _ask_roles(update, draft)


async def _ask_roles(update: Update, draft: CampaignDraft) -> Step:
    rows = [
        [(label("role_toggle", role=role, on=role in draft.roles), f"pd:role:{role}")]
        for role in ROLES
    ]
    rows.append([(label("next"), "pd:roles:done")])
    await say(update, "launch_ask_roles", _keyboard(*rows))
    return Step.ROLES


async def on_role(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    role = pressed(update).removeprefix("pd:role:")
    if role in ROLES:
        draft.roles = [r for r in ROLES if (r in draft.roles) != (r == role)]
        await _save(update, context, draft)
        query = update.callback_query
        if query is not None and isinstance(query.message, Message):
            await query.answer()
            rows = [
                [(label("role_toggle", role=r, on=r in draft.roles), f"pd:role:{r}")]
                for r in ROLES
            ]
            rows.append([(label("next"), "pd:roles:done")])
            await query.message.edit_reply_markup(_keyboard(*rows))
            return Step.ROLES
    return Step.ROLES


async def on_roles_done(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    if not draft.roles:
        query = update.callback_query
        if query is not None:
            await query.answer(render("launch_no_roles"), show_alert=True)
        return Step.ROLES
    await say(update, "launch_ask_document", _keyboard(_skip()))
    return Step.DOCUMENT


async def on_document(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    if pressed(update) != "pd:skip":
        document = incoming(update).document
        if document is None:
            return await expect_document(update, context)
        if (document.file_size or 0) > MAX_DOCUMENT_BYTES:
            await say(update, "launch_document_too_big", _keyboard(_skip()))
            return Step.DOCUMENT
        draft.document_file_id = document.file_id
        draft.document_name = document.file_name or "ke_hoach"
        draft.document_path = await _keep_copy(context, document.file_id, document.file_unique_id,
                                               draft.document_name)  # fmt: skip
    await _save(update, context, draft)
    return await _ask_round_name(update)


async def _keep_copy(context: BotContext, file_id: str, unique_id: str, name: str) -> str | None:
    """A copy under FILES_DIR, so the plan outlives Telegram's file; a failure is not fatal
    (the file id still works for sending)."""
    safe = re.sub(r"[^\w.\-]+", "_", name)[-120:]
    target = Path(context.config.files_dir) / "plans" / f"{unique_id}_{safe}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        telegram_file = await context.bot.get_file(file_id)
        await telegram_file.download_to_drive(target)
    except (TelegramError, OSError) as exc:
        log.warning("could not keep a copy of the plan document %s: %s", name, exc)
        return None
    return str(target)


async def _ask_round_name(update: Update) -> Step:
    keyboard = _keyboard(
        [(label("round_midterm"), "pd:rname:mid"), (label("round_final"), "pd:rname:final")],
        [(label("round_none"), "pd:rounds:none")],
    )
    await say(update, "launch_ask_round_name", keyboard)
    return Step.ROUND_NAME


async def on_round_name(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    choice = pressed(update)
    if choice == "pd:rounds:none":
        draft.rounds = []
        await _save(update, context, draft)
        return await _preview(update, context, draft)
    presets = {"pd:rname:mid": label("round_midterm"), "pd:rname:final": label("round_final")}
    if choice in presets:
        draft.round_name = presets[choice]
    else:
        try:
            draft.round_name = check_length(incoming(update).text or "", 2, 100)
        except InputError as error:
            await _refuse(update, context, error)
            return Step.ROUND_NAME
    await _save(update, context, draft)
    keyboard = _keyboard(
        [(label("kind_unit"), "pd:kind:unit")], [(label("kind_person"), "pd:kind:person")]
    )
    await say(update, "launch_ask_round_kind", keyboard, name=draft.round_name)
    return Step.ROUND_KIND


async def on_round_kind(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    draft.round_kind = pressed(update).removeprefix("pd:kind:")
    await _save(update, context, draft)
    await say(update, "launch_ask_round_deadline", name=draft.round_name, now=context.clock.now())
    return Step.ROUND_DEADLINE


async def on_round_deadline(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    try:
        deadline = parse_deadline(
            incoming(update).text or "", context.config.timezone, context.clock.now()
        )
    except InputError as error:
        await _refuse(update, context, error)
        return Step.ROUND_DEADLINE
    draft.round_deadline = deadline.isoformat()
    await _save(update, context, draft)
    rows = [[(label("form_name", form=form), f"pd:form:{form}")] for form in FORMS]
    rows.append([(label("form_custom"), "pd:form:custom")])
    await say(update, "launch_ask_round_form", _keyboard(*rows))
    return Step.ROUND_FORM


async def on_round_form(update: Update, context: BotContext) -> Step:
    draft = await _draft(update, context)
    form = pressed(update).removeprefix("pd:form:")
    if form == "custom":
        return await _ask_form_file(update, context)
    if form not in FORMS:
        return Step.ROUND_FORM
    return await _add_round(update, context, draft, form, None)


async def _ask_form_file(update: Update, context: BotContext) -> Step:
    """How a form file is written, in Vietnamese, and a sample to edit and send back."""
    await say(update, "launch_ask_form_file")
    await context.bot.send_document(
        incoming_chat(update),
        sample_file(SAMPLE_FORM),
        filename=SAMPLE_FORM,
        caption=render("launch_form_sample_caption"),
    )
    return Step.ROUND_FORM_FILE


async def on_form_file(update: Update, context: BotContext) -> Step:
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
    draft = await _draft(update, context)
    return await _add_round(update, context, draft, "custom", form.to_json())


async def _add_round(
    update: Update, context: BotContext, draft: CampaignDraft, form: str, form_json: str | None
) -> Step:
    draft.rounds.append(
        {"name": draft.round_name, "kind": draft.round_kind,
         "deadline": draft.round_deadline, "form": form, "form_json": form_json}
    )  # fmt: skip
    draft.round_name = draft.round_kind = draft.round_deadline = ""
    await _save(update, context, draft)
    keyboard = _keyboard(
        [(label("round_more"), "pd:rounds:more")], [(label("next"), "pd:rounds:done")]
    )
    rounds = draft.spec(None).rounds
    await say(update, "launch_ask_round_more", keyboard, rounds=rounds)
    return Step.ROUND_MORE


async def on_round_more(update: Update, context: BotContext) -> Step:
    if pressed(update) == "pd:rounds:more":
        return await _ask_round_name(update)
    return await _preview(update, context, await _draft(update, context))


async def _preview(update: Update, context: BotContext, draft: CampaignDraft) -> Step:
    """Exactly what recipients will get, then the count and the launch button."""
    actor = await current_actor(update, context)
    if actor is None:
        return Step.PREVIEW
    spec = draft.spec(await _issuer(context, actor))
    payload = campaign_payload(
        0, spec, spec.rounds, await unit_name(context.db, spec.issuer_unit_id)
    )
    await say(update, "launch_preview_intro")
    await _send_payload(incoming_chat(update), context, payload)
    audience = await resolve_audience(
        context.db, spec.issuer_unit_id, spec.audience_all, spec.units, spec.roles
    )
    keyboard = _keyboard([(label("launch"), "pd:launch"), (label("cancel"), "pd:cancel")])
    if not audience.registered:
        keyboard = _keyboard([(label("cancel"), "pd:cancel")])
    kinds = [r.kind for r in spec.rounds]
    answering = sum(answers_rounds(p.role, kinds) for p in audience.registered)
    await context.bot.send_message(
        incoming_chat(update),
        render("launch_preview_count", audience=audience, units=len(audience.unit_ids),
               answering=answering if kinds else None),
        reply_markup=keyboard,
    )  # fmt: skip
    return Step.PREVIEW


def incoming_chat(update: Update) -> int:
    chat = update.effective_chat
    if chat is None:
        raise ValueError("no chat")
    return chat.id


async def _send_payload(chat_id: int, context: BotContext, payload: dict[str, Any]) -> None:
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
         for row in payload["buttons"]]
    )  # fmt: skip
    if payload["document"]:
        await context.bot.send_document(
            chat_id, payload["document"], caption=payload["text"], reply_markup=keyboard
        )
    else:
        await context.bot.send_message(chat_id, payload["text"], reply_markup=keyboard)


async def on_launch(update: Update, context: BotContext) -> int:
    query = update.callback_query
    actor = await current_actor(update, context)
    if query is None or actor is None or actor.role != "office":
        return ConversationHandler.END
    await query.answer()
    draft = await _draft(update, context)
    spec = draft.spec(await _issuer(context, actor))
    issuer = await unit_name(context.db, spec.issuer_unit_id)
    chat_id = incoming_chat(update)
    progress = await context.bot.send_message(chat_id, render("launch_progress_start"))
    campaign_id, _, audience = await launch_campaign(
        context.db,
        spec,
        created_by=actor.telegram_id,
        payload_for=lambda cid, rounds: campaign_payload(cid, spec, rounds, issuer),
        progress_chat_id=chat_id,
        progress_message_id=progress.message_id,
        now=context.clock.now(),
    )
    await drop_flow(update, context, FLOW)
    wake_sender(context)
    log.info("campaign %s launched by %s to %s people", campaign_id, actor.telegram_id,
             len(audience.registered))  # fmt: skip
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(None)
    return ConversationHandler.END


async def cancel(update: Update, context: BotContext) -> int:
    await drop_flow(update, context, FLOW)
    await say(update, "launch_cancelled")
    return ConversationHandler.END


# ---- answers of the wrong kind ----------------------------------------------------------

_EXPECTED = {
    Step.TITLE: "launch_expect_title",
    Step.PLAN_NUMBER: "launch_expect_text",
    Step.PERIOD: "launch_expect_text",
    Step.SUMMARY: "launch_expect_text",
    Step.TARGETS: "launch_expect_text",
    Step.UNITS: "launch_expect_text",
    Step.ROUND_NAME: "launch_expect_text",
    Step.ROUND_DEADLINE: "launch_expect_deadline",
}


def _expect(step: Step) -> Any:
    """Say what kind of answer the step expects (with example dates from today's school year)."""
    template = _EXPECTED.get(step, "launch_expect_button")

    async def handler(update: Update, context: BotContext) -> Step:
        await say(update, template, now=context.clock.now())
        return step

    return handler


async def expect_document(update: Update, context: BotContext) -> Step:
    await say(update, "launch_expect_document", _keyboard(_skip()))
    return Step.DOCUMENT


def _text_step(
    step: Step, handler: Any, skippable: bool = False
) -> list[BaseHandler[Any, Any, Any]]:
    handlers: list[BaseHandler[Any, Any, Any]] = [
        MessageHandler(filters.TEXT & ~filters.COMMAND, handler)
    ]
    if skippable:
        handlers.append(CallbackQueryHandler(handler, pattern=r"^pd:skip$"))
    handlers.append(MessageHandler(~filters.COMMAND, _expect(step)))
    return handlers


def _button_step(step: Step, *pairs: tuple[str, Any]) -> list[BaseHandler[Any, Any, Any]]:
    handlers: list[BaseHandler[Any, Any, Any]] = [
        CallbackQueryHandler(handler, pattern=pattern) for pattern, handler in pairs
    ]
    handlers.append(MessageHandler(~filters.COMMAND, _expect(step)))
    return handlers


def conversation() -> ConversationHandler[BotContext]:
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        Step.TITLE: _text_step(Step.TITLE, on_title),
        Step.PLAN_NUMBER: _text_step(Step.PLAN_NUMBER, on_plan_number, skippable=True),
        Step.PERIOD: _text_step(Step.PERIOD, on_period, skippable=True),
        Step.SUMMARY: _text_step(Step.SUMMARY, on_summary, skippable=True),
        Step.TARGETS: _text_step(Step.TARGETS, on_targets, skippable=True),
        Step.AUDIENCE: _button_step(Step.AUDIENCE, (r"^pd:aud:(all|pick)$", on_audience)),
        Step.UNITS: [
            CallbackQueryHandler(on_units_pressed, pattern=unit_picker.PATTERN),
            *_text_step(Step.UNITS, on_units_typed),
        ],
        Step.CHILDREN: _button_step(Step.CHILDREN, (r"^pd:children:[01]$", on_children)),
        Step.ROLES: _button_step(
            Step.ROLES, (r"^pd:role:\w+$", on_role), (r"^pd:roles:done$", on_roles_done)
        ),
        Step.DOCUMENT: [
            MessageHandler(filters.Document.ALL, on_document),
            CallbackQueryHandler(on_document, pattern=r"^pd:skip$"),
            MessageHandler(~filters.COMMAND, expect_document),
        ],
        Step.ROUND_NAME: [
            CallbackQueryHandler(on_round_name, pattern=r"^pd:(rname:\w+|rounds:none)$"),
            *_text_step(Step.ROUND_NAME, on_round_name),
        ],
        Step.ROUND_KIND: _button_step(
            Step.ROUND_KIND, (r"^pd:kind:(unit|person)$", on_round_kind)
        ),
        Step.ROUND_DEADLINE: _text_step(Step.ROUND_DEADLINE, on_round_deadline),
        Step.ROUND_FORM: _button_step(Step.ROUND_FORM, (r"^pd:form:\w+$", on_round_form)),
        Step.ROUND_FORM_FILE: [
            MessageHandler(filters.Document.ALL, on_form_file),
            MessageHandler(~filters.COMMAND, on_form_file),
        ],
        Step.ROUND_MORE: _button_step(
            Step.ROUND_MORE, (r"^pd:rounds:(more|done)$", on_round_more)
        ),
        Step.PREVIEW: _button_step(
            Step.PREVIEW, (r"^pd:launch$", on_launch), (r"^pd:cancel$", cancel)
        ),
    }
    entry = CommandHandler("phatdong", start, filters=filters.ChatType.PRIVATE)
    return flow_conversation(FLOW, [entry], states, cancel)


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [conversation()]
