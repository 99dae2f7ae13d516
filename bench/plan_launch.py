"""From the plan file to the bot's summary: how long an office waits in /phatdong.

The bot runs for real (tests/harness.py) against the fake Bot API server over HTTP on 127.0.0.1
(tests/fake_telegram.py). An office person at /phatdong's first step sends each seed plan (and
the two plans written for the reader's tests) as .txt, .docx (built with python-docx, as the
tests do) and .pdf (the shipped files); the time runs from the document's update being handed
to the server to the last message of the summary — the one with «✅ Đúng, tiếp tục» — being
in the chat: the «⏳» reply, the download through getFile, the reading in a worker thread, the
draft saved, the summary edited in and any further parts sent. /huy ends each run.

For comparison, `read_plan` alone on the same bytes (what bench/plan_reader.py measures).
The first run of each plan and format is a warm-up (imports, template compilation) and is not
counted; the figure is the median of --runs runs.

Run: PYTHONPATH=. python bench/plan_launch.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from formats.plan_reader import read_plan
from formats.roster_file import read_roster
from storage.roster import apply_import
from tests.fake_telegram import FakeTelegram, FakeUser
from tests.harness import RunningBot
from tests.helpers import BASIC_ROWS, NOW, VN, csv_file
from tests.plan_documents import plan_bytes
from tests.plan_expectations import READ_ON

FORMATS = {
    "txt": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
OK = "✅ Đúng, tiếp tục"


async def until(predicate: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not answer")
        await asyncio.sleep(0.001)


async def one_run(office: FakeUser, name: str, kind: str, data: bytes) -> float:
    await office.send("/phatdong")
    await office.expect("Bước 1")
    before = len(office.messages())
    start = time.perf_counter()
    await office.send_document(f"{name}.{kind}", data, FORMATS[kind])
    await until(lambda: any(m.has_button(OK) for m in office.messages()[before:]))
    elapsed = time.perf_counter() - start
    for _ in range(len(office.messages()) - before):  # what the run showed, read
        await office.expect()
    await office.send("/huy")
    await office.expect("Đã hủy")
    return elapsed


async def main(runs: int) -> None:
    logging.disable(logging.WARNING)
    telegram = FakeTelegram()
    await telegram.start()
    with tempfile.TemporaryDirectory() as tmp:
        bot = RunningBot(telegram, Path(tmp))
        await bot.start()
        try:
            await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
            office = telegram.user(5001)
            await office.share_contact("0911000001")
            await office.expect("Đăng ký thành công")
            for kind in FORMATS:
                bot_times: list[float] = []
                read_times: list[float] = []
                for name, day in READ_ON.items():
                    bot.clock.set(datetime(day.year, day.month, day.day, 8, tzinfo=VN))
                    data = plan_bytes(name, kind)
                    await one_run(office, name, kind, data)  # warm-up
                    bot_times.append(
                        statistics.median([await one_run(office, name, kind, data)
                                           for _ in range(runs)])
                    )  # fmt: skip
                    reads = []
                    for _ in range(runs):
                        start = time.perf_counter()
                        read_plan(data, f"{name}.{kind}", day)
                        reads.append(time.perf_counter() - start)
                    read_times.append(statistics.median(reads))
                shown, read = statistics.median(bot_times), statistics.median(read_times)
                print(
                    f".{kind:<4}: file sent → summary shown: median {shown * 1000:.0f} ms, "
                    f"slowest plan {max(bot_times) * 1000:.0f} ms (read_plan alone: median "
                    f"{read * 1000:.0f} ms, slowest {max(read_times) * 1000:.0f} ms) over "
                    f"{len(bot_times)} plans"
                )
        finally:
            await bot.stop()
            await telegram.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
