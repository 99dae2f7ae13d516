"""`python -m bot [command]`: run the bot, or manage the roster from the server's shell."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config, ConfigError

EXIT_OK, EXIT_INVALID, EXIT_CONFIG, EXIT_TELEGRAM = 0, 1, 2, 3


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = Config.from_env(require_token=args.command in (None, "invites"))
    except ConfigError as exc:
        print(_text("cli_config_error", error=str(exc)), file=sys.stderr)
        return EXIT_CONFIG
    if args.command is None:
        return _run(config)
    if args.command == "roster":
        if args.action == "import":
            return asyncio.run(_roster_import(config, Path(args.file)))
        return asyncio.run(_roster_export(config, Path(args.file)))
    if args.command == "invites":
        return asyncio.run(_invites(config, Path(args.file)))
    if args.command == "export":
        return asyncio.run(_export(config, Path(args.file), args.campaign))
    if args.command == "sandbox":
        return _sandbox(config, args)
    raise AssertionError(args.command)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Thi đua bot")
    commands = parser.add_subparsers(dest="command")
    roster = commands.add_parser("roster", help="nhập / xuất danh sách (CSV hoặc XLSX)")
    actions = roster.add_subparsers(dest="action", required=True)
    actions.add_parser("import", help="nhập danh sách, tất cả hoặc không").add_argument("file")
    actions.add_parser("export", help="xuất danh sách hiện có").add_argument("file")
    invites = commands.add_parser("invites", help="tệp CSV link mời từng người")
    invites.add_argument("file")
    export = commands.add_parser("export", help="tệp XLSX kết quả: tổng quan, câu trả lời")
    export.add_argument("file")
    export.add_argument("--campaign", type=int, help="số phong trào (mặc định: tất cả)")
    sandbox = commands.add_parser(
        "sandbox", help="chạy thử cả bot trên máy, không cần token: trò chuyện trong trình duyệt"
    )
    sandbox.add_argument("--port", type=int, default=8080, help="cổng của trang (mặc định 8080)")
    sandbox.add_argument(
        "--data", metavar="DIR", help="thư mục dữ liệu giữ lại giữa các lần chạy (mặc định: tạm)"
    )
    sandbox.add_argument(
        "--no-browser", action="store_true", help="không tự mở trình duyệt, chỉ in địa chỉ"
    )
    return parser


def _run(config: Config) -> int:
    from telegram import Update
    from telegram.error import TelegramError

    from bot.app import build_application
    from bot.logs import configure_logging

    configure_logging(config.log_level, config.token)
    # Ask Telegram who we are before starting, so a wrong token, URL or network gives one
    # line saying what to check instead of PTB's logged and raised tracebacks.
    if asyncio.run(_bot_username(config)) is None:
        return EXIT_TELEGRAM
    application = build_application(config)
    try:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    except TelegramError as exc:  # Telegram became unreachable between the check and the start
        print(telegram_failure(exc, config), file=sys.stderr)
        return EXIT_TELEGRAM
    return EXIT_OK


def _sandbox(config: Config, args: argparse.Namespace) -> int:
    import os

    from bot.logs import configure_logging
    from sandbox import run

    # The sandbox's terminal shows warnings only, unless LOG_LEVEL asks for more.
    configure_logging(config.log_level if "LOG_LEVEL" in os.environ else "WARNING", config.token)
    data = Path(args.data) if args.data else None
    return run(config, args.port, data, open_browser=not args.no_browser)


async def _roster_import(config: Config, path: Path) -> int:
    from formats.roster_file import read_roster
    from formats.work import in_worker
    from storage.db import Database
    from storage.roster import apply_import
    from storage.roster_table import RosterFileError

    data = _read(path)
    if data is None:
        return EXIT_INVALID
    db = await Database.open(config.database_path)
    try:
        table = await in_worker(read_roster, data, path.name)
        changes = await apply_import(db, table, datetime.now(UTC))
    except RosterFileError as exc:
        texts = [_text("roster_issue", issue=issue) for issue in exc.issues]
        print(_text("roster_errors", issues=exc.issues, texts=texts, hidden=0))
        return EXIT_INVALID
    finally:
        await db.close()
    print(_text("roster_changes", changes=changes, applied=True, you_leave=False))
    return EXIT_OK


async def _roster_export(config: Config, path: Path) -> int:
    from formats.roster_writer import roster_bytes
    from formats.work import in_worker
    from storage.db import Database
    from storage.roster import export_rows

    db = await Database.open(config.database_path)
    try:
        rows = await export_rows(db)
    finally:
        await db.close()
    path.write_bytes(await in_worker(roster_bytes, rows, xlsx=path.suffix.lower() == ".xlsx"))
    people = sum(1 for row in rows if row.full_name)
    print(_text("cli_exported", count=people, path=str(path)))
    return EXIT_OK


async def _invites(config: Config, path: Path) -> int:
    from formats.roster_writer import csv_bytes, invite_rows
    from formats.work import in_worker
    from storage.db import Database
    from storage.people import invites_for_roster

    username = config.bot_username or await _bot_username(config)
    if username is None:
        return EXIT_TELEGRAM
    db = await Database.open(config.database_path)
    try:
        invites = await invites_for_roster(db, datetime.now(UTC))
    finally:
        await db.close()
    path.write_bytes(await in_worker(csv_bytes, invite_rows(invites, username)))
    pending = sum(1 for invite in invites if invite.code)
    print(_text("cli_invites_written", count=len(invites), pending=pending, path=str(path)))
    return EXIT_OK


async def _export(config: Config, path: Path, campaign_id: int | None) -> int:
    """The same workbook as /xuat, for one campaign or every launched one (oldest first),
    over every unit."""
    from formats.workbook import build_workbook
    from handlers.nominations import export_words
    from storage.campaigns import campaigns_visible
    from storage.db import Database
    from storage.exports import assemble_export, read_export

    db = await Database.open(config.database_path)
    try:
        launched = sorted(await campaigns_visible(db, None, limit=1_000_000))
        chosen = [campaign_id] if campaign_id is not None else launched
        if not chosen or not set(chosen) <= set(launched):
            print(_text("cli_export_no_campaign", campaign_id=campaign_id), file=sys.stderr)
            return EXIT_INVALID
        source = await read_export(db, chosen, None)
    finally:
        await db.close()
    now = datetime.now(UTC)
    words = export_words()
    data = await asyncio.to_thread(assemble_export, source, now, config.timezone, words)
    content = await asyncio.to_thread(build_workbook, data)
    try:
        path.write_bytes(content)
    except OSError as exc:
        print(_text("cli_write_failed", path=str(path), error=exc.strerror), file=sys.stderr)
        return EXIT_INVALID
    reports = sum(len(item.rows) for item in data.rounds)
    print(_text("cli_export_written", campaigns=len(chosen), reports=reports, path=str(path)))
    return EXIT_OK


async def _bot_username(config: Config) -> str | None:
    """The bot's username from Telegram (getMe); None, after one line on stderr saying what
    failed and what to check, when Telegram cannot be reached or refuses the token."""
    from telegram import Bot
    from telegram.error import TelegramError

    # PTB logs a traceback when an answer is not JSON (a wrong TELEGRAM_API_URL): the line
    # below says it better.
    ptb_log = logging.getLogger("telegram")
    saved = ptb_log.level
    ptb_log.setLevel(logging.CRITICAL)
    try:
        async with Bot(config.token, base_url=config.api_url) as bot:
            return bot.username
    except TelegramError as exc:
        print(telegram_failure(exc, config), file=sys.stderr)
        return None
    finally:
        ptb_log.setLevel(saved)


def telegram_failure(error: Exception, config: Config) -> str:
    """One Vietnamese line: what failed talking to Telegram, and what to check (no token)."""
    from telegram.error import InvalidToken, NetworkError, TimedOut

    from bot.logs import redact
    from messages import shorten

    detail = shorten(redact(str(error), config.token), 160)
    if isinstance(error, InvalidToken):
        # PTB re-raises getMe's 401 or 404 as "The token … was rejected"; the cause says which.
        answer = str(error.__cause__ or error)
        problem = "token" if answer.startswith("Unauthorized") else "not_found"
    elif isinstance(error, TimedOut):
        problem = "timeout"
    elif isinstance(error, NetworkError):
        problem = "network"
    else:
        problem = "answer"
    url = redact(config.api_url, config.token)
    return _text("cli_telegram_failed", problem=problem, url=url, detail=detail)


def _text(template: str, **values: object) -> str:
    from messages import render_text

    return render_text(template, **values)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        print(_text("cli_read_failed", path=str(path), error=exc.strerror), file=sys.stderr)
        return None
