"""Reminders at scale: 200 open rounds and 20,000 people.

Measures, in a fresh process holding only the bot's code and its database connection:
- rebuilding the schedule: the next moment anything falls due, from the database (what runs
  at start-up and after every change to a round);
- a due-check when nothing is due (what the safety job runs every few minutes);
- a due-check at 07:30 on a busy morning: every round whose reminder falls that day, each
  person who owes one reminded in one message listing all they owe, recorded and queued in
  the outbox (20,000 people, so up to 20,000 rows);
- the process's resident memory idle (code loaded, database open) and while it holds the
  schedule, and its peak during each busy due-check (VmHWM, reset before each: Linux keeps
  getrusage's maximum across execve, which once reported the build's peak as the bot's).

The roster: a Sở, 10 Phòng, 200 schools of 100 people (a principal and 99 teachers), everyone
registered. 50 campaigns of 4 rounds: 10 from the Sở to everyone, 4 from each Phòng to its
district; rounds alternate per unit and per person, deadlines spread over the next 60 days;
30 % of the reports are in. Run: PYTHONPATH=. python bench/reminders.py
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.scheduler import Scheduler

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 2, 7, 30, tzinfo=VN)  # a Monday morning
GIVEN = ["An", "Bình", "Chi", "Dũng", "Đức", "Hà", "Hương", "Lan", "Minh", "Nam", "Oanh", "Phúc"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Ngô", "Dương"]


def roster_csv(people: int, districts: int = 10, schools: int = 200) -> bytes:
    rows = [("SGD", "Sở GD&ĐT", "", "Văn Phòng Sở", "văn phòng", "0900000000")]
    for d in range(districts):
        rows.append((f"PGD{d:02d}", f"Phòng GD&ĐT số {d}", "SGD", f"Văn Phòng {d}",
                     "văn phòng", f"08{d:08d}"))  # fmt: skip
    per_school = people // schools
    for index in range(people):
        school, rank = divmod(index, per_school)
        district = school % districts
        name = f"{FAMILY[index % 10]} Văn {GIVEN[(index // 10) % 12]} {index}"
        role = "hiệu trưởng" if rank == 0 else "giáo viên"
        rows.append((f"T{school:03d}", f"Trường số {school}", f"PGD{district:02d}", name, role,
                     f"09{index + 1:08d}"))  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(("ma_don_vi", "ten_don_vi", "ma_don_vi_cap_tren", "ho_ten", "vai_tro",
                     "so_dien_thoai"))  # fmt: skip
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


async def build(path: Path, people: int, rounds: int) -> None:
    from formats.roster_file import read_roster
    from storage.db import Database
    from storage.roster import apply_import

    db = await Database.open(path)
    try:
        await apply_import(db, read_roster(roster_csv(people)), NOW)
        await db.write("UPDATE people SET telegram_id = 500000 + id")
        units = {row[1]: row[0] for row in await db.fetchall("SELECT id, code FROM units")}
        rng = random.Random(2026)
        launched = NOW - timedelta(days=30)

        def work(conn: object) -> None:
            import sqlite3

            assert isinstance(conn, sqlite3.Connection)
            issuers = [units["SGD"]] * 10 + [units[f"PGD{d:02d}"] for d in range(10)] * 4
            round_ids = []
            for number, issuer in enumerate(issuers[: rounds // 4]):
                cursor = conn.execute(
                    "INSERT INTO campaigns (title, issuer_unit_id, audience_all, audience_roles,"
                    " status, created_by, created_at, launched_at)"
                    " VALUES (?, ?, 1, 'principal,teacher', 'launched', 1, ?, ?)",
                    (f"Phong trào số {number}", issuer, launched.isoformat(),
                     launched.isoformat()),
                )  # fmt: skip
                for position in range(4):
                    day = (number * 4 + position) % 60 + 1
                    deadline = datetime.combine(
                        (NOW + timedelta(days=day)).date(), datetime.min.time(), VN
                    ) + timedelta(hours=17)
                    kind = "unit" if position % 2 else "person"
                    round_cursor = conn.execute(
                        "INSERT INTO rounds (campaign_id, position, name, kind, deadline, form)"
                        " VALUES (?, ?, ?, ?, ?, 'short')",
                        (cursor.lastrowid, position, f"Đợt {position + 1}", kind,
                         deadline.isoformat()),
                    )  # fmt: skip
                    round_ids.append((round_cursor.lastrowid, kind))
            people_rows = conn.execute("SELECT id, unit_id FROM people WHERE role != 'office'")
            staff = people_rows.fetchall()
            stamp = launched.isoformat()
            rows = []
            for round_id, kind in round_ids:
                if kind == "person":
                    for person_id, unit_id in staff:
                        if rng.random() < 0.3:
                            rows.append((round_id, f"person:{person_id}", unit_id, person_id,
                                         person_id, stamp, stamp))  # fmt: skip
                else:
                    for unit_id in {u for _, u in staff}:
                        if rng.random() < 0.3:
                            rows.append((round_id, f"unit:{unit_id}", unit_id, None, 1, stamp,
                                         stamp))  # fmt: skip
            conn.executemany(
                "INSERT OR IGNORE INTO submissions (round_id, subject, unit_id, person_id,"
                " author_id, status, answers, version, submitted_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 'submitted', '{}', 1, ?, ?)",
                rows,
            )

        await db.transact(work)  # type: ignore[arg-type]
    finally:
        await db.close()


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_mb() -> float:
    """The process's peak resident memory since the last `reset_peak` (VmHWM). Not
    getrusage's ru_maxrss: Linux keeps that across execve, so this process would report the
    peak of the one that built the database and started it."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def reset_peak() -> None:
    """Start measuring the peak afresh (Linux 4.0+); without it, the peak is the process's."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


async def timed_check(scheduler: Scheduler, peaks: list[float]) -> tuple[int, float]:
    """One due-check: messages queued, seconds; its peak memory appended to `peaks`."""
    reset_peak()
    start = time.perf_counter()
    queued = await scheduler.run_due()
    elapsed = time.perf_counter() - start
    peaks.append(peak_mb())
    return queued, elapsed


async def measure(path: Path) -> None:
    # Everything the bot imports, then the database: the process idle.
    import bot.app  # noqa: F401
    from bot.clock import FakeClock
    from bot.config import Config
    from bot.reminders import default_sources
    from bot.scheduler import Scheduler
    from storage.db import Database

    db = await Database.open(path)
    clock = FakeClock(NOW - timedelta(minutes=1))
    config = Config(token="", timezone=VN, quiet_hours=None)
    scheduler = Scheduler(db, clock, VN, default_sources(config))
    idle = rss_mb()

    times = []
    for _ in range(3):
        start = time.perf_counter()
        moment = await scheduler.next_moment()
        times.append(time.perf_counter() - start)
    rebuild = min(times)
    holding = rss_mb()
    peaks: list[float] = []
    # The first due-check catches up with a month of reminders never sent (the data was
    # made without the bot): everyone owing something is reminded once.
    catch_up, catch_up_time = await timed_check(scheduler, peaks)
    times = []
    for _ in range(3):
        queued, elapsed = await timed_check(scheduler, [])
        assert queued == 0  # 07:29: nothing new
        times.append(elapsed)
    quiet = min(times)
    clock.set(NOW)
    busy_moment = await scheduler.next_moment()
    busy_queued, busy = await timed_check(scheduler, peaks)
    # The next morning: the reminders of the day, everyone again (the catch-up was "today").
    clock.set(NOW + timedelta(days=1))
    next_day, next_day_time = await timed_check(scheduler, peaks)
    after = rss_mb()
    rows = await db.fetchval("SELECT COUNT(*) FROM outbox")
    marks = await db.fetchval("SELECT COUNT(*) FROM sent_once")
    stored = await db.fetchval(
        "SELECT (SELECT COALESCE(SUM(LENGTH(payload)), 0) FROM outbox)"
        " + (SELECT COALESCE(SUM(LENGTH(payload)), 0) FROM broadcasts)"
    )
    await db.close()
    print(f"rebuild the schedule (next moment from the database): {rebuild * 1000:.0f} ms"
          f" (next: {moment:%d/%m %H:%M})")  # fmt: skip
    print(f"first due-check, catching up a month: {catch_up_time * 1000:.0f} ms,"
          f" {catch_up} messages queued")  # fmt: skip
    print(f"due-check with nothing due: {quiet * 1000:.0f} ms")
    print(f"due-check at {busy_moment:%H:%M} the same day (already reminded today):"
          f" {busy * 1000:.0f} ms, {busy_queued} messages queued")  # fmt: skip
    print(f"due-check at 07:30 the next morning: {next_day_time * 1000:.0f} ms,"
          f" {next_day} messages queued ({rows} outbox rows, {marks} records in all)")  # fmt: skip
    print(f"what the outbox stores for these messages: {stored / 2**20:.1f} MB")
    catch_up_peak, busy_peak, next_day_peak = (peak - idle for peak in peaks)
    print(
        f"resident memory: idle {idle:.1f} MB; holding the schedule {holding:.1f} MB"
        f" (+{holding - idle:.1f}); after the due-checks {after:.1f} MB"
        f" (+{after - idle:.1f}); peak during the catching-up check +{catch_up_peak:.1f} MB,"
        f" the same day's +{busy_peak:.1f} MB, the next morning's +{next_day_peak:.1f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        asyncio.run(measure(args.measure))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        started = time.perf_counter()
        asyncio.run(build(path, args.people, args.rounds))
        print(f"built {args.people} people, {args.rounds} rounds in"
              f" {time.perf_counter() - started:.1f} s")  # fmt: skip
        # A fresh process: what it holds is the bot's code, its connection and the schedule.
        subprocess.run([sys.executable, __file__, "--measure", str(path)], check=True)


if __name__ == "__main__":
    main()
