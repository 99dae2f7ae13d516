"""Absences (a person away for a date range, with a reason) and days off (an office's unit and
everything under it): who is excused from reports, and when nothing scheduled is sent.

Dates are local dates of the bot's time zone, both ends included, stored as ISO text so they
compare in order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from storage.db import Database
from storage.ordering import read_unit_order

REASONS = ("leave", "sick", "maternity", "business", "other")


@dataclass(frozen=True)
class Absence:
    id: int
    person_id: int
    full_name: str
    unit_id: int
    unit_name: str
    reason: str  # one of REASONS
    note: str
    date_from: date
    date_to: date


@dataclass(frozen=True)
class DayOff:
    id: int
    unit_id: int | None  # None: everyone
    unit_name: str | None
    name: str
    date_from: date
    date_to: date

    def days(self) -> list[date]:
        count = (self.date_to - self.date_from).days + 1
        return [self.date_from + timedelta(days=i) for i in range(count)]


def absent_on(conn: sqlite3.Connection, days: Iterable[date]) -> set[int]:
    """Ids of people absent on any of these days (inside the caller's read)."""
    absent: set[int] = set()
    for day in set(days):
        absent.update(
            row[0]
            for row in conn.execute(
                "SELECT person_id FROM absences WHERE cancelled_at IS NULL"
                " AND date_from <= ? AND date_to >= ?",
                (day.isoformat(), day.isoformat()),
            )
        )
    return absent


async def add_absence(
    db: Database, person_id: int, reason: str, note: str, date_from: date, date_to: date,
    created_by: int, now: datetime,
) -> int:  # fmt: skip
    if reason not in REASONS:
        raise ValueError(f"unknown absence reason {reason!r}")
    return await db.write(
        "INSERT INTO absences (person_id, reason, note, date_from, date_to, created_by,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (person_id, reason, note, date_from.isoformat(), date_to.isoformat(), created_by,
         now.isoformat()),
    )  # fmt: skip


_ABSENCE_SELECT = """
    SELECT a.id, a.person_id, p.full_name, p.unit_id, u.name, a.reason, a.note, a.date_from,
           a.date_to
    FROM absences a JOIN people p ON p.id = a.person_id JOIN units u ON u.id = p.unit_id
"""


def _absence(row: Any) -> Absence:
    return Absence(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                   date.fromisoformat(row[7]), date.fromisoformat(row[8]))  # fmt: skip


async def absences_in(db: Database, scope: set[int] | None, today: date) -> list[Absence]:
    """Absences not cancelled and not over (ending today or later), of people in the scope
    (None: everyone): units in unit-tree order, people by given name, then by start."""

    def work(conn: sqlite3.Connection) -> list[Absence]:
        rows = conn.execute(
            _ABSENCE_SELECT + " WHERE a.cancelled_at IS NULL AND a.date_to >= ?",
            (today.isoformat(),),
        ).fetchall()
        found = [_absence(r) for r in rows if scope is None or r[3] in scope]
        order = read_unit_order(conn)
        found.sort(key=lambda a: a.date_from)
        return order.sort_people(found, lambda a: a.unit_id, lambda a: a.full_name)

    return await db.read(work)


async def get_absence(db: Database, absence_id: int) -> Absence | None:
    row = await db.fetchone(
        _ABSENCE_SELECT + " WHERE a.id = ? AND a.cancelled_at IS NULL", (absence_id,)
    )
    return None if row is None else _absence(row)


async def cancel_absence(db: Database, absence_id: int, by: int, now: datetime) -> bool:
    changed = await db.transact(
        lambda conn: (
            conn.execute(
                "UPDATE absences SET cancelled_at = ?, cancelled_by = ?"
                " WHERE id = ? AND cancelled_at IS NULL",
                (now.isoformat(), by, absence_id),
            ).rowcount
        )
    )
    return changed == 1


async def add_day_off(
    db: Database, unit_id: int | None, name: str, date_from: date, date_to: date,
    created_by: int, now: datetime,
) -> int:  # fmt: skip
    return await db.write(
        "INSERT INTO days_off (unit_id, name, date_from, date_to, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (unit_id, name, date_from.isoformat(), date_to.isoformat(), created_by,
         now.isoformat()),
    )  # fmt: skip


_DAY_OFF_SELECT = """
    SELECT d.id, d.unit_id, u.name, d.name, d.date_from, d.date_to
    FROM days_off d LEFT JOIN units u ON u.id = d.unit_id
"""


def _day_off(row: Any) -> DayOff:
    return DayOff(row[0], row[1], row[2], row[3], date.fromisoformat(row[4]),
                  date.fromisoformat(row[5]))  # fmt: skip


def read_days_off(conn: sqlite3.Connection, since: date) -> list[DayOff]:
    """Days off not cancelled that end on `since` or later (inside the caller's read)."""
    rows = conn.execute(
        _DAY_OFF_SELECT + " WHERE d.cancelled_at IS NULL AND d.date_to >= ?"
        " ORDER BY d.date_from, d.id",
        (since.isoformat(),),
    ).fetchall()
    return [_day_off(row) for row in rows]


async def days_off_for(db: Database, units: Sequence[int] | None, since: date) -> list[DayOff]:
    """Days off declared for these units (None: every declaration), not over by `since`,
    soonest first; those for everyone included."""
    found = await db.read(lambda conn: read_days_off(conn, since))
    if units is None:
        return found
    wanted = set(units)
    return [d for d in found if d.unit_id is None or d.unit_id in wanted]


async def get_day_off(db: Database, day_off_id: int) -> DayOff | None:
    row = await db.fetchone(
        _DAY_OFF_SELECT + " WHERE d.id = ? AND d.cancelled_at IS NULL", (day_off_id,)
    )
    return None if row is None else _day_off(row)


async def cancel_day_off(db: Database, day_off_id: int, now: datetime) -> bool:
    changed = await db.transact(
        lambda conn: (
            conn.execute(
                "UPDATE days_off SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL",
                (now.isoformat(), day_off_id),
            ).rowcount
        )
    )
    return changed == 1


def days_off_by_unit(
    days_off: Iterable[DayOff], parents: Mapping[int, int | None]
) -> dict[int, frozenset[date]]:
    """Each unit's days off: those declared for it, for a unit above it, or for everyone.
    Units sharing the same days share one frozenset object (a handful of distinct sets)."""
    declared: dict[int | None, set[date]] = {}
    for item in days_off:
        declared.setdefault(item.unit_id, set()).update(item.days())
    everyone = frozenset(declared.get(None, set()))
    interned: dict[frozenset[date], frozenset[date]] = {everyone: everyone}
    result: dict[int, frozenset[date]] = {}
    for unit_id in parents:
        days: set[date] = set(everyone)
        seen: set[int] = set()
        current: int | None = unit_id
        while current is not None and current not in seen:
            seen.add(current)
            days.update(declared.get(current, ()))
            current = parents.get(current)
        key = frozenset(days)
        result[unit_id] = interned.setdefault(key, key)
    return result


async def people_matching(
    db: Database, scope: set[int] | None, query: str
) -> list[tuple[int, str, str]]:
    """Active people in the scope (None: everyone) whose name contains the query, regardless
    of case and diacritics: (id, full name, unit name), units in unit-tree order, people by
    given name."""
    from storage.text import fold

    wanted = fold(query)

    def work(conn: sqlite3.Connection) -> list[tuple[int, str, str]]:
        rows = conn.execute(
            "SELECT p.id, p.full_name, u.name, p.unit_id FROM people p"
            " JOIN units u ON u.id = p.unit_id WHERE p.active = 1"
        ).fetchall()
        found = [
            r for r in rows
            if (scope is None or r[3] in scope) and (not wanted or wanted in fold(r[1]))
        ]  # fmt: skip
        order = read_unit_order(conn)
        ranked = order.sort_people(found, lambda r: r[3], lambda r: r[1])
        return [(r[0], r[1], r[2]) for r in ranked]

    return await db.read(work)
