"""Roster import (preview or apply, all or nothing), export rows, and the unit tree.

An import compares the file with the database. People are matched by phone; a row whose phone
is new but whose unit and name match exactly one existing person whose own phone is gone from
the file is that person's phone change (same id, registration and history). An import may be
scoped to one unit's subtree (a Phòng office's file): rows outside it are refused by row and
nothing outside it is changed or deactivated.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from storage.db import Database
from storage.ordering import UnitOrder, read_unit_order
from storage.roster_table import PersonSpec, RosterFileError, RosterIssue, RosterTable, UnitSpec
from storage.text import clean


@dataclass(frozen=True)
class PhoneChange:
    """A roster row matched to an existing person by unit and name: their phone changed."""

    person_id: int
    person: PersonSpec  # the row as the file has it (new phone)
    old_phone: str
    unit_name: str
    registered: bool  # has a Telegram account: it stays linked

    @property
    def full_name(self) -> str:
        return self.person.full_name

    @property
    def new_phone(self) -> str:
        return self.person.phone


@dataclass(frozen=True)
class SameName:
    """Rows with a new phone not taken as a phone change, because the name is ambiguous."""

    full_name: str
    unit_name: str
    existing: int  # people of that name in the unit whose phone is not in the file
    rows: int  # rows of that name in the unit with a phone not in the database


@dataclass(frozen=True)
class RosterChanges:
    units_added: tuple[str, ...] = ()
    units_updated: tuple[str, ...] = ()
    units_deactivated: tuple[str, ...] = ()
    people_added: tuple[PersonSpec, ...] = ()
    people_updated: tuple[PersonSpec, ...] = ()
    people_deactivated: tuple[str, ...] = ()  # full names
    people_deactivated_ids: tuple[int, ...] = ()
    registered_kept: int = 0  # registered people still in the roster after the import
    phone_changes: tuple[PhoneChange, ...] = ()
    same_names: tuple[SameName, ...] = ()  # added + deactivated, not matched: say why
    scope: str | None = None  # the name of the unit a scoped import was limited to

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
                self.phone_changes,
            )
        )

    def counts(self) -> str:
        """For logs: counts only, never a name or a phone number."""
        return (
            f"units +{len(self.units_added)} ~{len(self.units_updated)}"
            f" -{len(self.units_deactivated)}; people +{len(self.people_added)}"
            f" ~{len(self.people_updated)} -{len(self.people_deactivated)},"
            f" {len(self.phone_changes)} phone change(s),"
            f" {len(self.same_names)} ambiguous name(s); {self.registered_kept} registered kept"
        )


@dataclass(frozen=True)
class _Existing:
    units: dict[str, Any]  # code -> row(id, code, name, parent_code, active)
    people: dict[str, Any]  # phone -> row(id, full_name, role, unit_code, active, telegram_id)


@dataclass(frozen=True)
class _Plan:
    changes: RosterChanges
    table: RosterTable  # the file as applied (a scoped file's own unit keeps its parent)


async def preview_import(
    db: Database, table: RosterTable, scope_unit_id: int | None = None
) -> RosterChanges:
    """What `apply_import` would change now, without writing anything."""
    existing = await db.read(_load)  # one hop: a consistent snapshot
    return _diff(existing, table, scope_unit_id).changes


async def apply_import(
    db: Database, table: RosterTable, now: datetime, scope_unit_id: int | None = None
) -> RosterChanges:
    """Compare with the database and write the differences in one transaction.

    `scope_unit_id`: limit the import to that unit and the units below it (None: the whole
    roster)."""
    stamp = now.isoformat()

    def work(conn: sqlite3.Connection) -> RosterChanges:
        existing = _load(conn)
        plan = _diff(existing, table, scope_unit_id)
        changes, units = plan.changes, plan.table.units
        if not changes.changed:
            return changes
        conn.executemany(
            "INSERT INTO units (code, name, parent_id, active, updated_at)"
            " VALUES (?, ?, NULL, 1, ?)",
            [(code, units[code].name, stamp) for code in changes.units_added],
        )
        unit_ids = {row[0]: row[1] for row in conn.execute("SELECT code, id FROM units")}
        touched = set(changes.units_added) | set(changes.units_updated)
        conn.executemany(
            "UPDATE units SET name = ?, parent_id = ?, active = 1, updated_at = ? WHERE id = ?",
            [
                (unit.name, unit_ids.get(unit.parent_code or ""), stamp, unit_ids[unit.code])
                for unit in units.values()
                if unit.code in touched
            ],
        )
        conn.executemany(
            "UPDATE units SET active = 0, updated_at = ? WHERE code = ?",
            [(stamp, code) for code in changes.units_deactivated],
        )
        # The phones changed are new to the database, so no UNIQUE clash with anyone.
        conn.executemany(
            "UPDATE people SET phone = ?, full_name = ?, role = ?, unit_id = ?, active = 1,"
            " updated_at = ? WHERE id = ?",
            [
                (c.new_phone, c.full_name, c.person.role, unit_ids[c.person.unit_code], stamp,
                 c.person_id)
                for c in changes.phone_changes
            ],
        )  # fmt: skip
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
        conn.executemany(
            "UPDATE people SET active = 0, updated_at = ? WHERE id = ?",
            [(stamp, person_id) for person_id in changes.people_deactivated_ids],
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


def _diff(existing: _Existing, table: RosterTable, scope_unit_id: int | None) -> _Plan:
    scope: set[str] | None = None  # unit codes the import may touch; None: all
    scope_name = None
    issues: list[RosterIssue] = []
    if scope_unit_id is not None:
        root = next((row for row in existing.units.values() if row["id"] == scope_unit_id), None)
        if root is None:
            raise ValueError(f"no unit {scope_unit_id} to scope a roster import to")
        scope_name = root["name"]
        scope = _subtree(existing, root["code"])
        table, issues = _check_scope(existing, table, root, scope)
    issues += _check_parents(existing, table, skip={issue.line for issue in issues})
    if issues:
        raise RosterFileError(sorted(issues, key=lambda issue: issue.line or 0))

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
        code
        for code, row in existing.units.items()
        if row["active"] and code not in keep and (scope is None or code in scope)
    ]

    in_file = {p.phone for p in table.people}
    phone_changes, same_names = _phone_changes(existing, table, in_file)
    changed_rows = {change.person.line for change in phone_changes}
    people_added, people_updated = [], []
    for person in table.people:
        row = existing.people.get(person.phone)
        if row is None:
            if person.line not in changed_rows:
                people_added.append(person)
        elif (row["full_name"], row["role"], row["unit_code"], bool(row["active"])) != (
            person.full_name,
            person.role,
            person.unit_code,
            True,
        ):
            people_updated.append(person)
    moved = {change.person_id for change in phone_changes}
    leaving = [
        row
        for phone, row in existing.people.items()
        if row["active"]
        and phone not in in_file
        and row["id"] not in moved
        and (scope is None or row["unit_code"] in scope)
    ]
    kept = sum(
        1
        for p in table.people
        if (row := existing.people.get(p.phone)) is not None and row["telegram_id"] is not None
    ) + sum(1 for change in phone_changes if change.registered)
    changes = RosterChanges(
        units_added=tuple(units_added),
        units_updated=tuple(units_updated),
        units_deactivated=tuple(units_deactivated),
        people_added=tuple(people_added),
        people_updated=tuple(people_updated),
        people_deactivated=tuple(row["full_name"] for row in leaving),
        people_deactivated_ids=tuple(row["id"] for row in leaving),
        registered_kept=kept,
        phone_changes=tuple(phone_changes),
        same_names=tuple(same_names),
        scope=scope_name,
    )
    return _Plan(changes, table)


def name_key(full_name: str) -> str:
    """Names as the same person's: white space tidied, Unicode NFC, case ignored."""
    return clean(full_name).casefold()


def _phone_changes(
    existing: _Existing, table: RosterTable, in_file: set[str]
) -> tuple[list[PhoneChange], list[SameName]]:
    """Rows with a phone new to the database, matched by unit and name to the one active
    person of that unit and name whose phone is no longer in the file."""
    fresh = [person for person in table.people if person.phone not in existing.people]
    if not fresh:
        return [], []
    gone: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for phone, row in existing.people.items():
        if row["active"] and phone not in in_file:
            gone[(row["unit_code"], name_key(row["full_name"]))].append(row)
    if not gone:
        return [], []  # a first import, or nobody left out: nothing to match
    new_rows: dict[tuple[str, str], list[PersonSpec]] = defaultdict(list)
    for person in fresh:
        new_rows[(person.unit_code, name_key(person.full_name))].append(person)
    changes, same_names = [], []
    for key, rows in new_rows.items():
        candidates = gone.get(key, [])
        if not candidates:
            continue
        unit_name = table.units[key[0]].name
        if len(candidates) == 1 and len(rows) == 1:
            row = candidates[0]
            changes.append(
                PhoneChange(
                    person_id=row["id"],
                    person=rows[0],
                    old_phone=row["phone"],
                    unit_name=unit_name,
                    registered=row["telegram_id"] is not None,
                )
            )
        else:
            same_names.append(SameName(rows[0].full_name, unit_name, len(candidates), len(rows)))
    changes.sort(key=lambda change: change.person.line)
    return changes, same_names


def _subtree(existing: _Existing, root: str) -> set[str]:
    children: dict[str | None, list[str]] = defaultdict(list)
    for code, row in existing.units.items():
        children[row["parent_code"]].append(code)
    found, todo = {root}, [root]
    while todo:
        for child in children[todo.pop()]:
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _check_scope(
    existing: _Existing, table: RosterTable, root: Any, scope: set[str]
) -> tuple[RosterTable, list[RosterIssue]]:
    """A scoped file may name only the root unit and units below it (a new unit's parent in
    the subtree), and only phones not used outside it. The root keeps its own parent."""
    name = root["name"]
    units = dict(table.units)
    issues: list[RosterIssue] = []
    bad: dict[str, int] = {}  # unit code -> the line its refusal was reported on
    own = units.get(root["code"])
    if own is not None:
        if own.parent_code is None:
            units[own.code] = UnitSpec(own.code, own.name, root["parent_code"], own.line)
        elif own.parent_code != root["parent_code"]:
            values = {
                "code": own.code,
                "parent": own.parent_code,
                "current": root["parent_code"],
                "scope": name,
            }
            issues.append(RosterIssue("scope_root_moved", own.line, values))
            bad[own.code] = own.line
    # Units the file may place things under: the subtree, and new units hanging from it.
    allowed = set(scope)
    grown = True
    while grown:
        grown = False
        for unit in units.values():
            if (
                unit.code not in allowed
                and unit.code not in existing.units
                and unit.parent_code in allowed
            ):
                allowed.add(unit.code)
                grown = True
    for unit in units.values():
        if unit.code in bad:
            continue
        values = {"code": unit.code, "scope": name, "scope_code": root["code"]}
        if unit.code in existing.units and unit.code not in scope:
            issues.append(RosterIssue("outside_scope", unit.line, values))
            bad[unit.code] = unit.line
        elif unit.code != root["code"] and unit.parent_code not in allowed:
            known = unit.parent_code in existing.units or unit.parent_code in units
            if unit.parent_code is not None and not known:
                continue  # an unknown parent: _check_parents says so
            issues.append(
                RosterIssue(
                    "parent_outside_scope", unit.line, {**values, "parent": unit.parent_code}
                )
            )
            bad[unit.code] = unit.line
    for person in table.people:
        first = bad.get(person.unit_code)
        if first is not None:
            if person.unit_code in existing.units and person.unit_code not in scope:
                # Every row of another office's unit says so itself.
                if person.line != first:
                    values = {"code": person.unit_code, "scope": name, "scope_code": root["code"]}
                    issues.append(RosterIssue("outside_scope", person.line, values))
            elif person.line != first:
                values = {"code": person.unit_code, "other_line": first, "scope": name}
                issues.append(RosterIssue("unit_refused", person.line, values))
            continue
        row = existing.people.get(person.phone)
        if row is not None and row["unit_code"] not in scope:
            unit = existing.units[row["unit_code"]]
            values = {"phone": person.phone, "unit": unit["name"], "scope": name}
            issues.append(RosterIssue("phone_outside_scope", person.line, values))
    return RosterTable(units=units, people=table.people), issues


def _check_parents(
    existing: _Existing, table: RosterTable, skip: set[int | None]
) -> list[RosterIssue]:
    """Parents must exist in the file or the database, and the combined tree has no cycle.
    Lines already refused (`skip`) are not reported twice."""
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
    if not issues and not skip:
        issues.extend(_cycles(parent_of, table.units))
    return [issue for issue in issues if issue.line not in skip]


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
