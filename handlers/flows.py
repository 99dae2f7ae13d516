"""What every multi-step flow shares: its draft, its questions, and refusing an answer.

A flow keeps one draft per person (storage/drafts.py), a dataclass of its own:

- `Flow.load` reads it back strictly: a draft that is missing, or was written by another
  version of the flow (other fields), is None — lost — and is never filled with defaults
  and acted on; `Flow.lost` tells the person so and how to start again.
- `Flow.save`, `Flow.drop`, `Flow.cancel`.
- `Flow.end(update, token)` names the draft (and the conversation row) for the storage call
  that ends the flow in its own transaction — a launch, an announcement, a send-back, a
  submitted report — and `Flow.ended` keeps bot/persistence.py's record of that row right.
- `refuse`: bad input — say what is wrong and stay on the same step.

A flow whose draft carries `step` and `token` (`StepFlow`: /phatdong, /thongbao) also keeps
its questions, one per step, and saves the step with the draft before its question is sent
(`advance`). So the draft always says which question the person was last asked:

- the flow's own command asks it again (`begin`);
- an update that reaches a state other than the draft's step (the bot stopped between the
  draft's commit and the conversation state's) asks the draft's question again rather than
  taking the answer for another question;
- a step that fails after saving the next step (its question could not be sent, although
  Telegram may have delivered it) still moves the conversation to that step; the error is
  reported as usual and the question asked again after the apology (`StepFlow.on`): the flow
  is never one step behind what it asked, nor ahead of what the person saw last.

Its preview's buttons carry the draft's token (`token_pattern`): `StepFlow.pressed_draft`
finds the draft a button was pressed under, or says the preview is gone, and
`StepFlow.cancel_button` is the preview's «✖️ Hủy». `StepFlow.expect` is a state's catch-all.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, fields
from typing import Any, Generic, Protocol, TypeVar

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ConversationHandler

from bot.persistence import conversation_ended, encode_key
from handlers.common import BotContext, Callback, alert, pressed, say
from handlers.inputs import InputError
from storage.drafts import FlowEnd, delete_draft, load_draft, save_draft

log = logging.getLogger(__name__)
END = ConversationHandler.END
S = TypeVar("S")
D = TypeVar("D")


def new_token() -> str:
    """A draft's name in the buttons that end it (`pd:launch:<token>`): short, unguessable
    enough that an old preview's button never matches a newer draft."""
    return secrets.token_urlsafe(6)


def token_pattern(prefix: str) -> str:
    """The data of a preview's button that names its draft, `<prefix>:<token>`. Without a
    token (a preview from before tokens) it is matched too, and gone all the same."""
    return rf"^{prefix}(:[\w-]{{1,32}})?$"


async def refuse(
    update: Update, context: BotContext, error: InputError, step: S,
    keyboard: InlineKeyboardMarkup | None = None,
) -> S:  # fmt: skip
    """Bad input: say what was wrong (examples in the text come from today's school year) and
    stay on `step`; nothing already entered is lost."""
    await say(update, error.template, keyboard, **{"now": context.clock.now(), **error.values})
    return step


class Flow(Generic[D]):
    """A flow's draft: `name` is both the drafts row's flow and the ConversationHandler's
    name; `command` is how to start it again, named when a draft is lost."""

    def __init__(
        self, name: str, draft_type: type[D], *, command: str | None = None,
        lost: str = "flow_lost",
    ) -> None:  # fmt: skip
        self.name = name
        self.draft_type = draft_type
        self.command = command
        self.lost_template = lost

    def decode(self, data: Mapping[str, Any] | None) -> D | None:
        """The draft as this version of the flow writes it, or None (missing, or written by
        another version: other fields, or values that do not fit)."""
        if not isinstance(data, Mapping):
            return None
        if set(data) != {f.name for f in fields(self.draft_type)}:  # type: ignore[arg-type]
            return None
        try:
            return self.draft_type(**data)
        except (TypeError, ValueError):
            return None

    async def load(self, update: Update, context: BotContext) -> D | None:
        user = update.effective_user
        if user is None:
            return None
        return self.decode(await load_draft(context.db, user.id, self.name))

    async def save(self, update: Update, context: BotContext, draft: D) -> None:
        user = update.effective_user
        if user is not None:
            data = asdict(draft)  # type: ignore[call-overload]
            await save_draft(context.db, user.id, self.name, data, context.clock.now())

    async def drop(self, update: Update, context: BotContext) -> None:
        user = update.effective_user
        if user is not None:
            await delete_draft(context.db, user.id, self.name)

    def end(self, update: Update, token: str | None = None) -> FlowEnd:
        """The draft and conversation row that the business action ending the flow removes in
        its own transaction (only if the draft still carries `token`, when given)."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            raise ValueError(f"update {update.update_id} has no sender")
        return FlowEnd(user.id, self.name, token, (self.name, encode_key((chat.id, user.id))))

    def ended(self, update: Update, context: BotContext) -> int:
        """After that transaction: persistence knows the row is gone; the conversation ends."""
        conversation = self.end(update).conversation
        if conversation is not None:
            conversation_ended(context.application, *conversation)
        return END

    async def cancel(self, update: Update, context: BotContext, template: str) -> int:
        await self.drop(update, context)
        await say(update, template)
        return END

    async def lost(self, update: Update, context: BotContext) -> int:
        """The draft is missing or unreadable: say so (and how to start again), drop what is
        left of it, end the conversation."""
        await self.drop(update, context)
        await say(update, self.lost_template, command=self.command)
        return END


class StepDraft(Protocol):
    step: str
    token: str


SD = TypeVar("SD", bound=StepDraft)
Ask = Callable[[Update, BotContext, SD], Awaitable[None]]
StepHandler = Callable[[Update, BotContext, SD], Awaitable[object]]


class StepFlow(Flow[SD]):
    """A flow of questions, one per step, whose draft carries its `step` (see the module
    docstring). `refusal_keyboard(step)`: the buttons shown again under a refusal (a skip
    button on a skippable question)."""

    def __init__(
        self, name: str, draft_type: type[SD], *, command: str,
        refusal_keyboard: Callable[[str], InlineKeyboardMarkup | None] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(name, draft_type, command=command)
        self._questions: dict[str, Ask[SD]] = {}
        self._refusal_keyboard = refusal_keyboard or (lambda step: None)

    def question(self, step: str) -> Callable[[Ask[SD]], Ask[SD]]:
        """Register the function that asks `step`'s question (with its buttons)."""

        def register(ask: Ask[SD]) -> Ask[SD]:
            self._questions[step] = ask
            return ask

        return register

    async def ask(self, update: Update, context: BotContext, draft: SD) -> str:
        """The draft's current question (again); returns its step, the conversation's state."""
        await self._questions[draft.step](update, context, draft)
        return draft.step

    async def advance(self, update: Update, context: BotContext, draft: SD, step: str) -> str:
        """Move to `step`: saved with the draft first, then its question asked."""
        draft.step = step
        await self.save(update, context, draft)
        return await self.ask(update, context, draft)

    async def begin(self, update: Update, context: BotContext, fresh: SD, first: str) -> str:
        """The flow's own command: inside the flow, its current question again; otherwise a
        new draft at its first question."""
        draft = await self.load(update, context)
        if draft is not None and draft.step in self._questions:
            await say(update, "flow_resume", command=self.command)
            return await self.ask(update, context, draft)
        return await self.advance(update, context, fresh, first)

    async def pressed_draft(
        self, update: Update, context: BotContext, prefix: str, gone: str,
        step: str | None = None,
    ) -> tuple[SD | None, object]:  # fmt: skip
        """The draft a preview's button (`<prefix>:<token>`) was pressed under, while it still
        carries that token (and stands at `step`, when given). Otherwise (None, the state to
        stay in: the draft's step, or the end), after the alert `gone`: that preview was
        already acted on or cancelled."""
        if update.callback_query is None:
            return None, None
        token = pressed(update).removeprefix(prefix).removeprefix(":")
        draft = await self.load(update, context)
        if draft is not None and draft.token == token and (step is None or draft.step == step):
            return draft, draft.step
        await alert(update, gone)
        return None, draft.step if draft is not None else END

    def cancel_button(self, prefix: str, gone: str, cancelled: str) -> Callback:
        """«✖️ Hủy» under a preview (`<prefix>:<token>`): cancels that draft, and only that
        one, saying `cancelled`; under a preview already acted on or cancelled, the alert
        `gone` and nothing else."""

        async def on_cancel_button(update: Update, context: BotContext) -> object:
            draft, state = await self.pressed_draft(update, context, prefix, gone)
            if draft is None:
                return state
            return await self.cancel(update, context, cancelled)

        return on_cancel_button

    def expect(self, step: str, template: str) -> Callback:
        """The catch-all of `step`'s state: say what kind of answer it expects (with example
        dates from today's school year) and stay; the draft is checked as for an answer."""

        async def expect(update: Update, context: BotContext, draft: SD) -> str:
            await say(update, template, now=context.clock.now())
            return step

        return self.on(step, expect)

    def on(self, step: str, handler: StepHandler[SD]) -> Callback:
        """`handler` as the callback of a state: it gets the draft, read strictly and checked
        to be at `step`; an InputError it raises is refused with `step` kept."""

        async def run(update: Update, context: BotContext) -> object:
            draft = await self.load(update, context)
            if draft is None or draft.step not in self._questions:
                return await self.lost(update, context)
            if draft.step != step:  # the state lags behind the draft: ask what the draft says
                return await self.ask(update, context, draft)
            try:
                return await handler(update, context, draft)
            except InputError as error:
                return await refuse(update, context, error, step, self._refusal_keyboard(step))
            except Exception as exc:
                return await self._recover(update, context, step, exc)

        run.__name__ = run.__qualname__ = getattr(handler, "__name__", "step")
        return run

    async def _recover(
        self, update: Update, context: BotContext, step: str, error: Exception
    ) -> object:
        """A step failed. If it had already saved another step (or ended the flow: a business
        action that ends it calls `ended` right after its commit), the conversation follows
        the draft: the error is reported as any other (the apology) and the draft's question
        asked again, since the person may or may not have seen it. If it had not, the error is
        raised as it is (the state stays, and so does the question the person saw)."""
        saved = await self.load(update, context)
        if saved is not None and saved.step == step:
            raise error
        await context.application.process_error(update, error)
        if saved is None:
            return END
        try:  # after the apology, the question the flow is now at, so the two agree
            await self.ask(update, context, saved)
        except Exception as exc:  # still failing: the flow's own command asks it again
            log.warning("could not ask %s's question again: %s", self.name, exc)
        return saved.step
