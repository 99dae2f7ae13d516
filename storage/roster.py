"""Roster import (preview or apply, all or nothing), export rows, and the unit tree."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from storage.db import Database
from storage.ordering import UnitOrder, read_unit_order
from storage.roster_file import PersonSpec, RosterFileError, RosterIssue, RosterTable, UnitSpec


@dataclass(frozen=True)
class RosterChanges:
    units_added: tuple[str, ...] = ()
    units_updated: tuple[str, ...] = ()
    units_deactivated: tuple[str, ...] = ()
    people_added: tuple[PersonSpec, ...] = ()
    people_updated: tuple[PersonSpec, ...] = ()
    people_deactivated: tuple[str, ...] = ()  # full names
    registered_kept: int = 0  # registered people still in the roster after the import

    @property
    def changed(self) -> bool:
        return any(
            (
                self.units_added,
                self.units_updated,
                self.units_deactivated,
                self.people_added,
                self.people_updated,
                self.people_deactivated,
            )
        )


@dataclass(frozen=True)
class _Existing:
    units: dict[str, Any]  # code -> row(id, code, name, parent_code, active)
    people: dict[str, Any]  # phone -> row(id, full_name, role, unit_code, active, telegram_id)


async def preview_import(db: Database, table: RosterTable) -> RosterChanges:
    """What `apply_import` would change now, without writing anything."""
    existing = await db.read(_load)  # one hop: a consistent snapshot
    return _diff(existing, table)


async def apply_import(db: Database, table: RosterTable, now: datetime) -> RosterChanges:
    """Compare with the database and write the differences in one transaction."""
    stamp = now.isoformat()

    def work(conn: sqlite3.Connection) -> RosterChanges:
        existing = _load(conn)
        changes = _diff(existing, table)
        if not changes.changed:
            return changes
        conn.executemany(
            "INSERT INTO units (code, name, parent_id, active, updated_at)"
            " VALUES (?, ?, NULL, 1, ?)",
            [(code, table.units[code].name, stamp) for code in changes.units_added],
        )
        unit_ids = {row[0]: row[1] for row in conn.execute("SELECT code, id FROM units")}
        touched = set(changes.units_added) | set(changes.units_updated)
        conn.executemany(
            "UPDATE units SET name = ?, parent_id = ?, active = 1, updated_at = ? WHERE id = ?",
            [
                (unit.name, unit_ids.get(unit.parent_code or ""), stamp, unit_ids[unit.code])
                for unit in table.units.values()
                if unit.code in touched
            ],
        )
        conn.executemany(
            "UPDATE units SET active = 0, updated_at = ? WHERE code = ?",
            [(stamp, code) for code in changes.units_deactivated],
        )
        # Inserted unit by unit, so the people_unit index grows in order instead of at random.
        new_people = sorted(
            ((p.full_name, p.phone, p.role, unit_ids[p.unit_code], stamp)
             for p in changes.people_added),
            key=itemgetter(3),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO people (full_name, phone, role, unit_id, active, updated_at)"
            " VALUES (?, ?, ?, ?, 1, ?)",
            new_people,
        )
        conn.executemany(
            "UPDATE people SET full_name = ?, role = ?, unit_id = ?, active = 1, updated_at = ?"
            " WHERE phone = ?",
            [
                (p.full_name, p.role, unit_ids[p.unit_code], stamp, p.phone)
                for p in changes.people_updated
            ],
        )
        in_file = {p.phone for p in table.people}
        conn.executemany(
            "UPDATE people SET active = 0, updated_at = ? WHERE phone = ?",
            [
                (stamp, phone)
                for phone, row in existing.people.items()
                if row["active"] and phone not in in_file
            ],
        )
        return changes

    return await db.transact(work)


def _load(conn: sqlite3.Connection) -> _Existing:
    units = {
        row["code"]: row
        for row in conn.execute(
            "SELECT u.id, u.code, u.name, p.code AS parent_code, u.active"
            " FROM units u LEFT JOIN units p ON p.id = u.parent_id"
        )
    }
    people = {
        row["phone"]: row
        for row in conn.execute(
            "SELECT p.id, p.phone, p.full_name, p.role, u.code AS unit_code, p.active,"
            " p.telegram_id FROM people p JOIN units u ON u.id = p.unit_id"
        )
    }
    return _Existing(units=units, people=people)


def _diff(existing: _Existing, table: RosterTable) -> RosterChanges:
    _check_parents(existing, table)
    units_added, units_updated = [], []
    for unit in table.units.values():
        row = existing.units.get(unit.code)
        if row is None:
            units_added.append(unit.code)
        elif (row["name"], row["parent_code"], bool(row["active"])) != (
            unit.name,
            unit.parent_code,
            True,
        ):
            units_updated.append(unit.code)
    keep = _with_ancestors(existing, table)
    units_deactivated = [
        code for code, row in existing.units.items() if row["active"] and code not in keep
    ]
    people_added, people_updated = [], []
    for person in table.people:
        row = existing.people.get(person.phone)
        if row is None:
            people_added.append(person)
        elif (row["full_name"], row["role"], row["unit_code"], bool(row["active"])) != (
            person.full_name,
            person.role,
            person.unit_code,
            True,
        ):
            people_updated.append(person)
    in_file = {p.phone for p in table.people}
    deactivated = [
        row["full_name"]
        for phone, row in existing.people.items()
        if row["active"] and phone not in in_file
    ]
    kept = sum(
        1
        for p in table.people
        if (row := existing.people.get(p.phone)) is not None and row["telegram_id"] is not None
    )
    return RosterChanges(
        units_added=tuple(units_added),
        units_updated=tuple(units_updated),
        units_deactivated=tuple(units_deactivated),
        people_added=tuple(people_added),
        people_updated=tuple(people_updated),
        people_deactivated=tuple(deactivated),
        registered_kept=kept,
    )


def _check_parents(existing: _Existing, table: RosterTable) -> None:
    """Parents must exist in the file or the database, and the combined tree has no cycle."""
    issues = []
    parent_of: dict[str, str | None] = {
        code: row["parent_code"] for code, row in existing.units.items()
    }
    parent_of.update({code: unit.parent_code for code, unit in table.units.items()})
    for unit in table.units.values():
        if unit.parent_code is not None and unit.parent_code not in parent_of:
            issues.append(
                RosterIssue(
                    "unknown_parent", unit.line, {"code": unit.code, "parent": unit.parent_code}
                )
            )
    if not issues:
        issues.extend(_cycles(parent_of, table.units))
    if issues:
        raise RosterFileError(issues)


def _cycles(parent_of: dict[str, str | None], units: dict[str, UnitSpec]) -> list[RosterIssue]:
    issues = []
    reported: set[str] = set()
    for unit in units.values():
        chain = [unit.code]
        parent = parent_of.get(unit.code)
        while parent is not None:
            if parent in chain:
                cycle = [*chain[chain.index(parent) :], parent]
                if not reported.intersection(cycle):
                    issues.append(RosterIssue("unit_cycle", unit.line, {"chain": cycle}))
                reported.update(cycle)
                break
            chain.append(parent)
            parent = parent_of.get(parent)
    return issues


def _with_ancestors(existing: _Existing, table: RosterTable) -> set[str]:
    """Units in the file and every unit above them stay active."""
    keep: set[str] = set()
    for code in table.units:
        current: str | None = code
        while current is not None and current not in keep:
            keep.add(current)
            spec = table.units.get(current)
            if spec is not None:
                current = spec.parent_code
            else:
                row = existing.units.get(current)
                current = None if row is None else row["parent_code"]
    return keep


@dataclass(frozen=True)
class RosterExportRow:
    unit_code: str
    unit_name: str
    parent_code: str | None
    full_name: str
    role: str
    phone: str
    unit_id: int | None = None


async def export_rows(db: Database) -> list[RosterExportRow]:
    """Active people, plus one row for each active unit nobody belongs to: units in unit-tree
    order (a parent before its children, as a re-import needs), people by given name."""

    def work(conn: sqlite3.Connection) -> tuple[list[Any], UnitOrder]:
        rows = conn.execute(
            "SELECT u.code, u.name, parent.code AS parent_code,"
            "       COALESCE(p.full_name, '') AS full_name, COALESCE(p.role, '') AS role,"
            "       COALESCE(p.phone, '') AS phone, u.id"
            " FROM units u"
            " LEFT JOIN units parent ON parent.id = u.parent_id"
            " LEFT JOIN people p ON p.unit_id = u.id AND p.active = 1"
            " WHERE u.active = 1"
        ).fetchall()
        return rows, read_unit_order(conn)

    rows, order = await db.read(work)
    return order.sort_people(
        (RosterExportRow(*row) for row in rows), lambda r: r.unit_id or 0, lambda r: r.full_name
    )


async def units_by_code(db: Database, codes: list[str]) -> dict[str, int]:
    """Active units among the codes given, code → id."""
    if not codes:
        return {}
    marks = ",".join("?" * len(codes))
    rows = await db.fetchall(
        f"SELECT code, id FROM units WHERE active = 1 AND code IN ({marks})",  # noqa: S608
        tuple(codes),
    )
    return {row[0]: row[1] for row in rows}


async def unit_names(db: Database, scope: set[int] | None) -> list[tuple[str, str]]:
    """(code, name) of active units in the scope (None: all), in unit-tree order."""

    def work(conn: sqlite3.Connection) -> tuple[list[Any], UnitOrder]:
        rows = conn.execute("SELECT id, code, name FROM units WHERE active = 1").fetchall()
        return rows, read_unit_order(conn)

    rows, order = await db.read(work)
    chosen = [row for row in rows if scope is None or row[0] in scope]
    return [(row[1], row[2]) for row in order.sort(chosen, lambda row: row[0])]


async def top_unit_ids(db: Database) -> list[int]:
    """Active units with no parent (a Sở, or a Phòng running its own bot)."""
    rows = await db.fetchall("SELECT id FROM units WHERE parent_id IS NULL AND active = 1")
    return [row[0] for row in rows]
