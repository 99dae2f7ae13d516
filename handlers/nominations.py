"""What /dienhinh, /duyet, /hoso and /tiendo share about nominations: the fields, keyboards,
the quarter of now, who may see a nomination, the card an office reviews, and the
nominations section of /tiendo. What they send through the outbox is an OutgoingMessage
(storage/outgoing.py), built where it is sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from handlers.common import BotContext, inline_keyboard, reply
from messages import fits, label, most_that_fit, render
from storage.campaigns import audience_unit_ids, get_campaign
from storage.dossiers import dossier_rounds, dossiers_of
from storage.exports import ExportWords
from storage.models import Actor
from storage.nominations import (
    Card,
    Nomination,
    quarter_progress,
    unit_nominations,
)
from storage.quarters import Quarter, quarter_of
from storage.visibility import may_see_nomination

# The fields of achievement (lĩnh vực) a nomination names; stored by key, worded in labels.j2.
FIELDS = ("quan_ly", "giang_day", "hoc_tap", "nguoi_tot", "xa_hoi", "sang_kien", "khac")
SHOWN_HISTORY = 8
SHOWN_DOSSIER_CAMPAIGNS = 3
Rows = Sequence[Sequence[tuple[str, str]]]


def keyboard(*rows: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    """`inline_keyboard`, or None when there is no button at all (no keyboard is sent)."""
    markup = inline_keyboard(*rows)
    return markup if markup.inline_keyboard else None


def field_names() -> tuple[str, ...]:
    return tuple(label("nomination_field", key=key) for key in FIELDS)


def export_words() -> ExportWords:
    """The workbook's words for nomination fields and for a decision by an admin."""
    return ExportWords(dict(zip(FIELDS, field_names(), strict=True)), label("decided_by_admin"))


def current_quarter(context: BotContext) -> Quarter:
    return quarter_of(context.clock.now(), context.config.timezone)


async def may_see(context: BotContext, actor: Actor | None, nomination_id: int) -> bool:
    """Is the nomination's unit in the actor's scope? Asked before anything else about the
    nomination is read (an office: its units; a principal: their own unit)."""
    return actor is not None and await may_see_nomination(context.db, actor, nomination_id)


def is_nominator(actor: Actor, nomination: Nomination) -> bool:
    if actor.person is not None and nomination.nominated_by == actor.person.id:
        return True
    return nomination.nominated_by is None and nomination.nominated_by_telegram == (
        actor.telegram_id
    )


def card_values(card: Card, *, evidence_names: Sequence[str] = ()) -> dict[str, Any]:
    """What the card an office reviews shows (template nomination_card), its history cut
    (oldest entries first) to fit a message."""
    history = list(card.history)

    def values(shown: int) -> dict[str, Any]:
        return {"card": card, "n": card.nomination, "history": history[len(history) - shown :],
                "hidden": len(history) - shown, "files": evidence_names}  # fmt: skip

    start = min(len(history), SHOWN_HISTORY)
    shown = most_that_fit(start, lambda count: fits(render("nomination_card", **values(count))))
    return values(shown)


# ---- /tiendo ---------------------------------------------------------------------------------


async def show_nomination_progress(
    update: Update, context: BotContext, actor: Actor, scope: set[int] | None
) -> None:
    """The nominations section of /tiendo for the current quarter (a principal: their unit's
    nominations, with «Rút» for their own pending ones; an office: per unit none / pending /
    approved / rejected) and award dossiers per unit. Sent only when there is something:
    a nomination this quarter in the scope, or a campaign asking for dossiers."""
    quarter = current_quarter(context)
    dossiers = await _dossier_progress(context, scope)
    if actor.role == "principal" and actor.person is not None:
        mine = await unit_nominations(context.db, actor.person.unit_id, quarter)
        if not mine and not dossiers:
            return
        rows = [
            [(label("nomination_withdraw", name=n.nominee_name), f"dh:w:{n.id}")]
            for n in mine
            if n.open and is_nominator(actor, n)
        ]
        await reply(update, "nomination_progress_unit", quarter=quarter, nominations=mine,
                    dossiers=dossiers, reply_markup=keyboard(*rows))  # fmt: skip
        return
    if actor.role != "office":
        return
    units = await quarter_progress(context.db, scope, quarter)
    if all(u.none for u in units) and not dossiers:
        return

    def values(shown: int) -> dict[str, Any]:
        return {"quarter": quarter, "units": units, "shown": shown, "dossiers": dossiers}

    shown = most_that_fit(len(units), lambda n: fits(render("nomination_progress", **values(n))))
    await reply(update, "nomination_progress", **values(shown))


async def _dossier_progress(
    context: BotContext, scope: set[int] | None
) -> list[tuple[Any, list[Any]]]:
    """(final round, [(unit name, dossier)]) for each campaign that asks for award dossiers:
    the units of its audience in the scope that nominate (have a principal), in tree order."""
    found = []
    expected = await quarter_progress(context.db, scope, current_quarter(context))
    for info in await dossier_rounds(context.db):
        campaign = await get_campaign(context.db, info.campaign_id)
        if campaign is None:
            continue
        spec = campaign.spec
        meant = await audience_unit_ids(
            context.db, spec.issuer_unit_id, spec.audience_all, spec.units
        )
        units = [u for u in expected if u.unit_id in meant]
        if units:
            dossiers = await dossiers_of(context.db, info, [u.unit_id for u in units])
            found.append((info, [(u.unit_name, d) for u, d in zip(units, dossiers, strict=True)]))
    return found[:SHOWN_DOSSIER_CAMPAIGNS]
