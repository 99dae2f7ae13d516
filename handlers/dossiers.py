"""/hoso: a principal files their unit's award dossier (hồ sơ đề nghị khen thưởng) for the
final round of a campaign whose office asked for one: the checklist of parts (tờ trình, biên
bản họp xét, báo cáo thành tích kèm minh chứng) with what is still missing; a part's button
takes its files (kept as evidence is, handlers/evidence.py), «Xong» shows the checklist again.
Every file is saved as it arrives, so nothing is lost to /huy or a restart; only a part
waiting for files is a conversation (its draft, `DOSSIER`, names the round and the part; a
draft missing or unreadable is said to be lost), the checklist's buttons work from
anywhere."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
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

from formats.forms import Question, QuestionType
from handlers.answers import check_file
from handlers.common import (
    BotContext,
    button_of,
    current_actor,
    flow_conversation,
    incoming,
    require_role,
    say,
    stay,
)
from handlers.evidence import incoming_file, keep_file
from handlers.flows import Flow, refuse
from handlers.inputs import InputError
from handlers.nominations import keyboard
from messages import label, render_text
from storage.campaigns import campaign_visible
from storage.dossiers import (
    PARTS,
    DossierRound,
    add_dossier_file,
    clear_dossier_part,
    dossier_round,
    dossier_rounds,
    get_dossier,
)
from storage.models import Actor

FLOW = "hoso"
MAX_FILES = 10  # per part
FILES_QUESTION = Question(
    "ho_so", label("question_name", key="ho_so"), QuestionType.FILES, max_files=MAX_FILES
)


class Step(StrEnum):
    UPLOAD = "upload"


@dataclass
class DossierDraft:
    """The part of a round's dossier waiting for files."""

    round_id: int
    part: str  # one of PARTS


DOSSIER: Flow[DossierDraft] = Flow(FLOW, DossierDraft, command="hoso", lost="dossier_lost")


async def _rounds_for(context: BotContext, actor: Actor | None) -> list[DossierRound]:
    """Open final rounds asking for a dossier that are meant for the principal's unit."""
    if actor is None or actor.role != "principal" or actor.person is None:
        return []
    unit = actor.person.unit_id
    return [
        info
        for info in await dossier_rounds(context.db)
        if not info.closed and await campaign_visible(context.db, info.campaign_id, {unit})
    ]


async def _round_for(
    context: BotContext, actor: Actor | None, round_id: int
) -> DossierRound | None:
    info = await dossier_round(context.db, round_id)
    if info is None or actor is None or actor.person is None or actor.role != "principal":
        return None
    if not await campaign_visible(context.db, info.campaign_id, {actor.person.unit_id}):
        return None
    return info


async def _alert(update: Update) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer(render_text("not_allowed_short"), show_alert=True)


@require_role("principal")
async def start(update: Update, context: BotContext) -> int:
    actor = await current_actor(update, context)
    rounds = await _rounds_for(context, actor)
    if not rounds:
        await say(update, "dossier_none")
        return ConversationHandler.END
    if len(rounds) == 1:
        return await _checklist(update, context, rounds[0])
    rows = [[(label("announce_campaign", title=info.campaign_title), f"hs:c:{info.round_id}")]
            for info in rounds[:8]]  # fmt: skip
    await say(update, "dossier_choose", keyboard(*rows))
    return ConversationHandler.END


async def choose(update: Update, context: BotContext) -> int:
    actor = await current_actor(update, context)
    round_id = button_of(context).id
    info = await _round_for(context, actor, round_id)
    if info is None:
        await _alert(update)
        return ConversationHandler.END
    return await _checklist(update, context, info)


async def _checklist(update: Update, context: BotContext, info: DossierRound) -> int:
    """The checklist ends the conversation: its buttons open a part from anywhere."""
    actor = await current_actor(update, context)
    await DOSSIER.drop(update, context)
    if actor is None or actor.person is None:
        return ConversationHandler.END
    dossier = await get_dossier(context.db, info, actor.person.unit_id)
    rows = [[(label("dossier_part_button", part=part, done=bool(dossier.files.get(part))),
              f"hs:p:{info.round_id}:{i}")] for i, part in enumerate(PARTS)]  # fmt: skip
    await say(update, "dossier_checklist", keyboard(*rows), dossier=dossier, info=info,
              parts=PARTS)  # fmt: skip
    return ConversationHandler.END


async def open_part(update: Update, context: BotContext) -> Step | int:
    actor = await current_actor(update, context)
    press = button_of(context)
    info = await _round_for(context, actor, press.number(0))
    if info is None or not 0 <= press.number(1) < len(PARTS):
        await _alert(update)
        return ConversationHandler.END
    if info.closed:
        await say(update, "dossier_closed", info=info)
        return ConversationHandler.END
    part = PARTS[press.number(1)]
    assert actor is not None and actor.person is not None
    dossier = await get_dossier(context.db, info, actor.person.unit_id)
    await DOSSIER.save(update, context, DossierDraft(info.round_id, part))
    await say(update, "dossier_ask_files", _upload_keyboard(bool(dossier.files.get(part))),
              part=part, files=dossier.files.get(part, ()), limit=MAX_FILES)  # fmt: skip
    return Step.UPLOAD


def _upload_keyboard(has_files: bool) -> Any:
    rows = [[(label("files_done"), "hs:done")]]
    if has_files:
        rows.append([(label("files_remove"), "hs:rm")])
    return keyboard(*rows)


async def _current(
    update: Update, context: BotContext
) -> tuple[DossierDraft, DossierRound] | None:
    draft = await DOSSIER.load(update, context)
    if draft is None or draft.part not in PARTS:
        await DOSSIER.lost(update, context)
        return None
    actor = await current_actor(update, context)
    info = await _round_for(context, actor, draft.round_id)
    if info is None:
        await DOSSIER.drop(update, context)
        await say(update, "dossier_none")
        return None
    if info.closed:
        await say(update, "dossier_closed", info=info)
        return None
    return draft, info


async def on_file(update: Update, context: BotContext) -> Step | int:
    state = await _current(update, context)
    if state is None:
        return ConversationHandler.END
    draft, info = state
    actor = await current_actor(update, context)
    file = incoming_file(incoming(update))
    if file is None or actor is None or actor.person is None:
        return Step.UPLOAD
    dossier = await get_dossier(context.db, info, actor.person.unit_id)
    try:
        check_file(FILES_QUESTION, file.size, file.mime_type,
                   count=len(dossier.files.get(draft.part, ())))  # fmt: skip
    except InputError as error:
        return await refuse(update, context, error, Step.UPLOAD)
    evidence_id = await keep_file(context, file)
    await add_dossier_file(context.db, info.round_id, actor.person.unit_id, draft.part,
                           evidence_id, actor.person.id, context.clock.now())  # fmt: skip
    dossier = await get_dossier(context.db, info, actor.person.unit_id)
    await say(update, "answer_file_received", _upload_keyboard(True), name=file.name,
              count=len(dossier.files.get(draft.part, ())))  # fmt: skip
    return Step.UPLOAD


async def on_upload_button(update: Update, context: BotContext) -> Step | int:
    state = await _current(update, context)
    if state is None:
        return ConversationHandler.END
    draft, info = state
    actor = await current_actor(update, context)
    if button_of(context).kind == "hs:rm" and actor is not None and actor.person is not None:
        removed = await clear_dossier_part(context.db, info.round_id, actor.person.unit_id,
                                           draft.part, context.clock.now())  # fmt: skip
        if removed:
            await say(update, "answer_files_removed", count=removed)
        await say(update, "dossier_ask_files", _upload_keyboard(False), part=draft.part,
                  files=(), limit=MAX_FILES)  # fmt: skip
        return Step.UPLOAD
    return await _checklist(update, context, info)


async def cancel(update: Update, context: BotContext) -> int:
    return await DOSSIER.cancel(update, context, "dossier_saved")


def conversation() -> ConversationHandler[BotContext]:
    not_command = ~filters.COMMAND
    return flow_conversation(
        FLOW,
        [
            CommandHandler("hoso", start, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(choose, pattern=r"^hs:c:"),
            CallbackQueryHandler(open_part, pattern=r"^hs:p:"),
        ],
        {
            Step.UPLOAD: [
                MessageHandler(filters.Document.ALL | filters.PHOTO, on_file),
                CallbackQueryHandler(on_upload_button, pattern=r"^hs:(done|rm)$"),
                CallbackQueryHandler(open_part, pattern=r"^hs:p:"),
                MessageHandler(not_command, stay(Step.UPLOAD, "dossier_expect_files")),
            ],
        },
        cancel,
    )


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [conversation()]
