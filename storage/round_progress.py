"""Who has answered a round, counted against everyone in the campaign's audience on the
roster today, not only those who happen to be registered.

A per-person round expects one report from each person of the audience; a per-unit round
expects one from each unit of the audience with a principal in it (the principal answers). A
unit with audience people but no principal on the roster cannot answer: it is listed as
missing with that reason instead of vanishing. Each expected report is answered (submitted;
one sent back for additions counts as not answered until it is sent again), not answered,
not registered (nobody who could answer has registered), or excused: absent (storage/absences.py)
on the round's deadline day or on the day asked about. An excused person is neither reminded
nor counted as missing; in a per-unit round the unit is excused when every principal is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from storage.absences import absent_on
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
    EXCUSED = "excused"  # absent (leave, sickness…): storage/absences.py


@dataclass(frozen=True)
class Expected:
    """One report the round expects, and where it stands. Per person: `full_name` is the
    person; per unit: the principal(s) who answer, "" when the unit has none."""

    unit_id: int
    unit_name: str
    full_name: str
    state: State
    late: bool = False
    # Who answers it and may be reminded: the person, or the unit's registered principals who
    # are not absent (empty when nobody can be reached).
    person_ids: tuple[int, ...] = ()

    @property
    def owed(self) -> bool:
        """Someone registered owes it now: what reminders and overdue notices go to."""
        return self.state in (State.NOT_ANSWERED, State.RETURNED) and bool(self.person_ids)

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
    excused: int = 0  # absent people (per unit: every principal is absent)
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
    db: Database, round_id: int, kind: str, audience: Audience, scope: set[int] | None,
    today: date | None = None,
) -> RoundProgress:  # fmt: skip
    """Where each report the round expects from the audience (within the scope; None: all)
    stands. Absent on the round's deadline day, or on `today` (the bot's local date) when
    given, counts as excused."""
    people = [p for p in audience.people if scope is None or p.unit_id in scope]

    def work(conn: sqlite3.Connection) -> RoundProgress:
        submissions = read_submissions(conn, round_id)
        row = conn.execute("SELECT deadline FROM rounds WHERE id = ?", (round_id,)).fetchone()
        days = excuse_days(datetime.fromisoformat(row[0]), today) if row else ()
        excused = absent_on(conn, days)
        order = read_unit_order(conn)
        entries = expected_reports(kind, people, submissions, excused)
        ordered = sorted(
            entries, key=lambda e: (order.rank(e.unit_id), name_order_key(e.full_name))
        )
        return RoundProgress(kind, tuple(ordered))

    return await db.read(work)


Submissions = dict[str, tuple[str, bool]]


def read_submissions(conn: sqlite3.Connection, round_id: int) -> Submissions:
    """The round's reports by subject: (status, late)."""
    return {
        row[0]: (row[1], bool(row[2]))
        for row in conn.execute(
            "SELECT subject, status, late FROM submissions WHERE round_id = ?", (round_id,)
        )
    }


def excuse_days(deadline: datetime, today: date | None) -> tuple[date, ...]:
    """The days on which being absent excuses from a round: its deadline day (in the time zone
    the deadline was given in, the bot's), and today when known."""
    days = [deadline.date()]
    if today is not None and today != days[0]:
        days.append(today)
    return tuple(days)


def expected_reports(
    kind: str, people: Iterable[Person], submissions: Submissions, excused: Collection[int]
) -> list[Expected]:
    """Every report a round expects from these people (its audience), unordered: the one
    rule progress, digests, reminders and overdue notices all follow. `excused`: ids of
    people absent on the days that count."""
    if kind == "unit":
        return _per_unit(people, submissions, excused)
    return _per_person(people, submissions, excused)


def submitted_ids(kind: str, submissions: Submissions) -> set[int]:
    """The people (per unit: the units) whose report of the round is submitted."""
    prefix = "unit:" if kind == "unit" else "person:"
    return {
        int(subject.removeprefix(prefix))
        for subject, (status, _) in submissions.items()
        if status == "submitted" and subject.startswith(prefix)
    }


def owed_people(
    kind: str, people: Iterable[Person], submitted: Collection[int], excused: Collection[int],
    registered: set[int] | None = None,
) -> set[int]:  # fmt: skip
    """Ids of the people who owe the round now: exactly those named by the `owed` entries of
    `expected_reports` (tests/test_reminders.py checks it), without building an entry per
    person, for a due-check that looks at every open round. `submitted`: `submitted_ids`;
    `registered`: the registered among `people`, when the caller already has them."""
    if kind == "unit":
        owed: set[int] = set()
        for person in people:
            if (
                person.role == "principal"
                and person.unit_id not in submitted
                and person.telegram_id is not None
                and person.id not in excused
            ):
                owed.add(person.id)
        return owed
    if registered is None:
        registered = {p.id for p in people if p.telegram_id is not None}
    return registered.difference(submitted, excused)


def _state(
    found: tuple[str, bool] | None, registered: bool, excused: bool = False
) -> tuple[State, bool]:
    if found is not None and found[0] == "submitted":
        return State.ANSWERED, found[1]
    if excused:
        return State.EXCUSED, False
    if not registered:
        return State.UNREGISTERED, False
    if found is not None and found[0] == "returned":
        return State.RETURNED, False
    return State.NOT_ANSWERED, False


def _per_person(
    people: Iterable[Person], submissions: Submissions, excused: Collection[int]
) -> list[Expected]:
    entries = []
    for person in people:
        registered = person.telegram_id is not None
        state, late = _state(
            submissions.get(f"person:{person.id}"), registered, person.id in excused
        )
        ids = (person.id,) if registered and state is not State.EXCUSED else ()
        entries.append(
            Expected(person.unit_id, person.unit_name, person.full_name, state, late, ids)
        )
    return entries


def _per_unit(
    people: Iterable[Person], submissions: Submissions, excused: Collection[int]
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
        present = [p for p in principals if p.id not in excused]
        registered = any(p.telegram_id is not None for p in present)
        state, late = _state(found, registered, not present)
        names = ", ".join(p.full_name for p in present or principals)
        ids = tuple(p.id for p in present if p.telegram_id is not None)
        entries.append(Expected(unit_id, unit_name, names, state, late, ids))
    return entries
