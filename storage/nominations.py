"""Quarterly nominations of good examples: filing within a quota, review level by level (a
school's Phòng, then the Sở), an append-only history, publishing, and progress per unit.

Each business action (file, resend, withdraw, decide, publish) is one transaction with the
messages it causes, queued through the outbox.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.db import Database
from storage.drafts import FlowEnd, consume_draft, end_flow
from storage.models import Person
from storage.ordering import UnitOrder, read_unit_order
from storage.outbox import enqueue_broadcast, enqueue_to_person
from storage.outgoing import OutgoingMessage
from storage.people import person_from_row
from storage.quarters import Quarter
from storage.text import fold, name_order_key

ACTIVE = ("pending", "returned", "approved")  # what counts against the quota
OPEN = ("pending", "returned")  # not decided yet
RECOGNITION_WINDOW = 4  # quarters looked back for an earlier recognition


@dataclass(frozen=True)
class NominationSpec:
    """What a nomination says, as the nominator filed it."""

    unit_id: int
    quarter: Quarter
    kind: str  # 'individual' or 'collective'
    person_id: int | None  # the nominee on the roster (an individual picked from it)
    nominee_name: str
    position: str
    field: str
    summary: str
    evidence: tuple[int, ...] = ()
    campaign_id: int | None = None


@dataclass(frozen=True)
class Nomination:
    id: int
    unit_id: int
    unit_name: str
    quarter: Quarter
    kind: str
    person_id: int | None
    nominee_name: str
    position: str
    field: str
    summary: str
    evidence: tuple[int, ...]
    campaign_id: int | None
    campaign_title: str | None
    nominated_by: int | None
    nominated_by_telegram: int
    nominator_name: str | None  # None: an OFFICE_ADMIN_IDS admin off the roster
    status: str
    review_unit_id: int
    stage: int  # levels that approved it and sent it up
    queued_at: datetime
    reason: str | None
    returned_by: int | None
    returned_by_name: str | None
    created_at: datetime

    @property
    def open(self) -> bool:
        return self.status in OPEN

    @property
    def replaceable(self) -> bool:
        """Still pending at its first level: another nomination may take its place."""
        return self.status in OPEN and self.stage == 0


@dataclass(frozen=True)
class HistoryEntry:
    event: str
    who: str | None  # None: an admin off the roster
    who_unit: str | None
    unit_name: str | None  # the reviewing unit, for decisions
    reason: str | None
    replaced_by: int | None
    at: datetime


@dataclass(frozen=True)
class Card:
    """A nomination as the office reviews it: with its history and what an award officer
    checks (an earlier recognition, the same person put forward twice this quarter)."""

    nomination: Nomination
    history: tuple[HistoryEntry, ...]
    recognized: tuple[Quarter, ...]  # approved in one of the last four quarters
    twins: tuple[str, ...]  # units in the viewer's scope that also put it forward this quarter
    reviewer_unit_id: int  # whose office decides now
    reviewer_unit_name: str
    proposed_by: tuple[str, ...] = ()  # lower levels that approved it and sent it up
    twins_outside: int = 0  # … and units outside the viewer's scope (not named)


@dataclass(frozen=True)
class QuotaStatus:
    quota: int
    used: tuple[Nomination, ...]
    campaign_id: int | None  # the campaign whose own quota applies (None: NOMINATION_QUOTA)

    @property
    def full(self) -> bool:
        return len(self.used) >= self.quota

    @property
    def replaceable(self) -> list[Nomination]:
        return [n for n in self.used if n.replaceable]


@dataclass(frozen=True)
class Filed:
    """The outcome of filing: the new nomination's id, or why not (the quota is full, or the
    nomination chosen to be replaced is no longer pending)."""

    nomination_id: int | None
    outcome: str  # 'created', 'full', 'replace_gone'
    quota: QuotaStatus


@dataclass(frozen=True)
class Decision:
    """What a decision did, for the notice to the nominator (built inside the transaction)."""

    outcome: str  # 'forwarded', 'approved', 'rejected', 'returned'
    nomination: Nomination  # as it was before the decision
    reviewer_unit_name: str
    forwarded_to_name: str | None
    reason: str | None


@dataclass(frozen=True)
class CampaignSettings:
    campaign_id: int
    quota: int | None = None  # None: NOMINATION_QUOTA
    dossier: bool = False


@dataclass(frozen=True)
class UnitNominations:
    """One unit's nominations of a quarter, for /tiendo."""

    unit_id: int
    unit_name: str
    pending: int = 0
    approved: int = 0
    rejected: int = 0

    @property
    def none(self) -> bool:
        return not (self.pending or self.approved or self.rejected)


@dataclass(frozen=True)
class UnitToPrompt:
    """A unit with no nomination this quarter, and its principals (quarter-end prompts)."""

    unit_id: int
    unit_name: str
    principals: tuple[Person, ...] = field(default=())


_SELECT = """
    SELECT n.id, n.unit_id, u.name, n.year, n.quarter, n.kind, n.person_id, n.nominee_name,
           n.position, n.field, n.summary, n.evidence, n.campaign_id, c.title, n.nominated_by,
           n.nominated_by_telegram, p.full_name, n.status, n.review_unit_id, n.stage,
           n.queued_at, n.reason, n.returned_by, rb.full_name, n.created_at
    FROM nominations n
    JOIN units u ON u.id = n.unit_id
    LEFT JOIN campaigns c ON c.id = n.campaign_id
    LEFT JOIN people p ON p.id = n.nominated_by
    LEFT JOIN people rb ON rb.id = n.returned_by
"""


def _nomination(row: Any) -> Nomination:
    return Nomination(
        id=row[0], unit_id=row[1], unit_name=row[2], quarter=Quarter(row[3], row[4]),
        kind=row[5], person_id=row[6], nominee_name=row[7], position=row[8], field=row[9],
        summary=row[10], evidence=tuple(int(i) for i in json.loads(row[11])),
        campaign_id=row[12], campaign_title=row[13], nominated_by=row[14],
        nominated_by_telegram=row[15], nominator_name=row[16], status=row[17],
        review_unit_id=row[18], stage=row[19], queued_at=datetime.fromisoformat(row[20]),
        reason=row[21], returned_by=row[22], returned_by_name=row[23],
        created_at=datetime.fromisoformat(row[24]),
    )  # fmt: skip


def nominee_key(kind: str, unit_id: int, name: str) -> str:
    """How the same nominee is recognised across nominations: an individual by folded name
    (the roster id is compared too, when both have one), a collective by unit and name."""
    folded = fold(name)
    return folded if kind == "individual" else f"{unit_id}:{folded}"


def _select(conn: sqlite3.Connection, nomination_id: int) -> Nomination | None:
    row = conn.execute(_SELECT + " WHERE n.id = ?", (nomination_id,)).fetchone()
    return None if row is None else _nomination(row)


def _fresh(conn: sqlite3.Connection, nomination_id: int) -> Nomination:
    found = _select(conn, nomination_id)
    if found is None:
        raise LookupError(f"nomination {nomination_id} vanished inside its own transaction")
    return found


async def get_nomination(db: Database, nomination_id: int) -> Nomination | None:
    return await db.read(lambda conn: _select(conn, nomination_id))


def _history(
    conn: sqlite3.Connection, nomination_id: int, event: str, person_id: int | None,
    telegram_id: int | None, now: datetime, *, unit_id: int | None = None,
    reason: str | None = None, replaced_by: int | None = None,
) -> None:  # fmt: skip
    """Append to a nomination's history (never updated nor deleted)."""
    conn.execute(
        "INSERT INTO nomination_history (nomination_id, event, person_id, telegram_id, unit_id,"
        " reason, replaced_by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (nomination_id, event, person_id, telegram_id, unit_id, reason, replaced_by,
         now.isoformat()),
    )  # fmt: skip


# ---- the tree: who reviews ------------------------------------------------------------------


@dataclass(frozen=True)
class _Tree:
    parent: dict[int, int | None]
    names: dict[int, str]
    offices: set[int]  # units with active office staff

    def reviewer(self, unit_id: int) -> int:
        """The office that decides for a nomination waiting at `unit_id`: that unit's, or if
        it has no office staff on the roster the nearest above it that has (else the top)."""
        current, seen = unit_id, set()
        while current not in self.offices and current not in seen:
            seen.add(current)
            parent = self.parent.get(current)
            if parent is None:
                break
            current = parent
        return current

    def first_reviewer(self, unit_id: int) -> int:
        """Where a unit's nomination goes first: the unit above it (a top unit: itself)."""
        parent = self.parent.get(unit_id)
        return unit_id if parent is None else parent

    def roots(self) -> set[int]:
        return {unit for unit, parent in self.parent.items() if parent is None}


def _tree(conn: sqlite3.Connection) -> _Tree:
    rows = conn.execute("SELECT id, parent_id, name FROM units").fetchall()
    offices = {
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT unit_id FROM people WHERE role = 'office' AND active = 1"
        )
    }
    return _Tree({r[0]: r[1] for r in rows}, {r[0]: r[2] for r in rows}, offices)


async def reviewer_units(db: Database, office_unit_id: int | None) -> set[int]:
    """The levels an office decides at: its own unit; an OFFICE_ADMIN_IDS admin who is not an
    office person (`office_unit_id` None) decides at the top units."""
    if office_unit_id is not None:
        return {office_unit_id}
    return await db.read(lambda conn: _tree(conn).roots())


# ---- quota -------------------------------------------------------------------------------


def _pool(
    conn: sqlite3.Connection, campaign_id: int | None, default_quota: int
) -> tuple[int, int | None]:
    """The quota that applies and the campaign whose own quota it is (None: the general one)."""
    if campaign_id is not None:
        row = conn.execute(
            "SELECT quota FROM campaign_nomination_settings WHERE campaign_id = ?",
            (campaign_id,),
        ).fetchone()
        if row is not None and row[0] is not None:
            return int(row[0]), campaign_id
    return default_quota, None


def _quota(
    conn: sqlite3.Connection, unit_id: int, quarter: Quarter, campaign_id: int | None,
    default_quota: int,
) -> QuotaStatus:  # fmt: skip
    quota, pool = _pool(conn, campaign_id, default_quota)
    marks = ",".join("?" * len(ACTIVE))
    where = (
        " AND n.campaign_id = ?"
        if pool is not None
        else " AND (n.campaign_id IS NULL OR n.campaign_id NOT IN (SELECT campaign_id FROM"
        " campaign_nomination_settings WHERE quota IS NOT NULL))"
    )
    params: tuple[Any, ...] = (unit_id, quarter.year, quarter.number, *ACTIVE)
    rows = conn.execute(
        _SELECT
        + f" WHERE n.unit_id = ? AND n.year = ? AND n.quarter = ? AND n.status IN ({marks})"
        + where
        + " ORDER BY n.created_at, n.id",
        params + ((pool,) if pool is not None else ()),
    ).fetchall()
    return QuotaStatus(quota, tuple(_nomination(r) for r in rows), pool)


async def quota_status(
    db: Database, unit_id: int, quarter: Quarter, campaign_id: int | None, default_quota: int
) -> QuotaStatus:
    """How many nominations the unit has put forward this quarter against the quota that
    applies (a campaign's own, or NOMINATION_QUOTA for the rest); withdrawn and rejected ones
    do not count."""
    return await db.read(lambda conn: _quota(conn, unit_id, quarter, campaign_id, default_quota))


async def file_nomination(
    db: Database, spec: NominationSpec, *, nominated_by: int | None, telegram_id: int,
    default_quota: int, now: datetime, replaces: int | None = None,
    flow_end: FlowEnd | None = None,
) -> Filed:  # fmt: skip
    """File a nomination within the quota, in one transaction: `replaces` (a pending
    nomination of the same unit, quarter and quota) is withdrawn in its favour. `flow_end`:
    the nominator's draft and conversation, which end with it (`DraftGone`, and nothing
    filed, if the draft no longer carries its token); over the quota they stay."""

    def work(conn: sqlite3.Connection) -> Filed:
        status = _quota(conn, spec.unit_id, spec.quarter, spec.campaign_id, default_quota)
        used = list(status.used)
        replaced = None
        if replaces is not None:
            replaced = next((n for n in used if n.id == replaces and n.replaceable), None)
            if replaced is None:
                return Filed(None, "replace_gone", status)
            used.remove(replaced)
        if len(used) >= status.quota:
            return Filed(None, "full", status)
        if flow_end is not None:
            consume_draft(conn, flow_end)
        tree = _tree(conn)
        stamp = now.isoformat()
        cursor = conn.execute(
            "INSERT INTO nominations (unit_id, year, quarter, kind, person_id, nominee_name,"
            " nominee_key, position, field, summary, evidence, campaign_id, nominated_by,"
            " nominated_by_telegram, status, review_unit_id, stage, queued_at, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, 0, ?,"
            " ?, ?)",
            (spec.unit_id, spec.quarter.year, spec.quarter.number, spec.kind, spec.person_id,
             spec.nominee_name, nominee_key(spec.kind, spec.unit_id, spec.nominee_name),
             spec.position, spec.field, spec.summary, json.dumps(list(spec.evidence)),
             spec.campaign_id, nominated_by, telegram_id, tree.first_reviewer(spec.unit_id),
             stamp, stamp, stamp),
        )  # fmt: skip
        nomination_id = int(cursor.lastrowid or 0)
        if replaced is not None:
            conn.execute(
                "UPDATE nominations SET status = 'withdrawn', updated_at = ? WHERE id = ?",
                (stamp, replaced.id),
            )
            _history(conn, replaced.id, "withdrawn", nominated_by, telegram_id, now,
                     replaced_by=nomination_id)  # fmt: skip
        _history(conn, nomination_id, "created", nominated_by, telegram_id, now)
        return Filed(nomination_id, "created", status)

    return await db.transact(work)


async def resend_nomination(
    db: Database, nomination_id: int, spec: NominationSpec, *, person_id: int | None,
    telegram_id: int, now: datetime, notice: OutgoingMessage | None = None,
    flow_end: FlowEnd | None = None,
) -> bool:  # fmt: skip
    """A nomination sent back for additions, completed and sent again: it waits again where
    it was sent back from; the office person who sent it back gets `notice`; the
    nominator's draft and conversation (`flow_end`) end with it (`DraftGone`, and nothing
    sent, if the draft no longer carries its token). False if it is no longer waiting for
    additions (the flow ends all the same)."""

    def work(conn: sqlite3.Connection) -> bool:
        if flow_end is not None:
            consume_draft(conn, flow_end)
        before = _select(conn, nomination_id)
        if before is None or before.status != "returned":
            return False
        stamp = now.isoformat()
        conn.execute(
            "UPDATE nominations SET kind = ?, person_id = ?, nominee_name = ?, nominee_key = ?,"
            " position = ?, field = ?, summary = ?, evidence = ?, campaign_id = ?,"
            " status = 'pending', queued_at = ?, updated_at = ? WHERE id = ?",
            (spec.kind, spec.person_id, spec.nominee_name,
             nominee_key(spec.kind, before.unit_id, spec.nominee_name), spec.position,
             spec.field, spec.summary, json.dumps(list(spec.evidence)), spec.campaign_id,
             stamp, stamp, nomination_id),
        )  # fmt: skip
        _history(conn, nomination_id, "edited", person_id, telegram_id, now)
        enqueue_to_person(conn, before.returned_by, notice, created_by=telegram_id,
                          campaign_id=spec.campaign_id, now=now)  # fmt: skip
        return True

    return await db.transact(work)


async def withdraw_nomination(
    db: Database, nomination_id: int, *, person_id: int | None, telegram_id: int, now: datetime
) -> Nomination | None:
    """The nominator withdraws a nomination not yet decided; None if it was decided (or
    withdrawn) meanwhile."""

    def work(conn: sqlite3.Connection) -> Nomination | None:
        changed = conn.execute(
            "UPDATE nominations SET status = 'withdrawn', updated_at = ?"
            " WHERE id = ? AND status IN ('pending', 'returned')",
            (now.isoformat(), nomination_id),
        ).rowcount
        if changed != 1:
            return None
        _history(conn, nomination_id, "withdrawn", person_id, telegram_id, now)
        return _fresh(conn, nomination_id)

    return await db.transact(work)


# ---- review ------------------------------------------------------------------------------


async def review_queue(db: Database, reviewers: set[int], scope: set[int] | None) -> list[int]:
    """Nominations waiting for a decision at these levels, within the scope (None: every
    unit), oldest first (by when they reached this level)."""

    def work(conn: sqlite3.Connection) -> list[int]:
        tree = _tree(conn)
        rows = conn.execute(
            "SELECT id, unit_id, review_unit_id FROM nominations WHERE status = 'pending'"
            " ORDER BY queued_at, id"
        ).fetchall()
        return [
            row[0]
            for row in rows
            if (scope is None or row[1] in scope) and tree.reviewer(row[2]) in reviewers
        ]

    return await db.read(work)


def _card(conn: sqlite3.Connection, nomination: Nomination, scope: set[int] | None) -> Card:
    tree = _tree(conn)
    history = tuple(
        HistoryEntry(r[0], r[1], r[2], r[3], r[4], r[5], datetime.fromisoformat(r[6]))
        for r in conn.execute(
            "SELECT h.event, p.full_name, pu.name, ru.name, h.reason, h.replaced_by, h.at"
            " FROM nomination_history h LEFT JOIN people p ON p.id = h.person_id"
            " LEFT JOIN units pu ON pu.id = p.unit_id LEFT JOIN units ru ON ru.id = h.unit_id"
            " WHERE h.nomination_id = ? ORDER BY h.id",
            (nomination.id,),
        )
    )
    same = (
        "n.kind = :kind AND n.id != :id AND ("
        "(n.person_id IS NOT NULL AND n.person_id = :person)"
        " OR ((n.person_id IS NULL OR :person IS NULL) AND n.nominee_key = :key))"
    )
    values = {
        "kind": nomination.kind,
        "id": nomination.id,
        "person": nomination.person_id,
        "key": nominee_key(nomination.kind, nomination.unit_id, nomination.nominee_name),
    }
    earlier = {q.key for q in nomination.quarter.before(RECOGNITION_WINDOW)}
    recognized = sorted(
        {
            Quarter(r[0], r[1])
            for r in conn.execute(
                "SELECT n.year, n.quarter FROM nominations n"  # noqa: S608 (constant SQL)
                f" WHERE n.status = 'approved' AND {same}",
                values,
            )
            if r[0] * 10 + r[1] in earlier
        },
        reverse=True,
    )
    others = conn.execute(
        "SELECT u.id, u.name FROM nominations n JOIN units u ON u.id = n.unit_id"  # noqa: S608
        f" WHERE n.year = :year AND n.quarter = :quarter AND n.status != 'withdrawn'"
        f" AND {same} ORDER BY n.id",
        {**values, "year": nomination.quarter.year, "quarter": nomination.quarter.number},
    ).fetchall()
    twins = tuple(r[1] for r in others if scope is None or r[0] in scope)
    reviewer = tree.reviewer(nomination.review_unit_id)
    proposed = tuple(entry.unit_name or "" for entry in history if entry.event == "approved")
    return Card(nomination, history, tuple(recognized), twins, reviewer,
                tree.names.get(reviewer, ""), proposed, len(others) - len(twins))  # fmt: skip


async def nomination_card(
    db: Database, nomination_id: int, scope: set[int] | None = None
) -> Card | None:
    """The card as someone with this scope (None: every unit) sees it: other units that put
    the same nominee forward are named only within the scope."""

    def work(conn: sqlite3.Connection) -> Card | None:
        nomination = _select(conn, nomination_id)
        return None if nomination is None else _card(conn, nomination, scope)

    return await db.read(work)


DECISIONS = {"approve", "reject", "return"}


async def decide(
    db: Database, nomination_id: int, action: str, *, reviewers: set[int],
    person_id: int | None, telegram_id: int, reason: str | None, now: datetime,
    notice: Callable[[Decision], OutgoingMessage | None], flow_end: FlowEnd | None = None,
) -> Decision | None:  # fmt: skip
    """An office decides at its level: approve (a lower level sends it up to the next office
    as its proposal; the top level's approval is final), reject, or send back for additions.
    The nominator's notice, `notice(decision)` (run inside the transaction, so pure), is
    queued in the same transaction, and so is the end of the office's flow that asked for
    the reason (`flow_end`, ended even when nothing is decided). None if the nomination is
    not (any more) waiting for these reviewers."""
    if action not in DECISIONS:
        raise ValueError(f"unknown decision {action!r}")

    def work(conn: sqlite3.Connection) -> Decision | None:
        if flow_end is not None:
            end_flow(conn, flow_end)
        before = _select(conn, nomination_id)
        if before is None or before.status != "pending":
            return None
        tree = _tree(conn)
        reviewer = tree.reviewer(before.review_unit_id)
        if reviewer not in reviewers:
            return None
        stamp = now.isoformat()
        above = tree.parent.get(reviewer)
        forwarded_to = None
        if action == "approve" and above is not None:
            outcome = "forwarded"
            forwarded_to = tree.names.get(tree.reviewer(above), "")
            conn.execute(
                "UPDATE nominations SET review_unit_id = ?, stage = stage + 1, queued_at = ?,"
                " updated_at = ? WHERE id = ?",
                (above, stamp, stamp, nomination_id),
            )
        elif action == "approve":
            outcome = "approved"
            conn.execute(
                "UPDATE nominations SET status = 'approved', review_unit_id = ?, updated_at = ?"
                " WHERE id = ?",
                (reviewer, stamp, nomination_id),
            )
        elif action == "reject":
            outcome = "rejected"
            conn.execute(
                "UPDATE nominations SET status = 'rejected', reason = ?, review_unit_id = ?,"
                " updated_at = ? WHERE id = ?",
                (reason, reviewer, stamp, nomination_id),
            )
        else:
            outcome = "returned"
            conn.execute(
                "UPDATE nominations SET status = 'returned', reason = ?, returned_by = ?,"
                " review_unit_id = ?, updated_at = ? WHERE id = ?",
                (reason, person_id, reviewer, stamp, nomination_id),
            )
        event = {"forwarded": "approved"}.get(outcome, outcome)
        _history(conn, nomination_id, event, person_id, telegram_id, now, unit_id=reviewer,
                 reason=reason)  # fmt: skip
        decision = Decision(outcome, before, tree.names.get(reviewer, ""), forwarded_to, reason)
        enqueue_to_person(conn, before.nominated_by, notice(decision), created_by=telegram_id,
                          campaign_id=before.campaign_id, now=now)  # fmt: skip
        return decision

    return await db.transact(work)


# ---- the unit's own view -----------------------------------------------------------------


async def unit_nominations(db: Database, unit_id: int, quarter: Quarter) -> list[Nomination]:
    """A unit's nominations of a quarter (withdrawn ones left out), in the order filed."""
    rows = await db.fetchall(
        _SELECT + " WHERE n.unit_id = ? AND n.year = ? AND n.quarter = ?"
        " AND n.status != 'withdrawn' ORDER BY n.created_at, n.id",
        (unit_id, quarter.year, quarter.number),
    )
    return [_nomination(row) for row in rows]


async def quarter_progress(
    db: Database, scope: set[int] | None, quarter: Quarter
) -> list[UnitNominations]:
    """Per unit in the scope, in unit-tree order: its nominations of the quarter by status
    (pending counts those sent back too). Units listed: those with a principal (the ones
    expected to nominate) and any other that nominated."""

    def work(conn: sqlite3.Connection) -> tuple[list[Any], list[Any], UnitOrder]:
        counts = conn.execute(
            "SELECT n.unit_id, u.name, SUM(n.status IN ('pending', 'returned')),"
            " SUM(n.status = 'approved'), SUM(n.status = 'rejected') FROM nominations n"
            " JOIN units u ON u.id = n.unit_id WHERE n.year = ? AND n.quarter = ?"
            " AND n.status != 'withdrawn' GROUP BY n.unit_id, u.name",
            (quarter.year, quarter.number),
        ).fetchall()
        expected = conn.execute(
            "SELECT DISTINCT u.id, u.name FROM units u JOIN people p ON p.unit_id = u.id"
            " WHERE u.active = 1 AND p.active = 1 AND p.role = 'principal'"
        ).fetchall()
        return counts, expected, read_unit_order(conn)

    counts, expected, order = await db.read(work)
    units = {row[0]: UnitNominations(row[0], row[1]) for row in expected}
    for row in counts:
        units[row[0]] = UnitNominations(row[0], row[1], int(row[2]), int(row[3]), int(row[4]))
    shown = [u for u in units.values() if scope is None or u.unit_id in scope]
    return order.sort(shown, lambda u: u.unit_id)


async def units_without_nomination(
    db: Database, scope: set[int] | None, quarter: Quarter
) -> list[UnitToPrompt]:
    """Units in the scope (None: every unit) that have an active principal and no nomination
    in the quarter (a withdrawn one does not count), in unit-tree order, each with its active
    principals by given name: whom the quarter-end prompts remind."""

    def work(conn: sqlite3.Connection) -> tuple[list[Any], set[int], UnitOrder]:
        principals = conn.execute(
            "SELECT p.id, p.full_name, p.phone, p.role, p.unit_id, u.code AS unit_code,"
            " u.name AS unit_name, p.telegram_id, p.active FROM people p"
            " JOIN units u ON u.id = p.unit_id"
            " WHERE p.role = 'principal' AND p.active = 1 AND u.active = 1"
        ).fetchall()
        nominated = {
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT unit_id FROM nominations WHERE year = ? AND quarter = ?"
                " AND status != 'withdrawn'",
                (quarter.year, quarter.number),
            )
        }
        return principals, nominated, read_unit_order(conn)

    rows, nominated, order = await db.read(work)
    by_unit: dict[int, list[Person]] = {}
    for row in rows:
        person = person_from_row(row)
        if person.unit_id in nominated or (scope is not None and person.unit_id not in scope):
            continue
        by_unit.setdefault(person.unit_id, []).append(person)
    prompts = [
        UnitToPrompt(unit_id, people[0].unit_name,
                     tuple(sorted(people, key=lambda p: name_order_key(p.full_name))))
        for unit_id, people in by_unit.items()
    ]  # fmt: skip
    return order.sort(prompts, lambda p: p.unit_id)


# ---- campaign settings ---------------------------------------------------------------------


async def campaign_settings(db: Database, campaign_id: int) -> CampaignSettings:
    row = await db.fetchone(
        "SELECT quota, dossier FROM campaign_nomination_settings WHERE campaign_id = ?",
        (campaign_id,),
    )
    if row is None:
        return CampaignSettings(campaign_id)
    return CampaignSettings(campaign_id, row[0], bool(row[1]))


async def set_campaign_settings(
    db: Database, settings: CampaignSettings, updated_by: int, now: datetime
) -> None:
    await db.write(
        "INSERT INTO campaign_nomination_settings (campaign_id, quota, dossier, updated_by,"
        " updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (campaign_id) DO UPDATE SET"
        " quota = excluded.quota, dossier = excluded.dossier, updated_by = excluded.updated_by,"
        " updated_at = excluded.updated_at",
        (settings.campaign_id, settings.quota, int(settings.dossier), updated_by,
         now.isoformat()),
    )  # fmt: skip


# ---- publishing -------------------------------------------------------------------------------


async def publishable(
    db: Database, publisher_unit_id: int | None, scope: set[int] | None, quarter: Quarter
) -> list[Nomination]:
    """The quarter's examples an office may publish, units in tree order: those approved at
    the top, and (for a lower office) those it approved itself and sent up that are not
    rejected above, within its scope."""

    def work(conn: sqlite3.Connection) -> tuple[list[Nomination], UnitOrder]:
        rows = conn.execute(
            _SELECT + " WHERE n.year = ? AND n.quarter = ? AND (n.status = 'approved'"
            " OR (n.status IN ('pending', 'returned') AND EXISTS (SELECT 1 FROM"
            " nomination_history h WHERE h.nomination_id = n.id AND h.event = 'approved'"
            " AND h.unit_id = ?)))",
            (quarter.year, quarter.number, publisher_unit_id),
        ).fetchall()
        return [_nomination(r) for r in rows], read_unit_order(conn)

    found, order = await db.read(work)
    shown = [n for n in found if scope is None or n.unit_id in scope]
    return order.sort_people(shown, lambda n: n.unit_id, lambda n: n.nominee_name)


async def published_before(
    db: Database, publisher_unit_id: int | None, quarter: Quarter
) -> list[datetime]:
    """When this office already published the quarter's examples, latest first."""
    rows = await db.fetchall(
        "SELECT published_at FROM nomination_publications"
        " WHERE (unit_id = ? OR (unit_id IS NULL AND ? IS NULL)) AND year = ? AND quarter = ?"
        " ORDER BY id DESC",
        (publisher_unit_id, publisher_unit_id, quarter.year, quarter.number),
    )
    return [datetime.fromisoformat(row[0]) for row in rows]


async def publish(
    db: Database, *, token: str, publisher_unit_id: int | None, quarter: Quarter,
    campaign_id: int | None, nomination_ids: Sequence[int], message: OutgoingMessage,
    recipients: Iterable[tuple[int, int]], person_id: int | None, telegram_id: int,
    progress_chat_id: int | None, progress_message_id: int | None, now: datetime,
    flow_end: FlowEnd | None = None,
) -> int | None:  # fmt: skip
    """One broadcast of the examples, one outbox row per recipient (each person once), the
    publication, a 'published' entry in each nomination's history and the end of the
    office's draft (`flow_end`: `DraftGone` if it no longer carries its token), in one
    transaction. None if this `token` was already published."""
    unique: dict[int, int] = {}
    for person, chat in recipients:
        unique.setdefault(person, chat)

    def work(conn: sqlite3.Connection) -> int | None:
        if flow_end is not None:
            consume_draft(conn, flow_end)
        done = conn.execute(
            "SELECT 1 FROM nomination_publications WHERE token = ?", (token,)
        ).fetchone()
        if done is not None:
            return None
        broadcast_id = enqueue_broadcast(
            conn, kind="announcement", campaign_id=campaign_id, message=message,
            created_by=telegram_id, progress_chat_id=progress_chat_id,
            progress_message_id=progress_message_id, recipients=list(unique.items()), now=now,
        )  # fmt: skip
        conn.execute(
            "INSERT INTO nomination_publications (token, unit_id, year, quarter, campaign_id,"
            " broadcast_id, published_by, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (token, publisher_unit_id, quarter.year, quarter.number, campaign_id, broadcast_id,
             telegram_id, now.isoformat()),
        )  # fmt: skip
        for nomination_id in nomination_ids:
            _history(conn, nomination_id, "published", person_id, telegram_id, now,
                     unit_id=publisher_unit_id)  # fmt: skip
        return broadcast_id

    return await db.transact(work)
