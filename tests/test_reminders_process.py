"""`python -m bot` as a process, on the real clock, with REMINDER_OFFSETS in seconds: the
reminder reaches the teacher who has not answered and not the one who has; the bot is killed
(SIGKILL) between the two offsets and started again, and nothing is sent twice; after the
deadline the overdue notice and the office's digest arrive once."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from formats.roster_file import read_roster
from handlers.campaign_message import campaign_payload
from storage.campaigns import CampaignSpec, Round, launch_campaign
from storage.db import Database
from storage.people import register_by_phone
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram
from tests.helpers import BASIC_ROWS, NOW, VN, csv_file
from tests.test_cli import module_env, start_module

OFFICE, LAN, AN = 6001, 6101, 6102  # the Sở's office; a principal who owes; a teacher who answered
FIRST, SECOND = 14, 5  # the offsets, in seconds before the deadline
START_UP = 8  # seconds from seeding to the first offset: time for the process to start


async def seed(path: Path, deadline: datetime) -> None:
    db = await Database.open(path)
    try:
        await apply_import(db, read_roster(csv_file(BASIC_ROWS)), NOW)
        for phone, uid in (("0911000001", OFFICE), ("0912000001", LAN), ("0912000002", AN)):
            await register_by_phone(db, phone, uid, NOW)
        issuer = await db.fetchval("SELECT id FROM units WHERE code = 'SGD'")
        spec = CampaignSpec(
            "Vì người nghèo 2026", "15/KH-SGDĐT", issuer, None, None, "", (), True, (),
            ("principal", "teacher"), None, None, None,
            (Round("Báo cáo nhanh", "person", deadline, "short"),),
        )  # fmt: skip
        launched = datetime.now(UTC) - timedelta(minutes=1)
        await launch_campaign(
            db, spec, created_by=OFFICE, progress_chat_id=None, progress_message_id=None,
            payload_for=lambda cid, rounds: campaign_payload(cid, spec, rounds), now=launched,
        )  # fmt: skip
        round_id = await db.fetchval("SELECT id FROM rounds")
        an = await db.fetchone("SELECT id, unit_id FROM people WHERE telegram_id = ?", (AN,))
        assert an is not None
        await db.write(
            "INSERT INTO submissions (round_id, subject, unit_id, person_id, author_id, status,"
            " answers, version, submitted_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, 'submitted', '{}', 1, ?, ?)",
            (round_id, f"person:{an[0]}", an[1], an[0], an[0], launched.isoformat(),
             launched.isoformat()),
        )  # fmt: skip
    finally:
        await db.close()


def reminder_rows(path: Path, status: str) -> int:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT COUNT(*) FROM outbox o JOIN broadcasts b ON b.id = o.broadcast_id"
            " WHERE b.kind = 'reminder' AND o.status = ?",
            (status,),
        ).fetchone()
        return int(row[0])
    finally:
        conn.close()


def texts(telegram: FakeTelegram, chat_id: int, fragment: str) -> list[str]:
    return [m.shown for m in telegram.messages_to(chat_id) if fragment in m.shown]


async def test_killed_between_two_offsets_nothing_is_sent_twice(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = module_env(telegram, tmp_path)
    now = datetime.now(VN)
    env.update(
        REMINDER_OFFSETS=f"{FIRST}s,{SECOND}s",
        QUIET_HOURS="",  # the test runs whenever it runs: no quiet hours, no quiet Sunday
        QUIET_SUNDAY="0",
        DIGEST_TIME=(now + timedelta(hours=2)).strftime("%H:%M"),  # not during the test
        LOG_LEVEL="INFO",
    )
    deadline = (now + timedelta(seconds=START_UP + FIRST)).replace(microsecond=0)
    path = Path(env["DATABASE_PATH"])
    await seed(path, deadline)
    for uid in (OFFICE, LAN, AN):
        telegram.user(uid)

    first = await start_module(env, tmp_path, "first.log")
    try:
        await telegram.wait_until(
            lambda: bool(texts(telegram, LAN, "NHẮC HẠN NỘP BÁO CÁO")), timeout=START_UP + FIRST
        )
        # Killed once the outbox has marked it sent: a row cut off in flight is the outbox's
        # own bound on duplicates (tests/test_broadcast_kill.py), not the schedule's.
        await telegram.wait_until(lambda: reminder_rows(path, "sent") == 1, timeout=5)
    finally:
        first.kill()  # SIGKILL, before the second offset
        await first.wait()
    killed_at = datetime.now(VN)
    assert killed_at < deadline - timedelta(seconds=SECOND), "killed too late to test anything"

    second = await start_module(env, tmp_path, "second.log")
    try:
        await telegram.wait_until(
            lambda: (
                bool(texts(telegram, LAN, "ĐÃ QUÁ HẠN"))
                and bool(texts(telegram, OFFICE, "TỔNG HỢP BÁO CÁO"))
            ),
            timeout=30,
        )
        await asyncio.sleep(2)  # anything sent twice would arrive by now
    finally:
        second.send_signal(signal.SIGINT)
        await asyncio.wait_for(second.wait(), 30)
    log = (tmp_path / "second.log").read_text()
    assert second.returncode == 0, log

    reminders = texts(telegram, LAN, "NHẮC HẠN NỘP BÁO CÁO")
    assert len(reminders) == 1, reminders
    assert "Báo cáo nhanh" in reminders[0] and "hạn chót hôm nay" in reminders[0]
    assert len(texts(telegram, LAN, "ĐÃ QUÁ HẠN")) == 1
    digests = texts(telegram, OFFICE, "TỔNG HỢP BÁO CÁO")
    assert len(digests) == 1 and "Đã nộp 1 / 5" in digests[0]
    assert texts(telegram, AN, "NHẮC HẠN") == [] and texts(telegram, AN, "QUÁ HẠN") == []

    conn_db = await Database.open(Path(env["DATABASE_PATH"]))
    try:
        rows = await conn_db.fetchall(
            "SELECT slot, broadcast_id IS NOT NULL FROM sent_once WHERE kind = 'reminder'"
            " ORDER BY id"
        )
    finally:
        await conn_db.close()
    # The first offset sent; the second, after the restart, already covered that day.
    assert [(r[0].split("@")[0], bool(r[1])) for r in rows] == [
        (f"{FIRST}s", True),
        (f"{SECOND}s", False),
    ]
