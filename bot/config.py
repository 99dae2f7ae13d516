"""Configuration read once from the environment (and a `.env` file), validated at start-up."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.reminder_offsets import OffsetsError, parse_offsets

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_FILE_URL = "https://api.telegram.org/file/bot"
DEFAULT_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A setting is missing or malformed: the variable, what is wrong (a case of the
    config_error template) and the value given; the message always names the variable."""

    def __init__(self, variable: str, problem: str, value: str = "") -> None:
        super().__init__(variable, problem, value)
        self.variable, self.problem, self.value = variable, problem, value

    def __str__(self) -> str:
        from messages import render_text  # texts live in messages/, loaded only on failure

        return render_text(
            "config_error",
            variable=self.variable,
            problem=self.problem,
            value=self.value,
            levels=_LOG_LEVELS,
        )


@dataclass(frozen=True)
class Config:
    token: str
    api_url: str = DEFAULT_API_URL
    file_url: str = DEFAULT_FILE_URL
    database_path: Path = Path("data/thidua.sqlite3")
    files_dir: Path = Path("data/files")
    timezone: ZoneInfo = DEFAULT_TIMEZONE
    office_admin_ids: frozenset[int] = frozenset()
    reminder_offsets: tuple[timedelta, ...] = (
        timedelta(days=7),
        timedelta(days=3),
        timedelta(days=1),
        timedelta(0),
    )
    quiet_hours: tuple[time, time] | None = (time(21, 0), time(7, 0))
    quiet_sunday: bool = True  # nothing scheduled is sent on Sundays
    digest_time: time = time(16, 30)  # the office digest, each working day
    nomination_quota: int = 2  # nominations per unit per quarter
    log_level: str = "INFO"
    # Messages per second the broadcaster allows itself; Telegram's ceiling is about 30.
    broadcast_rate: float = 25.0
    bot_username: str | None = None

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        env_file: Path | None = Path(".env"),
        require_token: bool = True,
    ) -> Config:
        """Read the settings; values in `environ` win over those in `env_file`."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update(read_env_file(env_file))
        values.update(os.environ if environ is None else environ)

        def get(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        token = get("TELEGRAM_BOT_TOKEN")
        if token is None and require_token:
            raise ConfigError("TELEGRAM_BOT_TOKEN", "missing")
        if token is not None and not re.fullmatch(r"\d+:[A-Za-z0-9_-]{20,}", token):
            raise ConfigError("TELEGRAM_BOT_TOKEN", "token")
        return cls(
            token=token or "",
            api_url=get("TELEGRAM_API_URL") or DEFAULT_API_URL,
            file_url=get("TELEGRAM_FILE_URL") or DEFAULT_FILE_URL,
            database_path=Path(get("DATABASE_PATH") or "data/thidua.sqlite3"),
            files_dir=Path(get("FILES_DIR") or "data/files"),
            timezone=_parse_timezone(get("BOT_TIMEZONE") or "Asia/Ho_Chi_Minh"),
            office_admin_ids=_parse_ids(get("OFFICE_ADMIN_IDS") or ""),
            reminder_offsets=_parse_offsets(get("REMINDER_OFFSETS") or "7d,3d,1d,0d"),
            quiet_hours=_parse_quiet_hours(values.get("QUIET_HOURS", "21:00-07:00")),
            quiet_sunday=_parse_flag("QUIET_SUNDAY", get("QUIET_SUNDAY") or "1"),
            digest_time=_parse_time("DIGEST_TIME", get("DIGEST_TIME") or "16:30"),
            nomination_quota=_parse_quota(get("NOMINATION_QUOTA") or "2"),
            log_level=_parse_log_level(get("LOG_LEVEL") or "INFO"),
            broadcast_rate=_parse_rate(get("BROADCAST_RATE") or "25"),
            bot_username=(get("BOT_USERNAME") or "").lstrip("@") or None,
        )


def read_env_file(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; blank lines and # comments are skipped, quotes stripped."""
    result: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8-sig").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        result[key] = value
    return result


def _parse_timezone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("BOT_TIMEZONE", "timezone", value) from exc


def _parse_ids(value: str) -> frozenset[int]:
    ids = set()
    for part in value.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not re.fullmatch(r"-?\d+", part):
            raise ConfigError("OFFICE_ADMIN_IDS", "ids", part)
        ids.add(int(part))
    return frozenset(ids)


def _parse_offsets(value: str) -> tuple[timedelta, ...]:
    """The grammar /phatdong's own offsets share (bot/reminder_offsets.py)."""
    try:
        return parse_offsets(value)
    except OffsetsError as exc:
        raise ConfigError("REMINDER_OFFSETS", "offsets", exc.part) from exc


def _parse_quiet_hours(value: str) -> tuple[time, time] | None:
    value = value.strip()
    if not value:
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", value)
    if match is None:
        raise ConfigError("QUIET_HOURS", "hours", value)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ConfigError("QUIET_HOURS", "impossible_time", value)
    return time(h1, m1), time(h2, m2)


def _parse_flag(name: str, value: str) -> bool:
    folded = value.strip().lower()
    if folded in ("1", "true", "yes", "on", "có", "co"):
        return True
    if folded in ("0", "false", "no", "off", "không", "khong"):
        return False
    raise ConfigError(name, "flag", value)


def _parse_time(name: str, value: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if match is None:
        raise ConfigError(name, "time", value)
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ConfigError(name, "impossible_time", value)
    return time(hour, minute)


def _parse_quota(value: str) -> int:
    if not re.fullmatch(r"\d{1,3}", value.strip()) or not 1 <= int(value) <= 100:
        raise ConfigError("NOMINATION_QUOTA", "quota", value)
    return int(value)


def _parse_log_level(value: str) -> str:
    level = value.upper()
    if level not in _LOG_LEVELS:
        raise ConfigError("LOG_LEVEL", "level", value)
    return level


def _parse_rate(value: str) -> float:
    try:
        rate = float(value)
    except ValueError as exc:
        raise ConfigError("BROADCAST_RATE", "not_number", value) from exc
    if not 0 < rate <= 1000:
        raise ConfigError("BROADCAST_RATE", "rate_range", value)
    return rate
