"""Campaigns: launch (with its broadcast, in one transaction), audience, acknowledgements,
and delivery progress per unit."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from storage.access import subtree_unit_ids
from storage.audiences import answers_rounds
from storage.db import Database
from storage.drafts import FlowEnd, consume_draft
from storage.models import ROLES, Person
from storage.ordering import UnitOrder, read_unit_order
from storage.outbox import enqueue_broadcast
from storage.outgoing import OutgoingMessage
from storage.people import people_in_units
from storage.schedule import offsets_of_text, offsets_text

FORMS = ("short", "participation", "review")  # built-in report forms until custom forms land


@dataclass(frozen=True)
class Target:
    text: str
    value: float | None = None
    value_unit: str | None = None


@dataclass(frozen=True)
class Round:
    name: str
    kind: str  # 'unit' (the principal answers) or 'person'
    deadline: datetime
    form: str
    id: int | None = None
    form_json: str | None = None  # an office's own form (formats.forms.Form as JSON)
    closed: bool = False  # the office stopped taking reports
    # Its own reminder offsets, chosen in /phatdong; None: REMINDER_OFFSETS (storage/schedule.py)
    offsets: tuple[timedelta, ...] | None = None


@dataclass(frozen=True)
class CampaignSpec:
    """Everything the office chose in /phatdong."""

    title: str
    plan_number: str
    issuer_unit_id: int | None
    period_from: date | None
    period_to: date | None
    summary: str
    targets: tuple[Target, ...]
    audience_all: bool
    units: tuple[tuple[int, bool], ...]  # (unit id, include its sub-units) when not all
    roles: tuple[str, ...]
    document_file_id: str | None
    document_name: str | None
    document_path: str | None
    rounds: tuple[Round, ...]


@dataclass(frozen=True)
class Campaign:
    id: int
    spec: CampaignSpec
    status: str
    launched_at: datetime | None
    rounds: tuple[Round, ...] = field(default=())


@dataclass(frozen=True)
class Audience:
    unit_ids: frozenset[int]
    people: tuple[Person, ...]

    @property
    def registered(self) -> list[Person]:
        return [p for p in self.people if p.telegram_id is not None]

    @property
    def unregistered(self) -> int:
        return sum(1 for p in self.people if p.telegram_id is None)


async def all_unit_ids(db: Database) -> set[int]:
    return {row[0] for row in await db.fetchall("SELECT id FROM units WHERE active = 1")}


async def audience_unit_ids(
    db: Database, issuer_unit_id: int | None, audience_all: bool, units: Iterable[tuple[int, bool]]
) -> set[int]:
    """The units a campaign is meant for: within the issuer's subtree (all units for an
    admin), every one of them or the chosen ones (with their sub-units when asked)."""
    scope = (
        await subtree_unit_ids(db, issuer_unit_id)
        if issuer_unit_id is not None
        else await all_unit_ids(db)
    )
    if audience_all:
        return scope
    chosen: set[int] = set()
    for unit_id, include_children in units:
        chosen |= await subtree_unit_ids(db, unit_id) if include_children else {unit_id}
    return chosen & scope


async def resolve_audience(
    db: Database,
    issuer_unit_id: int | None,
    audience_all: bool,
    units: Iterable[tuple[int, bool]],
    roles: Iterable[str],
) -> Audience:
    """Everyone the campaign reaches: within the issuer's subtree (all units for an admin)."""
    chosen = await audience_unit_ids(db, issuer_unit_id, audience_all, units)
    wanted = set(roles)
    people = [p for p in await people_in_units(db, sorted(chosen)) if p.role in wanted]
    return Audience(frozenset(chosen), tuple(people))


@dataclass(frozen=True)
class CampaignMessages:
    """What a campaign's recipients receive, in two versions: `answer` for those who have a
    round to answer (with «📝 Báo cáo»), `read` for those who only read it (the same message
    when the campaign has no rounds)."""

    answer: OutgoingMessage
    read: OutgoingMessage

    def for_recipient(self, answers: bool) -> OutgoingMessage:
        return self.answer if answers else self.read


def _row_messages(
    messages: CampaignMessages, people: Sequence[Person], kinds: Sequence[str]
) -> tuple[OutgoingMessage, dict[int, OutgoingMessage]]:
    """The broadcast's message (the version most recipients get) and a message of their own
    for the others, so each recipient gets the right version without a copy per row."""
    if messages.answer == messages.read:
        return messages.answer, {}
    answering = {p.id for p in people if answers_rounds(p.role, kinds)}
    most_answer = 2 * len(answering) >= len(people)
    other = messages.for_recipient(not most_answer)
    own = {p.id: other for p in people if (p.id in answering) != most_answer}
    return messages.for_recipient(most_answer), own


async def campaign_audience(db: Database, spec: CampaignSpec) -> Audience:
    """Everyone active on the roster today in a campaign's audience, registered or not:
    people who joined or registered after the launch count too."""
    return await resolve_audience(
        db, spec.issuer_unit_id, spec.audience_all, spec.units, spec.roles
    )


async def launch_campaign(
    db: Database,
    spec: CampaignSpec,
    *,
    created_by: int,
    payload_for: Callable[[int, Sequence[Round]], CampaignMessages],
    progress_chat_id: int | None,
    progress_message_id: int | None,
    now: datetime,
    flow_end: FlowEnd | None = None,
) -> tuple[int, int, Audience]:
    """Store the campaign, its rounds and one outbox row per registered recipient, in one
    transaction. `payload_for(campaign_id, rounds)` builds what recipients receive, in its two
    versions (each recipient gets the one for their role, and so do people who register
    later); it runs inside that transaction, in the database thread, so it must not touch the
    event loop. `flow_end`: the /phatdong draft that was confirmed ends in the same
    transaction; `DraftGone`, and nothing launched, if it already had."""
    audience = await resolve_audience(
        db, spec.issuer_unit_id, spec.audience_all, spec.units, spec.roles
    )

    recipients = [p for p in audience.registered if p.telegram_id]
    kinds = [r.kind for r in spec.rounds]

    def work(conn: sqlite3.Connection) -> tuple[int, int]:
        if flow_end is not None:
            consume_draft(conn, flow_end)
        campaign_id = _insert_campaign(conn, spec, created_by, now)
        rounds = _insert_rounds(conn, campaign_id, spec.rounds)
        messages = payload_for(campaign_id, rounds)
        conn.executemany(
            "INSERT INTO campaign_messages (campaign_id, audience, payload) VALUES (?, ?, ?)",
            [(campaign_id, "answer", messages.answer.encode()),
             (campaign_id, "read", messages.read.encode())],
        )  # fmt: skip
        shared, own = _row_messages(messages, recipients, kinds)
        broadcast_id = enqueue_broadcast(
            conn,
            kind="campaign",
            campaign_id=campaign_id,
            message=shared,
            created_by=created_by,
            progress_chat_id=progress_chat_id,
            progress_message_id=progress_message_id,
            recipients=[(p.id, p.telegram_id) for p in recipients if p.telegram_id],
            now=now,
            row_messages=own,
        )
        return campaign_id, broadcast_id

    campaign_id, broadcast_id = await db.transact(work)
    return campaign_id, broadcast_id, audience


def _insert_campaign(
    conn: sqlite3.Connection, spec: CampaignSpec, created_by: int, now: datetime
) -> int:
    cursor = conn.execute(
        "INSERT INTO campaigns (title, plan_number, issuer_unit_id, period_from, period_to,"
        " summary, audience_all, audience_roles, document_file_id, document_name,"
        " document_path, status, created_by, created_at, launched_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'launched', ?, ?, ?)",
        (
            spec.title,
            spec.plan_number,
            spec.issuer_unit_id,
            spec.period_from.isoformat() if spec.period_from else None,
            spec.period_to.isoformat() if spec.period_to else None,
            spec.summary,
            int(spec.audience_all),
            ",".join(spec.roles),
            spec.document_file_id,
            spec.document_name,
            spec.document_path,
            created_by,
            now.isoformat(),
            now.isoformat(),
        ),
    )
    campaign_id = cursor.lastrowid or 0
    conn.executemany(
        "INSERT INTO campaign_targets (campaign_id, position, text, value, value_unit)"
        " VALUES (?, ?, ?, ?, ?)",
        [(campaign_id, i, t.text, t.value, t.value_unit) for i, t in enumerate(spec.targets)],
    )
    conn.executemany(
        "INSERT INTO campaign_units (campaign_id, unit_id, include_children) VALUES (?, ?, ?)",
        [(campaign_id, unit_id, int(children)) for unit_id, children in spec.units],
    )
    return campaign_id


def _insert_rounds(
    conn: sqlite3.Connection, campaign_id: int, rounds: Sequence[Round]
) -> list[Round]:
    stored = []
    for position, item in enumerate(rounds):
        cursor = conn.execute(
            "INSERT INTO rounds (campaign_id, position, name, kind, deadline, form, form_json,"
            " reminder_offsets) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (campaign_id, position, item.name, item.kind, item.deadline.isoformat(), item.form,
             item.form_json, offsets_text(item.offsets) if item.offsets else None),
        )  # fmt: skip
        stored.append(
            Round(item.name, item.kind, item.deadline, item.form, cursor.lastrowid, item.form_json,
                  offsets=item.offsets)
        )  # fmt: skip
    return stored


async def get_campaign(db: Database, campaign_id: int) -> Campaign | None:
    row = await db.fetchone("SELECT * FROM campaigns WHERE id = ?", (campaign_id,))
    if row is None:
        return None
    targets = await db.fetchall(
        "SELECT text, value, value_unit FROM campaign_targets WHERE campaign_id = ?"
        " ORDER BY position",
        (campaign_id,),
    )
    units = await db.fetchall(
        "SELECT unit_id, include_children FROM campaign_units WHERE campaign_id = ?",
        (campaign_id,),
    )
    rounds = await db.fetchall(
        "SELECT id, name, kind, deadline, form, form_json, closed, reminder_offsets FROM rounds"
        " WHERE campaign_id = ?"
        " ORDER BY position",
        (campaign_id,),
    )
    round_list = tuple(
        Round(
            r["name"],
            r["kind"],
            datetime.fromisoformat(r["deadline"]),
            r["form"],
            r["id"],
            r["form_json"],
            bool(r["closed"]),
            offsets_of_text(r["reminder_offsets"]),
        )
        for r in rounds
    )
    spec = CampaignSpec(
        title=row["title"],
        plan_number=row["plan_number"],
        issuer_unit_id=row["issuer_unit_id"],
        period_from=date.fromisoformat(row["period_from"]) if row["period_from"] else None,
        period_to=date.fromisoformat(row["period_to"]) if row["period_to"] else None,
        summary=row["summary"],
        targets=tuple(Target(t[0], t[1], t[2]) for t in targets),
        audience_all=bool(row["audience_all"]),
        units=tuple((u[0], bool(u[1])) for u in units),
        roles=tuple(r for r in row["audience_roles"].split(",") if r in ROLES),
        document_file_id=row["document_file_id"],
        document_name=row["document_name"],
        document_path=row["document_path"],
        rounds=round_list,
    )
    launched = datetime.fromisoformat(row["launched_at"]) if row["launched_at"] else None
    return Campaign(row["id"], spec, row["status"], launched, round_list)


async def campaigns_visible(db: Database, scope: set[int] | None, limit: int = 10) -> list[int]:
    """Launched campaigns, newest first, that were issued in the scope, reached someone in it,
    or are meant for one of its units, even one where nobody has registered (None: every
    campaign)."""
    rows = await db.fetchall(
        "SELECT id, issuer_unit_id, audience_all FROM campaigns WHERE status != 'draft'"
        " ORDER BY id DESC"
    )
    if scope is None:
        return [row[0] for row in rows][:limit]
    reached = await db.fetchall(
        "SELECT DISTINCT b.campaign_id, p.unit_id FROM broadcasts b"
        " JOIN outbox o ON o.broadcast_id = b.id JOIN people p ON p.id = o.person_id"
        " WHERE b.kind = 'campaign'"
    )
    touching = {campaign for campaign, unit in reached if unit in scope}
    visible: list[int] = []
    for campaign_id, issuer, audience_all in rows:
        if len(visible) >= limit:
            break
        if (
            issuer in scope
            or campaign_id in touching
            or await _meant_for(db, campaign_id, issuer, bool(audience_all), scope)
        ):
            visible.append(campaign_id)
    return visible


async def campaign_visible(db: Database, campaign_id: int, scope: set[int] | None) -> bool:
    """May someone with this scope (None: every unit) see the campaign's progress? Yes when
    it was issued in the scope, reached someone in it, or is meant for one of its units."""
    row = await db.fetchone(
        "SELECT issuer_unit_id, audience_all FROM campaigns WHERE id = ? AND status != 'draft'",
        (campaign_id,),
    )
    if row is None:
        return False
    if scope is None or row[0] in scope:
        return True
    if not scope:
        return False
    marks = ",".join("?" * len(scope))
    reached = await db.fetchval(
        "SELECT 1 FROM broadcasts b JOIN outbox o ON o.broadcast_id = b.id"  # noqa: S608
        " JOIN people p ON p.id = o.person_id"
        f" WHERE b.kind = 'campaign' AND b.campaign_id = ? AND p.unit_id IN ({marks}) LIMIT 1",
        (campaign_id, *sorted(scope)),
    )
    return reached is not None or await _meant_for(db, campaign_id, row[0], bool(row[1]), scope)


async def _meant_for(
    db: Database, campaign_id: int, issuer_unit_id: int | None, audience_all: bool,
    scope: set[int],
) -> bool:  # fmt: skip
    """Is one of the scope's units in the campaign's audience?"""
    units = await db.fetchall(
        "SELECT unit_id, include_children FROM campaign_units WHERE campaign_id = ?",
        (campaign_id,),
    )
    chosen = [(u[0], bool(u[1])) for u in units]
    meant_for = await audience_unit_ids(db, issuer_unit_id, audience_all, chosen)
    return not meant_for.isdisjoint(scope)


async def was_recipient(db: Database, campaign_id: int, person_id: int) -> bool:
    found = await db.fetchval(
        "SELECT 1 FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id"
        " WHERE b.campaign_id = ? AND o.person_id = ? LIMIT 1",
        (campaign_id, person_id),
    )
    return found is not None


async def acknowledge(
    db: Database, campaign_id: int, person_id: int, now: datetime
) -> tuple[bool, datetime]:
    """Record 'Đã nhận' once; returns (newly recorded, when it was recorded)."""

    def work(conn: sqlite3.Connection) -> tuple[bool, datetime]:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO acknowledgements (campaign_id, person_id, acknowledged_at)"
            " VALUES (?, ?, ?)",
            (campaign_id, person_id, now.isoformat()),
        )
        if cursor.rowcount == 1:
            return True, now
        row = conn.execute(
            "SELECT acknowledged_at FROM acknowledgements WHERE campaign_id = ? AND person_id = ?",
            (campaign_id, person_id),
        ).fetchone()
        return False, datetime.fromisoformat(row[0]) if row else now

    return await db.transact(work)


@dataclass(frozen=True)
class UnitProgress:
    unit_id: int
    unit_name: str
    recipients: int
    sent: int
    acknowledged: int
    blocked: int
    failed: int
    pending: int
    unregistered: int = 0  # people of the audience in the unit not registered yet


async def delivery_by_unit(
    db: Database, campaign_id: int, audience: Audience, scope: set[int] | None
) -> list[UnitProgress]:
    """Per unit, in unit-tree order: outbox outcomes of the campaign's launch broadcast (and of
    the copies sent to people who registered later), acknowledgements, and how many people of
    its audience have not registered yet, so a unit where nobody registered still shows."""

    def work(conn: sqlite3.Connection) -> tuple[list[Any], UnitOrder, dict[int, str]]:
        rows = conn.execute(
            "SELECT p.unit_id, COUNT(*) AS recipients,"
            " SUM(o.status = 'sent') AS sent,"
            " SUM(o.status = 'blocked') AS blocked,"
            " SUM(o.status = 'failed') AS failed,"
            " SUM(o.status IN ('pending', 'sending')) AS pending,"
            " SUM(a.person_id IS NOT NULL) AS acknowledged"
            " FROM broadcasts b"
            " JOIN outbox o ON o.broadcast_id = b.id"
            " JOIN people p ON p.id = o.person_id"
            " LEFT JOIN acknowledgements a ON a.campaign_id = b.campaign_id"
            "  AND a.person_id = p.id"
            " WHERE b.campaign_id = ? AND b.kind = 'campaign'"
            " GROUP BY p.unit_id",
            (campaign_id,),
        ).fetchall()
        names = {row[0]: row[1] for row in conn.execute("SELECT id, name FROM units")}
        return rows, read_unit_order(conn), names

    rows, order, names = await db.read(work)
    unregistered: dict[int, int] = {}
    for person in audience.people:
        unregistered.setdefault(person.unit_id, 0)
        if person.telegram_id is None:
            unregistered[person.unit_id] += 1
    delivered = {row[0]: row for row in rows}
    result = []
    for unit_id in set(delivered) | set(unregistered):
        if scope is not None and unit_id not in scope:
            continue
        r = delivered.get(unit_id) or (unit_id, 0, 0, 0, 0, 0, 0)
        result.append(
            UnitProgress(
                unit_id, names.get(unit_id, ""), recipients=r[1], sent=r[2], acknowledged=r[6],
                blocked=r[3], failed=r[4], pending=r[5],
                unregistered=unregistered.get(unit_id, 0),
            )
        )  # fmt: skip
    return order.sort(result, lambda unit: unit.unit_id)


@dataclass(frozen=True)
class Received:
    campaign_id: int
    title: str
    plan_number: str
    acknowledged_at: datetime | None


async def received_by(db: Database, person_id: int) -> list[Received]:
    """Campaigns delivered to a person, newest first, with their acknowledgement."""
    rows = await db.fetchall(
        "SELECT c.id, c.title, c.plan_number, a.acknowledged_at"
        " FROM campaigns c"
        " JOIN broadcasts b ON b.campaign_id = c.id AND b.kind = 'campaign'"
        " JOIN outbox o ON o.broadcast_id = b.id AND o.person_id = ? AND o.status = 'sent'"
        " LEFT JOIN acknowledgements a ON a.campaign_id = c.id AND a.person_id = ?"
        " ORDER BY c.id DESC",
        (person_id, person_id),
    )
    return [
        Received(r[0], r[1], r[2], datetime.fromisoformat(r[3]) if r[3] else None) for r in rows
    ]


@dataclass(frozen=True)
class UpcomingDeadline:
    round_id: int
    round_name: str
    campaign_title: str
    deadline: datetime


async def next_deadline(db: Database, after: datetime) -> UpcomingDeadline | None:
    """The soonest deadline after `after` of an open round of a launched campaign."""
    rows = await db.fetchall(
        "SELECT r.id, r.name, c.title, r.deadline FROM rounds r"
        " JOIN campaigns c ON c.id = r.campaign_id"
        " WHERE r.closed = 0 AND c.status = 'launched'"
    )
    # Deadlines are stored with their UTC offsets: compared as moments, not as strings.
    upcoming = [
        UpcomingDeadline(row[0], row[1], row[2], datetime.fromisoformat(row[3])) for row in rows
    ]
    later = [item for item in upcoming if item.deadline > after]
    return min(later, key=lambda item: (item.deadline, item.round_id), default=None)
