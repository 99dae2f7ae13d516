"""/dienhinh: a principal (or an office, for a unit in its scope) puts forward a good example
of the quarter: individual or collective, who (from the unit's roster, or typed), position,
field, summary of achievements, evidence files, optionally the campaign, then a summary and
«Gửi». At most the quota per unit per quarter; over it, one still pending can be replaced.

The draft (`NOMINATE`, handlers/flows.py) is saved with its step before each question and
the conversation state persisted, so a restart resumes at the same question; /huy keeps the
draft for the next /dienhinh. A draft that is missing or unreadable (another version's
fields, an unknown step) is lost: the person is told, nothing is filled in with defaults. A
nomination the office sent back comes here too («Bổ sung đề nghị»): the summary with every
answer filled in, to correct and send again. Answers are checked as report answers are
(handlers/answers.py), bad ones refused on the same question; evidence is kept as report
evidence (handlers/evidence.py).

Every summary gets a new token, carried by its «📨 Gửi» (`dh:send:<token>`): filing (or
resending) the nomination, the end of the draft and of the conversation are one
transaction, only if the draft still carries that token. So a «Gửi» pressed twice, or again
after a restart that came right after the commit, or under an older summary, says the
nomination is already sent and files nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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
from handlers.answers import check_file, parse_answer
from handlers.common import (
    BotContext,
    alert,
    button_of,
    current_actor,
    flow_conversation,
    incoming,
    require_role,
    say,
    wake_sender,
)
from handlers.evidence import incoming_file, keep_file
from handlers.flows import END, Flow, new_token, refuse
from handlers.inputs import InputError
from handlers.nominations import (
    FIELDS,
    field_names,
    is_nominator,
    keyboard,
    may_see,
)
from handlers.unit_picker import matches, units_for
from messages import label, render, render_text
from storage.access import may_access
from storage.campaigns import campaigns_visible, get_campaign
from storage.drafts import DraftGone
from storage.models import Actor, Person
from storage.nominations import (
    Nomination,
    NominationSpec,
    QuotaStatus,
    campaign_settings,
    file_nomination,
    get_nomination,
    quota_status,
    resend_nomination,
    withdraw_nomination,
)
from storage.ordering import sort_people
from storage.outgoing import Button, OutgoingMessage
from storage.people import people_in_units
from storage.quarters import Quarter, filing_quarters, quarter_of
from storage.reports import evidence_names
from storage.text import fold
from storage.unit_tree import unit_name

FLOW = "dienhinh"
PAGE_SIZE = 8
SHOWN_CAMPAIGNS = 8
MAX_FILES = 10
NAME_QUESTION = Question(
    "ten", label("question_name", key="ten"), QuestionType.TEXT, max_length=100
)
COLLECTIVE_QUESTION = Question(
    "tap_the", label("question_name", key="tap_the"), QuestionType.TEXT, max_length=150
)
POSITION_QUESTION = Question(
    "chuc_vu", label("question_name", key="chuc_vu"), QuestionType.TEXT, max_length=100
)
SUMMARY_QUESTION = Question(
    "tom_tat", label("question_name", key="tom_tat"), QuestionType.TEXT, max_length=2000
)
FILES_QUESTION = Question(
    "minh_chung", "Minh chứng", QuestionType.FILES, required=False, max_files=MAX_FILES
)
# Buttons inside the conversation; dh:w / dh:wy / dh:fix work from anywhere (below). The gate
# has parsed and bounded every press (handlers/permissions.py); handlers read `button_of`.
INSIDE = r"^dh:(u|up|q|r|p|pp|f|c|ed|k|done|rm|back|keep|send|edit|go|new)(:|$)"
SEND = "dh:send"


class Step(StrEnum):
    RESUME = "resume"
    UNIT = "unit"
    QUARTER = "quarter"
    REPLACE = "replace"
    KIND = "kind"
    PERSON = "person"
    NAME = "name"
    POSITION = "position"
    FIELD = "field"
    SUMMARY = "summary"
    FILES = "files"
    CAMPAIGN = "campaign"
    REVIEW = "review"
    PICK = "pick"


STEPS = frozenset(step.value for step in Step)

# The answers a nominator may go back to change from the summary, in order.
EDITABLE = (Step.KIND, Step.PERSON, Step.POSITION, Step.FIELD, Step.SUMMARY, Step.FILES,
            Step.CAMPAIGN)  # fmt: skip


@dataclass
class NominationDraft:
    step: str = ""
    office: bool = False  # an office files on the unit's behalf
    unit_id: int = 0
    quarter: int = 0  # Quarter.key
    quarters: list[int] = field(default_factory=list)  # those that may be chosen
    kind: str = ""  # 'individual' or 'collective'
    person_id: int | None = None
    name: str = ""
    position: str = ""
    area: str = ""  # the field of achievement (lĩnh vực): a key of FIELDS
    summary: str = ""
    evidence: list[int] = field(default_factory=list)
    campaign_id: int | None = None
    campaign_done: bool = False
    campaigns: bool = False  # the unit has campaigns to choose from
    replaces: int | None = None
    editing_id: int | None = None  # completing a nomination sent back
    page: int = 0
    query: str = ""  # the office's search among units
    from_review: bool = False  # changing one answer from the summary
    token: str = field(default_factory=new_token)  # names the latest summary in its «Gửi»

    @property
    def complete(self) -> bool:
        return bool(self.kind and self.name and self.position and self.area and self.summary)

    def order(self) -> list[Step]:
        steps = []
        if self.editing_id is None:
            if self.office:
                steps.append(Step.UNIT)
            if len(self.quarters) > 1:
                steps.append(Step.QUARTER)
        steps += [Step.KIND, Step.NAME if self.kind == "collective" else Step.PERSON,
                  Step.POSITION, Step.FIELD, Step.SUMMARY, Step.FILES]  # fmt: skip
        if self.campaigns:
            steps.append(Step.CAMPAIGN)
        return [*steps, Step.REVIEW]


NOMINATE: Flow[NominationDraft] = Flow(FLOW, NominationDraft, command="dienhinh")


# ---- plumbing -----------------------------------------------------------------------------------


async def _draft(update: Update, context: BotContext) -> NominationDraft | None:
    """The person's draft, read strictly: None when missing or unreadable (another version's
    fields, or a step this version does not know)."""
    draft = await NOMINATE.load(update, context)
    return draft if draft is not None and draft.step in STEPS else None


async def _save(update: Update, context: BotContext, draft: NominationDraft) -> None:
    await NOMINATE.save(update, context, draft)


async def _unit_name(context: BotContext, unit_id: int) -> str:
    return await unit_name(context.db, unit_id) or ""


async def _may_file_for(context: BotContext, actor: Actor | None, unit_id: int) -> bool:
    """A principal files for their own unit, an office for any unit in its scope."""
    if actor is None or actor.role not in ("principal", "office") or not unit_id:
        return False
    return await may_access(context.db, actor, unit_id)


def _is_self(actor: Actor, draft: NominationDraft) -> bool:
    person = actor.person
    if person is None or draft.kind != "individual":
        return False
    return draft.person_id == person.id or fold(draft.name) == fold(person.full_name)


async def _go(update: Update, context: BotContext, draft: NominationDraft, step: Step) -> Step:
    """Move to `step`: saved with the draft first, then its question asked. A summary gets a
    new token, so only the latest summary's «Gửi» sends."""
    draft.step = step
    if step is Step.REVIEW:
        draft.token = new_token()
    await _save(update, context, draft)
    await _ask(update, context, draft)
    return step


async def _next(update: Update, context: BotContext, draft: NominationDraft) -> Step:
    """After an answer: the next step, or the summary when it came from there."""
    if draft.from_review and draft.complete:
        draft.from_review = False
        return await _go(update, context, draft, Step.REVIEW)
    order = draft.order()
    current = Step(draft.step)
    following = order[order.index(current) + 1] if current in order else Step.REVIEW
    return await _go(update, context, draft, following)


async def _back(update: Update, context: BotContext, draft: NominationDraft) -> Step:
    order = draft.order()
    current = Step(draft.step) if draft.step in {s.value for s in Step} else Step.KIND
    if current in order and order.index(current) > 0:
        return await _go(update, context, draft, order[order.index(current) - 1])
    return await _go(update, context, draft, current)


# ---- asking -------------------------------------------------------------------------------------


async def _ask(update: Update, context: BotContext, draft: NominationDraft) -> None:
    step = Step(draft.step)
    if step is Step.REVIEW:
        await _summary(update, context, draft)
        return
    if step is Step.PICK:
        choices = [
            [(label("nomination_pick", step=s.value, kind=draft.kind), f"dh:ed:{i}")]
            for i, s in enumerate(EDITABLE)
            if s is not Step.CAMPAIGN or draft.campaigns
        ]
        choices.append([(label("back"), "dh:keep")])  # back to the summary
        await say(update, "nomination_pick", keyboard(*choices))
        return
    values: dict[str, Any] = {"step": step.value, "draft": draft}
    rows: list[list[tuple[str, str]]] = []
    if step is Step.UNIT:
        rows, values = await _unit_page(update, context, draft, values)
    elif step is Step.QUARTER:
        quarters = [Quarter.from_key(k) for k in draft.quarters]
        rows = [[(label("nomination_quarter", quarter=q, current=i == 0), f"dh:q:{q.key}")]
                for i, q in enumerate(quarters)]  # fmt: skip
    elif step is Step.KIND:
        rows = [[(label("nomination_kind", kind="individual"), "dh:k:i"),
                 (label("nomination_kind", kind="collective"), "dh:k:c")]]  # fmt: skip
    elif step is Step.PERSON:
        rows, values = await _person_page(update, context, draft, values)
    elif step is Step.FIELD:
        rows = [[(name, f"dh:f:{i}")] for i, name in enumerate(field_names())]
    elif step is Step.SUMMARY:
        values["maximum"] = SUMMARY_QUESTION.max_length
    elif step is Step.FILES:
        values["names"] = await evidence_names(context.db, draft.evidence)
        values["limit"] = MAX_FILES
        rows = [[(label("files_done"), "dh:done")]]
        if draft.evidence:
            rows.append([(label("files_remove"), "dh:rm")])
    elif step is Step.CAMPAIGN:
        campaigns = await _campaigns(context, draft.unit_id)
        rows = [[(label("announce_campaign", title=title), f"dh:c:{cid}")]
                for cid, title in campaigns]  # fmt: skip
        rows.append([(label("nomination_no_campaign"), "dh:c:0")])
        values["campaign"] = await _campaign_title(context, draft.campaign_id)
    values["quarter"] = Quarter.from_key(draft.quarter) if draft.quarter else None
    values["unit_name"] = await _unit_name(context, draft.unit_id) if draft.unit_id else ""
    values["field_name"] = _field_name(draft.area)
    extra = []
    order = draft.order()
    if step in order and order.index(step) > 0 and not draft.from_review:
        extra.append((label("back"), "dh:back"))
    if draft.from_review and draft.complete:
        extra.append((label("keep"), "dh:keep"))
    rows.append(extra)
    await say(update, "nomination_question", keyboard(*rows), **values)


def _field_name(key: str) -> str:
    return field_names()[FIELDS.index(key)] if key in FIELDS else ""


async def _unit_page(
    update: Update, context: BotContext, draft: NominationDraft, values: dict[str, Any]
) -> tuple[list[list[tuple[str, str]]], dict[str, Any]]:
    units = await units_for(context, await current_actor(update, context))
    found = matches(units.scoped, draft.query)
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(draft.page, 0), pages - 1)
    shown = found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = [[(label("unit_toggle", name=u.name, on=u.id == draft.unit_id, depth=u.depth),
              f"dh:u:{u.id}")] for u in shown]  # fmt: skip
    rows.append(_turn("dh:up", page, pages))
    return rows, {**values, "page": page, "pages": pages, "query": draft.query,
                  "found": len(found)}  # fmt: skip


def _turn(prefix: str, page: int, pages: int) -> list[tuple[str, str]]:
    turn = []
    if page > 0:
        turn.append((label("page_prev"), f"{prefix}:{page - 1}"))
    if page < pages - 1:
        turn.append((label("page_next"), f"{prefix}:{page + 1}"))
    return turn


async def _roster(
    context: BotContext, draft: NominationDraft, actor: Actor | None
) -> list[Person]:
    """The unit's people by given name, the nominator left out (nobody nominates themselves)."""
    people = await people_in_units(context.db, [draft.unit_id]) if draft.unit_id else []
    me = actor.person.id if actor is not None and actor.person is not None else None
    return sort_people((p for p in people if p.id != me), lambda p: p.full_name)


async def _person_page(
    update: Update, context: BotContext, draft: NominationDraft, values: dict[str, Any]
) -> tuple[list[list[tuple[str, str]]], dict[str, Any]]:
    people = await _roster(context, draft, await current_actor(update, context))
    pages = max(1, -(-len(people) // PAGE_SIZE))
    page = min(max(draft.page, 0), pages - 1)
    shown = people[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = [[(label("nomination_person", name=p.full_name, on=p.id == draft.person_id),
              f"dh:p:{p.id}")] for p in shown]  # fmt: skip
    rows.append(_turn("dh:pp", page, pages))
    return rows, {**values, "page": page, "pages": pages, "roster": len(people)}


async def _campaigns(context: BotContext, unit_id: int) -> list[tuple[int, str]]:
    """Campaigns meant for or received by the unit, newest first."""
    found = []
    for campaign_id in await campaigns_visible(context.db, {unit_id}, limit=SHOWN_CAMPAIGNS):
        campaign = await get_campaign(context.db, campaign_id)
        if campaign is not None and campaign.status == "launched":
            found.append((campaign_id, campaign.spec.title))
    return found


async def _campaign_title(context: BotContext, campaign_id: int | None) -> str | None:
    campaign = await get_campaign(context.db, campaign_id) if campaign_id else None
    return campaign.spec.title if campaign is not None else None


async def _summary(update: Update, context: BotContext, draft: NominationDraft) -> None:
    rows = [[(label("report_submit"), f"{SEND}:{draft.token}"), (label("report_edit"), "dh:edit")]]
    returned = None
    if draft.editing_id is not None:
        returned = await get_nomination(context.db, draft.editing_id)
    else:
        rows.append([(label("back"), "dh:back")])
    await say(
        update,
        "nomination_summary",
        keyboard(*rows),
        draft=draft,
        quarter=Quarter.from_key(draft.quarter),
        unit_name=await _unit_name(context, draft.unit_id),
        field_name=_field_name(draft.area),
        files=await evidence_names(context.db, draft.evidence),
        campaign=await _campaign_title(context, draft.campaign_id),
        returned=returned,
    )


# ---- starting -----------------------------------------------------------------------------------


@require_role("principal", "office")
async def start(update: Update, context: BotContext) -> Step | int:
    draft = await _draft(update, context)
    if draft is not None and draft.step:
        # A draft kept by /huy (or left by a flow that ended badly): go on, or start afresh.
        rows = [[(label("nomination_resume"), "dh:go")], [(label("nomination_restart"), "dh:new")]]
        await say(update, "nomination_resume", keyboard(*rows), draft=draft,
                  field_name=_field_name(draft.area))  # fmt: skip
        return Step.RESUME
    return await _begin(update, context)


@require_role("principal", "office")
async def from_prompt(update: Update, context: BotContext) -> Step | int:
    """«🏅 Đề nghị điển hình» under a quarter-end prompt (bot/quarter_prompts.py): /dienhinh,
    while the prompt's quarter lasts."""
    key = int(button_of(context).values[0])
    current = quarter_of(context.clock.now(), context.config.timezone)
    if key == current.key:
        return await start(update, context)
    if 1 <= key % 10 <= 4 and key < current.key:
        ended = Quarter.from_key(key)
        await say(update, "nomination_prompt_ended", quarter=ended, current=current)
    else:  # no prompt of ours names another quarter
        await alert(update, "button_expired")
    return ConversationHandler.END


async def on_resume(update: Update, context: BotContext) -> Step | int:
    draft = await _draft(update, context)
    if button_of(context).kind == "dh:go":
        if draft is None or not draft.step:
            return await NOMINATE.lost(update, context)
        if draft.step in (Step.REPLACE, Step.RESUME):  # the quota may have changed since
            return await _check_quota(update, context, draft)
        return await _go(update, context, draft, Step(draft.step))
    await NOMINATE.drop(update, context)
    return await _begin(update, context)


async def _begin(update: Update, context: BotContext) -> Step | int:
    actor = await current_actor(update, context)
    if actor is None or actor.role not in ("principal", "office"):
        await say(update, "report_not_yours")
        return ConversationHandler.END
    draft = NominationDraft(office=actor.role == "office")
    if draft.office:
        if not (await units_for(context, actor)).scoped:
            await say(update, "nomination_no_units")
            return ConversationHandler.END
        return await _go(update, context, draft, Step.UNIT)
    assert actor.person is not None
    draft.unit_id = actor.person.unit_id
    return await _after_unit(update, context, draft)


async def _after_unit(update: Update, context: BotContext, draft: NominationDraft) -> Step | int:
    tz = context.config.timezone
    quarters = filing_quarters(context.clock.now(), tz, office=draft.office)
    draft.quarters = [q.key for q in quarters]
    draft.campaigns = bool(await _campaigns(context, draft.unit_id))
    draft.page, draft.query = 0, ""
    if len(quarters) > 1:
        return await _go(update, context, draft, Step.QUARTER)
    draft.quarter = quarters[0].key
    return await _check_quota(update, context, draft)


async def _check_quota(update: Update, context: BotContext, draft: NominationDraft) -> Step | int:
    """Before the questions (and again at «Gửi»): the quota of the unit's quarter. Full, the
    nominator sees who sent what and may replace one still pending."""
    status = await _quota(context, draft)
    if not status.full or draft.replaces in {n.id for n in status.replaceable}:
        return await _go(update, context, draft, Step.REVIEW if draft.complete else Step.KIND)
    return await _quota_full(update, context, draft, status)


async def _quota(context: BotContext, draft: NominationDraft) -> QuotaStatus:
    campaign = draft.campaign_id if draft.campaign_done else None
    return await quota_status(context.db, draft.unit_id, Quarter.from_key(draft.quarter),
                              campaign, context.config.nomination_quota)  # fmt: skip


async def _quota_full(
    update: Update, context: BotContext, draft: NominationDraft, status: QuotaStatus
) -> Step | int:
    rows = [[(label("nomination_replace", name=n.nominee_name), f"dh:r:{n.id}")]
            for n in status.replaceable]  # fmt: skip
    own = []
    if not draft.campaign_done:  # campaigns with a quota of their own may still have room
        for campaign_id, title in await _campaigns(context, draft.unit_id):
            settings = await campaign_settings(context.db, campaign_id)
            if settings.quota is None:
                continue
            theirs = await quota_status(context.db, draft.unit_id,
                                        Quarter.from_key(draft.quarter), campaign_id,
                                        context.config.nomination_quota)  # fmt: skip
            if not theirs.full:
                own.append(title)
                rows.append([(label("nomination_own_quota", title=title), f"dh:c:{campaign_id}")])
    await say(update, "nomination_quota_full", keyboard(*rows), status=status,
              quarter=Quarter.from_key(draft.quarter),
              unit_name=await _unit_name(context, draft.unit_id),
              campaign=await _campaign_title(context, status.campaign_id), own=own)  # fmt: skip
    if not rows:  # nothing to replace: a finished draft is kept for when a place frees up
        if draft.complete:
            await _save(update, context, replace(draft, step=Step.REVIEW, replaces=None))
            await say(update, "nomination_draft_kept")
        else:
            await NOMINATE.drop(update, context)
        return ConversationHandler.END
    draft.step = Step.REPLACE
    await _save(update, context, draft)
    return Step.REPLACE


async def fix_returned(update: Update, context: BotContext) -> Step | int:
    """«Bổ sung đề nghị» under the office's send-back: the nomination in the summary, with
    every answer filled in, to correct and send again."""
    query = update.callback_query
    nomination_id = button_of(context).id
    actor = await current_actor(update, context)
    if not await may_see(context, actor, nomination_id):
        if query is not None:
            await query.answer(render_text("not_allowed_short"), show_alert=True)
        return ConversationHandler.END
    nomination = await get_nomination(context.db, nomination_id)
    assert actor is not None
    if nomination is None or not is_nominator(actor, nomination):
        if query is not None:
            await query.answer(render_text("not_allowed_short"), show_alert=True)
        return ConversationHandler.END
    if nomination.status != "returned":
        await say(update, "nomination_not_open", nomination=nomination)
        return ConversationHandler.END
    draft = NominationDraft(
        office=actor.role == "office", unit_id=nomination.unit_id,
        quarter=nomination.quarter.key, quarters=[nomination.quarter.key],
        kind=nomination.kind, person_id=nomination.person_id, name=nomination.nominee_name,
        position=nomination.position, area=nomination.field, summary=nomination.summary,
        evidence=list(nomination.evidence), campaign_id=nomination.campaign_id,
        campaign_done=True, campaigns=bool(await _campaigns(context, nomination.unit_id)),
        editing_id=nomination.id,
    )  # fmt: skip
    return await _go(update, context, draft, Step.REVIEW)


# ---- answers ------------------------------------------------------------------------------------


async def _current(update: Update, context: BotContext) -> tuple[NominationDraft, Actor] | None:
    """The draft this chat is on and who is filing; None, with the reason told, when the draft
    is lost or the person may no longer file for its unit."""
    draft = await _draft(update, context)
    actor = await current_actor(update, context)
    if draft is None or not draft.step or actor is None:
        await NOMINATE.lost(update, context)
        return None
    if draft.unit_id and not await _may_file_for(context, actor, draft.unit_id):
        await NOMINATE.drop(update, context)
        await say(update, "report_not_yours")
        return None
    return draft, actor


async def on_text(update: Update, context: BotContext) -> Step | int:
    state = await _current(update, context)
    if state is None:
        return ConversationHandler.END
    draft, actor = state
    step = Step(draft.step)
    text = incoming(update).text or ""
    try:
        if step is Step.UNIT:
            draft.query, draft.page = " ".join(text.split())[:60], 0
            return await _go(update, context, draft, step)
        if step is Step.PERSON:
            name = str(parse_answer(NAME_QUESTION, text))
            people = await _roster(context, draft, None)
            same = [p for p in people if fold(p.full_name) == fold(name)]
            draft.person_id = same[0].id if len(same) == 1 else None
            draft.name = same[0].full_name if len(same) == 1 else name
            draft.kind = "individual"
            if _is_self(actor, draft):
                raise InputError("nomination_self")
            draft.page = 0
            return await _next(update, context, draft)
        if step is Step.NAME:
            draft.name, draft.person_id = str(parse_answer(COLLECTIVE_QUESTION, text)), None
            return await _next(update, context, draft)
        if step is Step.POSITION:
            draft.position = str(parse_answer(POSITION_QUESTION, text))
            return await _next(update, context, draft)
        if step is Step.FIELD:
            prompt = label("question_name", key="linh_vuc")
            question = Question("linh_vuc", prompt, QuestionType.CHOICE, choices=field_names())
            draft.area = FIELDS[field_names().index(str(parse_answer(question, text)))]
            return await _next(update, context, draft)
        if step is Step.SUMMARY:
            draft.summary = str(parse_answer(SUMMARY_QUESTION, text))
            return await _next(update, context, draft)
        if step is Step.FILES:
            await say(update, "answer_expect_files")
            return step
    except InputError as error:
        return await refuse(update, context, error, step)
    await say(update, "launch_expect_button")
    return step


async def on_file(update: Update, context: BotContext) -> Step | int:
    state = await _current(update, context)
    if state is None:
        return ConversationHandler.END
    draft, _ = state
    step = Step(draft.step)
    file = incoming_file(incoming(update))
    if step is not Step.FILES or file is None:
        await say(update, "answer_not_a_file_question")
        return step
    try:
        check_file(FILES_QUESTION, file.size, file.mime_type, count=len(draft.evidence))
    except InputError as error:
        return await refuse(update, context, error, step)
    evidence_id = await keep_file(context, file)
    if evidence_id not in draft.evidence:
        draft.evidence.append(evidence_id)
    await _save(update, context, draft)
    rows = keyboard([(label("files_done"), "dh:done")], [(label("files_remove"), "dh:rm")])
    await say(update, "answer_file_received", rows, name=file.name, count=len(draft.evidence))
    return step


async def wrong_kind(update: Update, context: BotContext) -> Step | int:
    draft = await _draft(update, context)
    if draft is None or not draft.step:
        return await NOMINATE.lost(update, context)
    step = Step(draft.step)
    kind = {Step.FILES: "files", Step.UNIT: "button"}.get(step, "text")
    if step in (Step.KIND, Step.QUARTER, Step.REPLACE, Step.CAMPAIGN, Step.REVIEW, Step.PICK,
                Step.RESUME):  # fmt: skip
        kind = "button"
    await say(update, "answer_expect", kind=kind)
    return step


async def on_button(update: Update, context: BotContext) -> Step | int:
    if button_of(context).kind == SEND:
        return await _send_pressed(update, context, inside=True)
    state = await _current(update, context)
    if state is None:
        return ConversationHandler.END
    draft, actor = state
    step = Step(draft.step)
    press = button_of(context)  # parsed and bounded by the gate (handlers/permissions.py)
    action = press.kind.removeprefix("dh:")
    number = str(press.values[0]) if press.values else ""
    value = press.values[0] if press.values and isinstance(press.values[0], int) else 0
    if action == "back":
        return await _back(update, context, draft)
    if action == "keep" and (draft.from_review or step is Step.PICK) and draft.complete:
        draft.from_review = False
        return await _go(update, context, draft, Step.REVIEW)
    if step is Step.UNIT and action == "up":
        draft.page = value
        return await _go(update, context, draft, step)
    if step is Step.UNIT and action == "u":
        if not await _may_file_for(context, actor, value):  # a forged or stale button
            query = update.callback_query
            if query is not None:
                await query.answer(render_text("not_allowed_short"), show_alert=True)
            return step
        draft.unit_id = value
        return await _after_unit(update, context, draft)
    if step is Step.QUARTER and action == "q" and value in draft.quarters:
        draft.quarter = value
        return await _check_quota(update, context, draft)
    if step is Step.REPLACE and action == "r":
        draft.replaces = value
        return await _check_quota(update, context, draft)
    if step is Step.REPLACE and action == "c":
        draft.campaign_id, draft.campaign_done = value or None, True
        return await _check_quota(update, context, draft)
    if step is Step.KIND and action == "k":
        kind = "individual" if number == "i" else "collective"
        if kind != draft.kind:  # a new kind needs a new name (then back to the summary)
            draft.kind, draft.person_id, draft.name = kind, None, ""
        return await _next(update, context, draft)
    if step is Step.PERSON and action == "pp":
        draft.page = value
        return await _go(update, context, draft, step)
    if step is Step.PERSON and action == "p":
        return await _pick_person(update, context, draft, actor, value)
    if step is Step.FIELD and action == "f" and 0 <= value < len(FIELDS):
        draft.area = FIELDS[value]
        return await _next(update, context, draft)
    if step is Step.FILES and action == "done":
        return await _next(update, context, draft)
    if step is Step.FILES and action == "rm":
        if draft.evidence:
            await say(update, "answer_files_removed", count=len(draft.evidence))
        draft.evidence = []
        return await _go(update, context, draft, step)
    if step is Step.CAMPAIGN and action == "c":
        campaigns = {cid for cid, _ in await _campaigns(context, draft.unit_id)}
        if value and value not in campaigns:
            await say(update, "not_allowed_short")
            return step
        draft.campaign_id, draft.campaign_done = value or None, True
        return await _next(update, context, draft)
    if step is Step.REVIEW and action == "edit":
        return await _go(update, context, draft, Step.PICK)
    if step is Step.PICK and action == "ed" and 0 <= value < len(EDITABLE):
        target = EDITABLE[value]
        if target is Step.PERSON and draft.kind == "collective":
            target = Step.NAME
        draft.from_review, draft.page = True, 0
        return await _go(update, context, draft, target)
    await say(update, "launch_expect_button")
    return step


async def _pick_person(
    update: Update, context: BotContext, draft: NominationDraft, actor: Actor, person_id: int
) -> Step | int:
    if actor.person is not None and person_id == actor.person.id:
        return await refuse(update, context, InputError("nomination_self"), Step.PERSON)
    people = await people_in_units(context.db, [draft.unit_id])
    person = next((p for p in people if p.id == person_id), None)
    if person is None:  # not (any more) on the unit's roster: a stale or forged button
        return await refuse(update, context, InputError("nomination_person_gone"), Step.PERSON)
    draft.kind, draft.person_id, draft.name, draft.page = (
        "individual",
        person.id,
        person.full_name,
        0,
    )
    return await _next(update, context, draft)


# ---- sending ------------------------------------------------------------------------------------


async def on_send(update: Update, context: BotContext) -> Step | int:
    """«📨 Gửi» under a summary outside the conversation: a draft kept by /huy, or an old
    summary after the nomination was sent (even after a restart right after the commit)."""
    return await _send_pressed(update, context, inside=False)


async def _send_pressed(update: Update, context: BotContext, *, inside: bool) -> Step | int:
    """Only the latest summary of the draft still there sends; any other «Gửi» says the
    nomination is already sent and leaves the conversation where it was."""
    draft = await _draft(update, context)
    if draft is None or draft.token != button_of(context).word(0) or draft.step != Step.REVIEW:
        await alert(update, "nomination_gone")
        return Step(draft.step) if inside and draft is not None else END
    state = await _current(update, context)
    if state is None:
        return END
    draft, actor = state
    return await _send(update, context, draft, actor)


async def _send(
    update: Update, context: BotContext, draft: NominationDraft, actor: Actor
) -> Step | int:
    if not draft.complete:
        await say(update, "nomination_incomplete")
        return await _go(update, context, draft, Step(draft.order()[0]))
    if _is_self(actor, draft):
        return await refuse(update, context, InputError("nomination_self"), Step.REVIEW)
    now = context.clock.now()
    allowed = filing_quarters(now, context.config.timezone, office=draft.office)
    if draft.editing_id is None and draft.quarter not in {q.key for q in allowed}:
        draft.quarter = allowed[0].key  # begun before the quarter ended: filed when sent
    spec = NominationSpec(
        unit_id=draft.unit_id, quarter=Quarter.from_key(draft.quarter), kind=draft.kind,
        person_id=draft.person_id, nominee_name=draft.name, position=draft.position,
        field=draft.area, summary=draft.summary, evidence=tuple(draft.evidence),
        campaign_id=draft.campaign_id,
    )  # fmt: skip
    if draft.editing_id is not None:
        return await _resend(update, context, draft, actor, spec)
    person_id = actor.person.id if actor.person is not None else None
    try:
        filed = await file_nomination(
            context.db, spec, nominated_by=person_id, telegram_id=actor.telegram_id,
            default_quota=context.config.nomination_quota, now=now, replaces=draft.replaces,
            flow_end=NOMINATE.end(update, draft.token),
        )  # fmt: skip
    except DraftGone:  # pressed twice at once: the other press sent it
        await alert(update, "nomination_gone")
        return END
    if filed.nomination_id is None:  # over the quota: nothing filed, the draft stays
        if filed.outcome == "replace_gone":
            await say(update, "nomination_replace_gone")
            draft.replaces = None
        return await _quota_full(update, context, draft, filed.quota)
    # Committed with the end of the draft and of the conversation.
    state = NOMINATE.ended(update, context)
    replaced = next((n for n in filed.quota.used if n.id == draft.replaces), None)
    rows = keyboard([(label("nomination_withdraw", name=spec.nominee_name),
                      f"dh:w:{filed.nomination_id}")])  # fmt: skip
    await say(update, "nomination_sent", rows, spec=spec, replaced=replaced,
              used=len(filed.quota.used) + (0 if replaced else 1), quota=filed.quota.quota,
              unit_name=await _unit_name(context, spec.unit_id))  # fmt: skip
    return state


async def _resend(
    update: Update, context: BotContext, draft: NominationDraft, actor: Actor,
    spec: NominationSpec,
) -> Step | int:  # fmt: skip
    """A nomination sent back, completed: sent again with the notice to the office person
    who sent it back, in the transaction that ends the draft."""
    editing_id = draft.editing_id or 0
    before = await get_nomination(context.db, editing_id)
    notice = None
    if before is not None:
        text = render("nomination_resent_notice", nomination=before, spec=spec,
                      person=actor.person, field_name=_field_name(spec.field))  # fmt: skip
        button = Button(label("nomination_open"), callback_data=f"dy:o:{before.id}")
        title = label("nomination_title", quarter=spec.quarter)
        notice = OutgoingMessage(text, ((button,),), title=title)
    try:
        done = await resend_nomination(
            context.db, editing_id, spec,
            person_id=actor.person.id if actor.person is not None else None,
            telegram_id=actor.telegram_id, now=context.clock.now(), notice=notice,
            flow_end=NOMINATE.end(update, draft.token),
        )  # fmt: skip
    except DraftGone:
        await alert(update, "nomination_gone")
        return END
    state = NOMINATE.ended(update, context)  # the draft ended with it, resent or not
    if not done:
        await say(update, "nomination_not_open", nomination=before)
        return state
    wake_sender(context)
    await say(update, "nomination_resent", spec=spec)
    return state


async def cancel(update: Update, context: BotContext) -> int:
    draft = await _draft(update, context)
    if draft is None or draft.step in (Step.RESUME, ""):
        await NOMINATE.drop(update, context)
        await say(update, "nomination_cancelled")
    else:
        await say(update, "nomination_draft_kept")
    return ConversationHandler.END


# ---- withdrawing (outside the conversation) -----------------------------------------------------


async def ask_withdraw(update: Update, context: BotContext) -> None:
    nomination = await _own_open(update, context, button_of(context).id)
    if nomination is None:
        return
    rows = keyboard([(label("nomination_withdraw_yes"), f"dh:wy:{nomination.id}")])
    await say(update, "nomination_withdraw_confirm", rows, nomination=nomination)


async def do_withdraw(update: Update, context: BotContext) -> None:
    nomination = await _own_open(update, context, button_of(context).id)
    actor = await current_actor(update, context)
    if nomination is None or actor is None:
        return
    person_id = actor.person.id if actor.person is not None else None
    done = await withdraw_nomination(
        context.db, nomination.id, person_id=person_id, telegram_id=actor.telegram_id,
        now=context.clock.now(),
    )  # fmt: skip
    if done is None:
        await say(update, "nomination_not_open", nomination=nomination)
        return
    await say(update, "nomination_withdrawn", nomination=done)


async def _own_open(update: Update, context: BotContext, nomination_id: int) -> Nomination | None:
    """The presser's own nomination, still open; otherwise an alert (not theirs) or a message
    (already decided), and None."""
    query = update.callback_query
    actor = await current_actor(update, context)
    nomination = None
    if await may_see(context, actor, nomination_id):
        nomination = await get_nomination(context.db, nomination_id)
    if actor is None or nomination is None or not is_nominator(actor, nomination):
        if query is not None:
            await query.answer(render_text("not_allowed_short"), show_alert=True)
        return None
    if not nomination.open:
        await say(update, "nomination_not_open", nomination=nomination)
        return None
    return nomination


def conversation() -> ConversationHandler[BotContext]:
    not_command = ~filters.COMMAND

    def state_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
        return [
            CallbackQueryHandler(on_button, pattern=INSIDE),
            MessageHandler(filters.TEXT & not_command, on_text),
            MessageHandler(filters.Document.ALL | filters.PHOTO, on_file),
            MessageHandler(not_command, wrong_kind),
        ]

    states: dict[object, list[BaseHandler[Update, BotContext, Any]]] = {
        step: state_handlers() for step in Step if step is not Step.RESUME
    }
    states[Step.RESUME] = [
        CallbackQueryHandler(on_resume, pattern=r"^dh:(go|new)$"),
        MessageHandler(not_command, wrong_kind),
    ]
    return flow_conversation(
        FLOW,
        [
            CommandHandler("dienhinh", start, filters=filters.ChatType.PRIVATE),
            CallbackQueryHandler(from_prompt, pattern=r"^dh:open:"),
            CallbackQueryHandler(fix_returned, pattern=r"^dh:fix:"),
            CallbackQueryHandler(on_send, pattern=rf"^{SEND}:"),
        ],
        states,
        cancel,
    )


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        conversation(),
        CallbackQueryHandler(ask_withdraw, pattern=r"^dh:w:"),
        CallbackQueryHandler(do_withdraw, pattern=r"^dh:wy:"),
    ]
