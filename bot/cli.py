"""`python -m bot [command]`: run the bot, or manage the roster from the server's shell."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config, ConfigError

EXIT_OK, EXIT_INVALID, EXIT_CONFIG = 0, 1, 2


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
    return parser


def _run(config: Config) -> int:
    from telegram import Update

    from bot.app import build_application
    from bot.logs import configure_logging

    configure_logging(config.log_level, config.token)
    application = build_application(config)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return EXIT_OK


async def _roster_import(config: Config, path: Path) -> int:
    from storage.db import Database
    from storage.roster import apply_import
    from storage.roster_file import RosterFileError, read_roster

    data = _read(path)
    if data is None:
        return EXIT_INVALID
    db = await Database.open(config.database_path)
    try:
        changes = await apply_import(db, read_roster(data, path.name), datetime.now(UTC))
    except RosterFileError as exc:
        texts = [_text("roster_issue", issue=issue) for issue in exc.issues]
        print(_text("roster_errors", issues=exc.issues, texts=texts, hidden=0))
        return EXIT_INVALID
    finally:
        await db.close()
    print(_text("roster_changes", changes=changes, applied=True, you_leave=False))
    return EXIT_OK


async def _roster_export(config: Config, path: Path) -> int:
    from storage.db import Database
    from storage.roster import export_rows
    from storage.roster_writer import roster_bytes

    db = await Database.open(config.database_path)
    try:
        rows = await export_rows(db)
    finally:
        await db.close()
    path.write_bytes(roster_bytes(rows, xlsx=path.suffix.lower() == ".xlsx"))
    people = sum(1 for row in rows if row.full_name)
    print(_text("cli_exported", count=people, path=str(path)))
    return EXIT_OK


async def _invites(config: Config, path: Path) -> int:
    from storage.db import Database
    from storage.people import invites_for_roster
    from storage.roster_writer import csv_bytes, invite_rows

    username = config.bot_username or await _bot_username(config)
    if username is None:
        return EXIT_CONFIG
    db = await Database.open(config.database_path)
    try:
        invites = await invites_for_roster(db, datetime.now(UTC))
    finally:
        await db.close()
    path.write_bytes(csv_bytes(invite_rows(invites, username)))
    pending = sum(1 for invite in invites if invite.code)
    print(_text("cli_invites_written", count=len(invites), pending=pending, path=str(path)))
    return EXIT_OK


async def _bot_username(config: Config) -> str | None:
    from telegram import Bot
    from telegram.error import TelegramError

    from bot.logs import redact

    try:
        async with Bot(config.token, base_url=config.api_url) as bot:
            return bot.username
    except TelegramError as exc:
        error = redact(str(exc), config.token)
        print(_text("cli_username_failed", error=error), file=sys.stderr)
        return None


def _text(template: str, **values: object) -> str:
    from messages import render_text

    return render_text(template, **values)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        print(_text("cli_read_failed", path=str(path), error=exc.strerror), file=sys.stderr)
        return None
