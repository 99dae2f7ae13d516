"""Start-up as whoever runs the server meets it: one line when Telegram cannot be reached,
and what a person sees of the bot before /start."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands import COMMANDS
from bot.profile import (
    MAX_DESCRIPTION,
    MAX_SHORT_DESCRIPTION,
    description,
    short_description,
)
from messages import label
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.harness import RunningBot

ROOT = Path(__file__).resolve().parent.parent
SECRET = TOKEN.partition(":")[2]


# ---- python -m bot when Telegram cannot be reached ----------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_bot(tmp_path: Path, **env: str) -> tuple[int, str, str]:
    """`python -m bot` as a process (it configures logging for the whole process)."""
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
        "LOG_LEVEL": "INFO",  # the default; at DEBUG asyncio says which selector it uses
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=environ, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
    return process.returncode or 0, out.decode(), err.decode()


def one_line(out: str, err: str) -> str:
    """What the process printed must be a single line, without a traceback or the token."""
    printed = (out + err).strip()
    assert "Traceback" not in printed, printed
    assert len(printed.splitlines()) == 1, printed
    assert SECRET not in printed and TOKEN not in printed
    return printed


async def test_no_network_is_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/bot"
    code, out, err = await run_bot(tmp_path, TELEGRAM_API_URL=url)
    assert code == 3
    line = one_line(out, err)
    assert line.startswith("Không kết nối được Telegram")
    assert url in line and "mạng" in line and "proxy" in line and "TELEGRAM_API_URL" in line


async def test_wrong_token_is_one_line(telegram: FakeTelegram, tmp_path: Path) -> None:
    wrong = "123456789:WRONG-token_abcdefghijklmnopqrs"
    code, out, err = await run_bot(
        tmp_path, TELEGRAM_BOT_TOKEN=wrong, TELEGRAM_API_URL=telegram.api_url
    )
    assert code == 3
    line = one_line(out, err)
    assert "từ chối token" in line and "TELEGRAM_BOT_TOKEN" in line and "@BotFather" in line
    assert wrong.partition(":")[2] not in line
    assert [c.status for c in telegram.calls_of("getMe")] == [401]


async def test_wrong_api_url_is_one_line(telegram: FakeTelegram, tmp_path: Path) -> None:
    """A server that is not the Bot API (it answers 404 with a page, not JSON)."""
    url = f"http://127.0.0.1:{telegram.port}/wrong/bot"
    code, out, err = await run_bot(tmp_path, TELEGRAM_API_URL=url)
    assert code == 3
    line = one_line(out, err)
    assert "Not Found" in line and "TELEGRAM_API_URL" in line


def test_invites_without_telegram_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_USERNAME", raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", f"http://127.0.0.1:{closed_port()}/bot")
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    assert main(["invites", str(tmp_path / "links.csv")]) == 3
    captured = capsys.readouterr()
    assert "TELEGRAM_API_URL" in one_line(captured.out, captured.err)
    assert not (tmp_path / "links.csv").exists()


# ---- what a person sees before /start -----------------------------------------------------


def test_profile_fits_telegram_limits() -> None:
    assert 0 < len(description()) <= MAX_DESCRIPTION
    assert 0 < len(short_description()) <= MAX_SHORT_DESCRIPTION
    for command in COMMANDS:
        assert re.fullmatch(r"[a-z0-9_]{1,32}", command.name)
        assert 1 <= len(command.description) <= 256


async def test_the_bot_introduces_itself_before_start(
    bot: RunningBot, telegram: FakeTelegram
) -> None:
    [long] = telegram.calls_of("setMyDescription")
    assert long.status == 200 and long.params["description"] == description()
    assert "Thi đua" in long.params["description"] and "/start" not in long.params["description"]
    [short] = telegram.calls_of("setMyShortDescription")
    assert short.status == 200 and short.params["short_description"] == short_description()
    assert telegram.commands_for(None) == [
        ("start", label("command_start")),
        ("help", label("command_help")),
    ]


async def test_a_refused_profile_does_not_stop_the_bot(
    telegram: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for method in ("setMyDescription", "setMyShortDescription", "setMyCommands"):
        telegram.inject_error(method, 400, "Bad Request: something went wrong")
    running = RunningBot(telegram, tmp_path)
    await running.start()
    try:
        user = telegram.user(7001)
        await user.send("/start")
        await user.expect("Chia sẻ số điện thoại")
    finally:
        await running.stop()
    assert "could not set the bot's description" in caplog.text
    assert "could not set the bot's short description" in caplog.text
    assert "could not set the bot's default commands" in caplog.text
