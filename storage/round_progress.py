"""Who has answered a round, counted against everyone in the campaign's audience on the
roster today, not only those who happen to be registered.

A per-person round expects one report from each person of the audience; a per-unit round
expects one from each unit of the audience with a principal in it (the principal answers). A
unit with audience people but no principal on the roster cannot answer: it is listed as
missing with that reason instead of vanishing. Each expected report is answered (submitted;
one sent back for additions counts as not answered until it is sent again), not answered,
not registered (nobody who could answer has registered), or excused (absent; always 0 until
absences exist).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from storage.campaigns import Audience
from storage.db import Database
from storage.models import Person
from storage.ordering import read_unit_order
from storage.text import name_order_key


class State(StrEnum):
    ANSWERED = "answered"
    NOT_ANSWERED = "not_answered"
    RETURNED = "returned"  # sent back for additions: not answered until sent again
    UNREGISTERED = "unregistered"  # the person (per unit: every principal) has not registered
    NO_PRINCIPAL = "no_principal"  # a per-unit round for a unit without a principal
    EXCUSED = "excused"  # absent (leave, sickness…): arrives with absences


@dataclass(frozen=True)
class Expected:
    """One report the round expects, and where it stands. Per person: `full_name` is the
    person; per unit: the principal(s) who answer, "" when the unit has none."""

    unit_id: int
    unit_name: str
    full_name: str
    state: State
    late: bool = False

    @property
    def answered(self) -> bool:
        return self.state is State.ANSWERED

    @property
    def missing(self) -> bool:
        """Owed and not there: what the by-name list shows."""
        return self.state not in (State.ANSWERED, State.EXCUSED)


@dataclass(frozen=True)
class UnitAnswers:
    unit_id: int
    unit_name: str
    expected: int
    answered: int
    late: int
    not_answered: int = 0  # registered, no submitted report (a returned one included)
    unregistered: int = 0
    excused: int = 0  # absent people; stays 0 until absences exist
    no_principal: bool = False  # a per-unit round, and the unit has no principal on the roster


@dataclass(frozen=True)
class RoundProgress:
    """Every expected report of a round within a scope, by unit in unit-tree order and by
    given name within a unit."""

    kind: str  # 'unit' or 'person'
    entries: tuple[Expected, ...]

    @property
    def missing(self) -> list[Expected]:
        return [entry for entry in self.entries if entry.missing]

    def by_unit(self) -> list[UnitAnswers]:
        units: dict[int, list[Expected]] = {}
        for entry in self.entries:
            units.setdefault(entry.unit_id, []).append(entry)
        return [_unit_answers(entries) for entries in units.values()]

    def in_unit(self, unit_id: int) -> list[Expected]:
        """What a per-person round expects from each person of one unit, by given name (a
        principal's view of their staff)."""
        if self.kind != "person":
            return []
        return [entry for entry in self.entries if entry.unit_id == unit_id]


def _unit_answers(entries: list[Expected]) -> UnitAnswers:
    first = entries[0]
    counted = [e for e in entries if e.state is not State.NO_PRINCIPAL]

    def count(*states: State) -> int:
        return sum(1 for e in counted if e.state in states)

    return UnitAnswers(
        unit_id=first.unit_id,
        unit_name=first.unit_name,
        expected=len(counted),
        answered=count(State.ANSWERED),
        late=sum(1 for e in counted if e.answered and e.late),
        not_answered=count(State.NOT_ANSWERED, State.RETURNED),
        unregistered=count(State.UNREGISTERED),
        excused=count(State.EXCUSED),
        no_principal=len(counted) < len(entries),
    )


async def round_progress(
    db: Database, round_id: int, kind: str, audience: Audience, scope: set[int] | None
) -> RoundProgress:
    """Where each report the round expects from the audience (within the scope; None: all)
    stands."""
    people = [p for p in audience.people if scope is None or p.unit_id in scope]

    def work(conn: sqlite3.Connection) -> RoundProgress:
        submissions = {
            row[0]: (row[1], bool(row[2]))
            for row in conn.execute(
                "SELECT subject, status, late FROM submissions WHERE round_id = ?", (round_id,)
            )
        }
        order = read_unit_order(conn)
        entries = (_per_unit if kind == "unit" else _per_person)(people, submissions)
        ordered = sorted(
            entries, key=lambda e: (order.rank(e.unit_id), name_order_key(e.full_name))
        )
        return RoundProgress(kind, tuple(ordered))

    return await db.read(work)


def _state(found: tuple[str, bool] | None, registered: bool) -> tuple[State, bool]:
    if found is not None and found[0] == "submitted":
        return State.ANSWERED, found[1]
    if not registered:
        return State.UNREGISTERED, False
    if found is not None and found[0] == "returned":
        return State.RETURNED, False
    return State.NOT_ANSWERED, False


def _per_person(
    people: Iterable[Person], submissions: dict[str, tuple[str, bool]]
) -> list[Expected]:
    entries = []
    for person in people:
        state, late = _state(
            submissions.get(f"person:{person.id}"), person.telegram_id is not None
        )
        entries.append(Expected(person.unit_id, person.unit_name, person.full_name, state, late))
    return entries


def _per_unit(
    people: Iterable[Person], submissions: dict[str, tuple[str, bool]]
) -> list[Expected]:
    units: dict[int, list[Person]] = {}
    for person in people:
        units.setdefault(person.unit_id, []).append(person)
    entries = []
    for unit_id, members in units.items():
        principals = sorted(
            (p for p in members if p.role == "principal"),
            key=lambda p: name_order_key(p.full_name),
        )
        found = submissions.get(f"unit:{unit_id}")
        unit_name = members[0].unit_name
        if not principals:
            if found is not None and found[0] == "submitted":
                entries.append(Expected(unit_id, unit_name, "", State.ANSWERED, found[1]))
            elif any(p.role != "office" for p in members):
                # Offices do not answer per-unit rounds: only a school without its principal
                # is missing one.
                entries.append(Expected(unit_id, unit_name, "", State.NO_PRINCIPAL))
            continue
        registered = any(p.telegram_id is not None for p in principals)
        state, late = _state(found, registered)
        names = ", ".join(p.full_name for p in principals)
        entries.append(Expected(unit_id, unit_name, names, state, late))
    return entries
