"""What a busy due-check stores, and how: records taken in plan order in a few statements,
reports read as compact id arrays, and messages made of shared pieces (one copy of each
paragraph on the broadcast, a few numbers on each row) delivered whole by the real sender."""

from __future__ import annotations

import json
import random
from functools import partial

import pytest

from storage.db import Database
from storage.outgoing import (
    Button,
    Composed,
    OutgoingMessage,
    Pieces,
    UndecodableMessage,
)
from storage.round_progress import read_submissions, submitted_ids
from storage.schedule import (
    Delivery,
    Ids,
    Mark,
    Plan,
    commit,
    read_reports,
    records,
)
from tests.fake_telegram import FakeTelegram
from tests.harness import RunningBot
from tests.helpers import NOW
from tests.test_outbox import registered_recipients, sender_of

HEADER = OutgoingMessage("🔔 <b>NHẮC HẠN</b>")
FOOTER = OutgoingMessage("Bấm nút để mở báo cáo.")


def item(number: int) -> OutgoingMessage:
    return OutgoingMessage(
        f"📝 Đợt {number}: còn {number} ngày",
        ((Button(f"📝 Đợt {number}", callback_data=f"rpt:{number}"),),),
    )


def test_pieces_and_composed_rows_come_back_as_they_went() -> None:
    parts = [HEADER, FOOTER, item(1), item(2)]
    pieces = Pieces(tuple(parts), "nhắc hạn")
    decoded = Pieces.decode(pieces.encode())
    assert decoded == pieces
    row = Composed.encode_row([0, 3, 2, 1])
    assert Composed.read(row) == (0, 3, 2, 1)
    message = decoded.message(Composed.read(row) or ())
    assert message == OutgoingMessage(
        "🔔 <b>NHẮC HẠN</b>\n\n📝 Đợt 2: còn 2 ngày\n\n📝 Đợt 1: còn 1 ngày\n\n"
        "Bấm nút để mở báo cáo.",
        ((Button("📝 Đợt 2", "rpt:2"),), (Button("📝 Đợt 1", "rpt:1"),)),
        title="nhắc hạn",
    )
    assert Composed(parts, (0, 3, 2, 1), "nhắc hạn").message() == message
    # A row of numbers is no message on its own; the pieces read as one give only the title
    # (what the office's progress shows), never a row's text by mistake.
    with pytest.raises(UndecodableMessage):
        OutgoingMessage.decode(row)
    assert OutgoingMessage.decode(pieces.encode()) == OutgoingMessage("", title="nhắc hạn")
    assert Composed.read(HEADER.encode()) is None
    with pytest.raises(UndecodableMessage):
        decoded.message([7])


def test_ids_are_a_set_of_ints() -> None:
    rng = random.Random(3)
    for _ in range(100):
        values = {rng.randint(-5, 60) for _ in range(rng.randint(0, 30))}
        ids = Ids(values)
        assert list(ids) == sorted(values) and len(ids) == len(values)
        for probe in range(-6, 62):
            assert (probe in ids) == (probe in values)
        assert "3" not in ids and None not in ids
        assert set(range(-6, 62)).difference(ids) == set(range(-6, 62)) - values
        assert list(Ids.from_rows([(v,) for v in sorted(values)])) == sorted(values)


async def people(db: Database, count: int) -> list[tuple[int, int, int]]:
    """(person id, chat id, unit id) of a roster of `count` registered people."""
    await registered_recipients(db, None, count)
    rows = await db.fetchall("SELECT id, telegram_id, unit_id FROM people ORDER BY id")
    return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]


async def test_marks_are_taken_in_plan_order_and_once(db: Database) -> None:
    (a, chat_a, _), (b, chat_b, _), (c, chat_c, _) = (await people(db, 3))[:3]
    shared = OutgoingMessage("một")
    day = Mark("reminder_day", 0, f"person:{a}", "day:2026-12-11")
    taken_by_a = Mark("reminder", 7, f"person:{a}", "3d")
    plan = Plan(
        [
            Delivery(a, chat_a, shared, (day, taken_by_a)),
            # Its identity was taken by the delivery before it: not queued, its other mark
            # recorded anyway.
            Delivery(b, chat_b, shared, (taken_by_a, Mark("reminder", 7, f"person:{b}", "3d"))),
            Delivery(c, chat_c, OutgoingMessage("hai"), (Mark("overdue", 7, f"person:{c}", "x"),)),
        ],
        marks=[Mark("digest_eval", 1, "unit:1", "day:2026-12-11", '{"sent": false}')],
    )
    assert await commit(db, plan, NOW) == 2
    rows = await db.fetchall("SELECT person_id, payload FROM outbox ORDER BY person_id")
    assert [(r[0], r[1]) for r in rows] == [(a, None), (c, OutgoingMessage("hai").encode())]
    taken = {(r.kind, r.subject, r.slot): r for r in await records(db)}
    assert len(taken) == 5
    assert taken[("reminder_day", f"person:{a}", "day:2026-12-11")].broadcast_id is not None
    assert taken[("reminder", f"person:{a}", "3d")].broadcast_id is not None
    assert taken[("reminder", f"person:{b}", "3d")].broadcast_id is None
    assert taken[("digest_eval", "unit:1", "day:2026-12-11")].data == '{"sent": false}'
    # Again (a restart, another process): nothing queued, nothing recorded twice.
    assert await commit(db, plan, NOW) == 0
    assert len(await records(db)) == 5
    assert await db.fetchval("SELECT COUNT(*) FROM outbox") == 2


async def test_a_stream_commits_in_chunks_and_a_second_run_adds_nothing(db: Database) -> None:
    everyone = await people(db, 30)
    plan = Plan(streams=[
        (Delivery(pid, chat, OutgoingMessage(f"tin {pid}"),
                  (Mark("reminder_day", 0, f"person:{pid}", "day:x"),))
         for pid, chat, _ in everyone)
    ])  # fmt: skip
    import storage.schedule as schedule

    chunk, schedule.CHUNK = schedule.CHUNK, 7
    try:
        assert await commit(db, plan, NOW) == 30
        again = Plan(streams=[
            (Delivery(pid, chat, OutgoingMessage("lại"),
                      (Mark("reminder_day", 0, f"person:{pid}", "day:x"),))
             for pid, chat, _ in everyone)
        ])  # fmt: skip
        assert await commit(db, again, NOW) == 0
    finally:
        schedule.CHUNK = chunk
    assert await db.fetchval("SELECT COUNT(DISTINCT broadcast_id) FROM outbox") == 5


async def test_composed_messages_keep_each_piece_once_and_arrive_whole(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    recipients = await registered_recipients(bot.db, telegram, 4)
    parts = [HEADER, FOOTER, *(item(n) for n in range(1, 30))]
    selections = [(0, 2, 1), (0, 3, 2, 1), (0, 3, 1), (0, 1)]
    deliveries = [
        Delivery(pid, chat, Composed(parts, chosen, "nhắc hạn"),
                 (Mark("reminder_day", 0, f"person:{pid}", "day:x"),))
        for (pid, chat), chosen in zip(recipients, selections, strict=True)
    ]  # fmt: skip
    assert await commit(bot.db, Plan(streams=[iter(deliveries)]), NOW) == 4
    # The broadcast holds the pieces used (not the 31 made), each once, renumbered in the
    # order first used; each row only its numbers.
    payload = await bot.db.fetchval("SELECT payload FROM broadcasts")
    stored = Pieces.decode(payload)
    assert stored.parts == (HEADER, item(1), FOOTER, item(2)) and stored.title == "nhắc hạn"
    rows = await bot.db.fetchall("SELECT payload FROM outbox ORDER BY person_id")
    assert [json.loads(r[0])["pieces"] for r in rows] == [[0, 1, 2], [0, 3, 1, 2], [0, 3, 2],
                                                          [0, 2]]  # fmt: skip
    assert all(len(r[0]) < 40 for r in rows)
    sender_of(bot).wake()
    for (_, chat), delivery in zip(recipients, deliveries, strict=True):
        assert isinstance(delivery.message, Composed)
        expected = delivery.message.message()
        received = await telegram.user(chat).expect("NHẮC HẠN")
        assert received.text == expected.text
        assert received.buttons() == [[b.text for b in row] for row in expected.buttons]


async def test_reports_read_compactly_as_progress_reads_them(db: Database) -> None:
    await registered_recipients(db, None, 40)
    people_rows = await db.fetchall("SELECT id, unit_id FROM people")
    campaign = await db.write(
        "INSERT INTO campaigns (title, audience_all, audience_roles, status, created_by,"
        " created_at, launched_at) VALUES ('P', 1, 'principal,teacher', 'launched', 1, ?, ?)",
        (NOW.isoformat(), NOW.isoformat()),
    )
    rng = random.Random(5)
    rounds = {}
    for position, kind in enumerate(("person", "unit", "person")):
        rounds[kind, position] = await db.write(
            "INSERT INTO rounds (campaign_id, position, name, kind, deadline, form)"
            " VALUES (?, ?, ?, ?, ?, 'short')",
            (campaign, position, f"Đợt {position}", kind, NOW.isoformat()),
        )
    for (kind, _), round_id in rounds.items():
        for person_id, unit_id in people_rows:
            if rng.random() < 0.6:
                continue
            subject = f"unit:{unit_id}" if kind == "unit" else f"person:{person_id}"
            await db.write(
                "INSERT OR IGNORE INTO submissions (round_id, subject, unit_id, person_id,"
                " author_id, status, answers, submitted_at, late, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, '{}', ?, ?, ?)",
                (round_id, subject, unit_id, None if kind == "unit" else person_id, person_id,
                 rng.choice(["submitted", "returned", "draft"]), NOW.isoformat(),
                 int(rng.random() < 0.3), NOW.isoformat()),
            )  # fmt: skip
    reports = await db.read(lambda conn: read_reports(conn, list(rounds.values()), [], NOW.date()))
    assert len(reports.people) == 40
    for (kind, _), round_id in rounds.items():
        subs = await db.read(partial(read_submissions, round_id=round_id))
        prefix = f"{kind}:"
        ours = reports.rounds[round_id]
        assert set(ours.submitted) == submitted_ids(kind, subs)
        assert set(ours.late) == {int(s.removeprefix(prefix)) for s, (st, late) in subs.items()
                                  if st == "submitted" and late}  # fmt: skip
        assert set(ours.returned) == {int(s.removeprefix(prefix)) for s, (st, _) in subs.items()
                                      if st == "returned"}  # fmt: skip
        assert ours.as_submissions(kind) == {
            s: (status, late and status == "submitted")
            for s, (status, late) in subs.items() if status != "draft"
        }  # fmt: skip
