"""Who a campaign is for, seen from one person, inside a transaction: whether they have a
round to answer, and the campaigns someone who registers after the launch missed.

Kept apart from storage/campaigns.py (the whole-audience side) so that registration
(storage/people.py) can queue the missed campaigns in its own transaction without an import
cycle.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from storage.models import Person
from storage.outbox import enqueue_broadcast
from storage.outgoing import OutgoingMessage, UndecodableMessage, legacy_keyboards
from storage.unit_tree import read_path_up


def answers_rounds(role: str, kinds: Iterable[str]) -> bool:
    """Does someone of this role have something to answer among rounds of these kinds? A
    per-unit round is the principal's; a per-person round is everyone's."""
    return any(kind != "unit" or role == "principal" for kind in kinds)


def queue_missed_campaigns(conn: sqlite3.Connection, person: Person, now: datetime) -> int:
    """Someone who registers after a launch still gets the plans meant for them: one small
    broadcast (no progress message) per launched campaign whose audience includes them today
    and that they have not received, with the version for their role. Inside the caller's
    transaction; returns how many were queued."""
    if person.telegram_id is None or not person.active:
        return 0
    path = read_path_up(conn, person.unit_id)
    unit_active = conn.execute(
        "SELECT active FROM units WHERE id = ?", (person.unit_id,)
    ).fetchone()
    campaigns = conn.execute(
        "SELECT c.id, c.issuer_unit_id, c.audience_all, c.audience_roles FROM campaigns c"
        " WHERE c.status = 'launched'"
        " AND EXISTS (SELECT 1 FROM broadcasts b WHERE b.campaign_id = c.id"
        "  AND b.kind = 'campaign')"
        " AND NOT EXISTS (SELECT 1 FROM broadcasts b JOIN outbox o ON o.broadcast_id = b.id"
        "  WHERE b.campaign_id = c.id AND o.person_id = ?)"
        " ORDER BY c.id",
        (person.id,),
    ).fetchall()
    queued = 0
    for campaign_id, issuer, audience_all, roles in campaigns:
        if person.role not in roles.split(","):
            continue
        # Within the issuer's subtree (every active unit for a campaign without an issuer)…
        if issuer is not None and issuer not in path:
            continue
        if issuer is None and not (unit_active and unit_active[0]):
            continue
        # …and every unit of it, or a chosen unit (with its sub-units when asked).
        if not audience_all:
            chosen = conn.execute(
                "SELECT unit_id, include_children FROM campaign_units WHERE campaign_id = ?",
                (campaign_id,),
            ).fetchall()
            if not any(
                unit == person.unit_id or (children and unit in path) for unit, children in chosen
            ):
                continue
        kinds = [row[0] for row in conn.execute(
            "SELECT kind FROM rounds WHERE campaign_id = ?", (campaign_id,))]  # fmt: skip
        message = _message_for(conn, campaign_id, answers_rounds(person.role, kinds))
        if message is None:
            continue
        enqueue_broadcast(
            conn, kind="campaign", campaign_id=campaign_id, message=message, created_by=None,
            progress_chat_id=None, progress_message_id=None,
            recipients=[(person.id, person.telegram_id)], now=now,
        )  # fmt: skip
        queued += 1
    return queued


def _message_for(
    conn: sqlite3.Connection, campaign_id: int, answers: bool
) -> OutgoingMessage | None:
    """The campaign's message in the version for this recipient: as kept at the launch, or
    for a campaign launched before versions were kept, its launch broadcast's payload (whose
    `keyboards` held the versions' buttons)."""
    audience = "answer" if answers else "read"
    row = conn.execute(
        "SELECT payload FROM campaign_messages WHERE campaign_id = ? AND audience = ?",
        (campaign_id, audience),
    ).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT payload FROM broadcasts WHERE campaign_id = ? AND kind = 'campaign'"
            " ORDER BY id LIMIT 1",
            (campaign_id,),
        ).fetchone()
    if row is None:
        return None
    try:
        message = OutgoingMessage.decode(row[0])
    except UndecodableMessage:
        return None
    buttons = legacy_keyboards(row[0]).get(audience)
    return message if buttons is None else message.with_buttons(buttons)
