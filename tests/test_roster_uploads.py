"""A roster file's bytes are kept only while it can still be applied (issue 11.4)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from formats.roster_file import read_roster
from storage.db import Database
from storage.migrations import migration_scripts
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram, FakeUser, SentMessage
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, NOW, csv_file

NEW_ROW = ("TH-TX", "Trường TH Tân Xuân", "PGD-DX", "Vũ Thị Mới", "giáo viên", "0977000001")


async def _uploads(bot: RunningBot) -> list[tuple[str, int]]:
    rows = await bot.db.fetchall("SELECT status, length(data) FROM roster_uploads ORDER BY id")
    return [(row[0], row[1]) for row in rows]


async def _preview(
    office: FakeUser, telegram: FakeTelegram, rows: list[tuple[str, ...]]
) -> SentMessage:
    await office.send_document("ds.csv", csv_file(rows))
    progress = await office.expect("Đang kiểm tra")
    await telegram.wait_until(lambda: progress.has_button("✅ Áp dụng"))
    return progress


async def test_a_newer_file_drops_the_older_ones_bytes(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    office = telegram.user(ADMIN_ID)
    await _preview(office, telegram, [*BASIC_ROWS, NEW_ROW])
    await _preview(office, telegram, list(BASIC_ROWS[:-1]))
    [(first, first_size), (second, second_size)] = await _uploads(bot)
    assert (first, first_size) == ("dropped", 0)
    assert second == "pending" and second_size > 0


async def test_a_file_left_a_day_expires_and_its_bytes_go(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    office = telegram.user(ADMIN_ID)
    progress = await _preview(office, telegram, [*BASIC_ROWS, NEW_ROW])
    bot.clock.advance(timedelta(hours=25))
    await office.press("✅ Áp dụng", progress)
    await telegram.wait_until(lambda: "không còn hiệu lực" in progress.shown)
    assert "quá một ngày" in progress.shown
    await bot.restart()  # start-up clears what was left
    assert await _uploads(bot) == [("dropped", 0)]


async def test_a_file_within_the_day_still_applies(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    office = telegram.user(ADMIN_ID)
    progress = await _preview(office, telegram, [*BASIC_ROWS, NEW_ROW])
    bot.clock.advance(timedelta(hours=23))
    await bot.restart()
    await office.press("✅ Áp dụng", progress)
    await telegram.wait_until(lambda: "Đã cập nhật" in progress.shown)
    assert await _uploads(bot) == [("applied", 0)]


async def test_old_databases_lose_the_bytes_of_dropped_files(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    number, sql = migration_scripts()[0]  # the roster, with roster_uploads
    conn.executescript(sql)
    conn.execute(f"PRAGMA user_version = {number}")
    rows = [(1, "a.csv", b"old", "x", "dropped"), (1, "b.csv", b"new", "y", "pending")]
    conn.executemany(
        "INSERT INTO roster_uploads (telegram_id, file_name, data, created_at, status)"
        " VALUES (?, ?, ?, ?, ?)",
        rows,
    )
    conn.commit()
    conn.close()
    db = await Database.open(path)
    try:
        found = await db.fetchall("SELECT status, data FROM roster_uploads ORDER BY id")
        assert [(row[0], bytes(row[1])) for row in found] == [
            ("dropped", b""),
            ("pending", b"new"),
        ]
    finally:
        await db.close()
