"""May this person see THIS campaign, round, report, evidence file or roster upload? One
question per kind of object, asked by every handler of a button that names one, before
anything about the object is read or shown. The roles a button is for are the gate's
(handlers/permissions.py); these look at the object itself."""

from __future__ import annotations

import json

from storage.access import may_access, scope_unit_ids
from storage.campaigns import campaign_visible, was_recipient
from storage.db import Database
from storage.models import Actor


async def may_see_campaign(db: Database, actor: Actor, campaign_id: int) -> bool:
    """Someone who received it, or whose scope it was issued in, reached or meant for (an
    office for its units, a principal for their school, an admin for all)."""
    if actor.role is None:
        return False
    person = actor.person
    if person is not None and await was_recipient(db, campaign_id, person.id):
        return True
    scope = await scope_unit_ids(db, actor)
    if scope is not None and not scope:
        return False
    return await campaign_visible(db, campaign_id, scope)


async def may_see_round(db: Database, actor: Actor, round_id: int) -> bool:
    """A round is seen by whoever may see its campaign."""
    campaign_id = await db.fetchval("SELECT campaign_id FROM rounds WHERE id = ?", (round_id,))
    return campaign_id is not None and await may_see_campaign(db, actor, int(campaign_id))


async def may_see_submission(db: Database, actor: Actor, submission_id: int) -> bool:
    """Its author; and, once it has been sent, the office or principal whose scope holds
    its unit (a draft is its author's alone)."""
    row = await db.fetchone(
        "SELECT unit_id, status, author_id FROM submissions WHERE id = ?", (submission_id,)
    )
    if row is None or actor.role is None:
        return False
    unit_id, status, author_id = row
    if actor.person is not None and actor.person.id == author_id:
        return True
    if status == "draft":
        return False
    return await may_access(db, actor, unit_id)


async def may_see_evidence(
    db: Database, actor: Actor, submission_id: int, evidence_id: int
) -> bool:
    """A file is seen with the sent report it belongs to, and only with that one."""
    if not await may_see_submission(db, actor, submission_id):
        return False
    answers = await db.fetchval("SELECT answers FROM submissions WHERE id = ?", (submission_id,))
    sent = json.loads(answers) if answers else {}
    return any(isinstance(value, list) and evidence_id in value for value in sent.values())


async def may_see_upload(db: Database, actor: Actor, upload_id: int) -> bool:
    """A roster file waiting for confirmation is its sender's alone."""
    owner = await db.fetchval("SELECT telegram_id FROM roster_uploads WHERE id = ?", (upload_id,))
    return owner is not None and owner == actor.telegram_id and actor.role == "office"


async def may_see_nomination(db: Database, actor: Actor, nomination_id: int) -> bool:
    """A nomination is seen by the office or principal whose scope holds its unit (an admin:
    all); only its unit is read before the answer."""
    unit_id = await db.fetchval("SELECT unit_id FROM nominations WHERE id = ?", (nomination_id,))
    if unit_id is None or actor.role not in ("office", "principal"):
        return False
    return await may_access(db, actor, unit_id)
