"""Who may see or act on which unit: the one answer every flow asks."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.models import Actor, Person
from storage.ordering import sort_people
from storage.people import person_by_telegram_id

_SUBTREE = """
    WITH RECURSIVE subtree(id) AS (
        SELECT id FROM units WHERE id = ?
        UNION
        SELECT u.id FROM units u JOIN subtree s ON u.parent_id = s.id
    )
    SELECT id FROM subtree
"""


async def actor_for(db: Database, telegram_id: int, admin_ids: frozenset[int]) -> Actor:
    return actor_of(telegram_id, await person_by_telegram_id(db, telegram_id), admin_ids)


def actor_of(telegram_id: int, person: Person | None, admin_ids: frozenset[int]) -> Actor:
    """The Actor for an account and its roster row (someone who left the roster is nobody)."""
    if person is not None and not person.active:
        person = None
    return Actor(telegram_id=telegram_id, person=person, is_admin=telegram_id in admin_ids)


@dataclass(frozen=True)
class OfficeContact:
    """The office a person should ask about their place on the roster."""

    unit_name: str
    names: tuple[str, ...]  # a few of its office staff, by given name


# The unit and its ancestors, nearest first, with their active office staff.
_OFFICES_ABOVE = """
    WITH RECURSIVE up(id, depth) AS (
        SELECT id, 0 FROM units WHERE id = ?
        UNION ALL
        SELECT u.parent_id, up.depth + 1 FROM units u JOIN up ON u.id = up.id
        WHERE u.parent_id IS NOT NULL AND up.depth < 50
    )
    SELECT up.depth, un.name AS unit_name, p.full_name
    FROM up
    JOIN units un ON un.id = up.id
    JOIN people p ON p.unit_id = up.id AND p.role = 'office' AND p.active = 1
    ORDER BY up.depth
"""


async def office_contact(db: Database, unit_id: int, shown: int = 3) -> OfficeContact | None:
    """The office of this unit, or else the nearest office above it (None: no office staff
    on the roster at all)."""
    rows = await db.fetchall(_OFFICES_ABOVE, (unit_id,))
    if not rows:
        return None
    nearest = [row for row in rows if row["depth"] == rows[0]["depth"]]
    names = sort_people((row["full_name"] for row in nearest), lambda name: name)
    return OfficeContact(unit_name=nearest[0]["unit_name"], names=tuple(names[:shown]))


async def subtree_unit_ids(db: Database, unit_id: int) -> set[int]:
    return {row[0] for row in await db.fetchall(_SUBTREE, (unit_id,))}


async def scope_unit_ids(db: Database, actor: Actor) -> set[int] | None:
    """The units an actor may see or act on; None means every unit (an admin)."""
    if actor.is_admin:
        return None
    person: Person | None = actor.person
    if person is None or not person.active:
        return set()
    if person.role == "office":
        return await subtree_unit_ids(db, person.unit_id)
    if person.role == "principal":
        return {person.unit_id}
    return set()  # a teacher acts only on their own answers, never on a unit


async def may_access(db: Database, actor: Actor, unit_id: int) -> bool:
    """May this actor see or act on this unit? Office: its unit and everything under it;
    principal: their own unit; teacher: no unit; OFFICE_ADMIN_IDS: everything."""
    scope = await scope_unit_ids(db, actor)
    return scope is None or unit_id in scope


async def may_manage_roster(db: Database, actor: Actor) -> bool:
    """Import a roster file: any office person (for its own unit and everything under it, see
    `roster_import_unit`) and every OFFICE_ADMIN_IDS admin."""
    return actor.role == "office"


async def roster_import_unit(db: Database, actor: Actor) -> int | None:
    """The unit whose subtree this office's roster file may change; None means the whole
    roster (an OFFICE_ADMIN_IDS admin, or the office of a top unit). Ask `may_manage_roster`
    first."""
    if await _is_top_office(db, actor):
        return None
    assert actor.person is not None
    return actor.person.unit_id


async def _is_top_office(db: Database, actor: Actor) -> bool:
    """An OFFICE_ADMIN_IDS admin, or the office of a unit with no parent (its scope is every
    unit)."""
    if actor.is_admin:
        return True
    person = actor.person
    if person is None or not person.active or person.role != "office":
        return False
    parent = await db.fetchval("SELECT parent_id FROM units WHERE id = ?", (person.unit_id,))
    return parent is None


async def may_manage_campaign(db: Database, actor: Actor, issuer_unit_id: int | None) -> bool:
    """Close or reopen a campaign's rounds: the office of the issuing unit or one above it
    (a campaign without an issuing unit: the top office), or an OFFICE_ADMIN_IDS admin."""
    if actor.is_admin:
        return True
    if actor.role != "office":
        return False
    if issuer_unit_id is None:
        return await _is_top_office(db, actor)
    return await may_access(db, actor, issuer_unit_id)
