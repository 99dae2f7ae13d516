"""What happens when Telegram or the bot misbehaves: 429, 5xx, blocked users, crashes."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import configure_logging
from formats.roster_file import read_roster
from storage.roster import apply_import
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.harness import ADMIN_ID, RunningBot
from tests.helpers import BASIC_ROWS, NOW, csv_file


async def test_429_is_waited_out(bot: RunningBot, telegram: FakeTelegram) -> None:
    user = telegram.user(3001)
    telegram.inject_error("sendMessage", 429, retry_after=1, chat_id=3001)
    await user.send("/start")
    await user.expect("Chia sẻ số điện thoại", timeout=5)
    statuses = [c.status for c in telegram.calls_of("sendMessage") if c.params["chat_id"] == 3001]
    assert statuses == [429, 200]


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """The production logging set-up, writing to a buffer (at DEBUG, the most talkative)."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging("DEBUG", TOKEN, stream=buffer)
    yield buffer
    root.handlers[:], level = saved
    root.setLevel(level)


async def test_server_error_is_reported_without_the_token(
    bot: RunningBot, telegram: FakeTelegram, log_output: io.StringIO
) -> None:
    admin = telegram.user(ADMIN_ID)
    user = telegram.user(3002)
    telegram.inject_error("sendMessage", 502, times=3, chat_id=3002)  # every try of the reply
    await user.send("/start")
    calm = await user.expect("bot vừa gặp lỗi")
    assert "vẫn được giữ nguyên" in calm.shown
    report = await admin.expect("Lỗi trong bot")
    assert "3002" in report.shown
    secret = TOKEN.partition(":")[2]
    assert secret not in report.shown
    await bot.stop()  # flush every log line of the run
    logged = log_output.getvalue()
    assert "error while handling an update" in logged
    assert "Traceback" in logged and "Bad Gateway" in logged
    assert secret not in logged


async def test_blocked_user_is_logged_quietly(
    bot: RunningBot, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    admin = telegram.user(ADMIN_ID)
    user = telegram.user(3003)
    telegram.blocked.add(3003)
    await user.send("/start")
    await telegram.wait_until(
        lambda: any(c.status == 403 for c in telegram.calls_of("sendMessage"))
    )
    await admin.expect_nothing(within=0.3)
    assert "blocked" in caplog.text


async def test_registration_state_survives_restart(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    await apply_import(bot.db, read_roster(csv_file(BASIC_ROWS)), NOW)
    user = telegram.user(3004)
    await user.share_contact("0912000001")
    await user.expect("Đăng ký thành công")
    await bot.restart()
    await user.send("/start")
    await user.expect("Bạn đã đăng ký rồi")
