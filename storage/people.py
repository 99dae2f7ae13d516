"""People, invites and registration."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, cast

from storage.audiences import queue_missed_campaigns
from storage.db import Database
from storage.models import Person, Role
from storage.ordering import read_unit_order

_PERSON_SELECT = """
    SELECT p.id, p.full_name, p.phone, p.role, p.unit_id, u.code AS unit_code,
           u.name AS unit_name, p.telegram_id, p.active
    FROM people p JOIN units u ON u.id = p.unit_id
"""


def person_from_row(row: Any) -> Person:
    return Person(
        id=row["id"],
        full_name=row["full_name"],
        phone=row["phone"],
        role=cast(Role, row["role"]),
        unit_id=row["unit_id"],
        unit_code=row["unit_code"],
        unit_name=row["unit_name"],
        telegram_id=row["telegram_id"],
        active=bool(row["active"]),
    )


async def person_by_telegram_id(db: Database, telegram_id: int) -> Person | None:
    row = await db.fetchone(_PERSON_SELECT + " WHERE p.telegram_id = ?", (telegram_id,))
    return None if row is None else person_from_row(row)


async def person_by_phone(db: Database, phone: str) -> Person | None:
    row = await db.fetchone(_PERSON_SELECT + " WHERE p.phone = ?", (phone,))
    return None if row is None else person_from_row(row)


async def people_in_units(db: Database, unit_ids: Sequence[int]) -> list[Person]:
    """Active people of the given units (order is the caller's to choose)."""
    if not unit_ids:
        return []
    marks = ",".join("?" * len(unit_ids))
    sql = _PERSON_SELECT + f" WHERE p.active = 1 AND p.unit_id IN ({marks})"
    return [person_from_row(row) for row in await db.fetchall(sql, tuple(unit_ids))]


async def roster_is_empty(db: Database) -> bool:
    """Nobody is on the roster yet (a new installation)."""
    return await db.fetchone("SELECT 1 FROM people WHERE active = 1 LIMIT 1") is None


class Registration(Enum):
    REGISTERED = "registered"
    ALREADY = "already"  # this Telegram account is already this person
    INVALID_CODE = "invalid_code"  # unknown or already used
    NOT_FOUND = "not_found"  # no active person with that phone
    INACTIVE = "inactive"  # the person left the roster
    ACCOUNT_TAKEN = "account_taken"  # this Telegram account is registered as someone else
    PERSON_TAKEN = "person_taken"  # the person is registered with another Telegram account


@dataclass(frozen=True)
class RegistrationResult:
    outcome: Registration
    person: Person | None = None
    missed: int = 0  # campaigns launched before, queued to the newcomer in the same transaction


async def register_by_invite(
    db: Database, code: str, telegram_id: int, now: datetime
) -> RegistrationResult:
    """Register by a personal invite code. A newcomer gets, in the same transaction, the
    campaigns meant for them that were launched before (storage/audiences.py), so no failure
    after the commit (the welcome message, a crash) can lose them."""

    def work(conn: sqlite3.Connection) -> RegistrationResult:
        invite = conn.execute(
            "SELECT person_id, used_at FROM invites WHERE code = ?", (code,)
        ).fetchone()
        if invite is None:
            return RegistrationResult(Registration.INVALID_CODE)
        person = _person_in(conn, "p.id = ?", invite["person_id"])
        if invite["used_at"] is not None:
            if person is not None and person.telegram_id == telegram_id:
                return RegistrationResult(Registration.ALREADY, person)
            return RegistrationResult(Registration.INVALID_CODE)
        result = _bind(conn, person, telegram_id, "invite", now)
        if result.outcome is Registration.REGISTERED:
            conn.execute("UPDATE invites SET used_at = ? WHERE code = ?", (now.isoformat(), code))
        return result

    return await db.transact(work)


async def register_by_phone(
    db: Database, phone: str, telegram_id: int, now: datetime
) -> RegistrationResult:
    """Register by the person's own shared contact; missed campaigns as for an invite."""

    def work(conn: sqlite3.Connection) -> RegistrationResult:
        person = _person_in(conn, "p.phone = ?", phone)
        if person is None:
            return RegistrationResult(Registration.NOT_FOUND)
        return _bind(conn, person, telegram_id, "contact", now)

    return await db.transact(work)


def _person_in(conn: sqlite3.Connection, where: str, value: object) -> Person | None:
    row = conn.execute(_PERSON_SELECT + f" WHERE {where}", (value,)).fetchone()
    return None if row is None else person_from_row(row)


def _bind(
    conn: sqlite3.Connection, person: Person | None, telegram_id: int, method: str, now: datetime
) -> RegistrationResult:
    """Link a person to a Telegram account, inside the caller's transaction."""
    if person is None:
        return RegistrationResult(Registration.NOT_FOUND)
    if not person.active:
        return RegistrationResult(Registration.INACTIVE, person)
    if person.telegram_id == telegram_id:
        return RegistrationResult(Registration.ALREADY, person)
    if person.telegram_id is not None:
        return RegistrationResult(Registration.PERSON_TAKEN, person)
    holder = conn.execute(
        "SELECT id, active FROM people WHERE telegram_id = ?", (telegram_id,)
    ).fetchone()
    if holder is not None and holder["active"]:
        return RegistrationResult(Registration.ACCOUNT_TAKEN, person)
    if holder is not None:
        # The account was someone's who has left the roster and is now back as a new row
        # (another unit, another phone): it becomes this person; the old row keeps its history,
        # and flows begun as the old person are dropped.
        conn.execute(
            "UPDATE people SET telegram_id = NULL, updated_at = ? WHERE id = ?",
            (now.isoformat(), holder["id"]),
        )
        conn.execute("DELETE FROM drafts WHERE telegram_id = ?", (telegram_id,))
    conn.execute(
        "UPDATE people SET telegram_id = ?, updated_at = ? WHERE id = ?",
        (telegram_id, now.isoformat(), person.id),
    )
    conn.execute(
        "INSERT INTO registrations (person_id, telegram_id, method, registered_at)"
        " VALUES (?, ?, ?, ?)",
        (person.id, telegram_id, method, now.isoformat()),
    )
    # Any other invite of this person dies with the registration.
    conn.execute(
        "UPDATE invites SET used_at = ? WHERE person_id = ? AND used_at IS NULL",
        (now.isoformat(), person.id),
    )
    registered = Person(**{**person.__dict__, "telegram_id": telegram_id})
    missed = queue_missed_campaigns(conn, registered, now)
    return RegistrationResult(Registration.REGISTERED, registered, missed)


@dataclass(frozen=True)
class Invite:
    person: Person
    code: str | None  # None: already registered, no link needed


async def invites_for_roster(db: Database, now: datetime) -> list[Invite]:
    """One row per active person, creating a live code for everyone not yet registered; units
    in unit-tree order, people by given name within a unit."""

    def work(conn: sqlite3.Connection) -> tuple[list[Person], dict[int, str]]:
        people = read_unit_order(conn).sort_people(
            (person_from_row(row) for row in conn.execute(_PERSON_SELECT + " WHERE p.active = 1")),
            lambda p: p.unit_id,
            lambda p: p.full_name,
        )
        live = {
            row["person_id"]: row["code"]
            for row in conn.execute(
                "SELECT person_id, code FROM invites WHERE used_at IS NULL ORDER BY created_at"
            )
        }
        new_codes = []
        for person in people:
            if person.telegram_id is None and person.id not in live:
                live[person.id] = secrets.token_urlsafe(12)
                new_codes.append((live[person.id], person.id, now.isoformat()))
        conn.executemany(
            "INSERT INTO invites (code, person_id, created_at) VALUES (?, ?, ?)", new_codes
        )
        return people, live

    people, live = await db.transact(work)
    return [
        Invite(person, None if person.telegram_id is not None else live[person.id])
        for person in people
    ]
