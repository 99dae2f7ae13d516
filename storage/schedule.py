"""The database is the schedule: what scheduled messages need to know (open rounds, campaigns'
audiences, the unit tree, days off), and the record that makes each one go out exactly once.

A source of scheduled messages (bot/reminders.py) turns a `ScheduleState` into a `Plan`:
deliveries, each carrying the `Mark`s it records. `commit_plan` writes the marks and queues the
deliveries in the outbox in one transaction; a delivery whose first mark is already taken (a
restart, or another process that got there first) is not queued. Nothing here knows what a
reminder says.
"""

from __future__ import annotations

import sqlite3
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from itertools import chain, islice
from typing import NamedTuple, cast

from storage.absences import DayOff, read_days_off
from storage.db import Database
from storage.models import Person, Role
from storage.outbox import enqueue_broadcast
from storage.outgoing import Composed, OutgoingMessage, Pieces


class Mark(NamedTuple):
    """One record of `sent_once`: (kind, ref, subject, slot) is taken once, ever. (A tuple:
    a busy due-check makes a hundred thousand.)"""

    kind: str
    ref: int
    subject: str
    slot: str
    data: str | None = None


@dataclass(frozen=True)
class Delivery:
    """A message to one person. `marks[0]` is the message's own identity: the message is
    queued only if that mark is new; the other marks are recorded either way (with the
    broadcast when it was queued, without when not: covered by an earlier message)."""

    person_id: int
    chat_id: int
    message: OutgoingMessage | Composed  # Composed: stored as its pieces' numbers
    marks: tuple[Mark, ...]


@dataclass
class Plan:
    """What one source wants done: `deliveries`, `marks` and `finish` in one transaction,
    after `streams`."""

    deliveries: list[Delivery] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)  # bookkeeping: recorded, nothing sent
    # Further writes in the same transaction (a round's watermark, say); runs in the
    # database thread, so it must not touch the event loop.
    finish: Callable[[sqlite3.Connection], None] | None = None
    # Deliveries made as they are consumed (thousands, each with its own text), committed in
    # chunks before the rest, so a due-check never holds them all. A crash between chunks
    # leaves `finish` undone: the next due-check works them out again and the marks already
    # taken keep what went out from going twice.
    streams: list[Iterable[Delivery]] = field(default_factory=list)

    def extend(self, other: Plan) -> None:
        self.deliveries.extend(other.deliveries)
        self.marks.extend(other.marks)
        self.streams.extend(other.streams)
        if other.finish is not None:
            first, second = self.finish, other.finish

            def both(conn: sqlite3.Connection) -> None:
                if first is not None:
                    first(conn)
                second(conn)

            self.finish = both

    @property
    def empty(self) -> bool:
        return not (self.deliveries or self.marks or self.streams) and self.finish is None


_RECORD = (
    "INSERT INTO sent_once (kind, ref, subject, slot, data, created_at, broadcast_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, ref, subject, slot) DO NOTHING"
)
_BATCH = 500  # subjects asked about in one query

MarkKey = tuple[str, int, str, str]


def _key(mark: Mark) -> MarkKey:
    return mark[:4]


def _taken(conn: sqlite3.Connection, keys: Iterable[MarkKey]) -> set[MarkKey]:
    """Which of these marks are already recorded: one query per kind, ref and slot and up
    to _BATCH subjects, not one statement per mark (a busy due-check has tens of
    thousands)."""
    subjects: dict[tuple[str, int, str], set[str]] = {}
    for kind, ref, subject, slot in keys:
        subjects.setdefault((kind, ref, slot), set()).add(subject)
    found: set[MarkKey] = set()
    for (kind, ref, slot), wanted in subjects.items():
        ordered = sorted(wanted)
        for start in range(0, len(ordered), _BATCH):
            batch = ordered[start : start + _BATCH]
            marks = ", ".join("?" * len(batch))  # placeholders only: the values are bound
            for (subject,) in conn.execute(
                "SELECT subject FROM sent_once WHERE kind = ? AND ref = ? AND slot = ?"  # noqa: S608
                f" AND subject IN ({marks})",
                (kind, ref, slot, *batch),
            ):
                found.add((kind, ref, subject, slot))
    return found


def commit_plan(conn: sqlite3.Connection, plan: Plan, now: datetime) -> int:
    """Record the plan's marks and queue its new deliveries, inside the caller's transaction
    (BEGIN IMMEDIATE: nobody else writes between reading the records and adding to them).
    Returns how many messages were queued. Marks are taken in plan order, as if one at a
    time: a delivery goes when its first mark is neither recorded nor taken by an earlier
    delivery of the plan. Each broadcast holds one row per person, so a person with two
    messages in one plan gets them from two broadcasts, in plan order."""
    everything = [m for d in plan.deliveries for m in d.marks] + plan.marks
    taken = _taken(conn, map(_key, everything))
    queued: list[Delivery] = []
    for delivery in plan.deliveries:
        if _key(delivery.marks[0]) not in taken:
            queued.append(delivery)
        taken.update(map(_key, delivery.marks))
    layers: list[list[Delivery]] = []
    depth: Counter[int] = Counter()
    for delivery in queued:
        level = depth[delivery.person_id]
        depth[delivery.person_id] += 1
        if level == len(layers):
            layers.append([])
        layers[level].append(delivery)
    broadcast_of: dict[int, int] = {}  # id(delivery) → its broadcast
    for layer in layers:
        # Composed messages go in a broadcast of their own pieces, the others in another.
        groups: dict[int, list[Delivery]] = {}
        for delivery in layer:
            message = delivery.message
            key = id(message.parts) if isinstance(message, Composed) else 0
            groups.setdefault(key, []).append(delivery)
        for key, group in groups.items():
            broadcast_id = (
                _enqueue_composed(conn, group, now) if key else _enqueue(conn, group, now)
            )
            broadcast_of.update((id(delivery), broadcast_id) for delivery in group)
    stamp = now.isoformat()
    rows = [(*m, stamp, broadcast_of.get(id(d))) for d in plan.deliveries for m in d.marks]
    rows += [(*m, stamp, None) for m in plan.marks]
    conn.executemany(_RECORD, rows)
    if plan.finish is not None:
        plan.finish(conn)
    return len(queued)


def _enqueue(conn: sqlite3.Connection, deliveries: Sequence[Delivery], now: datetime) -> int:
    """One broadcast: the message most of them share, and their own for the others. Sources
    give equal messages one object, so messages are told apart by identity (comparing
    thousands of texts would cost more than it saves)."""
    messages = [(d, d.message) for d in deliveries if isinstance(d.message, OutgoingMessage)]
    assert len(messages) == len(deliveries), "composed messages go to _enqueue_composed"
    common, _ = Counter(id(message) for _, message in messages).most_common(1)[0]
    shared = next(message for _, message in messages if id(message) == common)
    own = {d.person_id: message for d, message in messages if id(message) != common}
    return enqueue_broadcast(
        conn, kind="reminder", campaign_id=None, message=shared, created_by=None,
        progress_chat_id=None, progress_message_id=None,
        recipients=[(d.person_id, d.chat_id) for d in deliveries], now=now, row_messages=own,
    )  # fmt: skip


def _enqueue_composed(
    conn: sqlite3.Connection, deliveries: Sequence[Delivery], now: datetime
) -> int:
    """One broadcast holding once the pieces these composed messages use (renumbered in the
    order first used), and for each row only its pieces' numbers: a few bytes, where the
    texts themselves (a reminder listing ten rounds) are kilobytes each."""
    first = deliveries[0].message
    assert isinstance(first, Composed)
    numbers: dict[int, int] = {}  # the piece's number in `parts` → in this broadcast
    rows: dict[int, str] = {}
    for delivery in deliveries:
        message = delivery.message
        assert isinstance(message, Composed)
        indexes = [numbers.setdefault(i, len(numbers)) for i in message.indexes]
        rows[delivery.person_id] = Composed.encode_row(indexes)
    pieces = Pieces(tuple(first.parts[i] for i in numbers), first.title)
    return enqueue_broadcast(
        conn, kind="reminder", campaign_id=None, message=pieces, created_by=None,
        progress_chat_id=None, progress_message_id=None,
        recipients=[(d.person_id, d.chat_id) for d in deliveries], now=now, row_payloads=rows,
    )  # fmt: skip


CHUNK = 1000  # deliveries of a stream committed together


async def commit(db: Database, plan: Plan, now: datetime) -> int:
    """Commit the plan: each chunk of its streams in a transaction, then the rest in one.
    Returns how many messages were queued."""
    queued = 0
    for stream in plan.streams:
        iterator = iter(stream)
        while batch := list(islice(iterator, CHUNK)):
            queued += await db.transact(partial(commit_plan, plan=Plan(batch), now=now))
    rest = Plan(plan.deliveries, plan.marks, plan.finish)
    if not rest.empty:
        queued += await db.transact(lambda conn: commit_plan(conn, rest, now))
    return queued


# ---- what scheduling reads ------------------------------------------------------------


@dataclass(frozen=True)
class CampaignRow:
    id: int
    title: str
    issuer_unit_id: int | None
    audience_all: bool
    roles: frozenset[str]
    units: tuple[tuple[int, bool], ...]  # chosen units (with their sub-units?) when not all
    launched_at: datetime


@dataclass(frozen=True)
class OpenRound:
    """A round of a launched campaign that still takes reports."""

    id: int
    campaign_id: int
    name: str
    kind: str  # 'unit' or 'person'
    deadline: datetime
    offsets: tuple[timedelta, ...] | None  # its own; None: REMINDER_OFFSETS
    reminded_through: datetime | None  # see 005_reminders.sql


class UnitTree:
    """Parents of every unit (active or not), children, names, and the active ones."""

    def __init__(self, rows: Iterable[tuple[int, int | None, bool, str]]) -> None:
        self.parents: dict[int, int | None] = {}
        self.children: dict[int, list[int]] = {}
        self.names: dict[int, str] = {}
        self.active: set[int] = set()
        for unit_id, parent_id, active, name in rows:
            self.parents[unit_id] = parent_id
            self.names[unit_id] = name
            if parent_id is not None:
                self.children.setdefault(parent_id, []).append(unit_id)
            if active:
                self.active.add(unit_id)

    def subtree(self, unit_id: int) -> set[int]:
        """The unit and everything under it, as storage.access's subtree query has it."""
        if unit_id not in self.parents:
            return set()
        found, stack = {unit_id}, [unit_id]
        while stack:
            for child in self.children.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def tops(self) -> set[int]:
        return {u for u, parent in self.parents.items() if parent is None and u in self.active}


def audience_units(campaign: CampaignRow, tree: UnitTree) -> set[int]:
    """The units a campaign is meant for, as storage.campaigns.audience_unit_ids has it
    (tests/test_reminders.py checks the two agree)."""
    scope = (
        tree.subtree(campaign.issuer_unit_id)
        if campaign.issuer_unit_id is not None
        else set(tree.active)
    )
    if campaign.audience_all:
        return scope
    chosen: set[int] = set()
    for unit_id, include_children in campaign.units:
        chosen |= tree.subtree(unit_id) if include_children else {unit_id}
    return chosen & scope


@dataclass(frozen=True)
class ScheduleState:
    """Everything the next-moment computation needs, read in one snapshot; no people."""

    rounds: tuple[OpenRound, ...]
    campaigns: dict[int, CampaignRow]
    tree: UnitTree
    days_off: tuple[DayOff, ...]
    # Digest records of open campaigns: (campaign id, subject, slot) → data.
    digests: dict[tuple[int, str, str], str | None]


def _offsets(text: str | None) -> tuple[timedelta, ...] | None:
    if not text:
        return None
    return tuple(timedelta(seconds=int(part)) for part in text.split(",") if part.strip())


def read_state(conn: sqlite3.Connection, today: date) -> ScheduleState:
    campaigns: dict[int, CampaignRow] = {}
    chosen: dict[int, list[tuple[int, bool]]] = {}
    for campaign_id, unit_id, children in conn.execute(
        "SELECT cu.campaign_id, cu.unit_id, cu.include_children FROM campaign_units cu"
        " JOIN campaigns c ON c.id = cu.campaign_id WHERE c.status = 'launched'"
    ):
        chosen.setdefault(campaign_id, []).append((unit_id, bool(children)))
    for row in conn.execute(
        "SELECT id, title, issuer_unit_id, audience_all, audience_roles,"
        " COALESCE(launched_at, created_at) FROM campaigns WHERE status = 'launched'"
    ):
        campaigns[row[0]] = CampaignRow(
            row[0], row[1], row[2], bool(row[3]), frozenset(row[4].split(",")),
            tuple(chosen.get(row[0], ())), datetime.fromisoformat(row[5]),
        )  # fmt: skip
    rounds = tuple(
        OpenRound(
            row[0],
            row[1],
            row[2],
            row[3],
            datetime.fromisoformat(row[4]),
            _offsets(row[5]),
            datetime.fromisoformat(row[6]) if row[6] else None,
        )
        for row in conn.execute(
            "SELECT r.id, r.campaign_id, r.name, r.kind, r.deadline, r.reminder_offsets,"
            " r.reminded_through FROM rounds r JOIN campaigns c ON c.id = r.campaign_id"
            " WHERE r.closed = 0 AND c.status = 'launched' ORDER BY r.deadline, r.id"
        )
    )
    tree = UnitTree(conn.execute("SELECT id, parent_id, active, name FROM units"))
    open_campaigns = {r.campaign_id for r in rounds}
    digests = {
        (row[0], row[1], row[2]): row[3]
        for row in conn.execute(
            "SELECT ref, subject, slot, data FROM sent_once WHERE kind = 'digest_eval'"
        )
        if row[0] in open_campaigns
    }
    return ScheduleState(
        rounds, campaigns, tree, tuple(read_days_off(conn, today - timedelta(days=1))), digests
    )


async def load_state(db: Database, today: date) -> ScheduleState:
    return await db.read(lambda conn: read_state(conn, today))


_PEOPLE = """
    SELECT p.id, p.full_name, p.phone, p.role, p.unit_id, u.code AS unit_code,
           u.name AS unit_name, p.telegram_id, p.active
    FROM people p JOIN units u ON u.id = p.unit_id WHERE p.active = 1
"""


class Ids(Collection[int]):
    """A set of ids kept as a sorted array of machine integers: 8 bytes an id, where a Python
    set of ints costs about 60. A busy due-check holds every open round's reports, hundreds
    of thousands of ids (bench/reminders.py). Membership is a binary search; set operations
    take it as any iterable (`registered.difference(ids)` runs in C)."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[int] = ()) -> None:
        self._items = array("q", sorted(set(items)))

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[int]]) -> Ids:
        """From one-column rows already in ascending order without repeats (an ORDER BY on a
        unique column), read at C speed: no Python object per row is kept."""
        ids = cls()
        ids._items = array("q", chain.from_iterable(rows))
        return ids

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, int):
            return False
        index = bisect_left(self._items, item)
        return index < len(self._items) and self._items[index] == item

    def __iter__(self) -> Iterator[int]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Ids({list(self._items)!r})"


_NONE = Ids()


@dataclass(frozen=True)
class RoundReports:
    """A round's reports, compactly: ids of the people (per unit: the units) whose report is
    submitted, submitted late, or sent back for additions."""

    submitted: Ids = _NONE
    late: Ids = _NONE
    returned: Ids = _NONE

    def as_submissions(self, kind: str) -> dict[str, tuple[str, bool]]:
        """As storage.round_progress reads them."""
        prefix = "unit" if kind == "unit" else "person"
        found = {f"{prefix}:{i}": ("returned", False) for i in self.returned}
        found.update({f"{prefix}:{i}": ("submitted", i in self.late) for i in self.submitted})
        return found


# The ids of a round's reports in one state, in order: the subject's unit (per-unit round) or
# person (per-person round) from its columns, not parsed out of 'person:12' row by row.
_SUBJECTS = (
    "SELECT CASE WHEN r.kind = 'unit' THEN s.unit_id ELSE s.person_id END AS subject_id"
    " FROM submissions s JOIN rounds r ON r.id = s.round_id WHERE s.round_id = ?"
)
_REPORTS = (  # submitted, late, returned: RoundReports' fields
    " AND s.status = 'submitted' ORDER BY subject_id",
    " AND s.status = 'submitted' AND s.late = 1 ORDER BY subject_id",
    " AND s.status = 'returned' ORDER BY subject_id",
)


@dataclass(frozen=True)
class Reports:
    """What the heavy part of a due-check reads, in one snapshot: active people, the rounds'
    reports, who is absent on the days asked, and the reminder records of the day."""

    people: tuple[Person, ...]
    rounds: dict[int, RoundReports]
    absent: dict[date, set[int]]
    reminded_today: set[int]  # people who got a reminder message on `today`


def _read_people(conn: sqlite3.Connection) -> tuple[Person, ...]:
    """Everyone active, as storage.people reads a person, each unit's code and name and each
    role one string shared by its people (20,000 people, a few hundred units)."""
    shared: dict[str, str] = {}
    people = []
    for pid, full_name, phone, role, unit_id, code, name, telegram_id, active in conn.execute(
        _PEOPLE
    ):
        person = Person(
            pid, full_name, phone, cast(Role, shared.setdefault(role, role)), unit_id,
            shared.setdefault(code, code), shared.setdefault(name, name), telegram_id,
            bool(active),
        )  # fmt: skip
        people.append(person)
    return tuple(people)


def read_reports(
    conn: sqlite3.Connection, round_ids: Sequence[int], days: Iterable[date], today: date
) -> Reports:
    from storage.absences import absent_on

    people = _read_people(conn)
    rounds: dict[int, RoundReports] = {}
    for round_id in round_ids:
        rounds[round_id] = RoundReports(
            *(Ids.from_rows(conn.execute(_SUBJECTS + condition, (round_id,)))
              for condition in _REPORTS)
        )  # fmt: skip
    absent = {day: absent_on(conn, [day]) for day in set(days)}
    reminded = {
        int(row[0].removeprefix("person:"))
        for row in conn.execute(
            "SELECT subject FROM sent_once WHERE kind = 'reminder_day' AND slot = ?",
            (day_slot(today),),
        )
    }
    return Reports(people, rounds, absent, reminded)


async def load_reports(
    db: Database, round_ids: Sequence[int], days: Iterable[date], today: date
) -> Reports:
    wanted = list(days)
    return await db.read(lambda conn: read_reports(conn, round_ids, wanted, today))


def day_slot(day: date) -> str:
    return f"day:{day.isoformat()}"


def set_reminded_through(
    conn: sqlite3.Connection, round_ids: Iterable[int], moment: datetime
) -> None:
    """Everything scheduled for these rounds up to `moment` is handled (inside the caller's
    transaction); never moves a watermark back."""
    stamp = moment.isoformat()
    conn.executemany(
        "UPDATE rounds SET reminded_through = ? WHERE id = ?"
        " AND (reminded_through IS NULL OR reminded_through < ?)",
        [(stamp, round_id, stamp) for round_id in round_ids],
    )


# ---- changes from the office ----------------------------------------------------------


def offsets_text(offsets: Sequence[timedelta]) -> str:
    return ",".join(str(int(o.total_seconds())) for o in sorted(set(offsets), reverse=True))


def offsets_of_text(text: str | None) -> tuple[timedelta, ...] | None:
    """`rounds.reminder_offsets` read back (None: REMINDER_OFFSETS), as the schedule reads it."""
    return _offsets(text)


def write_round_offsets(
    conn: sqlite3.Connection, round_id: int, offsets: Sequence[timedelta] | None
) -> None:
    """A round's own reminder offsets (None: back to REMINDER_OFFSETS), inside the caller's
    transaction: what /phatdong's reminder step calls for each round it stores."""
    conn.execute(
        "UPDATE rounds SET reminder_offsets = ?, reminded_through = NULL WHERE id = ?",
        (offsets_text(offsets) if offsets else None, round_id),
    )


async def set_round_offsets(
    db: Database, round_id: int, offsets: Sequence[timedelta] | None
) -> None:
    await db.transact(lambda conn: write_round_offsets(conn, round_id, offsets))


async def move_deadline(db: Database, round_id: int, deadline: datetime) -> datetime | None:
    """A new deadline for the round: its schedule starts afresh (reminders already sent for
    the old deadline are not repeated, see bot/reminders.py), and every submitted report's
    on-time or late mark follows the new deadline. Returns the old deadline (None: no such
    round)."""

    def work(conn: sqlite3.Connection) -> datetime | None:
        row = conn.execute("SELECT deadline FROM rounds WHERE id = ?", (round_id,)).fetchone()
        if row is None:
            return None
        conn.execute(
            "UPDATE rounds SET deadline = ?, reminded_through = NULL WHERE id = ?",
            (deadline.isoformat(), round_id),
        )
        for submission_id, submitted_at in conn.execute(
            "SELECT id, submitted_at FROM submissions"
            " WHERE round_id = ? AND submitted_at IS NOT NULL",
            (round_id,),
        ).fetchall():
            late = datetime.fromisoformat(submitted_at) > deadline
            conn.execute(
                "UPDATE submissions SET late = ? WHERE id = ?", (int(late), submission_id)
            )
        return datetime.fromisoformat(row[0])

    return await db.transact(work)


@dataclass(frozen=True)
class SentRecord:
    kind: str
    ref: int
    subject: str
    slot: str
    broadcast_id: int | None
    data: str | None
    created_at: datetime


async def last_record(db: Database, kind: str, ref: int) -> SentRecord | None:
    """The newest record of this kind for this round or campaign."""
    row = await db.fetchone(
        "SELECT kind, ref, subject, slot, broadcast_id, data, created_at FROM sent_once"
        " WHERE kind = ? AND ref = ? ORDER BY created_at DESC, id DESC LIMIT 1",
        (kind, ref),
    )
    if row is None:
        return None
    return SentRecord(row[0], row[1], row[2], row[3], row[4], row[5],
                      datetime.fromisoformat(row[6]))  # fmt: skip


async def records(db: Database, kind: str | None = None) -> list[SentRecord]:
    """Every record (of one kind), oldest first: for tests and the command line."""
    rows = await db.fetchall(
        "SELECT kind, ref, subject, slot, broadcast_id, data, created_at FROM sent_once"
        " WHERE ? IS NULL OR kind = ? ORDER BY id",
        (kind, kind),
    )
    return [SentRecord(r[0], r[1], r[2], r[3], r[4], r[5], datetime.fromisoformat(r[6]))
            for r in rows]  # fmt: skip


MANUAL = "manual_round"  # one record per manual reminder of a round (who, how many)


def _last_manual(conn: sqlite3.Connection, round_id: int) -> SentRecord | None:
    row = conn.execute(
        "SELECT kind, ref, subject, slot, broadcast_id, data, created_at FROM sent_once"
        " WHERE kind = ? AND ref = ? ORDER BY id DESC LIMIT 1",
        (MANUAL, round_id),
    ).fetchone()
    if row is None:
        return None
    return SentRecord(row[0], row[1], row[2], row[3], row[4], row[5],
                      datetime.fromisoformat(row[6]))  # fmt: skip


async def last_manual(db: Database, round_id: int) -> SentRecord | None:
    """The last manual reminder of the round (/nhacnho)."""
    return await db.read(lambda conn: _last_manual(conn, round_id))


async def commit_manual(
    db: Database, round_id: int, plan: Plan, now: datetime, within: timedelta
) -> tuple[int, SentRecord | None]:
    """Queue a manual reminder of the round unless one went out less than `within` ago, in one
    transaction (two offices pressing at once cannot both send). Returns (messages queued,
    None) or (0, the last one) when refused. `plan.marks` should hold a MANUAL record."""

    def work(conn: sqlite3.Connection) -> tuple[int, SentRecord | None]:
        last = _last_manual(conn, round_id)
        if last is not None and now - last.created_at < within:
            return 0, last
        return commit_plan(conn, plan, now), None

    return await db.transact(work)
