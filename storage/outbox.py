"""The persistent outbox: one broadcast, one row per recipient, drained by bot/sender.py.

A row's life: pending → sending (committed right before its request) → sent / failed / blocked,
or back to pending for a retry. Because 'sending' is committed before the request and 'sent'
right after, a crash can leave delivered-but-unmarked rows only among those still 'sending';
`reset_in_flight` makes them pending again at start-up.

Row timestamps (`updated_at`, `next_attempt_at`) are transport times from the wall clock, passed
in by the sender; broadcast timestamps are business times from the application's clock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Database
from storage.drafts import FlowEnd, consume_draft
from storage.ordering import UnitOrder, read_unit_order
from storage.outgoing import OutgoingMessage, Pieces, UndecodableMessage

BROADCAST_KINDS = ("campaign", "announcement", "reminder")


@dataclass(frozen=True)
class OutboxItem:
    """A claimed row, with the payload to send (the row's own, else the broadcast's): an
    encoded OutgoingMessage, decoded by the sender when it sends it."""

    id: int
    broadcast_id: int
    person_id: int
    chat_id: int
    payload: str
    attempts: int  # failed transient attempts so far


@dataclass(frozen=True)
class BroadcastCounts:
    total: int = 0
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0

    @property
    def drained(self) -> bool:
        """Nothing left to send or in flight."""
        return self.pending == 0 and self.sending == 0


@dataclass(frozen=True)
class OpenBroadcast:
    id: int
    kind: str
    campaign_id: int | None
    title: str
    created_by: int | None
    progress_chat_id: int | None
    progress_message_id: int | None


@dataclass(frozen=True)
class Failure:
    unit_name: str
    full_name: str
    status: str  # 'failed' or 'blocked'
    error: str | None


async def _read(db: Database, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """A query stepped to its end in one hop: SQLite leaves a read undefined if the same
    connection writes between its steps (the sender marks rows all the time), which once gave
    counts with a NULL status."""
    return await db.read(lambda conn: conn.execute(sql, params).fetchall())


def _stamp(moment: datetime) -> str:
    # Fixed width, so ISO strings compare in time order (isoformat drops zero microseconds).
    return moment.isoformat(timespec="microseconds")


def enqueue_broadcast(
    conn: sqlite3.Connection,
    *,
    kind: str,
    campaign_id: int | None,
    message: OutgoingMessage | Pieces,
    created_by: int | None,
    progress_chat_id: int | None,
    progress_message_id: int | None,
    recipients: Sequence[tuple[int, int]],
    now: datetime,
    row_messages: Mapping[int, OutgoingMessage] | None = None,
    row_payloads: Mapping[int, str] | None = None,
) -> int:
    """Insert a broadcast and one pending row per (person_id, chat_id), inside the caller's
    transaction (so a campaign and its broadcast commit together). Returns the broadcast id.
    `row_messages` (by person id) gives a recipient a message of their own instead of the
    broadcast's; `row_payloads` one already encoded (a `Composed` row, when `message` is the
    `Pieces` it is made of)."""
    if kind not in BROADCAST_KINDS:
        raise ValueError(f"unknown broadcast kind {kind!r}")
    cursor = conn.execute(
        "INSERT INTO broadcasts (kind, campaign_id, payload, created_by, progress_chat_id,"
        " progress_message_id, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'sending', ?)",
        (
            kind,
            campaign_id,
            message.encode(),
            created_by,
            progress_chat_id,
            progress_message_id,
            now.isoformat(),
        ),
    )
    broadcast_id = cursor.lastrowid
    assert broadcast_id is not None
    stamp = _stamp(now)
    own = {person: own.encode() for person, own in (row_messages or {}).items()}
    own.update(row_payloads or {})
    conn.executemany(
        "INSERT INTO outbox (broadcast_id, person_id, chat_id, payload, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(broadcast_id, person, chat, own.get(person), stamp) for person, chat in recipients],
    )
    return broadcast_id


def enqueue_to_person(
    conn: sqlite3.Connection, person_id: int | None, message: OutgoingMessage | None, *,
    created_by: int | None, campaign_id: int | None, now: datetime,
) -> bool:  # fmt: skip
    """A message a business action causes (a send-back, a decision), queued to one person in
    the action's own transaction: an announcement of one row, no progress message, if they
    are active and registered. True if queued."""
    if person_id is None or message is None:
        return False
    row = conn.execute(
        "SELECT telegram_id FROM people WHERE id = ? AND active = 1 AND telegram_id IS NOT NULL",
        (person_id,),
    ).fetchone()
    if row is None:
        return False
    enqueue_broadcast(
        conn, kind="announcement", campaign_id=campaign_id, message=message,
        created_by=created_by, progress_chat_id=None, progress_message_id=None,
        recipients=[(person_id, int(row[0]))], now=now,
    )  # fmt: skip
    return True


async def create_broadcast(
    db: Database,
    *,
    kind: str,
    campaign_id: int | None,
    message: OutgoingMessage,
    created_by: int | None,
    progress_chat_id: int | None,
    progress_message_id: int | None,
    recipients: Sequence[tuple[int, int]],
    now: datetime,
    flow_end: FlowEnd | None = None,
) -> int:
    """`enqueue_broadcast` in its own transaction. `flow_end`: the flow that confirmed the
    broadcast (an announcement's preview) ends in the same transaction; `DraftGone`, and
    nothing queued, if it already had."""

    def work(conn: sqlite3.Connection) -> int:
        if flow_end is not None:
            consume_draft(conn, flow_end)
        return enqueue_broadcast(
            conn,
            kind=kind,
            campaign_id=campaign_id,
            message=message,
            created_by=created_by,
            progress_chat_id=progress_chat_id,
            progress_message_id=progress_message_id,
            recipients=recipients,
            now=now,
        )

    return await db.transact(work)


# One statement, so a claim costs one round trip to SQLite's thread: retries whose time has come
# first, then fresh rows in insertion order (both walk the (status, next_attempt_at, id) index).
_CLAIM = """
    UPDATE outbox SET status = 'sending', updated_at = :now
    WHERE id = COALESCE(
        (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= :now
         ORDER BY next_attempt_at, id LIMIT 1),
        (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at IS NULL
         ORDER BY id LIMIT 1))
    RETURNING id, broadcast_id, person_id, chat_id, attempts,
        COALESCE(payload, (SELECT b.payload FROM broadcasts b WHERE b.id = outbox.broadcast_id))
"""


async def claim_next(db: Database, now: datetime) -> OutboxItem | None:
    """Mark the next due pending row 'sending' and return it (None when nothing is due)."""
    rows = await db.transact(lambda conn: conn.execute(_CLAIM, {"now": _stamp(now)}).fetchall())
    if not rows:
        return None
    row_id, broadcast_id, person_id, chat_id, attempts, payload = rows[0]
    return OutboxItem(
        id=row_id,
        broadcast_id=broadcast_id,
        person_id=person_id,
        chat_id=chat_id,
        payload=str(payload),
        attempts=attempts,
    )


async def _finish_row(db: Database, outbox_id: int, sql_set: str, params: Sequence[Any]) -> bool:
    # Only a row we hold ('sending') changes: a stale result can never resurrect or resend one.
    changed = await db.transact(
        lambda conn: (
            conn.execute(
                f"UPDATE outbox SET {sql_set} WHERE id = ? AND status = 'sending'",  # noqa: S608
                (*params, outbox_id),
            ).rowcount
        )
    )
    return changed == 1


async def mark_sent(db: Database, outbox_id: int, message_id: int, now: datetime) -> bool:
    return await _finish_row(
        db,
        outbox_id,
        "status = 'sent', message_id = ?, error = NULL, next_attempt_at = NULL, updated_at = ?",
        (message_id, _stamp(now)),
    )


async def mark_blocked(db: Database, outbox_id: int, error: str, now: datetime) -> bool:
    return await _finish_row(
        db,
        outbox_id,
        "status = 'blocked', error = ?, next_attempt_at = NULL, updated_at = ?",
        (error, _stamp(now)),
    )


async def mark_failed(db: Database, outbox_id: int, error: str, now: datetime) -> bool:
    """Give up on the row (a permanent error, or too many transient ones)."""
    return await _finish_row(
        db,
        outbox_id,
        "status = 'failed', attempts = attempts + 1, error = ?, next_attempt_at = NULL,"
        " updated_at = ?",
        (error, _stamp(now)),
    )


async def retry_later(
    db: Database, outbox_id: int, error: str, retry_at: datetime, now: datetime
) -> bool:
    """A transient failure: count the attempt, back to pending until `retry_at`."""
    return await _finish_row(
        db,
        outbox_id,
        "status = 'pending', attempts = attempts + 1, error = ?, next_attempt_at = ?,"
        " updated_at = ?",
        (error, _stamp(retry_at), _stamp(now)),
    )


async def release(db: Database, outbox_id: int, now: datetime) -> bool:
    """Back to pending without counting an attempt (flood control, or the bot is stopping)."""
    return await _finish_row(
        db, outbox_id, "status = 'pending', next_attempt_at = NULL, updated_at = ?", (_stamp(now),)
    )


async def reset_in_flight(db: Database, now: datetime) -> int:
    """Rows a crash left 'sending' go back to pending; returns how many. Their requests may
    have reached Telegram, so these are the only rows that can be delivered twice."""
    return await db.transact(
        lambda conn: (
            conn.execute(
                "UPDATE outbox SET status = 'pending', next_attempt_at = NULL, updated_at = ?"
                " WHERE status = 'sending'",
                (_stamp(now),),
            ).rowcount
        )
    )


async def broadcast_counts(db: Database, broadcast_id: int) -> BroadcastCounts:
    rows = await _read(
        db,
        "SELECT status, COUNT(*) FROM outbox WHERE broadcast_id = ? GROUP BY status",
        (broadcast_id,),
    )
    by_status = {row[0]: int(row[1]) for row in rows}
    return BroadcastCounts(total=sum(by_status.values()), **by_status)


async def failures_by_unit(db: Database, broadcast_id: int) -> list[Failure]:
    """Failed and blocked recipients, units in unit-tree order, people by given name."""

    def work(conn: sqlite3.Connection) -> tuple[list[Any], UnitOrder]:
        rows = conn.execute(
            "SELECT u.name AS unit_name, p.full_name, o.status, o.error, u.id FROM outbox o"
            " JOIN people p ON p.id = o.person_id JOIN units u ON u.id = p.unit_id"
            " WHERE o.broadcast_id = ? AND o.status IN ('failed', 'blocked')",
            (broadcast_id,),
        ).fetchall()
        return rows, read_unit_order(conn)

    rows, order = await db.read(work)
    ranked = order.sort_people(rows, lambda r: r["id"], lambda r: r["full_name"])
    return [Failure(r["unit_name"], r["full_name"], r["status"], r["error"]) for r in ranked]


async def open_broadcasts(db: Database) -> list[OpenBroadcast]:
    rows = await _read(
        db,
        "SELECT id, kind, campaign_id, payload, created_by, progress_chat_id,"
        " progress_message_id FROM broadcasts WHERE status = 'sending' ORDER BY id",
    )
    return [
        OpenBroadcast(
            id=row["id"],
            kind=row["kind"],
            campaign_id=row["campaign_id"],
            title=_title(row["payload"]),
            created_by=row["created_by"],
            progress_chat_id=row["progress_chat_id"],
            progress_message_id=row["progress_message_id"],
        )
        for row in rows
    ]


async def broadcast_pieces(db: Database, broadcast_id: int) -> Pieces:
    """The pieces a broadcast's composed rows are made of (`UndecodableMessage` when it has
    none)."""
    payload = await db.fetchval("SELECT payload FROM broadcasts WHERE id = ?", (broadcast_id,))
    if payload is None:
        raise UndecodableMessage(f"broadcast {broadcast_id} does not exist")
    return Pieces.decode(str(payload))


def _title(payload: str) -> str:
    try:
        return OutgoingMessage.decode(payload).title
    except UndecodableMessage:
        return ""


async def finish_broadcast(db: Database, broadcast_id: int, now: datetime) -> bool:
    """Mark the broadcast done if nothing is pending or in flight; False if it is not drained
    or was already done (so only one caller reports it)."""

    def work(conn: sqlite3.Connection) -> bool:
        busy = conn.execute(
            "SELECT 1 FROM outbox WHERE broadcast_id = ? AND status IN ('pending', 'sending')"
            " LIMIT 1",
            (broadcast_id,),
        ).fetchone()
        if busy is not None:
            return False
        cursor = conn.execute(
            "UPDATE broadcasts SET status = 'done', finished_at = ?"
            " WHERE id = ? AND status = 'sending'",
            (now.isoformat(), broadcast_id),
        )
        return cursor.rowcount == 1

    return await db.transact(work)


async def set_progress_message(
    db: Database, broadcast_id: int, chat_id: int, message_id: int
) -> None:
    await db.write(
        "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
        (chat_id, message_id, broadcast_id),
    )


@dataclass(frozen=True)
class BroadcastDelivery:
    """A broadcast and where its recipients' messages stand."""

    id: int
    kind: str
    title: str
    done: bool
    counts: BroadcastCounts


async def recent_deliveries(db: Database, limit: int = 5) -> list[BroadcastDelivery]:
    """The latest broadcasts, newest first, with their outbox counts by status: launches,
    announcements, publications, reminders; not a newcomer's own copy of a campaign launched
    before they registered (a broadcast of one, with no creator)."""

    def work(conn: sqlite3.Connection) -> list[BroadcastDelivery]:
        broadcasts = conn.execute(
            "SELECT id, kind, payload, status FROM broadcasts"
            " WHERE NOT (kind = 'campaign' AND created_by IS NULL) ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        result = []
        for row in broadcasts:
            by_status = {
                status: int(count)
                for status, count in conn.execute(
                    "SELECT status, COUNT(*) FROM outbox WHERE broadcast_id = ? GROUP BY status",
                    (row["id"],),
                ).fetchall()
            }
            counts = BroadcastCounts(total=sum(by_status.values()), **by_status)
            result.append(
                BroadcastDelivery(
                    row["id"], row["kind"], _title(row["payload"]), row["status"] == "done", counts
                )
            )
        return result

    return await db.read(work)
