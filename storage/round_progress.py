"""Who has answered a round: per unit for the office, per person for a principal."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database
from storage.text import name_order_key, vietnamese_key


@dataclass(frozen=True)
class UnitAnswers:
    unit_id: int
    unit_name: str
    expected: int
    answered: int
    late: int


@dataclass(frozen=True)
class PersonAnswer:
    full_name: str
    status: str | None  # None: not started; 'draft', 'submitted', 'returned'
    late: bool


async def _recipients(db: Database, campaign_id: int) -> list[tuple[int, int, str, str, str]]:
    """(person id, unit id, unit name, full name, role) of everyone the campaign reached."""
    rows = await db.fetchall(
        "SELECT DISTINCT p.id, u.id, u.name, p.full_name, p.role FROM broadcasts b"
        " JOIN outbox o ON o.broadcast_id = b.id JOIN people p ON p.id = o.person_id"
        " JOIN units u ON u.id = p.unit_id"
        " WHERE b.campaign_id = ? AND b.kind = 'campaign' AND p.active = 1",
        (campaign_id,),
    )
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


async def _submissions(db: Database, round_id: int) -> dict[str, tuple[str, bool]]:
    rows = await db.fetchall(
        "SELECT subject, status, late FROM submissions WHERE round_id = ?", (round_id,)
    )
    return {row[0]: (row[1], bool(row[2])) for row in rows}


async def answers_by_unit(
    db: Database, round_id: int, campaign_id: int, kind: str, scope: set[int] | None
) -> list[UnitAnswers]:
    """Per unit: how many reports are expected, submitted, and submitted late. A report sent
    back for additions counts as not answered until it is sent again."""
    submissions = await _submissions(db, round_id)
    names: dict[int, str] = {}
    expected: dict[int, set[str]] = {}
    for person_id, unit_id, unit_name, _, role in await _recipients(db, campaign_id):
        if scope is not None and unit_id not in scope:
            continue
        names[unit_id] = unit_name
        subjects = expected.setdefault(unit_id, set())
        if kind == "person":
            subjects.add(f"person:{person_id}")
        elif role == "principal":
            subjects.add(f"unit:{unit_id}")
    result = []
    for unit_id, subjects in expected.items():
        if not subjects:
            continue
        done = [submissions[s] for s in subjects if s in submissions]
        answered = sum(1 for status, _ in done if status == "submitted")
        late = sum(1 for status, late in done if status == "submitted" and late)
        result.append(UnitAnswers(unit_id, names[unit_id], len(subjects), answered, late))
    return sorted(result, key=lambda u: vietnamese_key(u.unit_name))


async def answers_in_unit(
    db: Database, round_id: int, campaign_id: int, unit_id: int
) -> list[PersonAnswer]:
    """Each person of the unit the campaign reached, and where their report stands."""
    submissions = await _submissions(db, round_id)
    people = [
        (name, submissions.get(f"person:{person_id}"))
        for person_id, person_unit, _, name, _ in await _recipients(db, campaign_id)
        if person_unit == unit_id
    ]
    answers = [
        PersonAnswer(name, found[0] if found else None, bool(found and found[1]))
        for name, found in people
    ]
    return sorted(answers, key=lambda a: name_order_key(a.full_name))
