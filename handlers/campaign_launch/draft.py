"""/phatdong's draft: what the office has chosen so far, the step it is at, and the flow
(handlers/flows.py) that loads, saves and ends it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from handlers import unit_picker
from handlers.common import BotContext, inline_keyboard
from handlers.flows import StepFlow, new_token
from messages import label
from storage.campaigns import CampaignSpec, Round, Target
from storage.models import ROLES, Actor, Role
from storage.roster import top_unit_ids

NAME = "phatdong"
# Who receives a plan unless the office ticks more: those who carry it out. Office staff
# would otherwise be counted as owing every per-person report.
DEFAULT_ROLES: tuple[Role, ...] = ("principal", "teacher")


class Step(StrEnum):
    TITLE = "title"
    PLAN_REVIEW = "plan_review"  # what the plan file said, to check and correct (plan.py)
    PLAN_EDIT = "plan_edit"  # one field of it being corrected
    PLAN_NUMBER = "plan_number"
    PERIOD = "period"
    SUMMARY = "summary"
    TARGETS = "targets"
    AUDIENCE = "audience"
    UNITS = "units"
    CHILDREN = "children"
    ROLES = "roles"
    DOCUMENT = "document"
    PLAN_ROUND = "plan_round"  # a round read from the plan that still needs a deadline
    ROUND_NAME = "round_name"
    ROUND_KIND = "round_kind"
    ROUND_DEADLINE = "round_deadline"
    ROUND_FORM = "round_form"
    ROUND_FORM_FILE = "round_form_file"
    ROUND_OFFSETS = "round_offsets"  # the reminders of the round just added (rounds.py)
    ROUND_MORE = "round_more"
    PREVIEW = "preview"


OFFSETS_DEFAULT = "pd:rem:default"  # keep the round's reminders as REMINDER_OFFSETS has them
SKIPPABLE = frozenset({Step.PLAN_NUMBER, Step.PERIOD, Step.SUMMARY, Step.TARGETS, Step.DOCUMENT})


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
    # Each round: name, kind, deadline (ISO), form, form_json, and offsets: its own reminder
    # offsets in seconds, None (or absent, in a draft saved before they were asked) for the
    # default REMINDER_OFFSETS.
    rounds: list[dict[str, Any]] = field(default_factory=list)
    round_name: str = ""
    round_kind: str = ""
    round_deadline: str = ""
    # What the plan file sent at the first step answered (handlers/campaign_launch/plan.py),
    # None on the manual path: the steps it answered, the rounds read from it, corrections.
    plan: dict[str, Any] | None = None
    step: str = Step.TITLE  # the question last asked (handlers/flows.py)
    token: str = field(default_factory=new_token)  # names this draft in «🚀 Phát động»

    @property
    def picker(self) -> unit_picker.Picker:
        return unit_picker.Picker(list(self.unit_ids), self.unit_query, self.unit_page)

    @picker.setter
    def picker(self, picker: unit_picker.Picker) -> None:
        self.unit_ids, self.unit_query, self.unit_page = picker.chosen, picker.query, picker.page

    def spec(self, issuer_unit_id: int | None) -> CampaignSpec:
        """The campaign as chosen; ValueError, KeyError or TypeError for a draft whose fields
        do not read (LAUNCH_FLOW.decode has already refused those of another version)."""
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
                    offsets=round_offsets(r),
                )
                for r in self.rounds
            ),
        )


def round_offsets(round_dict: dict[str, Any]) -> tuple[timedelta, ...] | None:
    """A draft round's own reminder offsets; None: the default."""
    seconds = round_dict.get("offsets")
    if seconds is None:
        return None
    return tuple(timedelta(seconds=int(s)) for s in seconds)


# The campaign's own questions in the order they are asked; a plan file answers some of them.
_FIELD_STEPS = (Step.TITLE, Step.PLAN_NUMBER, Step.PERIOD, Step.SUMMARY, Step.TARGETS)


def following(draft: CampaignDraft, step: Step) -> Step:
    """The question after `step`'s, passing over those the plan file answered (none on the
    manual path)."""
    answered = set(draft.plan["answered"]) if draft.plan else set()
    rest = _FIELD_STEPS[_FIELD_STEPS.index(step) + 1 :]
    return next((s for s in rest if s not in answered), Step.AUDIENCE)


def skip_row() -> list[tuple[str, str]]:
    return [(label("skip"), "pd:skip")]


def _refusal_keyboard(step: str) -> InlineKeyboardMarkup | None:
    """A refused answer to a skippable question shows «Bỏ qua» again; to the deadline of a
    round read from the plan, «Bỏ đợt này» (handlers/campaign_launch/plan.py); to a round's
    reminders, «Giữ mặc định» (rounds.py)."""
    if step == Step.PLAN_ROUND:
        return inline_keyboard([(label("plan_round_skip"), "pd:plan:drop")])
    if step == Step.ROUND_OFFSETS:
        return inline_keyboard([(label("offsets_default"), OFFSETS_DEFAULT)])
    return inline_keyboard(skip_row()) if step in SKIPPABLE else None


LAUNCH_FLOW: StepFlow[CampaignDraft] = StepFlow(
    NAME, CampaignDraft, command="phatdong", refusal_keyboard=_refusal_keyboard
)


async def issuer_unit(context: BotContext, actor: Actor) -> int | None:
    """The unit the campaign is issued by: the office's own unit; for an admin outside the
    roster, the single top unit if there is one."""
    if actor.person is not None:
        return actor.person.unit_id
    roots = await top_unit_ids(context.db)
    return roots[0] if len(roots) == 1 else None


def chat_of(update: Update) -> int:
    chat = update.effective_chat
    if chat is None:
        raise ValueError("no chat")
    return chat.id
